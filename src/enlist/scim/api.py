"""The /scim/v2 routes: authenticate, read the request, call one service, answer in SCIM."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from enlist.config import Settings
from enlist.domain.errors import (
    EnlistError,
    InvalidSyntax,
    InvalidValue,
    NotFound,
    RateLimited,
    Unauthorized,
)
from enlist.domain.model import Group, Tenant
from enlist.domain.query import Page, Query
from enlist.encoding import to_scim_json
from enlist.ratelimit import RedisLimiter, make_limiter
from enlist.request_id import request_id_of
from enlist.scim import audit, discovery
from enlist.scim.cursors import Cursors, fingerprint
from enlist.scim.documents import (
    Projection,
    cursor_list_document,
    etag,
    group_document,
    list_document,
    record_document,
    user_document,
)
from enlist.scim.errors import (
    SCIM_JSON,
    MethodNotAllowed,
    PayloadTooLarge,
    error_response,
    from_error,
    internal_error,
)
from enlist.scim.patch import group_changes, operations, patch_user
from enlist.scim.point import BEARER, LOOKUP, PointReads
from enlist.scim.reading import (
    canonical_user,
    group_fields,
    parse_filter,
    user_doc_of,
    user_fields,
)
from enlist.services import activity, directory, refusals, tenancy
from enlist.services.keys import server_key
from enlist.services.unit import Actor
from enlist.store.db import Database

_VERSION = re.compile(r'^(?:W/)?"?([0-9]+)"?$')
_MAX_START_INDEX = 2**31 - 1
CURSOR_KEY_NAME = "scim_cursor"  # the server key (table server_keys) that signs cursors


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        to_scim_json(body),
        status_code=status,
        media_type=SCIM_JSON,
        headers=headers,
    )


class Call:
    """What one request carries, read before the service call runs in a worker thread."""

    def __init__(self, request: Request, body: Any, base: str) -> None:
        self.request = request
        self.params = request.query_params
        self.headers = request.headers
        self.path_params = request.path_params
        self.body = body
        self.raw: bytes | None = None  # the unparsed body of POST, PUT and PATCH
        self.base = base
        self.tenant: Tenant | None = None

    def actor(self, status: int) -> Actor:
        """Who writes: the SCIM secret, with the provider's user agent, this request's id and
        the status a success answers (kept with the activity entry)."""
        assert self.tenant is not None
        return Actor(
            "scim",
            self.tenant.secret_id,
            user_agent=self.headers.get("user-agent"),
            request_id=request_id_of(self.request.scope),
            status=status,
        )

    def preconditions(self) -> directory.Preconditions | None:
        """If-Match and If-None-Match, as the versions they name (checked by the service)."""
        match = _versions(self.headers.get("if-match"))
        none_match = _versions(self.headers.get("if-none-match"))
        if match is None and none_match is None:
            return None
        return directory.Preconditions(match, none_match)

    def projection(self, source: dict[str, Any] | None = None) -> Projection:
        get = (source or {}).get if source is not None else self.params.get
        attributes, excluded = get("attributes"), get("excludedAttributes")
        if isinstance(attributes, list):
            attributes = ",".join(map(str, attributes))
        if isinstance(excluded, list):
            excluded = ",".join(map(str, excluded))
        return Projection(attributes, excluded)


class ScimApi:
    """The SCIM 2.0 service for one database; its routes form a Starlette app."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.limiter = make_limiter(
            settings.redis_url, settings.rate_limit_per_second, settings.rate_limit_burst
        )
        # Service calls run in at most this many threads, each with a pooled connection (a
        # plain executor: anyio's to_thread costs the event loop twice as much per call).
        self.threads = ThreadPoolExecutor(db.concurrency, thread_name_prefix="enlist-scim")
        # SQLite point reads (one user by id or by a unique attribute) take tens of
        # microseconds of database time: cheaper to run on the event loop than to hand to a
        # thread and back. Not with Redis (a network round trip per request), nor PostgreSQL.
        self.inline_reads = db.engine.dialect.name == "sqlite" and not isinstance(
            self.limiter, RedisLimiter
        )
        self._cursors: Cursors | None = None
        self.point: PointReads | None = None  # made with the app (scim/point.py)
        self._base_urls: dict[Any, str] = {}  # base_url's, by what the URL is made of

    @property
    def cursors(self) -> Cursors:
        """Made on first use: the key comes from the database, shared by every worker."""
        if self._cursors is None:
            key = server_key(self.db, CURSOR_KEY_NAME)
            self._cursors = Cursors(key, self.settings.cursor_timeout)
        return self._cursors

    def close(self) -> None:
        """Let the worker threads go (the server is stopping)."""
        self.threads.shutdown(wait=False)

    # plumbing ----------------------------------------------------------------------
    def app(self) -> ASGIApp:
        r = self._route
        routes = [
            r("/Users", self.list_users, "GET", _is_lookup),
            r("/Users", self.create_user, "POST"),
            r("/Users/.search", self.search_users, "POST"),
            r("/Users/{id}", self.get_user, "GET", lambda call: True),
            r("/Users/{id}", self.replace_user, "PUT"),
            r("/Users/{id}", self.patch_user, "PATCH"),
            r("/Users/{id}", self.delete_user, "DELETE"),
            r("/Groups", self.list_groups, "GET"),
            r("/Groups", self.create_group, "POST"),
            r("/Groups/.search", self.search_groups, "POST"),
            r("/.search", self.search_root, "POST"),
            r("/Groups/{id}", self.get_group, "GET"),
            r("/Groups/{id}", self.replace_group, "PUT"),
            r("/Groups/{id}", self.patch_group, "PATCH"),
            r("/Groups/{id}", self.delete_group, "DELETE"),
            r("/ServiceProviderConfig", self.service_provider_config, "GET"),
            r("/ResourceTypes", self.resource_types, "GET"),
            r("/ResourceTypes/{id}", self.resource_type, "GET"),
            r("/Schemas", self.schemas, "GET"),
            r("/Schemas/{id}", self.schema, "GET"),
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )
        app.router.redirect_slashes = False
        self.point = PointReads(self, app)
        return _StripTrailingSlash(self.point)

    def _route(
        self,
        path: str,
        handler: Callable[[Call, Tenant], Response],
        method: str,
        point_read: Callable[[Call], bool] | None = None,
    ) -> Route:
        """A route whose service call runs in a worker thread; `point_read` tells the
        requests cheap enough to serve on the event loop (see `inline_reads`)."""

        async def endpoint(request: Request) -> Response:
            try:
                raw = await self._read_body(request) if method in ("POST", "PUT", "PATCH") else None
            except EnlistError as error:
                return from_error(error)
            call = Call(request, None, self.base_url(request.scope))
            call.raw = raw
            if point_read is not None and self.inline_reads and point_read(call):
                return self._serve(handler, call)
            return await asyncio.get_running_loop().run_in_executor(
                self.threads, self._serve, handler, call
            )

        return Route(path, endpoint, methods=[method])

    def base_url(self, scope: Scope) -> str:
        """The SCIM base URL as the client reached it (or as configured behind a proxy)."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/") + "/scim/v2"
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        server = scope.get("server")  # a list in some servers' scopes
        key = (scope.get("scheme"), host, tuple(server or ()), scope.get("root_path", ""))
        known = self._base_urls.get(key)
        if known is None:  # a provider sends one Host: parsing it once saves ~10 us a request
            url = URL(scope=scope)
            known = f"{url.scheme}://{url.netloc}{scope.get('root_path', '')}"
            if len(self._base_urls) >= 64:
                self._base_urls.clear()
            self._base_urls[key] = known
        return known

    def _serve(self, handler: Callable[[Call, Tenant], Response], call: Call) -> Response:
        if call.request.method == "GET":
            # A read authenticates and reads in one transaction; a write must read its own
            # change, so it keeps a transaction of its own (store/db.py `reads_together`).
            with self.db.reads_together():
                return self._serve_one(handler, call)
        return self._serve_one(handler, call)

    def _serve_one(self, handler: Callable[[Call, Tenant], Response], call: Call) -> Response:
        tenant: Tenant | None = None
        failure: str | None = None
        try:
            tenant = call.tenant = self._authenticate(call)
            if call.raw is not None:  # judged only once the caller is known: 401 comes first
                call.body = _parse_json(call.raw)
            _refuse_nul(call)
            response = handler(call, tenant)
        except EnlistError as error:
            response, failure = from_error(error), error.detail
        except Exception as exc:  # noqa: BLE001 - the SCIM envelope, never a traceback
            response, failure = internal_error(exc), "internal error"
        request = call.request
        # A write that went through logged itself in its own transaction; one that was
        # refused (or failed) rolled back, and is logged here in a transaction of its own.
        if (
            failure is not None
            and tenant is not None
            and audit.is_audited(request.method, request.url.path)
        ):
            activity.record(
                self.db,
                audit.refusal(
                    tenant=tenant,
                    method=request.method,
                    path=request.url.path,
                    path_id=call.path_params.get("id"),
                    body=call.body,
                    status=response.status_code,
                    failure=failure,
                    user_agent=call.headers.get("user-agent"),
                    request_id=request_id_of(request.scope),
                ),
            )
        return response

    def _authenticate(self, call: Call) -> Tenant:
        found = BEARER.match(call.headers.get("authorization", ""))
        if found is None:
            raise Unauthorized("Send the SCIM secret as 'Authorization: Bearer <secret>'.")
        try:
            tenant = tenancy.authenticate(self.db, found.group(1), self.settings.secret_key)
        except Unauthorized:
            refusals.record_refused_secret(
                self.db,
                found.group(1),
                self.settings.secret_key,
                user_agent=call.headers.get("user-agent"),
                request_id=request_id_of(call.request.scope),
            )
            raise
        verdict = self.limiter.take(tenant.secret_id)
        if not verdict.allowed:
            raise RateLimited(
                f"Too many requests with this secret; retry in {verdict.retry_after} second(s).",
                verdict.retry_after,
            )
        return tenant

    async def _read_body(self, request: Request) -> bytes:
        """The raw body, refused (413) past the limit before any of it is parsed."""
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is larger than the {limit} bytes allowed.")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"The request body is larger than the {limit} bytes allowed.")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return from_error(
                MethodNotAllowed(f"{request.method} is not supported on {request.url.path}.")
            )
        if exc.status_code == 404:
            return error_response(404, f"There is no SCIM endpoint at {request.url.path}.")
        return error_response(exc.status_code, str(exc.detail))

    async def _crash(self, request: Request, exc: Exception) -> Response:
        return internal_error(exc)

    # list parameters ---------------------------------------------------------------
    def _query(
        self,
        source: Any,
        tenant: Tenant,
        endpoint: str,
        *,
        with_members: bool = True,
        with_groups: bool = True,
    ) -> tuple[Query, str | None]:
        """The list request, and (when it pages by cursor, RFC 9865) what its cursors are
        bound to."""

        def number(name: str, default: int) -> int:
            raw = source.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise InvalidValue(f"{name} must be a whole number, not {raw!r}.") from None

        # past any real list; keeps the SQL OFFSET inside a 64-bit integer on both backends
        start = min(max(1, number("startIndex", 1)), _MAX_START_INDEX)
        count = min(
            max(0, number("count", self.settings.default_page_size)), self.settings.max_results
        )
        text = source.get("filter")
        if text is not None and not isinstance(text, str):
            raise InvalidValue("filter must be a string.")
        order = str(source.get("sortOrder") or "ascending").lower()
        if order not in ("ascending", "descending"):
            raise InvalidValue("sortOrder must be ascending or descending.")
        sort_by = source.get("sortBy")
        query = Query(
            filter=parse_filter(
                text, self.settings.max_filter_length, self.settings.max_filter_depth
            )
            if text and text.strip()
            else None,
            start_index=start,
            count=count,
            sort_by=str(sort_by) if sort_by else None,
            descending=order == "descending",
            with_members=with_members,
            with_groups=with_groups,
            records=True,  # users as records: `_document` writes them (documents.py)
        )
        if "cursor" not in source:
            return query, None
        if source.get("startIndex") not in (None, ""):
            raise InvalidValue("Page with either cursor or startIndex, not both.")
        cursor = source.get("cursor")
        bound_to = fingerprint(
            endpoint,
            tenant.account_id,
            text.strip() if text else "",
            str(sort_by).strip().lower() if sort_by else "",
            query.descending,
        )
        if cursor is None or cursor == "":  # an empty cursor asks for the first page
            return replace(query, cursor=True), bound_to
        seek = self.cursors.open(cursor, bound_to)
        # the total comes with the first page (or whenever count=0 asks for it alone)
        return replace(query, cursor=True, seek=seek, with_total=query.count == 0), bound_to

    def _listing(
        self,
        call: Call,
        tenant: Tenant,
        source: Any,
        projection: Projection,
        endpoint: str,
        listed: Callable[[Database, Tenant, Query], Page[Any]],
    ) -> Response:
        """A ListResponse paged by startIndex (RFC 7644) or, when a cursor is sent, by cursor
        (RFC 9865)."""
        query, bound_to = self._query(
            source,
            tenant,
            endpoint,
            with_members=projection.wants("members"),
            with_groups=projection.wants("groups"),
        )
        found = listed(self.db, tenant, query)
        docs = [projection.apply(_document(item, call.base)) for item in found.items]
        if bound_to is None:
            assert found.total is not None  # a page by startIndex is always counted
            return json_response(list_document(found.total, query.start_index, docs))
        seal = self.cursors.seal
        return json_response(
            cursor_list_document(
                found.total,
                docs,
                seal(found.next, bound_to) if found.next else None,
                seal(found.previous, bound_to) if found.previous else None,
            )
        )

    def _search_source(self, call: Call) -> dict[str, Any]:
        if not isinstance(call.body, dict):
            raise InvalidSyntax("A search body must be a JSON object.")
        return dict(call.body.items())

    # users -------------------------------------------------------------------------
    def _user_response(
        self, call: Call, user: Any, status: int = 200, projection: Projection | None = None
    ) -> Response:
        doc = user_document(user, call.base)
        headers = {"ETag": etag(user.version)}
        if status == 201:
            headers["Location"] = doc["meta"]["location"]
        return json_response((projection or call.projection()).apply(doc), status, headers)

    def _list_users(
        self, call: Call, tenant: Tenant, source: Any, projection: Projection
    ) -> Response:
        return self._listing(
            call,
            tenant,
            source,
            projection,
            "Users",
            directory.list_users,
        )

    def list_users(self, call: Call, tenant: Tenant) -> Response:
        return self._list_users(call, tenant, call.params, call.projection())

    def search_users(self, call: Call, tenant: Tenant) -> Response:
        source = self._search_source(call)
        return self._list_users(call, tenant, source, call.projection(source))

    def get_user(self, call: Call, tenant: Tenant) -> Response:
        projection = call.projection()
        user = directory.get_user(
            self.db, tenant, call.path_params["id"], with_groups=projection.wants("groups")
        )
        if _not_modified(call, user.version, "user"):
            return Response(status_code=304, headers={"ETag": etag(user.version)})
        return self._user_response(call, user, projection=projection)

    def create_user(self, call: Call, tenant: Tenant) -> Response:
        fields = user_fields(canonical_user(call.body))
        user = directory.create_user(self.db, tenant, fields, actor=call.actor(201))
        return self._user_response(call, user, 201)

    def replace_user(self, call: Call, tenant: Tenant) -> Response:
        doc = canonical_user(call.body)

        def change(current: Any) -> Any:
            return user_fields(doc, current=current.fields)

        user = directory.update_user(
            self.db,
            tenant,
            call.path_params["id"],
            change,
            call.preconditions(),
            action="user.replace",
            actor=call.actor(200),
        )
        return self._user_response(call, user)

    def patch_user(self, call: Call, tenant: Tenant) -> Response:
        ops = operations(call.body, self.settings.max_operations)

        def change(current: Any) -> Any:
            doc = patch_user(user_doc_of(current.fields), ops)
            return user_fields(doc, current=current.fields)

        user = directory.update_user(
            self.db,
            tenant,
            call.path_params["id"],
            change,
            call.preconditions(),
            action="user.update",
            actor=call.actor(200),
        )
        return self._user_response(call, user)

    def delete_user(self, call: Call, tenant: Tenant) -> Response:
        user_id = call.path_params["id"]
        directory.delete_user(self.db, tenant, user_id, call.preconditions(), actor=call.actor(204))
        return Response(status_code=204)

    # groups ------------------------------------------------------------------------
    def _group_response(
        self, call: Call, group: Any, status: int = 200, projection: Projection | None = None
    ) -> Response:
        doc = group_document(group, call.base)
        headers = {"ETag": etag(group.version)}
        if status == 201:
            headers["Location"] = doc["meta"]["location"]
        return json_response((projection or call.projection()).apply(doc), status, headers)

    def _list_groups(
        self, call: Call, tenant: Tenant, source: Any, projection: Projection
    ) -> Response:
        return self._listing(
            call,
            tenant,
            source,
            projection,
            "Groups",
            directory.list_groups,
        )

    def list_groups(self, call: Call, tenant: Tenant) -> Response:
        return self._list_groups(call, tenant, call.params, call.projection())

    def search_groups(self, call: Call, tenant: Tenant) -> Response:
        source = self._search_source(call)
        return self._list_groups(call, tenant, source, call.projection(source))

    # the server root ---------------------------------------------------------------
    def search_root(self, call: Call, tenant: Tenant) -> Response:
        """POST /.search: users and groups in one list (RFC 7644 §3.4.3)."""
        source = self._search_source(call)
        return self._listing(
            call,
            tenant,
            source,
            call.projection(source),
            "",
            directory.search_directory,
        )

    def get_group(self, call: Call, tenant: Tenant) -> Response:
        projection = call.projection()
        group = directory.get_group(
            self.db, tenant, call.path_params["id"], with_members=projection.wants("members")
        )
        if _not_modified(call, group.version, "group"):
            return Response(status_code=304, headers={"ETag": etag(group.version)})
        return self._group_response(call, group, projection=projection)

    def create_group(self, call: Call, tenant: Tenant) -> Response:
        projection = call.projection()
        fields = group_fields(call.body)
        group = directory.create_group(
            self.db,
            tenant,
            fields,
            with_members=projection.wants("members"),
            actor=call.actor(201),
        )
        return self._group_response(call, group, 201, projection)

    def replace_group(self, call: Call, tenant: Tenant) -> Response:
        projection = call.projection()
        fields = group_fields(call.body)
        group = directory.replace_group(
            self.db,
            tenant,
            call.path_params["id"],
            fields,
            call.preconditions(),
            with_members=projection.wants("members"),
            actor=call.actor(200),
        )
        return self._group_response(call, group, projection=projection)

    def patch_group(self, call: Call, tenant: Tenant) -> Response:
        changes = group_changes(
            operations(call.body, self.settings.max_operations),
            self.settings.max_members_per_request,
        )
        projection = call.projection()
        changed = directory.change_group(
            self.db,
            tenant,
            call.path_params["id"],
            changes,
            call.preconditions(),
            with_members=projection.wants("members") if projection.given else None,
            actor=call.actor(200 if projection.given else 204),
        )
        if changed.group is None:  # no body, but the new version for the next If-Match
            return Response(status_code=204, headers={"ETag": etag(changed.version)})
        return self._group_response(call, changed.group, projection=projection)

    def delete_group(self, call: Call, tenant: Tenant) -> Response:
        group_id = call.path_params["id"]
        directory.delete_group(
            self.db, tenant, group_id, call.preconditions(), actor=call.actor(204)
        )
        return Response(status_code=204)

    # discovery ---------------------------------------------------------------------
    def _discovery_allowed(self, tenant: Tenant) -> None:
        directory.describe_service(tenant)

    def service_provider_config(self, call: Call, tenant: Tenant) -> Response:
        self._discovery_allowed(tenant)
        return json_response(discovery.service_provider_config(self.settings, call.base))

    def resource_types(self, call: Call, tenant: Tenant) -> Response:
        self._discovery_allowed(tenant)
        items = discovery.resource_types(call.base)
        return json_response(list_document(len(items), 1, items))

    def resource_type(self, call: Call, tenant: Tenant) -> Response:
        self._discovery_allowed(tenant)
        return self._one(
            discovery.resource_types(call.base), call.path_params["id"], "resource type"
        )

    def schemas(self, call: Call, tenant: Tenant) -> Response:
        self._discovery_allowed(tenant)
        items = discovery.schemas(call.base)
        return json_response(list_document(len(items), 1, items))

    def schema(self, call: Call, tenant: Tenant) -> Response:
        self._discovery_allowed(tenant)
        return self._one(discovery.schemas(call.base), call.path_params["id"], "schema")

    def _one(self, items: list[dict[str, Any]], wanted: str, what: str) -> Response:
        for item in items:
            if item["id"].lower() == wanted.lower():
                return json_response(item)
        raise NotFound(f"There is no {what} {wanted}.")


def _is_lookup(call: Call) -> bool:
    text = call.params.get("filter")
    return text is not None and LOOKUP.match(text) is not None and "sortBy" not in call.params


def _refuse_nul(call: Call) -> None:
    """PostgreSQL can neither keep nor compare a NUL character (U+0000): a request holding
    one is answered before it reaches the database, the same way on every backend."""
    if any("\x00" in value for value in call.path_params.values()):
        raise NotFound(f"There is no resource at {call.request.url.path!r}.")
    for name, value in call.params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidValue(f"The query parameter {name!r} holds a NUL character (\\u0000).")
    if call.raw is not None and b"\\u0000" in call.raw and _holds_nul(call.body):
        raise InvalidValue("The request body holds a NUL character (\\u0000), which no value may.")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise InvalidSyntax("The request needs a JSON body.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSyntax(f"The request body is not valid JSON: {exc}.") from None


def _versions(raw: str | None) -> directory.Versions | None:
    """The versions an If-Match / If-None-Match header names: `*`, or a list of (weak) ETags.

    A tag that is not one of ours names no version, so If-Match with only such tags fails.
    """
    if raw is None or not raw.strip():
        return None
    tags = [tag.strip() for tag in raw.split(",") if tag.strip()]
    if "*" in tags:
        return directory.Versions(any=True)
    numbers = frozenset(int(found.group(1)) for tag in tags if (found := _VERSION.match(tag)))
    return directory.Versions(numbers)


def _not_modified(call: Call, version: int, what: str) -> bool:
    """GET with If-Match naming another version fails (412); with If-None-Match naming this
    one, the client's copy is current (304)."""
    conditions = call.preconditions()
    directory.check_read(version, conditions, what)
    return bool(conditions and conditions.none_match and conditions.none_match.include(version))


def _document(item: Any, base: str) -> dict[str, Any]:
    """A listed item's document: a group, or a user read as a record (Query.records)."""
    return group_document(item, base) if isinstance(item, Group) else record_document(item, base)


class _StripTrailingSlash:
    """Providers sometimes add a trailing slash; route /Users/ like /Users."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope["path"]) > 1 and scope["path"].endswith("/"):
            scope = dict(scope)
            scope["path"] = scope["path"].rstrip("/")
            if scope.get("raw_path"):
                scope["raw_path"] = scope["raw_path"].rstrip(b"/")
        await self.app(scope, receive, send)
