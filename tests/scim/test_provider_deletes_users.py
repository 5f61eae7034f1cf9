"""An identity provider (Entra) DELETEs a user: gone from SCIM, from every group and from
access; the row stays for the calendar data it created, and the userName is free again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from enlist.services import directory
from enlist.store.tables import group_members, user_counts, users
from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import patch_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _count_row(db: Any, account_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.scalar(select(user_counts.c.users).where(user_counts.c.account_id == account_id))
            or 0
        )


def test_deleted_user_leaves_the_scim_view(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    assert scim.delete(f"/Users/{ann['id']}").status_code == 204

    assert_scim_error(scim.get(f"/Users/{ann['id']}"), 404)
    assert_scim_error(scim.put(f"/Users/{ann['id']}", json={"userName": "ann@example.com"}), 404)
    assert_scim_error(
        scim.patch(
            f"/Users/{ann['id']}", json=patch_body({"op": "replace", "path": "title", "value": "x"})
        ),
        404,
    )
    assert_scim_error(scim.delete(f"/Users/{ann['id']}"), 404)

    listed = scim.get("/Users").json()
    assert [u["id"] for u in listed["Resources"]] == [bob["id"]]
    assert listed["totalResults"] == 1
    for expression in ('userName eq "ann@example.com"', "active eq false", f'id eq "{ann["id"]}"'):
        assert scim.get("/Users", params={"filter": expression}).json()["totalResults"] == 0
    found = scim.post("/.search", json={"filter": 'userName sw "a"'}).json()
    assert found["totalResults"] == 0


def test_deleted_user_leaves_every_group(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    eng = scim.create_group("Eng", [ann["id"], bob["id"]])
    ops = scim.create_group("Ops", [ann["id"]])
    version = scim.get(f"/Groups/{eng['id']}").json()["meta"]["version"]

    assert scim.delete(f"/Users/{ann['id']}").status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{eng['id']}").json()["members"]] == [bob["id"]]
    assert "members" not in scim.get(f"/Groups/{ops['id']}").json()
    # the group's member list changed: so did its version
    assert scim.get(f"/Groups/{eng['id']}").json()["meta"]["version"] != version
    found = scim.get("/Groups", params={"filter": f'members.value eq "{ann["id"]}"'}).json()
    assert found["totalResults"] == 0
    # and it cannot be added back
    response = scim.patch(
        f"/Groups/{eng['id']}",
        json=patch_body({"op": "add", "path": "members", "value": [{"value": ann["id"]}]}),
    )
    assert_scim_error(response, 400, "invalidValue")


def test_deleted_user_loses_access_but_the_row_stays(scim, db):
    ann = scim.create_user("ann@example.com", displayName="Ann Lee")
    assert scim.delete(f"/Users/{ann['id']}").status_code == 204
    with db.read() as conn:
        row = conn.execute(select(users).where(users.c.id == ann["id"])).one()
        assert row.deleted_at is not None
        assert row.active is False or row.active == 0
        assert row.user_name == "ann@example.com" and row.display_name == "Ann Lee"
        assert (
            conn.execute(select(group_members).where(group_members.c.user_pk == row.pk)).first()
            is None
        )


def test_deleted_user_name_can_be_provisioned_again(scim):
    ann = scim.create_user("Ann@example.com")
    assert scim.delete(f"/Users/{ann['id']}").status_code == 204
    again = scim.create_user("ann@EXAMPLE.com")
    assert again["id"] != ann["id"]
    assert again["userName"] == "ann@EXAMPLE.com"
    assert_scim_error(scim.get(f"/Users/{ann['id']}"), 404)
    found = scim.get("/Users", params={"filter": 'userName eq "ANN@example.com"'}).json()
    assert [u["id"] for u in found["Resources"]] == [again["id"]]
    # the new one is unique among the living: a third is a conflict
    assert_scim_error(scim.post("/Users", json={"userName": "ann@example.com"}), 409, "uniqueness")
    # deleted twice over: both rows stay, neither is in the view
    assert scim.delete(f"/Users/{again['id']}").status_code == 204
    third = scim.create_user("ann@example.com")
    assert scim.get("/Users").json()["totalResults"] == 1
    assert scim.get("/Users").json()["Resources"][0]["id"] == third["id"]


def test_deleted_user_is_not_counted_in_total_results(scim, db):
    ids = [scim.create_user(f"user{i}@example.com")["id"] for i in range(5)]
    assert _count_row(db, scim.tenant.account_id) == 5
    for user_id in ids[:2]:
        assert scim.delete(f"/Users/{user_id}").status_code == 204
    assert _count_row(db, scim.tenant.account_id) == 3
    # a full first page needs the count: the trigger-kept one, unfiltered
    page = scim.get("/Users", params={"startIndex": 1, "count": 2}).json()
    assert page["totalResults"] == 3 and len(page["Resources"]) == 2
    # and the counted one, filtered
    page = scim.get("/Users", params={"filter": 'userName sw "user"', "count": 1}).json()
    assert page["totalResults"] == 3
    # a short page ends the list
    assert scim.get("/Users").json()["totalResults"] == 3
    scim.create_user("user0@example.com")
    assert _count_row(db, scim.tenant.account_id) == 4
    assert scim.get("/Users", params={"count": 1}).json()["totalResults"] == 4


def test_deleted_manager_is_cleared_from_reports(scim):
    boss = scim.create_user("boss@example.com")
    ann = scim.create_user("ann@example.com", **{ENTERPRISE: {"manager": {"value": boss["id"]}}})
    assert ann[ENTERPRISE]["manager"]["value"] == boss["id"]
    version = scim.get(f"/Users/{ann['id']}").json()["meta"]["version"]
    assert scim.delete(f"/Users/{boss['id']}").status_code == 204
    doc = scim.get(f"/Users/{ann['id']}").json()
    assert ENTERPRISE not in doc and ENTERPRISE not in doc["schemas"]
    assert doc["meta"]["version"] != version


def test_if_match_guards_a_delete(scim):
    ann = scim.create_user("ann@example.com")
    response = scim.delete(f"/Users/{ann['id']}", headers={"If-Match": 'W/"999"'})
    assert_scim_error(response, 412)
    assert scim.get(f"/Users/{ann['id']}").status_code == 200
    response = scim.delete(f"/Users/{ann['id']}", headers={"If-Match": ann["meta"]["version"]})
    assert response.status_code == 204


def test_admin_still_sees_the_deleted_user(scim, db):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    scim.delete(f"/Users/{ann['id']}")
    account = scim.tenant.account_id

    total, listed = directory.account_users(db, account)
    assert total == 2
    deleted = {item.user.id: item.user.deleted_at for item in listed}
    assert deleted[ann["id"]] is not None and deleted[bob["id"]] is None

    total, listed = directory.account_users(db, account, deleted=True)
    assert total == 1 and [item.user.id for item in listed] == [ann["id"]]
    total, listed = directory.account_users(db, account, active=False, deleted=False)
    assert total == 0
    assert directory.account_user(db, account, ann["id"]).user.deleted_at is not None
    counts = directory.directory_counts(db, account)
    assert (counts.users, counts.active_users) == (1, 1)
