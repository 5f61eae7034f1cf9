"""What a secret acts for changes on every server process within a second, on both backends.

Each server process remembers the tenant of the secrets it saw (services/tenancy.py) while
the tenancy generation holds. Two `enlist serve` processes share one database; the test
warms both, then changes the facts from a third process (the services, as the admin pages
and the CLI do; plain SQL for the changes no service makes: an expiry in two seconds, a
domain unverified) and watches both refuse the secret within a second.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from enlist.clock import now
from enlist.config import Settings
from enlist.services import setup, tenancy
from enlist.services.unit import OPERATOR, writing
from enlist.store.db import Database
from enlist.store.tables import calendars, scim_secrets, trusted_domains
from tests.conftest import _backends
from tests.e2e.live import enlist_env, fresh_database, serving

pytestmark = pytest.mark.live

WITHIN = 1.0  # seconds: how soon every process must see a change


@pytest.fixture(scope="module", params=_backends())
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Two server processes on one database, and the database for the test's own changes."""
    with ExitStack() as stack:
        url = fresh_database(stack, request.param, tmp_path_factory, "gen")
        db = Database.open(url)
        stack.callback(db.dispose)
        env = enlist_env(url, ENLIST_RATE_LIMIT_PER_SECOND="0")
        bases = [stack.enter_context(serving(env)) for _ in range(2)]
        yield {"db": db, "bases": bases}


class Tenant:
    """A fresh account with an Enterprise calendar, a verified, linked domain and a secret."""

    def __init__(self, db: Database) -> None:
        self.domain = f"d{uuid.uuid4().hex[:10]}.example"
        self.account_id = tenancy.create_account(db, self.domain, f"admin@{self.domain}")
        self.calendar_id = tenancy.create_calendar(db, self.account_id, "Team", "enterprise")
        organization = tenancy.create_organization(db, self.account_id, "Org")
        domain = tenancy.add_domain(db, self.account_id, self.domain, verified=True)
        self.domain_id = domain.id
        tenancy.link_domain(db, self.domain, organization)
        secret = tenancy.create_secret(
            db, self.domain, self.account_id, secret_key=Settings().secret_key
        )
        self.secret_id = secret.id
        self.headers = {"Authorization": f"Bearer {secret.secret}"}


def _users(base: str, tenant: Tenant) -> int:
    return httpx.get(f"{base}/scim/v2/Users", headers=tenant.headers, timeout=10).status_code


def _new_group(base: str, tenant: Tenant) -> int:
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": f"Team {uuid.uuid4().hex[:8]}",
    }
    return httpx.post(
        f"{base}/scim/v2/Groups", headers=tenant.headers, json=body, timeout=10
    ).status_code


def _warm(cluster: dict[str, Any], tenant: Tenant) -> None:
    """Both processes have answered the secret (and so remember its tenant)."""
    for base in cluster["bases"]:
        for _ in range(3):
            assert _users(base, tenant) == 200


def _seen_within(
    cluster: dict[str, Any],
    ask: Callable[[str], int],
    expected: int,
    since: float,
) -> None:
    """Every process answers `expected` no later than WITHIN seconds after `since`."""
    for base in cluster["bases"]:
        while True:
            status = ask(base)
            if status == expected:
                break
            waited = time.monotonic() - since
            assert waited <= WITHIN, f"{base} still answered {status} after {waited:.2f} s"
            time.sleep(0.02)


def _change(db: Database, tenant: Tenant, statement: Any) -> float:
    """Run one statement as a change of the tenant's account; when it committed."""
    with writing(db, tenant.account_id, OPERATOR) as change:
        change.conn.execute(statement)
    return time.monotonic()


def test_a_revoked_secret_is_refused_by_every_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _warm(cluster, tenant)
    tenancy.revoke_secret(cluster["db"], tenant.secret_id)
    done = time.monotonic()
    _seen_within(cluster, lambda base: _users(base, tenant), 401, done)


def test_an_expired_secret_is_refused_by_every_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    expires = now() + timedelta(seconds=2)
    _change(
        cluster["db"],
        tenant,
        update(scim_secrets)
        .where(scim_secrets.c.id == tenant.secret_id)
        .values(expires_at=expires),
    )
    _warm(cluster, tenant)  # remembered with its expiry, before it comes
    wait = (expires - now()).total_seconds()
    assert wait > 0, "the machine was too slow to warm both processes before the expiry"
    time.sleep(wait)
    _seen_within(cluster, lambda base: _users(base, tenant), 401, time.monotonic())


def test_a_plan_downgrade_is_refused_by_every_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _warm(cluster, tenant)
    setup.set_calendar_plan(cluster["db"], tenant.account_id, tenant.calendar_id, "pro")
    done = time.monotonic()
    _seen_within(cluster, lambda base: _users(base, tenant), 403, done)


def test_a_plan_upgrade_lets_every_process_provision_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _change(
        cluster["db"],
        tenant,
        update(calendars).where(calendars.c.account_id == tenant.account_id).values(plan="pro"),
    )
    for base in cluster["bases"]:
        assert _users(base, tenant) == 403
    tenancy.create_calendar(cluster["db"], tenant.account_id, "Upgraded", "enterprise")
    _seen_within(cluster, lambda base: _users(base, tenant), 200, time.monotonic())


def test_an_unlinked_domain_provisions_no_group_on_any_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _warm(cluster, tenant)
    for base in cluster["bases"]:
        assert _new_group(base, tenant) == 201
    setup.unlink_domain(cluster["db"], tenant.account_id, tenant.domain_id)
    done = time.monotonic()
    _seen_within(cluster, lambda base: _new_group(base, tenant), 400, done)


def test_an_unverified_domain_is_refused_by_every_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _warm(cluster, tenant)
    done = _change(
        cluster["db"],
        tenant,
        update(trusted_domains)
        .where(trusted_domains.c.id == tenant.domain_id)
        .values(verified=False),
    )
    _seen_within(cluster, lambda base: _users(base, tenant), 401, done)


def test_a_removed_domain_is_refused_by_every_process_within_a_second(cluster):
    tenant = Tenant(cluster["db"])
    _warm(cluster, tenant)
    setup.remove_domain(cluster["db"], tenant.account_id, tenant.domain_id)
    done = time.monotonic()
    _seen_within(cluster, lambda base: _users(base, tenant), 401, done)


def test_a_secret_in_use_does_not_move_the_generation(cluster):
    """Reads stay reads: recording a secret's last use changes no tenant, so it must not
    make every process forget the tenants it knows."""
    db = cluster["db"]
    tenant = Tenant(db)
    _warm(cluster, tenant)
    with db.read() as conn:
        before = conn.execute(text("SELECT generation FROM tenancy_generation")).scalar()
    with writing(db, tenant.account_id, OPERATOR) as change:
        change.conn.execute(
            update(scim_secrets)
            .where(scim_secrets.c.id == tenant.secret_id)
            .values(last_used=now())
        )
    for base in cluster["bases"]:
        assert _users(base, tenant) == 200
    with db.read() as conn:
        after = conn.execute(text("SELECT generation FROM tenancy_generation")).scalar()
    assert after == before
