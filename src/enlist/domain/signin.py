"""The rules of single sign-on: which issuers are allowed, who a person is, why one is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from enlist.domain.errors import EnlistError, InvalidValue

MAX_ISSUER_LENGTH = 500
MAX_CLIENT_ID_LENGTH = 255
MAX_CLIENT_SECRET_LENGTH = 1000


def issuer_url(text: str) -> str:
    """An issuer as stored: `https://` (loopback may be `http://`, for local testing), no query
    or fragment; exactly as the provider writes it, since ID tokens must name it so."""
    issuer = text.strip()  # kept as the provider names it: JumpCloud's ends with a slash
    if not issuer:
        raise InvalidValue("Enter the issuer, e.g. https://acme.okta.com.")
    if len(issuer) > MAX_ISSUER_LENGTH:
        raise InvalidValue(f"The issuer is longer than {MAX_ISSUER_LENGTH} characters.")
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        raise InvalidValue(f"{issuer!r} is not a URL such as https://acme.okta.com.") from None
    host = (parts.hostname or "").lower()
    loopback = host in ("127.0.0.1", "localhost", "::1")
    if parts.scheme == "http" and loopback and port:
        pass  # a provider on this machine, for local testing
    elif parts.scheme != "https" or not host:
        raise InvalidValue(
            f"The issuer {issuer!r} must start with https:// (http:// is accepted only for "
            "127.0.0.1 or localhost with a port, for local testing)."
        )
    if not plain(issuer) or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidValue(f"The issuer {issuer!r} must be a plain URL, without ?, # or a user.")
    return issuer


def client_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise InvalidValue("Enter the client ID the identity provider gave the app.")
    if not plain(value, MAX_CLIENT_ID_LENGTH) or any(c.isspace() for c in value):
        raise InvalidValue("The client ID must be one word of at most 255 characters.")
    return value


def client_secret(text: str) -> str:
    value = text.strip()
    if not value:
        raise InvalidValue("Enter the client secret the identity provider gave the app.")
    if len(value) > MAX_CLIENT_SECRET_LENGTH:
        raise InvalidValue(
            f"The client secret is longer than {MAX_CLIENT_SECRET_LENGTH} characters."
        )
    return value


def plain(text: str, limit: int = 500) -> bool:
    """Text that may be looked up: short, without control characters (PostgreSQL refuses NUL)."""
    return len(text) <= limit and not any(ord(c) < 0x20 for c in text)


def email_domain(email: str) -> str | None:
    """The lower-cased domain of an address, or None when it is not one."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in email.strip()):
        return None
    if not plain(email, 320):
        return None
    return domain.lower().rstrip(".")


def safe_path(target: str | None) -> str | None:
    """`target` when it is a path of this site (never //host, a scheme or a backslash)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 for c in target) or len(target) > 2000:
        return None
    return target


@dataclass(frozen=True)
class SsoSettings:
    """A trusted domain's single sign-on, as it may be shown again (never the secret)."""

    domain_id: str
    domain_name: str
    account_id: str
    issuer: str
    client_id: str
    updated: datetime


@dataclass(frozen=True)
class SsoClient:
    """What the relying party needs to sign a person in through one domain's provider."""

    domain_id: str
    domain_name: str
    account_id: str
    issuer: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Person:
    """A signed-in person, as a session row and their user row say."""

    user_id: str
    user_pk: int
    account_id: str
    domain_id: str
    user_name: str
    session_created: datetime
    session_expires: datetime


class Refusal(StrEnum):
    """Why a sign-in creates no session; each reason has its words for the person."""

    not_provisioned = "not_provisioned"
    deactivated = "deactivated"
    deleted = "deleted"
    domain_unverified = "domain_unverified"
    no_enterprise = "no_enterprise"
    sso_off = "sso_off"
    email_mismatch = "email_mismatch"
    linked_elsewhere = "linked_elsewhere"
    ambiguous = "ambiguous"
    bad_request = "bad_request"
    provider_refused = "provider_refused"
    bad_token = "bad_token"
    not_admin = "not_admin"  # the admin pages asked, and the email is none of the account's admins


MESSAGES: dict[Refusal, str] = {
    Refusal.not_provisioned: (
        "Your organisation has not given you access to the calendar yet; "
        "ask your administrator to assign you the app."
    ),
    Refusal.deactivated: "Your account has been deactivated by your organisation.",
    Refusal.deleted: "Your account has been removed by your organisation.",
    Refusal.domain_unverified: (
        "Your organisation's email domain is not verified for the calendar any more; "
        "ask your administrator."
    ),
    Refusal.no_enterprise: (
        "Your organisation's calendar plan does not include single sign-on; ask your administrator."
    ),
    Refusal.sso_off: (
        "Single sign-on is not set up for your organisation's email domain; ask your administrator."
    ),
    Refusal.email_mismatch: (
        "Your identity provider signed you in with another email than the calendar knows "
        "you by; ask your administrator."
    ),
    Refusal.linked_elsewhere: (
        "Your calendar account is already linked to another sign-in at your identity "
        "provider; ask your administrator."
    ),
    Refusal.ambiguous: (
        "More than one calendar account has your email address; ask your administrator."
    ),
    Refusal.bad_request: (
        "This sign-in expired or was started in another browser or tab. Start again."
    ),
    Refusal.provider_refused: "Your identity provider did not sign you in.",
    Refusal.bad_token: (
        "Your identity provider's answer could not be trusted, so you were not signed in. "
        "Start again; if it happens again, tell your administrator."
    ),
    Refusal.not_admin: (
        "Your identity provider signed you in, but you are not an admin of this account. "
        "Ask an owner to invite you on the Admins page."
    ),
}


class SignInRefused(EnlistError):
    """A sign-in that creates no session: `reason` for the person, `why` for the activity log."""

    def __init__(self, reason: Refusal, why: str | None = None) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.why = why or MESSAGES[reason]


class SessionReason(StrEnum):
    """Why a person's sessions ended (`data.reason` of `sessions.ended`)."""

    signed_out = "signed_out"
    deactivated = "deactivated"
    deleted = "deleted"
    sso_off = "sso_off"
    universal_logout = "universal_logout"
    sso_changed = "sso_changed"


class CannotLogOut(EnlistError):
    """A logout request names a person who cannot be told apart from another (Okta: 422)."""
