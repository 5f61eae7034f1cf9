"""A list request and the page it answers, as plain values every layer can hold.

They live in domain/ (not in store/, which reads them, nor in services/) because the SCIM
API builds a Query and a cursor carries a Seek, while neither may import the store:
like scim2-server's SearchRequest, they say what is asked, not how it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Position:
    """Where a row sits in an ordering: its sort value (None when it has none) and pk."""

    value: Any
    pk: int


@dataclass(frozen=True)
class Seek:
    """Where a cursor page starts: right after one row, or (backward) right before it.

    `part` says which of the lists a cursor walks the row is in: the users, then the groups
    at the server root, each split in two when its sort key may be NULL.
    """

    part: int
    position: Position
    backward: bool = False


@dataclass(frozen=True)
class Query:
    """A list request: filter tree (scim2-models), 1-based start or cursor seek, page size, sort."""

    filter: Any = None
    start_index: int = 1
    count: int = 100
    sort_by: str | None = None
    descending: bool = False
    with_members: bool = True  # groups: False when members are excluded from the answer
    with_groups: bool = True  # users: False when groups are excluded from the answer
    records: bool = False  # users: as records (schema.USER_RECORD), not User objects
    cursor: bool = False  # page by keyset (RFC 9865) instead of by startIndex
    seek: Seek | None = None  # cursor paging: where the page starts (None: the first page)
    with_total: bool = True  # cursor paging: whether to count the whole list too


@dataclass(frozen=True)
class Page(Generic[Item]):
    """A page of a list: its items, the total when counted, and for cursor paging where the
    neighbouring pages start (None on the last or the first page)."""

    total: int | None
    items: list[Item]
    next: Seek | None = None
    previous: Seek | None = None
