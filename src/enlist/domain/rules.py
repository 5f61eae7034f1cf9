"""Who may provision what: the tenancy rules, each stated once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from enlist.domain.errors import Forbidden, InvalidValue
from enlist.domain.model import Email, Tenant, UserFields


def require_enterprise(tenant: Tenant) -> None:
    """Provisioning is an Enterprise feature: refuse accounts without such a calendar."""
    if not tenant.has_enterprise_calendar:
        raise Forbidden(
            "SCIM provisioning needs at least one calendar on the Enterprise plan; "
            "this account has none. Upgrade a calendar to Enterprise, then retry."
        )


def require_linked_organization(tenant: Tenant) -> str:
    """Groups land in the organization linked to the secret's domain; there must be one."""
    if tenant.organization_id is None:
        raise InvalidValue(
            f"The trusted domain {tenant.domain_name} is not linked to an organization, "
            "so groups cannot be provisioned. Link an organization to the domain on the "
            "Trusted Domains page, then retry."
        )
    return tenant.organization_id


def email_domain(address: str) -> str | None:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    return domain.lower()


def require_trusted_email(address: str, what: str, trusted: Iterable[str]) -> None:
    """Every email a user carries must be on one of the account's verified domains."""
    domains = {d.lower() for d in trusted}
    domain = email_domain(address)
    if domain is None:
        raise InvalidValue(
            f"{what} {address!r} is not an email address; it must look like name@domain."
        )
    if domain not in domains:
        listed = ", ".join(sorted(domains)) or "none"
        raise InvalidValue(
            f"{what} {address} is not on a verified trusted domain of this account "
            f"(verified domains: {listed})."
        )


def check_user(fields: UserFields, trusted_domains: Iterable[str]) -> None:
    """The account's rules for a user's identity: userName and every email on trusted domains."""
    trusted = list(trusted_domains)
    if not fields.user_name or not fields.user_name.strip():
        raise InvalidValue("userName is required and must not be empty.")
    require_trusted_email(fields.user_name, "userName", trusted)
    primaries = 0
    for email in fields.emails:
        require_trusted_email(email.value, "Email", trusted)
        primaries += bool(email.primary)
    if primaries > 1:
        raise InvalidValue("Only one email may be marked primary.")
    if fields.timezone is not None and not is_iana_timezone(fields.timezone):
        raise InvalidValue(
            f"timezone {fields.timezone!r} is not an IANA time zone name such as "
            "'America/Los_Angeles'."
        )


def distinct_emails(emails: list[Email]) -> list[Email]:
    """One entry per type and value (both compared case-insensitively): RFC 7643 §2.4 says a
    multi-valued attribute SHOULD NOT hold duplicates. Whatever writes a user (POST, PUT or
    PATCH) stores this. The first entry keeps its place, primary when any duplicate was."""
    kept: dict[tuple[str, str], Email] = {}
    for email in emails:
        key = ((email.type or "").lower(), email.value.lower())
        first = kept.setdefault(key, email)
        if first is not email and email.primary and not first.primary:
            kept[key] = replace(first, primary=True)
    return list(kept.values())


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_iana_timezone(name: str) -> bool:
    if name in _zones():
        return True
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return "/" in name or name == "UTC"
