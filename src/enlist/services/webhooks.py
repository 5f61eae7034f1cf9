"""Webhook endpoints of an account: create (secret shown once), list, enable, disable,
replay, send a test event, read the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from enlist.clock import new_id, now
from enlist.domain.errors import InvalidValue, NotFound
from enlist.domain.events import Event
from enlist.domain.webhooks import TEST_EVENT_TYPE, Delivery, DeliveryStatus, Webhook, event_types
from enlist.encoding import to_json
from enlist.events.addresses import Resolve, check_url, resolve_system
from enlist.events.sender import Verdict, WebhookSender
from enlist.events.signing import new_secret
from enlist.services.sealing import seal, unseal
from enlist.services.tenancy import require_account
from enlist.services.unit import OPERATOR, Actor, writing
from enlist.store.db import Database
from enlist.store.events import EventStore
from enlist.store.webhooks import Attempt, WebhookStore

SECRET_PURPOSE = "webhook signing secret"
LOG_LENGTH = 50


@dataclass(frozen=True)
class NewWebhook:
    id: str
    url: str
    secret: str  # the only time the signing secret is shown


def create_webhook(
    db: Database,
    account_id: str,
    url: str,
    types: list[str] | None = None,
    *,
    secret_key: str,
    allow_private: bool,
    actor: Actor = OPERATOR,
    resolve: Resolve = resolve_system,
) -> NewWebhook:
    """A new endpoint that receives the account's events from now on.

    The URL must be http(s) and resolve to public addresses only, unless the operator
    allows private ones (ENLIST_WEBHOOK_ALLOW_PRIVATE); it is checked again before each
    delivery, since a name can change what it points to.
    """
    checked = check_url(url, allow_private=allow_private, resolve=resolve)
    chosen = event_types(types)
    secret = new_secret()
    sealed = seal(db, secret_key, SECRET_PURPOSE, secret)
    webhook_id = new_id()
    with writing(db, account_id, actor) as change:
        require_account(change.conn, account_id)
        cursor = EventStore(change.conn).last_sequence(account_id)
        WebhookStore(change.conn).add(
            Webhook(
                id=webhook_id,
                account_id=account_id,
                url=checked.url,
                event_types=chosen,
                enabled=True,
                failing_since=None,
                disabled_reason=None,
                created=now(),
                created_by=actor.id,
                cursor=cursor,
            ),
            sealed,
        )
        change.log(
            "webhook.create",
            f"Added the webhook {checked.url} ({_types_in_words(chosen)}).",
            resource_type="Webhook",
            resource_id=webhook_id,
            resource_name=checked.url,
        )
    return NewWebhook(id=webhook_id, url=checked.url, secret=secret)


def webhooks(db: Database, account_id: str) -> list[Webhook]:
    """The account's endpoints, oldest first."""
    with db.read() as conn:
        require_account(conn, account_id)
        return WebhookStore(conn).of_account(account_id)


def webhook(db: Database, webhook_id: str, account_id: str | None = None) -> Webhook:
    """One endpoint; another account's id is NotFound, like an id that never existed."""
    with db.read() as conn:
        found = WebhookStore(conn).get(webhook_id, account_id)
    if found is None:
        raise NotFound(f"There is no webhook {webhook_id}.")
    return found


def disable_webhook(
    db: Database,
    webhook_id: str,
    account_id: str | None = None,
    *,
    actor: Actor = OPERATOR,
    reason: str | None = None,
) -> Webhook:
    """Stop delivering to the endpoint; its queue waits (within retention) until enabled."""
    found = webhook(db, webhook_id, account_id)
    with writing(db, found.account_id, actor) as change:
        if WebhookStore(change.conn).disable(webhook_id, reason):
            change.log(
                "webhook.disable",
                f"Disabled the webhook {found.url}" + (f": {reason}" if reason else "."),
                resource_type="Webhook",
                resource_id=webhook_id,
                resource_name=found.url,
            )
    return webhook(db, webhook_id)


def enable_webhook(
    db: Database, webhook_id: str, account_id: str | None = None, *, actor: Actor = OPERATOR
) -> Webhook:
    """Deliver to the endpoint again, starting with what waited while it was disabled."""
    found = webhook(db, webhook_id, account_id)
    with writing(db, found.account_id, actor) as change:
        if WebhookStore(change.conn).enable(webhook_id, now()):
            change.log(
                "webhook.enable",
                f"Enabled the webhook {found.url}.",
                resource_type="Webhook",
                resource_id=webhook_id,
                resource_name=found.url,
            )
    return webhook(db, webhook_id)


def replay(
    db: Database,
    webhook_id: str,
    first: int,
    account_id: str | None = None,
    *,
    actor: Actor = OPERATOR,
) -> int:
    """Send the endpoint again the account's kept events from sequence `first` on (those
    of its types), in order, after what it still has queued; returns how many."""
    if first < 1:
        raise InvalidValue("Replay starts at a sequence number of 1 or more.")
    found = webhook(db, webhook_id, account_id)
    with writing(db, found.account_id, actor) as change:
        store = WebhookStore(change.conn)
        current = store.get(webhook_id)
        assert current is not None
        queued = store.queue_replay(current, first, now())
        change.log(
            "webhook.replay",
            f"Queued {queued} events from sequence {first} again for the webhook {found.url}.",
            resource_type="Webhook",
            resource_id=webhook_id,
            resource_name=found.url,
        )
    db.announce(found.account_id)  # wake the workers of this process
    return queued


def send_test_event(
    db: Database,
    webhook_id: str,
    account_id: str | None = None,
    *,
    secret_key: str,
    sender: WebhookSender,
) -> Delivery:
    """Post a `webhook.test` event to the endpoint now (once, not retried); the attempt
    goes into the delivery log and is returned."""
    found = webhook(db, webhook_id, account_id)
    secret = signing_secret(db, webhook_id, secret_key)
    moment = now()
    event = Event(
        new_id(),
        0,
        TEST_EVENT_TYPE,
        moment,
        found.account_id,
        {"type": "system", "id": "enlist"},
        {"id": found.id, "url": found.url},
    )
    sent = sender.send(found.url, secret=secret, event_id=event.id, body=body_of(event))
    status = (
        DeliveryStatus.DELIVERED if sent.verdict is Verdict.DELIVERED else (DeliveryStatus.FAILED)
    )
    with db.write() as conn:
        store = WebhookStore(conn)
        store.add_test(
            webhook_id,
            moment,
            Attempt(status, sent.status_code, sent.latency_ms, sent.error or sent.excerpt),
        )
        return store.log(webhook_id, 1)[0]


def deliveries(
    db: Database, webhook_id: str, account_id: str, limit: int = LOG_LENGTH
) -> list[Delivery]:
    """The endpoint's delivery log, newest first."""
    webhook(db, webhook_id, account_id)
    with db.read() as conn:
        return WebhookStore(conn).log(webhook_id, limit)


def signing_secret(db: Database, webhook_id: str, secret_key: str) -> str:
    """The endpoint's secret in the clear, to sign with (never shown again)."""
    with db.read() as conn:
        sealed = WebhookStore(conn).sealed_secret(webhook_id)
    return unseal_secret(db, sealed, secret_key)


def unseal_secret(db: Database, sealed: str, secret_key: str) -> str:
    secret = unseal(db, secret_key, SECRET_PURPOSE, sealed)
    if secret is None:
        raise InvalidValue(
            "The webhook's signing secret was sealed under another ENLIST_SECRET_KEY; "
            "create the webhook again."
        )
    return secret


def body_of(event: Event) -> bytes:
    """The exact bytes a delivery posts (and signs): the event object as UTF-8 JSON."""
    return to_json(event.document())


def _types_in_words(chosen: tuple[str, ...] | None) -> str:
    return "every event type" if chosen is None else ", ".join(chosen)
