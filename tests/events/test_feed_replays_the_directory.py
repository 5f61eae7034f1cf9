"""Replaying the feed reproduces the directory: random SCIM write sequences (some refused),
then the people and groups rebuilt from the events alone equal what SCIM shows."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enlist.services import apikeys
from tests.conftest import Scim

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NAMES = ["ana", "ben", "cy", "dee"]  # few, so that duplicates (409) happen
GROUPS = ["Sales", "Ops", "sales"]  # "sales" collides with "Sales" (case-insensitive)
_tenants = itertools.count()

operation = st.one_of(
    st.tuples(st.just("create_user"), st.sampled_from(NAMES)),
    st.tuples(st.just("rename_user"), st.integers(0, 9), st.sampled_from(["A", "B", ""])),
    st.tuples(st.just("set_active"), st.integers(0, 9), st.booleans()),
    st.tuples(st.just("delete_user"), st.integers(0, 9)),
    st.tuples(st.just("create_group"), st.sampled_from(GROUPS)),
    st.tuples(st.just("rename_group"), st.integers(0, 9), st.sampled_from(GROUPS)),
    st.tuples(st.just("add_member"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("remove_member"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("delete_group"), st.integers(0, 9)),
)


def _pick(ids: list[str], n: int) -> str:
    return ids[n % len(ids)] if ids else "0" * 32  # an unknown id when there is none: 404


def _apply(scim: Scim, domain: str, step: tuple[Any, ...], users: list[str], groups: list[str]):
    kind = step[0]
    if kind == "create_user":
        name = f"{step[1]}@{domain}"
        answer = scim.post("/Users", json={"schemas": [USER], "userName": name})
        if answer.status_code == 201:
            users.append(answer.json()["id"])
    elif kind == "rename_user":
        ops = [{"op": "replace", "path": "displayName", "value": step[2]}]
        scim.patch(f"/Users/{_pick(users, step[1])}", json={"schemas": [PATCH], "Operations": ops})
    elif kind == "set_active":
        ops = [{"op": "replace", "value": {"active": step[2]}}]
        scim.patch(f"/Users/{_pick(users, step[1])}", json={"schemas": [PATCH], "Operations": ops})
    elif kind == "delete_user":
        scim.delete(f"/Users/{_pick(users, step[1])}")
    elif kind == "create_group":
        answer = scim.post("/Groups", json={"schemas": [GROUP], "displayName": step[1]})
        if answer.status_code == 201:
            groups.append(answer.json()["id"])
    elif kind == "rename_group":
        ops = [{"op": "replace", "path": "displayName", "value": step[2]}]
        scim.patch(
            f"/Groups/{_pick(groups, step[1])}", json={"schemas": [PATCH], "Operations": ops}
        )
    elif kind in ("add_member", "remove_member"):
        member = _pick(users, step[2])
        ops = (
            [{"op": "add", "path": "members", "value": [{"value": member}]}]
            if kind == "add_member"
            else [{"op": "remove", "path": f'members[value eq "{member}"]'}]
        )
        scim.patch(
            f"/Groups/{_pick(groups, step[1])}", json={"schemas": [PATCH], "Operations": ops}
        )
    elif kind == "delete_group":
        scim.delete(f"/Groups/{_pick(groups, step[1])}")


def _replay(events: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The directory as a calendar application keeps it, from the events alone."""
    people: dict[str, dict[str, Any]] = {}
    teams: dict[str, dict[str, Any]] = {}
    for event in events:
        data, kind = event["data"], event["type"]
        if kind in ("person.provisioned", "person.updated"):
            person = data["person"]
            people[data["id"]] = {
                "userName": person["userName"],
                "displayName": person["displayName"],
                "active": person["active"],
            }
        elif kind in ("person.deactivated", "person.reactivated"):
            people[data["id"]]["active"] = kind == "person.reactivated"
        elif kind == "person.deleted":
            del people[data["id"]]
            for team in teams.values():
                team["members"].discard(data["id"])
        elif kind == "group.created":
            teams[data["id"]] = {"displayName": data["displayName"], "members": set()}
        elif kind == "group.renamed":
            teams[data["id"]]["displayName"] = data["displayName"]
        elif kind == "group.deleted":
            del teams[data["id"]]
        elif kind == "group.members_added":
            teams[data["group"]]["members"].update(data["members"])
        elif kind == "group.members_removed":
            teams[data["group"]]["members"].difference_update(data["members"])
    return people, teams


def _directory(scim: Scim) -> tuple[dict[str, Any], dict[str, Any]]:
    people = {
        u["id"]: {
            "userName": u["userName"],
            "displayName": u.get("displayName"),
            "active": u["active"],
        }
        for u in scim.get("/Users?count=1000").json()["Resources"]
    }
    teams = {
        g["id"]: {
            "displayName": g["displayName"],
            "members": {m["value"] for m in g.get("members", [])},
        }
        for g in scim.get("/Groups?count=1000").json()["Resources"]
    }
    return people, teams


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operation, min_size=1, max_size=25))
def test_replaying_the_feed_reproduces_the_directory(client, db, settings, make_tenant, steps):
    tenant = make_tenant(f"t{next(_tenants)}.example")
    scim = Scim(client, tenant)
    key = apikeys.create_api_key(db, tenant.account_id, secret_key=settings.secret_key)
    users: list[str] = []
    groups: list[str] = []
    for step in steps:
        _apply(scim, tenant.domain, step, users, groups)
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get(
            "/api/v1/events",
            params={"after": after, "limit": 7},
            headers={"Authorization": f"Bearer {key.key}"},
        ).json()
        if not page["events"]:
            break
        events += page["events"]
        after = page["next"]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))  # no gaps
    assert _replay(events) == _directory(scim)
