"""A statement compiled once, run on a DBAPI connection past SQLAlchemy's execution.

For the few statements every provisioning request runs (scim/point.py), SQLAlchemy's
per-execution work (the compiled-cache lookup, the Connection and Result objects, the
pool checkout around them) costs several times what SQLite or PostgreSQL spend on the
statement. SQLAlchemy still builds and compiles the statement, once: what is left per
execution is the driver's `execute` and the same bind and column processing SQLAlchemy
would apply. SQLAlchemy has no public API for "this compiled statement, on that cursor";
this reads the compiled form's SQL text, bind names (`positiontup` for SQLite's `?`,
names for psycopg's `%(name)s`), bind processors and result column types, all public
attributes of `SQLCompiler` except the last two, which are what its own execution uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy import Dialect, Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from enlist.store.generation import GENERATION_SQL


class DriverStatement:
    """One statement for one dialect: its SQL text and how to bind and decode it."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if "POSTCOMPILE" in compiled.string:  # expanding IN: the text changes per execution
            raise ValueError("a statement with expanding parameters cannot be compiled once")
        self.sql: str = compiled.string
        # the values bound when the statement was built (a filter's literals, a LIMIT)
        self.built_with: dict[str, Any] = dict(compiled.params)
        self._positions: list[str] | None = (
            list(compiled.positiontup) if compiled.positiontup is not None else None
        )
        self._binds: dict[str, Callable[[Any], Any]] = {
            name: process
            for name, process in compiled._bind_processors.items()
            if isinstance(name, str) and callable(process)
        }
        decoders = [
            column.type._cached_result_processor(dialect, None)
            for column in compiled._result_columns
        ]
        # only the columns that need it (most need nothing: text, numbers)
        self._decoders: list[tuple[int, Callable[[Any], Any]]] = [
            (position, decode) for position, decode in enumerate(decoders) if decode is not None
        ]

    def names_bound_to(self, value: Any) -> list[str]:
        """The parameters bound to `value` when the statement was built."""
        return [name for name, bound in self.built_with.items() if bound == value]

    def rows(self, driver: Any, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it on `driver` (sqlite3 or psycopg) with `values` over the built ones."""
        return self._decoded(driver.execute(self.sql, self._arguments(values)).fetchall())

    async def rows_async(self, conn: Any, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """`rows` on a psycopg AsyncConnection."""
        cursor = await conn.execute(self.sql, self._arguments(values))
        return self._decoded(await cursor.fetchall())

    def _arguments(self, values: Mapping[str, Any]) -> Any:
        params = {**self.built_with, **values}
        for name, process in self._binds.items():
            params[name] = process(params[name])
        if self._positions is not None:
            return tuple(params[name] for name in self._positions)
        return params

    def _decoded(self, found: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not self._decoders:
            return [tuple(row) for row in found]
        rows = []
        for row in found:
            decoded = list(row)
            for position, decode in self._decoders:
                decoded[position] = decode(decoded[position])
            rows.append(tuple(decoded))
        return rows


async def current_async(conn: Any) -> int:
    """The tenancy generation (store/generation.py) on a psycopg AsyncConnection."""
    cursor = await conn.execute(GENERATION_SQL)
    row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


class LoopConnections:
    """A few PostgreSQL connections (psycopg's AsyncConnection, in autocommit) for reads made
    on the event loop, each serving one request at a time.

    Only the part of a pool these reads need, so psycopg_pool is not a dependency: `take`
    hands out an idle connection, or opens one while fewer than `size` are open, or gives
    None (the caller reads another way); a connection that failed is closed, not reused.
    Connections belong to the loop they were opened on: a new loop (a test's client) starts
    afresh.
    """

    def __init__(self, engine: Engine, size: int) -> None:
        self._cargs, self._cparams = engine.dialect.create_connect_args(engine.url)
        self.size = size
        self._idle: list[Any] = []
        self._open = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    async def take(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._idle, self._open, self._loop = [], 0, loop  # the old loop's are gone with it
        if self._idle:
            return self._idle.pop()
        if self._open >= self.size:
            return None
        self._open += 1
        import psycopg  # here: a SQLite server need not load it (~10 MB)

        try:
            return await psycopg.AsyncConnection.connect(
                *self._cargs, **{**self._cparams, "autocommit": True}
            )
        except Exception:  # noqa: BLE001 - the caller reads another way
            self._open -= 1
            return None

    def give_back(self, conn: Any) -> None:
        if asyncio.get_running_loop() is self._loop:
            self._idle.append(conn)

    async def discard(self, conn: Any) -> None:
        if asyncio.get_running_loop() is self._loop:
            self._open -= 1
        with suppress(Exception):
            await conn.close()

    async def close(self) -> None:
        idle, self._idle, self._open = self._idle, [], 0
        for conn in idle:
            with suppress(Exception):
                await conn.close()
