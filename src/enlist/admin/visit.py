"""What an admin page works with: the site's shared parts, the signed-in admin, one visit."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from enlist.admin.signing import Signer
from enlist.clock import now
from enlist.config import Settings
from enlist.domain.activity import Entry
from enlist.domain.errors import EnlistError
from enlist.domain.tenancy import AdminSession
from enlist.request_id import request_id_of
from enlist.services import activity, sessions, tenancy
from enlist.services.unit import Actor
from enlist.store.db import Database

HERE = Path(__file__).parent
SESSION_COOKIE = "enlist_session"
PRESESSION_COOKIE = "enlist_presession"  # binds the sign-in form's CSRF token
FLASH_COOKIE = "enlist_flash"
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
    admin_id: str = ""
    role: str = "owner"

    @classmethod
    def of(cls, session: AdminSession, token: str) -> Admin:
        return cls(
            session.account_id,
            session.account_name,
            session.email,
            token,
            session.admin_id,
            session.role,
        )

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


Handler = Callable[["Visit"], Response]
# (path, methods, handler, public): what each page module adds to the route table
PageRoute = tuple[str, list[str], Handler, bool]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


class Site:
    """What every page of one admin site shares: the database, the settings, the templates,
    the key that signs cookies and the sign-in limit."""

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

    def signed_in(self, request: Request) -> Admin | None:
        token = self.signer.unsign(
            "session",
            request.cookies.get(SESSION_COOKIE),
            sessions.SESSION_LIFETIME.total_seconds(),
        )
        if not isinstance(token, str):
            return None
        found = sessions.current_session(self.db, token)
        return Admin.of(found, token) if found is not None else None

    def take_flash(self, request: Request) -> dict[str, str] | None:
        value = self.signer.unsign("flash", request.cookies.get(FLASH_COOKIE), 120)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return {"kind": str(value.get("kind", "success")), "text": value["text"]}
        return None

    def set_cookie(
        self,
        request: Request,
        response: Response,
        name: str,
        value: str,
        max_age: int,
        path: str = "/",
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=path,
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )

    def _secure(self, request: Request) -> bool:
        """Secure cookies when the admin reaches us over HTTPS (or ENLIST_PUBLIC_URL is https)."""
        return request.url.scheme == "https" or self.settings.public_url.startswith("https://")

    @staticmethod
    def new_presession() -> str:
        return secrets.token_urlsafe(24)


@dataclass
class Visit:
    """One request to a page, as its handler sees it (handlers run in a worker thread)."""

    site: Site
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
    def settings(self) -> Settings:
        return self.site.settings

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
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/") + "/scim/v2"
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

    @property
    def actor(self) -> Actor:
        """The signed-in admin, as the services record who changed what."""
        assert self.admin is not None
        return Actor(
            "admin",
            self.admin.email,
            user_agent=self.request.headers.get("user-agent"),
            request_id=request_id_of(self.request.scope),
        )

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

    def refuse(
        self,
        error: EnlistError,
        action: str,
        what: str,
        page: Callable[[int, str], Response],
        *,
        resource_type: str,
        resource_id: str | None = None,
        resource_name: str | None = None,
    ) -> Response:
        """A change the services refused: log "`what`: the reason" in the activity log, then
        show `page` again with status 400 and the reason beside the form."""
        self.record(
            action,
            "refused",
            f"{what}: {error.detail}",
            resource_type=resource_type,
            resource_id=resource_id,
            resource_name=resource_name,
        )
        return page(400, error.detail)
