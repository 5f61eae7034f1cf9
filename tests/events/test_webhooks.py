"""Webhook endpoints end to end: created with a secret shown once, SSRF refused, and every
event delivered in order, signed, to a real receiver on loopback, by the real worker."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from enlist.config import Settings
from enlist.domain.errors import InvalidValue, NotFound
from enlist.events.worker import DeliveryWorker
from enlist.services import tenancy, webhooks
from enlist.services.unit import Actor
from enlist.store.db import Database
from tests.receiver import Answer, Receiver

ADMIN = Actor("admin", "it@example.com")


@pytest.fixture
def delivering(settings: Settings) -> Settings:
    """The tests' operator: receivers on loopback allowed, short claims."""
    return settings.model_copy(update={"webhook_allow_private": True, "webhook_claim_seconds": 5})


def _create(db: Database, settings: Settings, account_id: str, url: str, **kw: Any) -> Any:
    return webhooks.create_webhook(
        db, account_id, url, secret_key=settings.secret_key, allow_private=True, **kw
    )


def _changes(db: Database, account_id: str, count: int, prefix: str = "d") -> None:
    for n in range(count):
        tenancy.add_domain(db, account_id, f"{prefix}{n}.example", verified=True)


def _deliver_all(worker: DeliveryWorker, rounds: int = 50) -> None:
    for _ in range(rounds):
        if worker.run_once() == 0:
            return


def _bodies(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


def test_a_new_webhook_shows_its_secret_once_and_lists_without_it(db, settings, tenant, receiver):
    created = _create(db, settings, tenant.account_id, receiver.url + "/hook")
    assert created.secret.startswith("whsec_")
    (listed,) = webhooks.webhooks(db, tenant.account_id)
    assert listed.id == created.id and listed.enabled and listed.failing_since is None
    assert created.secret not in repr(listed)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/hook",
        "http://192.168.1.1/",
    ],
)
def test_private_and_loopback_urls_are_refused_without_the_operator_setting(
    db, settings, tenant, url
):
    with pytest.raises(InvalidValue, match="public internet addresses"):
        webhooks.create_webhook(
            db, tenant.account_id, url, secret_key=settings.secret_key, allow_private=False
        )
    assert webhooks.webhooks(db, tenant.account_id) == []


def test_a_name_that_resolves_to_loopback_is_refused(db, settings, tenant, dns, resolve):
    dns.addresses["sneaky.example"] = ["127.0.0.1"]
    with pytest.raises(InvalidValue, match="loopback"):
        webhooks.create_webhook(
            db,
            tenant.account_id,
            "https://sneaky.example/hook",
            secret_key=settings.secret_key,
            allow_private=False,
            resolve=resolve,
        )


def test_unknown_event_types_are_refused_by_name(db, settings, tenant, receiver):
    with pytest.raises(InvalidValue, match=r"person\.exploded"):
        _create(db, settings, tenant.account_id, receiver.url, types=["person.exploded"])


def test_a_new_webhook_gets_the_events_from_its_creation_on_in_order_and_signed(
    db, delivering, tenant, receiver
):
    _changes(db, tenant.account_id, 2, prefix="before")
    created = _create(db, delivering, tenant.account_id, receiver.url + "/hook")
    _changes(db, tenant.account_id, 5)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    bodies = _bodies(receiver)
    assert [b["data"]["name"] for b in bodies] == [f"d{n}.example" for n in range(5)]
    sequences = [b["sequence"] for b in bodies]
    assert sequences == sorted(sequences) and len(set(sequences)) == 5
    verifier = Verifier(created.secret)
    for request in receiver.requests:
        assert request.headers["webhook-id"] == json.loads(request.body)["id"]
        verifier.verify(request.body, dict(request.headers))
    tampered = receiver.requests[0].body.replace(b"d0.example", b"dX.example")
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, dict(receiver.requests[0].headers))


def test_an_endpoint_gets_only_the_types_it_chose(db, delivering, settings, tenant, receiver):
    _create(db, delivering, tenant.account_id, receiver.url, types=["secret.created"])
    _changes(db, tenant.account_id, 2)
    tenancy.create_secret(db, tenant.domain, tenant.account_id, secret_key=settings.secret_key)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    assert [b["type"] for b in _bodies(receiver)] == ["secret.created"]


def test_receiver_down_then_up_gets_everything_in_order_once(db, delivering, tenant, receiver):
    _create(db, delivering, tenant.account_id, receiver.url + "/hook")
    receiver.stop()
    _changes(db, tenant.account_id, 4)
    with DeliveryWorker(db, delivering, threads=1) as worker:
        worker.start()
        time.sleep(1.0)  # the first attempt fails: connection refused
        receiver.start()
        receiver.wait_for(4, timeout=15)
        time.sleep(0.5)
    names = [b["data"]["name"] for b in _bodies(receiver)]
    assert names == [f"d{n}.example" for n in range(4)]
    (listed,) = webhooks.webhooks(db, tenant.account_id)
    assert listed.failing_since is None  # the success cleared it
    log = webhooks.deliveries(db, listed.id, tenant.account_id)
    assert {d.status.value for d in log} == {"delivered"}
    assert max(d.attempts for d in log) == 2  # the head was tried while the receiver was down


def test_a_4xx_fails_that_event_for_good_and_the_next_goes_on(db, delivering, tenant, receiver):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    receiver.answer(Answer(422, body=b"no such calendar"))
    _changes(db, tenant.account_id, 3)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    assert len(receiver.requests) == 3
    log = webhooks.deliveries(db, created.id, tenant.account_id)
    by_name = {d.sequence: d for d in log}
    first = by_name[min(by_name)]
    assert first.status.value == "failed" and first.status_code == 422
    assert first.excerpt == "no such calendar"
    assert [d.status.value for d in log].count("delivered") == 2


def test_a_5xx_is_retried_later_and_later_events_wait_behind_it(db, delivering, tenant, receiver):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    receiver.answer(Answer(503))
    _changes(db, tenant.account_id, 3)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    assert len(receiver.requests) == 1  # nothing overtakes the event being retried
    (listed,) = webhooks.webhooks(db, tenant.account_id)
    assert listed.failing_since is not None
    log = webhooks.deliveries(db, created.id, tenant.account_id)
    assert [d.status.value for d in log] == ["pending"] * 3


def test_disabled_endpoints_get_nothing_until_enabled(db, delivering, tenant, receiver):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    webhooks.disable_webhook(db, created.id, tenant.account_id, actor=ADMIN)
    _changes(db, tenant.account_id, 2)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
        assert receiver.requests == []
        webhooks.enable_webhook(db, created.id, tenant.account_id, actor=ADMIN)
        _deliver_all(worker)
    assert [b["data"]["name"] for b in _bodies(receiver)] == ["d0.example", "d1.example"]


def test_replay_sends_older_events_again_in_order(db, delivering, tenant, receiver):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    _changes(db, tenant.account_id, 3)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
        first = _bodies(receiver)[0]["sequence"]
        queued = webhooks.replay(db, created.id, first + 1, tenant.account_id)
        _deliver_all(worker)
    assert queued == 2
    sequences = [b["sequence"] for b in _bodies(receiver)]
    assert sequences == [first, first + 1, first + 2, first + 1, first + 2]


def test_another_accounts_webhook_is_not_found(db, settings, make_tenant, receiver):
    mine, theirs = make_tenant("mine.example"), make_tenant("theirs.example")
    created = _create(db, settings, theirs.account_id, receiver.url)
    for act in (
        lambda: webhooks.disable_webhook(db, created.id, mine.account_id),
        lambda: webhooks.replay(db, created.id, 1, mine.account_id),
        lambda: webhooks.deliveries(db, created.id, mine.account_id),
    ):
        with pytest.raises(NotFound):
            act()


def test_the_test_event_is_sent_at_once_and_logged(db, delivering, tenant, receiver, sender):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    receiver.answer(Answer(200, body=b"pong"))
    sent = webhooks.send_test_event(
        db, created.id, tenant.account_id, secret_key=delivering.secret_key, sender=sender
    )
    assert sent.status.value == "delivered" and sent.status_code == 200 and sent.excerpt == "pong"
    (request,) = receiver.requests
    assert json.loads(request.body)["type"] == "webhook.test"
    Verifier(created.secret).verify(request.body, dict(request.headers))


def _set_failing_since(db: Database, webhook_id: str, days_ago: float) -> None:
    """Test setup: the endpoint's first failure happened this long ago."""
    from datetime import timedelta

    from sqlalchemy import update

    from enlist.clock import now
    from enlist.store.tables import webhooks as table

    with db.write() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == webhook_id)
            .values(failing_since=now() - timedelta(days=days_ago))
        )


def test_an_endpoint_failing_for_three_days_is_disabled_and_says_why(
    db, delivering, tenant, receiver
):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    _set_failing_since(db, created.id, 2.9)
    receiver.answer(Answer(503))
    _changes(db, tenant.account_id, 1)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    assert webhooks.webhook(db, created.id).enabled  # 2.9 days: still trying

    second = _create(db, delivering, tenant.account_id, receiver.url + "/two")
    _set_failing_since(db, second.id, 3.1)
    receiver.answer(Answer(503))
    _changes(db, tenant.account_id, 1, prefix="later")
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    found = webhooks.webhook(db, second.id)
    assert not found.enabled
    assert found.disabled_reason and "3 days" in found.disabled_reason


def test_retention_keeps_events_an_endpoint_still_has_to_send(db, delivering, tenant, receiver):
    from enlist.services import deliveries
    from enlist.services.events import events_after

    _create(db, delivering, tenant.account_id, receiver.url)
    receiver.answer(Answer(503))
    _changes(db, tenant.account_id, 2)
    with DeliveryWorker(db, delivering, threads=0) as worker:
        _deliver_all(worker)
    before = events_after(db, tenant.account_id, 0, 1000).events
    deliveries.prune(db, retention_days=-1)  # everything is "old"
    kept = events_after(db, tenant.account_id, 0, 1000).events
    # events before the webhook existed go; the two it has not received yet stay
    assert [e.data.get("name") for e in kept] == ["d0.example", "d1.example"]
    assert len(before) > len(kept)


def test_a_secret_key_change_disables_the_webhook_and_says_why(db, delivering, tenant, receiver):
    created = _create(db, delivering, tenant.account_id, receiver.url)
    _changes(db, tenant.account_id, 1)
    rotated = delivering.model_copy(update={"secret_key": "another operator key"})
    with DeliveryWorker(db, rotated, threads=0) as worker:
        _deliver_all(worker)
    assert receiver.requests == []
    found = webhooks.webhook(db, created.id)
    assert not found.enabled and "ENLIST_SECRET_KEY" in (found.disabled_reason or "")
