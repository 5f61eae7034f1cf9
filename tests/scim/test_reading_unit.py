"""scim/reading.py on its own: request bodies and filters read into domain values, in every
provider's dialect, without HTTP or a database."""

from __future__ import annotations

import dataclasses

import pytest
from scim2_models.path import Comparison, LogicalExpr, ValuePath

from enlist.domain.errors import InvalidFilter, InvalidSyntax, InvalidValue
from enlist.domain.model import Email, EnterpriseFields, UserFields
from enlist.domain.schema import ENTERPRISE_USER, USER
from enlist.scim.reading import (
    canonical_user,
    group_fields,
    member_ids,
    parse_filter,
    user_doc_of,
    user_fields,
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _read(body: dict[str, object], current: UserFields | None = None) -> UserFields:
    return user_fields(canonical_user(body), current=current)


def test_okta_body_is_read_with_read_only_and_unknown_attributes_ignored():
    fields = _read(
        {
            "schemas": [CORE],
            "id": "echoed",
            "meta": {"version": 'W/"3"'},
            "USERNAME": " Jane.Doe@example.com ",
            "Name": {"GivenName": "Jane", "familyName": "Doe", "nickname": "dropped"},
            "emails": [{"primary": "True", "value": "jane@example.com", "type": "work"}],
            "locale": "en_US",
            "groups": [{"value": "g1"}],
            "password": "1mz050nq",
            "favouriteColour": "blue",
        }
    )
    assert fields == UserFields(
        user_name="Jane.Doe@example.com",
        name={"givenName": "Jane", "familyName": "Doe"},
        locale="en_US",
        emails=[Email("jane@example.com", "work", True)],
    )


def test_attributes_nested_under_the_core_urn_and_urn_qualified_keys():
    fields = _read(
        {
            CORE: {"userName": "ann@example.com", "title": "Chef"},
            f"{CORE}:displayName": "Ann",
            f"{ENTERPRISE}:department": "Kitchen",
            f"{ENTERPRISE}:manager.value": "boss-id",
        }
    )
    assert (fields.user_name, fields.title, fields.display_name) == (
        "ann@example.com",
        "Chef",
        "Ann",
    )
    assert fields.enterprise == EnterpriseFields(department="Kitchen", manager_id="boss-id")


@pytest.mark.parametrize(
    "manager, expected",
    [
        ({"value": "boss-id", "displayName": "computed"}, "boss-id"),
        ("boss-id", "boss-id"),  # Entra: the id as a bare string
        ([{"value": "boss-id"}], "boss-id"),  # older Entra: a list of one
        ({"$ref": "https://host/scim/v2/Users/ref-id/"}, "ref-id"),
        ({}, None),
        ("", None),
    ],
)
def test_every_shape_of_manager_a_provider_sends(manager, expected):
    fields = _read({"userName": "a@example.com", ENTERPRISE: {"Manager": manager}})
    assert fields.enterprise.manager_id == expected


def test_active_defaults_to_true_and_a_put_without_it_keeps_the_current_status():
    assert _read({"userName": "a@example.com"}).active is True
    inactive = UserFields(user_name="a@example.com", active=False)
    assert _read({"userName": "a@example.com"}, current=inactive).active is False
    assert _read({"userName": "a@example.com", "active": "True"}, current=inactive).active is True


def test_multi_valued_attributes_are_cleaned():
    fields = _read(
        {
            "userName": "a@example.com",
            "emails": {"value": "a@example.com"},  # one object instead of a list
            "phoneNumbers": [{"value": "+1 555", "primary": "False", "display": ""}, {"type": ""}],
            "addresses": [{"locality": "Paris", "Country": "FR"}],
        }
    )
    assert fields.emails == [Email("a@example.com")]
    assert fields.phone_numbers == [{"value": "+1 555", "primary": False}]
    assert fields.addresses == [{"locality": "Paris", "country": "FR"}]


@pytest.mark.parametrize(
    "body, refusal",
    [
        ({}, "userName is required"),
        ({"userName": "  "}, "userName is required"),
        ({"userName": 7}, "userName must be a string"),
        ({"userName": "a@example.com", "active": "yes"}, "active must be true or false"),
        ({"userName": "a@example.com", "title": {"x": 1}}, "title must be a string"),
        ({"userName": "a@example.com", "name": "Ann"}, "name must be an object"),
        ({"userName": "a@example.com", "emails": ["a@example.com"]}, "must be an object"),
    ],
)
def test_values_of_the_wrong_kind_are_refused_plainly(body, refusal):
    with pytest.raises(InvalidValue, match=refusal):
        _read(body)


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(InvalidSyntax):
        canonical_user(["userName"])


def test_the_document_of_stored_fields_reads_back_to_the_same_fields():
    fields = UserFields(
        user_name="jane@example.com",
        external_id="00u1",
        name={"givenName": "Jane"},
        display_name="Jane",
        title="Engineer",
        timezone="Europe/Paris",
        active=False,
        emails=[Email("jane@example.com", "work", True, "Work")],
        phone_numbers=[{"value": "+1 555", "type": "work"}],
        addresses=[{"locality": "Paris"}],
        enterprise=EnterpriseFields(employee_number="42", manager_id="boss-id"),
    )
    assert user_fields(user_doc_of(fields)) == fields


def test_the_registry_names_every_field_of_the_user_model():
    named = {a.field for a in USER.attributes if a.field} | {"enterprise"}
    assert named == {f.name for f in dataclasses.fields(UserFields)}
    kept = {a.field or next(s.field for s in a.subs if s.field) for a in ENTERPRISE_USER.attributes}
    assert kept == {f.name for f in dataclasses.fields(EnterpriseFields)}


def test_groups_are_read_with_members_in_every_shape():
    fields = group_fields(
        {
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName": "Eng",
            "EXTERNALID": "x1",
            "members": [{"value": "u1", "display": "a@x.com"}, "u2"],
        }
    )
    assert (fields.display_name, fields.external_id, fields.member_ids) == (
        "Eng",
        "x1",
        ["u1", "u2"],
    )
    assert member_ids({"value": "u3"}) == ["u3"]
    with pytest.raises(InvalidValue):
        member_ids([{"display": "no value"}])
    with pytest.raises(InvalidValue):
        group_fields({"displayName": " "})


def test_filters_are_parsed_into_trees_and_capped():
    tree = parse_filter('userName eq "a@example.com" and (title pr or active eq false)')
    assert isinstance(tree, LogicalExpr)
    assert isinstance(parse_filter('emails[type eq "work"].value eq "x"'), ValuePath)
    assert isinstance(parse_filter('userName eq "x"'), Comparison)
    with pytest.raises(InvalidFilter, match="longer than the 10 characters"):
        parse_filter('userName eq "a@example.com"', max_length=10)
    with pytest.raises(InvalidFilter, match="nests more than the 2 levels"):
        parse_filter("not (not (not (active eq true)))", max_depth=2)
    with pytest.raises(InvalidFilter, match="could not be read"):
        parse_filter("userName eq")
