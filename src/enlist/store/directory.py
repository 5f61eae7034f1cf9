"""Repositories for provisioned users and groups; membership is rows, changed by set operations.

What a user's row holds, how it decodes and which attributes filters may name all come
from the attribute registry (domain/schema.py). Both repositories list through one
implementation (store/listing.py): `search(query)` answers index and cursor pages alike,
and `search_directory` lists the server root's users, then groups.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from enlist.clock import new_id, now
from enlist.domain.errors import Conflict, InvalidFilter, InvalidValue
from enlist.domain.model import Email, EnterpriseFields, Group, GroupRef, Member, User, UserFields
from enlist.domain.query import Page, Query
from enlist.domain.schema import (
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    SCHEMAS,
    USER,
    USER_RECORD,
    USER_SCHEMA,
    Attribute,
    Kind,
    Schema,
)
from enlist.store.accounts import as_utc
from enlist.store.filters import Collection, Column, Filterable, SqlFilter
from enlist.store.listing import Listing, Part, page
from enlist.store.ordering import FirstValue
from enlist.store.tables import group_members, groups, user_counts, user_emails, users

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# the filterable attributes ------------------------------------------------------------


def _common(table: Table) -> dict[str, Filterable]:
    """id and meta, which every resource has (RFC 7643 §3.1)."""
    return {
        "id": Column(table.c.id, Kind.EXACT),
        "meta.created": Column(table.c.created, Kind.DATETIME),
        "meta.lastmodified": Column(table.c.last_modified, Kind.DATETIME),
    }


def _compared(table: Table, column: str, attribute: Attribute) -> Column:
    """How an attribute in `column` compares: texts through their lower-cased form (the
    indexed `<column>_lower` copy when there is one), anything else as stored."""
    if attribute.kind is Kind.TEXT:
        lowered = table.c[f"{column}_lower"] if attribute.lowered else func.lower(table.c[column])
        return Column(lowered, Kind.TEXT)
    return Column(table.c[column], attribute.kind)


def _emails_of_user(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(user_emails.c.user_pk == users.c.pk, condition)


def _groups_of_user(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        group_members.c.user_pk == users.c.pk, groups.c.pk == group_members.c.group_pk, condition
    )


def _collections() -> dict[str, Collection]:
    """The multi-valued attributes kept as rows of their own, which filters can reach."""
    emails = USER["emails"]
    return {
        "emails": Collection(
            _emails_of_user,
            {sub.name.lower(): _compared(user_emails, sub.name, sub) for sub in emails.subs},
        ),
        "groups": Collection(
            _groups_of_user,
            {
                "value": Column(groups.c.id, Kind.EXACT),
                "display": Column(groups.c.display_name_lower, Kind.TEXT),
            },
        ),
    }


def _user_attributes() -> dict[str, Filterable]:
    """Every attribute a user filter or sortBy may name, keyed as SqlFilter looks them up:
    lower-cased, sub-attributes dotted, an extension's behind its lower-cased URN."""
    attributes = _common(users)
    collections = _collections()
    for schema in SCHEMAS:
        prefix = f"{schema.urn.lower()}:" if schema.extension else ""
        for attribute in schema.attributes:
            key = prefix + attribute.name.lower()
            if attribute.kind is Kind.COMPLEX:
                for sub in attribute.subs:
                    if sub.column is not None:
                        attributes[f"{key}.{sub.name.lower()}"] = _compared(users, sub.column, sub)
            elif attribute.kind is Kind.MULTI:
                if key in collections:  # JSON lists (phoneNumbers, addresses) are not
                    attributes[key] = collections[key]
            elif attribute.column is not None:
                attributes[key] = _compared(users, attribute.column, attribute)
    return attributes


USER_ATTRIBUTES = _user_attributes()

_member_user = users.alias("member_user")
_member_fields: dict[str, Column] = {
    "value": Column(_member_user.c.id, Kind.EXACT),
    "display": Column(
        func.lower(func.coalesce(_member_user.c.display_name, _member_user.c.user_name)), Kind.TEXT
    ),
    "type": Column(func.lower("User"), Kind.TEXT),
}


def _members_of_group(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        group_members.c.group_pk == groups.c.pk,
        _member_user.c.pk == group_members.c.user_pk,
        _member_user.c.deleted_at.is_(None),
        condition,
    )


GROUP_ATTRIBUTES: dict[str, Filterable] = {
    **_common(groups),
    "externalid": Column(groups.c.external_id, Kind.EXACT),
    "displayname": Column(groups.c.display_name_lower, Kind.TEXT),
    "members": Collection(_members_of_group, _member_fields),
}

# The member view used by `members[...]` PATCH paths: rows of one group's members.
MEMBER_ATTRIBUTES: dict[str, Filterable] = dict(_member_fields)


def _first_email(field: ColumnElement[Any]) -> ColumnElement[Any]:
    """sortBy=emails: the primary email's field, else the first one's."""
    return (
        select(field)
        .where(user_emails.c.user_pk == users.c.pk)
        .order_by(user_emails.c.primary.desc(), user_emails.c.position)
        .limit(1)
        .scalar_subquery()
    )


# rows and fields ----------------------------------------------------------------------

# Where each column sits in a row of select(users): rows are decoded by position, because
# a page decodes 100 of them and Row attribute lookups add up.
_USER_COLUMN = {key: position for position, key in enumerate(users.c.keys())}
Model = TypeVar("Model", bound="DataclassInstance")


def _decoder(
    schema: Schema, model: type[Model], given: tuple[str, ...] = ()
) -> Callable[..., Model]:
    """How a model (UserFields, EnterpriseFields) comes out of a users row: every field read
    by its position, straight into the model's own field order, from tables built once (a
    page decodes 100 rows). The caller hands over the `given` fields, which the row lacks."""
    order = [f.name for f in dataclasses.fields(model)]
    position: dict[str, int] = dict.fromkeys(given, 0)  # placeholders, replaced
    flags: list[int] = []
    lists: list[int] = []
    parts: list[tuple[int, tuple[str, ...], itemgetter[Any]]] = []  # a dict of sub-attributes
    for attribute in schema.attributes:
        if attribute.kind is Kind.COMPLEX and attribute.field is not None:
            subs = [s for s in attribute.subs if s.column is not None]
            read = itemgetter(*(_USER_COLUMN[str(s.column)] for s in subs))
            parts.append((order.index(attribute.field), tuple(s.name for s in subs), read))
            position[attribute.field] = 0
            continue
        for kept in (attribute, *attribute.subs):  # manager: its value sub-attribute
            if kept.column is not None and kept.field is not None:
                position[kept.field] = _USER_COLUMN[kept.column]
                kinds = {Kind.BOOL: flags, Kind.MULTI: lists}
                kinds.get(kept.kind, []).append(order.index(kept.field))
    if set(position) != set(order):
        raise RuntimeError(f"{model.__name__} and the attribute registry name other fields")
    take = itemgetter(*(position[name] for name in order))
    given_at = tuple(order.index(name) for name in given)

    def decode(row: Row[Any], *values: Any) -> Model:
        args = list(take(row))
        for i, keys, read in parts:
            args[i] = {k: v for k, v in zip(keys, read(row), strict=True) if v is not None}
        for i in flags:
            args[i] = bool(args[i])
        for i in lists:
            args[i] = list(args[i] or ())
        for i, value in zip(given_at, values, strict=True):
            args[i] = value
        return model(*args)

    return decode


_DECODE_USER = _decoder(USER, UserFields, given=("emails", "enterprise"))
_DECODE_ENTERPRISE = _decoder(ENTERPRISE_USER, EnterpriseFields)
_MANAGER = _USER_COLUMN["manager_id"]


def _kept(value: Any, attribute: Attribute, into: dict[str, Any]) -> None:
    column = str(attribute.column)
    into[column] = (value or None) if attribute.kind is Kind.MULTI else value
    if attribute.lowered:
        into[f"{column}_lower"] = value.lower() if value is not None else None


def _row_values(fields: UserFields) -> dict[str, Any]:
    """The users columns that hold a user's fields (the inverse of the readers above)."""
    values: dict[str, Any] = {}
    for schema, model in ((USER, fields), (ENTERPRISE_USER, fields.enterprise)):
        for attribute in schema.attributes:
            if attribute.kind is Kind.COMPLEX:
                whole = getattr(model, attribute.field) if attribute.field else None
                for sub in attribute.subs:
                    if sub.column is not None:
                        found = whole.get(sub.name) if whole is not None else None
                        _kept(getattr(model, str(sub.field)) if sub.field else found, sub, values)
            elif attribute.column is not None:
                _kept(getattr(model, str(attribute.field)), attribute, values)
    return values


def _paths(schema: Schema) -> dict[str, str]:
    """The SCIM path each users column (and its lower-cased copy) holds, for refusals."""
    paths: dict[str, str] = {}
    for attribute in schema.attributes:
        for sub in (None, *attribute.subs):
            kept = attribute if sub is None else sub
            if kept.column is not None:
                paths[kept.column] = paths[f"{kept.column}_lower"] = schema.path(attribute, sub)
    return paths


_SCIM_PATH = {
    users: {**_paths(USER), **_paths(ENTERPRISE_USER)},
    user_emails: {
        **{sub.name: f"emails.{sub.name}" for sub in USER["emails"].subs},
        "value_lower": "emails.value",
    },
    groups: {
        "display_name": "displayName",
        "display_name_lower": "displayName",
        "external_id": "externalId",
    },
}


# the length of each sized text column, looked up by every write
_LIMITS = {
    table: {
        c.key: length for c in table.c if (length := getattr(c.type, "length", None)) is not None
    }
    for table in _SCIM_PATH
}


def fitted(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Refuse (400) a text longer than its column holds, the same way on every backend:
    PostgreSQL would fail the statement and SQLite would keep it whole. Column sizes come
    from the registry's maximum lengths, so this is the one length check."""
    paths, limits = _SCIM_PATH[table], _LIMITS[table]
    for key, value in values.items():
        limit = limits.get(key)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            raise InvalidValue(
                f"{paths.get(key, key)} is longer than the {limit} characters Enlist keeps."
            )
    return values


# the statements every request runs, built once: building one costs more than running it -

_ID, _ACCOUNT = bindparam("id", type_=String), bindparam("account_id", type_=String)
# Users the identity provider deleted stay as rows but leave the SCIM view: every SCIM
# query carries this (the admin pages alone ask for them).
_LIVE = users.c.deleted_at.is_(None)
_USER_PK_AND_VERSION = select(users.c.pk, users.c.version).where(
    users.c.id == _ID, users.c.account_id == _ACCOUNT, _LIVE
)
_USER_PK_AND_VERSION_LOCKED = _USER_PK_AND_VERSION.with_for_update()
_PK = _USER_COLUMN["pk"]
# A write's statements: the values go as parameters, named after their columns (an
# UPDATE sets the columns its parameters name); each returns the row as stored.
_INSERT_USER = insert(users).returning(*users.c)
_UPDATE_USER = (
    update(users)
    .where(users.c.pk == bindparam("key"), users.c.account_id == bindparam("account"))
    .values(version=users.c.version + 1)
    .returning(*users.c)
)
_DELETE_EMAILS = delete(user_emails).where(user_emails.c.user_pk == bindparam("user_pk"))
_INSERT_EMAILS = insert(user_emails)
_USER_COUNT = select(user_counts.c.users).where(user_counts.c.account_id == _ACCOUNT)
_GROUP_BY_ID = select(groups).where(groups.c.id == _ID, groups.c.account_id == _ACCOUNT)


def _user_parts(
    aggregate: Callable[..., ColumnElement[Any]], build: Callable[..., ColumnElement[Any]]
) -> tuple[Any, Any]:
    """A user's emails and its groups, each a JSON array read with the user's row (a GET by
    id was three statements, a page of users three). Each element carries its position
    (groups: pk) and is put back in order in Python, whatever order the aggregate keeps."""
    emails_of = (
        select(
            aggregate(
                build(
                    user_emails.c.position,
                    user_emails.c.value,
                    user_emails.c.type,
                    user_emails.c.primary,
                    user_emails.c.display,
                )
            )
        )
        .where(user_emails.c.user_pk == users.c.pk)
        .scalar_subquery()
    )
    groups_of = (
        select(aggregate(build(groups.c.pk, groups.c.id, groups.c.display_name)))
        .select_from(group_members.join(groups, groups.c.pk == group_members.c.group_pk))
        .where(group_members.c.user_pk == users.c.pk)
        .scalar_subquery()
    )
    return emails_of, groups_of


_USER_PARTS = {
    "sqlite": _user_parts(func.json_group_array, func.json_array),
    "postgresql": _user_parts(func.json_agg, func.json_build_array),
}


def _parts(dialect: str, with_groups: bool) -> tuple[Any, ...]:
    emails_of, groups_of = _USER_PARTS[dialect]
    return (emails_of, groups_of) if with_groups else (emails_of,)


# (dialect, include_deleted, with_groups) -> the user by id with its parts, built once
_USER_WITH_PARTS = {
    (dialect, include_deleted, with_groups): (
        select(users, *_parts(dialect, with_groups))
        .where(users.c.id == _ID, users.c.account_id == _ACCOUNT)
        .where(*(() if include_deleted else (_LIVE,)))
    )
    for dialect in _USER_PARTS
    for include_deleted in (False, True)
    for with_groups in (False, True)
}
_PARTS_AT = len(users.c)  # where the JSON arrays start in such a row


def record_by_id(dialect: str) -> Select[Any]:
    """A live user's record (domain/schema.py USER_RECORD) by id, bound: id, account_id
    (scim/point.py runs it on a driver connection of its own)."""
    return select(*_RECORDS[dialect, True]).where(
        users.c.id == _ID, users.c.account_id == _ACCOUNT, _LIVE
    )


def _rfc3339(moment: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """A stored time as documents show it (`2026-01-01T00:00:00.001Z`: UTC, milliseconds
    cut, not rounded), written by the database: a page formats 200 of them. SQLite keeps
    `YYYY-MM-DD HH:MM:SS.ffffff` (SQLAlchemy's form, in UTC: see accounts.as_utc), cut
    to pieces as text; PostgreSQL's MS field is the milliseconds cut too."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", moment), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    fraction = func.substr(func.substr(moment, 21) + literal("000"), 1, 3)
    return (
        func.substr(moment, 1, 10)
        + literal("T")
        + func.substr(moment, 12, 8)
        + literal(".")
        + fraction
        + literal("Z")
    )


_manager = users.alias("manager")
# manager.displayName: the displayName (else userName) of the user manager_id names, when
# that is a user of the account (as `UserStore.manager_names`)
_MANAGER_NAME = (
    select(func.coalesce(func.nullif(_manager.c.display_name, ""), _manager.c.user_name))
    .where(
        _manager.c.id == users.c.manager_id,
        _manager.c.account_id == users.c.account_id,
        _manager.c.deleted_at.is_(None),
    )
    .scalar_subquery()
)


def _record(dialect: str, with_groups: bool) -> tuple[ColumnElement[Any], ...]:
    """What a user's record (domain/schema.py USER_RECORD) is read as, in its order."""

    def aggregate(*values: Any) -> ColumnElement[Any]:
        if dialect == "postgresql":
            # as text, for orjson: psycopg would parse it with the standard library's json
            return cast(func.json_agg(*values), Text)
        return func.json_group_array(*values)

    build = func.json_build_array if dialect == "postgresql" else func.json_array
    emails_of, groups_of = _user_parts(aggregate, build)
    computed = {
        "created": _rfc3339(users.c.created, dialect),
        "last_modified": _rfc3339(users.c.last_modified, dialect),
        "emails": emails_of,
        "groups": groups_of if with_groups else null(),
        "manager_name": _MANAGER_NAME,
    }
    return tuple(
        (computed[name] if name in computed else users.c[name]).label(name) for name in USER_RECORD
    )


_RECORDS = {
    (dialect, with_groups): _record(dialect, with_groups)
    for dialect in ("sqlite", "postgresql")
    for with_groups in (False, True)
}


def _json_list(value: Any) -> list[Any]:
    """A JSON array column: text on SQLite, parsed already (or NULL for none) on PostgreSQL."""
    if value is None:
        return []
    return orjson.loads(value) if isinstance(value, str) else list(value)


_GROUP_PK_AND_VERSION = select(groups.c.pk, groups.c.version).where(
    groups.c.id == _ID, groups.c.account_id == _ACCOUNT
)


# PostgreSQL set operations on many members at once, with one array parameter each.
_PG_USER_PKS = select(users.c.id, users.c.pk).where(
    users.c.account_id == _ACCOUNT,
    users.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(String))),
    _LIVE,
)
_PG_ADD_MEMBERS = text(
    "INSERT INTO group_members (group_pk, user_pk, account_id, added) "
    "SELECT :group_pk, member, :account_id, :added "
    "FROM unnest(CAST(:user_pks AS integer[])) AS member "
    "ON CONFLICT DO NOTHING RETURNING user_pk"
).bindparams(bindparam("added", type_=groups.c.created.type))
_PG_REMOVE_MEMBERS = (
    delete(group_members)
    .where(
        group_members.c.group_pk == bindparam("group_pk"),
        group_members.c.user_pk == any_(bindparam("user_pks", type_=postgresql.ARRAY(Integer))),
    )
    .returning(group_members.c.user_pk)
)


def _insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    elif conn.dialect.name == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(conn.dialect.name)


def _inserted_pk(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row
    return int(key[0])


def _chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def search_directory(conn: Connection, account_id: str, query: Query) -> Page[User | Group]:
    """A query at the server root (RFC 7644 §3.4.2.1): users, then groups, paged as one list.

    A resource type whose attributes the filter does not name is left out (a userName
    filter finds only users); a filter no resource type can evaluate is refused. sortBy
    orders each type's part where that type has the attribute, else it keeps creation order.
    """
    parts: list[Part] = []
    refusals: list[InvalidFilter] = []
    for rows in (UserStore(conn, account_id), GroupStore(conn, account_id)):
        try:
            where = rows.where(query.filter)
        except InvalidFilter as refusal:
            refusals.append(refusal)
            continue
        try:
            sorted_by = rows.ordering(query)
        except InvalidFilter:
            sorted_by = rows.ordering(Query(descending=query.descending))
        parts.append(Part(rows, sorted_by, query, where))
    if not parts:
        raise refusals[0]
    return page(parts, query)


# users --------------------------------------------------------------------------------


class UserStore(Listing):
    """Users of one account; every query carries the account id."""

    table = users
    attributes = USER_ATTRIBUTES
    urns = frozenset({USER_SCHEMA.lower()})
    first_values: ClassVar[Mapping[str, FirstValue]] = {"emails": _first_email}

    def search(self, query: Query, *, deleted: bool | None = False) -> Page[User]:
        """A page of the account's users; `deleted`: False (SCIM) for the users the identity
        provider has not deleted, True for only those it deleted, None for both."""
        return page([self.part(query, deleted=deleted)], query)

    def _scope(self, deleted: bool | None) -> ColumnElement[bool] | None:
        if deleted is None:
            return None
        return users.c.deleted_at.is_not(None) if deleted else _LIVE

    def _load(self, rows: Sequence[Row[Any]], query: Query) -> list[Any]:
        if query.records:
            return list(rows)
        return self._with_parts(rows, with_groups=query.with_groups)

    def _loaded_with(self, query: Query) -> tuple[Any, ...]:
        return _parts(self.conn.dialect.name, query.with_groups)

    def _selected(self, query: Query) -> tuple[Any, ...]:
        if query.records:
            return _RECORDS[self.conn.dialect.name, query.with_groups]
        return super()._selected(query)

    def _count_all(self) -> int:
        # every user: the trigger-kept count (deleted users excluded), not a scan
        return int(self.conn.scalar(_USER_COUNT, {"account_id": self.account_id}) or 0)

    def _write_emails(self, user_pk: int, emails: list[Email], replace: bool) -> None:
        if replace:
            self.conn.execute(_DELETE_EMAILS, {"user_pk": user_pk})
        if emails:
            self.conn.execute(
                _INSERT_EMAILS,
                [
                    fitted(
                        user_emails,
                        {
                            "user_pk": user_pk,
                            "account_id": self.account_id,
                            "position": position,
                            "value": email.value,
                            "value_lower": email.value.lower(),
                            "type": email.type,
                            "primary": email.primary,
                            "display": email.display,
                        },
                    )
                    for position, email in enumerate(emails)
                ],
            )

    def insert(self, fields: UserFields, source: str = "scim") -> str:
        return self.add(fields, source).id

    def add(self, fields: UserFields, source: str = "scim") -> User:
        """Store a new user; returns it as a read would (it is in no group yet).

        A taken userName raises Conflict, which ends the write: the transaction is rolled
        back whole, so no savepoint is needed to keep it usable (nor paid on every POST)."""
        moment = now()
        values = {
            "id": new_id(),
            "account_id": self.account_id,
            "created": moment,
            "last_modified": moment,
            "version": 1,
            "source": source,
            **fitted(users, _row_values(fields)),
        }
        try:
            row = self.conn.execute(_INSERT_USER, values).one()
        except IntegrityError:
            raise Conflict(f"A user with userName {fields.user_name} already exists.") from None
        self._write_emails(row[_PK], fields.emails, replace=False)
        return self._written(row, fields.emails, [])

    def update(self, pk: int, fields: UserFields, before: UserFields) -> User:
        """Write a user's new fields over `before` (as stored now), and rewrite its emails'
        rows only if they changed; returns the user as a read would, without its groups.
        A taken userName raises Conflict, which ends the write (as in `add`)."""
        values = {
            "key": pk,
            "account": self.account_id,
            "last_modified": now(),
            **fitted(users, _row_values(fields)),
        }
        try:
            row = self.conn.execute(_UPDATE_USER, values).one()
        except IntegrityError:
            raise Conflict(f"Another user already has userName {fields.user_name}.") from None
        if fields.emails != before.emails:
            self._write_emails(pk, fields.emails, replace=True)
        return self._written(row, fields.emails, None)

    def _written(self, row: Row[Any], emails: list[Email], groups: list[GroupRef] | None) -> User:
        """A user from the row its INSERT or UPDATE returned and the emails written with it:
        what reading it back would give, without reading it back."""
        manager_id = row[_MANAGER]
        managers = self.manager_names([manager_id]) if manager_id is not None else {}
        stored = [
            Email(value=e.value, type=e.type, primary=bool(e.primary), display=e.display)
            for e in emails
        ]
        return self._user(row, stored, groups, managers)

    def delete(self, pk: int) -> str | None:
        """The identity provider deleted the user: it leaves the SCIM view and every group
        and loses access, but the row stays (the calendar data it created refers to it).
        Returns its userName (None if it was deleted already)."""
        moment = now()
        bumped = {"last_modified": moment, "version": users.c.version + 1}
        self.conn.execute(
            update(groups)
            .where(
                groups.c.account_id == self.account_id,
                groups.c.pk.in_(
                    select(group_members.c.group_pk).where(group_members.c.user_pk == pk)
                ),
            )
            .values(last_modified=moment, version=groups.c.version + 1)
        )
        self.conn.execute(delete(group_members).where(group_members.c.user_pk == pk))
        gone = self.conn.execute(
            update(users)
            .where(users.c.pk == pk, users.c.account_id == self.account_id, _LIVE)
            .values(deleted_at=moment, active=False, **bumped)
            .returning(users.c.id, users.c.user_name)
        ).first()
        if gone is None:
            return None
        # its reports no longer have a manager in the directory
        self.conn.execute(
            update(users)
            .where(users.c.account_id == self.account_id, users.c.manager_id == gone.id, _LIVE)
            .values(manager_id=None, **bumped)
        )
        return str(gone.user_name)

    def manager_names(self, manager_ids: Iterable[str]) -> dict[str, str]:
        """displayName (else userName) of those ids that are users of the account."""
        wanted = list(dict.fromkeys(manager_ids))
        if not wanted:
            return {}
        rows = self.conn.execute(
            select(users.c.id, users.c.display_name, users.c.user_name).where(
                users.c.account_id == self.account_id, users.c.id.in_(wanted), _LIVE
            )
        )
        return {row.id: row.display_name or row.user_name for row in rows}

    def pk_and_version(self, user_id: str, *, lock: bool = False) -> tuple[int, int] | None:
        query = _USER_PK_AND_VERSION
        if lock and self.conn.dialect.name == "postgresql":
            query = _USER_PK_AND_VERSION_LOCKED
        row = self.conn.execute(query, {"id": user_id, "account_id": self.account_id}).first()
        return (row.pk, row.version) if row else None

    def for_update(self, user_id: str) -> tuple[int, User] | None:
        """The user a write is about to change, and its key, under the row lock.

        On PostgreSQL the lock comes first, and the read after it in a statement of its own:
        a snapshot taken before the writer ahead of this one committed would miss its
        emails. On SQLite the write transaction holds the whole database already."""
        if self.conn.dialect.name == "postgresql" and not self.pk_and_version(user_id, lock=True):
            return None
        statement = _USER_WITH_PARTS[(self.conn.dialect.name, False, True)]
        row = self.conn.execute(statement, {"id": user_id, "account_id": self.account_id}).first()
        if row is None:
            return None
        return row[_PK], self._with_parts([row], with_groups=True)[0]

    def get(
        self, user_id: str, *, with_groups: bool = True, include_deleted: bool = False
    ) -> User | None:
        key = (self.conn.dialect.name, include_deleted, with_groups)
        statement = _USER_WITH_PARTS[key]
        row = self.conn.execute(statement, {"id": user_id, "account_id": self.account_id}).first()
        found = self._with_parts([row] if row is not None else [], with_groups=with_groups)
        return found[0] if found else None

    def _with_parts(self, rows: Sequence[Row[Any]], *, with_groups: bool) -> list[User]:
        """Users from rows read with their parts (`_parts`)."""
        # Only users with a manager cost a query: most directories set none.
        managers = self.manager_names(row[_MANAGER] for row in rows if row[_MANAGER] is not None)
        found = []
        for row in rows:
            emails = [
                Email(value=value, type=kind, primary=bool(primary), display=display)
                for _, value, kind, primary, display in sorted(_json_list(row[_PARTS_AT]))
            ]
            memberships = None
            if with_groups:
                memberships = [
                    GroupRef(id=group_id, display_name=name)
                    for _, group_id, name in sorted(_json_list(row[_PARTS_AT + 1]))
                ]
            found.append(self._user(row, emails, memberships, managers))
        return found

    @staticmethod
    def _user(
        row: Row[Any],
        emails: list[Email],
        memberships: list[GroupRef] | None,
        managers: dict[str, str],
    ) -> User:
        c = _USER_COLUMN
        fields = _DECODE_USER(row, emails, _DECODE_ENTERPRISE(row))
        manager_id = row[_MANAGER]
        return User(
            id=row[c["id"]],
            fields=fields,
            created=as_utc(row[c["created"]]) or now(),
            last_modified=as_utc(row[c["last_modified"]]) or now(),
            version=row[c["version"]],
            groups=memberships,
            manager_name=managers.get(manager_id) if manager_id is not None else None,
            deleted_at=as_utc(row[c["deleted_at"]]),
        )

    def named(self, pks: Sequence[int]) -> list[tuple[str, str]]:
        """(id, displayName or userName) of these users, in the order given (for messages:
        callers pass the first few of a long list)."""
        if not pks:
            return []
        rows = self.conn.execute(
            select(users.c.pk, users.c.id, users.c.display_name, users.c.user_name).where(
                users.c.account_id == self.account_id, users.c.pk.in_(list(pks))
            )
        )
        found = {row.pk: (row.id, row.display_name or row.user_name) for row in rows}
        return [found[pk] for pk in pks if pk in found]

    def ids_of(self, pks: Sequence[int]) -> dict[int, str]:
        """The ids of these user keys (the account's own)."""
        found: dict[int, str] = {}
        for chunk in _chunks(list(pks)):
            for row in self.conn.execute(
                select(users.c.pk, users.c.id).where(
                    users.c.account_id == self.account_id, users.c.pk.in_(chunk)
                )
            ):
                found[row.pk] = row.id
        return found

    def pks_for_ids(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The account's users among these ids (ids of other accounts are simply absent)."""
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(user_ids))
        if unique and self.conn.dialect.name == "postgresql":
            # One array parameter: a thousand bound values cost more to send than to look up.
            params = {"account_id": self.account_id, "ids": unique}
            return {row.id: row.pk for row in self.conn.execute(_PG_USER_PKS, params)}
        for chunk in _chunks(unique):
            for row in self.conn.execute(
                select(users.c.id, users.c.pk).where(
                    users.c.account_id == self.account_id, users.c.id.in_(chunk), _LIVE
                )
            ):
                found[row.id] = row.pk
        return found


# groups -------------------------------------------------------------------------------


class GroupStore(Listing):
    """Groups of one account and their membership rows."""

    table = groups
    attributes = GROUP_ATTRIBUTES
    urns = frozenset({GROUP_SCHEMA.lower()})

    def _load(self, rows: Sequence[Row[Any]], query: Query) -> list[Any]:
        return self._hydrate(rows, with_members=query.with_members)

    def insert(
        self, organization_id: str, display_name: str, external_id: str | None
    ) -> tuple[str, int]:
        group_id = new_id()
        moment = now()
        fitted(groups, {"display_name": display_name, "external_id": external_id})
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(groups).values(
                        id=group_id,
                        account_id=self.account_id,
                        organization_id=organization_id,
                        display_name=display_name,
                        display_name_lower=display_name.lower(),
                        external_id=external_id,
                        created=moment,
                        last_modified=moment,
                        version=1,
                    )
                )
        except IntegrityError:
            raise Conflict(f"A group named {display_name} already exists.") from None
        return group_id, _inserted_pk(result)

    def pk_and_version(self, group_id: str) -> tuple[int, int] | None:
        row = self.conn.execute(
            _GROUP_PK_AND_VERSION, {"id": group_id, "account_id": self.account_id}
        ).first()
        return (row.pk, row.version) if row else None

    def touch(self, pk: int, **values: Any) -> int:
        """Bump the version (and set any simple fields); returns the new version.

        The UPDATE also serialises concurrent writers of the same group on PostgreSQL,
        which is what makes If-Match checks inside the transaction sound.
        """
        fitted(groups, values)
        statement = (
            update(groups)
            .where(groups.c.pk == pk, groups.c.account_id == self.account_id)
            .values(last_modified=now(), version=groups.c.version + 1, **values)
            .returning(groups.c.version)
        )
        if "display_name" not in values:  # nothing unique changes: no savepoint round trips
            return int(self.conn.scalar(statement) or 0)
        statement = statement.values(display_name_lower=values["display_name"].lower())
        try:
            with self.conn.begin_nested():
                return int(self.conn.scalar(statement) or 0)
        except IntegrityError:
            raise Conflict(f"A group named {values.get('display_name')} already exists.") from None

    def delete(self, pk: int) -> None:
        self.conn.execute(delete(group_members).where(group_members.c.group_pk == pk))
        self.conn.execute(
            delete(groups).where(groups.c.pk == pk, groups.c.account_id == self.account_id)
        )

    def member_pks(self, pk: int) -> set[int]:
        """The group's members as user keys (under the group's row lock, a stable set)."""
        return set(
            self.conn.scalars(select(group_members.c.user_pk).where(group_members.c.group_pk == pk))
        )

    def add_members(self, pk: int, user_pks: Iterable[int]) -> list[int]:
        """Add members; returns those that were not members yet (the others are left as
        they are). Writers of one group hold its row lock (`touch`), so this is exact."""
        moment = now()
        wanted = list(dict.fromkeys(user_pks))
        if not wanted:
            return []
        if self.conn.dialect.name == "postgresql":
            # One INSERT ... SELECT unnest(array): executemany would run one INSERT per row.
            params = {
                "group_pk": pk,
                "user_pks": wanted,
                "account_id": self.account_id,
                "added": moment,
            }
            return list(self.conn.scalars(_PG_ADD_MEMBERS, params))
        present: set[int] = set()
        for chunk in _chunks(wanted):
            present.update(
                self.conn.scalars(
                    select(group_members.c.user_pk).where(
                        group_members.c.group_pk == pk, group_members.c.user_pk.in_(chunk)
                    )
                )
            )
        added = [user_pk for user_pk in wanted if user_pk not in present]
        rows = [
            {"group_pk": pk, "user_pk": user_pk, "account_id": self.account_id, "added": moment}
            for user_pk in added
        ]
        for part in _chunks(rows, 500):
            _insert_ignoring_duplicates(self.conn, group_members, list(part))
        return added

    def remove_members(self, pk: int, user_pks: Iterable[int]) -> list[int]:
        """Remove members; returns those that were members (others are no change)."""
        wanted = list(dict.fromkeys(user_pks))
        if not wanted:
            return []
        if self.conn.dialect.name == "postgresql":
            return list(self.conn.scalars(_PG_REMOVE_MEMBERS, {"group_pk": pk, "user_pks": wanted}))
        removed: list[int] = []
        for chunk in _chunks(wanted):
            removed.extend(
                self.conn.scalars(
                    delete(group_members)
                    .where(group_members.c.group_pk == pk, group_members.c.user_pk.in_(chunk))
                    .returning(group_members.c.user_pk)
                )
            )
        return removed

    def remove_members_where(self, pk: int, tree: Any) -> list[int]:
        """Remove the members a `members[...]` filter (scim2-models tree) selects, in one
        DELETE; returns them."""
        condition = SqlFilter(MEMBER_ATTRIBUTES, frozenset()).visit(tree)
        selected = (
            select(_member_user.c.pk)
            .where(_member_user.c.account_id == self.account_id, condition)
            .scalar_subquery()
        )
        return list(
            self.conn.scalars(
                delete(group_members)
                .where(group_members.c.group_pk == pk, group_members.c.user_pk.in_(selected))
                .returning(group_members.c.user_pk)
            )
        )

    def get(self, group_id: str, *, with_members: bool = True) -> Group | None:
        rows = self.conn.execute(
            _GROUP_BY_ID, {"id": group_id, "account_id": self.account_id}
        ).all()
        found = self._hydrate(rows, with_members=with_members)
        return found[0] if found else None

    def _hydrate(self, rows: Sequence[Row[Any]], *, with_members: bool) -> list[Group]:
        if not rows:
            return []
        members: dict[int, list[Member]] = {row.pk: [] for row in rows}
        if with_members:
            for link in self.conn.execute(
                select(
                    group_members.c.group_pk, users.c.id, users.c.display_name, users.c.user_name
                )
                .join(users, users.c.pk == group_members.c.user_pk)
                # a deleted user's rows go with it; this hides one a concurrent PATCH re-added
                .where(group_members.c.group_pk.in_(list(members)), _LIVE)
                .order_by(group_members.c.group_pk, group_members.c.user_pk)
            ):
                members[link.group_pk].append(
                    Member(user_id=link.id, display=link.display_name or link.user_name)
                )
        return [
            Group(
                id=row.id,
                display_name=row.display_name,
                external_id=row.external_id,
                organization_id=row.organization_id,
                created=as_utc(row.created) or now(),
                last_modified=as_utc(row.last_modified) or now(),
                version=row.version,
                members=members[row.pk] if with_members else None,
            )
            for row in rows
        ]
