"""Every provider's PATCH dialect on input, strict RFC 7644 on output (PROTOCOL.md)."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import PATCH_SCHEMA, USER_SCHEMA, patch_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _patched(scim: Any, user_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    response = scim.patch(f"/Users/{user_id}", json=patch_body(*operations))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    stored = scim.get(f"/Users/{user_id}").json()
    assert response.json() == stored
    return dict(stored)


def _jane(scim: Any, **extra: Any) -> dict[str, Any]:
    return scim.create_user(
        "jane@example.com",
        name={"givenName": "Jane", "familyName": "Doe"},
        displayName="Jane Doe",
        title="Engineer",
        **extra,
    )


# case-insensitive ops, attribute names and schema URNs -----------------------------------


def test_ops_in_any_case_are_accepted(scim):
    user = _jane(scim)
    for op in ("Replace", "REPLACE", "rePlace"):
        doc = _patched(scim, user["id"], {"op": op, "path": "title", "value": op})
        assert doc["title"] == op
    doc = _patched(scim, user["id"], {"op": "Add", "path": "nickName", "value": "JD"})
    assert doc["nickName"] == "JD"
    doc = _patched(scim, user["id"], {"op": "REMOVE", "path": "nickName"})
    assert "nickName" not in doc


def test_attribute_names_and_urns_in_any_case(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {"op": "replace", "path": "DISPLAYNAME", "value": "A"},
        {"op": "replace", "path": "Name.GivenName", "value": "B"},
        {"op": "replace", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:title", "value": "C"},
        {
            "op": "replace",
            "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
            "value": "D",
        },
        {"op": "replace", "path": 'EMAILS[TYPE eq "work"].VALUE', "value": "jane.doe@example.com"},
    )
    assert doc["displayName"] == "A"
    assert doc["name"] == {"givenName": "B", "familyName": "D"}
    assert doc["title"] == "C"
    assert doc["emails"] == [{"value": "jane.doe@example.com", "type": "work", "primary": True}]
    # the answer uses the canonical names, whatever the request used
    assert "DISPLAYNAME" not in doc and doc["schemas"] == [USER_SCHEMA]


def test_body_keys_of_the_patch_message_in_any_case(scim):
    user = _jane(scim)
    body = {
        "SCHEMAS": [PATCH_SCHEMA],
        "operations": [{"OP": "replace", "PATH": "title", "VALUE": "X"}],
    }
    response = scim.patch(f"/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "X"


def test_post_with_attribute_names_in_any_case(scim):
    response = scim.post(
        "/Users",
        json={
            "SCHEMAS": [USER_SCHEMA.upper()],
            "USERNAME": "ann@example.com",
            "Name": {"GIVENNAME": "Ann"},
            "Emails": [{"Value": "ann@example.com", "PRIMARY": "True", "Type": "work"}],
            "ACTIVE": "True",
        },
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["userName"] == "ann@example.com"
    assert doc["name"] == {"givenName": "Ann"}
    assert doc["emails"] == [{"value": "ann@example.com", "type": "work", "primary": True}]
    assert doc["active"] is True


# boolean strings ---------------------------------------------------------------------------


def test_boolean_strings_become_booleans(scim):
    user = _jane(scim)
    doc = _patched(scim, user["id"], {"op": "Replace", "path": "active", "value": "False"})
    assert doc["active"] is False
    doc = _patched(scim, user["id"], {"op": "Replace", "value": {"active": "True"}})
    assert doc["active"] is True
    doc = _patched(
        scim,
        user["id"],
        {
            "op": "Add",
            "path": "emails",
            "value": [{"value": "j2@example.com", "type": "home", "primary": "True"}],
        },
    )
    assert {e["value"]: e["primary"] for e in doc["emails"]} == {
        "jane@example.com": False,
        "j2@example.com": True,
    }
    doc = _patched(
        scim,
        user["id"],
        {"op": "replace", "path": 'emails[value eq "jane@example.com"].primary', "value": "true"},
    )
    assert {e["value"]: e["primary"] for e in doc["emails"]} == {
        "jane@example.com": True,
        "j2@example.com": False,
    }


def test_a_non_boolean_string_is_refused(scim):
    user = _jane(scim)
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch_body({"op": "replace", "path": "active", "value": "maybe"}),
    )
    assert_scim_error(response, 400, "invalidValue")
    assert scim.get(f"/Users/{user['id']}").json()["active"] is True


# path-less replace with dotted and URN-qualified keys ----------------------------------------


def test_pathless_replace_with_dotted_keys(scim):
    user = _jane(scim)
    doc = _patched(
        scim, user["id"], {"op": "Replace", "value": {"name.givenName": "X", "displayName": "Y"}}
    )
    assert doc["name"] == {"givenName": "X", "familyName": "Doe"}
    assert doc["displayName"] == "Y"


def test_pathless_replace_with_urn_qualified_keys(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {
            "op": "replace",
            "value": {
                "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Y",
                "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName": "Roe",
                f"{ENTERPRISE}:department": "Sales",
                f"{ENTERPRISE}:manager": None,
                "urn:example:params:scim:schemas:extension:acme:2.0:User:badge": "7",
            },
        },
    )
    assert doc["displayName"] == "Y"
    assert doc["name"] == {"givenName": "Jane", "familyName": "Roe"}
    assert doc[ENTERPRISE] == {"department": "Sales"}
    assert "urn:example:params:scim:schemas:extension:acme:2.0:User" not in doc


def test_pathless_replace_with_attributes_nested_under_the_core_urn(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {
            "op": "replace",
            "value": {"urn:ietf:params:scim:schemas:core:2.0:User": {"title": "Boss"}},
        },
    )
    assert doc["title"] == "Boss"


def test_pathless_replace_with_a_value_filter_key(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {"op": "Replace", "value": {'emails[type eq "work"].value': "jane.doe@example.com"}},
    )
    assert [e["value"] for e in doc["emails"]] == ["jane.doe@example.com"]


# remove with a value list ----------------------------------------------------------------


def test_remove_emails_by_value_list(scim):
    user = _jane(
        scim,
        emails=[
            {"value": "jane@example.com", "type": "work", "primary": True},
            {"value": "jd@example.com", "type": "home"},
        ],
    )
    doc = _patched(
        scim, user["id"], {"op": "Remove", "path": "emails", "value": [{"value": "JD@example.com"}]}
    )
    assert [e["value"] for e in doc["emails"]] == ["jane@example.com"]


def test_remove_members_by_value_list(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    group = scim.create_group("Eng", [ann["id"], bob["id"]])
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]}),
    )
    assert response.status_code in (200, 204), response.text
    members = scim.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [bob["id"]]


# add on an existing single value ----------------------------------------------------------


def test_add_on_an_existing_single_value_replaces_it(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {"op": "add", "path": "title", "value": "Manager"},
        {"op": "add", "path": "name.givenName", "value": "Janet"},
        {"op": "add", "value": {"displayName": "Janet Doe"}},
    )
    assert doc["title"] == "Manager"
    assert doc["name"]["givenName"] == "Janet"
    assert doc["displayName"] == "Janet Doe"


# empty values clear ---------------------------------------------------------------------


def test_empty_values_clear_attributes(scim):
    user = _jane(scim, nickName="JD", phoneNumbers=[{"value": "+1 555 0100", "type": "work"}])
    doc = _patched(
        scim,
        user["id"],
        {"op": "replace", "path": "title", "value": ""},
        {"op": "replace", "path": "nickName", "value": None},
        {"op": "replace", "path": "phoneNumbers", "value": []},
        {"op": "replace", "path": "name.familyName", "value": ""},
    )
    for gone in ("title", "nickName", "phoneNumbers"):
        assert gone not in doc, gone
    assert doc["name"] == {"givenName": "Jane"}


def test_empty_values_in_a_pathless_replace_clear_attributes(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {"op": "Replace", "value": {"title": "", "displayName": None, "name": None}},
    )
    for gone in ("title", "displayName", "name"):
        assert gone not in doc, gone


def test_empty_values_in_a_post_are_absent(scim):
    response = scim.post(
        "/Users",
        json={
            "schemas": [USER_SCHEMA],
            "userName": "ann@example.com",
            "displayName": "",
            "title": None,
            "emails": [],
            "phoneNumbers": None,
            "name": {"givenName": "", "familyName": "Lee"},
        },
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    for absent in ("displayName", "title", "emails", "phoneNumbers"):
        assert absent not in doc, absent
    assert doc["name"] == {"familyName": "Lee"}


def test_a_required_attribute_cannot_be_emptied(scim):
    user = _jane(scim)
    response = scim.patch(
        f"/Users/{user['id']}", json=patch_body({"op": "replace", "path": "userName", "value": ""})
    )
    assert_scim_error(response, 400, "invalidValue")
    group = scim.create_group("Eng")
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body({"op": "replace", "path": "displayName", "value": ""}),
    )
    assert_scim_error(response, 400, "invalidValue")


# several operations, all or nothing ----------------------------------------------------------


def test_several_operations_on_the_same_attribute_apply_in_order(scim):
    user = _jane(scim)
    doc = _patched(
        scim,
        user["id"],
        {"op": "replace", "path": "title", "value": "One"},
        {"op": "remove", "path": "title"},
        {"op": "add", "path": "title", "value": "Three"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "active", "value": "True"},
    )
    assert doc["title"] == "Three"
    assert doc["active"] is True


def test_a_failing_operation_leaves_the_user_unchanged(scim):
    user = _jane(scim)
    before = scim.get(f"/Users/{user['id']}").json()
    response = scim.patch(
        f"/Users/{user['id']}",
        json=patch_body(
            {"op": "replace", "path": "title", "value": "Changed"},
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "replace", "path": "userName", "value": "jane@elsewhere.com"},  # not trusted
        ),
    )
    assert_scim_error(response, 400, "invalidValue")
    assert scim.get(f"/Users/{user['id']}").json() == before


def test_a_failing_operation_leaves_the_group_unchanged(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    scim.create_group("Sales")
    group = scim.create_group("Eng", [ann["id"]])
    before = scim.get(f"/Groups/{group['id']}").json()
    # the member is added and the group renamed before the rename's conflict is found
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body(
            {"op": "Add", "path": "members", "value": [{"value": bob["id"]}]},
            {"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]},
            {"op": "Replace", "path": "displayName", "value": "SALES"},
        ),
    )
    assert_scim_error(response, 409, "uniqueness")
    assert scim.get(f"/Groups/{group['id']}").json() == before


def test_several_group_operations_on_members_apply_in_order(scim):
    ann = scim.create_user("ann@example.com")
    bob = scim.create_user("bob@example.com")
    group = scim.create_group("Eng")
    response = scim.patch(
        f"/Groups/{group['id']}",
        json=patch_body(
            {"op": "Add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]},
            {"op": "Remove", "path": "members", "value": [{"value": ann["id"]}]},
            {"op": "Add", "path": "members", "value": [{"value": bob["id"]}]},
            {"op": "Replace", "path": "displayName", "value": "Engineering"},
        ),
    )
    assert response.status_code in (200, 204), response.text
    doc = scim.get(f"/Groups/{group['id']}").json()
    assert doc["displayName"] == "Engineering"
    assert [m["value"] for m in doc["members"]] == [bob["id"]]


# unknown extensions are ignored, not refused -------------------------------------------------


def test_unknown_extension_urns_are_ignored(scim):
    user = _jane(scim)
    acme = "urn:example:params:scim:schemas:extension:acme:2.0:User"
    doc = _patched(
        scim,
        user["id"],
        {"op": "add", "path": f"{acme}:badge", "value": "7"},
        {"op": "replace", "value": {acme: {"badge": "8"}, "title": "T"}},
        {"op": "remove", "path": f"{acme}:badge"},
    )
    assert doc["title"] == "T"
    assert acme not in doc and doc["schemas"] == [USER_SCHEMA]
    response = scim.post(
        "/Users",
        json={"schemas": [USER_SCHEMA, acme], "userName": "ann@example.com", acme: {"badge": "9"}},
    )
    assert response.status_code == 201, response.text
    assert acme not in response.json()
