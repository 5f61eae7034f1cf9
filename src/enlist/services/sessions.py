"""Admin sign-in use cases: sessions, the key that signs their cookie, and attempt limits.

Everything here lives in the database, so any number of worker processes agree on who
is signed in, which key signs the cookie, and how many times an email failed lately.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.domain.admins import AccountAdmin
from enlist.domain.errors import RateLimited, Unauthorized
from enlist.domain.tenancy import AdminSession
from enlist.services import activity, admins, tenancy
from enlist.services.keys import server_key
from enlist.services.unit import Actor, writing
from enlist.store.db import Database
from enlist.store.sessions import SessionStore

SESSION_KEY_NAME = "session"
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class SignInLimit:
    """At most `failures` failed attempts per email per `window`, then the email is locked.

    A client address is never locked out (an office or a VPN puts many admins behind one):
    past `failures` x ADDRESS_FACTOR failures in the window each attempt from it waits,
    1 s, 2 s, 4 s ... up to `slowest`, and a correct password still signs in."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)
    slowest: timedelta = timedelta(seconds=8)

    def delay(self, address_failures: int) -> float:
        """Seconds an attempt from an address with this many recent failures waits."""
        excess = address_failures - self.failures * ADDRESS_FACTOR
        if excess < 0:
            return 0.0
        return min(self.slowest.total_seconds(), 2.0 ** min(excess, 16))


ADDRESS_FACTOR = 4


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


def _minutes(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _slowed(delay: float) -> str:
    if not delay:
        return ""
    return (
        f" Many sign-ins from your network failed lately, so each attempt from it waits "
        f"{delay:g} second{'s' if delay != 1 else ''}; a correct password still signs you in."
    )


def sign_in(
    db: Database,
    email: str,
    password: str,
    client: str | None = None,
    limit: SignInLimit = SignInLimit(),
    *,
    user_agent: str | None = None,
    pause: Callable[[float], None] = time.sleep,
) -> NewSession:
    """Check the admin's email and password and open a session.

    Refuses with RateLimited while the email is locked (it failed `limit.failures` times
    within the window), before the password is even checked, so guessing stops there.
    Attempts from an address that failed often are slowed down (`pause`), never refused.
    Failures and locks go to the activity log of the account whose email was tried.
    """
    email_key, client_key = _keys(email, client)
    moment = now()
    with db.read() as conn:
        store = SessionStore(conn)
        count, oldest = store.failures_since(email_key, moment - limit.window)
        address_count = (
            store.failures_since(client_key, moment - limit.window)[0] if client_key else 0
        )
    if count >= limit.failures:
        wait = (oldest or moment) + limit.window - moment
        raise RateLimited(
            f"Too many failed sign-in attempts for {email.strip()}: it is locked for "
            f"{_minutes(wait)} more, even with the right password. Try again then; "
            "the failed attempts are in your account's activity log.",
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )
    delay = limit.delay(address_count)
    if delay:
        pause(delay)
    admin = admins.check_admin_password(db, email.strip(), password)
    if admin is None:
        with db.write() as conn:
            store = SessionStore(conn)
            store.forget_failures_before(moment - limit.window)
            store.add_failure([k for k in (email_key, client_key) if k], moment)
        failed = count + 1
        _log_failure(db, email.strip(), client, user_agent, failed, limit)
        left = limit.failures - failed
        if left <= 0:
            warning = (
                f" That was attempt {failed} of {limit.failures}, so sign-in for this email "
                f"is locked for {_minutes(limit.window)}."
            )
        elif left == 1:
            warning = (
                " One more failed attempt locks sign-in for this email for "
                f"{_minutes(limit.window)}."
            )
        else:
            warning = ""
        raise Unauthorized(f"The email or password is not right.{warning}{_slowed(delay)}")
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


def _log_failure(
    db: Database,
    email: str,
    client: str | None,
    user_agent: str | None,
    failed: int,
    limit: SignInLimit,
) -> None:
    """Tell the account whose email was tried (nobody, for an email no account has)."""
    account_id = tenancy.find_account(db, email)
    if account_id is None:
        return
    where = f" from {client}" if client else ""

    def entry(action: str, detail: str, status: int) -> Entry:
        return Entry(
            account_id=account_id,
            at=now(),
            actor_type="sign-in",
            actor=client or "",
            action=action,
            outcome="refused",
            detail=detail,
            resource_type="Admin",
            resource_name=email,
            status=status,
            user_agent=user_agent,
        )

    activity.record(
        db,
        entry(
            "admin.sign_in",
            f"Failed sign-in as {email}{where}: wrong password "
            f"(attempt {failed} of {limit.failures} before the email is locked).",
            400,
        ),
    )
    if failed >= limit.failures:
        activity.record(
            db,
            entry(
                "admin.sign_in_lock",
                f"Locked sign-in for {email} for {_minutes(limit.window)} after {failed} failed "
                "attempts; until then even the right password is refused.",
                429,
            ),
        )


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
