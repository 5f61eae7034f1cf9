"""GET /Users/{id} and the userName / id lookups take a short way (scim/point.py): the same
answers, to the byte, as the ordinary way, which still answers everything else.

Each check compares a request the short way serves with one it leaves to the ordinary way
(a precondition that does not hold, or an empty `attributes`, both of which change nothing
in the answer), and looks at which way answered.
"""

from __future__ import annotations

from typing import Any

import pytest

from enlist.services import setup, tenancy
from tests.helpers import assert_scim_error

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _served(client: Any) -> int:
    return int(client.app.state.scim.point.served)


def _rich_user(scim: Any, name: str) -> dict[str, Any]:
    return scim.create_user(
        name,
        name={"givenName": "Zoë", "familyName": "Łukasiewicz", "formatted": "Zoë Ł"},
        displayName="Zoë Łukasiewicz 🗓",
        locale="pl-PL",
        timezone="Europe/Warsaw",
        title="Kierownik",
        emails=[
            {"value": name, "type": "work", "primary": True},
            {"value": name.replace("@", "+home@"), "type": "home"},
        ],
        phoneNumbers=[{"value": "+48 22 000 00 00", "type": "work"}],
        **{ENTERPRISE: {"employeeNumber": "7", "department": "Kalendarze"}},
        schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
    )


def test_a_user_by_id_is_the_same_answer_either_way(scim: Any, client: Any) -> None:
    user = _rich_user(scim, "zoe@example.com")
    scim.create_group("Kalendarz", [user["id"]])
    before = _served(client)
    short = scim.get(f"/Users/{user['id']}")
    assert _served(client) == before + 1
    ordinary = scim.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"999"'})
    assert _served(client) == before + 1
    assert short.status_code == ordinary.status_code == 200
    assert short.content == ordinary.content
    assert short.json()["groups"][0]["display"] == "Kalendarz"
    for header in ("etag", "content-type", "content-length"):
        assert short.headers[header] == ordinary.headers[header]
    assert short.headers["x-request-id"]


@pytest.mark.parametrize("attribute", ["userName", "id", "USERNAME"])
def test_a_lookup_is_the_same_answer_either_way(scim: Any, client: Any, attribute: str) -> None:
    user = _rich_user(scim, "Ada@Example.com")
    scim.create_user("bob@example.com")
    value = user["id"] if attribute == "id" else "ada@example.COM"  # userName ignores case
    wanted = f'{attribute} eq "{value}"'
    before = _served(client)
    short = scim.get("/Users", params={"filter": wanted, "startIndex": "1", "count": "100"})
    assert _served(client) == before + 1
    ordinary = scim.get("/Users", params={"filter": wanted, "attributes": ""})
    assert _served(client) == before + 1
    assert short.status_code == ordinary.status_code == 200
    assert short.content == ordinary.content
    assert short.json()["totalResults"] == 1
    assert short.json()["Resources"][0]["userName"] == "Ada@Example.com"


def test_a_lookup_that_finds_nobody(scim: Any, client: Any) -> None:
    scim.create_user("ada@example.com")
    before = _served(client)
    found = scim.get("/Users", params={"filter": 'userName eq "nobody@example.com"'})
    assert _served(client) == before + 1
    assert found.json()["totalResults"] == 0 and found.json()["Resources"] == []


def test_the_ordinary_way_answers_the_rest(scim: Any, client: Any, make_tenant: Any) -> None:
    other = make_tenant("other.example", name="Other")  # first: a new tenant moves the generation
    boss = scim.create_user("boss@example.com", displayName="The Boss")
    managed = scim.create_user(
        "ann@example.com",
        schemas=["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        **{ENTERPRISE: {"manager": {"value": boss["id"]}}},
    )
    gone = scim.create_user("gone@example.com")
    assert scim.delete(f"/Users/{gone['id']}").status_code == 204
    # a manager's name is read with the user: the same answer either way
    before = _served(client)
    got = scim.get(f"/Users/{managed['id']}")
    assert _served(client) == before + 1
    assert got.json()[ENTERPRISE]["manager"]["displayName"] == "The Boss"
    ordinary = scim.get(f"/Users/{managed['id']}", headers={"If-None-Match": 'W/"999"'})
    assert got.content == ordinary.content
    before = _served(client)
    # a deleted user, another tenant's id, a bad secret: the ordinary refusals
    assert_scim_error(scim.get(f"/Users/{gone['id']}"), 404)
    foreign = client.get(f"/scim/v2/Users/{boss['id']}", headers=other.headers)
    assert_scim_error(foreign, 404)
    unknown = client.get(f"/scim/v2/Users/{boss['id']}", headers={"Authorization": "Bearer x"})
    assert_scim_error(unknown, 401)
    # other filters and pages, projections, preconditions
    assert scim.get("/Users", params={"filter": 'userName sw "boss"'}).json()["totalResults"] == 1
    assert scim.get("/Users", params={"filter": 'userName eq "boss@example.com"', "count": "0"})
    picked = scim.get(f"/Users/{boss['id']}", params={"attributes": "userName"}).json()
    assert "displayName" not in picked
    assert scim.get(f"/Users/{boss['id']}", headers={"If-None-Match": boss["meta"]["version"]})
    assert _served(client) == before


def test_a_revoked_secret_is_refused_at_once(scim: Any, client: Any, db: Any) -> None:
    user = scim.create_user("ada@example.com")
    assert scim.get(f"/Users/{user['id']}").status_code == 200  # its tenant is remembered
    before = _served(client)
    tenancy.revoke_secret(db, scim.tenant.secret_id, scim.tenant.account_id)
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 401)
    assert_scim_error(scim.get("/Users", params={"filter": 'userName eq "ada@example.com"'}), 401)
    assert _served(client) == before


def test_a_downgraded_plan_is_refused_at_once(scim: Any, client: Any, db: Any) -> None:
    user = scim.create_user("ada@example.com")
    assert scim.get(f"/Users/{user['id']}").status_code == 200
    for calendar in tenancy.calendars(db, scim.tenant.account_id):
        setup.set_calendar_plan(db, scim.tenant.account_id, calendar.id, "business")
    assert_scim_error(scim.get(f"/Users/{user['id']}"), 403)
