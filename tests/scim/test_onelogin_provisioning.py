"""OneLogin's flow, request by request: its JSON template (empty parameters arrive as ""),
lowercase ops for group members, and PUT (never PATCH) for every user change."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import PATCH_SCHEMA, USER_SCHEMA

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def onelogin_user(
    email: str, *, first: str = "Ann", last: str = "Lee", title: str = "", department: str = ""
) -> dict[str, Any]:
    """OneLogin's default SCIM JSON template, filled in (unset parameters become "")."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": email,
        "name": {"familyName": last, "givenName": first},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "title": title,
        ENTERPRISE: {"department": department},
    }


def test_onelogin_provisions_updates_and_deprovisions_a_user(scim):
    # lookup before create: none yet
    lookup = scim.get("/Users", params={"filter": 'userName eq "ann.lee@example.com"'}).json()
    assert lookup["totalResults"] == 0

    response = scim.post("/Users", json=onelogin_user("ann.lee@example.com"))
    assert response.status_code == 201, response.text
    user = response.json()
    # the empty template parameters are absent, not stored as ""
    assert "title" not in user and ENTERPRISE not in user
    assert user["schemas"] == [USER_SCHEMA]

    # a profile change: the whole template again, by PUT
    body = onelogin_user(
        "ann.lee@example.com", last="Lee-Smith", title="Engineer", department="R&D"
    )
    response = scim.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["name"] == {"familyName": "Lee-Smith", "givenName": "Ann"}
    assert doc["title"] == "Engineer"
    assert doc[ENTERPRISE] == {"department": "R&D"}
    assert doc["active"] is True  # a PUT that leaves active out keeps the status

    # suspension: PUT with active false, then back
    response = scim.put(f"/Users/{user['id']}", json={**body, "active": False})
    assert response.json()["active"] is False
    response = scim.put(f"/Users/{user['id']}", json={**body, "active": True})
    assert response.json()["active"] is True

    # a parameter cleared in OneLogin arrives as "" and clears the attribute
    response = scim.put(
        f"/Users/{user['id']}", json={**body, "title": "", ENTERPRISE: {"department": ""}}
    )
    doc = response.json()
    assert "title" not in doc and ENTERPRISE not in doc

    # deprovisioning with the "Delete" action
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 404)


def test_onelogin_put_of_an_email_change(scim):
    user = scim.post("/Users", json=onelogin_user("ann@example.com")).json()
    response = scim.put(f"/Users/{user['id']}", json=onelogin_user("ann.lee@example.com"))
    assert response.status_code == 200, response.text
    assert response.json()["userName"] == "ann.lee@example.com"
    assert response.json()["emails"] == [
        {"value": "ann.lee@example.com", "type": "work", "primary": True}
    ]


def test_onelogin_put_to_another_users_name_is_a_409(scim):
    scim.post("/Users", json=onelogin_user("ann@example.com"))
    bob = scim.post("/Users", json=onelogin_user("bob@example.com", first="Bob")).json()
    assert_scim_error(
        scim.put(f"/Users/{bob['id']}", json=onelogin_user("ANN@example.com")), 409, "uniqueness"
    )


def test_onelogin_group_membership_with_lowercase_ops(scim):
    ann = scim.post("/Users", json=onelogin_user("ann@example.com")).json()
    bob = scim.post("/Users", json=onelogin_user("bob@example.com", first="Bob")).json()
    response = scim.post(
        "/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support"},
    )
    assert response.status_code == 201, response.text
    group = response.json()

    def patch(*operations: dict[str, Any]) -> None:
        response = scim.patch(
            f"/Groups/{group['id']}",
            json={"schemas": [PATCH_SCHEMA], "Operations": list(operations)},
        )
        assert response.status_code in (200, 204), response.text

    patch({"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]})
    patch({"op": "remove", "path": "members", "value": [{"value": ann["id"]}]})
    members = scim.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [bob["id"]]
    patch({"op": "replace", "path": "displayName", "value": "Support Team"})
    assert scim.get(f"/Groups/{group['id']}").json()["displayName"] == "Support Team"
