"""The /api/v1 plumbing: API-key authentication, JSON answers, plain errors, the route table.

Each area of the API is a module with `ROUTES` (path, method, handler) and `PATHS` (its
part of the OpenAPI document); this module wires them into one Starlette app. A handler
gets the `Call` (the request, the authenticated account, the database) and returns a
JSON-able value or a Response. Plain functions run in the service threads (they use the
database); coroutine functions (a long poll) run on the event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from enlist.config import Settings
from enlist.domain import errors
from enlist.encoding import to_json
from enlist.services.apikeys import ApiCaller, authenticate_api_key
from enlist.store.db import Database

log = logging.getLogger("enlist.api")
JSON = "application/json"
_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)

# Each error of the services, as the API answers it.
STATUS: list[tuple[type[errors.EnlistError], int]] = [
    (errors.NotFound, 404),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
]


@dataclass(frozen=True)
class Call:
    """One authenticated API request, as a handler sees it."""

    request: Request
    caller: ApiCaller
    db: Database
    settings: Settings

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    def param(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value.strip() if value is not None else None

    def number(self, name: str, default: int, lowest: int, highest: int) -> int:
        """A whole-number query parameter, kept within [lowest, highest]."""
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise errors.InvalidValue(f"{name} must be a whole number, not {raw!r}.") from None
        return min(max(value, lowest), highest)


Handler = Callable[[Call], Any] | Callable[[Call], Awaitable[Any]]
ApiRoute = tuple[str, str, Handler]  # (path below /api/v1, method, handler)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(to_json(body), status_code=status, media_type=JSON, headers=headers)


def error_response(error: errors.EnlistError) -> Response:
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    headers: dict[str, str] = {}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="enlist-api"'
    return json_response({"detail": error.detail}, status, headers)


class CalendarApi:
    """The API of one database; `app()` is the Starlette app mounted at /api/v1."""

    def __init__(
        self, db: Database, settings: Settings, areas: list[ModuleType], threads: ThreadPoolExecutor
    ) -> None:
        self.db = db
        self.settings = settings
        self.areas = areas
        self.threads = threads

    def app(self) -> Starlette:
        from enlist.api.openapi import document

        spec = to_json(document(self.areas))

        async def openapi(request: Request) -> Response:
            return Response(spec, media_type=JSON)

        routes = [Route("/openapi.json", openapi, methods=["GET"])]
        for area in self.areas:
            for path, method, handler in area.ROUTES:
                routes.append(Route(path, self._endpoint(handler), methods=[method]))
        return Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_error, Exception: self._crash},
        )

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        is_async = inspect.iscoroutinefunction(handler)

        async def endpoint(request: Request) -> Response:
            loop = asyncio.get_running_loop()
            try:
                caller = await loop.run_in_executor(self.threads, self._authenticate, request)
                call = Call(request, caller, self.db, self.settings)
                if is_async:
                    result = await handler(call)
                else:
                    result = await loop.run_in_executor(self.threads, handler, call)
            except errors.EnlistError as error:
                return error_response(error)
            return result if isinstance(result, Response) else json_response(result)

        return endpoint

    def _authenticate(self, request: Request) -> ApiCaller:
        found = _BEARER.match(request.headers.get("authorization", ""))
        if found is None:
            raise errors.Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
        return authenticate_api_key(self.db, found.group(1), self.settings.secret_key)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            detail = f"There is no API endpoint at {request.url.path}."
        elif exc.status_code == 405:
            detail = f"{request.method} is not supported on {request.url.path}."
        else:
            detail = str(exc.detail)
        return json_response({"detail": detail}, exc.status_code)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        log.error("unexpected error while serving an API request", exc_info=exc)
        return json_response(
            {"detail": "Enlist could not complete the request; it has been logged. Retry later."},
            500,
        )
