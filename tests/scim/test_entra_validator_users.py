"""Microsoft Entra ID's SCIM validator, user tests, request by request (Entra's dialect:
capitalised ops, "True"/"False" strings, dotted keys, the manager as a bare id string)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import (
    LIST_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    assert_list_response,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MANAGER_PATH = f"{ENTERPRISE}:manager"


def entra_new_user(user_name: str | None = None) -> dict[str, Any]:
    """The body Entra's validator posts to create a user."""
    name = user_name or f"Test_User_{uuid.uuid4()}@example.com"
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": str(uuid.uuid4()),
        "userName": name,
        "active": True,
        "displayName": "givenName familyName",
        "emails": [{"primary": True, "type": "work", "value": name}],
        "meta": {"resourceType": "User"},
        "name": {
            "formatted": "givenName familyName",
            "familyName": "familyName",
            "givenName": "givenName",
        },
        "roles": [],
        ENTERPRISE: {"employeeNumber": "1001", "department": "Engineering"},
    }


def entra_patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def _created(scim: Any, user_name: str | None = None) -> dict[str, Any]:
    response = scim.post("/Users", json=entra_new_user(user_name))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _lookup(scim: Any, expression: str) -> dict[str, Any]:
    response = scim.get("/Users", params={"filter": expression})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = dict(response.json())
    assert_list_response(body)
    return body


def test_entra_creates_a_user(scim):
    body = entra_new_user("Test_User_Ab6490ee@example.com")
    response = scim.post(
        "/Users", json=body, headers={"Content-Type": "application/scim+json; charset=utf-8"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    doc = response.json()
    assert response.headers["location"] == doc["meta"]["location"]
    assert doc["userName"] == "Test_User_Ab6490ee@example.com"
    assert doc["externalId"] == body["externalId"]
    assert doc["name"] == body["name"]
    assert doc["active"] is True
    assert doc["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert doc[ENTERPRISE] == {"employeeNumber": "1001", "department": "Engineering"}
    assert "roles" not in doc and "password" not in doc
    assert doc["meta"]["resourceType"] == "User"


def test_entra_duplicate_user_is_a_409(scim):
    user = _created(scim)
    again = entra_new_user(user["userName"].upper())
    assert_scim_error(scim.post("/Users", json=again), 409, "uniqueness")


def test_entra_filters_for_an_existing_user(scim):
    user = _created(scim)
    body = _lookup(scim, f'userName eq "{user["userName"]}"')
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == user["id"]
    assert body["schemas"] == [LIST_SCHEMA]
    by_external = _lookup(scim, f'externalId eq "{user["externalId"]}"')
    assert [u["id"] for u in by_external["Resources"]] == [user["id"]]
    by_email = _lookup(scim, f'emails[type eq "work"].value eq "{user["userName"]}"')
    assert [u["id"] for u in by_email["Resources"]] == [user["id"]]


def test_entra_filters_for_a_missing_user(scim):
    _created(scim)
    body = _lookup(scim, f'userName eq "{uuid.uuid4()}"')
    assert body["totalResults"] == 0 and body["Resources"] == []
    assert _lookup(scim, f'externalId eq "{uuid.uuid4()}"')["totalResults"] == 0


def test_entra_filters_for_an_existing_user_in_a_different_case(scim):
    user = _created(scim, "Test_User_MixedCase@example.com")
    body = _lookup(scim, 'userName eq "TEST_USER_MIXEDCASE@EXAMPLE.COM"')
    assert [u["id"] for u in body["Resources"]] == [user["id"]]
    assert body["Resources"][0]["userName"] == "Test_User_MixedCase@example.com"


def test_entra_patch_replaces_attributes_verbose(scim):
    user = _created(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updated@example.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Replace", "path": "externalId", "value": "updatedExternalId"},
            {
                "op": "Replace",
                "value": {
                    "name.givenName": "updatedGivenName",
                    "displayName": "updatedDisplayName",
                    "active": "False",
                    "title": "updatedTitle",
                    f"{ENTERPRISE}:department": "updatedDepartment",
                },
            },
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
            {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Redmond"},
        ),
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["emails"] == [{"value": "updated@example.com", "type": "work", "primary": True}]
    assert doc["name"]["familyName"] == "updatedFamilyName"
    assert doc["name"]["givenName"] == "updatedGivenName"
    assert doc["displayName"] == "updatedDisplayName"
    assert doc["externalId"] == "updatedExternalId"
    assert doc["title"] == "updatedTitle"
    assert doc["active"] is False
    assert doc[ENTERPRISE]["department"] == "updatedDepartment"
    assert doc[ENTERPRISE]["employeeNumber"] == "1001"
    assert doc["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert doc["addresses"] == [{"type": "work", "locality": "Redmond"}]
    assert scim.get(f"/Users/{user['id']}").json() == doc


def test_entra_updates_user_name(scim):
    user = _created(scim)
    new_name = f"{uuid.uuid4()}@example.com"
    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch({"op": "Replace", "path": "userName", "value": new_name}),
    )
    assert response.status_code == 200, response.text
    assert response.json()["userName"] == new_name
    assert [u["id"] for u in _lookup(scim, f'userName eq "{new_name}"')["Resources"]] == [
        user["id"]
    ]
    assert _lookup(scim, f'userName eq "{user["userName"]}"')["totalResults"] == 0


def test_entra_disables_a_user(scim):
    user = _created(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch({"op": "Replace", "path": "active", "value": False}),
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    # the older dialect: a string, no path
    response = scim.patch(
        f"/Users/{user['id']}", json=entra_patch({"op": "Replace", "value": {"active": "True"}})
    )
    assert response.json()["active"] is True
    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch({"op": "Replace", "path": "active", "value": "False"}),
    )
    assert response.json()["active"] is False
    # a disabled user is still found by the lookup
    assert _lookup(scim, f'userName eq "{user["userName"]}"')["totalResults"] == 1


def test_entra_adds_replaces_and_removes_the_manager(scim):
    user = _created(scim)
    boss = _created(scim)
    other = _created(scim)

    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch({"op": "Add", "path": MANAGER_PATH, "value": boss["id"]}),
    )
    assert response.status_code == 200, response.text
    manager = response.json()[ENTERPRISE]["manager"]
    assert manager == {
        "value": boss["id"],
        "$ref": boss["meta"]["location"],
        "displayName": "givenName familyName",
    }

    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch({"op": "Replace", "path": MANAGER_PATH, "value": other["id"]}),
    )
    assert response.json()[ENTERPRISE]["manager"]["value"] == other["id"]
    found = _lookup(scim, f'{ENTERPRISE}:manager.value eq "{other["id"]}"')
    assert [u["id"] for u in found["Resources"]] == [user["id"]]

    response = scim.patch(
        f"/Users/{user['id']}", json=entra_patch({"op": "Remove", "path": MANAGER_PATH})
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert "manager" not in doc[ENTERPRISE]
    assert doc[ENTERPRISE] == {"employeeNumber": "1001", "department": "Engineering"}
    assert scim.get(f"/Users/{user['id']}").json() == doc


def test_entra_manager_in_its_other_shapes(scim):
    user = _created(scim)
    boss = _created(scim)
    shapes = [
        {"value": boss["id"]},
        [{"value": boss["id"]}],  # older Entra: a list of one object
        {"$ref": boss["meta"]["location"]},
    ]
    for shape in shapes:
        scim.patch(f"/Users/{user['id']}", json=entra_patch({"op": "Remove", "path": MANAGER_PATH}))
        response = scim.patch(
            f"/Users/{user['id']}",
            json=entra_patch({"op": "Replace", "path": MANAGER_PATH, "value": shape}),
        )
        assert response.status_code == 200, response.text
        assert response.json()[ENTERPRISE]["manager"]["value"] == boss["id"], shape
    # clearing it: an empty string, null, an object with an empty value
    for empty in ("", None, {"value": ""}, {"value": None}):
        scim.patch(
            f"/Users/{user['id']}",
            json=entra_patch({"op": "Replace", "path": MANAGER_PATH, "value": boss["id"]}),
        )
        response = scim.patch(
            f"/Users/{user['id']}",
            json=entra_patch({"op": "Replace", "path": MANAGER_PATH, "value": empty}),
        )
        assert "manager" not in response.json()[ENTERPRISE], empty


def test_entra_deletes_a_user(scim):
    user = _created(scim)
    response = scim.delete(f"/Users/{user['id']}")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)
    assert _lookup(scim, f'userName eq "{user["userName"]}"')["totalResults"] == 0


def test_entra_deletes_a_missing_user(scim):
    assert_scim_error(scim.delete(f"/Users/{uuid.uuid4()}"), 404)


def test_entra_deletes_a_user_twice(scim):
    user = _created(scim)
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(scim.delete(f"/Users/{user['id']}"), 404)
    assert_scim_error(scim.delete(f"/Users/{user['id']}"), 404)


def test_entra_sends_several_operations_on_the_same_attribute(scim):
    user = _created(scim)
    boss = _created(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=entra_patch(
            {"op": "Add", "path": MANAGER_PATH, "value": user["id"]},
            {"op": "Replace", "path": MANAGER_PATH, "value": boss["id"]},
            {"op": "Replace", "path": "displayName", "value": "first"},
            {"op": "Replace", "path": "displayName", "value": "second"},
            {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w1@example.com"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "w2@example.com"},
        ),
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert doc["displayName"] == "second"
    assert [e["value"] for e in doc["emails"]] == ["w2@example.com"]


def test_entra_gets_a_user_by_id_and_an_unknown_id(scim):
    user = _created(scim)
    response = scim.get(f"/Users/{user['id']}")
    assert response.status_code == 200
    assert response.json() == user
    assert_scim_error(scim.get(f"/Users/{uuid.uuid4()}"), 404)
