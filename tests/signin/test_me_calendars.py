"""A signed-in person's page lists their calendars, each with its level and where it comes
from; deactivation takes them away (and the session with them)."""

from __future__ import annotations

from enlist.domain.access import Level, Subject, SubjectType
from enlist.services import access, tenancy
from enlist.store.db import Database
from tests.conftest import Scim
from tests.openid_provider import JANE
from tests.signin.conftest import Person, SsoTenant


def _signed_in(person: Person) -> None:
    started = person.start(JANE.email)
    arrived = person.back(person.at_provider(started.headers["location"], JANE.sub))
    assert arrived.status_code == 303


def test_jane_sees_her_calendars_with_their_level_and_source(
    person: Person, sso_tenant: SsoTenant, db: Database, scim: Scim
) -> None:
    account = sso_tenant.tenant.account_id
    jane = sso_tenant.jane["id"]
    _signed_in(person)
    assert "has not given you access to any calendar yet" in person.me().text

    pipeline = tenancy.create_calendar(db, account, "Sales pipeline", "enterprise")
    holidays = tenancy.create_calendar(db, account, "Holidays", "basic")
    sales = scim.create_group("Sales", [jane])["id"]
    access.grant(db, account, pipeline, Subject(SubjectType.group, sales), Level.modify)
    access.grant(db, account, holidays, Subject(SubjectType.user, jane), Level.read_only)

    page = person.me().text
    assert "<td>Holidays</td><td>Read only</td><td>given to you</td>" in page
    assert "<td>Sales pipeline</td><td>Modify</td><td>group Sales</td>" in page
    assert page.index("Holidays") < page.index("Sales pipeline")
