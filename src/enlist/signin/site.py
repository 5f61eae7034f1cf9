"""The people's side over HTTP: /login, the OpenID Connect callback, /me, /logout, and Okta's
Universal Logout endpoint. Handlers run in a worker thread, as the admin pages' do."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, FileSystemLoader
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from enlist.admin.site import SECURITY_HEADERS
from enlist.admin.visit import FLASH_COOKIE, PRESESSION_COOKIE, SESSION_COOKIE, Site
from enlist.admin.visit import HERE as ADMIN_HERE
from enlist.domain.access import label, level_of
from enlist.domain.errors import NotFound
from enlist.domain.signin import (
    CannotLogOut,
    Person,
    Refusal,
    SignInRefused,
    SsoSettings,
    email_domain,
    plain,
    safe_path,
)
from enlist.encoding import from_json
from enlist.request_id import request_id_of
from enlist.services import access, admins, sessions, signin
from enlist.services.unit import Actor
from enlist.signin.localized import Clockface
from enlist.signin.oidc import (
    Issuers,
    Pending,
    ProviderError,
    TokenRefused,
    authorization_request,
    redeem,
    unverified_issuer,
    verify_logout_token,
)
from enlist.store.db import Database

HERE = Path(__file__).parent
PERSON_COOKIE = "enlist_person"
PENDING_COOKIE = "enlist_oidc"
PENDING_SECONDS = 600
CALLBACK_PATH = "/oidc/authenticate"
PENDING_PATH = "/oidc"  # the pending request's cookie goes back to the callback only
LOGOUT_PATH = "/oauth2/global-token-revocation"
MAX_LOGOUT_BODY = 16 * 1024
# The email form posts to /login, which may answer with a redirect to the identity provider:
# browsers apply form-action to that redirect too, so this page allows any https origin
# (and loopback, where test providers run).
LOGIN_FORM_ACTION = "form-action 'self' https: http://127.0.0.1:* http://localhost:*"
log = logging.getLogger("enlist.signin")


@dataclass
class Call:
    """One request as a handler sees it: the form (POSTs), the signed-in person, cookies."""

    request: Request
    form: FormData | None
    person: Person | None
    token: str | None  # the person's session token, from the cookie

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def param(self, name: str) -> str:
        return self.request.query_params.get(name, "").strip()

    @property
    def actor(self) -> Actor:
        return Actor(
            "person",
            self.person.user_id if self.person else "unknown",
            user_agent=self.request.headers.get("user-agent"),
            request_id=request_id_of(self.request.scope),
        )


Handler = Callable[[Call], Response]


class SignInSite:
    """The routes people use; shares the admin site's signing key, cookies and look."""

    def __init__(self, site: Site, issuers: Issuers | None = None) -> None:
        self.site = site
        self.issuers = issuers or Issuers()
        self.templates = site.templates.overlay(
            loader=ChoiceLoader(
                [FileSystemLoader(HERE / "templates"), FileSystemLoader(ADMIN_HERE / "templates")]
            )
        )

    @property
    def db(self) -> Database:
        return self.site.db

    def routes(self) -> list[Route]:
        pages: list[tuple[str, list[str], Handler]] = [
            ("/login", ["GET"], self.login_page),
            ("/login", ["POST"], self.login),
            ("/login/sso", ["GET"], self.initiate),
            (CALLBACK_PATH, ["GET"], self.callback),
            ("/me", ["GET"], self.me),
            ("/logout", ["POST"], self.logout),
        ]
        routes = [Route(path, self._endpoint(handler), methods=m) for path, m, handler in pages]
        routes.append(Route(LOGOUT_PATH, self.universal_logout, methods=["POST"]))
        return routes

    def close(self) -> None:
        self.issuers.close()

    # plumbing ---------------------------------------------------------------------------
    def _endpoint(self, handler: Handler) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            form = (
                await request.form(max_files=0, max_fields=20) if request.method == "POST" else None
            )
            return await run_in_threadpool(self._serve, handler, request, form)

        return endpoint

    def _serve(self, handler: Handler, request: Request, form: FormData | None) -> Response:
        token = self.site.signer.unsign(
            "person",
            request.cookies.get(PERSON_COOKIE),
            signin.SESSION_LIFETIME.total_seconds(),
        )
        token = token if isinstance(token, str) else None
        person = signin.current_person(self.db, token) if token else None
        call = Call(request, form, person, token if person else None)
        if request.method == "POST" and not self.site.signer.csrf_ok(
            self._binding(call), call.field("csrf_token")
        ):
            response = self._page(
                call,
                "refused.html",
                403,
                title="This form has expired",
                message="The page was open too long or came from another site, so nothing "
                "happened. Go back, reload the page and try again.",
            )
        else:
            response = handler(call)
        if FLASH_COOKIE in request.cookies and not _sets_cookie(response, FLASH_COOKIE):
            response.delete_cookie(FLASH_COOKIE, path="/")  # shown once
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @staticmethod
    def _binding(call: Call) -> str | None:
        """What a form's CSRF token is bound to: the session, else the pre-session cookie."""
        return call.token or call.request.cookies.get(PRESESSION_COOKIE)

    def _page(self, call: Call, template: str, status: int = 200, **context: Any) -> Response:
        presession = None
        if call.token is None and not call.request.cookies.get(PRESESSION_COOKIE):
            presession = self.site.new_presession()
        binding = call.token or presession or call.request.cookies.get(PRESESSION_COOKIE)
        body = self.templates.get_template(template).render(
            request=call.request,
            admin=None,
            person=call.person,
            csrf_token=self.site.signer.csrf_token(binding) if binding else "",
            flash=self.site.take_flash(call.request),
            path=call.request.url.path,
            **context,
        )
        response = HTMLResponse(body, status_code=status)
        if presession:
            self.site.set_cookie(call.request, response, PRESESSION_COOKIE, presession, 3600)
        return response

    def _base_url(self, request: Request) -> str:
        configured = self.site.settings.public_url
        if configured:
            return configured.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}"

    def _refused(
        self,
        call: Call,
        error: SignInRefused,
        account_id: str | None,
        who: str,
    ) -> Response:
        """A refused sign-in: logged with its reason, a plain page, no session."""
        signin.refused(self.db, account_id, who, error, call.actor)
        response = self._page(
            call, "refused.html", 403, title="You are not signed in", message=error.detail
        )
        response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return response

    # /login -----------------------------------------------------------------------------
    def login_page(self, call: Call, *, status: int = 200, error: str | None = None) -> Response:
        if call.person is not None and call.request.method == "GET":
            return RedirectResponse("/me", status_code=303)
        response = self._page(
            call,
            "login.html",
            status,
            email=call.field("email") or call.param("login_hint"),
            next=safe_path(call.field("next") or call.param("next")) or "",
            error=error,
        )
        response.headers["Content-Security-Policy"] = SECURITY_HEADERS[
            "Content-Security-Policy"
        ].replace("form-action 'self'", LOGIN_FORM_ACTION)
        return response

    def login(self, call: Call) -> Response:
        """The email form: a domain with single sign-on goes to its identity provider; any
        other address to the admin's password sign-in."""
        email = call.field("email")
        if email_domain(email) is None:
            return self.login_page(call, status=400, error="Enter your work email address.")
        sso = signin.sso_for_email(self.db, email)
        target = safe_path(call.field("next"))
        if sso is None:
            return self._page(call, "sign_in.html", email=email, next=target or "/", error=None)
        return self._start(call, sso, login_hint=email, target=target)

    def initiate(self, call: Call) -> Response:
        """Okta's tile (initiate-login URI): find the domain by issuer, then start the flow."""
        issuer = call.param("iss")
        hint, target = call.param("login_hint"), safe_path(call.param("target_link_uri"))
        # with or without the trailing slash the provider's own issuer may carry
        other = issuer[:-1] if issuer.endswith("/") else issuer + "/"
        domains = (
            signin.sso_for_issuer(self.db, issuer) or signin.sso_for_issuer(self.db, other)
            if issuer and plain(issuer)
            else []
        )
        if not domains:
            return self._page(
                call,
                "refused.html",
                400,
                title="Unknown identity provider",
                message="This sign-in came from an identity provider no organisation here uses. "
                "Sign in from the calendar's sign-in page instead.",
            )
        named = email_domain(hint) if hint else None
        chosen = [d for d in domains if d.domain_name == named] or domains
        if len({(d.account_id, d.client_id) for d in chosen}) > 1:
            # one issuer for several organisations (Google's): the email tells which
            return self.login_page(call)
        return self._start(call, chosen[0], login_hint=hint or None, target=target)

    def _start(
        self, call: Call, sso: SsoSettings, *, login_hint: str | None, target: str | None
    ) -> Response:
        try:
            client = signin.sso_client(self.db, sso.domain_id, self.site.settings.secret_key)
            url, pending = authorization_request(
                self.issuers,
                client,
                self._base_url(call.request) + CALLBACK_PATH,
                login_hint=login_hint,
                target=target,
            )
        except SignInRefused as refused:
            return self._refused(call, refused, sso.account_id, login_hint or sso.domain_name)
        except ProviderError as unreachable:
            return self._unreachable(
                call, sso.account_id, login_hint or sso.domain_name, unreachable
            )
        response = RedirectResponse(url, status_code=303)
        signed = self.site.signer.sign("oidc", pending.document())
        self.site.set_cookie(
            call.request, response, PENDING_COOKIE, signed, PENDING_SECONDS, path=PENDING_PATH
        )
        return response

    def _unreachable(
        self, call: Call, account_id: str | None, who: str, error: ProviderError
    ) -> Response:
        signin.refused(
            self.db,
            account_id,
            who,
            SignInRefused(Refusal.provider_refused, f"the identity provider failed: {error}"),
            call.actor,
        )
        return self._page(
            call,
            "refused.html",
            502,
            title="Your identity provider did not answer",
            message="The calendar could not reach your organisation's identity provider. "
            "Try again in a minute; if it keeps happening, tell your administrator.",
        )

    # the callback -----------------------------------------------------------------------
    def callback(self, call: Call) -> Response:
        pending = Pending.of(
            self.site.signer.unsign(
                "oidc", call.request.cookies.get(PENDING_COOKIE), PENDING_SECONDS
            )
        )
        if pending is None:
            why = "the browser brought no sign-in request of ours (state)"
            return self._refused(call, SignInRefused(Refusal.bad_request, why), None, "someone")
        who = pending.issuer
        try:
            client = signin.sso_client(self.db, pending.domain_id, self.site.settings.secret_key)
            who = client.domain_name
            self._check_response(call, pending, client.issuer)
            token = redeem(
                self.issuers,
                client,
                pending,
                self._base_url(call.request) + CALLBACK_PATH,
                call.param("code"),
            )
            who = token.email or token.subject
            if _for_admin_pages(pending.target):
                return self._admin_signed_in(call, pending, client.domain_name, token.email)
            identity = signin.Identity(client.issuer, token.subject, token.email)
            session = signin.sign_in(self.db, pending.domain_id, identity, call.actor)
        except SignInRefused as refused:
            return self._refused(call, refused, self._account_of(pending), who)
        except TokenRefused as bad:
            untrusted = SignInRefused(Refusal.bad_token, str(bad))
            return self._refused(call, untrusted, self._account_of(pending), who)
        except ProviderError as unreachable:
            return self._unreachable(call, self._account_of(pending), who, unreachable)
        response = RedirectResponse(pending.target or "/me", status_code=303)
        cookie = self.site.signer.sign("person", session.token)
        lifetime = int(signin.SESSION_LIFETIME.total_seconds())
        self.site.set_cookie(call.request, response, PERSON_COOKIE, cookie, lifetime)
        response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return response

    def _admin_signed_in(
        self, call: Call, pending: Pending, domain_name: str, email: str | None
    ) -> Response:
        """The admin pages asked for this sign-in: an admin session, not a person's."""
        admin = admins.admin_through_sso(self.db, pending.domain_id, email)
        session = sessions.open_session(self.db, admin, f"through {domain_name}'s single sign-on")
        response = RedirectResponse(pending.target or "/", status_code=303)
        cookie = self.site.signer.sign("session", session.token)
        lifetime = int(sessions.SESSION_LIFETIME.total_seconds())
        self.site.set_cookie(call.request, response, SESSION_COOKIE, cookie, lifetime)
        response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return response

    def _check_response(self, call: Call, pending: Pending, issuer: str) -> None:
        """The authorization response belongs to this browser's request and this issuer."""
        if pending.issuer != issuer:
            raise SignInRefused(Refusal.sso_off, "single sign-on changed during the sign-in")
        if not hmac.compare_digest(call.param("state"), pending.state):
            raise SignInRefused(
                Refusal.bad_request, "the answer's state is not this browser's sign-in request"
            )
        sent = call.request.query_params.get("iss")
        if sent is not None and sent != issuer:  # RFC 9207: a mix-up attack
            raise SignInRefused(Refusal.bad_token, f"the answer came from the issuer {sent!r}")
        if sent is None and self.issuers.metadata(issuer).iss_parameter:
            raise SignInRefused(Refusal.bad_token, "the answer lacks the iss its provider sends")
        error = call.param("error")
        if error == "access_denied":
            raise SignInRefused(
                Refusal.not_provisioned,
                f"the identity provider denied access ({call.param('error_description')[:200]})",
            )
        if error:
            raise SignInRefused(
                Refusal.provider_refused, f"the identity provider answered {error[:100]}"
            )
        if not call.param("code"):
            raise SignInRefused(Refusal.bad_request, "the answer carries no code")

    def _account_of(self, pending: Pending) -> str | None:
        return signin.domain_account(self.db, pending.domain_id)

    # the person's page and signing out --------------------------------------------------
    def me(self, call: Call) -> Response:
        if call.person is None:
            return RedirectResponse("/login?" + urlencode({"next": "/me"}), status_code=303)
        user = signin.profile(self.db, call.person)
        clockface = Clockface.of(user.fields.locale, user.fields.timezone)
        emails = [e.value for e in sorted(user.fields.emails, key=lambda e: not e.primary)]
        return self._page(
            call,
            "me.html",
            user=user,
            email=emails[0] if emails else user.fields.user_name,
            clockface=clockface,
            calendars=self._calendars(call.person),
        )

    def _calendars(self, person: Person) -> list[dict[str, str]]:
        """The person's calendars, each with its level and where it comes from, in words."""
        found = access.calendars_of(self.db, person.account_id, person.user_id)
        return [
            {
                "name": c.calendar_name,
                "level_label": label(level_of(c.rank)),
                "source": ", ".join(
                    "given to you" if v.group_id is None else f"group {v.group_name}" for v in c.via
                ),
            }
            for c in found.calendars
        ]

    def logout(self, call: Call) -> Response:
        if call.token is not None:
            signin.sign_out(self.db, call.token, call.actor)
        response = RedirectResponse("/login", status_code=303)
        signed = self.site.signer.sign("flash", {"kind": "success", "text": "You are signed out."})
        self.site.set_cookie(call.request, response, FLASH_COOKIE, signed, 60)
        response.delete_cookie(PERSON_COOKIE, path="/")
        return response

    # Okta Universal Logout --------------------------------------------------------------
    async def universal_logout(self, request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_LOGOUT_BODY:
                return _problem(400, "The request body is too large.")
        return await run_in_threadpool(self._universal_logout, request, body)

    def _universal_logout(self, request: Request, body: bytes) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        issuer = unverified_issuer(token.strip()) if scheme.lower() == "bearer" else None
        if issuer is None or not plain(issuer) or not signin.sso_for_issuer(self.db, issuer):
            return _problem(401, "A JWT signed by a single sign-on issuer is required.")
        audience = self._base_url(request) + LOGOUT_PATH
        try:
            verify_logout_token(self.issuers, issuer, token.strip(), audience)
        except TokenRefused as bad:
            return _problem(401, f"The bearer token was refused: {bad}.")
        except ProviderError as unreachable:
            log.warning("universal logout: cannot check %s: %s", issuer, unreachable)
            return _problem(401, "The issuer's keys could not be fetched to check the token.")
        subject = _subject(body)
        if subject is None:
            return _problem(
                400,
                'The body must be {"sub_id": {"format": "email", "email": ...}} or '
                '{"sub_id": {"format": "iss_sub", "iss": ..., "sub": ...}}.',
            )
        actor = Actor(
            "system",
            "universal-logout",
            user_agent=request.headers.get("user-agent"),
            request_id=request_id_of(request.scope),
        )
        try:
            signin.log_out_everywhere(self.db, issuer, actor=actor, **subject)
        except NotFound:
            return _problem(404, "There is no such person here.")
        except CannotLogOut as error:
            return _problem(422, error.detail)
        return Response(status_code=204)


def _for_admin_pages(target: str | None) -> bool:
    """Whether a sign-in was started for the admin pages (their sign-in page sends its
    `next`, a page of theirs); the people's side lands on /me."""
    return bool(target) and not str(target).startswith(("/me", "/login", "/oidc", "/logout"))


def _subject(body: bytes) -> dict[str, Any] | None:
    """The person a Universal Logout body names, as keyword arguments of log_out_everywhere."""
    try:
        document = from_json(body)
    except ValueError:
        return None
    sub_id = document.get("sub_id") if isinstance(document, dict) else None
    if not isinstance(sub_id, dict):
        return None
    if sub_id.get("format") == "email":
        email = sub_id.get("email")
        if isinstance(email, str) and email_domain(email) is not None and len(email) <= 320:
            return {"email": email.strip()}
    if sub_id.get("format") == "iss_sub":
        iss, sub = sub_id.get("iss"), sub_id.get("sub")
        if isinstance(iss, str) and isinstance(sub, str) and iss and sub and plain(iss + sub):
            return {"subject": (iss, sub)}
    return None


def _problem(status: int, detail: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _sets_cookie(response: Response, name: str) -> bool:
    return any(
        key == b"set-cookie" and value.startswith(name.encode() + b"=")
        for key, value in response.raw_headers
    )
