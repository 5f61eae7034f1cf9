"""The enterprise User extension (RFC 7643 §4.3): stored, returned under its URN, filtered,
patched in every provider's shape, written by POST and PUT, advertised in discovery."""

from __future__ import annotations

from typing import Any

from tests.helpers import assert_scim_error
from tests.scim.test_okta_users import USER_SCHEMA, patch_body

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

FULL = {
    "employeeNumber": "42",
    "costCenter": "CC-7",
    "organization": "Acme",
    "division": "R&D",
    "department": "Engineering",
}


def _user(scim: Any, user_name: str = "ann@example.com", **extension: Any) -> dict[str, Any]:
    extra = {ENTERPRISE: extension} if extension else {}
    return scim.create_user(user_name, displayName=user_name.split("@")[0].title(), **extra)


def test_post_stores_and_returns_the_extension(scim):
    boss = _user(scim, "boss@example.com")
    response = scim.post(
        "/Users",
        json={
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "ann@example.com",
            ENTERPRISE: {**FULL, "manager": {"value": boss["id"], "displayName": "ignored"}},
        },
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["schemas"] == [USER_SCHEMA, ENTERPRISE]
    assert doc[ENTERPRISE] == {
        **FULL,
        "manager": {"value": boss["id"], "$ref": boss["meta"]["location"], "displayName": "Boss"},
    }
    assert scim.get(f"/Users/{doc['id']}").json() == doc


def test_schemas_lists_the_extension_only_when_the_user_has_a_value(scim):
    plain = _user(scim)
    assert plain["schemas"] == [USER_SCHEMA] and ENTERPRISE not in plain
    # declared in schemas but empty: still not listed
    response = scim.post(
        "/Users",
        json={
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": "bob@example.com",
            ENTERPRISE: {"department": ""},
        },
    )
    assert response.status_code == 201
    assert response.json()["schemas"] == [USER_SCHEMA] and ENTERPRISE not in response.json()


def test_extension_keys_and_urn_in_any_case_and_urn_qualified(scim):
    response = scim.post(
        "/Users",
        json={
            "userName": "ann@example.com",
            ENTERPRISE.upper(): {"EMPLOYEENUMBER": "7", "Department": "Ops"},
            f"{ENTERPRISE}:costCenter": "CC-1",
            f"{ENTERPRISE.lower()}:manager.value": "hr-123",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()[ENTERPRISE] == {
        "employeeNumber": "7",
        "costCenter": "CC-1",
        "department": "Ops",
        "manager": {"value": "hr-123"},
    }


def test_a_manager_that_is_not_a_user_here_is_kept_as_sent(scim):
    # RFC 7643 allows any string; it gets no $ref or displayName (see scim/reading.py)
    ann = _user(scim, manager={"value": "00u1abcd-hr"})
    assert ann[ENTERPRISE]["manager"] == {"value": "00u1abcd-hr"}
    other_tenant_user = "a" * 32
    ann = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body(
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": other_tenant_user}
        ),
    ).json()
    assert ann[ENTERPRISE]["manager"] == {"value": other_tenant_user}


def test_a_manager_of_another_account_gets_no_reference(scim, client, make_tenant):
    from tests.conftest import Scim

    other = Scim(client, make_tenant("other.example", name="Other"))
    stranger = other.create_user("eve@other.example", displayName="Eve")
    ann = _user(scim, manager=stranger["id"])
    assert ann[ENTERPRISE]["manager"] == {"value": stranger["id"]}


def test_put_replaces_the_extension(scim):
    boss = _user(scim, "boss@example.com")
    ann = _user(scim, **FULL, manager=boss["id"])
    body = {**ann, ENTERPRISE: {"department": "Sales", "manager": {"value": boss["id"]}}}
    response = scim.put(f"/Users/{ann['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()[ENTERPRISE] == {
        "department": "Sales",
        "manager": {"value": boss["id"], "$ref": boss["meta"]["location"], "displayName": "Boss"},
    }
    # a PUT without the extension clears it, like any attribute left out
    body = {k: v for k, v in ann.items() if k != ENTERPRISE}
    response = scim.put(f"/Users/{ann['id']}", json=body)
    assert response.status_code == 200, response.text
    assert ENTERPRISE not in response.json()
    assert response.json()["schemas"] == [USER_SCHEMA]


def test_patch_each_attribute_by_urn_path(scim):
    ann = _user(scim)
    for key, value in FULL.items():
        response = scim.patch(
            f"/Users/{ann['id']}",
            json=patch_body({"op": "add", "path": f"{ENTERPRISE}:{key}", "value": value}),
        )
        assert response.status_code == 200, response.text
    doc = scim.get(f"/Users/{ann['id']}").json()
    assert doc[ENTERPRISE] == FULL and doc["schemas"] == [USER_SCHEMA, ENTERPRISE]
    for key in FULL:
        response = scim.patch(
            f"/Users/{ann['id']}", json=patch_body({"op": "remove", "path": f"{ENTERPRISE}:{key}"})
        )
        assert response.status_code == 200, response.text
    doc = scim.get(f"/Users/{ann['id']}").json()
    assert ENTERPRISE not in doc and doc["schemas"] == [USER_SCHEMA]


def test_patch_manager_value_and_ref_sub_attributes(scim):
    boss = _user(scim, "boss@example.com")
    ann = _user(scim)
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body(
            {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": boss["id"]}
        ),
    ).json()
    assert doc[ENTERPRISE]["manager"]["value"] == boss["id"]
    # displayName is read-only: setting it alone changes nothing
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body(
            {"op": "replace", "path": f"{ENTERPRISE}:manager.displayName", "value": "Someone"},
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"displayName": "Someone"}},
        ),
    ).json()
    assert doc[ENTERPRISE]["manager"] == {
        "value": boss["id"],
        "$ref": boss["meta"]["location"],
        "displayName": "Boss",
    }
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body({"op": "remove", "path": f"{ENTERPRISE}:manager.value"}),
    ).json()
    assert ENTERPRISE not in doc


def test_patch_without_path_keyed_by_the_extension_urn(scim):
    boss = _user(scim, "boss@example.com")
    ann = _user(scim, department="Ops", division="North")
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body(
            {
                "op": "Replace",
                "value": {ENTERPRISE: {"department": "Sales", "manager": {"value": boss["id"]}}},
            }
        ),
    ).json()
    # the sub-attributes given are set; the others stay (RFC 7644 §3.5.2.3)
    assert doc[ENTERPRISE]["department"] == "Sales"
    assert doc[ENTERPRISE]["division"] == "North"
    assert doc[ENTERPRISE]["manager"]["value"] == boss["id"]
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body(
            {
                "op": "add",
                "value": {f"{ENTERPRISE}:employeeNumber": "9", f"{ENTERPRISE}:manager": ""},
            }
        ),
    ).json()
    assert doc[ENTERPRISE] == {"employeeNumber": "9", "department": "Sales", "division": "North"}


def test_patch_the_whole_extension_by_path(scim):
    ann = _user(scim, department="Ops")
    doc = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body({"op": "add", "path": ENTERPRISE, "value": {"costCenter": "CC-2"}}),
    ).json()
    assert doc[ENTERPRISE] == {"department": "Ops", "costCenter": "CC-2"}
    doc = scim.patch(
        f"/Users/{ann['id']}", json=patch_body({"op": "remove", "path": ENTERPRISE})
    ).json()
    assert ENTERPRISE not in doc and doc["schemas"] == [USER_SCHEMA]


def test_patch_refuses_an_unknown_attribute_of_the_extension_by_path(scim):
    ann = _user(scim)
    response = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body({"op": "add", "path": f"{ENTERPRISE}:shoeSize", "value": "9"}),
    )
    assert_scim_error(response, 400, "invalidPath")
    # but ignores it in a path-less value, like any unknown attribute in a body
    response = scim.patch(
        f"/Users/{ann['id']}",
        json=patch_body({"op": "add", "value": {ENTERPRISE: {"shoeSize": "9"}}}),
    )
    assert response.status_code == 200, response.text


def test_overlong_values_are_refused(scim):
    response = scim.post(
        "/Users", json={"userName": "ann@example.com", ENTERPRISE: {"department": "x" * 201}}
    )
    assert_scim_error(response, 400, "invalidValue")
    response = scim.post(
        "/Users", json={"userName": "ann@example.com", ENTERPRISE: {"manager": "m" * 256}}
    )
    assert_scim_error(response, 400, "invalidValue")


def test_filters_on_extension_attributes(scim):
    boss = _user(scim, "boss@example.com", employeeNumber="1")
    ann = _user(
        scim, "ann@example.com", employeeNumber="42", department="Engineering", manager=boss["id"]
    )
    bob = _user(scim, "bob@example.com", department="Sales", manager=boss["id"])

    def ids(expression: str) -> list[str]:
        response = scim.get("/Users", params={"filter": expression})
        assert response.status_code == 200, response.text
        return sorted(u["id"] for u in response.json()["Resources"])

    assert ids(f'{ENTERPRISE}:employeeNumber eq "42"') == [ann["id"]]
    assert ids(f'{ENTERPRISE.upper()}:EMPLOYEENUMBER eq "42"') == [ann["id"]]
    assert ids(f'{ENTERPRISE}:department eq "engineering"') == [ann["id"]]
    assert ids(f'{ENTERPRISE}:manager.value eq "{boss["id"]}"') == sorted([ann["id"], bob["id"]])
    assert ids(f"{ENTERPRISE}:manager pr") == sorted([ann["id"], bob["id"]])
    assert ids(f"not ({ENTERPRISE}:department pr)") == [boss["id"]]
    assert ids(f'{ENTERPRISE}:department sw "S" and userName sw "bob"') == [bob["id"]]
    sorted_by = scim.get("/Users", params={"sortBy": f"{ENTERPRISE}:employeeNumber"}).json()[
        "Resources"
    ]
    assert len(sorted_by) == 3
    for bad in (f'{ENTERPRISE}:shoeSize eq "9"', 'urn:example:acme:2.0:User:badge eq "1"'):
        assert_scim_error(scim.get("/Users", params={"filter": bad}), 400, "invalidFilter")


def test_projection_of_extension_attributes(scim):
    boss = _user(scim, "boss@example.com")
    ann = _user(scim, **FULL, manager=boss["id"])
    only = scim.get(
        f"/Users/{ann['id']}", params={"attributes": f"{ENTERPRISE}:employeeNumber"}
    ).json()
    assert only[ENTERPRISE] == {"employeeNumber": "42"} and "userName" not in only
    whole = scim.get(f"/Users/{ann['id']}", params={"attributes": f"userName,{ENTERPRISE}"}).json()
    assert (
        whole[ENTERPRISE]["department"] == "Engineering" and whole["userName"] == "ann@example.com"
    )
    without = scim.get(
        f"/Users/{ann['id']}", params={"excludedAttributes": f"{ENTERPRISE}:manager"}
    ).json()
    assert "manager" not in without[ENTERPRISE] and without[ENTERPRISE]["costCenter"] == "CC-7"
    core_only = scim.get(f"/Users/{ann['id']}", params={"attributes": "userName"}).json()
    assert ENTERPRISE not in core_only and core_only["schemas"] == [USER_SCHEMA]
    excluded = scim.get(f"/Users/{ann['id']}", params={"excludedAttributes": ENTERPRISE}).json()
    assert ENTERPRISE not in excluded and excluded["schemas"] == [USER_SCHEMA]


def test_discovery_advertises_the_extension(scim):
    types = scim.get("/ResourceTypes").json()["Resources"]
    user_type = next(t for t in types if t["id"] == "User")
    assert user_type["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    schema = scim.get(f"/Schemas/{ENTERPRISE}")
    assert schema.status_code == 200, schema.text
    body = schema.json()
    assert body["id"] == ENTERPRISE
    names = {a["name"] for a in body["attributes"]}
    assert names == {
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "manager",
    }
    manager = next(a for a in body["attributes"] if a["name"] == "manager")
    subs = {s["name"]: s for s in manager["subAttributes"]}
    assert subs["displayName"]["mutability"] == "readOnly"
    listed = [s["id"] for s in scim.get("/Schemas").json()["Resources"]]
    assert ENTERPRISE in listed
