"""What the scim2-tester conformance run made us fix: root /.search, and a schema that says
what round-trips (active cannot be removed, members.display is computed)."""

from __future__ import annotations

from typing import Any

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _search(scim: Any, **body: Any) -> Any:
    return scim.post("/.search", json={"schemas": [SEARCH], **body})


def test_root_search_pages_users_then_groups_as_one_list(scim: Any) -> None:
    users = [scim.create_user(f"person{i}@example.com")["id"] for i in range(3)]
    groups = [scim.create_group(f"Team {i}")["id"] for i in range(2)]

    seen = []
    for start in (1, 3, 5):
        response = _search(scim, startIndex=start, count=2)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["totalResults"] == 5
        assert page["startIndex"] == start
        seen += [r["id"] for r in page["Resources"]]

    assert seen == users + groups


def test_root_search_with_a_user_filter_finds_only_users(scim: Any) -> None:
    user = scim.create_user("jane@example.com")
    scim.create_group("Engineering")

    response = _search(scim, filter='userName eq "JANE@example.com"', attributes=["userName"])

    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 1
    assert response.json()["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": user["id"],
            "userName": "jane@example.com",
        }
    ]


def test_root_search_with_an_attribute_no_type_has_is_invalid_filter(scim: Any) -> None:
    response = _search(scim, filter='shoeSize eq "42"')

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_removing_active_is_refused_and_the_user_is_unchanged(scim: Any) -> None:
    user = scim.create_user("jane@example.com")

    body = {"schemas": [PATCH], "Operations": [{"op": "remove", "path": "active"}]}
    response = scim.patch(f"/Users/{user['id']}", json=body)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert scim.get(f"/Users/{user['id']}").json()["active"] is True


def test_schemas_say_active_is_required_and_member_display_is_read_only(scim: Any) -> None:
    user_schema = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").json()
    group_schema = scim.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").json()

    active = next(a for a in user_schema["attributes"] if a["name"] == "active")
    members = next(a for a in group_schema["attributes"] if a["name"] == "members")
    display = next(s for s in members["subAttributes"] if s["name"] == "display")
    assert active["required"] is True
    assert display["mutability"] == "readOnly"
