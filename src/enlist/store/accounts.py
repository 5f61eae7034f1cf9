"""Repository for the tenancy side: accounts, calendars, organizations, domains, secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, exists, insert, select, update

from enlist.clock import new_id, now
from enlist.domain.model import Plan, Tenant
from enlist.domain.tenancy import Account, Calendar, Organization, ScimSecret, TrustedDomain
from enlist.store.tables import (
    accounts,
    calendars,
    organizations,
    scim_secrets,
    trusted_domains,
)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; everything we store is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# Built once: every SCIM request runs it, and building a statement costs more than running it.
_TENANT = (
    select(
        scim_secrets.c.id,
        scim_secrets.c.digest,
        scim_secrets.c.last_used,
        scim_secrets.c.expires_at,
        scim_secrets.c.account_id,
        trusted_domains.c.id.label("domain_id"),
        trusted_domains.c.name.label("domain_name"),
        trusted_domains.c.organization_id,
        trusted_domains.c.verified,
        exists()
        .where(
            calendars.c.account_id == scim_secrets.c.account_id,
            calendars.c.plan == Plan.enterprise.value,
        )
        .label("enterprise"),
    )
).join(trusted_domains, trusted_domains.c.id == scim_secrets.c.domain_id)
_TENANT_FOR_DIGEST = _TENANT.where(
    scim_secrets.c.digest == bindparam("digest"), scim_secrets.c.revoked_at.is_(None)
)
_TENANT_FOR_SECRET = _TENANT.where(scim_secrets.c.id == bindparam("secret_id"))
# Every user write checks its emails against these (domain/rules.py `check_user`).
_VERIFIED_DOMAIN_NAMES = select(trusted_domains.c.name).where(
    trusted_domains.c.account_id == bindparam("account_id"), trusted_domains.c.verified.is_(True)
)


class AccountStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # accounts -----------------------------------------------------------------
    def add_account(self, name: str, email: str) -> str:
        account_id = new_id()
        self.conn.execute(
            insert(accounts).values(
                id=account_id,
                name=name,
                email=email,
                email_lower=email.lower(),
                created=now(),
            )
        )
        return account_id

    def accounts(self) -> list[Account]:
        rows = self.conn.execute(
            select(accounts.c.id, accounts.c.name, accounts.c.email).order_by(accounts.c.created)
        )
        return [Account(row.id, row.name, row.email) for row in rows]

    def account(self, account_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        return dict(row._mapping) if row else None

    def account_by_email(self, email: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(accounts).where(accounts.c.email_lower == email.lower())
        ).first()
        return dict(row._mapping) if row else None

    def set_provider(self, account_id: str, provider: str) -> bool:
        """Name the account's identity provider; False when there is no such account."""
        result = self.conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(provider=provider)
        )
        return bool(result.rowcount)

    # calendars and organizations ----------------------------------------------
    def add_calendar(self, account_id: str, name: str, plan: Plan) -> str:
        calendar_id = new_id()
        self.conn.execute(
            insert(calendars).values(
                id=calendar_id, account_id=account_id, name=name, plan=plan.value, created=now()
            )
        )
        return calendar_id

    def calendars(self, account_id: str) -> list[Calendar]:
        rows = self.conn.execute(
            select(calendars)
            .where(calendars.c.account_id == account_id)
            .order_by(calendars.c.created)
        )
        return [
            Calendar(r.id, r.account_id, r.name, r.plan, as_utc(r.created) or now()) for r in rows
        ]

    def add_organization(self, account_id: str, name: str) -> str:
        organization_id = new_id()
        self.conn.execute(
            insert(organizations).values(
                id=organization_id, account_id=account_id, name=name, created=now()
            )
        )
        return organization_id

    @staticmethod
    def _organization(row: Any) -> Organization:
        return Organization(row.id, row.account_id, row.name, as_utc(row.created) or now())

    def organization(self, organization_id: str) -> Organization | None:
        row = self.conn.execute(
            select(organizations).where(organizations.c.id == organization_id)
        ).first()
        return self._organization(row) if row else None

    def organizations(self, account_id: str) -> list[Organization]:
        rows = self.conn.execute(
            select(organizations)
            .where(organizations.c.account_id == account_id)
            .order_by(organizations.c.created)
        )
        return [self._organization(r) for r in rows]

    # trusted domains ------------------------------------------------------------
    def add_domain(
        self, account_id: str, name: str, txt_token: str, verified: bool
    ) -> TrustedDomain:
        domain_id = new_id()
        moment = now()
        self.conn.execute(
            insert(trusted_domains).values(
                id=domain_id,
                account_id=account_id,
                name=name,
                verified=verified,
                verified_at=moment if verified else None,
                txt_token=txt_token,
                created=moment,
            )
        )
        found = self.domain_by_id(domain_id)
        assert found is not None
        return found

    def _domain(self, row: Any) -> TrustedDomain:
        return TrustedDomain(
            id=row.id,
            account_id=row.account_id,
            name=row.name,
            verified=bool(row.verified),
            txt_token=row.txt_token,
            organization_id=row.organization_id,
            created=as_utc(row.created) or now(),
        )

    def domain_by_id(self, domain_id: str) -> TrustedDomain | None:
        row = self.conn.execute(
            select(trusted_domains).where(trusted_domains.c.id == domain_id)
        ).first()
        return self._domain(row) if row else None

    def domains_named(self, name: str) -> list[TrustedDomain]:
        rows = self.conn.execute(
            select(trusted_domains)
            .where(trusted_domains.c.name == name)
            .order_by(trusted_domains.c.created)
        )
        return [self._domain(r) for r in rows]

    def domains(self, account_id: str) -> list[TrustedDomain]:
        rows = self.conn.execute(
            select(trusted_domains)
            .where(trusted_domains.c.account_id == account_id)
            .order_by(trusted_domains.c.name)
        )
        return [self._domain(r) for r in rows]

    def verified_domain_names(self, account_id: str) -> list[str]:
        return list(self.conn.scalars(_VERIFIED_DOMAIN_NAMES, {"account_id": account_id}))

    def set_domain_verified(self, domain_id: str) -> None:
        self.conn.execute(
            update(trusted_domains)
            .where(trusted_domains.c.id == domain_id)
            .values(verified=True, verified_at=now())
        )

    def link_domain(self, domain_id: str, organization_id: str | None) -> None:
        self.conn.execute(
            update(trusted_domains)
            .where(trusted_domains.c.id == domain_id)
            .values(organization_id=organization_id)
        )

    # secrets --------------------------------------------------------------------
    def add_secret(
        self,
        account_id: str,
        domain_id: str,
        digest: str,
        hint: str,
        expires_at: datetime | None = None,
        *,
        label: str | None = None,
        created_by: str | None = None,
    ) -> str:
        secret_id = new_id()
        self.conn.execute(
            insert(scim_secrets).values(
                id=secret_id,
                account_id=account_id,
                domain_id=domain_id,
                digest=digest,
                hint=hint,
                created=now(),
                expires_at=expires_at,
                label=label,
                created_by=created_by,
            )
        )
        return secret_id

    def secret(self, secret_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(scim_secrets).where(scim_secrets.c.id == secret_id)).first()
        return dict(row._mapping) if row else None

    def secrets_for_domain(self, domain_id: str) -> list[ScimSecret]:
        rows = self.conn.execute(
            select(scim_secrets)
            .where(scim_secrets.c.domain_id == domain_id)
            .order_by(scim_secrets.c.created.desc())
        )
        return [
            ScimSecret(
                id=r.id,
                domain_id=r.domain_id,
                hint=r.hint,
                created=as_utc(r.created) or now(),
                last_used=as_utc(r.last_used),
                revoked_at=as_utc(r.revoked_at),
                expires_at=as_utc(r.expires_at),
                label=r.label,
                created_by=r.created_by,
            )
            for r in rows
        ]

    def revoke_secret(self, secret_id: str) -> bool:
        """Revoke a secret; False when it was revoked already."""
        result = self.conn.execute(
            update(scim_secrets)
            .where(scim_secrets.c.id == secret_id, scim_secrets.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return bool(result.rowcount)

    def tenant_for_digest(
        self, digest: str
    ) -> tuple[Tenant, str, datetime | None, datetime | None] | None:
        """The tenant a secret acts for, in one query: (tenant, stored digest, last use, expiry)."""
        row = self.conn.execute(_TENANT_FOR_DIGEST, {"digest": digest}).first()
        if row is None or not row.verified:
            return None
        tenant = Tenant(
            account_id=row.account_id,
            domain_id=row.domain_id,
            domain_name=row.domain_name,
            secret_id=row.id,
            organization_id=row.organization_id,
            has_enterprise_calendar=bool(row.enterprise),
        )
        return tenant, row.digest, as_utc(row.last_used), as_utc(row.expires_at)

    def tenant_for_secret(self, secret_id: str) -> Tenant | None:
        """The tenant a secret would act for, read by its id (revoked or not)."""
        row = self.conn.execute(_TENANT_FOR_SECRET, {"secret_id": secret_id}).first()
        if row is None:
            return None
        return Tenant(
            account_id=row.account_id,
            domain_id=row.domain_id,
            domain_name=row.domain_name,
            secret_id=row.id,
            organization_id=row.organization_id,
            has_enterprise_calendar=bool(row.enterprise),
        )

    def touch_secret(self, secret_id: str, moment: datetime, older_than: timedelta) -> None:
        """Record use, at most once per `older_than`, so reads do not become writes."""
        self.conn.execute(
            update(scim_secrets)
            .where(
                scim_secrets.c.id == secret_id,
                (scim_secrets.c.last_used.is_(None))
                | (scim_secrets.c.last_used < moment - older_than),
            )
            .values(last_used=moment)
        )
