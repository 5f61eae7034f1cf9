"""scim/patch.py on its own: PATCH operations applied to canonical documents and turned into
group changes, without HTTP or a database (the HTTP scenarios are in test_patch_dialects.py)."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.domain.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    TooMany,
)
from enlist.scim.patch import group_changes, operations, patch_user
from enlist.services.directory import (
    AddMembers,
    RemoveMembers,
    RemoveMembersWhere,
    ReplaceMembers,
    SetDisplayName,
    SetExternalId,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _jane() -> dict[str, Any]:
    return {
        "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe",
        "active": True,
        "emails": [{"value": "jane@example.com", "type": "work", "primary": True}],
        "phoneNumbers": [],
        "addresses": [],
        ENTERPRISE: {"department": "Sales", "manager": None},
    }


def _patched(*ops: tuple[str, str | None, Any]) -> dict[str, Any]:
    return patch_user(_jane(), list(ops))


# reading the operations -------------------------------------------------------------------


def test_operations_read_ops_in_any_case_and_drop_blank_paths():
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "operations": [
            {"OP": "Replace", "Path": " title ", "value": "Boss"},
            {"op": "ADD", "path": "  ", "value": {"nickName": "JD"}},
        ],
    }
    assert operations(body, 10) == [("replace", "title", "Boss"), ("add", None, {"nickName": "JD"})]


@pytest.mark.parametrize(
    "body",
    [[], {"Operations": []}, {"Operations": "replace"}, {"Operations": [{"op": "move"}]}],
)
def test_operations_refuse_what_is_not_a_patch(body):
    with pytest.raises(InvalidSyntax):
        operations(body, 10)


def test_operations_are_capped():
    with pytest.raises(TooMany):
        operations({"Operations": [{"op": "remove", "path": "title"}] * 3}, 2)


# users --------------------------------------------------------------------------------------


def test_pathless_replace_with_dotted_and_urn_qualified_keys():
    doc = _patched(
        (
            "replace",
            None,
            {
                "name.givenName": "Janet",
                "ACTIVE": "False",
                f"{ENTERPRISE}:costCenter": "CC-1",
                "urn:example:unknown:ext:thing": "ignored",
            },
        )
    )
    assert doc["name"] == {"givenName": "Janet", "familyName": "Doe"}
    assert doc["active"] == "False"  # read as a boolean when the fields are built
    assert doc[ENTERPRISE]["costCenter"] == "CC-1"


def test_entra_value_path_creates_the_typed_entry_it_describes():
    doc = _patched(("add", 'phoneNumbers[type eq "work" and primary eq true].value', "+1 555"))
    assert doc["phoneNumbers"] == [{"type": "work", "primary": True, "value": "+1 555"}]


def test_a_value_path_that_matches_replaces_only_the_matching_entry():
    jane = _jane()
    jane["emails"].append({"value": "jd@example.com", "type": "home"})
    doc = patch_user(jane, [("replace", 'emails[type eq "HOME"].value', "doe@example.com")])
    assert [e["value"] for e in doc["emails"]] == ["jane@example.com", "doe@example.com"]


@pytest.mark.parametrize(
    "path, value",
    [
        ('emails[type eq "home"]', {"value": "home@example.com"}),  # a whole entry
        ('emails[type ne "work"].value', "x@example.com"),  # not a description of an entry
        ('emails[value co "home"].type', "home"),
        ('emails[bogus eq "x"].value', "x@example.com"),  # an attribute emails lack
    ],
)
def test_value_paths_that_match_nothing_are_no_target(path, value):
    with pytest.raises(NoTarget):
        _patched(("replace", path, value))


def test_add_to_emails_merges_an_existing_address_and_moves_primary():
    doc = _patched(
        ("add", "emails", [{"value": "JANE@example.com", "type": "home", "primary": "True"}]),
        ("add", "emails", {"value": "doe@example.com", "primary": True}),
    )
    assert doc["emails"] == [
        {"value": "JANE@example.com", "type": "home", "primary": False},
        {"value": "doe@example.com", "primary": True},
    ]


def test_remove_emails_by_value_list_and_by_filter():
    jane = _jane()
    jane["emails"].append({"value": "jd@example.com", "type": "home"})
    removed = patch_user(dict(jane), [("remove", "emails", [{"value": "JD@example.com"}])])
    assert [e["value"] for e in removed["emails"]] == ["jane@example.com"]
    filtered = patch_user(jane, [("remove", "emails[primary eq true]", None)])
    assert [e["value"] for e in filtered["emails"]] == ["jd@example.com"]


def test_empty_values_clear_attributes_and_name_parts():
    doc = _patched(
        ("replace", "displayName", ""),
        ("replace", "name.givenName", None),
        ("add", "nickName", []),
    )
    assert doc["displayName"] is None
    assert doc["name"] == {"familyName": "Doe"}
    assert doc["nickName"] is None


def test_active_cannot_be_removed():
    with pytest.raises(InvalidValue, match="active is required"):
        _patched(("remove", "active", None))


def test_entra_manager_as_a_bare_id_and_the_read_only_display_name_ignored():
    doc = _patched(
        (
            "Replace",
            f"{ENTERPRISE}:manager",
            "boss-id",
        )
    )
    assert doc[ENTERPRISE]["manager"] == "boss-id"
    kept = patch_user(doc, [("replace", f"{ENTERPRISE}:manager.displayName", "The Boss")])
    assert kept[ENTERPRISE]["manager"] == "boss-id"
    by_ref = patch_user(kept, [("add", f"{ENTERPRISE}:manager", {"$ref": "../Users/ref-id"})])
    assert by_ref[ENTERPRISE]["manager"] == "ref-id"


def test_paths_that_name_nothing_writable_are_refused():
    with pytest.raises(InvalidPath):
        _patched(("replace", "favouriteColour", "blue"))
    with pytest.raises(InvalidPath):
        _patched(("replace", "name.nickname", "J"))
    with pytest.raises(InvalidPath):
        _patched(("replace", f"{ENTERPRISE}:manager.email", "x"))
    with pytest.raises(InvalidPath):
        _patched(("replace", "__class__", "x"))
    with pytest.raises(Mutability):
        _patched(("replace", "groups", []))


def test_password_and_unknown_extensions_are_ignored_not_refused():
    assert _patched(("replace", "password", "secret")) == _jane()
    assert _patched(("add", "urn:example:ext:1.0:User:badge", "7")) == _jane()


def test_a_remove_needs_a_path():
    with pytest.raises(NoTarget):
        _patched(("remove", None, {"title": "x"}))


# groups ---------------------------------------------------------------------------------------


def test_okta_pathless_replace_of_id_and_display_name_only_renames():
    changes = group_changes([("replace", None, {"id": "g1", "displayName": "Eng"})], 100)
    assert changes == [SetDisplayName("Eng")]


def test_member_operations_become_set_operations():
    changes = group_changes(
        [
            ("add", "members", [{"value": "u1", "display": "a@x.com"}, {"value": "u2"}]),
            ("remove", 'members[value eq "u1"]', None),
            ("remove", "members", [{"value": "u2"}]),
            ("replace", "members", []),
            ("replace", "externalId", ""),
        ],
        100,
    )
    assert isinstance(changes[1], RemoveMembersWhere)
    assert [changes[0], *changes[2:]] == [
        AddMembers(["u1", "u2"]),
        RemoveMembers(["u2"]),
        ReplaceMembers([]),
        SetExternalId(None),
    ]


def test_a_group_patch_naming_too_many_members_is_refused():
    with pytest.raises(TooMany):
        group_changes([("add", "members", [{"value": f"u{i}"} for i in range(3)])], 2)


def test_a_group_display_name_cannot_be_removed():
    with pytest.raises(InvalidValue):
        group_changes([("remove", "displayName", None)], 10)
