"""The entities Enlist provisions: tenants, users, groups, as plain dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Plan(StrEnum):
    """The plans a calendar can be on; only Enterprise unlocks provisioning."""

    basic = "basic"
    plus = "plus"
    pro = "pro"
    business = "business"
    enterprise = "enterprise"


@dataclass(frozen=True)
class Tenant:
    """Who a SCIM request acts for: the account behind the secret's trusted domain."""

    account_id: str
    domain_id: str
    domain_name: str
    secret_id: str
    organization_id: str | None
    has_enterprise_calendar: bool


@dataclass
class Email:
    value: str
    type: str | None = None
    primary: bool = False
    display: str | None = None


@dataclass
class UserFields:
    """What a client may write on a user: the writable SCIM attributes, parsed."""

    user_name: str
    external_id: str | None = None
    name: dict[str, str] = field(default_factory=dict)
    display_name: str | None = None
    nick_name: str | None = None
    profile_url: str | None = None
    title: str | None = None
    user_type: str | None = None
    preferred_language: str | None = None
    locale: str | None = None
    timezone: str | None = None
    active: bool = True
    emails: list[Email] = field(default_factory=list)
    phone_numbers: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    enterprise: EnterpriseFields = field(default_factory=lambda: EnterpriseFields())


@dataclass
class EnterpriseFields:
    """The enterprise extension (RFC 7643 §4.3); manager_id is manager.value as sent."""

    employee_number: str | None = None
    cost_center: str | None = None
    organization: str | None = None
    division: str | None = None
    department: str | None = None
    manager_id: str | None = None


@dataclass
class GroupRef:
    id: str
    display_name: str


@dataclass
class User:
    """A provisioned user as stored: fields plus identity and bookkeeping."""

    id: str
    fields: UserFields
    created: datetime
    last_modified: datetime
    version: int
    groups: list[GroupRef] | None = None
    # the manager's displayName (or userName) when manager_id names a user of the account
    manager_name: str | None = None
    # when the identity provider deleted the user (kept for the admin pages, gone from SCIM)
    deleted_at: datetime | None = None


@dataclass
class Member:
    user_id: str
    display: str | None


@dataclass
class Group:
    id: str
    display_name: str
    external_id: str | None
    organization_id: str
    created: datetime
    last_modified: datetime
    version: int
    members: list[Member] | None = None  # None when not loaded
