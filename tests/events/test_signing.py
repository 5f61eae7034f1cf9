"""Deliveries carry Standard Webhooks signatures that the reference verifier accepts."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from enlist.events.sender import WebhookSender
from enlist.events.signing import new_secret, signature_headers
from tests.receiver import Receiver

EVENT_ID = "0b6c0f5e6e1f4d2c9a4a3c3f8f3b7a10"
EVENT = {
    "id": EVENT_ID,
    "sequence": 7,
    "type": "person.deactivated",
    "time": "2026-03-02T10:00:00.000Z",
    "account": "acct",
    "actor": {"type": "scim", "secret": "s1"},
    "data": {"id": "u1", "userName": "jane@example.com"},
}
BODY = json.dumps(EVENT).encode()


def test_new_secret_is_whsec_and_the_base64_of_32_random_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and second.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert first != second


def test_receiver_verifies_a_delivery_with_the_reference_verifier(
    sender: WebhookSender, receiver: Receiver
) -> None:
    secret = new_secret()
    sender.send(receiver.url + "/hooks", secret=secret, event_id=EVENT_ID, body=BODY)
    [delivery] = receiver.wait_for(1)
    assert delivery.headers["webhook-id"] == EVENT_ID
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.body == BODY
    assert Webhook(secret).verify(delivery.body, dict(delivery.headers)) == EVENT


def test_tampered_body_fails_verification(sender: WebhookSender, receiver: Receiver) -> None:
    secret = new_secret()
    sender.send(receiver.url, secret=secret, event_id=EVENT_ID, body=BODY)
    [delivery] = receiver.wait_for(1)
    tampered = delivery.body.replace(b"person.deactivated", b"person.reactivated")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, dict(delivery.headers))


def test_another_endpoints_secret_fails_verification(
    sender: WebhookSender, receiver: Receiver
) -> None:
    sender.send(receiver.url, secret=new_secret(), event_id=EVENT_ID, body=BODY)
    [delivery] = receiver.wait_for(1)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(delivery.body, dict(delivery.headers))


def test_each_attempt_is_signed_at_the_time_it_is_sent(
    sender: WebhookSender, receiver: Receiver
) -> None:
    sender.send(receiver.url, secret=new_secret(), event_id=EVENT_ID, body=BODY)
    [delivery] = receiver.wait_for(1)
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 5


def test_a_signature_from_ten_minutes_ago_is_refused_as_a_replay() -> None:
    secret = new_secret()
    old = signature_headers(secret, EVENT_ID, BODY, datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, old)


def test_a_time_in_another_timezone_signs_the_same_instant() -> None:
    secret = new_secret()
    paris = datetime.now(timezone(timedelta(hours=2)))
    headers = signature_headers(secret, EVENT_ID, BODY, paris)
    assert headers["webhook-timestamp"] == str(int(paris.timestamp()))
    assert Webhook(secret).verify(BODY, headers) == EVENT
