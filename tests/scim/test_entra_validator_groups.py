"""Microsoft Entra ID's SCIM validator, group tests, request by request."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_entra_validator_users import _created as created_user
from tests.scim.test_entra_validator_users import entra_patch
from tests.scim.test_okta_users import assert_list_response

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def entra_new_group(name: str | None = None) -> dict[str, Any]:
    """The body Entra's validator posts: it carries an id (ignored) and no members."""
    return {
        "externalId": str(uuid.uuid4()),
        "id": str(uuid.uuid4()),
        "displayName": name or f"Group_{uuid.uuid4()}",
        "meta": {"resourceType": "Group"},
    }


def _created(scim: Any, name: str | None = None) -> dict[str, Any]:
    body = entra_new_group(name)
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    doc = dict(response.json())
    assert doc["id"] != body["id"]
    return doc


def _patched(scim: Any, group_id: str, *operations: dict[str, Any]) -> None:
    response = scim.patch(f"/Groups/{group_id}", json=entra_patch(*operations))
    assert response.status_code in (200, 204), response.text
    if response.status_code == 200:
        assert response.headers["content-type"].startswith("application/scim+json")


def _members(scim: Any, group_id: str) -> list[str]:
    return [m["value"] for m in scim.get(f"/Groups/{group_id}").json().get("members", [])]


def test_entra_creates_a_group(scim):
    body = entra_new_group("Entra Group")
    response = scim.post("/Groups", json=body)
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["schemas"] == [GROUP_SCHEMA]
    assert doc["displayName"] == "Entra Group"
    assert doc["externalId"] == body["externalId"]
    assert response.headers["location"] == doc["meta"]["location"]
    assert doc.get("members", []) == []


def test_entra_duplicate_group_is_a_409(scim):
    group = _created(scim, "Duplicate Me")
    assert_scim_error(scim.post("/Groups", json=entra_new_group("DUPLICATE me")), 409, "uniqueness")
    assert group["displayName"] == "Duplicate Me"


def test_entra_gets_a_group_excluding_members(scim):
    user = created_user(scim)
    group = _created(scim)
    _patched(scim, group["id"], {"op": "Add", "path": "members", "value": [{"value": user["id"]}]})
    response = scim.get(f"/Groups/{group['id']}", params={"excludedAttributes": "members"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert "members" not in doc
    assert doc["id"] == group["id"] and doc["displayName"] == group["displayName"]


def test_entra_filters_groups(scim):
    user = created_user(scim)
    group = _created(scim, "Filter Me")
    _patched(scim, group["id"], {"op": "Add", "path": "members", "value": [{"value": user["id"]}]})

    def lookup(expression: str) -> dict[str, Any]:
        response = scim.get(
            "/Groups", params={"excludedAttributes": "members", "filter": expression}
        )
        assert response.status_code == 200, response.text
        body = dict(response.json())
        assert_list_response(body)
        return body

    found = lookup('displayName eq "Filter Me"')
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    assert "members" not in found["Resources"][0]
    assert [g["id"] for g in lookup('displayName eq "FILTER ME"')["Resources"]] == [group["id"]]
    assert [g["id"] for g in lookup(f'externalId eq "{group["externalId"]}"')["Resources"]] == [
        group["id"]
    ]
    missing = lookup(f'displayName eq "{uuid.uuid4()}"')
    assert missing["totalResults"] == 0 and missing["Resources"] == []


def test_entra_replaces_group_attributes(scim):
    group = _created(scim)
    _patched(
        scim,
        group["id"],
        {
            "op": "Replace",
            "path": "displayName",
            "value": f"{group['displayName']}updatedDisplayName",
        },
        {"op": "Replace", "path": "externalId", "value": "updatedExternalId"},
    )
    doc = scim.get(f"/Groups/{group['id']}").json()
    assert doc["displayName"] == f"{group['displayName']}updatedDisplayName"
    assert doc["externalId"] == "updatedExternalId"


def test_entra_renames_a_group(scim):
    user = created_user(scim)
    group = _created(scim, "Old Name")
    _patched(scim, group["id"], {"op": "Add", "path": "members", "value": [{"value": user["id"]}]})
    _patched(scim, group["id"], {"op": "Replace", "value": {"displayName": "New Name"}})
    doc = scim.get(f"/Groups/{group['id']}").json()
    assert doc["displayName"] == "New Name"
    assert [m["value"] for m in doc["members"]] == [user["id"]]
    groups_of_user = scim.get(f"/Users/{user['id']}").json()["groups"]
    assert [(g["value"], g["display"]) for g in groups_of_user] == [(group["id"], "New Name")]


def test_entra_adds_a_member(scim):
    user = created_user(scim)
    group = _created(scim)
    # Entra sends "$ref": null next to the value
    _patched(
        scim,
        group["id"],
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]},
    )
    assert _members(scim, group["id"]) == [user["id"]]
    # adding again changes nothing
    _patched(
        scim,
        group["id"],
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]},
    )
    assert _members(scim, group["id"]) == [user["id"]]


def test_entra_removes_a_member_with_a_value_list(scim):
    ann = created_user(scim)
    bob = created_user(scim)
    group = _created(scim)
    _patched(
        scim,
        group["id"],
        {"op": "Add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]},
    )
    _patched(
        scim,
        group["id"],
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": ann["id"]}]},
    )
    assert _members(scim, group["id"]) == [bob["id"]]
    # the RFC form works as well, and removing a non-member is a no-op
    _patched(scim, group["id"], {"op": "Remove", "path": f'members[value eq "{ann["id"]}"]'})
    _patched(scim, group["id"], {"op": "Remove", "path": f'members[value eq "{bob["id"]}"]'})
    assert _members(scim, group["id"]) == []


def test_entra_sends_several_member_operations_in_one_patch(scim):
    ann = created_user(scim)
    bob = created_user(scim)
    carl = created_user(scim)
    group = _created(scim)
    _patched(
        scim,
        group["id"],
        {"op": "Add", "path": "members", "value": [{"value": ann["id"]}]},
        {"op": "Add", "path": "members", "value": [{"value": bob["id"]}, {"value": carl["id"]}]},
        {"op": "Remove", "path": "members", "value": [{"value": bob["id"]}]},
        {"op": "Replace", "path": "displayName", "value": "Several"},
    )
    doc = scim.get(f"/Groups/{group['id']}").json()
    assert doc["displayName"] == "Several"
    assert sorted(m["value"] for m in doc["members"]) == sorted([ann["id"], carl["id"]])


def test_entra_deletes_a_group(scim):
    user = created_user(scim)
    group = _created(scim)
    _patched(scim, group["id"], {"op": "Add", "path": "members", "value": [{"value": user["id"]}]})
    response = scim.delete(f"/Groups/{group['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_scim_error(scim.get(f"/Groups/{group['id']}"), 404)
    assert_scim_error(scim.delete(f"/Groups/{group['id']}"), 404)
    assert "groups" not in scim.get(f"/Users/{user['id']}").json()


def test_entra_deletes_a_missing_group(scim):
    assert_scim_error(scim.delete(f"/Groups/{uuid.uuid4()}"), 404)
