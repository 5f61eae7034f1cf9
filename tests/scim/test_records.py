"""Property: a user listed in a page (written from its record) is byte for byte the user read
alone (written from a User), whatever the user holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from enlist.domain.model import Email, EnterpriseFields, Tenant, UserFields
from enlist.domain.query import Query
from enlist.encoding import to_scim_json
from enlist.scim.documents import record_document, user_document
from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.directory import GroupStore, UserStore
from enlist.store.tables import group_members, groups, user_emails, users

BASE = "http://enlist.test/scim/v2"

# Any text a provider may send but NUL (refused before the database: PostgreSQL keeps none),
# non-ASCII and control characters included.
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6)
OPTIONAL = st.none() | st.just("") | TEXT
NAME_PARTS = ("formatted", "familyName", "givenName", "middleName", "honorificPrefix")
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.sampled_from(
    [datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)]
)


@st.composite
def people(draw: st.DrawFn) -> dict[str, Any]:
    emails = [
        Email(
            value=draw(TEXT.map(lambda local: f"{local}@example.com")),
            type=draw(OPTIONAL),
            primary=draw(st.booleans()),
            display=draw(OPTIONAL),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    items = st.lists(
        st.dictionaries(st.sampled_from(["value", "type", "primary"]), TEXT), max_size=2
    )
    fields = UserFields(
        user_name=f"{draw(TEXT)}-{draw(st.uuids()).hex}",
        external_id=draw(OPTIONAL),
        name={part: value for part in NAME_PARTS if (value := draw(OPTIONAL)) is not None},
        display_name=draw(OPTIONAL),
        nick_name=draw(OPTIONAL),
        title=draw(OPTIONAL),
        locale=draw(OPTIONAL),
        active=draw(st.booleans()),
        emails=emails,
        phone_numbers=draw(items),
        addresses=draw(items),
        enterprise=EnterpriseFields(
            employee_number=draw(OPTIONAL),
            department=draw(OPTIONAL),
            # manager: another user of the account (chosen below), or an id of no one
            manager_id=draw(st.sampled_from([None, "someone-else", "colleague"])),
        ),
    )
    return {
        "fields": fields,
        "groups": draw(st.sets(st.integers(0, 2), max_size=3)),
        "deleted": draw(st.integers(0, 5)) == 0,
        "created": draw(MOMENTS),
        "modified": draw(MOMENTS),
    }


def _store(
    db: Database, account_id: str, organization_id: str, drawn: list[dict[str, Any]]
) -> None:
    """Empty the account and store this example's users, groups and memberships."""
    with db.write() as conn:
        for table in (group_members, groups, user_emails, users):
            conn.execute(delete(table).where(table.c.account_id == account_id))
        store, teams = UserStore(conn, account_id), GroupStore(conn, account_id)
        team_pks = [teams.insert(organization_id, f"Team {i} ü", None)[1] for i in range(3)]
        ids: list[str] = []
        for person in drawn:
            fields = person["fields"]
            if fields.enterprise.manager_id == "colleague" and ids:
                fields.enterprise.manager_id = ids[0]
            ids.append(store.insert(fields))
        for user_id, person in zip(ids, drawn, strict=True):
            pk, _ = store.pk_and_version(user_id) or (0, 0)
            conn.execute(
                update(users)
                .where(users.c.pk == pk)
                .values(created=person["created"], last_modified=person["modified"])
            )
            for team in person["groups"]:
                teams.add_members(team_pks[team], [pk])
            if person["deleted"]:
                store.delete(pk)


@pytest.fixture
def acting(db: Database, tenant: Any, settings: Any) -> Tenant:
    return tenancy.authenticate(db, tenant.token, settings.secret_key)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=st.lists(people(), min_size=1, max_size=4), with_groups=st.booleans())
def test_a_listed_user_is_the_user_read_alone(
    db: Database, acting: Tenant, drawn: list[dict[str, Any]], with_groups: bool
) -> None:
    assert acting.organization_id is not None
    _store(db, acting.account_id, acting.organization_id, drawn)
    with db.read() as conn:
        store = UserStore(conn, acting.account_id)
        listed = store.search(Query(count=100, records=True, with_groups=with_groups)).items
        for record in listed:
            alone = store.get(record.id, with_groups=with_groups)
            assert alone is not None
            assert to_scim_json(record_document(record, BASE)) == to_scim_json(
                user_document(alone, BASE)
            )
        live = sum(1 for person in drawn if not person["deleted"])
        assert len(listed) == live
