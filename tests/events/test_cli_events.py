"""Changes made from the command line are announced like any other: the operator is the actor."""

from __future__ import annotations

from typing import Any

from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.events import EventStore


def _events(db: Database, account_id: str, after: int = 0) -> list[Any]:
    with db.read() as conn:
        return EventStore(conn).after(account_id, after, 1000)


def _last(db: Database, account_id: str) -> int:
    found = _events(db, account_id)
    return found[-1].sequence if found else 0


def test_an_operator_grant_and_revoke_reach_the_feed(db, tenant, scim, enlist):
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    ann = scim.create_user("ann@example.com")["id"]
    sales = scim.create_group("Sales", [ann])["id"]
    start = _last(db, tenant.account_id)

    enlist("access", "grant", calendar, "--group", sales, "--level", "modify", "--json")
    grant, person = _events(db, tenant.account_id, start)
    assert grant.type == person.type == "access.changed"
    assert grant.data["subject"] == {"type": "group", "id": sales}
    assert (grant.data["old"], grant.data["new"]) == ("no_access", "modify")
    assert person.data["person"] == ann and person.data["new"] == "modify"
    assert grant.actor["type"] == "operator"

    middle = _last(db, tenant.account_id)
    enlist("access", "revoke", calendar, "--group", sales, "--json")
    kinds = [
        (e.type, e.data.get("person"), e.data["new"])
        for e in _events(db, tenant.account_id, middle)
    ]
    assert kinds == [("access.changed", None, "no_access"), ("access.changed", ann, "no_access")]


def test_an_operator_revoking_a_secret_and_removing_a_domain_announce_the_revocations(
    db, tenant, settings, enlist
):
    kept = tenancy.create_secret(db, tenant.domain, secret_key=settings.secret_key)
    start = _last(db, tenant.account_id)
    enlist("secret", "revoke", tenant.secret_id, "--json")
    (revoked,) = _events(db, tenant.account_id, start)
    assert revoked.type == "secret.revoked" and revoked.data["id"] == tenant.secret_id

    middle = _last(db, tenant.account_id)
    enlist("domain", "remove", tenant.domain, "--json")
    announced = [(e.type, e.data["id"]) for e in _events(db, tenant.account_id, middle)]
    assert ("secret.revoked", kept.id) in announced
    assert ("secret.revoked", tenant.secret_id) not in announced  # revoked once, announced once


def test_a_refused_command_announces_nothing(db, tenant, enlist):
    calendar = tenancy.create_calendar(db, tenant.account_id, "Sales pipeline", "enterprise")
    start = _last(db, tenant.account_id)
    enlist("access", "grant", calendar, "--user", "nobody", "--level", "modify", ok=False)
    assert _events(db, tenant.account_id, start) == []
