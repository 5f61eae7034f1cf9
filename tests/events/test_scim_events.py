"""Every SCIM write announces itself in the outbox, in the same transaction; refusals do not."""

from __future__ import annotations

from typing import Any

from enlist.store.db import Database
from enlist.store.events import EventStore


def _events_since(db: Database, account_id: str, after: int) -> list[Any]:
    with db.read() as conn:
        return EventStore(conn).after(account_id, after, 1000)


def _last(db: Database, account_id: str) -> int:
    with db.read() as conn:
        return EventStore(conn).last_sequence(account_id)


def test_okta_provisioning_a_person_is_announced_with_their_profile(scim, db, tenant):
    mark = _last(db, tenant.account_id)
    user = scim.create_user("jane@example.com", displayName="Jane Doe", locale="en-US")
    (event,) = _events_since(db, tenant.account_id, mark)
    assert event.type == "person.provisioned"
    assert event.data["id"] == user["id"] and event.data["userName"] == "jane@example.com"
    assert event.data["person"]["displayName"] == "Jane Doe"
    assert event.data["person"]["emails"][0]["value"] == "jane@example.com"
    assert event.actor == {"type": "scim", "id": tenant.secret_id, "user_agent": "testclient"}
    assert "password" not in repr(event.document())


def test_a_put_that_renames_and_deactivates_announces_both(scim, db, tenant):
    user = scim.create_user("jane@example.com", displayName="Jane")
    mark = _last(db, tenant.account_id)
    body = {**user, "displayName": "Jane Doe", "active": False}
    assert scim.put(f"/Users/{user['id']}", json=body).status_code == 200
    updated, deactivated = _events_since(db, tenant.account_id, mark)
    assert updated.type == "person.updated" and updated.data["changed"] == ["displayName"]
    assert updated.data["person"]["displayName"] == "Jane Doe"
    assert deactivated.type == "person.deactivated" and deactivated.data["id"] == user["id"]
    assert deactivated.sequence == updated.sequence + 1


def test_okta_reactivation_and_entra_delete_are_announced(scim, db, tenant):
    user = scim.create_user("jane@example.com")
    for active in (False, True):
        scim.patch(
            f"/Users/{user['id']}",
            json={"Operations": [{"op": "replace", "value": {"active": active}}]},
        )
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    kinds = [e.type for e in _events_since(db, tenant.account_id, 0)]
    assert kinds[-3:] == ["person.deactivated", "person.reactivated", "person.deleted"]


def test_a_patch_that_changes_nothing_announces_nothing(scim, db, tenant):
    user = scim.create_user("jane@example.com", displayName="Jane")
    mark = _last(db, tenant.account_id)
    scim.patch(
        f"/Users/{user['id']}",
        json={"Operations": [{"op": "replace", "value": {"displayName": "Jane"}}]},
    )
    assert _events_since(db, tenant.account_id, mark) == []


def test_group_lifecycle_with_members_batched_per_request(scim, db, tenant):
    ann = scim.create_user("ann@example.com")["id"]
    bob = scim.create_user("bob@example.com")["id"]
    mark = _last(db, tenant.account_id)
    group = scim.create_group("Eng", [ann])
    patch = {
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": bob}, {"value": ann}]},
            {"op": "replace", "value": {"id": group["id"], "displayName": "Engineering"}},
            {"op": "remove", "path": f'members[value eq "{ann}"]'},
        ]
    }
    assert scim.patch(f"/Groups/{group['id']}", json=patch).status_code == 204
    scim.delete(f"/Groups/{group['id']}")
    events = [(e.type, e.data) for e in _events_since(db, tenant.account_id, mark)]
    assert events[0][0] == "group.created" and events[0][1]["displayName"] == "Eng"
    assert events[1] == (
        "group.members_added",
        {"id": group["id"], "group": group["id"], "members": [ann]},
    )
    assert events[2] == (
        "group.renamed",
        {"id": group["id"], "displayName": "Engineering", "previous": "Eng"},
    )
    assert events[3] == (
        "group.members_added",
        {"id": group["id"], "group": group["id"], "members": [bob]},
    )
    assert events[4] == (
        "group.members_removed",
        {"id": group["id"], "group": group["id"], "members": [ann]},
    )
    assert events[5] == ("group.deleted", {"id": group["id"], "displayName": "Engineering"})


def test_adding_a_member_who_is_already_in_is_no_event(scim, db, tenant):
    ann = scim.create_user("ann@example.com")["id"]
    group = scim.create_group("Eng", [ann])
    mark = _last(db, tenant.account_id)
    scim.patch(
        f"/Groups/{group['id']}",
        json={"Operations": [{"op": "add", "path": "members", "value": [{"value": ann}]}]},
    )
    assert _events_since(db, tenant.account_id, mark) == []


def test_a_wizard_put_announces_only_the_difference(scim, db, tenant):
    ann, bob, cy = (scim.create_user(f"{n}@example.com")["id"] for n in ("ann", "bob", "cy"))
    group = scim.create_group("Eng", [ann, bob])
    mark = _last(db, tenant.account_id)
    body = {"displayName": "Eng", "members": [{"value": bob}, {"value": cy}]}
    assert scim.put(f"/Groups/{group['id']}", json=body).status_code == 200
    events = [(e.type, e.data["members"]) for e in _events_since(db, tenant.account_id, mark)]
    assert events == [("group.members_added", [cy]), ("group.members_removed", [ann])]


def test_refused_and_failed_writes_announce_nothing(scim, db, tenant):
    ann = scim.create_user("ann@example.com")["id"]
    group = scim.create_group("Eng", [ann])
    mark = _last(db, tenant.account_id)
    refused = [
        scim.post("/Users", json={"userName": "jane@other.com"}),  # not a trusted domain
        scim.post("/Users", json={"userName": "ann@example.com"}),  # duplicate
        scim.patch(  # the last operation fails: nothing of the first applies
            f"/Groups/{group['id']}",
            json={
                "Operations": [
                    {"op": "remove", "path": "members"},
                    {"op": "add", "path": "members", "value": [{"value": "nobody"}]},
                ]
            },
        ),
        scim.put(
            f"/Users/{ann}", json={"userName": "ann@example.com"}, headers={"If-Match": 'W/"99"'}
        ),
    ]
    assert [r.status_code for r in refused] == [400, 409, 400, 412]
    assert _events_since(db, tenant.account_id, mark) == []
