"""`enlist webhook` and `enlist worker`: endpoints for the account's events, and delivery."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from enlist.cli.common import AccountId, DatabaseUrl, JsonFlag, fail, run, say, settings_of, when
from enlist.services import webhooks

webhook_app = typer.Typer(
    help="Webhook endpoints that receive the account's events (Standard Webhooks).",
    no_args_is_help=True,
)

WebhookId = Annotated[str, typer.Argument(metavar="ID", help="The webhook's id.")]


@webhook_app.command("create")
def webhook_create(
    account: AccountId,
    url: Annotated[str, typer.Option("--url", metavar="URL", help="Where to POST events.")],
    events: Annotated[
        str,
        typer.Option(
            "--events", metavar="TYPE,TYPE", help="Only these event types (default: all)."
        ),
    ] = "",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a webhook; it receives the account's events from now on. The signing secret
    is shown only now.

    With --json: {"id": "WEBHOOK_ID", "url": "https://...", "secret": "whsec_..."}
    """
    settings = settings_of(database_url)
    types = [t for t in events.split(",") if t.strip()] or None
    created = run(
        settings,
        lambda db: webhooks.create_webhook(
            db,
            account,
            url,
            types,
            secret_key=settings.secret_key,
            allow_private=settings.webhook_allow_private,
        ),
    )
    say(
        as_json,
        {"id": created.id, "url": created.url, "secret": created.secret},
        f"Webhook {created.id} for {created.url}; its signing secret, shown only now:\n"
        f"{created.secret}",
    )


@webhook_app.command("list")
def webhook_list(
    account: AccountId, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """List the account's webhooks (never their secrets).

    With --json: {"webhooks": [{"id": "WEBHOOK_ID", "url": "https://...", "events": null,
    "enabled": true, "failing_since": null}]}
    """
    found = run(settings_of(database_url), lambda db: webhooks.webhooks(db, account))
    rows = [
        {
            "id": w.id,
            "url": w.url,
            "events": list(w.event_types) if w.event_types else None,
            "enabled": w.enabled,
            "failing_since": when(w.failing_since),
        }
        for w in found
    ]
    text = "\n".join(
        f"{w.id}  {w.url}  {'enabled' if w.enabled else 'DISABLED'}"
        + (f"  failing since {when(w.failing_since)}" if w.failing_since else "")
        + (f"  ({w.disabled_reason})" if w.disabled_reason else "")
        for w in found
    )
    say(as_json, {"webhooks": rows}, text or "No webhooks yet.")


@webhook_app.command("disable")
def webhook_disable(
    webhook_id: WebhookId, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """Stop delivering to a webhook; its events wait (within retention) until enabled.

    With --json: {"id": "WEBHOOK_ID", "enabled": false}
    """
    run(settings_of(database_url), lambda db: webhooks.disable_webhook(db, webhook_id))
    say(as_json, {"id": webhook_id, "enabled": False}, f"Webhook {webhook_id} is disabled.")


@webhook_app.command("enable")
def webhook_enable(
    webhook_id: WebhookId, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """Deliver to a webhook again, starting with the events that waited.

    With --json: {"id": "WEBHOOK_ID", "enabled": true}
    """
    run(settings_of(database_url), lambda db: webhooks.enable_webhook(db, webhook_id))
    say(as_json, {"id": webhook_id, "enabled": True}, f"Webhook {webhook_id} is enabled.")


@webhook_app.command("replay")
def webhook_replay(
    webhook_id: WebhookId,
    start: Annotated[
        int,
        typer.Option("--from", metavar="SEQUENCE", help="The first event sequence to send again."),
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send a webhook the account's kept events again, from a sequence number on, in order.

    With --json: {"id": "WEBHOOK_ID", "queued": 12}
    """
    queued = run(settings_of(database_url), lambda db: webhooks.replay(db, webhook_id, start))
    say(
        as_json,
        {"id": webhook_id, "queued": queued},
        f"Queued {queued} events for webhook {webhook_id}.",
    )


def worker(database_url: DatabaseUrl = None) -> None:
    """Deliver webhooks until stopped (for operators who run delivery apart from serve;
    set ENLIST_WEBHOOK_DELIVERY=false on the servers then)."""
    from enlist.events.worker import DeliveryWorker
    from enlist.store.db import Database

    settings = settings_of(database_url)
    try:
        db = Database.open(settings.database_url)
    except Exception as exc:
        raise fail(f"Cannot open the database: {exc.__class__.__name__}") from exc
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    delivery = DeliveryWorker(db, settings)
    delivery.start()
    typer.echo(f"Delivering webhooks ({delivery.threads} threads); Ctrl-C stops.", err=True)
    try:
        stopped.wait()
    finally:
        delivery.stop()
        db.dispose()
