"""The admin pages as one app: the route table and the checks every page request goes through."""

from __future__ import annotations

from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from enlist.admin import (
    access_pages,
    account_pages,
    admin_pages,
    apikey_pages,
    directory_pages,
    domain_pages,
    export_pages,
    secret_pages,
    setup_pages,
    sso_pages,
    webhook_pages,
)
from enlist.admin.visit import FLASH_COOKIE, HERE, PRESESSION_COOKIE, Handler, Site, Visit
from enlist.config import Settings
from enlist.domain.errors import NotFound
from enlist.store.db import Database

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PAGE_MODULES = (
    account_pages,
    access_pages,
    domain_pages,
    sso_pages,
    directory_pages,
    webhook_pages,
    apikey_pages,
    setup_pages,
    admin_pages,
    secret_pages,
    export_pages,
)


class AdminSite:
    """The pages of one database; `app()` is the Starlette app mounted at "/"."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.site = Site(db, settings)

    def app(self) -> Starlette:
        routes: list[BaseRoute] = [
            Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static")
        ]
        for module in PAGE_MODULES:
            for path, methods, handler, public in module.ROUTES:
                routes.append(self._route(path, methods, handler, public))
        return Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})

    def _route(self, path: str, methods: list[str], handler: Handler, public: bool) -> Route:
        async def endpoint(request: Request) -> Response:
            form = (
                await request.form(max_files=0, max_fields=50) if request.method == "POST" else None
            )
            return await run_in_threadpool(self._serve, handler, request, form, public)

        return Route(path, endpoint, methods=methods)

    def _serve(
        self, handler: Handler, request: Request, form: FormData | None, public: bool
    ) -> Response:
        site = self.site
        admin = site.signed_in(request)
        visit = Visit(site, request, form, admin, site.take_flash(request))
        if admin is None and not public:
            if request.method == "POST":
                response: Response = visit.redirect(
                    "/sign-in", "Your session has ended; sign in again.", "error"
                )
            else:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
        elif request.method == "POST" and not site.signer.csrf_ok(
            admin.token if admin else request.cookies.get(PRESESSION_COOKIE),
            visit.field("csrf_token"),
        ):
            response = visit.render(
                "error.html",
                status_code=403,
                title="This form has expired",
                message="The page was open too long or came from another site, "
                "so nothing was changed. "
                "Go back, reload the page and try again.",
            )
        else:
            try:
                response = handler(visit)
            except NotFound:
                response = visit.render(
                    "error.html",
                    status_code=404,
                    title="Not found",
                    message="There is nothing at this address in your account.",
                )
        sets_flash = any(
            name == b"set-cookie" and value.startswith(FLASH_COOKIE.encode() + b"=")
            for name, value in response.raw_headers
        )
        if FLASH_COOKIE in request.cookies and not sets_flash:
            response.delete_cookie(FLASH_COOKIE, path="/")  # shown once
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        title = "Not found" if status == 404 else "This request cannot be answered"
        admin = await run_in_threadpool(self.site.signed_in, request)
        body = self.site.templates.get_template("error.html").render(
            request=request,
            admin=admin,
            csrf_token=self.site.signer.csrf_token(admin.token) if admin else "",
            flash=None,
            path=request.url.path,
            title=title,
            message="There is nothing at this address." if status == 404 else str(exc),
        )
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
