"""Admin sign-in use cases: sessions, the key that signs their cookie, and attempt limits.

Everything here lives in the database, so any number of worker processes agree on who
is signed in, which key signs the cookie, and how many times an email failed lately.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from enlist.clock import now
from enlist.domain.admins import AccountAdmin
from enlist.domain.errors import RateLimited, Unauthorized
from enlist.domain.tenancy import AdminSession
from enlist.services import admins
from enlist.services.keys import server_key
from enlist.services.unit import Actor, writing
from enlist.store.db import Database
from enlist.store.sessions import SessionStore

SESSION_KEY_NAME = "session"
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class SignInLimit:
    """At most `failures` failed attempts per email (and 4x that per client) per `window`."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie only; the database keeps its digest
    account_id: str
    email: str
    expires: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_key(db: Database, configured: str = "") -> bytes:
    """The key that signs admin cookies: ENLIST_SESSION_KEY, else one stored in the database
    (made by whichever process needs it first, then read by all the others)."""
    return server_key(db, SESSION_KEY_NAME, configured)


def _keys(email: str, client: str | None) -> tuple[str, str | None]:
    return f"email:{email.strip().lower()}"[:400], (f"ip:{client}"[:400] if client else None)


def _check_limit(
    store: SessionStore, key: str, allowed: int, limit: SignInLimit, moment: datetime
) -> None:
    count, oldest = store.failures_since(key, moment - limit.window)
    if count >= allowed:
        wait = (oldest or moment) + limit.window - moment
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        raise RateLimited(
            "Too many failed sign-in attempts. "
            f"Try again in {minutes} minute{'s' if minutes > 1 else ''}.",
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )


def sign_in(
    db: Database,
    email: str,
    password: str,
    client: str | None = None,
    limit: SignInLimit = SignInLimit(),
) -> NewSession:
    """Check the admin's email and password and open a session.

    Refuses with RateLimited once the email (or the client address) has failed too often
    within the window, before the password is even checked, so guessing stops there.
    """
    email_key, client_key = _keys(email, client)
    moment = now()
    with db.read() as conn:
        store = SessionStore(conn)
        _check_limit(store, email_key, limit.failures, limit, moment)
        if client_key:
            _check_limit(store, client_key, limit.failures * 4, limit, moment)
    admin = admins.check_admin_password(db, email.strip(), password)
    if admin is None:
        with db.write() as conn:
            store = SessionStore(conn)
            store.forget_failures_before(moment - limit.window)
            store.add_failure([k for k in (email_key, client_key) if k], moment)
        raise Unauthorized("The email or password is not right.")
    token = secrets.token_urlsafe(32)
    expires = moment + SESSION_LIFETIME
    with db.write() as conn:
        store = SessionStore(conn)
        store.clear_failures(email_key)
        store.end_expired_sessions(moment)
        store.add_session(_digest(token), admin.account_id, admin.id, moment, expires)
    return NewSession(token=token, account_id=admin.account_id, email=admin.email, expires=expires)


def open_session(db: Database, admin: AccountAdmin, how: str) -> NewSession:
    """A session for an admin who proved who they are another way (single sign-on; `how`
    says which, for the activity log): no password, and no failed attempts to clear."""
    token = secrets.token_urlsafe(32)
    moment = now()
    expires = moment + SESSION_LIFETIME
    with writing(db, admin.account_id, Actor("admin", admin.email)) as change:
        store = SessionStore(change.conn)
        store.end_expired_sessions(moment)
        store.add_session(_digest(token), admin.account_id, admin.id, moment, expires)
        change.log(
            "admin.sign_in",
            f"{admin.email} signed in {how}.",
            resource_type="Admin",
            resource_id=admin.id,
            resource_name=admin.email,
        )
    return NewSession(token=token, account_id=admin.account_id, email=admin.email, expires=expires)


def forget_failed_sign_ins(db: Database, email: str) -> None:
    """Lift an email's sign-in lock (the operator reset its password, e.g. `enlist demo`)."""
    with db.write() as conn:
        SessionStore(conn).clear_failures(_keys(email, None)[0])


def current_session(db: Database, token: str) -> AdminSession | None:
    """Who a session token belongs to, while it has not expired or been signed out."""
    if not token or len(token) > 200:
        return None
    with db.read() as conn:
        return SessionStore(conn).session(_digest(token), now())


def session_digest(token: str) -> str:
    """How the database knows a session (to keep it when the others end)."""
    return _digest(token)


def sign_out(db: Database, token: str) -> None:
    with db.write() as conn:
        SessionStore(conn).end_session(_digest(token))
