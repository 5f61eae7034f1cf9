"""Google Workspace and JumpCloud: plain RFC 7644, request by request, enterprise extension too."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import LIST_SCHEMA, PATCH_SCHEMA, USER_SCHEMA

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def rfc_patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def test_discovery_first(scim):
    config = scim.get("/ServiceProviderConfig")
    assert config.status_code == 200 and config.json()["patch"]["supported"] is True
    schemas = {s["id"] for s in scim.get("/Schemas").json()["Resources"]}
    assert {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE} <= schemas


def test_rfc_user_lifecycle(scim):
    body = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": "carl@example.com",
        "externalId": "jc-5f1c",
        "name": {"givenName": "Carl", "familyName": "Berg", "formatted": "Carl Berg"},
        "displayName": "Carl Berg",
        "emails": [{"value": "carl@example.com", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+46 8 123 456", "type": "work"}],
        "addresses": [{"type": "work", "locality": "Stockholm", "country": "SE"}],
        "active": True,
        ENTERPRISE: {"employeeNumber": "E-9", "department": "Finance"},
    }
    response = scim.post("/Users", json=body, headers={"Content-Type": "application/scim+json"})
    assert response.status_code == 201, response.text
    user = response.json()
    assert user[ENTERPRISE] == {"employeeNumber": "E-9", "department": "Finance"}

    found = scim.get("/Users", params={"filter": 'externalId eq "jc-5f1c"'}).json()
    assert found["schemas"] == [LIST_SCHEMA] and [u["id"] for u in found["Resources"]] == [
        user["id"]
    ]

    response = scim.patch(
        f"/Users/{user['id']}",
        json=rfc_patch(
            {"op": "replace", "path": "name.familyName", "value": "Bergström"},
            {
                "op": "add",
                "path": "emails",
                "value": [{"value": "carl.b@example.com", "type": "home"}],
            },
            {"op": "remove", "path": 'phoneNumbers[type eq "work"]'},
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Treasury"},
        ),
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["name"]["familyName"] == "Bergström"
    assert [e["value"] for e in doc["emails"]] == ["carl@example.com", "carl.b@example.com"]
    assert "phoneNumbers" not in doc
    assert doc[ENTERPRISE]["department"] == "Treasury"

    response = scim.patch(
        f"/Users/{user['id']}", json=rfc_patch({"op": "replace", "path": "active", "value": False})
    )
    assert response.json()["active"] is False

    full = scim.get(f"/Users/{user['id']}").json()
    response = scim.put(
        f"/Users/{user['id']}", json={**full, "active": True, "title": "Controller"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Controller" and response.json()["active"] is True
    assert response.json()[ENTERPRISE] == full[ENTERPRISE]

    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)


def test_rfc_group_lifecycle(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    response = scim.post(
        "/Groups",
        json={
            "schemas": [GROUP_SCHEMA],
            "displayName": "Finance",
            "members": [{"value": ann["id"], "type": "User"}],
        },
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert [m["value"] for m in group["members"]] == [ann["id"]]

    response = scim.patch(
        f"/Groups/{group['id']}",
        json=rfc_patch(
            {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
            {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'},
        ),
    )
    assert response.status_code in (200, 204), response.text
    assert [m["value"] for m in scim.get(f"/Groups/{group['id']}").json()["members"]] == [bob["id"]]

    response = scim.put(
        f"/Groups/{group['id']}",
        json={
            "schemas": [GROUP_SCHEMA],
            "displayName": "Finance EU",
            "members": [{"value": ann["id"]}, {"value": bob["id"]}],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Finance EU"
    assert sorted(m["value"] for m in response.json()["members"]) == sorted([ann["id"], bob["id"]])

    # a member deleted by the provider leaves the group
    assert scim.delete(f"/Users/{bob['id']}").status_code == 204
    assert [m["value"] for m in scim.get(f"/Groups/{group['id']}").json()["members"]] == [ann["id"]]

    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Groups/{group['id']}"), 404)
