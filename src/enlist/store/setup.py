"""The SQL that corrects an account's setup: remove or unlink a domain, rename or delete an
organization, change a calendar's plan. Every statement names the account."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select, update

from enlist.clock import now
from enlist.domain.model import Plan
from enlist.domain.tenancy import Calendar
from enlist.store.accounts import as_utc
from enlist.store.tables import calendars, groups, organizations, trusted_domains


class SetupStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def remove_domain(self, account_id: str, domain_id: str) -> bool:
        """Delete the domain; its secrets, single sign-on and sessions go with it (cascade)."""
        result = self.conn.execute(
            delete(trusted_domains).where(
                trusted_domains.c.account_id == account_id, trusted_domains.c.id == domain_id
            )
        )
        return result.rowcount > 0

    def unlink_domain(self, account_id: str, domain_id: str) -> bool:
        result = self.conn.execute(
            update(trusted_domains)
            .where(
                trusted_domains.c.account_id == account_id,
                trusted_domains.c.id == domain_id,
                trusted_domains.c.organization_id.is_not(None),
            )
            .values(organization_id=None)
        )
        return result.rowcount > 0

    def rename_organization(self, account_id: str, organization_id: str, name: str) -> bool:
        result = self.conn.execute(
            update(organizations)
            .where(organizations.c.account_id == account_id, organizations.c.id == organization_id)
            .values(name=name)
        )
        return result.rowcount > 0

    def group_count(self, account_id: str, organization_id: str) -> int:
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(groups)
                .where(
                    groups.c.account_id == account_id, groups.c.organization_id == organization_id
                )
            ).scalar_one()
        )

    def linked_domains(self, account_id: str, organization_id: str) -> list[str]:
        rows = self.conn.execute(
            select(trusted_domains.c.name)
            .where(
                trusted_domains.c.account_id == account_id,
                trusted_domains.c.organization_id == organization_id,
            )
            .order_by(trusted_domains.c.name)
        )
        return [r.name for r in rows]

    def delete_organization(self, account_id: str, organization_id: str) -> bool:
        """Delete an organization without groups; its domains become unlinked (SET NULL)."""
        self.conn.execute(
            update(trusted_domains)
            .where(
                trusted_domains.c.account_id == account_id,
                trusted_domains.c.organization_id == organization_id,
            )
            .values(organization_id=None)
        )
        result = self.conn.execute(
            delete(organizations).where(
                organizations.c.account_id == account_id, organizations.c.id == organization_id
            )
        )
        return result.rowcount > 0

    def calendar(self, calendar_id: str) -> Calendar | None:
        row = self.conn.execute(select(calendars).where(calendars.c.id == calendar_id)).first()
        if row is None:
            return None
        return Calendar(row.id, row.account_id, row.name, row.plan, as_utc(row.created) or now())

    def set_calendar_plan(self, account_id: str, calendar_id: str, plan: Plan) -> bool:
        result = self.conn.execute(
            update(calendars)
            .where(calendars.c.account_id == account_id, calendars.c.id == calendar_id)
            .values(plan=plan.value)
        )
        return result.rowcount > 0
