"""Sort orders of listed users and groups, and the keyset predicates that seek in them.

A list is ordered by at most one attribute (`sortBy`) and then by the surrogate key `pk`,
so the order is total: pages neither overlap nor skip rows, whatever their size. A cursor
page (RFC 9865) starts strictly after, or ends strictly before, one row's position
(sort value, pk): a WHERE clause the (account_id, key, pk) indexes serve, never an OFFSET
(store/listing.py reads the pages). Rows without a value come last when ascending and first
when descending (RFC 7644 §3.4.2.3); a multi-valued attribute sorts by its primary value,
else its first one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from scim2_models import ScimFilter
from scim2_models.exceptions import SCIMException
from scim2_models.path import Present
from sqlalchemy import ColumnElement, Connection, Table, literal, select, tuple_
from sqlalchemy.sql.elements import ColumnClause

from enlist.domain.errors import InvalidFilter
from enlist.domain.query import Position
from enlist.domain.schema import Kind
from enlist.store.filters import Collection, Filterable, SqlFilter

# How a multi-valued attribute sorts: its primary row's field, else its first row's.
FirstValue = Callable[[ColumnElement[Any]], ColumnElement[Any]]


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
        (see `segments` in store/listing.py), so that this never needs an OR that no index
        serves.
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


def _nullable(sql: ColumnElement[Any]) -> bool:
    """Whether the expression can be NULL: a plain NOT NULL column cannot; anything else may."""
    return not (isinstance(sql, ColumnClause) and getattr(sql, "nullable", True) is False)


def ordering(
    table: Table,
    attributes: Mapping[str, Filterable],
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
