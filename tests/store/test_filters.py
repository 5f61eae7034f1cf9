"""The filter compiler on its own: every operator, attribute and error of RFC 7644 filters."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from enlist.config import Settings
from enlist.domain.errors import InvalidFilter, Sensitive
from enlist.domain.model import Email, Tenant, User, UserFields
from enlist.scim.reading import parse_filter
from enlist.services import directory, tenancy
from enlist.services.directory import GroupFields, Query
from enlist.store.db import Database
from tests.conftest import POSTGRES_ADMIN_URL

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class People:
    """A small directory whose users are known by short names."""

    db: Database
    tenant: Tenant
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, user_name: str, **values: Any) -> User:
        user = directory.create_user(
            self.db, self.tenant, UserFields(user_name=user_name, **values)
        )
        self.users[key] = user
        time.sleep(0.003)  # distinct millisecond timestamps, for the meta.created tests
        return user

    def find(self, text: str) -> set[str]:
        page = directory.list_users(
            self.db, self.tenant, Query(filter=parse_filter(text), count=1000)
        )
        assert page.total == len(page.items)
        names = {user.id: key for key, user in self.users.items()}
        return {names[user.id] for user in page.items}

    def find_groups(self, text: str) -> set[str]:
        page = directory.list_groups(
            self.db, self.tenant, Query(filter=parse_filter(text), count=1000)
        )
        names = {group_id: key for key, group_id in self.groups.items()}
        return {names[group.id] for group in page.items}


EVERYONE = {"alice", "bob", "carol", "carl", "dave"}


@pytest.fixture
def people(db: Database, tenant: Any, settings: Settings) -> People:
    found = People(db, tenancy.authenticate(db, tenant.token, settings.secret_key))
    found.add(
        "alice",
        "Alice.Smith@example.com",
        external_id="Ext-A",
        display_name="Alice Smith",
        name={"givenName": "Alice", "familyName": "Smith"},
        emails=[
            Email("Alice.Smith@example.com", "work", primary=True),
            Email("alice@example.com", "home"),
        ],
    )
    found.add(
        "bob",
        "bob@example.com",
        external_id="ext-b",
        display_name="Bob Jones",
        name={"givenName": "Bob", "familyName": "Jones"},
        emails=[
            Email("bob@example.com", "home", primary=True),
            Email("bob.work@example.com", "work"),
        ],
        active=False,
    )
    # % and _ in a userName are data, never LIKE wildcards; carlx100y is what they would match
    found.add("carol", "carol_100%@example.com", emails=[Email("carol@example.com", "work")])
    found.add("carl", "carlx100y@example.com", display_name="Carl")
    found.add("dave", "dave@example.com", display_name="dave")
    return found


def _check(people: People, cases: list[tuple[str, set[str]]]) -> None:
    """Every filter selects exactly the expected users; all mismatches are reported at once."""
    wrong = {
        text: (got, expected) for text, expected in cases if (got := people.find(text)) != expected
    }
    assert wrong == {}


def test_eq_compares_each_kind_of_attribute(people: People) -> None:
    _check(
        people,
        [
            ('userName eq "alice.smith@EXAMPLE.com"', {"alice"}),
            ('externalId eq "Ext-A"', {"alice"}),
            ('externalId eq "ext-a"', set()),  # externalId is case-exact
            ('displayName eq "BOB JONES"', {"bob"}),
            ('name.givenName eq "ALICE"', {"alice"}),
            ('name.familyName eq "jones"', {"bob"}),
            ('emails.value eq "ALICE@example.com"', {"alice"}),
            # a bare multi-valued attribute means its .value
            ('emails eq "bob.work@example.com"', {"bob"}),
            ('emails.type eq "WORK"', {"alice", "bob", "carol"}),
            ("active eq false", {"bob"}),
            ("active eq true", EVERYONE - {"bob"}),
        ],
    )


def test_ne_matches_users_without_the_attribute(people: People) -> None:
    _check(
        people,
        [
            ('externalId ne "Ext-A"', EVERYONE - {"alice"}),
            ('displayName ne "alice smith"', EVERYONE - {"alice"}),
            ('emails.type ne "home"', {"carol", "carl", "dave"}),
            ("active ne true", {"bob"}),
        ],
    )


def test_co_sw_ew_match_substrings(people: People) -> None:
    _check(
        people,
        [
            ('userName co "SMITH"', {"alice"}),
            ('displayName co "o"', {"bob"}),
            ('userName sw "B"', {"bob"}),
            ('name.familyName sw "sm"', {"alice"}),
            ('userName ew "@EXAMPLE.COM"', EVERYONE),
            ('emails.value ew "work@example.com"', {"bob"}),
        ],
    )


def test_like_wildcards_in_values_are_data(people: People) -> None:
    _check(
        people,
        [
            ('userName co "l_1"', {"carol"}),
            ('userName co "100%@"', {"carol"}),
            ('userName sw "car_"', set()),
            ('userName ew "%@example.com"', {"carol"}),
            ('userName co "%"', {"carol"}),
            ('userName co "_"', {"carol"}),
        ],
    )


def test_pr_needs_a_non_empty_value(people: People) -> None:
    _check(
        people,
        [
            ("externalId pr", {"alice", "bob"}),
            ("displayName pr", {"alice", "bob", "carl", "dave"}),
            ("emails pr", {"alice", "bob", "carol"}),
            ("emails.type pr", {"alice", "bob", "carol"}),
            ("name.givenName pr", {"alice", "bob"}),
            ("name pr", {"alice", "bob"}),  # a complex attribute: any part present
            ("meta pr", EVERYONE),
        ],
    )


def test_ordering_compares_by_code_point(people: People) -> None:
    _check(
        people,
        [
            # case-insensitive attributes compare lower-cased
            ('userName gt "bob@example.com"', {"carol", "carl", "dave"}),
            ('userName ge "BOB@example.com"', {"bob", "carol", "carl", "dave"}),
            ('userName lt "BOB@example.com"', {"alice"}),
            ('userName le "bob@example.com"', {"alice", "bob"}),
            ('displayName lt "C"', {"alice", "bob"}),
            # ... case-exact ones compare by code point: "E" < "a" < "e", "_" < "x"
            ('externalId lt "a"', {"alice"}),
            ('externalId gt "a"', {"bob"}),
            ('userName gt "carl_"', {"carl", "carol", "dave"}),
            ('userName lt "carol`"', {"alice", "bob", "carl", "carol"}),
            ('userName gt "carol`"', {"dave"}),
        ],
    )


def test_and_binds_tighter_than_or_and_parentheses_group(people: People) -> None:
    _check(
        people,
        [
            ('userName sw "a" or userName sw "b"', {"alice", "bob"}),
            ('active eq true and emails.type eq "work"', {"alice", "carol"}),
            # and binds tighter than or
            ('active eq false or userName sw "a" and externalId eq "nope"', {"bob"}),
            ('(active eq false or userName sw "a") and externalId eq "nope"', set()),
            ('active eq false or userName sw "a" and externalId eq "Ext-A"', {"alice", "bob"}),
            ('(active eq false or userName sw "a") and externalId eq "Ext-A"', {"alice"}),
            ("not (active eq true)", {"bob"}),
            ("not (not (active eq false))", {"bob"}),
            (
                'not (userName sw "a" or userName sw "b") and active eq true',
                {"carol", "carl", "dave"},
            ),
        ],
    )


def test_not_of_a_comparison_on_a_missing_attribute_matches(people: People) -> None:
    _check(
        people,
        [
            ('not (externalId eq "Ext-A")', EVERYONE - {"alice"}),
            ('not (displayName co "smith")', EVERYONE - {"alice"}),
            ('not (name.givenName sw "b")', EVERYONE - {"bob"}),
            ("not (name.givenName pr)", {"carol", "carl", "dave"}),
            ('not (externalId ne "Ext-A")', {"alice"}),
        ],
    )


def test_value_paths_select_within_one_email(people: People) -> None:
    _check(
        people,
        [
            ('emails[type eq "work"]', {"alice", "bob", "carol"}),
            ('emails[type eq "work" and primary eq true]', {"alice"}),
            ('emails[type eq "work"].value eq "bob.work@example.com"', {"bob"}),
            ('emails[type eq "work"].value eq "bob@example.com"', set()),  # bob@ is his home email
            ('emails[type eq "home" or value co "carol"]', {"alice", "bob", "carol"}),
            ("emails[not (primary eq true)]", {"alice", "bob", "carol"}),
            ('not (emails[type eq "work"])', {"carl", "dave"}),
            ('emails[type eq "work"] and emails[type eq "home"]', {"alice", "bob"}),
        ],
    )


def test_schema_urns_and_attribute_names_are_case_insensitive(people: People) -> None:
    _check(
        people,
        [
            (f'{USER_URN}:userName eq "bob@example.com"', {"bob"}),
            (f'{USER_URN.upper()}:USERNAME eq "bob@example.com"', {"bob"}),
            (f'{USER_URN}:name.givenName eq "bob"', {"bob"}),
            (f'{USER_URN}:emails[type eq "home"]', {"alice", "bob"}),
            ('Emails.VALUE eq "carol@example.com"', {"carol"}),
        ],
    )


def test_null_means_absent_and_an_empty_string_is_a_value(people: People) -> None:
    people.add("erin", "erin@example.com", display_name="", emails=[Email("erin@example.com")])
    _check(
        people,
        [
            ("displayName eq null", {"carol"}),
            ('displayName eq ""', {"erin"}),
            ("displayName pr", {"alice", "bob", "carl", "dave"}),
            ("externalId ne null", {"alice", "bob"}),
            # a user without emails reads as one null email, as scim2-models evaluates it
            ("emails.value eq null", {"carl", "dave"}),
            ("emails ne null", {"alice", "bob", "carol", "erin"}),
            ("emails.type eq null", {"carl", "dave", "erin"}),
            ("emails.type ne null", {"alice", "bob", "carol"}),
            ("emails[type eq null]", {"erin"}),
            ("not (emails.value eq null)", {"alice", "bob", "carol", "erin"}),
            ("userName gt null", set()),
        ],
    )


def test_user_name_match_is_case_insensitive_and_stored_case_is_kept(people: People) -> None:
    page = directory.list_users(
        people.db,
        people.tenant,
        Query(filter=parse_filter('userName eq "ALICE.SMITH@example.COM"')),
    )
    assert [user.fields.user_name for user in page.items] == ["Alice.Smith@example.com"]


def test_meta_timestamps_compare_as_instants(people: People) -> None:
    alice, carol = people.users["alice"], people.users["carol"]
    created = alice.created.isoformat()
    assert people.find(f'meta.created gt "{created}"') == EVERYONE - {"alice"}
    assert people.find(f'meta.created ge "{created}"') == EVERYONE
    assert people.find(f'meta.created lt "{carol.created.isoformat()}"') == {"alice", "bob"}
    assert people.find(f'meta.created le "{carol.created.isoformat()}"') == {
        "alice",
        "bob",
        "carol",
    }
    assert people.find(f'meta.lastModified lt "{carol.last_modified.isoformat()}"') == {
        "alice",
        "bob",
    }
    # the same instant written with another offset, and in the Z form SCIM documents use
    elsewhere = alice.created.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert people.find(f'meta.created eq "{elsewhere}"') == {"alice"}
    zulu = alice.created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert people.find(f'meta.created eq "{zulu}"') == {"alice"}
    assert people.find('meta.created gt "2000-01-01T00:00:00Z"') == EVERYONE
    assert people.find('meta.lastModified lt "2000-01-01T00:00:00Z"') == set()


INVALID = [
    'shoeSize eq "42"',
    'name.shoeSize eq "42"',
    'userName.first eq "x"',
    'urn:example:params:scim:schemas:Custom:userName eq "x"',
    'displayName[value eq "x"]',
    'emails[shoeSize eq "x"]',
    "userName eq",
    'userName eq "x" and',
    '(userName eq "x"',
    'emails[type eq "work"',
    'userName like "x"',
    "active gt true",
    "active lt null",
    'emails.primary co "t"',
    'active eq "maybe"',
    "userName eq true",
    'meta.created gt "yesterday"',
    'meta.created co "2020"',
    "",
]


def test_unknown_attribute_or_bad_syntax_is_an_invalid_filter(people: People) -> None:
    accepted = []
    for written in INVALID:
        try:
            people.find(written)
        except InvalidFilter:
            continue
        accepted.append(written)
    assert accepted == []


def test_filtering_on_password_is_refused_as_sensitive(people: People) -> None:
    for written in [
        'password eq "hunter2"',
        "PASSWORD pr",
        f'{USER_URN}:password eq "x"',
        'userName eq "a" or password ne "x"',
    ]:
        with pytest.raises(Sensitive):
            people.find(written)


def test_filter_length_is_capped() -> None:
    with pytest.raises(InvalidFilter):
        parse_filter('userName eq "' + "a" * 5000 + '"')


@pytest.fixture
def english_collation_db() -> Iterator[Database]:
    """A PostgreSQL database whose default collation is ICU en-US, as many hosted ones are.

    Only PostgreSQL needs this: SQLite compares text with its BINARY collation, by code
    point already, which the property tests check on both backends.
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"enlist_test_icu_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        assert conn.scalar(
            text("SELECT count(*) FROM pg_collation WHERE collname = 'en-US-x-icu'")
        ), "this PostgreSQL has no ICU en-US collation"
        conn.execute(
            text(
                f'CREATE DATABASE "{name}" TEMPLATE template0 '
                "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            )
        )
    database = Database.open(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_text_ordering_is_by_code_point_whatever_the_database_collation(
    english_collation_db: Database,
) -> None:
    db = english_collation_db
    with db.read() as conn:
        # the collation this test is about
        assert conn.scalar(text("SELECT 'Ext-A' < 'a'")) is False
    account_id = tenancy.create_account(db, "Icu", "admin@example.com")
    tenancy.create_calendar(db, account_id, "Icu calendar", "enterprise")
    tenancy.add_domain(db, account_id, "example.com", verified=True)
    key = "a key of this test's own database"
    secret = tenancy.create_secret(db, "example.com", account_id, secret_key=key).secret
    acting = tenancy.authenticate(db, secret, key)
    found = People(db, acting)
    found.add(
        "upper", "Zed@example.com", external_id="Ext-A", emails=[Email("zed@example.com", "Work")]
    )
    found.add(
        "lower", "ann@example.com", external_id="ext-b", emails=[Email("ann@example.com", "_x")]
    )
    assert found.find('externalId lt "a"') == {"upper"}  # "E" (0x45) < "a" (0x61)
    assert found.find('externalId gt "a"') == {"lower"}
    assert found.find('externalId ge "Ext-B"') == {"lower"}
    assert found.find('userName lt "a"') == set()
    assert found.find('userName gt "_"') == {"upper", "lower"}  # "_" (0x5F) < "a": en-US disagrees
    assert found.find('emails.type lt "a"') == {"lower"}
    assert found.find('emails[type le "_x"]') == {"lower"}


# groups -----------------------------------------------------------------------------


@pytest.fixture
def teams(people: People) -> People:
    alice, bob = people.users["alice"].id, people.users["bob"].id
    for key, name, members in (
        ("eng", "Engineering", [alice, bob]),
        ("ops", "Ops", [bob]),
        ("empty", "Empty Team", []),
    ):
        group = directory.create_group(
            people.db, people.tenant, GroupFields(name, member_ids=members)
        )
        people.groups[key] = group.id
    return people


def test_group_filters_select_by_display_name_and_member(teams: People) -> None:
    alice, bob = teams.users["alice"].id, teams.users["bob"].id
    assert teams.find_groups('displayName eq "engineering"') == {"eng"}
    assert teams.find_groups('displayName sw "E"') == {"eng", "empty"}
    assert teams.find_groups('displayName ne "ops"') == {"eng", "empty"}
    assert teams.find_groups(f'members.value eq "{alice}"') == {"eng"}
    assert teams.find_groups(f'members.value eq "{bob}"') == {"eng", "ops"}
    assert teams.find_groups(f'members eq "{bob}"') == {"eng", "ops"}
    assert teams.find_groups(f'members[value eq "{alice}"]') == {"eng"}
    assert teams.find_groups(f'members.value ne "{alice}"') == {"ops", "empty"}
    assert teams.find_groups(f'members.value eq "{alice.upper()}"') == set()  # ids are case-exact
    assert teams.find_groups("members pr") == {"eng", "ops"}
    assert teams.find_groups("not (members pr)") == {"empty"}
    assert teams.find_groups(f'{GROUP_URN}:displayName eq "OPS"') == {"ops"}
    with pytest.raises(InvalidFilter):
        teams.find_groups('userName eq "x"')


# the same through the SCIM API --------------------------------------------------------


def test_api_filters_users_and_groups(teams: People, scim: Any) -> None:
    response = scim.get(
        "/Users", params={"filter": 'emails[type eq "work"].value eq "BOB.WORK@example.com"'}
    )
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["Resources"]] == [teams.users["bob"].id]
    response = scim.get("/Users", params={"filter": 'userName eq "alice.smith@example.com"'})
    assert [r["userName"] for r in response.json()["Resources"]] == ["Alice.Smith@example.com"]
    response = scim.get("/Users", params={"filter": 'userName co "100%"'})
    assert response.json()["totalResults"] == 1
    response = scim.get(
        "/Groups", params={"filter": f'members.value eq "{teams.users["alice"].id}"'}
    )
    assert [r["displayName"] for r in response.json()["Resources"]] == ["Engineering"]


def test_api_answers_invalid_filter(people: People, scim: Any) -> None:
    for written in ['shoeSize eq "42"', 'userName eq "x" and', "userName eq"]:
        response = scim.get("/Users", params={"filter": written})
        assert response.status_code == 400, written
        body = response.json()
        assert body["scimType"] == "invalidFilter"
        assert body["status"] == "400"


def test_api_refuses_password_filter_without_echoing_it(people: People, scim: Any) -> None:
    response = scim.get("/Users", params={"filter": 'password eq "hunter2-secret"'})
    assert response.status_code == 403
    body = response.json()
    assert body["scimType"] == "sensitive"
    assert "hunter2-secret" not in response.text


# statements --------------------------------------------------------------------------


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def _fill(people: People, start: int, count: int) -> None:
    emails = [Email("x@example.com", "work")]
    for number in range(start, start + count):
        directory.create_user(
            people.db,
            people.tenant,
            UserFields(user_name=f"filler{number}@example.com", emails=emails),
        )


def _listing_statements(people: People, statements: list[str]) -> list[str]:
    statements.clear()
    text = 'emails[type eq "work"] and (userName sw "f" or not (displayName pr)) and active eq true'
    page = directory.list_users(people.db, people.tenant, Query(filter=parse_filter(text), count=3))
    assert len(page.items) == 3 and page.total > 3
    return list(statements)


def test_filtered_list_runs_bounded_queries_inside_the_database(
    people: People, statements: list[str]
) -> None:
    _fill(people, 0, 3)
    few = _listing_statements(people, statements)
    _fill(people, 3, 40)
    many = _listing_statements(people, statements)
    assert len(few) == len(many) <= 4
    for statement in many:
        flat = " ".join(statement.split()).lower()
        from_users = re.search(r"\bfrom users\b", flat)
        if from_users and "count(" not in flat:
            # the page itself: filtered in SQL, for this account, one page long
            assert "users.account_id =" in flat
            assert re.search(r"\blimit\b", flat), statement
            assert "exists" in flat  # the emails[...] filter ran in SQL
        elif from_users:
            assert "users.account_id =" in flat
        else:
            # emails / groups of the page's users only: an IN list as long as the page
            listed = re.search(r" in \((.*)\)( order by|$)", flat)
            assert listed is not None, statement
            assert len(listed.group(1).split(",")) == 3, statement
