"""The access API as the calendar application calls it, each answer checked against the
OpenAPI document the server itself serves."""

from __future__ import annotations

from typing import Any

import pytest

from enlist.domain.access import Level, Subject, SubjectType
from enlist.services import access, apikeys, tenancy
from tests.conftest import Scim


@pytest.fixture
def api_key(db, settings, tenant) -> str:
    return apikeys.create_api_key(db, tenant.account_id, secret_key=settings.secret_key).key


@pytest.fixture
def openapi(client) -> dict[str, Any]:
    return dict(client.get("/api/v1/openapi.json").json())


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "null": type(None),
}


def conforms(value: Any, schema: dict[str, Any], document: dict[str, Any], at: str = "$") -> None:
    """The JSON Schema subset our document uses: type (or a list of types), enum, required,
    properties (no others allowed: an undocumented key fails) and items."""
    schema = _resolve(schema, document)
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        assert any(
            isinstance(value, _TYPES[t]) and not (t == "integer" and isinstance(value, bool))
            for t in allowed
        ), f"{at}: {value!r} is not {allowed}"
    if "enum" in schema:
        assert value in schema["enum"], f"{at}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{at}: {key} is required"
        properties = schema.get("properties", {})
        for key, item in value.items():
            assert key in properties, f"{at}: {key} is not in the document"
            conforms(item, properties[key], document, f"{at}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            conforms(item, schema["items"], document, f"{at}[{n}]")


class AccessApi:
    def __init__(self, client: Any, key: str, document: dict[str, Any]) -> None:
        self.client, self.key, self.document = client, key, document

    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        answer = self.client.get(
            "/api/v1" + path, params=params, headers={"Authorization": f"Bearer {self.key}"}
        )
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/json"
        body = answer.json()
        operation = self._operation(path)
        response = operation["responses"][str(status)]
        conforms(body, response["content"]["application/json"]["schema"], self.document)
        return body

    def _operation(self, path: str) -> dict[str, Any]:
        """The document's operation for a concrete path ({id} segments matched)."""
        wanted = ("/api/v1" + path).split("/")
        for template, item in self.document["paths"].items():
            parts = template.split("/")
            if len(parts) == len(wanted) and all(
                p == w or p.startswith("{") for p, w in zip(parts, wanted, strict=True)
            ):
                return dict(item["get"])
        raise AssertionError(f"the OpenAPI document has no {path}")


@pytest.fixture
def api(client, api_key, openapi) -> AccessApi:
    return AccessApi(client, api_key, openapi)


def test_the_calendar_app_checks_and_lists_access(db, tenant, scim, api):
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    ann = scim.create_user("ann@example.com", displayName="Ann", locale="en-GB")["id"]
    bob = scim.create_user("bob@example.com")["id"]
    sales = scim.create_group("Sales", [ann, bob])["id"]
    access.grant(db, tenant.account_id, calendar, Subject(SubjectType.group, sales), Level.modify)

    assert api.get("/check", person=ann, calendar=calendar) == {
        "person": ann,
        "calendar": calendar,
        "level": "modify",
    }
    person = api.get(f"/people/{ann}")
    assert person["displayName"] == "Ann" and person["locale"] == "en-GB"
    assert person["active"] is True and person["deleted"] is False
    assert person["emails"] == [{"value": "ann@example.com", "type": "work", "primary": True}]
    assert person["calendars"] == [
        {
            "id": calendar,
            "name": "Sales pipeline",
            "level": "modify",
            "via": [{"type": "group", "id": sales, "name": "Sales"}],
        }
    ]
    assert api.get("/people", email="ANN@example.com")["people"] == [person]
    assert api.get("/people", email="nobody@example.com") == {"people": []}

    first = api.get(f"/calendars/{calendar}/access", limit=1)
    assert [p["id"] for p in first["people"]] == [ann] and first["next"]
    second = api.get(f"/calendars/{calendar}/access", limit=1, cursor=first["next"])
    assert [p["id"] for p in second["people"]] == [bob] and second["next"] is None
    assert api.get(f"/calendars/{calendar}/access", level="read_only")["people"] == []


def test_deactivated_and_deleted_people_have_no_access_and_deleted_ones_are_still_found(
    db, tenant, scim, api
):
    calendar = tenancy.create_calendar(db, tenant.account_id, "Team", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    access.grant(db, tenant.account_id, calendar, Subject(SubjectType.user, ann), Level.read_only)
    off = {"Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{ann}", json=off).status_code == 200
    assert api.get("/check", person=ann, calendar=calendar)["level"] == "no_access"
    assert api.get(f"/calendars/{calendar}/access")["people"] == []
    assert scim.delete(f"/Users/{ann}").status_code == 204
    gone = api.get(f"/people/{ann}")
    assert gone["deleted"] is True and gone["active"] is False and gone["calendars"] == []
    assert api.get("/people", email="ann@example.com")["people"] == [gone]
    assert api.get("/check", person=ann, calendar=calendar)["level"] == "no_access"


def test_another_accounts_ids_and_bad_parameters_answer_plain_errors(
    db, tenant, scim, api, make_tenant
):
    other = make_tenant("other.org")
    theirs = tenancy.create_calendar(db, other.account_id, "Theirs", "enterprise")
    mine = tenancy.create_calendar(db, tenant.account_id, "Mine", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    assert "no calendar" in api.get("/check", 404, person=ann, calendar=theirs)["detail"]
    assert "no person" in api.get("/check", 404, person="nobody", calendar=mine)["detail"]
    assert api.get(f"/calendars/{theirs}/access", 404)["detail"]
    assert api.get("/people/nobody", 404)["detail"]
    assert "person and the calendar" in api.get("/check", 400, person=ann)["detail"]
    assert "cursor" in api.get(f"/calendars/{mine}/access", 400, cursor="garbage!")["detail"]
    assert "no level" in api.get(f"/calendars/{mine}/access", 400, level="owner")["detail"]
    assert api.get("/people", 400)["detail"]


def test_a_scim_secret_does_not_open_the_access_api(client, tenant):
    answer = client.get(
        "/api/v1/check", params={"person": "a", "calendar": "b"}, headers=tenant.headers
    )
    assert answer.status_code == 401 and answer.json()["detail"]


def test_another_accounts_person_is_not_found_however_it_is_asked_for(
    db, client, tenant, scim, api, make_tenant
):
    other = make_tenant("other.org")
    theirs = Scim(client, other)
    their_person = theirs.create_user("spy@other.org", displayName="Their Spy")["id"]
    their_calendar = tenancy.create_calendar(db, other.account_id, "Theirs", "enterprise")
    access.grant(
        db, other.account_id, their_calendar, Subject(SubjectType.user, their_person), Level.modify
    )
    mine = tenancy.create_calendar(db, tenant.account_id, "Mine", "enterprise")
    for answer in (
        api.get(f"/people/{their_person}", 404),
        api.get("/check", 404, person=their_person, calendar=mine),
        api.get("/check", 404, person=their_person, calendar=their_calendar),
    ):
        assert "Their Spy" not in str(answer) and "spy@other.org" not in str(answer)
    assert api.get("/people", email="spy@other.org") == {"people": []}
