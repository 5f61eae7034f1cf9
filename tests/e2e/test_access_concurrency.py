"""Parallel SCIM member adds and removes, deactivations and grant changes, through two live
server processes and the command line at once, leave effective access exactly equal to the
truth recomputed from the final directory; and the per-person access.changed events,
replayed in sequence order, arrive at that same truth.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from enlist.domain.access import Level, most_permissive
from tests.conftest import _backends
from tests.e2e.live import enlist, enlist_env, fresh_database, serving, setup_tenant

pytestmark = pytest.mark.live

USERS = 24
GROUPS = 3
THREADS = 6
LEVELS = ["modify", "read_only", "modify_own", "add_only", "read_only_no_details"]


@pytest.fixture(scope="module", params=_backends())
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        url = fresh_database(stack, request.param, tmp_path_factory, "access")
        worker_args: tuple[str, ...] = ("--workers", "2") if request.param == "postgresql" else ()
        env = enlist_env(url, ENLIST_RATE_LIMIT_PER_SECOND="0")
        tenant = setup_tenant(env)
        bases = [stack.enter_context(serving(env, *worker_args)) for _ in range(2)]
        key = enlist(env, "apikey", "create", "--account", tenant.account_id)["key"]
        engine = create_engine(url)
        stack.callback(engine.dispose)
        yield {"env": env, "tenant": tenant, "bases": bases, "key": key, "engine": engine}


def test_parallel_membership_status_and_grant_changes_leave_access_exactly_true(live):
    tenant, env = live["tenant"], live["env"]
    scim = [
        httpx.Client(
            base_url=f"{base}/scim/v2",
            headers={"Authorization": f"Bearer {tenant.token}"},
            timeout=60,
        )
        for base in live["bases"]
    ]
    api = httpx.Client(
        base_url=f"{live['bases'][1]}/api/v1",
        headers={"Authorization": f"Bearer {live['key']}"},
        timeout=60,
    )
    tag = uuid.uuid4().hex[:6]
    users = [
        scim[0].post("/Users", json={"userName": f"p{i}-{tag}@example.com"}).json()["id"]
        for i in range(USERS)
    ]
    groups = [
        scim[0]
        .post(
            "/Groups",
            json={
                "displayName": f"G{g}-{tag}",
                "members": [{"value": u} for u in users[g::GROUPS]],
            },
        )
        .json()["id"]
        for g in range(GROUPS)
    ]
    calendars = [
        enlist(
            env,
            "calendar",
            "create",
            "--account",
            tenant.account_id,
            "--name",
            f"C{c}",
            "--plan",
            "basic",
        )["id"]
        for c in range(2)
    ]
    for n, group in enumerate(groups):
        enlist(env, "access", "grant", calendars[n % 2], "--group", group, "--level", "read_only")
    enlist(env, "access", "grant", calendars[0], "--user", users[0], "--level", "modify_own")

    chance = random.Random(9)
    steps: list[tuple[str, Any]] = []
    for _ in range(40):
        steps.append(("member", (chance.choice(groups), chance.choice(users), chance.random())))
    for user in chance.sample(users, 6):
        steps.append(("status", (user, False)))
        steps.append(("status", (user, True) if chance.random() < 0.5 else (user, False)))
    for n in range(8):
        subject = ("--group", chance.choice(groups)) if n % 3 else ("--user", chance.choice(users))
        steps.append(("grant", (chance.choice(calendars), subject, chance.choice(LEVELS))))
    chance.shuffle(steps)

    def run(index: int) -> None:
        kind, what = steps[index]
        client = scim[index % 2]
        if kind == "member":
            group, user, coin = what
            if coin < 0.6:
                body = {
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]
                }
            else:
                body = {"Operations": [{"op": "remove", "path": f'members[value eq "{user}"]'}]}
            assert client.patch(f"/Groups/{group}", json=body).status_code in (200, 204)
        elif kind == "status":
            user, active = what
            body = {"Operations": [{"op": "replace", "value": {"active": active}}]}
            assert client.patch(f"/Users/{user}", json=body).status_code == 200
        else:
            calendar, subject, level = what
            enlist(env, "access", "grant", calendar, *subject, "--level", level)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, range(len(steps))))

    truth = _recomputed(scim[0], live["engine"], tenant.account_id, users, groups, calendars)
    for calendar in calendars:
        listed = _listed(api, calendar)
        expected = {u: truth[(u, calendar)] for u in users if truth[(u, calendar)] != "no_access"}
        assert listed == expected
        for user in users:
            answer = api.get("/check", params={"person": user, "calendar": calendar}).json()
            assert answer["level"] == truth[(user, calendar)]
    replayed = _replayed(live["engine"], tenant.account_id)
    for (user, calendar), level in truth.items():
        assert replayed.get((user, calendar), "no_access") == level, (user, calendar)


def _recomputed(
    scim: httpx.Client,
    engine: Any,
    account_id: str,
    users: list[str],
    groups: list[str],
    calendars: list[str],
) -> dict[tuple[str, str], str]:
    """Effective access from first principles: the final members and statuses (read over
    SCIM) and the final grants, most permissive first."""
    active = {u: scim.get(f"/Users/{u}").json()["active"] for u in users}
    members = {
        g: {m["value"] for m in scim.get(f"/Groups/{g}").json().get("members", [])} for g in groups
    }
    with engine.connect() as conn:
        grants = conn.execute(
            text(
                "SELECT calendar_id, subject_type, subject_id, level_rank FROM access_grants "
                "WHERE account_id = :a"
            ),
            {"a": account_id},
        ).all()
    order = list(Level)
    truth = {}
    for user in users:
        for calendar in calendars:
            reaching = [
                order[rank]
                for cal, kind, subject, rank in grants
                if cal == calendar
                and (
                    (kind == "user" and subject == user)
                    or (kind == "group" and user in members.get(subject, set()))
                )
            ]
            level = most_permissive(reaching) if active[user] else Level.no_access
            truth[(user, calendar)] = level.value
    return truth


def _listed(api: httpx.Client, calendar: str) -> dict[str, str]:
    found: dict[str, str] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/calendars/{calendar}/access", params=params).json()
        found.update({p["id"]: p["level"] for p in page["people"]})
        cursor = page["next"]
        if cursor is None:
            return found


def _replayed(engine: Any, account_id: str) -> dict[tuple[str, str], str]:
    """Each (person, calendar)'s level as the per-person events tell it, in sequence order."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT data FROM events WHERE account_id = :a AND type = 'access.changed' "
                "ORDER BY sequence"
            ),
            {"a": account_id},
        ).all()
    levels: dict[tuple[str, str], str] = {}
    for (data,) in rows:
        if isinstance(data, str):
            data = json.loads(data)
        if "person" in data:
            levels[(data["person"], data["calendar"])] = data["new"]
    return levels
