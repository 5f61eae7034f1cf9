"""create_app(): wires storage, the SCIM API and the pages into one ASGI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from enlist.admin.site import AdminSite
from enlist.api import access, account, events
from enlist.api.http import CalendarApi
from enlist.config import Settings
from enlist.events.worker import DeliveryWorker
from enlist.request_id import RequestId
from enlist.scim.api import ScimApi
from enlist.signin.site import SignInSite
from enlist.store.db import Database

SCIM_PREFIX = "/scim/v2"
# The areas of /api/v1, each a module with ROUTES and PATHS (see api/http.py).
API_AREAS: list[ModuleType] = [account, access, events]


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or Settings()
    db = db or Database.open(settings.database_url)
    logging.basicConfig(level=settings.log_level.upper())

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    scim = ScimApi(db, settings)
    scim_app = scim.app()
    admin = AdminSite(db, settings)
    people = SignInSite(admin.site)
    api_threads = ThreadPoolExecutor(4, thread_name_prefix="enlist-api")
    api = CalendarApi(db, settings, API_AREAS, api_threads)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pruning = asyncio.create_task(_prune_activity(db, settings.activity_retention_days))
        delivery = DeliveryWorker(db, settings) if settings.webhook_delivery else None
        if delivery is not None:
            delivery.start()
        yield
        pruning.cancel()
        if delivery is not None:
            await asyncio.get_running_loop().run_in_executor(None, delivery.stop)
        scim.close()
        if scim.point is not None:
            await scim.point.close()
        people.close()
        api_threads.shutdown(wait=False)
        db.dispose()

    app = EnlistApp(
        RequestId(scim_app),
        routes=[
            Route("/healthz", healthz),
            Mount(SCIM_PREFIX, app=scim_app),
            Mount("/api/v1", app=api.app()),
            *people.routes(),
            Mount("/", app=admin.app()),
        ],
        lifespan=lifespan,
        middleware=[Middleware(RequestId)],
    )
    app.state.db = db
    app.state.settings = settings
    app.state.scim = scim
    return app


class EnlistApp(Starlette):
    """The site, with a short way in for SCIM: an identity provider's request goes straight to
    the SCIM app (which has its own error handling) with what Mount would give it, past the
    site's middleware and router: five ASGI layers fewer on every provisioning request."""

    def __init__(self, scim: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._scim = scim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root = scope.get("root_path", "")
            path: str = scope["path"]
            if path.startswith(root + SCIM_PREFIX + "/"):
                scope["app"] = self
                scope["app_root_path"] = scope.get("app_root_path", root)
                scope["root_path"] = root + SCIM_PREFIX
                scope["path_params"] = {}
                await self._scim(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _prune_activity(db: Database, retention_days: int) -> None:
    """Apply the activity retention now and then every hour (each worker does; it is idempotent)."""
    from starlette.concurrency import run_in_threadpool

    from enlist.services import activity

    while True:
        try:
            await run_in_threadpool(activity.prune, db, retention_days)
        except Exception:  # a failed clean-up must never take the server down
            logging.getLogger("enlist").exception("activity retention clean-up failed")
        await asyncio.sleep(3600)
