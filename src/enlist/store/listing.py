"""Listing an account's rows page by page, by index (startIndex) or by keyset (cursors).

`Listing` is the base of the user and group repositories: how their rows are filtered,
ordered, read and counted. A list is a `Part`: one repository's rows under a filter, in an
order. A page reads its parts in turn, so that one implementation serves /Users, /Groups
and the server root's /.search (users, then groups) alike, the shape of scim2-server's
`Backend.query_resources`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    select,
)

from enlist.domain.query import Page, Query, Seek
from enlist.store.filters import Filterable, SqlFilter
from enlist.store.ordering import FirstValue, Ordering, ordering

_ACCOUNT = bindparam("account_id", type_=String)
_OFFSET, _LIMIT = bindparam("offset", type_=Integer), bindparam("limit", type_=Integer)
# (repository, dialect, deleted, shape, what is read) -> a page of the whole list, unfiltered
_PLAIN_PAGES: dict[tuple[Any, ...], Select[Any]] = {}


def _shape(order: list[ColumnElement[Any]], offset: int) -> str:
    """How `Listing._paged` reads a page: the first, past the first in creation order (seek
    in the index), or past the first in another order (OFFSET)."""
    if not offset:
        return "first"
    return "offset" if order else "seek"


class Listing:
    """What the user and group repositories share: one account's rows of one table, read
    page by page under a filter, in an order."""

    table: ClassVar[Table]
    attributes: ClassVar[Mapping[str, Filterable]]
    urns: ClassVar[frozenset[str]]
    first_values: ClassVar[Mapping[str, FirstValue]] = {}

    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    # what each repository says about its rows
    def _scope(self, deleted: bool | None) -> ColumnElement[bool] | None:
        return None

    def _load(self, rows: Sequence[Row[Any]], query: Query) -> list[Any]:
        raise NotImplementedError

    def _loaded_with(self, query: Query) -> tuple[Any, ...]:
        """Columns read with each row besides the table's (what `_load` needs of its parts)."""
        return ()

    def _selected(self, query: Query) -> tuple[Any, ...]:
        """What a page reads of each row: the table's columns and `_loaded_with`."""
        return (self.table, *self._loaded_with(query))

    def _count_all(self) -> int | None:
        """The number of all the account's rows without counting them, when it is kept."""
        return None

    # the query
    def where(self, tree: Any) -> ColumnElement[bool] | None:
        """A filter tree (scim2-models) as SQL; InvalidFilter when it names what we lack."""
        return SqlFilter(self.attributes, self.urns).visit(tree) if tree is not None else None

    def ordering(self, query: Query) -> Ordering:
        return ordering(
            self.table,
            self.attributes,
            self.urns,
            query.sort_by,
            query.descending,
            self.first_values,
        )

    def part(self, query: Query, *, deleted: bool | None = False) -> Part:
        where = self.where(query.filter)  # an unknown attribute is refused before a bad sort
        return Part(self, self.ordering(query), query, where, deleted)

    def search(self, query: Query) -> Page[Any]:
        """A page of the account's rows, by startIndex or (query.cursor) by keyset."""
        return page([self.part(query)], query)

    # what the pages below read
    def read(
        self,
        part: Part,
        within: ColumnElement[bool] | None,
        order: list[ColumnElement[Any]],
        offset: int,
        limit: int,
    ) -> list[Any]:
        shape = _shape(order, offset)
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if part.where is None and within is None and not order:
            # The whole list in creation order (an import's every page): the statement
            # is built once, the account a parameter; building one costs more than running it.
            query = part.query
            loaded = (query.records, query.with_groups, query.with_members)
            key = (self.table.name, self.conn.dialect.name, part.deleted, shape, *loaded)
            statement = _PLAIN_PAGES.get(key)
            if statement is None:
                condition = self._condition(part, None, account=_ACCOUNT)
                statement = _PLAIN_PAGES[key] = self._paged(part, condition, [], shape)
            params["account_id"] = self.account_id
        else:
            statement = self._paged(part, self._condition(part, within), order, shape)
        return self._load(self.conn.execute(statement, params).all(), part.query)

    def statement(
        self,
        part: Part,
        within: ColumnElement[bool] | None,
        order: list[ColumnElement[Any]],
        offset: int,
        limit: int,
    ) -> Select[Any]:
        """What `read` runs, its values bound (scim/point.py compiles a lookup's once, to run
        it again)."""
        condition = self._condition(part, within)
        paged = self._paged(part, condition, order, _shape(order, offset))
        return paged.params(offset=offset, limit=limit)

    def _paged(
        self,
        part: Part,
        condition: ColumnElement[bool],
        order: list[ColumnElement[Any]],
        shape: str,
    ) -> Select[Any]:
        """A page of rows (bound parameters `offset` and `limit`) in a shape `read` chose."""
        pk = self.table.c.pk
        statement = select(*self._selected(part.query)).where(condition)
        if shape == "seek":
            # A page past the first in the default order: find its first row in the index
            # alone (the live users' index covers account, deleted_at and pk), then read just
            # the page. OFFSET would read every skipped row, and PostgreSQL would compute
            # each one's columns (a user's emails and groups) only to skip it.
            first = (
                select(pk).where(condition).order_by(pk).offset(_OFFSET).limit(1).scalar_subquery()
            )
            return statement.where(pk >= first).order_by(pk).limit(_LIMIT)
        # no OFFSET clause at all on a first page, or on a keyset (cursor) page
        statement = statement.order_by(*order, pk).limit(_LIMIT)
        return statement.offset(_OFFSET) if shape == "offset" else statement

    def count(self, part: Part) -> int:
        if part.where is None and part.deleted is False:
            everyone = self._count_all()
            if everyone is not None:
                return everyone
        counting = select(func.count()).select_from(self.table)
        return int(self.conn.scalar(counting.where(self._condition(part, None))) or 0)

    def _condition(
        self, part: Part, within: ColumnElement[bool] | None, account: Any = None
    ) -> ColumnElement[bool]:
        terms = (self._scope(part.deleted), part.where, within)
        account = self.account_id if account is None else account
        return and_(self.table.c.account_id == account, *(t for t in terms if t is not None))


@dataclass(frozen=True)
class Part:
    """One list a page walks through: whose rows, in which order, under which filter."""

    rows: Listing
    ordering: Ordering
    query: Query  # what each item loads (members, groups)
    where: ColumnElement[bool] | None = None  # the filter: what the list holds and counts
    deleted: bool | None = False  # users: see UserStore.search
    # A split order's half (see `segments`): narrows what is read, not what is counted.
    half: ColumnElement[bool] | None = None
    counted: bool = True  # False: the part before it counted its rows too


def page(parts: Sequence[Part], query: Query) -> Page[Any]:
    """The page a query asks for across its parts, by keyset when it pages by cursor."""
    if query.cursor:
        return keyset_page(parts, query.seek, query.count, with_total=query.with_total)
    return index_page(parts, query.start_index - 1, query.count)


def index_page(parts: Sequence[Part], offset: int, count: int) -> Page[Any]:
    """`count` items from `offset` on (0-based), across the parts in turn, and their total.

    Without sortBy a part is read in creation order, which lets the repository seek every
    page past the first in its index of live rows instead of reading every skipped row.
    """
    total = 0
    items: list[Any] = []
    for part in parts:
        order = part.ordering.order_by() if part.ordering.key is not None else []
        wanted = count - len(items)
        found = part.rows.read(part, None, order, offset, wanted) if wanted > 0 else []
        if _ends_the_list(offset, wanted, found):
            counted = offset + len(found)
        else:
            counted = part.rows.count(part)
        total += counted
        items.extend(found)
        offset = max(0, offset - counted)
    return Page(total, items)


def _ends_the_list(offset: int, limit: int, items: Sequence[Any]) -> bool:
    """Whether a page read with OFFSET/LIMIT shows where the list ends, so that its total is
    offset + len(items) without a COUNT: a short page does, unless it is empty past the start."""
    return limit > 0 and len(items) < limit and (bool(items) or offset == 0)


def segments(part: Part) -> list[Part]:
    """A list whose sort key may be NULL, as two lists read one after the other: the rows with
    a value, by (key, pk), then those without, by pk (the other way round when descending).

    Each is then paged by a plain row value comparison that an index serves. Only the first
    counts the rows (both stand for one list).
    """
    order = part.ordering
    if order.key is None or not order.nullable:
        return [part]
    valued = replace(part, ordering=replace(order, nullable=False), half=order.key.is_not(None))
    empty = replace(
        part,
        ordering=Ordering(order.table, descending=order.descending),
        half=order.key.is_(None),
        counted=False,
    )
    return [empty, valued] if order.descending else [valued, empty]


def keyset_page(
    parts: Sequence[Part], seek: Seek | None, count: int, *, with_total: bool = True
) -> Page[Any]:
    """Read `count` rows from where `seek` says (the start when None), across the parts in turn.

    One row more than the page is read to learn whether another page follows; going
    backward reads in the reversed order and turns the rows round. A count of 0 gives
    the total alone.
    """
    parts = [segment for part in parts for segment in segments(part)]
    total = sum(part.rows.count(part) for part in parts if part.counted) if with_total else None
    if count <= 0:
        return Page(total, [])
    backward = seek is not None and seek.backward
    start = seek.part if seek is not None else 0
    indexes = range(min(start, len(parts) - 1), -1, -1) if backward else range(start, len(parts))
    found: list[tuple[int, Any]] = []
    for index in indexes:
        if len(found) > count:
            break
        part = parts[index]
        sorted_by = part.ordering.reversed() if backward else part.ordering
        seek_from = sorted_by.after(seek.position) if seek and index == seek.part else None
        within = [c for c in (part.half, seek_from) if c is not None]
        rows = part.rows.read(
            part, and_(*within) if within else None, sorted_by.order_by(), 0, count + 1 - len(found)
        )
        found.extend((index, row) for row in rows)
    more = len(found) > count
    found = found[:count]
    if backward:
        found.reverse()
    more_after, more_before = (True, more) if backward else (more, seek is not None)

    def seek_at(entry: tuple[int, Any], *, before: bool) -> Seek:
        index, item = entry
        part = parts[index]
        position = part.ordering.positions(part.rows.conn, part.rows.account_id, [item.id])
        return Seek(index, position[item.id], backward=before)

    return Page(
        total=total,
        items=[item for _, item in found],
        next=seek_at(found[-1], before=False) if found and more_after else None,
        previous=seek_at(found[0], before=True) if found and more_before else None,
    )
