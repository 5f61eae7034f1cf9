"""The outbox: a change and its events commit together, numbered per account without gaps."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from enlist.domain.errors import InvalidValue
from enlist.services import tenancy
from enlist.services.unit import Actor
from enlist.store.db import Database
from enlist.store.events import EventStore

ADMIN = Actor("admin", "it@example.com", user_agent="Firefox", request_id="req-1")


def _events(db: Database, account_id: str) -> list[Any]:
    with db.read() as conn:
        return EventStore(conn).after(account_id, 0, 1000)


def test_secret_lifecycle_is_announced_with_who_did_it(db, settings, make_tenant):
    tenant = make_tenant()
    before = len(_events(db, tenant.account_id))
    created = tenancy.create_secret(
        db, tenant.domain, tenant.account_id, secret_key=settings.secret_key, actor=ADMIN
    )
    tenancy.revoke_secret(db, created.id, tenant.account_id, actor=ADMIN)
    created_event, revoked_event = _events(db, tenant.account_id)[before:]
    assert created_event.type == "secret.created" and created_event.data["id"] == created.id
    assert revoked_event.type == "secret.revoked" and revoked_event.data["id"] == created.id
    assert revoked_event.sequence == created_event.sequence + 1
    assert created_event.actor == {"type": "admin", "id": "it@example.com", "user_agent": "Firefox"}
    assert created.secret not in repr(created_event.document())  # never the secret itself


def test_revoking_twice_announces_once(db, settings, make_tenant):
    tenant = make_tenant()
    created = tenancy.create_secret(db, tenant.domain, secret_key=settings.secret_key)
    tenancy.revoke_secret(db, created.id)
    tenancy.revoke_secret(db, created.id)
    kinds = [e.type for e in _events(db, tenant.account_id)]
    assert kinds.count("secret.revoked") == 1


def test_a_refused_change_announces_nothing(db, make_tenant):
    tenant = make_tenant()
    before = _events(db, tenant.account_id)
    with pytest.raises(InvalidValue):
        tenancy.create_calendar(db, tenant.account_id, "Sales", "gold", actor=ADMIN)
    assert _events(db, tenant.account_id) == before


def test_the_operator_verifying_a_domain_is_announced(db, make_tenant):
    tenant = make_tenant()
    tenancy.add_domain(db, tenant.account_id, "acme.io", verified=True)
    last = _events(db, tenant.account_id)[-1]
    assert last.type == "domain.verified" and last.data["name"] == "acme.io"
    assert last.actor == {"type": "operator", "id": "cli"}


def test_sequences_are_per_account_and_gapless_under_concurrent_writers(db, settings, make_tenant):
    first, second = make_tenant("one.example"), make_tenant("two.example")
    errors: list[BaseException] = []

    def write(tenant: Any) -> None:
        try:
            for _ in range(8):
                created = tenancy.create_secret(
                    db, tenant.domain, tenant.account_id, secret_key=settings.secret_key
                )
                tenancy.revoke_secret(db, created.id, tenant.account_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(t,)) for t in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for tenant in (first, second):
        sequences = [e.sequence for e in _events(db, tenant.account_id)]
        assert sequences == list(range(1, len(sequences) + 1))
        assert len(sequences) >= 32
