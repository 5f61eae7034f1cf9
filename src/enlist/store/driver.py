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

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


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
        params = {**self.built_with, **values}
        for name, process in self._binds.items():
            params[name] = process(params[name])
        args: Any = params
        if self._positions is not None:
            args = tuple(params[name] for name in self._positions)
        found = driver.execute(self.sql, args).fetchall()
        if not self._decoders:
            return [tuple(row) for row in found]
        rows = []
        for row in found:
            decoded = list(row)
            for position, decode in self._decoders:
                decoded[position] = decode(decoded[position])
            rows.append(tuple(decoded))
        return rows
