"""The database: engines, schema upgrades, and the one place that opens transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url

from enlist.store.generation import TenancyCache

MIGRATIONS = Path(__file__).parent / "migrations"
# Threads that run database work at once in a server process (see scim/api.py); the pools
# keep at least this many connections open. More threads only fight over the GIL: on SQLite,
# GET /Users/{id} used 1,150 us of CPU with 8 threads, 880 with 4, 670 with 2 (bench/).
# Four leave room for a slow request (a deep page, a big group) without stalling the rest.
CONCURRENCY = 4


def make_engine(url: str) -> Engine:
    """An engine tuned for its backend: SQLite in WAL mode with write transactions
    that take the lock up front (so two writers queue instead of deadlocking)."""
    if url.startswith("sqlite"):
        pool: dict[str, Any] = {}
        if make_url(url).database not in (None, "", ":memory:"):
            # Keep a connection per worker thread: opening one replays the PRAGMAs below.
            # At most two per thread (a GET's shared read and its secret's `last used`
            # write) and one for the reads served on the event loop (scim/api.py): the
            # loop never waits for a connection.
            pool = {"pool_size": CONCURRENCY, "max_overflow": CONCURRENCY + 1}
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **pool
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # LIKE must be case-sensitive, as on PostgreSQL: case-insensitive attributes
        # are compared through lower-cased columns instead.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("enlist_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (safe to repeat)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a constraint by rebuilding the table: the old one is dropped,
            # and with foreign keys on that drop would delete the rows referring to it
            # (emails, memberships). The pragma is ignored inside a transaction: set it first.
            _sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the schema upgrade left rows with dangling foreign keys")
        finally:
            if sqlite:
                _sqlite_pragma(conn, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(conn: Connection, statement: str) -> None:
    """Run a pragma outside any transaction (on the driver's own connection)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


class Database:
    """Hands out transactions; every use case runs inside exactly one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # How many threads of a server process may run database work at once (see above).
        self.concurrency = CONCURRENCY
        # Values that never change once stored (server keys), read once per process.
        self.constants: dict[str, bytes] = {}
        # The tenants of the SCIM secrets this process saw, while the tenancy generation
        # holds (store/generation.py): a request reads one row instead of four tables.
        self.tenants = TenancyCache()
        self._autocommit_reads = engine.dialect.name == "postgresql"
        # SQLite allows one writer; its busy handler polls with sleeps of up to 100 ms, so
        # this process's writers queue on a lock instead (others' still meet busy_timeout;
        # reentrant, so a nested write in one thread meets busy_timeout as it did before).
        self._writers: AbstractContextManager[Any] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        # Told the account id each time a transaction of this process committed events
        # (the event feed's long polls and the webhook workers wake on it).
        self.listeners: list[Callable[[str], None]] = []
        self._request = threading.local()  # the shared read connection (reads_together)
        self._held = threading.local()  # each thread's own driver connection (`driver`)
        self._drivers: set[Any] = set()
        self._drivers_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
        return cls(engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        shared = getattr(self._request, "conn", None)
        if shared is not None:  # inside `reads_together`: the request's own transaction
            yield shared
            return
        with self._connect_for_reads() as conn:
            yield conn

    @contextmanager
    def reads_together(self) -> Iterator[None]:
        """Every `read()` of this thread, until the block ends, shares one connection and
        transaction: a GET authenticates and reads in one, not two. Only for requests that
        read; a write opens its own transaction as always (and on SQLite would not see its
        own change from this snapshot, so it must not read through one)."""
        if getattr(self._request, "conn", None) is not None:
            yield
            return
        with self._connect_for_reads() as conn:
            self._request.conn = conn
            try:
                yield
            finally:
                self._request.conn = None

    @contextmanager
    def _connect_for_reads(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self._autocommit_reads:
                # PostgreSQL at READ COMMITTED gives every statement its own snapshot, in a
                # transaction or not: a read-only one only adds BEGIN and COMMIT round trips.
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
                return
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._writers, self.engine.connect() as conn:
            conn = conn.execution_options(enlist_write=True)
            with conn.begin():
                yield conn

    def driver(self) -> Any:
        """This thread's own DBAPI connection (sqlite3 or psycopg), held for the process's
        life outside the pool, for the statements every request runs (scim/point.py): there
        a pool checkout and SQLAlchemy's execution cost more than the statement itself. On
        PostgreSQL it is in autocommit and on SQLite outside any transaction: each statement
        its own snapshot (as PostgreSQL's pooled reads are), so a caller that needs two
        values in one snapshot reads them in one statement."""
        held: Any = getattr(self._held, "conn", None)
        if held is not None and held in self._drivers:  # not closed by `dispose` since
            return held
        fairy = self.engine.raw_connection()
        held = fairy.driver_connection
        fairy.detach()  # never returned to the pool: nobody else may see its settings
        if self.engine.dialect.name == "postgresql":
            held.rollback()  # the pool's ping may have opened a transaction
            held.autocommit = True
        with self._drivers_lock:
            self._drivers.add(held)
        self._held.conn = held
        return held

    def drop_driver(self) -> None:
        """Close this thread's connection after a failure; the next `driver()` opens another."""
        held = getattr(self._held, "conn", None)
        self._held.conn = None
        if held is not None:
            with self._drivers_lock:
                self._drivers.discard(held)
            with suppress(Exception):
                held.close()

    def announce(self, account_id: str) -> None:
        """Events of this account were committed by this process."""
        for listener in list(self.listeners):
            listener(account_id)

    def dispose(self) -> None:
        with self._drivers_lock:
            held, self._drivers = self._drivers, set()
        for conn in held:
            with suppress(Exception):
                conn.close()
        self.engine.dispose()
