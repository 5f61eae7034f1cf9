"""Correcting an account's setup: remove or unlink a trusted domain, rename or delete an
organization, move a calendar to another plan. Each says what it will do before it is done
(`*_consequences`) and logs what it did in the activity log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from enlist.domain.errors import Conflict, InvalidValue, NotFound
from enlist.domain.events import EventType
from enlist.domain.model import Plan
from enlist.domain.tenancy import Calendar, Organization, TrustedDomain
from enlist.services import signin
from enlist.services.tenancy import organization_name
from enlist.services.unit import OPERATOR, Actor, Change, writing
from enlist.store.accounts import AccountStore
from enlist.store.db import Database
from enlist.store.setup import SetupStore
from enlist.store.signin import SignInStore

# trusted domains --------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainRemoval:
    """What removing a domain takes with it."""

    domain: TrustedDomain
    active_secrets: list[str]  # their hints
    sso: bool
    signed_in: int  # people signed in through its single sign-on

    def consequences(self) -> str:
        name = self.domain.name
        said = [f"Removing {name} cannot be undone."]
        if self.active_secrets:
            count = len(self.active_secrets)
            said.append(
                f"Its {count} active SCIM secret{'s' if count != 1 else ''} "
                f"({', '.join(self.active_secrets)}) stop working at once: your identity "
                "provider gets 401 Unauthorized with them."
            )
        if self.sso:
            people = (
                f" and the {self.signed_in} people signed in through it are signed out"
                if self.signed_in
                else ""
            )
            said.append(f"Its single sign-on is turned off{people}.")
        if self.domain.verified:
            said.append(
                f"People with emails @{name} can no longer be provisioned or updated "
                "unless you add and verify it again; those already provisioned stay."
            )
        return " ".join(said)


def _domain(conn: Connection, account_id: str | None, domain_id: str) -> TrustedDomain:
    found = AccountStore(conn).domain_by_id(domain_id)
    if found is None or (account_id is not None and found.account_id != account_id):
        raise NotFound(f"There is no trusted domain {domain_id}.")
    return found


def _removal(conn: Connection, domain: TrustedDomain) -> DomainRemoval:
    secrets = AccountStore(conn).secrets_for_domain(domain.id)
    sign_in = SignInStore(conn)
    return DomainRemoval(
        domain=domain,
        active_secrets=[s.hint for s in secrets if s.revoked_at is None],
        sso=sign_in.sso(domain.id) is not None,
        signed_in=len(sign_in.session_counts_of_domain(domain.account_id, domain.id)),
    )


def domain_removal(db: Database, account_id: str | None, domain_id: str) -> DomainRemoval:
    """What `remove_domain` would take with it, for the page to say before confirming."""
    with db.read() as conn:
        return _removal(conn, _domain(conn, account_id, domain_id))


def remove_domain(
    db: Database, account_id: str | None, domain_id: str, *, actor: Actor = OPERATOR
) -> DomainRemoval:
    """Remove a trusted domain (a typo, one no longer used): its secrets are revoked, its
    single sign-on turned off and those signed in through it signed out, in one transaction."""
    with db.read() as conn:
        domain = _domain(conn, account_id, domain_id)
    with writing(db, domain.account_id, actor) as change:
        removal = _removal(change.conn, _domain(change.conn, domain.account_id, domain_id))
        secrets = AccountStore(change.conn).secrets_for_domain(domain.id)
        if removal.sso:
            signin.end_domain_sessions(change, domain.id)
        SetupStore(change.conn).remove_domain(domain.account_id, domain.id)
        for secret in secrets:
            if secret.revoked_at is None:
                change.emit(EventType.secret_revoked, {"id": secret.id, "domain": domain.name})
        revoked = (
            f"; revoked its secrets {', '.join(removal.active_secrets)}"
            if removal.active_secrets
            else ""
        )
        change.log(
            "domain.remove",
            f"Removed the trusted domain {domain.name}{revoked}"
            + ("; turned its single sign-on off." if removal.sso else "."),
            resource_type="Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
    return removal


def unlink_domain(
    db: Database, account_id: str | None, domain_id: str, *, actor: Actor = OPERATOR
) -> TrustedDomain:
    """Link the domain to no organization: group pushes through its secrets are refused
    until one is linked again; groups already provisioned stay where they are."""
    with db.read() as conn:
        domain = _domain(conn, account_id, domain_id)
    with writing(db, domain.account_id, actor) as change:
        before = _linked_name(change, domain)
        if not SetupStore(change.conn).unlink_domain(domain.account_id, domain.id):
            raise InvalidValue(f"{domain.name} is not linked to an organization.")
        change.log(
            "domain.unlink",
            f"Unlinked {domain.name} from the organization {before}; groups pushed through its "
            "secrets are refused until an organization is linked again.",
            resource_type="Domain",
            resource_id=domain.id,
            resource_name=domain.name,
        )
        found = AccountStore(change.conn).domain_by_id(domain.id)
    assert found is not None
    return found


def _linked_name(change: Change, domain: TrustedDomain) -> str:
    if domain.organization_id is None:
        return "none"
    organization = AccountStore(change.conn).organization(domain.organization_id)
    return organization.name if organization else domain.organization_id


# organizations --------------------------------------------------------------------------


def _organization(conn: Connection, account_id: str | None, organization_id: str) -> Organization:
    found = AccountStore(conn).organization(organization_id)
    if found is None or (account_id is not None and found.account_id != account_id):
        raise NotFound(f"There is no organization {organization_id}.")
    return found


def rename_organization(
    db: Database,
    account_id: str | None,
    organization_id: str,
    name: str,
    *,
    actor: Actor = OPERATOR,
) -> Organization:
    """A new name, unique in the account whatever the case (as when it was added)."""
    with db.read() as conn:
        organization = _organization(conn, account_id, organization_id)
    with writing(db, organization.account_id, actor) as change:
        store = AccountStore(change.conn)
        new_name = organization_name(store, organization.account_id, name, keep=organization.id)
        if new_name == organization.name:
            return organization
        SetupStore(change.conn).rename_organization(
            organization.account_id, organization.id, new_name
        )
        change.log(
            "organization.rename",
            f"Renamed the organization {organization.name} to {new_name}.",
            resource_type="Organization",
            resource_id=organization.id,
            resource_name=new_name,
        )
        found = store.organization(organization.id)
    assert found is not None
    return found


@dataclass(frozen=True)
class OrganizationDeletion:
    """What deleting an organization would meet: its groups (which refuse it) and domains."""

    organization: Organization
    groups: int
    domains: list[str]

    def consequences(self) -> str:
        name = self.organization.name
        if self.groups:
            count = f"{self.groups} group{'s' if self.groups != 1 else ''}"
            return (
                f"{name} still holds {count}, so it cannot be deleted. Delete them first: "
                "unassign them from the Enlist app in your identity provider (or delete them "
                "there), and the identity provider deletes them here."
            )
        said = f"Deleting {name} cannot be undone."
        if self.domains:
            said += (
                f" {', '.join(self.domains)} will be linked to no organization: groups pushed "
                "through their secrets are refused until you link another."
            )
        return said


def organization_deletion(
    db: Database, account_id: str | None, organization_id: str
) -> OrganizationDeletion:
    with db.read() as conn:
        organization = _organization(conn, account_id, organization_id)
        store = SetupStore(conn)
        return OrganizationDeletion(
            organization,
            store.group_count(organization.account_id, organization.id),
            store.linked_domains(organization.account_id, organization.id),
        )


def delete_organization(
    db: Database, account_id: str | None, organization_id: str, *, actor: Actor = OPERATOR
) -> OrganizationDeletion:
    """Delete an organization that holds no groups; its domains are left unlinked."""
    with db.read() as conn:
        organization = _organization(conn, account_id, organization_id)
    with writing(db, organization.account_id, actor) as change:
        store = SetupStore(change.conn)
        deletion = OrganizationDeletion(
            organization,
            store.group_count(organization.account_id, organization.id),
            store.linked_domains(organization.account_id, organization.id),
        )
        if deletion.groups:
            raise Conflict(deletion.consequences())
        store.delete_organization(organization.account_id, organization.id)
        unlinked = f"; unlinked {', '.join(deletion.domains)}" if deletion.domains else ""
        change.log(
            "organization.delete",
            f"Deleted the organization {organization.name}{unlinked}.",
            resource_type="Organization",
            resource_id=organization.id,
            resource_name=organization.name,
        )
    return deletion


# calendars ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanChange:
    calendar: Calendar
    before: str
    provisioning: bool  # whether the account still has an Enterprise calendar


def _plan(plan: str) -> Plan:
    try:
        return Plan(plan.strip().lower())
    except ValueError:
        raise InvalidValue(
            f"{plan!r} is not a plan; choose one of {', '.join(p.value for p in Plan)}."
        ) from None


def set_calendar_plan(
    db: Database, account_id: str | None, calendar_id: str, plan: str, *, actor: Actor = OPERATOR
) -> PlanChange:
    """Move a calendar to another plan. Moving the account's last Enterprise calendar off it
    stops provisioning (every SCIM request is refused with 403); the log says so."""
    chosen = _plan(plan)
    with db.read() as conn:
        calendar = SetupStore(conn).calendar(calendar_id)
    if calendar is None or (account_id is not None and calendar.account_id != account_id):
        raise NotFound(f"There is no calendar {calendar_id}.")
    with writing(db, calendar.account_id, actor) as change:
        setup = SetupStore(change.conn)
        setup.set_calendar_plan(calendar.account_id, calendar.id, chosen)
        provisioning = any(
            c.plan == Plan.enterprise.value
            for c in AccountStore(change.conn).calendars(calendar.account_id)
        )
        after = setup.calendar(calendar.id)
        assert after is not None
        if calendar.plan != chosen.value:
            stops = (
                "; no calendar is on Enterprise any more, so provisioning stops: every request "
                "from the identity provider is refused (403)"
                if calendar.plan == Plan.enterprise.value and not provisioning
                else ""
            )
            change.log(
                "calendar.plan",
                f"Moved the calendar {calendar.name} from the {calendar.plan} plan to "
                f"{chosen.value}{stops}.",
                resource_type="Calendar",
                resource_id=calendar.id,
                resource_name=calendar.name,
            )
    return PlanChange(after, calendar.plan, provisioning)


def is_last_enterprise(db: Database, account_id: str, calendar: Calendar) -> bool:
    """Whether moving `calendar` off Enterprise would stop provisioning for the account."""
    with db.read() as conn:
        others = AccountStore(conn).calendars(account_id)
    return calendar.plan == Plan.enterprise.value and not any(
        c.plan == Plan.enterprise.value and c.id != calendar.id for c in others
    )
