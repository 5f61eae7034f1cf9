"""What an account is set up with: calendars, organizations, trusted domains, secrets, sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Account:
    """A customer of the calendar service: its name and its contact (first admin) email."""

    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Calendar:
    id: str
    account_id: str
    name: str
    plan: str  # a Plan value
    created: datetime


@dataclass(frozen=True)
class Organization:
    """Where the groups provisioned through a linked trusted domain land."""

    id: str
    account_id: str
    name: str
    created: datetime


@dataclass(frozen=True)
class TrustedDomain:
    """An email domain of the account; SCIM may provision it once its TXT record proved it."""

    id: str
    account_id: str
    name: str
    verified: bool
    txt_token: str
    organization_id: str | None
    created: datetime


@dataclass(frozen=True)
class ScimSecret:
    """A secret as it may be shown again: its hint and dates, never its value."""

    id: str
    domain_id: str
    hint: str
    created: datetime
    last_used: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None
    label: str | None = None  # the admin's name for it, e.g. "Okta production"
    created_by: str | None = None  # the admin's email (None: the operator made it)


@dataclass(frozen=True)
class AdminSession:
    """Who a signed-in admin session belongs to, until when."""

    account_id: str
    email: str
    account_name: str
    expires: datetime
    admin_id: str = ""
    role: str = "owner"  # owner or admin (domain/admins.py)


@dataclass(frozen=True)
class ApiKey:
    """A key of the calendar application, as it may be shown again: never its value."""

    id: str
    account_id: str
    name: str
    hint: str
    created: datetime
    created_by: str
    last_used: datetime | None
    revoked_at: datetime | None
