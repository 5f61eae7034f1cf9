"""Sort orders of listed users and groups, and the keyset predicates that page through them.

A list is ordered by at most one attribute (`sortBy`) and then by the surrogate key `pk`,
so the order is total: pages neither overlap nor skip rows, whatever their size. A cursor
page (RFC 9865) starts strictly after, or ends strictly before, one row's position
(sort value, pk): a WHERE clause the (account_id, key, pk) indexes serve, never an OFFSET.
Rows without a value come last when ascending and first when descending (RFC 7644
§3.4.2.3); a multi-valued attribute sorts by its primary value, else its first one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from scim2_models import ScimFilter
from scim2_models.exceptions import SCIMException
from scim2_models.path import Present
from sqlalchemy import ColumnElement, Connection, Table, and_, literal, select, tuple_
from sqlalchemy.sql.elements import ColumnClause

from enlist.domain.errors import InvalidFilter
from enlist.store.filters import Attribute, Collection, Kind, SqlFilter
from enlist.store.tables import user_emails, users

# How a multi-valued attribute sorts: its primary row's field, else its first row's.
FirstValue = Callable[[ColumnElement[Any]], ColumnElement[Any]]


def _first_email(field: ColumnElement[Any]) -> ColumnElement[Any]:
    return (
        select(field)
        .where(user_emails.c.user_pk == users.c.pk)
        .order_by(user_emails.c.primary.desc(), user_emails.c.position)
        .limit(1)
        .scalar_subquery()
    )


USER_FIRST_VALUES: Mapping[str, FirstValue] = {"emails": _first_email}


@dataclass(frozen=True)
class Position:
    """Where a row sits in an ordering: its sort value (None when it has none) and pk."""

    value: Any
    pk: int


@dataclass(frozen=True)
class Ordering:
    """An order over one table: by `key` (None: the surrogate key alone), then by `pk`."""

    table: Table
    key: ColumnElement[Any] | None = None
    kind: Kind = Kind.EXACT
    nullable: bool = False
    descending: bool = False

    @property
    def pk(self) -> ColumnElement[int]:
        return self.table.c.pk

    def reversed(self) -> Ordering:
        return replace(self, descending=not self.descending)

    def order_by(self) -> list[ColumnElement[Any]]:
        pk = self.pk.desc() if self.descending else self.pk.asc()
        if self.key is None:
            return [pk]
        if self.descending:
            key = self.key.desc()
            return [key.nulls_first() if self.nullable else key, pk]
        key = self.key.asc()
        return [key.nulls_last() if self.nullable else key, pk]

    def after(self, position: Position) -> ColumnElement[bool]:
        """The rows that come strictly after `position` in this order.

        A row value comparison, (key, pk) > (value, pk): one range scan of the
        (account_id, key, pk) index. Orderings whose key may be NULL are split first
        (see `segments`), so that this never needs an OR that no index serves.
        """
        pk = literal(position.pk, type_=self.pk.type)
        if self.key is None or position.value is None:
            return self.pk < pk if self.descending else self.pk > pk
        value = literal(self.load(position.value), type_=self.key.type)
        mine, theirs = tuple_(self.key, self.pk), tuple_(value, pk)
        return mine < theirs if self.descending else mine > theirs

    def positions(
        self, conn: Connection, account_id: str, ids: Sequence[str]
    ) -> dict[str, Position]:
        """The positions of some rows, by id, with their sort values as the database has them."""
        key = self.key if self.key is not None else literal(None)
        rows = conn.execute(
            select(self.table.c.id, self.pk, key.label("sort_value")).where(
                self.table.c.account_id == account_id, self.table.c.id.in_(list(ids))
            )
        )
        return {row.id: Position(self.dump(row.sort_value), row.pk) for row in rows}

    # sort values as JSON, for cursors -------------------------------------------
    def dump(self, value: Any) -> Any:
        if value is None or self.key is None:
            return None
        if self.kind is Kind.DATETIME and isinstance(value, datetime):
            moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            return moment.astimezone(UTC).isoformat()
        if self.kind is Kind.BOOL:
            return bool(value)
        return str(value)

    def load(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind is Kind.DATETIME:
            return datetime.fromisoformat(str(value)).astimezone(UTC)
        if self.kind is Kind.BOOL:
            return bool(value)
        return str(value)


@dataclass(frozen=True)
class Seek:
    """Where a cursor page starts: right after one row, or (backward) right before it.

    `part` says which of the lists `keyset_page` walks the row is in: the users, then the
    groups at the server root, each split in two when its sort key may be NULL.
    """

    part: int
    position: Position
    backward: bool = False


@dataclass(frozen=True)
class KeysetPart:
    """One list a cursor walks through: its order and filter, and how to read and count it."""

    kind: str  # "users" or "groups"
    ordering: Ordering
    where: ColumnElement[bool] | None
    read: Callable[[Connection, ColumnElement[bool] | None, int, list[Any]], list[Any]]
    count: Callable[[Connection], int] | None  # None: counted with the part before it


@dataclass(frozen=True)
class KeysetPage:
    """A page read by keyset: its items, the total when counted, and where its neighbours start."""

    total: int | None
    items: list[Any]
    next: Seek | None
    previous: Seek | None


def segments(part: KeysetPart) -> list[KeysetPart]:
    """A list whose sort key may be NULL, as two lists read one after the other: the rows with
    a value, by (key, pk), then those without, by pk (the other way round when descending).

    Each is then paged by a plain row value comparison that an index serves. Only the first
    counts the rows (both stand for one list).
    """
    order = part.ordering
    if order.key is None or not order.nullable:
        return [part]

    def where(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        return condition if part.where is None else and_(part.where, condition)

    valued = replace(
        part, ordering=replace(order, nullable=False), where=where(order.key.is_not(None))
    )
    empty = replace(
        part,
        ordering=Ordering(order.table, descending=order.descending),
        where=where(order.key.is_(None)),
        count=None,
    )
    return [empty, valued] if order.descending else [valued, empty]


def keyset_page(
    conn: Connection,
    account_id: str,
    parts: Sequence[KeysetPart],
    seek: Seek | None,
    count: int,
    *,
    with_total: bool = True,
) -> KeysetPage:
    """Read `count` rows from where `seek` says (the start when None), across the parts in turn.

    One row more than the page is read to learn whether another page follows; going
    backward reads in the reversed order and turns the rows round. A count of 0 gives
    the total alone.
    """
    parts = [segment for part in parts for segment in segments(part)]
    total = sum(part.count(conn) for part in parts if part.count) if with_total else None
    if count <= 0:
        return KeysetPage(total, [], None, None)
    backward = seek is not None and seek.backward
    start = seek.part if seek is not None else 0
    indexes = range(min(start, len(parts) - 1), -1, -1) if backward else range(start, len(parts))
    found: list[tuple[int, Any]] = []
    for index in indexes:
        if len(found) > count:
            break
        part = parts[index]
        sorted_by = part.ordering.reversed() if backward else part.ordering
        condition = part.where
        if seek is not None and index == seek.part:
            seek_from = sorted_by.after(seek.position)
            condition = seek_from if condition is None else and_(condition, seek_from)
        rows = part.read(conn, condition, count + 1 - len(found), sorted_by.order_by())
        found.extend((index, row) for row in rows)
    more = len(found) > count
    found = found[:count]
    if backward:
        found.reverse()
    more_after, more_before = (True, more) if backward else (more, seek is not None)

    def seek_at(entry: tuple[int, Any], *, before: bool) -> Seek:
        index, item = entry
        position = parts[index].ordering.positions(conn, account_id, [item.id])[item.id]
        return Seek(index, position, backward=before)

    return KeysetPage(
        total=total,
        items=[item for _, item in found],
        next=seek_at(found[-1], before=False) if found and more_after else None,
        previous=seek_at(found[0], before=True) if found and more_before else None,
    )


def _nullable(sql: ColumnElement[Any]) -> bool:
    """Whether the expression can be NULL: a plain NOT NULL column cannot; anything else may."""
    return not (isinstance(sql, ColumnClause) and getattr(sql, "nullable", True) is False)


def ordering(
    table: Table,
    attributes: Mapping[str, Attribute],
    schema_urns: frozenset[str],
    sort_by: str | None,
    descending: bool = False,
    first_values: Mapping[str, FirstValue] | None = None,
) -> Ordering:
    """The order `sortBy` / `sortOrder` ask for; without sortBy, creation order (pk)."""
    if not sort_by or not str(sort_by).strip():
        return Ordering(table, descending=descending)
    try:
        parsed = ScimFilter(f"{str(sort_by).strip()} pr").ast
    except (SCIMException, ValueError, TypeError):
        parsed = None
    if not isinstance(parsed, Present):
        raise InvalidFilter(f"sortBy={sort_by!r} does not name an attribute.")
    attribute, sub = SqlFilter(attributes, schema_urns)._lookup(parsed.attr_path)
    if isinstance(attribute, Collection):
        name = parsed.attr_path.attr.lower()
        first = (first_values or {}).get(name)
        field = attribute.fields.get(sub or attribute.default)
        if first is None or field is None:
            raise InvalidFilter(
                f"sortBy={sort_by} names a multi-valued attribute that cannot be sorted by."
            )
        return Ordering(table, first(field.sql), field.kind, True, descending)
    return Ordering(table, attribute.sql, attribute.kind, _nullable(attribute.sql), descending)
