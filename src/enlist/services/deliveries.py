"""Webhook delivery as use cases for the workers: claim endpoints, take the head of an
endpoint's queue, record what each attempt found, give up on an endpoint, prune old events.

Sending itself is the worker's (events/worker.py); each function here is one transaction.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from enlist.clock import now
from enlist.domain.errors import InvalidValue
from enlist.domain.events import Event
from enlist.domain.webhooks import Delivery, DeliveryStatus, Webhook
from enlist.events.backoff import GIVE_UP_AFTER, retry_delay, should_disable
from enlist.events.sender import DeliveryAttempt, Verdict
from enlist.services.unit import SYSTEM, Change, writing
from enlist.services.webhooks import body_of, disable_webhook, unseal_secret
from enlist.store.db import Database
from enlist.store.webhooks import Attempt, WebhookStore

log = logging.getLogger("enlist.webhooks")
DELIVERED, FAILED, PENDING = DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.PENDING

# Events read from the outbox into an endpoint's queue per batch.
QUEUE_READ = 1000


@dataclass(frozen=True)
class Outgoing:
    """One delivery to attempt: its row, its event, and the exact body to post."""

    delivery: Delivery
    event: Event
    body: bytes


@dataclass(frozen=True)
class Batch:
    """The head of one claimed endpoint's queue, due now, in sequence order."""

    webhook: Webhook
    secret: str
    items: list[Outgoing]


def take(
    db: Database,
    worker: str,
    lease: timedelta,
    secret_key: str,
    size: int,
    secrets: dict[str, str],
) -> Batch | None:
    """Claim one endpoint with something to send, queue its new events and return the due
    head of its queue, in one transaction (None: nothing to send anywhere right now).

    `secrets` is the worker's cache of unsealed signing secrets, by sealed value. An
    endpoint whose secret cannot be unsealed any more (ENLIST_SECRET_KEY changed) is
    disabled with the reason.
    """
    moment = now()
    with db.read() as conn:
        if not WebhookStore(conn).any_claimable(moment):
            return None
    with db.write() as conn:
        store = WebhookStore(conn)
        claimed = store.claim(worker, moment, moment + lease, 1)
        if not claimed:
            return None
        found = store.get(claimed[0])
        assert found is not None
        store.queue_new(found, moment, QUEUE_READ)
        head = store.due(found.id, moment, size)
        if not head:
            store.release(found.id, worker)
            return Batch(found, "", [])
        sealed = store.sealed_secret(found.id)
    secret = secrets.get(sealed)
    if secret is None:
        try:
            secret = secrets[sealed] = unseal_secret(db, sealed, secret_key)
        except InvalidValue as unreadable:
            release(db, found.id, worker)
            disable_webhook(db, found.id, actor=SYSTEM, reason=unreadable.detail)
            return Batch(found, "", [])
    return Batch(found, secret, [Outgoing(d, e, body_of(e)) for d, e in head])


def record(db: Database, worker: str, batch: Batch, attempts: list[DeliveryAttempt]) -> bool:
    """Record the attempts of a batch (in order; a retry ends it) and release the endpoint.

    False when the claim was lost meanwhile (the worker stalled past its lease and another
    took the endpoint over): nothing is recorded, the other worker sends those deliveries
    again, and receivers deduplicate by event id.
    """
    moment = now()
    webhook = batch.webhook
    with writing(db, webhook.account_id, SYSTEM) as change:
        store = WebhookStore(change.conn)
        if not store.holds(webhook.id, worker):
            return False
        outcomes: list[tuple[int, datetime, Attempt, datetime]] = []
        retry_at: datetime | None = None
        for item, attempt in zip(batch.items, attempts, strict=False):
            delivery = item.delivery
            if attempt.verdict is Verdict.DELIVERED:
                outcomes.append((delivery.pk, moment, _attempt(DELIVERED, attempt), moment))
            elif attempt.verdict is Verdict.PERMANENT:
                log.warning(
                    "webhook %s refused event %s (%s) with %s; it is not sent again",
                    webhook.id,
                    item.event.id,
                    item.event.type,
                    attempt.status_code,
                )
                outcomes.append((delivery.pk, moment, _attempt(FAILED, attempt), moment))
            else:
                wait = retry_delay(
                    delivery.attempts + 1, jitter=random.random(), retry_after=attempt.retry_after
                )
                retry_at = moment + wait
                outcomes.append((delivery.pk, moment, _attempt(PENDING, attempt), retry_at))
        store.record(outcomes)
        if any(a.verdict is Verdict.DELIVERED for a in attempts):
            store.succeeded(webhook.id)
        if retry_at is not None:  # only a batch's last attempt can be one to retry
            store.retry_later(webhook.id, moment, retry_at)
            _give_up_if_failing(change, store, webhook, moment)
        store.release(webhook.id, worker)
    return True


def release(db: Database, webhook_id: str, worker: str) -> None:
    with db.write() as conn:
        WebhookStore(conn).release(webhook_id, worker)


def prune(db: Database, retention_days: int) -> int:
    """Delete events older than the retention that every enabled endpoint has sent."""
    with db.write() as conn:
        return WebhookStore(conn).prune(now() - timedelta(days=retention_days))


def _give_up_if_failing(
    change: Change, store: WebhookStore, webhook: Webhook, moment: datetime
) -> None:
    current = store.get(webhook.id)
    if current is None or not should_disable(current.failing_since, moment):
        return
    assert current.failing_since is not None
    since = current.failing_since.strftime("%Y-%m-%d %H:%M UTC")
    reason = (
        f"Deliveries failed without a success since {since} "
        f"({GIVE_UP_AFTER.days} days); enable the webhook once the receiver is fixed."
    )
    store.disable(webhook.id, reason)
    change.log(
        "webhook.disable",
        f"Disabled the webhook {webhook.url}: {reason}",
        resource_type="Webhook",
        resource_id=webhook.id,
        resource_name=webhook.url,
    )
    log.warning("webhook %s disabled: %s", webhook.id, reason)


def _attempt(status: DeliveryStatus, attempt: DeliveryAttempt) -> Attempt:
    excerpt = attempt.excerpt
    if attempt.error:
        excerpt = attempt.error if not excerpt else f"{attempt.error}\n{excerpt}"
    return Attempt(status, attempt.status_code, attempt.latency_ms, excerpt)
