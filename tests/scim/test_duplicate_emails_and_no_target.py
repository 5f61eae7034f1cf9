"""Two RFC points an outside conformance suite found: duplicate emails are stored once on
every write path (RFC 7643 §2.4), and a PATCH value path that matches nothing answers
noTarget (RFC 7644 §3.5.2.3) unless it is the Entra form that creates a typed entry."""

from __future__ import annotations

from typing import Any

PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(scim: Any, user_id: str, *operations: dict[str, Any]) -> Any:
    return scim.patch(
        f"/Users/{user_id}", json={"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
    )


def _refused(response: Any, scim_type: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["scimType"] == scim_type, body
    return str(body["detail"])


def _emails(doc: dict[str, Any]) -> list[tuple[str, str | None, bool]]:
    return [(e["value"], e.get("type"), e.get("primary", False)) for e in doc.get("emails", [])]


# duplicate emails ------------------------------------------------------------------------


def test_okta_post_with_the_same_work_email_twice_stores_it_once(scim):
    user = scim.create_user(
        "ann@example.com",
        emails=[
            {"value": "ann@example.com", "type": "work"},
            {"value": "ANN@Example.com", "type": "Work", "primary": True},
        ],
    )
    assert _emails(user) == [("ann@example.com", "work", True)]
    assert _emails(scim.get(f"/Users/{user['id']}").json()) == [("ann@example.com", "work", True)]


def test_put_with_duplicate_emails_stores_them_once(scim):
    user = scim.create_user("ann@example.com")
    body = {
        "userName": "ann@example.com",
        "emails": [
            {"value": "ann@example.com", "type": "work", "primary": True},
            {"value": "ann.lee@example.com", "type": "home"},
            {"value": "Ann@example.com", "type": "work"},
        ],
    }
    response = scim.put(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    expected = [("ann@example.com", "work", True), ("ann.lee@example.com", "home", False)]
    assert _emails(response.json()) == expected
    by_filter = scim.get("/Users", params={"filter": 'emails.value eq "ann@example.com"'}).json()
    assert by_filter["totalResults"] == 1


def test_patch_replace_of_the_email_list_with_duplicates_stores_them_once(scim):
    user = scim.create_user("ann@example.com")
    duplicates = [{"value": "ann@example.com", "type": "work"}] * 2
    response = _patch(scim, user["id"], {"op": "replace", "path": "emails", "value": duplicates})
    assert response.status_code == 200, response.text
    assert _emails(response.json()) == [("ann@example.com", "work", False)]


def test_the_same_address_with_two_types_is_not_a_duplicate(scim):
    user = scim.create_user(
        "ann@example.com",
        emails=[
            {"value": "ann@example.com", "type": "work", "primary": True},
            {"value": "ann@example.com", "type": "home"},
        ],
    )
    assert _emails(user) == [("ann@example.com", "work", True), ("ann@example.com", "home", False)]


# value paths that match nothing -----------------------------------------------------------


def test_entra_add_of_a_typed_phone_number_the_user_lacks_creates_it(scim):
    user = scim.create_user("ann@example.com")
    response = _patch(
        scim,
        user["id"],
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
        {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Redmond"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert response.json()["addresses"] == [{"type": "work", "locality": "Redmond"}]


def test_replace_of_a_whole_entry_that_does_not_exist_is_no_target(scim):
    user = scim.create_user("ann@example.com")
    response = _patch(
        scim,
        user["id"],
        {
            "op": "replace",
            "path": 'emails[type eq "home"]',
            "value": {"value": "ann.home@example.com", "type": "home"},
        },
    )
    assert "home" in _refused(response, "noTarget")
    assert _emails(scim.get(f"/Users/{user['id']}").json()) == [("ann@example.com", "work", True)]


def test_a_value_path_whose_filter_is_not_equality_and_matches_nothing_is_no_target(scim):
    user = scim.create_user("ann@example.com")
    response = _patch(
        scim, user["id"], {"op": "replace", "path": 'emails[value sw "zed"].type', "value": "home"}
    )
    _refused(response, "noTarget")
    either = 'emails[type eq "home" or type eq "other"].value'
    response = _patch(scim, user["id"], {"op": "add", "path": either, "value": "a@example.com"})
    _refused(response, "noTarget")


def test_a_value_path_describing_an_unknown_sub_attribute_is_no_target(scim):
    user = scim.create_user("ann@example.com")
    response = _patch(
        scim,
        user["id"],
        {"op": "replace", "path": 'emails[kind eq "home"].value', "value": "a@example.com"},
    )
    _refused(response, "noTarget")


def test_a_refused_operation_leaves_the_whole_patch_unapplied(scim):
    user = scim.create_user("ann@example.com", title="Engineer")
    response = _patch(
        scim,
        user["id"],
        {"op": "replace", "path": "title", "value": "Manager"},
        {"op": "replace", "path": 'emails[type eq "home"]', "value": {"value": "x@example.com"}},
    )
    _refused(response, "noTarget")
    after = scim.get(f"/Users/{user['id']}")
    assert after.json()["title"] == "Engineer"
    assert after.headers["etag"] == 'W/"1"'
