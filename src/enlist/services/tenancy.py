"""Account-side use cases: accounts, calendars, organizations, trusted domains, SCIM secrets."""

from __future__ import annotations

import hmac
import math
import re
import secrets as random_secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from enlist.clock import now
from enlist.domain.admins import Role
from enlist.domain.errors import Conflict, InvalidValue, NotFound, Unauthorized
from enlist.domain.events import EventType
from enlist.domain.model import Plan, Tenant
from enlist.domain.providers import LABELS, Provider
from enlist.domain.tenancy import Account, Calendar, Organization, ScimSecret, TrustedDomain
from enlist.services import admins
from enlist.services.keys import server_key
from enlist.services.unit import OPERATOR, Actor, Change, writing
from enlist.store.accounts import AccountStore
from enlist.store.admins import AdminStore
from enlist.store.db import Database
from enlist.store.events import EventStore

TXT_PREFIX = "enlist-domain-verification="
SECRET_PREFIX = "enl_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")

TxtLookup = Callable[[str], list[str]]


def _hasher() -> PasswordHasher:
    return PasswordHasher()


def create_account(db: Database, name: str, email: str, password: str | None = None) -> str:
    """A new account whose first admin (its owner) is `email`."""
    name, email = name.strip(), email.strip()
    if not name:
        raise InvalidValue("An account needs a name.")
    if "@" not in email:
        raise InvalidValue(f"{email!r} is not an email address.")
    password_hash = _hasher().hash(password) if password else None
    with db.write() as conn:
        store = AccountStore(conn)
        if store.account_by_email(email) or AdminStore(conn).by_email(email):
            raise Conflict(f"An account with the admin email {email} already exists.")
        account_id = store.add_account(name, email)
        AdminStore(conn).add(account_id, email, Role.owner.value, password_hash=password_hash)
        EventStore(conn).start_account(account_id)
        return account_id


def accounts(db: Database) -> list[Account]:
    """Every account, oldest first (the operator's view)."""
    with db.read() as conn:
        return AccountStore(conn).accounts()


def account_of(db: Database, account_id: str) -> Account:
    with db.read() as conn:
        found = AccountStore(conn).account(account_id)
    if found is None:
        raise NotFound(f"There is no account {account_id}.")
    return Account(found["id"], found["name"], found["email"])


def find_account(db: Database, email: str) -> str | None:
    """The id of the account whose admin signs in with this email, if there is one."""
    with db.read() as conn:
        admin = AdminStore(conn).by_email(email.strip())
    return admin.account_id if admin else None


def check_password(db: Database, email: str, password: str) -> str | None:
    """The account id when an admin's email and password match, else None."""
    admin = admins.check_admin_password(db, email.strip(), password)
    return admin.account_id if admin else None


def require_account(conn: Connection, account_id: str) -> None:
    """Refuse a change to an account that does not exist (NotFound, in plain words)."""
    if AccountStore(conn).account(account_id) is None:
        raise NotFound(f"There is no account {account_id}.")


def create_calendar(
    db: Database, account_id: str, name: str, plan: str, *, actor: Actor = OPERATOR
) -> str:
    try:
        chosen = Plan(plan.lower())
    except ValueError:
        raise InvalidValue(
            f"{plan!r} is not a plan; choose one of {', '.join(p.value for p in Plan)}."
        ) from None
    if not name.strip():
        raise InvalidValue("A calendar needs a name.")
    name = name.strip()
    with writing(db, account_id, actor) as change:
        store = AccountStore(change.conn)
        require_account(store.conn, account_id)
        calendar_id = store.add_calendar(account_id, name, chosen)
        change.log(
            "calendar.create",
            f"Added calendar {name} on the {chosen.value} plan.",
            resource_type="Calendar",
            resource_id=calendar_id,
            resource_name=name,
        )
        return calendar_id


def organization_name(store: AccountStore, account_id: str, name: str, keep: str = "") -> str:
    """`name` stripped, refused when empty or when another organization of the account (not
    `keep`) already has it, whatever the case: the domain form must tell them apart."""
    name = name.strip()
    if not name:
        raise InvalidValue("An organization needs a name.")
    if len(name) > 200:
        raise InvalidValue("An organization's name can be at most 200 characters.")
    for other in store.organizations(account_id):
        if other.id != keep and other.name.casefold() == name.casefold():
            raise Conflict(
                f"There is already an organization named {other.name} in this account; "
                "choose another name."
            )
    return name


def create_organization(
    db: Database, account_id: str, name: str, *, actor: Actor = OPERATOR
) -> str:
    if not name.strip():
        raise InvalidValue("An organization needs a name.")
    with writing(db, account_id, actor) as change:
        store = AccountStore(change.conn)
        require_account(store.conn, account_id)
        name = organization_name(store, account_id, name)
        try:
            with change.conn.begin_nested():  # the unique index decides a race of two adds
                organization_id = store.add_organization(account_id, name)
        except IntegrityError:
            raise Conflict(
                f"There is already an organization named {name} in this account; "
                "choose another name."
            ) from None
        change.log(
            "organization.create",
            f"Added organization {name}.",
            resource_type="Organization",
            resource_id=organization_id,
            resource_name=name,
        )
        return organization_id


def normalize_domain(name: str) -> str:
    domain = name.strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidValue(f"{name!r} is not a domain name.") from None
    if not _DOMAIN_RE.match(domain):
        raise InvalidValue(f"{name!r} is not a domain name such as example.com.")
    return domain


def txt_record(domain: TrustedDomain) -> str:
    return f"{TXT_PREFIX}{domain.txt_token}"


def _verified_elsewhere(store: AccountStore, name: str, account_id: str) -> bool:
    return any(d.verified and d.account_id != account_id for d in store.domains_named(name))


def _domain_verified(change: Change, domain: TrustedDomain, how: str) -> None:
    change.log(
        "domain.verify",
        f"Verified {domain.name}: {how}.",
        resource_type="Domain",
        resource_id=domain.id,
        resource_name=domain.name,
    )
    change.emit(EventType.domain_verified, {"id": domain.id, "name": domain.name})


def add_domain(
    db: Database,
    account_id: str,
    name: str,
    *,
    verified: bool = False,
    actor: Actor = OPERATOR,
) -> TrustedDomain:
    """Add a trusted domain to prove by DNS; `verified` is the operator's override."""
    domain = normalize_domain(name)
    with writing(db, account_id, actor) as change:
        store = AccountStore(change.conn)
        require_account(store.conn, account_id)
        if verified and _verified_elsewhere(store, domain, account_id):
            raise Conflict(f"The domain {domain} is already verified by another account.")
        existing = [d for d in store.domains_named(domain) if d.account_id == account_id]
        if existing and verified and not existing[0].verified:
            store.set_domain_verified(existing[0].id)  # the operator's override on a pending domain
            found = store.domain_by_id(existing[0].id)
            assert found is not None
            _domain_verified(change, found, "the operator marked it verified")
            return found
        if existing:
            raise Conflict(f"The domain {domain} is already on this account.")
        try:
            with change.conn.begin_nested():
                added = store.add_domain(account_id, domain, random_secrets.token_hex(16), verified)
        except IntegrityError:
            raise Conflict(f"The domain {domain} is already on this account.") from None
        change.log(
            "domain.add",
            f"Added the trusted domain {added.name}"
            + (" (verified by the operator)." if verified else " (not verified yet)."),
            resource_type="Domain",
            resource_id=added.id,
            resource_name=added.name,
        )
        if verified:
            change.emit(EventType.domain_verified, {"id": added.id, "name": added.name})
        return added


def domain_for(db: Database, name: str, account_id: str | None = None) -> TrustedDomain:
    """One domain by name: the account's own, else the verified one, else the only one."""
    domain = normalize_domain(name)
    with db.read() as conn:
        found = AccountStore(conn).domains_named(domain)
    if account_id is not None:
        found = [d for d in found if d.account_id == account_id]
    if not found:
        raise NotFound(f"There is no trusted domain {domain}.")
    verified = [d for d in found if d.verified]
    if verified:
        return verified[0]
    if len(found) > 1:
        raise InvalidValue(f"Several accounts added {domain}; name the account.")
    return found[0]


def verify_domain(
    db: Database,
    name: str,
    lookup: TxtLookup,
    account_id: str | None = None,
    *,
    actor: Actor = OPERATOR,
) -> TrustedDomain:
    """Look for the domain's TXT record; mark it verified when the token is published.

    Raises InvalidValue with what was found when the record is missing or wrong.
    """
    domain = normalize_domain(name)
    with db.read() as conn:
        candidates = [
            d
            for d in AccountStore(conn).domains_named(domain)
            if account_id is None or d.account_id == account_id
        ]
    if not candidates:
        raise NotFound(f"There is no trusted domain {domain}.")
    already = [d for d in candidates if d.verified]
    if already:
        return already[0]
    records = lookup(domain)
    published = {r.strip().strip('"') for r in records}
    for candidate in candidates:
        if txt_record(candidate) in published:
            with writing(db, candidate.account_id, actor) as change:
                store = AccountStore(change.conn)
                if _verified_elsewhere(store, domain, candidate.account_id):
                    raise Conflict(f"The domain {domain} is already verified by another account.")
                store.set_domain_verified(candidate.id)
                found = store.domain_by_id(candidate.id)
                assert found is not None
                _domain_verified(change, found, "its DNS TXT record was found")
                return found
    ours = [r for r in published if r.startswith(TXT_PREFIX)]
    if not records:
        raise InvalidValue(
            f"No TXT record was found on {domain}. Publish the TXT record "
            f"{txt_record(candidates[0])} on {domain} and try again "
            "(DNS changes can take a few minutes)."
        )
    if ours:
        raise InvalidValue(
            f"The TXT record on {domain} ({', '.join(sorted(ours))}) does not match the expected "
            f"{txt_record(candidates[0])}."
        )
    raise InvalidValue(
        f"{domain} has TXT records, but none is {txt_record(candidates[0])}. "
        "Publish it and try again."
    )


def link_domain(
    db: Database, name: str, organization_id: str, *, actor: Actor = OPERATOR
) -> TrustedDomain:
    with db.read() as conn:
        organization = AccountStore(conn).organization(organization_id)
    if organization is None:
        raise NotFound(f"There is no organization {organization_id}.")
    domain = normalize_domain(name)
    with writing(db, organization.account_id, actor) as change:
        store = AccountStore(change.conn)
        mine = [d for d in store.domains_named(domain) if d.account_id == organization.account_id]
        if not mine:
            raise NotFound(f"The organization's account has no trusted domain {domain}.")
        store.link_domain(mine[0].id, organization_id)
        found = store.domain_by_id(mine[0].id)
        assert found is not None
        change.log(
            "domain.link",
            f"Linked {found.name} to the organization {organization.name}; "
            "groups provisioned through it land there.",
            resource_type="Domain",
            resource_id=found.id,
            resource_name=found.name,
        )
        return found


# secrets ---------------------------------------------------------------------------


SECRET_DIGEST_KEY = "secret-digest"


def digest(db: Database, token: str, secret_key: str) -> str:
    """HMAC-SHA256 of a secret under the server key: `secret_key` (the configured
    ENLIST_SECRET_KEY) when set, else the one kept in the database. A stolen table of
    digests cannot be checked against guesses without the key."""
    key = server_key(db, SECRET_DIGEST_KEY, secret_key)
    return hmac.digest(key, token.encode("utf-8"), "sha256").hex()  # one-shot: OpenSSL's


EXPIRY_WARNING = timedelta(days=14)


@dataclass(frozen=True)
class NewSecret:
    id: str
    secret: str
    domain: str
    expires_at: datetime | None = None


def expiry_warning(expires_at: datetime | None, moment: datetime | None = None) -> str | None:
    """A plain-language warning when a secret expires within EXPIRY_WARNING (or has expired)."""
    if expires_at is None:
        return None
    left = expires_at - (moment or now())
    if left <= timedelta(0):
        return (
            f"Expired on {expires_at:%Y-%m-%d %H:%M} UTC: "
            "create a new secret and paste it into your identity provider."
        )
    if left <= EXPIRY_WARNING:
        days = max(1, math.ceil(left / timedelta(days=1)))
        return (
            f"Expires in {days} day{'s' if days != 1 else ''} ({expires_at:%Y-%m-%d}): "
            "rotate it now to avoid a provisioning outage."
        )
    return None


def create_secret(
    db: Database,
    domain_name: str,
    account_id: str | None = None,
    *,
    secret_key: str,
    expires_in_days: int | None = None,
    label: str = "",
    actor: Actor = OPERATOR,
) -> NewSecret:
    """A fresh secret for a verified domain, digested under `secret_key` (see `digest`);
    the plain value exists only in the return value. `label` is the admin's name for it
    ("Okta production"); the admin who made it is kept with it."""
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise InvalidValue("A secret's lifetime must be between 1 and 3650 days.")
    label = " ".join(label.split())
    if len(label) > 100:
        raise InvalidValue("A secret's label may have at most 100 characters.")
    expires_at = now() + timedelta(days=expires_in_days) if expires_in_days else None
    domain = domain_for(db, domain_name, account_id)
    if not domain.verified:
        raise InvalidValue(
            f"The domain {domain.name} is not verified yet; "
            "publish its TXT record and verify it first."
        )
    token = SECRET_PREFIX + random_secrets.token_urlsafe(32)  # 256 bits
    hashed = digest(db, token, secret_key)  # before the write: the key may need a write of its own
    hint = token[:8] + "…"
    with writing(db, domain.account_id, actor) as change:
        secret_id = AccountStore(change.conn).add_secret(
            domain.account_id,
            domain.id,
            hashed,
            hint,
            expires_at,
            label=label or None,
            created_by=actor.id if actor.kind == "admin" else None,
        )
        named = f" “{label}”" if label else ""
        change.log(
            "secret.create",
            f"Created the SCIM secret {hint}{named} for {domain.name}"
            + (f", expiring on {expires_at:%Y-%m-%d}." if expires_at else "."),
            resource_type="Secret",
            resource_id=secret_id,
            resource_name=domain.name,
        )
        change.emit(
            EventType.secret_created,
            {
                "id": secret_id,
                "domain": domain.name,
                "hint": hint,
                "label": label or None,
                "expires": expires_at.isoformat() if expires_at else None,
            },
        )
    return NewSecret(id=secret_id, secret=token, domain=domain.name, expires_at=expires_at)


def revoke_secret(
    db: Database, secret_id: str, account_id: str | None = None, *, actor: Actor = OPERATOR
) -> None:
    with db.read() as conn:
        found = AccountStore(conn).secret(secret_id)
    if found is None or (account_id is not None and found["account_id"] != account_id):
        raise NotFound(f"There is no SCIM secret {secret_id}.")
    with writing(db, found["account_id"], actor) as change:
        store = AccountStore(change.conn)
        domain = store.domain_by_id(found["domain_id"])
        name = domain.name if domain else found["domain_id"]
        if not store.revoke_secret(secret_id):
            return  # revoked already: nothing changes, nothing to announce
        change.log(
            "secret.revoke",
            f"Revoked the SCIM secret {found['hint']} of {name}; requests using it now get 401.",
            resource_type="Secret",
            resource_id=secret_id,
            resource_name=name,
        )
        change.emit(EventType.secret_revoked, {"id": secret_id, "domain": name})


def authenticate(db: Database, token: str, secret_key: str) -> Tenant:
    """The tenant a bearer secret acts for; Unauthorized for anything else (also for a
    secret digested under another key than `secret_key`)."""
    token = token.strip()
    if not token.startswith(SECRET_PREFIX) or len(token) > 200:
        raise Unauthorized("The bearer token is not a valid Enlist SCIM secret.")
    wanted = digest(db, token, secret_key)
    with db.read() as conn:
        # The generation first: a tenant read after it is remembered under it, and any
        # change committed since (revocation, plan, link, verification) moves it on.
        generation = db.tenants.check(conn)
        found: tuple[Tenant, str, datetime | None, datetime | None] | None
        found = db.tenants.get(wanted)
        if found is None:
            found = AccountStore(conn).tenant_for_digest(wanted)
            if found is not None:
                db.tenants.remember(wanted, found, generation)
    if found is None or not hmac.compare_digest(found[1], wanted):
        raise Unauthorized("The bearer token is unknown or has been revoked.")
    tenant, _, last_used, expires_at = found
    moment = now()
    if expires_at is not None and expires_at <= moment:
        raise Unauthorized(
            f"This SCIM secret expired on {expires_at:%Y-%m-%d %H:%M} UTC; create a new one for "
            f"{tenant.domain_name} and paste it into your identity provider."
        )
    if last_used is None or moment - last_used > LAST_USED_RESOLUTION:
        with db.write() as conn:
            AccountStore(conn).touch_secret(tenant.secret_id, moment, LAST_USED_RESOLUTION)
        db.tenants.remember(wanted, (tenant, found[1], moment, expires_at), generation)
    return tenant


def remembered(db: Database, token: str, secret_key: str) -> Tenant | None:
    """The tenant of a secret this process knows already, when `authenticate` would have
    nothing to read or write for it: the secret has not expired and its `last used` is
    recent. It holds while the tenancy generation is the one the cache holds: the caller
    must read the generation with its data and compare (scim/point.py). None for anything
    else: `authenticate` then does it all (reads, refuses, records the use)."""
    token = token.strip()
    if not token.startswith(SECRET_PREFIX) or len(token) > 200:
        return None
    wanted = digest(db, token, secret_key)
    found: tuple[Tenant, str, datetime | None, datetime | None] | None = db.tenants.get(wanted)
    if found is None or not hmac.compare_digest(found[1], wanted):
        return None
    tenant, _, last_used, expires_at = found
    moment = now()
    if expires_at is not None and expires_at <= moment:
        return None
    if last_used is None or moment - last_used > LAST_USED_RESOLUTION:
        return None
    return tenant


def set_password(db: Database, account_id: str, password: str) -> None:
    """Give the account's owner (the one with the account's email, else the oldest) a new
    password; the old one stops working."""
    password_hash = _hasher().hash(password)  # before the write: hashing takes a while
    with db.write() as conn:
        account = AccountStore(conn).account(account_id)
        owner = AdminStore(conn).first_owner(account_id, account["email"]) if account else None
        if owner is None:
            raise NotFound(f"There is no account {account_id}.")
        AdminStore(conn).set_password_hash(owner.id, password_hash)


# account-scoped reads and edits for the admin pages ------------------------------------


@dataclass(frozen=True)
class SecretUse:
    """A secret as the activity log names it: its hint and the domain it belongs to."""

    id: str
    hint: str
    domain: str


def calendars(db: Database, account_id: str) -> list[Calendar]:
    with db.read() as conn:
        return AccountStore(conn).calendars(account_id)


def has_enterprise_calendar(db: Database, account_id: str) -> bool:
    return any(c.plan == Plan.enterprise.value for c in calendars(db, account_id))


def organizations(db: Database, account_id: str) -> list[Organization]:
    with db.read() as conn:
        return AccountStore(conn).organizations(account_id)


def account_organization(db: Database, account_id: str, organization_id: str) -> Organization:
    """One of the account's organizations; another account's id is NotFound, like no id."""
    for organization in organizations(db, account_id):
        if organization.id == organization_id:
            return organization
    raise NotFound(f"There is no organization {organization_id}.")


def domains(db: Database, account_id: str) -> list[TrustedDomain]:
    with db.read() as conn:
        return AccountStore(conn).domains(account_id)


def account_domain(db: Database, account_id: str, domain_id: str) -> TrustedDomain:
    """One of the account's trusted domains; another account's id is NotFound, like no id."""
    with db.read() as conn:
        found = AccountStore(conn).domain_by_id(domain_id)
    if found is None or found.account_id != account_id:
        raise NotFound(f"There is no trusted domain {domain_id}.")
    return found


def domain_secrets(db: Database, account_id: str, domain_id: str) -> list[ScimSecret]:
    """The domain's secrets, newest first (revoked ones too, with when)."""
    domain = account_domain(db, account_id, domain_id)
    with db.read() as conn:
        return AccountStore(conn).secrets_for_domain(domain.id)


def account_secrets(db: Database, account_id: str) -> dict[str, SecretUse]:
    """Every secret of the account by id, to name the actor of SCIM activity."""
    found: dict[str, SecretUse] = {}
    with db.read() as conn:
        store = AccountStore(conn)
        for domain in store.domains(account_id):
            for secret in store.secrets_for_domain(domain.id):
                found[secret.id] = SecretUse(secret.id, secret.hint, domain.name)
    return found


def link_account_domain(
    db: Database,
    account_id: str,
    domain_id: str,
    organization_id: str,
    *,
    actor: Actor = OPERATOR,
) -> TrustedDomain:
    """Link one of the account's domains to one of its organizations (others' ids: NotFound)."""
    domain = account_domain(db, account_id, domain_id)
    account_organization(db, account_id, organization_id)
    return link_domain(db, domain.name, organization_id, actor=actor)


# the account's identity provider (wording only) ----------------------------------------


def _provider(name: str) -> Provider:
    try:
        return Provider(name.strip().lower())
    except ValueError:
        raise InvalidValue(
            f"{name!r} is not an identity provider Enlist knows; choose one of "
            f"{', '.join(p.value for p in Provider)}."
        ) from None


def account_provider(db: Database, account_id: str) -> Provider:
    """The identity provider the account set up (Okta unless told otherwise)."""
    with db.read() as conn:
        account = AccountStore(conn).account(account_id)
    if account is None:
        raise NotFound(f"There is no account {account_id}.")
    try:
        return Provider(account["provider"])
    except ValueError:  # a name a later version knows: the neutral wording
        return Provider.generic


def set_account_provider(
    db: Database, account_id: str, provider: str, *, actor: Actor = OPERATOR
) -> Provider:
    """Name the account's identity provider; only setup instructions and wording follow it."""
    chosen = _provider(provider)
    before = account_provider(db, account_id)
    with writing(db, account_id, actor) as change:
        if not AccountStore(change.conn).set_provider(account_id, chosen.value):
            raise NotFound(f"There is no account {account_id}.")
        change.log(
            "account.provider",
            f"Set the identity provider to {LABELS[chosen]} (was "
            f"{LABELS[before]}); the setup instructions now speak to it.",
            resource_type="Account",
            resource_id=account_id,
            resource_name=LABELS[chosen],
        )
    return chosen
