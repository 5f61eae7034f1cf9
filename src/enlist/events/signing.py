"""Webhook signing secrets and Standard Webhooks signatures (the `standardwebhooks` package)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for 24 to 64 random bytes; 32 match the key size of HMAC-SHA256.
SECRET_BYTES = 32


def new_secret() -> str:
    """A new signing secret: `whsec_` + base64 of 32 random bytes, shown to the admin once."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_headers(secret: str, event_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The `webhook-id`, `webhook-timestamp` and `webhook-signature` headers of one attempt.

    `at` is the time of the attempt (timezone-aware), not of the event: receivers refuse
    timestamps more than a few minutes old, so every retry is signed anew. `body` must be
    the exact bytes sent, UTF-8 JSON.
    """
    # The package stamps the time as UTC without converting it, so hand it UTC.
    moment = at.astimezone(UTC)
    signature = Webhook(secret).sign(event_id, moment, body.decode("utf-8"))
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
