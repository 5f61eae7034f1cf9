"""Admin use cases: invitations, one-time links, removal, passwords (the person's and the
operator's reset).

A one-time link carries a random token; the database keeps its SHA-256 digest only, and
the link stops working once used, replaced or past LINK_LIFETIME.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from enlist.clock import now
from enlist.domain.admins import (
    LINK_LIFETIME,
    AccountAdmin,
    Role,
    check_email,
    check_password,
    check_removal,
    check_role_change,
    may_manage_admins,
    role_of,
)
from enlist.domain.errors import Conflict, InvalidValue, NotFound, Unauthorized
from enlist.domain.signin import Refusal, SignInRefused, email_domain
from enlist.services.unit import OPERATOR, Actor, writing
from enlist.store.accounts import AccountStore
from enlist.store.admins import AdminStore
from enlist.store.db import Database
from enlist.store.signin import SignInStore, StoredSso

LINK_PATH = "/set-password/"


@dataclass(frozen=True)
class OneTimeLink:
    """A link to choose a password, shown once: `path` is relative to the admin site."""

    admin: AccountAdmin
    token: str
    expires: datetime

    @property
    def path(self) -> str:
        return LINK_PATH + self.token

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_link(store: AdminStore, admin: AccountAdmin) -> OneTimeLink:
    token = secrets.token_urlsafe(32)
    expires = now() + LINK_LIFETIME
    store.set_link(admin.id, _digest(token), expires)
    return OneTimeLink(admin, token, expires)


def _acting(store: AdminStore, account_id: str, actor: Actor) -> AccountAdmin | None:
    """The admin behind `actor` (None for the operator); a stranger is refused."""
    if actor.kind != "admin":
        return None
    found = store.by_email(actor.id)
    if found is None or found.account_id != account_id:
        raise Unauthorized("Only the account's admins can change its admins.")
    return found


def account_admins(db: Database, account_id: str) -> list[AccountAdmin]:
    """The account's admins, oldest first (pending invitations too)."""
    with db.read() as conn:
        if AccountStore(conn).account(account_id) is None:
            raise NotFound(f"There is no account {account_id}.")
        return AdminStore(conn).of_account(account_id)


def admin_by_email(db: Database, email: str) -> AccountAdmin | None:
    with db.read() as conn:
        return AdminStore(conn).by_email(email)


def invite(
    db: Database, account_id: str, email: str, role: str = "admin", *, actor: Actor = OPERATOR
) -> OneTimeLink:
    """Invite someone to run the account with `role`: a one-time link to choose a password.
    Inviting a pending admin again replaces their link (the old one stops working)."""
    email, chosen = check_email(email), role_of(role)
    with writing(db, account_id, actor) as change:
        store = AdminStore(change.conn)
        if AccountStore(change.conn).account(account_id) is None:
            raise NotFound(f"There is no account {account_id}.")
        may_manage_admins(_acting(store, account_id, actor))
        existing = store.by_email(email)
        if existing is not None and (existing.account_id != account_id or not existing.pending):
            raise Conflict(
                f"{email} is already an admin"
                + (
                    " of this account."
                    if existing.account_id == account_id
                    else " of another account."
                )
            )
        if existing is None:
            store.add(account_id, email, chosen.value, invited_by=_by(actor))
        else:
            store.set_role(existing.id, chosen.value)
        admin = store.by_email(email)
        assert admin is not None
        link = _new_link(store, admin)
        change.log(
            "admin.invite",
            f"Invited {email} as {chosen.value}; the link works until "
            f"{link.expires:%Y-%m-%d %H:%M} UTC.",
            resource_type="Admin",
            resource_id=admin.id,
            resource_name=email,
        )
        return link


def _by(actor: Actor) -> str | None:
    return actor.id if actor.kind == "admin" else None


def link_holder(db: Database, token: str) -> AccountAdmin:
    """Whose one-time link this is; NotFound when it is unknown, used or expired."""
    found = None
    if token and len(token) <= 200:
        with db.read() as conn:
            found = AdminStore(conn).by_link(_digest(token))
    if found is None or found.link_expires is None or found.link_expires <= now():
        raise NotFound(
            "This link has expired or was used already. Ask an owner of the account for a new one."
        )
    return found


def use_link(db: Database, token: str, password: str) -> AccountAdmin:
    """Choose a password through a one-time link; the link stops working, and every other
    session of the admin ends."""
    check_password(password)
    holder = link_holder(db, token)
    password_hash = _hasher().hash(password)
    with writing(db, holder.account_id, Actor("admin", holder.email)) as change:
        store = AdminStore(change.conn)
        if not store.use_link(_digest(token), password_hash):  # another request got here first
            raise NotFound("This link was used already.")
        store.end_sessions(holder.id)
        change.log(
            "admin.join" if holder.pending else "admin.password",
            f"{holder.email} accepted the invitation and chose a password."
            if holder.pending
            else f"{holder.email} chose a new password through a reset link.",
            resource_type="Admin",
            resource_id=holder.id,
            resource_name=holder.email,
        )
    return holder


def remove(db: Database, account_id: str, email: str, *, actor: Actor = OPERATOR) -> AccountAdmin:
    """Remove an admin (or withdraw an invitation); their sessions end at once.
    An owner may remove anyone, an admin only themselves; the last owner stays."""
    with writing(db, account_id, actor) as change:
        store = AdminStore(change.conn)
        target = store.by_email(email)
        if target is None or target.account_id != account_id:
            raise NotFound(f"{email.strip()} is not an admin of this account.")
        acting = _acting(store, account_id, actor)
        if acting is None or acting.id != target.id:
            may_manage_admins(acting)
        check_removal(store.of_account(account_id), target)
        store.end_sessions(target.id)
        store.remove(target.id)
        change.log(
            "admin.remove",
            f"Withdrew the invitation of {target.email}."
            if target.pending
            else f"Removed {target.email} ({target.role}); their sessions ended.",
            resource_type="Admin",
            resource_id=target.id,
            resource_name=target.email,
        )
        return target


def set_role(
    db: Database, account_id: str, email: str, role: str, *, actor: Actor = OPERATOR
) -> AccountAdmin:
    """Make an admin an owner or an owner an admin (owners only; the last owner stays)."""
    chosen = role_of(role)
    with writing(db, account_id, actor) as change:
        store = AdminStore(change.conn)
        target = store.by_email(email)
        if target is None or target.account_id != account_id:
            raise NotFound(f"{email.strip()} is not an admin of this account.")
        may_manage_admins(_acting(store, account_id, actor))
        if target.role == chosen.value:
            return target
        check_role_change(store.of_account(account_id), target, chosen)
        store.set_role(target.id, chosen.value)
        change.log(
            "admin.role",
            f"Made {target.email} {'an owner' if chosen is Role.owner else 'an admin'} "
            f"(was {target.role}).",
            resource_type="Admin",
            resource_id=target.id,
            resource_name=target.email,
        )
        changed = store.by_id(target.id)
        assert changed is not None
        return changed


def check_admin_password(db: Database, email: str, password: str) -> AccountAdmin | None:
    """The admin when the email and password match, else None (in about the same time).

    An admin (not an owner) whose email is on a domain with single sign-on signs in
    through it: the right password then gets Unauthorized saying so. Owners keep their
    password as the way in when the identity provider is down (break-glass).
    """
    with db.read() as conn:
        found = AdminStore(conn).password_hash(email)
    hasher = _hasher()
    if found is None or not found[1]:
        hasher.hash(password)  # spend the same time whether or not the admin exists
        return None
    try:
        hasher.verify(found[1], password)
    except (VerificationError, InvalidHashError):
        return None
    admin = found[0]
    if not admin.is_owner and _sso_of(db, admin) is not None:
        raise Unauthorized(
            f"{admin.email} signs in with single sign-on: choose “Sign in with single "
            "sign-on” and use your organization's sign-in. Only owners may use a password "
            "here."
        )
    return admin


def _sso_of(db: Database, admin: AccountAdmin) -> StoredSso | None:
    """The single sign-on of the admin's email domain, when that domain is their account's."""
    named = email_domain(admin.email)
    if named is None:
        return None
    with db.read() as conn:
        sso = SignInStore(conn).sso_of_domain_named(named)
    if sso is None or sso.settings.account_id != admin.account_id:
        return None
    return sso


def admin_through_sso(db: Database, domain_id: str, email: str | None) -> AccountAdmin:
    """The admin a verified ID token from a domain's single sign-on names, or SignInRefused:
    their email must be on a verified domain of the same account whose single sign-on uses
    the same identity provider (the domain the sign-in started from, or another of its)."""
    with db.read() as conn:
        store = SignInStore(conn)
        started = store.sso(domain_id)
        admin = AdminStore(conn).by_email(email) if email else None
        named = email_domain(email) if email else None
        theirs = store.sso_of_domain_named(named) if named else None
    if started is None:
        raise SignInRefused(Refusal.sso_off)
    if (
        admin is None
        or admin.pending
        or admin.account_id != started.settings.account_id
        or theirs is None
        or not theirs.verified
        or (theirs.settings.account_id, theirs.settings.issuer)
        != (started.settings.account_id, started.settings.issuer)
    ):
        raise SignInRefused(
            Refusal.not_admin, f"{email or 'someone without an email'} is not an admin here"
        )
    return admin


def change_password(
    db: Database,
    admin_id: str,
    current: str,
    new: str,
    *,
    keep_session: str | None = None,
    actor: Actor = OPERATOR,
) -> int:
    """The signed-in admin's new password (the current one is required); ends their other
    sessions and says how many."""
    with db.read() as conn:
        admin = AdminStore(conn).by_id(admin_id)
    if admin is None:
        raise NotFound("There is no such admin.")
    if check_admin_password(db, admin.email, current) is None:
        raise InvalidValue("The current password is not right.")
    if new == current:
        raise InvalidValue("The new password is the same as the current one.")
    check_password(new)
    password_hash = _hasher().hash(new)
    with writing(db, admin.account_id, actor) as change:
        store = AdminStore(change.conn)
        store.set_password_hash(admin.id, password_hash)
        ended = store.end_sessions(admin.id, keep=keep_session)
        change.log(
            "admin.password",
            f"{admin.email} changed their password"
            + (f"; {ended} other session{'s' if ended != 1 else ''} ended." if ended else "."),
            resource_type="Admin",
            resource_id=admin.id,
            resource_name=admin.email,
        )
        return ended


def reset_password(db: Database, email: str, password: str | None = None) -> OneTimeLink | None:
    """The operator's reset: set `password`, or (None) make a one-time link to choose one.
    Either way the admin's sessions end, and a set password works at once (the sign-in
    lock of the email is lifted by the caller)."""
    if password is not None:
        check_password(password)
    with db.read() as conn:
        admin = AdminStore(conn).by_email(email)
    if admin is None:
        raise NotFound(f"There is no admin with the email {email.strip()}.")
    password_hash = _hasher().hash(password) if password is not None else None
    with writing(db, admin.account_id, OPERATOR) as change:
        store = AdminStore(change.conn)
        store.end_sessions(admin.id)
        if password_hash is not None:
            store.set_password_hash(admin.id, password_hash)
            return None
        return _new_link(store, admin)
