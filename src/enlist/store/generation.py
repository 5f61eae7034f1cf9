"""The tenancy generation: one counter that changes with whatever a SCIM secret acts for.

Triggers bump it (migration 0015) in the same transaction as the change, so a process that
remembers tenants needs only this one row per request to know they still hold.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, ScalarSelect, select, update

from enlist.store.tables import tenancy_generation

GENERATION_SQL = "SELECT generation FROM tenancy_generation WHERE id = 1"


def current(conn: Connection) -> int:
    """The generation now (0 before the first change).

    Every SCIM request runs this, so it goes straight to the driver, inside the
    connection's transaction: 2 us, where SQLAlchemy's execution costs 20.
    """
    return current_on(conn.connection.driver_connection)


def current_on(driver: Any) -> int:
    """The generation, read on a DBAPI connection (in its transaction, if it has one)."""
    row = driver.execute(GENERATION_SQL).fetchone()  # sqlite3 and psycopg connections both execute
    return int(row[0]) if row is not None else 0


def current_column() -> ScalarSelect[Any]:
    """The generation as a column of another statement: read in that statement's snapshot."""
    return (
        select(tenancy_generation.c.generation)
        .where(tenancy_generation.c.id == 1)
        .scalar_subquery()
    )


def bump(conn: Connection) -> None:
    """Mark a change to what secrets act for (the triggers do this for the tenancy tables;
    call it from a change they cannot see)."""
    conn.execute(
        update(tenancy_generation)
        .where(tenancy_generation.c.id == 1)
        .values(generation=tenancy_generation.c.generation + 1)
    )


class TenancyCache:
    """Per process: values read from the tenancy tables, kept while the generation holds.

    `check` reads the generation (before the values it guards are read) and forgets
    everything when it moved; `remember` keeps a value only if no newer generation was seen
    since it was read, so a value read before a change never outlives that change.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._values: dict[str, Any] = {}
        self._limit = limit

    def check(self, conn: Connection) -> int:
        return self.settle(current(conn))

    def settle(self, generation: int) -> int:
        """Take a generation the caller read (before the values it will look up)."""
        with self._lock:
            if generation != self._generation:
                self._values.clear()
                self._generation = generation
        return generation

    @property
    def generation(self) -> int | None:
        """The generation the remembered values hold for (None: none yet)."""
        return self._generation

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def remember(self, key: str, value: Any, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            if len(self._values) >= self._limit:
                self._values.clear()
            self._values[key] = value

    def forget(self) -> None:
        with self._lock:
            self._values.clear()
            self._generation = None
