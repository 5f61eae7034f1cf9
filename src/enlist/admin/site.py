"""The admin site's plumbing: sessions, CSRF checks, flashes, rendering and the route table."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from enlist.admin.signing import Signer
from enlist.clock import now
from enlist.config import Settings
from enlist.domain.activity import Entry
from enlist.domain.errors import NotFound
from enlist.domain.tenancy import AdminSession
from enlist.request_id import request_id_of
from enlist.services import activity, sessions, tenancy
from enlist.store.db import Database

HERE = Path(__file__).parent
SESSION_COOKIE = "enlist_session"
PRESESSION_COOKIE = "enlist_presession"  # binds the sign-in form's CSRF token
FLASH_COOKIE = "enlist_flash"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PLAN_LABELS = {
    "basic": "Basic",
    "plus": "Plus",
    "pro": "Pro",
    "business": "Business",
    "enterprise": "Enterprise",
}


@dataclass(frozen=True)
class Admin:
    """The signed-in person: an account's admin, known by the session cookie."""

    account_id: str
    account_name: str
    email: str
    token: str  # the session's secret, from the cookie; binds the CSRF token


Handler = Callable[["Visit"], Response]


@dataclass
class Visit:
    """One request to a page, as its handler sees it (handlers run in a worker thread)."""

    site: AdminSite
    request: Request
    form: FormData | None
    admin: Admin | None
    flash: dict[str, str] | None = None
    presession: str | None = None  # a pre-session cookie value this response sets
    cookies_to_set: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.site.db

    @property
    def account_id(self) -> str:
        assert self.admin is not None
        return self.admin.account_id

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def param(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    def scim_base_url(self) -> str:
        if self.site.settings.public_url:
            return self.site.settings.public_url.rstrip("/") + "/scim/v2"
        return f"{self.request.url.scheme}://{self.request.url.netloc}/scim/v2"

    def csrf_token(self) -> str:
        binding = (
            self.admin.token
            if self.admin
            else self.presession or self.request.cookies.get(PRESESSION_COOKIE, "")
        )
        return self.site.signer.csrf_token(binding) if binding else ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        body = self.site.templates.get_template(template).render(
            request=self.request,
            admin=self.admin,
            csrf_token=self.csrf_token(),
            flash=self.flash,
            path=self.request.url.path,
            **context,
        )
        response = HTMLResponse(body, status_code=status_code)
        for name, value, max_age in self.cookies_to_set:
            self.site.set_cookie(self.request, response, name, value, max_age)
        return response

    def redirect(self, url: str, message: str | None = None, kind: str = "success") -> Response:
        response = RedirectResponse(url, status_code=303)
        if message:
            signed = self.site.signer.sign("flash", {"kind": kind, "text": message})
            self.site.set_cookie(self.request, response, FLASH_COOKIE, signed, 60)
        return response

    def record(
        self,
        action: str,
        outcome: str,
        detail: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        resource_name: str | None = None,
        status: int | None = None,
    ) -> None:
        """Log an admin change in the activity log (never a secret or a password)."""
        assert self.admin is not None
        activity.record(
            self.db,
            Entry(
                account_id=self.admin.account_id,
                at=now(),
                actor_type="admin",
                actor=self.admin.email,
                action=action,
                outcome=outcome,
                detail=detail,
                resource_type=resource_type,
                resource_id=resource_id,
                resource_name=resource_name,
                status=status,
                user_agent=self.request.headers.get("user-agent"),
                request_id=request_id_of(self.request.scope),
            ),
        )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


class AdminSite:
    """The pages of one database; `app()` is the Starlette app mounted at "/"."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._signer: Signer | None = None
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when
        self.templates.filters["iso"] = _iso
        self.templates.globals["plan_label"] = lambda plan: PLAN_LABELS.get(plan, plan)
        self.templates.globals["quote"] = quote
        self.templates.globals["expiry_warning"] = tenancy.expiry_warning
        self.sign_in_limit = sessions.SignInLimit(
            failures=settings.sign_in_max_failures,
            window=timedelta(seconds=settings.sign_in_window_seconds),
        )

    @property
    def signer(self) -> Signer:
        """Made on first use: the key may come from the database, shared by every worker."""
        if self._signer is None:
            self._signer = Signer(sessions.session_key(self.db, self.settings.session_key))
        return self._signer

    # routing ------------------------------------------------------------------------
    def app(self) -> Starlette:
        from enlist.admin import account_pages, directory_pages, domain_pages

        routes: list[BaseRoute] = [
            Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static")
        ]
        for module in (account_pages, domain_pages, directory_pages):
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
        admin = self.signed_in(request)
        visit = Visit(self, request, form, admin, self._take_flash(request))
        if admin is None and not public:
            if request.method == "POST":
                response: Response = visit.redirect(
                    "/sign-in", "Your session has ended; sign in again.", "error"
                )
            else:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
        elif request.method == "POST" and not self.signer.csrf_ok(
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
        admin = await run_in_threadpool(self.signed_in, request)
        body = self.templates.get_template("error.html").render(
            request=request,
            admin=admin,
            csrf_token=self.signer.csrf_token(admin.token) if admin else "",
            flash=None,
            path=request.url.path,
            title=title,
            message="There is nothing at this address." if status == 404 else str(exc),
        )
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    # sessions and cookies -----------------------------------------------------------
    def signed_in(self, request: Request) -> Admin | None:
        token = self.signer.unsign(
            "session",
            request.cookies.get(SESSION_COOKIE),
            sessions.SESSION_LIFETIME.total_seconds(),
        )
        if not isinstance(token, str):
            return None
        found = sessions.current_session(self.db, token)
        return self.signed_in_as(found, token) if found is not None else None

    @staticmethod
    def signed_in_as(found: AdminSession, token: str) -> Admin:
        return Admin(found.account_id, found.account_name, found.email, token)

    def _take_flash(self, request: Request) -> dict[str, str] | None:
        value = self.signer.unsign("flash", request.cookies.get(FLASH_COOKIE), 120)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return {"kind": str(value.get("kind", "success")), "text": value["text"]}
        return None

    def set_cookie(
        self, request: Request, response: Response, name: str, value: str, max_age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )

    def _secure(self, request: Request) -> bool:
        """Secure cookies when the admin reaches us over HTTPS (or ENLIST_PUBLIC_URL is https)."""
        return request.url.scheme == "https" or self.settings.public_url.startswith("https://")

    def new_presession(self) -> str:
        return secrets.token_urlsafe(24)
