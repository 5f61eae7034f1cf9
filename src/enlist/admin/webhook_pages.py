"""Webhooks: add an endpoint (its secret shown once), enable or disable it, send a test
event, replay, and read its delivery log."""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

from enlist.admin.visit import PageRoute, Visit
from enlist.domain.errors import EnlistError, InvalidValue
from enlist.domain.events import EventType
from enlist.domain.webhooks import Webhook
from enlist.events.sender import WebhookSender
from enlist.services import webhooks
from enlist.services.sealing import seal, unseal

# Carries the new secret, sealed, from the POST to the page it redirects to (shown once).
SECRET_COOKIE = "enlist_webhook_secret"
_SECRET_PURPOSE = "webhook secret on its way to the admin"
_SECRET_SECONDS = 120
EVENT_TYPES = [kind.value for kind in EventType]


def webhooks_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    return visit.render(
        "webhooks.html",
        status_code=status,
        hooks=webhooks.webhooks(visit.db, visit.account_id),
        event_types=EVENT_TYPES,
        error=error,
        form={"url": visit.field("url"), "events": _chosen(visit)},
    )


def add_webhook(visit: Visit) -> Response:
    url = visit.field("url")
    try:
        created = webhooks.create_webhook(
            visit.db,
            visit.account_id,
            url,
            _chosen(visit),
            secret_key=visit.settings.secret_key,
            allow_private=visit.settings.webhook_allow_private,
            actor=visit.actor,
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "webhook.create",
            f"Refused to add the webhook {url!r}",
            partial(webhooks_page, visit),
            resource_type="Webhook",
            resource_name=url or None,
        )
    response = visit.redirect(f"/webhooks/{created.id}")
    sealed = seal(visit.db, visit.settings.secret_key, _SECRET_PURPOSE, created.secret)
    carried = visit.site.signer.sign("webhook-secret", {"id": created.id, "sealed": sealed})
    visit.site.set_cookie(visit.request, response, SECRET_COOKIE, carried, _SECRET_SECONDS)
    return response


def webhook_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    hook = _webhook(visit)
    secret = _new_secret(visit, hook)
    response = visit.render(
        "webhook.html",
        status_code=status,
        hook=hook,
        secret=secret,
        log=webhooks.deliveries(visit.db, hook.id, visit.account_id),
        error=error,
    )
    if SECRET_COOKIE in visit.request.cookies:
        response.delete_cookie(SECRET_COOKIE, path="/")  # shown once, even on a reload
    return response


def disable(visit: Visit) -> Response:
    hook = webhooks.disable_webhook(
        visit.db, _webhook(visit).id, visit.account_id, actor=visit.actor
    )
    return visit.redirect(
        f"/webhooks/{hook.id}", "Disabled. Events wait for the webhook until you enable it."
    )


def enable(visit: Visit) -> Response:
    hook = webhooks.enable_webhook(
        visit.db, _webhook(visit).id, visit.account_id, actor=visit.actor
    )
    return visit.redirect(
        f"/webhooks/{hook.id}", "Enabled. Waiting events are delivered now, oldest first."
    )


def send_test(visit: Visit) -> Response:
    hook = _webhook(visit)
    with WebhookSender(allow_private=visit.settings.webhook_allow_private) as sender:
        sent = webhooks.send_test_event(
            visit.db,
            hook.id,
            visit.account_id,
            secret_key=visit.settings.secret_key,
            sender=sender,
        )
    if sent.status.value == "delivered":
        return visit.redirect(
            f"/webhooks/{hook.id}", f"The test event was delivered ({sent.status_code})."
        )
    answer = f"it answered {sent.status_code}" if sent.status_code else sent.excerpt or ""
    return visit.redirect(
        f"/webhooks/{hook.id}", f"The test event was not delivered: {answer}", "error"
    )


def replay(visit: Visit) -> Response:
    hook = _webhook(visit)
    raw = visit.field("from")
    try:
        if not raw.isdigit():
            raise InvalidValue(f"Replay from a sequence number (1 or more), not {raw!r}.")
        queued = webhooks.replay(visit.db, hook.id, int(raw), visit.account_id, actor=visit.actor)
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "webhook.replay",
            f"Refused to replay events for the webhook {hook.url}",
            partial(webhook_page, visit),
            resource_type="Webhook",
            resource_id=hook.id,
            resource_name=hook.url,
        )
    return visit.redirect(
        f"/webhooks/{hook.id}", f"Queued {queued} events from sequence {raw} to send again."
    )


def _webhook(visit: Visit) -> Webhook:
    return webhooks.webhook(visit.db, visit.request.path_params["id"], visit.account_id)


def _chosen(visit: Visit) -> list[str]:
    if visit.form is None:
        return []
    return [v for v in visit.form.getlist("events") if isinstance(v, str)]


def _new_secret(visit: Visit, hook: Webhook) -> str | None:
    carried = visit.site.signer.unsign(
        "webhook-secret", visit.request.cookies.get(SECRET_COOKIE), _SECRET_SECONDS
    )
    if not isinstance(carried, dict) or carried.get("id") != hook.id:
        return None
    sealed = carried.get("sealed")
    if not isinstance(sealed, str):
        return None
    return unseal(visit.db, visit.settings.secret_key, _SECRET_PURPOSE, sealed)


ROUTES: list[PageRoute] = [
    ("/webhooks", ["GET"], webhooks_page, False),
    ("/webhooks", ["POST"], add_webhook, False),
    ("/webhooks/{id}", ["GET"], webhook_page, False),
    ("/webhooks/{id}/disable", ["POST"], disable, False),
    ("/webhooks/{id}/enable", ["POST"], enable, False),
    ("/webhooks/{id}/test", ["POST"], send_test, False),
    ("/webhooks/{id}/replay", ["POST"], replay, False),
]
