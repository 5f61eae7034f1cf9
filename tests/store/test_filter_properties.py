"""Property: a filter's SQL selects exactly the users scim2-models' own evaluator matches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st
from scim2_models import ScimFilter, User
from scim2_models.exceptions import SCIMException
from sqlalchemy import delete

from enlist.config import Settings
from enlist.domain.errors import InvalidFilter
from enlist.domain.model import Email, Tenant, UserFields
from enlist.scim.documents import user_document
from enlist.scim.reading import parse_filter
from enlist.services import directory, tenancy
from enlist.services.directory import Query
from enlist.store.db import Database
from enlist.store.directory import UserStore
from enlist.store.tables import user_emails, users

BASE = "http://enlist.test/scim/v2"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
FILTERS_PER_EXAMPLE = 6

# ASCII only: SQLite's lower() folds only A-Z, and scim2-models compares NFC-normalised,
# lower-cased Python strings, so non-ASCII case folding legitimately differs on SQLite.
# The few letters in two cases make equal-ignoring-case collisions likely; _ and % are the
# LIKE wildcards; " and \ exercise the filter string escapes; " " and "-" sort below letters.
TEXT = 'aAbB_%-"\\ '
# Email values must pass scim2-models' EmailStr (email-validator) to build the model at all.
EMAIL_LOCAL = "aAbB_%-"

STRING_ATTRIBUTES = [
    "userName",
    "displayName",
    "name.givenName",
    "name.familyName",
    "externalId",
    "emails.value",
    "emails.type",
    "emails",
]
BOOLEAN_ATTRIBUTES = ["active", "emails.primary"]
ALL_OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]
INNER_STRINGS = ["value", "type"]


@st.composite
def user_fields(draw: st.DrawFn) -> UserFields:
    emails = []
    has_primary = False
    for _ in range(draw(st.integers(0, 3))):
        primary = draw(st.booleans()) and not has_primary  # at most one primary, a rule of Enlist
        has_primary |= primary
        emails.append(
            Email(
                value=draw(st.text(EMAIL_LOCAL, min_size=1, max_size=3)) + "@example.com",
                type=draw(st.sampled_from([None, "work", "home", "Work", ""])),
                primary=primary,
            )
        )
    optional = st.none() | st.text(TEXT, max_size=3)
    name = {
        part: value for part in ("givenName", "familyName") if (value := draw(optional)) is not None
    }
    return UserFields(
        user_name=draw(st.text(TEXT, min_size=1, max_size=3)) + "@example.com",
        external_id=draw(optional),
        display_name=draw(optional),
        name=name,
        active=draw(st.booleans()),
        emails=emails,
    )


def _fragments(value: str) -> list[str]:
    """Operands likely to hit a stored value: itself, its other cases, its ends and middle."""
    return [value, value.upper(), value.swapcase(), value[:2], value[-2:], value[1:-1], value + "a"]


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return (
        bool(at and local) and domain.lower() == "example.com" and not set(local) - set(EMAIL_LOCAL)
    )


def _quote(value: Any) -> str:
    return ScimFilter.quote(value)


def _spelled(name: str, draw: st.DrawFn, *, urn: bool) -> str:
    spelled = draw(st.sampled_from([name, name.lower(), name.upper()]))
    return f"{USER_URN}:{spelled}" if urn and draw(st.booleans()) else spelled


def filters(pool: list[str]) -> st.SearchStrategy[str]:
    strings = st.text(TEXT, max_size=3) | (st.sampled_from(pool) if pool else st.nothing())
    # scim2-models reads the operand of eq, ne and the orderings on an email value as an
    # EmailStr and refuses anything that is not an address, where Enlist compares it as
    # text and simply finds nothing: for those, operands are addresses.
    known = [value for value in pool if _is_address(value)]
    addresses = st.text(EMAIL_LOCAL, min_size=1, max_size=3).map(
        lambda local: local + "@example.com"
    ) | (st.sampled_from(known) if known else st.nothing())
    # Operands are JSON values of the attribute's type. scim2-models also coerces some
    # mismatched ones the pydantic "lax" way ("true" or 1 for a boolean) where Enlist
    # refuses them; that is a choice about leniency, not about which users match, so
    # such operands are not generated. Misused operators (ordering or substrings on a
    # boolean, a boolean compared with a string by eq or gt) are: both must refuse them.
    boolean_operand = st.sampled_from([True, False, None])

    def string_operand(name: str, op: str) -> st.SearchStrategy[Any]:
        is_email_value = name.lower() in ("emails", "emails.value", "value")
        text = addresses if is_email_value and op not in ("co", "sw", "ew") else strings
        return text | st.none()

    @st.composite
    def comparison(
        draw: st.DrawFn, string_names: list[str], boolean_names: list[str], urn: bool
    ) -> str:
        if draw(st.integers(0, 9)) < 7:
            name = draw(st.sampled_from(string_names))
            op = draw(st.sampled_from([*ALL_OPERATORS, "pr"]))
            # scim2-models lets co/sw/ew take any operand (and then match nothing);
            # Enlist refuses a boolean there, so booleans go only with the other operators.
            mismatched = op not in ("co", "sw", "ew") and draw(st.integers(0, 39)) == 39
            value = draw(st.booleans() if mismatched else string_operand(name, op))
        else:
            name = draw(st.sampled_from(boolean_names))
            op = draw(st.sampled_from(["eq", "ne", "pr"] * 6 + ["gt", "co"]))
            value = draw(boolean_operand)
        path = _spelled(name, draw, urn=urn)
        return f"{path} pr" if op == "pr" else f"{path} {op} {_quote(value)}"

    def logic(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, st.sampled_from(["and", "or"]), inner)
        return st.one_of(
            pair.map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
            pair.map(lambda t: f"{t[0]} {t[1]} {t[2]}"),  # left to the grammar's precedence
            inner.map(lambda t: f"not ({t})"),
        )

    inner_filter = st.recursive(comparison(INNER_STRINGS, ["primary"], False), logic, max_leaves=3)

    @st.composite
    def value_path(draw: st.DrawFn) -> str:
        selected = f"{_spelled('emails', draw, urn=True)}[{draw(inner_filter)}]"
        if draw(st.booleans()):
            return selected
        # Entra's form: emails[type eq "work"].value eq "x"
        op = draw(st.sampled_from([*ALL_OPERATORS, "pr"]))
        return (
            f"{selected}.value pr"
            if op == "pr"
            else f"{selected}.value {op} {_quote(draw(string_operand('value', op)))}"
        )

    # `name` is complex: only pr applies to it as a whole
    whole_name = st.sampled_from(["name pr", "NAME pr", f"{USER_URN}:name pr"])
    leaf = comparison(STRING_ATTRIBUTES, BOOLEAN_ATTRIBUTES, True) | value_path() | whole_name
    return st.recursive(leaf, logic, max_leaves=5)


def _scim2_selects(text: str, models: dict[str, User]) -> set[str] | str:
    try:
        compiled = ScimFilter[User](text)
    except SCIMException:
        return "refused"
    return {user_id for user_id, model in models.items() if compiled.match(model)}


def _enlist_selects(db: Database, tenant: Tenant, text: str) -> set[str] | str:
    try:
        query = Query(filter=parse_filter(text), count=1000, with_groups=False)
        page = directory.list_users(db, tenant, query)
    except InvalidFilter:
        return "refused"
    return {user.id for user in page.items}


def _replace_users(db: Database, tenant: Tenant, people: list[UserFields]) -> None:
    """Empty the tenant and store this example's users, in one transaction (straight to the store:
    the generated users already keep the rules create_user checks)."""
    with db.write() as conn:
        conn.execute(delete(user_emails).where(user_emails.c.account_id == tenant.account_id))
        conn.execute(delete(users).where(users.c.account_id == tenant.account_id))
        store = UserStore(conn, tenant.account_id)
        for fields in people:
            store.insert(fields)


@pytest.fixture
def acting(db: Database, tenant: Any, settings: Settings) -> Tenant:
    return tenancy.authenticate(db, tenant.token, settings.secret_key)


@settings(
    max_examples=150,
    deadline=None,
    # explaining a failure re-runs it hundreds of times against the database; shrinking is enough
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    # every example replaces the tenant's users itself, so sharing the fixtures is safe
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(user_fields(), min_size=1, max_size=4, unique_by=lambda f: f.user_name.lower()),
    data=st.data(),
)
def test_sql_filters_select_what_scim2_models_matches(
    db: Database, acting: Tenant, people: list[UserFields], data: st.DataObject
) -> None:
    _replace_users(db, acting, people)
    stored = directory.list_users(db, acting, Query(count=1000)).items
    documents = {user.id: user_document(user, BASE) for user in stored}
    models = {user_id: User.model_validate(document) for user_id, document in documents.items()}
    note(f"documents: {list(documents.values())}")

    pool = sorted(
        {
            fragment
            for f in people
            for value in (
                f.user_name,
                f.display_name,
                f.external_id,
                *f.name.values(),
                *(e.value for e in f.emails),
                *(e.type for e in f.emails),
            )
            if value
            for fragment in _fragments(value)
        }
    )
    strategy = filters(pool)
    for _ in range(FILTERS_PER_EXAMPLE):
        text = data.draw(strategy, label="filter")
        expected = _scim2_selects(text, models)
        assert (text, _enlist_selects(db, acting, text)) == (text, expected)
        # shown by --hypothesis-show-statistics: how often a filter tells users apart
        if isinstance(expected, str):
            event("refused")
        else:
            event("none" if not expected else "all" if len(expected) == len(models) else "some")
