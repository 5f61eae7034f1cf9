"""The identity provider's most frequent requests, served in one pass: GET /Users/{id} and
the lookup before every push, GET /Users?filter=userName eq "…" (or `id eq`).

Okta, Entra ID and OneLogin send these far more than anything else. Served the ordinary
way (Starlette's router and Request, a pooled SQLAlchemy connection and result) they cost
several times the work itself (bench/README.md), so they take a shorter way:

- the secret's tenant comes from the process's cache (`tenancy.remembered`), and the
  tenancy generation it was remembered under is checked against the one the statement that
  reads the user sees, in the same snapshot (`PointReads._plan`, `_respond`): one statement
  per request;
- the user is read by a statement compiled once (store/driver.py) on a driver connection
  of its own: on SQLite on the event loop (`Database.driver`), on PostgreSQL on the loop's
  async connections (`LoopConnections`). For a lookup that is the statement the filter
  compiler made for the same filter with another value: the compiler stays the one source of
  truth for what a filter means, and a filter it compiles in any other way (a value it
  rewrites, say) is never served here;
- the user is read as a record and its document written by `record_document`, as pages
  are (tests/scim/test_records.py holds that to `user_document`'s bytes), in a
  `list_document` for a lookup, encoded by `to_scim_json` as the routes do.

This way only ever answers 200. Anything else (a projection, a precondition header, a secret
this process has not seen or must record a use of, an expired or rate-limited one, a user
that is not there, another filter, any failure) goes the ordinary way,
which answers, refuses and logs as it always did.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sqlalchemy import Select
from starlette.types import ASGIApp, Receive, Scope, Send

from enlist.domain.query import Query
from enlist.domain.schema import USER_RECORD
from enlist.encoding import to_scim_json
from enlist.ratelimit import RedisLimiter
from enlist.scim.documents import etag, list_document, record_document
from enlist.scim.errors import SCIM_JSON
from enlist.scim.reading import parse_filter
from enlist.services import tenancy
from enlist.store.directory import UserStore, record_by_id
from enlist.store.driver import DriverStatement, LoopConnections, current_async
from enlist.store.generation import current_column, current_on

if TYPE_CHECKING:
    from enlist.scim.api import ScimApi

BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
# `attribute eq "value"` on a unique attribute: what providers look a user up by.
LOOKUP = re.compile(r'^\s*(userName|id)\s+eq\s+"([^"\\]*)"\s*$', re.IGNORECASE)
# Stand-ins the lookup statements are built with, replaced by each request's values. Mixed
# case: where the compiler lower-cases the value (a case-insensitive attribute), the request's
# is lower-cased too; a value it rewrites in any other way is not served here.
_VALUE = "Enlist-Point-Value-3f9c"
_ACCOUNT = "Enlist-Point-Account-3f9c"
# PostgreSQL connections of the event loop, per process; past them, reads take a thread
LOOP_CONNECTIONS = 8
_VERSION = USER_RECORD.index("version")
_CONTENT_TYPE = (b"content-type", SCIM_JSON.encode("latin-1"))
_LOG = logging.getLogger("enlist.scim")


@dataclass(frozen=True)
class _Ask:
    """What a request asks for, read from its scope: a user by id, or a lookup."""

    token: str
    user_id: str | None = None  # GET /Users/{id}
    attribute: str | None = None  # a lookup: its attribute (lower-case) and value
    value: str = ""


_Answer = tuple[bytes, list[tuple[bytes, bytes]]]
_Found = tuple[list[tuple[Any, ...]], int]  # rows (the generation last in each), generation


@dataclass(frozen=True)
class _Plan:
    """What one request reads: a statement, its values, the generation its tenant holds for."""

    statement: DriverStatement
    values: dict[str, Any]
    generation: int


@dataclass(frozen=True)
class _Lookup:
    """A lookup's statement, and which of its parameters take the account and the value."""

    statement: DriverStatement
    account_names: list[str]
    value_names: list[str]  # bound to the value as given
    lowered_names: list[str]  # bound to it lower-cased (a case-insensitive attribute)


class PointReads:
    """In front of the SCIM app: serves the requests above, hands the rest on."""

    def __init__(self, api: ScimApi, app: ASGIApp) -> None:
        self.api = api
        self.app = app
        self.db = api.db
        dialect = self.db.engine.dialect
        self.sqlite = dialect.name == "sqlite"
        self.by_id = DriverStatement(_with_generation(record_by_id(dialect.name)), dialect)
        self._lookups: dict[str, _Lookup | None] = {}
        self._building = threading.Lock()
        self.served = 0  # requests answered here (the tests look; approximate across threads)
        # PostgreSQL without Redis: reads on the event loop's own connections
        self.loop_connections: LoopConnections | None = None
        if not self.sqlite and not isinstance(api.limiter, RedisLimiter):
            self.loop_connections = LoopConnections(self.db.engine, LOOP_CONNECTIONS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ask = _ask(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if ask is not None:
            answer = await self._answer(ask, scope)
            if answer is not None:
                self.served += 1
                body, headers = answer
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    async def close(self) -> None:
        if self.loop_connections is not None:
            await self.loop_connections.close()

    async def _answer(self, ask: _Ask, scope: Scope) -> _Answer | None:
        """The answer's body and headers, or None: the ordinary way answers.

        SQLite reads on the event loop (a point read takes it microseconds); PostgreSQL on
        the loop's own connections (psycopg's async), else in a worker thread: the thread
        hop costs more CPU than the read (bench/README.md).
        """
        if ask.attribute is not None and ask.attribute not in self._lookups:
            loop = asyncio.get_running_loop()  # compiled once, reading the database
            await loop.run_in_executor(self.api.threads, self._lookup, ask.attribute)
        plan = self._plan(ask)
        if plan is None:
            return None
        if self.api.inline_reads:
            return self._respond(ask, scope, plan, self._read(plan))
        if self.loop_connections is not None:
            conn = await self.loop_connections.take()
            if conn is not None:
                return self._respond(ask, scope, plan, await self._read_on_loop(plan, conn))
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self.api.threads, self._read, plan)
        return self._respond(ask, scope, plan, found)

    def _plan(self, ask: _Ask) -> _Plan | None:
        """The statement and its values, when the secret is one this process can vouch for
        without the ordinary way (else None).

        The tenant comes from the cache, remembered under the generation the cache holds;
        the statement reads the generation in its own snapshot with the user (`_respond`
        compares them).
        """
        held = self.db.tenants.generation
        if held is None:  # nothing remembered yet
            return None
        tenant = tenancy.remembered(self.db, ask.token, self.api.settings.secret_key)
        if tenant is None or not tenant.has_enterprise_calendar:
            return None
        if not self.api.limiter.take(tenant.secret_id).allowed:
            return None  # the ordinary way refuses it (429)
        if ask.attribute is None:
            values = {"id": ask.user_id, "account_id": tenant.account_id}
            return _Plan(self.by_id, values, held)
        lookup = self._lookups.get(ask.attribute)
        if lookup is None:
            return None
        values = dict.fromkeys(lookup.account_names, tenant.account_id)
        values.update(dict.fromkeys(lookup.value_names, ask.value))
        values.update(dict.fromkeys(lookup.lowered_names, ask.value.lower()))
        return _Plan(lookup.statement, values, held)

    def _read(self, plan: _Plan) -> _Found | None:
        """The rows and the generation, on this thread's driver connection."""
        try:
            driver = self.db.driver()
            rows = plan.statement.rows(driver, plan.values)
            # nobody found: the generation read after the statement vouches for it too
            return rows, rows[0][-1] if rows else current_on(driver)
        except Exception:  # noqa: BLE001 - the ordinary way answers (and reports) it
            _LOG.debug("point read failed; answered the ordinary way", exc_info=True)
            self.db.drop_driver()
            return None

    async def _read_on_loop(self, plan: _Plan, conn: Any) -> _Found | None:
        """`_read` on one of the loop's connections."""
        assert self.loop_connections is not None
        try:
            rows = await plan.statement.rows_async(conn, plan.values)
            generation = rows[0][-1] if rows else await current_async(conn)
        except Exception:  # noqa: BLE001 - the ordinary way answers (and reports) it
            _LOG.debug("point read failed; answered the ordinary way", exc_info=True)
            await self.loop_connections.discard(conn)
            return None
        self.loop_connections.give_back(conn)
        return rows, generation

    def _respond(
        self, ask: _Ask, scope: Scope, plan: _Plan, found: _Found | None
    ) -> _Answer | None:
        if found is None:
            return None
        rows, generation = found
        if generation != plan.generation:
            # what the secret acts for changed: forget, and let the ordinary way read it anew
            self.db.tenants.settle(generation)
            return None
        if len(rows) > 1:
            return None
        base = self.api.base_url(scope)
        if ask.user_id is not None:
            if not rows:
                return None
            body = to_scim_json(record_document(rows[0], base))
            return body, [
                (b"etag", etag(rows[0][_VERSION]).encode("latin-1")),
                (b"content-length", str(len(body)).encode("latin-1")),
                _CONTENT_TYPE,
            ]
        docs = [record_document(row, base) for row in rows]
        body = to_scim_json(list_document(len(docs), 1, docs))
        return body, [(b"content-length", str(len(body)).encode("latin-1")), _CONTENT_TYPE]

    def _lookup(self, attribute: str) -> None:
        """Compile the lookup by `attribute` once (a failure to read is tried again later)."""
        with self._building:
            if attribute not in self._lookups:
                try:
                    self._lookups[attribute] = self._compile_lookup(attribute)
                except Exception:  # noqa: BLE001 - the ordinary way serves it meanwhile
                    _LOG.warning("could not prepare the %s lookup", attribute, exc_info=True)

    def _compile_lookup(self, attribute: str) -> _Lookup | None:
        """The statement a first page of `attribute eq "…"` reads with, as the filter compiler
        and the user repository build it, compiled once with stand-in values."""
        settings = self.api.settings
        tree = parse_filter(
            f'{attribute} eq "{_VALUE}"', settings.max_filter_length, settings.max_filter_depth
        )
        # two rows at most: a second would mean the attribute is not unique after all
        query = Query(filter=tree, start_index=1, count=2, records=True)
        with self.db.read() as conn:
            store = UserStore(conn, _ACCOUNT)
            part = store.part(query)
            statement = DriverStatement(
                _with_generation(store.statement(part, None, [], 0, 2)), self.db.engine.dialect
            )
        account_names = statement.names_bound_to(_ACCOUNT)
        value_names = statement.names_bound_to(_VALUE)
        lowered_names = statement.names_bound_to(_VALUE.lower())
        if not account_names or not (value_names or lowered_names):
            _LOG.info(
                "the %s lookup is not served by point reads: its value is rewritten", attribute
            )
            return None
        return _Lookup(statement, account_names, value_names, lowered_names)


def _with_generation(statement: Select[Any]) -> Select[Any]:
    """The statement with the tenancy generation as its last column (see `_respond`)."""
    return statement.add_columns(current_column().label("enlist_tenancy_generation"))


def _ask(scope: Scope) -> _Ask | None:
    """A GET /Users/{id} without parameters, or a first page of a lookup, with a bearer
    secret and no precondition; None for anything else."""
    root: str = scope.get("root_path", "")
    path: str = scope["path"]
    if not path.startswith(root + "/Users"):
        return None
    rest = path[len(root) + len("/Users") :]
    token = None
    for name, raw in scope["headers"]:
        if name == b"authorization":
            token = raw.decode("latin-1")
        elif name in (b"if-match", b"if-none-match"):
            return None
    bearer = BEARER.match(token) if token is not None else None
    if bearer is None:
        return None
    secret = bearer.group(1)
    query: bytes = scope["query_string"]
    if rest.startswith("/") and len(rest) > 1:
        user_id = rest[1:]
        if query or "/" in user_id or "\x00" in user_id or user_id.startswith("."):
            return None
        return _Ask(secret, user_id=user_id)
    if rest != "" or not query:
        return None
    params = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    given = dict(params)
    if len(given) != len(params) or not set(given) <= {"filter", "startIndex", "count"}:
        return None
    found = LOOKUP.match(given.get("filter", ""))
    if found is None or "\x00" in found.group(2) or given.get("startIndex", "1") != "1":
        return None
    count = given.get("count")
    if count is not None and not (count.isdigit() and int(count) > 0):
        return None
    return _Ask(secret, attribute=found.group(1).lower(), value=found.group(2))
