"""Sign-in use cases: a domain's single sign-on, who a person is, their sessions and their end.

The OpenID Connect protocol itself (discovery, keys, the code flow, token checks) is the
relying party's, in signin/; what reaches here are claims it has already verified. A person
is never created here: SCIM is the source of truth, and a sign-in only finds the user the
identity provider provisioned (by (issuer, sub) once linked, by email the first time).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.domain.errors import InvalidValue, NotFound
from enlist.domain.events import EventType
from enlist.domain.model import User
from enlist.domain.signin import (
    CannotLogOut,
    Person,
    Refusal,
    SessionReason,
    SignInRefused,
    SsoClient,
    SsoSettings,
    client_id,
    client_secret,
    email_domain,
    issuer_url,
)
from enlist.domain.tenancy import TrustedDomain
from enlist.services import activity
from enlist.services.sealing import seal, unseal
from enlist.services.unit import OPERATOR, Actor, Change, writing
from enlist.store.accounts import AccountStore
from enlist.store.db import Database
from enlist.store.directory import UserStore
from enlist.store.signin import Candidate, SignInStore, StoredSso

SESSION_LIFETIME = timedelta(hours=12)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
SECRET_PURPOSE = "sso client secret"
REASON_WORDS = {
    SessionReason.signed_out: "signed out",
    SessionReason.deactivated: "deactivated by the identity provider",
    SessionReason.deleted: "deleted by the identity provider",
    SessionReason.sso_off: "single sign-on was turned off for their domain",
    SessionReason.sso_changed: "their domain's single sign-on moved to another issuer",
    SessionReason.universal_logout: "the identity provider logged them out everywhere",
}

log = logging.getLogger("enlist.signin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# a domain's single sign-on ---------------------------------------------------------------


def sso_settings(db: Database, domain: TrustedDomain) -> SsoSettings | None:
    """The domain's single sign-on (issuer and client ID; the secret is never read back)."""
    with db.read() as conn:
        found = SignInStore(conn).sso(domain.id)
    return found.settings if found else None


def configure_sso(
    db: Database,
    domain: TrustedDomain,
    issuer: str,
    client: str,
    secret: str | None,
    *,
    secret_key: str,
    actor: Actor = OPERATOR,
) -> SsoSettings:
    """Set up or change a verified domain's single sign-on. `secret` None keeps the stored
    client secret (write-only: it can be replaced, never read). Moving to another issuer
    ends the sessions opened through the old one."""
    if not domain.verified:
        raise InvalidValue(
            f"The domain {domain.name} is not verified yet; verify it before single sign-on."
        )
    issuer, client = issuer_url(issuer), client_id(client)
    sealed = seal(db, secret_key, SECRET_PURPOSE, client_secret(secret)) if secret else None
    with writing(db, domain.account_id, actor) as change:
        store = SignInStore(change.conn)
        before = store.sso(domain.id)
        if before is None and sealed is None:
            raise InvalidValue("Enter the client secret the identity provider gave the app.")
        store.set_sso(domain.id, domain.account_id, issuer, client, sealed, now())
        what = _sso_change(domain.name, before, issuer, client, sealed is not None)
        change.log(
            "domain.sso",
            what,
            resource_type="Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
        if before is not None and before.settings.issuer != issuer:
            _end_domain_sessions(change, domain.id, SessionReason.sso_changed)
        after = store.sso(domain.id)
    assert after is not None
    return after.settings


def _sso_change(
    name: str, before: StoredSso | None, issuer: str, client: str, new_secret: bool
) -> str:
    if before is None:
        return f"Set up single sign-on for {name} through {issuer} (client ID {client})."
    changed = [
        f"{label} {value}"
        for label, old, value in (
            ("issuer", before.settings.issuer, issuer),
            ("client ID", before.settings.client_id, client),
        )
        if old != value
    ]
    if new_secret:
        changed.append("a new client secret")
    if not changed:
        return f"Saved the single sign-on of {name} unchanged."
    return f"Changed the single sign-on of {name}: " + ", ".join(changed) + "."


def turn_off_sso(db: Database, domain: TrustedDomain, *, actor: Actor = OPERATOR) -> bool:
    """Turn the domain's single sign-on off and end every session opened through it; False
    when it was off already."""
    with writing(db, domain.account_id, actor) as change:
        store = SignInStore(change.conn)
        if store.sso(domain.id) is None:
            return False
        ended = _end_domain_sessions(change, domain.id, SessionReason.sso_off)
        store.remove_sso(domain.id)
        change.log(
            "domain.sso",
            f"Turned single sign-on off for {domain.name}"
            + (f"; ended the sessions of {ended} people." if ended else "."),
            resource_type="Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
    return True


def sso_for_email(db: Database, email: str) -> SsoSettings | None:
    """The single sign-on of the verified domain an email is on, if it has one."""
    domain = email_domain(email)
    if domain is None:
        return None
    with db.read() as conn:
        found = SignInStore(conn).sso_of_domain_named(domain)
    return found.settings if found else None


def sso_for_issuer(db: Database, issuer: str) -> list[SsoSettings]:
    """The verified domains whose people sign in through `issuer` (Google's is shared)."""
    with db.read() as conn:
        return [found.settings for found in SignInStore(conn).sso_of_issuer(issuer)]


def sso_client(db: Database, domain_id: str, secret_key: str) -> SsoClient:
    """What the relying party needs for one domain, the client secret decrypted."""
    with db.read() as conn:
        found = SignInStore(conn).sso(domain_id)
    if found is None:
        raise SignInRefused(Refusal.sso_off)
    secret = unseal(db, secret_key, SECRET_PURPOSE, found.sealed_secret)
    if secret is None:
        raise SignInRefused(
            Refusal.sso_off,
            f"the client secret of {found.settings.domain_name} cannot be decrypted (was "
            "ENLIST_SECRET_KEY changed?); enter it again on the domain's page",
        )
    s = found.settings
    return SsoClient(s.domain_id, s.domain_name, s.account_id, s.issuer, s.client_id, secret)


def domain_account(db: Database, domain_id: str) -> str | None:
    """The account a trusted domain belongs to (to log a refused sign-in with it)."""
    with db.read() as conn:
        found = AccountStore(conn).domain_by_id(domain_id)
    return found.account_id if found else None


# signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person (email_verified is never trusted)."""

    issuer: str
    subject: str
    email: str | None


@dataclass(frozen=True)
class NewPersonSession:
    token: str  # goes into the cookie only; the database keeps its digest
    person: Person


def sign_in(db: Database, domain_id: str, identity: Identity, actor: Actor) -> NewPersonSession:
    """Open a session for the provisioned user the identity names, or refuse (SignInRefused,
    nothing written). `actor` says where the request came from; its id becomes the user's."""
    with db.read() as conn:
        sso = SignInStore(conn).sso(domain_id)
    if sso is None:
        raise SignInRefused(Refusal.sso_off)
    with writing(db, sso.settings.account_id, actor) as change:
        store = SignInStore(change.conn)
        sso = store.sso(domain_id)
        if sso is None or sso.settings.issuer != identity.issuer:
            raise SignInRefused(Refusal.sso_off, "single sign-on changed during the sign-in")
        sso = _domain_of_email(store, sso, identity)
        domain_id = sso.settings.domain_id
        if not sso.verified:
            raise SignInRefused(Refusal.domain_unverified)
        if not sso.enterprise:
            raise SignInRefused(Refusal.no_enterprise)
        user = _identify(store, sso.settings, identity)
        change.actor = replace(change.actor, kind="person", id=user.id)
        if user.deleted:
            raise SignInRefused(Refusal.deleted, f"{user.user_name} was deleted by the provider")
        if not user.active:
            raise SignInRefused(Refusal.deactivated, f"{user.user_name} is deactivated")
        moment = now()
        token = secrets.token_urlsafe(32)
        store.end_expired_sessions(moment)
        store.add_session(
            _digest(token),
            sso.settings.account_id,
            user.pk,
            domain_id,
            moment,
            moment + SESSION_LIFETIME,
        )
        store.signed_in(sso.settings.account_id, identity.issuer, identity.subject, moment)
        change.log(
            "person.sign_in",
            f"{user.user_name} signed in through {sso.settings.domain_name}'s single sign-on.",
            resource_type="User",
            resource_id=user.id,
            resource_name=user.user_name,
        )
        person = Person(
            user.id,
            user.pk,
            sso.settings.account_id,
            domain_id,
            user.user_name,
            moment,
            moment + SESSION_LIFETIME,
        )
    return NewPersonSession(token, person)


def _domain_of_email(store: SignInStore, sso: StoredSso, identity: Identity) -> StoredSso:
    """The domain a person signs in through: the one their email is on when it is another
    domain of the same account with the same issuer (one Okta app for acme.com and
    acme.co.uk, entered from its tile), else the one the sign-in started from."""
    named = email_domain(identity.email) if identity.email else None
    if named is None or named == sso.settings.domain_name:
        return sso
    other = store.sso_of_domain_named(named)
    same = other is not None and (other.settings.account_id, other.settings.issuer) == (
        sso.settings.account_id,
        identity.issuer,
    )
    return other if other is not None and same else sso


def _identify(store: SignInStore, sso: SsoSettings, identity: Identity) -> Candidate:
    """The user an identity is: by (issuer, sub) once linked, else linked now by email."""
    account_id = sso.account_id
    email = identity.email.strip() if identity.email else None
    linked = store.identity(account_id, identity.issuer, identity.subject)
    if linked is not None:
        user = store.user(account_id, linked)
        assert user is not None  # identities go with their user (ON DELETE CASCADE)
        if email and user.pk not in {c.pk for c in store.users_with_email(account_id, email)}:
            raise SignInRefused(
                Refusal.email_mismatch,
                f"the provider's account {identity.subject} is linked to {user.user_name} "
                f"but now has the email {email}",
            )
        return user
    if not email:
        raise SignInRefused(Refusal.not_provisioned, "the ID token carries no email")
    if email_domain(email) != sso.domain_name:
        raise SignInRefused(
            Refusal.not_provisioned, f"{email} is not on {sso.domain_name}, the domain signed in"
        )
    candidates = store.users_with_email(account_id, email)
    live = [c for c in candidates if not c.deleted]
    if not live:
        if candidates:
            raise SignInRefused(Refusal.deleted, f"{email} was deleted by the provider")
        raise SignInRefused(Refusal.not_provisioned, f"no user {email} was provisioned")
    if len(live) > 1:
        raise SignInRefused(Refusal.ambiguous, f"{len(live)} users have the email {email}")
    user = live[0]
    other = store.subject_of(user.pk, identity.issuer)
    if other is not None:
        raise SignInRefused(
            Refusal.linked_elsewhere,
            f"{user.user_name} is linked to another account ({other}) at {identity.issuer}",
        )
    store.link(account_id, identity.issuer, identity.subject, user.pk, now())
    return user


def refused(
    db: Database,
    account_id: str | None,
    who: str,
    error: SignInRefused,
    actor: Actor,
) -> None:
    """Put a refused sign-in in the account's activity log (its own transaction: the
    refused change rolled back), with the reason in words."""
    detail = f"Refused to sign in {who}: {error.why}."
    if account_id is None:  # nothing trusted names an account: the server's log only
        log.info("%s", detail)
        return
    activity.record(
        db,
        Entry(
            account_id=account_id,
            at=now(),
            actor_type="person",
            actor=actor.id[:320],
            action="person.sign_in",
            outcome="refused",
            detail=detail,
            resource_type="User",
            resource_name=who[:320],
            status=403,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        ),
    )


# sessions -------------------------------------------------------------------------------


def current_person(db: Database, token: str) -> Person | None:
    """Who a session token belongs to, while the session and the person may still be used."""
    if not token or len(token) > 200:
        return None
    digest, moment = _digest(token), now()
    with db.read() as conn:
        found = SignInStore(conn).person(digest, moment)
    if found is None:
        return None
    person, last_seen = found
    if moment - last_seen > LAST_SEEN_RESOLUTION:
        with db.write() as conn:
            SignInStore(conn).touch_session(digest, moment, LAST_SEEN_RESOLUTION)
    return person


def sign_out(db: Database, token: str, actor: Actor) -> None:
    """End one session (the person pressed Sign out)."""
    digest = _digest(token)
    with db.read() as conn:
        owner = SignInStore(conn).session_owner(digest)
    if owner is None:
        return
    account_id, user_pk = owner
    with writing(db, account_id, actor) as change:
        store = SignInStore(change.conn)
        if store.end_session(digest):
            _ended(change, store, user_pk, 1, SessionReason.signed_out)


def end_sessions(change: Change, user_pk: int, reason: SessionReason) -> int:
    """End every session of a person inside `change` (deactivation, deletion, a logout), with
    its activity entry and `sessions.ended` event; how many there were."""
    store = SignInStore(change.conn)
    ended = store.end_sessions_of(change.account_id, user_pk)
    if ended:
        _ended(change, store, user_pk, ended, reason)
    return ended


def end_domain_sessions(change: Change, domain_id: str) -> int:
    """End the sessions opened through a domain whose single sign-on goes (the domain is
    removed); how many people had some."""
    return _end_domain_sessions(change, domain_id, SessionReason.sso_off)


def _end_domain_sessions(change: Change, domain_id: str, reason: SessionReason) -> int:
    """End the sessions opened through a domain; how many people had some."""
    store = SignInStore(change.conn)
    counts = store.session_counts_of_domain(change.account_id, domain_id)
    store.end_sessions_of_domain(change.account_id, domain_id)
    for user_pk, count in counts.items():
        _ended(change, store, user_pk, count, reason)
    return len(counts)


def _ended(
    change: Change, store: SignInStore, user_pk: int, count: int, reason: SessionReason
) -> None:
    user = store.user(change.account_id, user_pk)
    assert user is not None
    sessions = f"{count} session{'s' if count != 1 else ''}"
    change.log(
        "person.sessions_end",
        f"Ended {sessions} of {user.user_name}: {REASON_WORDS[reason]}.",
        resource_type="User",
        resource_id=user.id,
        resource_name=user.user_name,
    )
    change.emit(
        EventType.sessions_ended,
        {"id": user.id, "userName": user.user_name, "reason": reason.value, "sessions": count},
    )


# Okta Universal Logout ------------------------------------------------------------------


def log_out_everywhere(
    db: Database,
    issuer: str,
    *,
    email: str | None = None,
    subject: tuple[str, str] | None = None,
    actor: Actor,
) -> int:
    """End every session of the person an identity provider names, by email or by its
    (iss, sub), among the domains that sign in through `issuer`; how many sessions ended.
    NotFound when nobody is; CannotLogOut when an email names several people."""
    domains = sso_for_issuer(db, issuer)
    found: list[tuple[str, Candidate]] = []
    with db.read() as conn:
        store = SignInStore(conn)
        if email is not None:
            named = email_domain(email)
            for sso in (d for d in domains if d.domain_name == named):
                people = store.users_with_email(sso.account_id, email)
                if len(people) > 1:
                    raise CannotLogOut(
                        f"{len(people)} people have the email {email}; nobody was logged out."
                    )
                found += [(sso.account_id, person) for person in people]
        elif subject is not None:
            for account_id in dict.fromkeys(d.account_id for d in domains):
                user_pk = store.identity(account_id, *subject)
                user = store.user(account_id, user_pk) if user_pk is not None else None
                if user is not None:
                    found.append((account_id, user))
    if not found:
        raise NotFound("There is no such person here.")
    ended = 0
    for account_id, person in found:
        with writing(db, account_id, actor) as change:
            ended += end_sessions(change, person.pk, SessionReason.universal_logout)
    return ended


# the person's own page -------------------------------------------------------------------


def profile(db: Database, person: Person) -> User:
    """The signed-in person as provisioned."""
    with db.read() as conn:
        user = UserStore(conn, person.account_id).get(person.user_id, with_groups=False)
    if user is None:
        raise NotFound("There is no such person here.")
    return user
