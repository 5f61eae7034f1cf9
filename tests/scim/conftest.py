"""Fixtures for the SCIM scenarios: tenants as in ../conftest.py, minus the admin password.

The SCIM scenarios never sign in to the admin pages, and hashing an admin password (argon2)
is most of a test's setup time; without it these files stay well under a minute.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from enlist.config import Settings
from enlist.services import tenancy
from enlist.store.db import Database
from tests.conftest import TenantSetup


@pytest.fixture
def make_tenant(db: Database, settings: Settings) -> Any:
    def make(
        domain: str = "example.com",
        *,
        plan: str = "enterprise",
        linked: bool = True,
        name: str | None = None,
    ) -> TenantSetup:
        label = name or domain
        account_id = tenancy.create_account(db, label, f"admin-{uuid.uuid4().hex[:8]}@{domain}")
        tenancy.create_calendar(db, account_id, f"{label} calendar", plan)
        organization_id = tenancy.create_organization(db, account_id, f"{label} org")
        tenancy.add_domain(db, account_id, domain, verified=True)
        if linked:
            tenancy.link_domain(db, domain, organization_id)
        secret = tenancy.create_secret(db, domain, account_id, secret_key=settings.secret_key)
        return TenantSetup(
            account_id, organization_id if linked else None, domain, secret.secret, secret.id
        )

    return make
