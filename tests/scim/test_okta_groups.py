"""Okta's group pushes, request by request: lookup, create, rename, membership changes, unlink."""

from __future__ import annotations

from typing import Any

from enlist.domain.model import UserFields
from enlist.store.directory import UserStore
from tests.helpers import assert_scim_error

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def member_ids(scim: Any, group_id: str) -> list[str]:
    response = scim.get(f"/Groups/{group_id}")
    assert response.status_code == 200, response.text
    return sorted(m["value"] for m in response.json().get("members", []))


def okta_group_lookup(scim: Any, name: str) -> dict[str, Any]:
    response = scim.get(
        "/Groups", params={"filter": f'displayName eq "{name}"', "startIndex": 1, "count": 100}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def okta_create_group(scim: Any, name: str = "Eng") -> dict[str, Any]:
    response = scim.post("/Groups", json={"displayName": name, "members": []})
    assert response.status_code == 201, response.text
    return dict(response.json())


def okta_touch(group: dict[str, Any]) -> dict[str, Any]:
    """The path-less replace Okta sends right after create and on every membership change."""
    return patch_body(
        {"op": "replace", "value": {"id": group["id"], "displayName": group["displayName"]}}
    )


def add_members(*users: dict[str, Any]) -> dict[str, Any]:
    return patch_body(
        {
            "op": "add",
            "path": "members",
            "value": [{"value": u["id"], "display": u["userName"]} for u in users],
        }
    )


def remove_member(user_id: str) -> dict[str, Any]:
    return patch_body({"op": "remove", "path": f'members[value eq "{user_id}"]'})


# lookup, create, rename, delete -------------------------------------------------------


def test_okta_pushes_new_group_after_empty_lookup(scim):
    found = okta_group_lookup(scim, "Eng")
    assert found["schemas"] == [LIST_SCHEMA]
    assert found["totalResults"] == 0 and found["Resources"] == []

    response = scim.post("/Groups", json={"displayName": "Eng", "members": []})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    group = response.json()
    assert group["schemas"] == [GROUP_SCHEMA]
    assert group["displayName"] == "Eng"
    assert group.get("members", []) == []
    assert response.headers["location"] == group["meta"]["location"]
    assert group["meta"]["resourceType"] == "Group"

    found = okta_group_lookup(scim, "eng")
    assert [g["id"] for g in found["Resources"]] == [group["id"]]


def test_okta_pathless_replace_after_create_keeps_members(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    group = scim.create_group("Eng", [alice["id"], bob["id"]])

    response = scim.patch(f"/Groups/{group['id']}", json=okta_touch(group))
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert member_ids(scim, group["id"]) == sorted([alice["id"], bob["id"]])
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"


def test_okta_renames_group(scim):
    alice = scim.create_user("alice@example.com")
    group = scim.create_group("Eng", [alice["id"]])
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body(
            {"op": "replace", "value": {"id": group["id"], "displayName": "Engineering"}}
        ),
    )
    assert response.status_code == 204, response.text
    later = scim.get(f"/Groups/{group['id']}").json()
    assert later["displayName"] == "Engineering"
    assert [m["value"] for m in later["members"]] == [alice["id"]]
    assert okta_group_lookup(scim, "Eng")["totalResults"] == 0
    assert okta_group_lookup(scim, "Engineering")["totalResults"] == 1

    by_path = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "replace", "path": "displayName", "value": "Eng Team"}),
    )
    assert by_path.status_code == 204, by_path.text
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng Team"


def test_okta_rename_to_existing_group_name_is_a_conflict(scim):
    scim.create_group("Sales")
    group = scim.create_group("Eng")
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "replace", "value": {"displayName": "SALES"}}),
    )
    assert_scim_error(response, 409, "uniqueness")
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"


def test_okta_unlinks_group_with_delete(scim):
    alice = scim.create_user("alice@example.com")
    group = scim.create_group("Eng", [alice["id"]])
    response = scim.delete(f"/Groups/{group['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert_scim_error(scim.get(f"/Groups/{group['id']}"), 404)
    assert_scim_error(scim.delete(f"/Groups/{group['id']}"), 404)
    assert okta_group_lookup(scim, "Eng")["totalResults"] == 0
    # the user stays, without the membership
    user = scim.get(f"/Users/{alice['id']}").json()
    assert user.get("groups", []) == []


# membership ---------------------------------------------------------------------------


def test_okta_adds_members_appending_and_deduplicating(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    carol = scim.create_user("carol@example.com")
    group = okta_create_group(scim)

    response = scim.patch(f"/Groups/{group['id']}", json=add_members(alice))
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == [alice["id"]]

    response = scim.patch(f"/Groups/{group['id']}", json=add_members(bob, alice, bob))
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == sorted([alice["id"], bob["id"]])

    # adding an existing member is a no-op
    response = scim.patch(f"/Groups/{group['id']}", json=add_members(alice))
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == sorted([alice["id"], bob["id"]])

    scim.patch(f"/Groups/{group['id']}", json=add_members(carol))
    assert member_ids(scim, group["id"]) == sorted([alice["id"], bob["id"], carol["id"]])


def test_okta_removes_member_by_filter_path(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    group = scim.create_group("Eng", [alice["id"], bob["id"]])

    response = scim.patch(f"/Groups/{group['id']}", json=remove_member(alice["id"]))
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == [bob["id"]]
    # the user is still there, just not in the group
    assert scim.get(f"/Users/{alice['id']}").json().get("groups", []) == []


def test_okta_removing_a_non_member_is_a_no_op(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    group = scim.create_group("Eng", [alice["id"]])

    response = scim.patch(f"/Groups/{group['id']}", json=remove_member(bob["id"]))
    assert response.status_code == 204, response.text
    response = scim.patch(f"/Groups/{group['id']}", json=remove_member("00919288221112222"))
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == [alice["id"]]


def test_okta_push_now_replaces_member_list(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    carol = scim.create_user("carol@example.com")
    group = scim.create_group("Eng", [alice["id"], bob["id"]])

    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body(
            {
                "op": "replace",
                "path": "members",
                "value": [{"value": bob["id"]}, {"value": carol["id"]}],
            }
        ),
    )
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == sorted([bob["id"], carol["id"]])

    response = scim.patch(
        f"/Groups/{group['id']}", json=patch_body({"op": "replace", "path": "members", "value": []})
    )
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == []
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Eng"


def test_okta_wizard_app_puts_full_member_list(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    carol = scim.create_user("carol@example.com")
    group = scim.create_group("Eng", [alice["id"], bob["id"]])

    body = {
        "schemas": [GROUP_SCHEMA],
        "id": group["id"],
        "displayName": "Eng",
        "members": [{"value": bob["id"], "display": "bob@example.com"}, {"value": carol["id"]}],
        "meta": group["meta"],
    }
    response = scim.put(f"/Groups/{group['id']}", json=body)
    assert response.status_code == 200, response.text
    assert sorted(m["value"] for m in response.json()["members"]) == sorted(
        [bob["id"], carol["id"]]
    )
    assert member_ids(scim, group["id"]) == sorted([bob["id"], carol["id"]])

    response = scim.put(f"/Groups/{group['id']}", json={"displayName": "Eng", "members": []})
    assert response.status_code == 200, response.text
    assert member_ids(scim, group["id"]) == []


def test_okta_sends_several_operations_in_one_patch(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    carol = scim.create_user("carol@example.com")
    group = scim.create_group("Eng", [alice["id"]])

    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body(
            {"op": "replace", "value": {"id": group["id"], "displayName": "Eng"}},
            {
                "op": "add",
                "path": "members",
                "value": [{"value": bob["id"]}, {"value": carol["id"]}],
            },
            {"op": "remove", "path": f'members[value eq "{alice["id"]}"]'},
            {"op": "replace", "path": "displayName", "value": "Engineering"},
        ),
    )
    assert response.status_code == 204, response.text
    later = scim.get(f"/Groups/{group['id']}").json()
    assert later["displayName"] == "Engineering"
    assert sorted(m["value"] for m in later["members"]) == sorted([bob["id"], carol["id"]])


def test_okta_group_patch_answers_projected_group_when_attributes_asked(scim):
    alice = scim.create_user("alice@example.com")
    group = scim.create_group("Eng")

    response = scim.patch(
        f"/Groups/{group['id']}",
        json=add_members(alice),
        params={"attributes": "members,displayName"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == group["id"]
    assert body["displayName"] == "Eng"
    assert [m["value"] for m in body["members"]] == [alice["id"]]
    assert "meta" not in body

    response = scim.patch(
        f"/Groups/{group['id']}", json=okta_touch(group), params={"excludedAttributes": "members"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == group["id"] and body["displayName"] == "Eng"
    assert "members" not in body
    assert member_ids(scim, group["id"]) == [alice["id"]]


def test_okta_lists_groups_without_members_when_excluded(scim):
    alice = scim.create_user("alice@example.com")
    group = scim.create_group("Eng", [alice["id"]])
    body = scim.get("/Groups", params={"excludedAttributes": "members"}).json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == group["id"]
    assert body["Resources"][0]["displayName"] == "Eng"
    assert "members" not in body["Resources"][0]
    one = scim.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"}).json()
    assert "members" not in one and one["displayName"] == "Eng"


def test_okta_adds_a_thousand_members_in_one_patch(scim, db):
    with db.write() as conn:
        store = UserStore(conn, scim.tenant.account_id)
        ids = [
            store.insert(UserFields(user_name=f"member{i:04d}@example.com")) for i in range(1000)
        ]
    group = okta_create_group(scim)
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "add", "path": "members", "value": [{"value": i} for i in ids]}),
    )
    assert response.status_code == 204, response.text
    assert member_ids(scim, group["id"]) == sorted(ids)
    found = scim.get("/Groups", params={"filter": f'members.value eq "{ids[500]}"'}).json()
    assert [g["id"] for g in found["Resources"]] == [group["id"]]


def test_user_groups_attribute_lists_memberships(scim):
    alice = scim.create_user("alice@example.com")
    eng = scim.create_group("Eng", [alice["id"]])
    ops = scim.create_group("Ops")
    scim.create_group("Sales")
    scim.patch(f"/Groups/{ops['id']}", json=add_members(alice))

    user = scim.get(f"/Users/{alice['id']}").json()
    assert sorted(g["value"] for g in user["groups"]) == sorted([eng["id"], ops["id"]])
    assert {g["display"] for g in user["groups"]} == {"Eng", "Ops"}
    assert all(g["$ref"].endswith(f"/Groups/{g['value']}") for g in user["groups"])

    listed = scim.get("/Users", params={"filter": 'userName eq "alice@example.com"'}).json()
    assert sorted(g["value"] for g in listed["Resources"][0]["groups"]) == sorted(
        [eng["id"], ops["id"]]
    )


def test_groups_filtered_by_member_value(scim):
    alice = scim.create_user("alice@example.com")
    bob = scim.create_user("bob@example.com")
    eng = scim.create_group("Eng", [alice["id"], bob["id"]])
    ops = scim.create_group("Ops", [bob["id"]])
    scim.create_group("Sales")

    found = scim.get("/Groups", params={"filter": f'members.value eq "{alice["id"]}"'}).json()
    assert [g["id"] for g in found["Resources"]] == [eng["id"]]
    found = scim.get("/Groups", params={"filter": f'members[value eq "{bob["id"]}"]'}).json()
    assert sorted(g["id"] for g in found["Resources"]) == sorted([eng["id"], ops["id"]])
    found = scim.get("/Groups", params={"filter": 'members.value eq "00919288221112222"'}).json()
    assert found["totalResults"] == 0 and found["Resources"] == []


def test_unknown_group_id_is_not_found(scim):
    assert_scim_error(scim.get("/Groups/00919288221112222"), 404)
    assert_scim_error(
        scim.patch("/Groups/00919288221112222", json=okta_touch({"id": "x", "displayName": "X"})),
        404,
    )
    assert_scim_error(scim.put("/Groups/00919288221112222", json={"displayName": "X"}), 404)
    assert_scim_error(scim.delete("/Groups/00919288221112222"), 404)
