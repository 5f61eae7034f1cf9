"""HTTPS deliveries: connected to a checked address, yet verified against the URL's host name."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from enlist.dns import AddressResolver
from enlist.events.sender import DeliveryAttempt, Verdict, WebhookSender
from enlist.events.signing import new_secret
from tests.e2e.loopback_dns import LoopbackDns
from tests.receiver import Receiver

HOST = "hooks.calendar.test"
BODY = b'{"id":"evt-tls","type":"secret.created","data":{"id":"s1"}}'


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def https_receiver(authority: trustme.CA, *names: str) -> Receiver:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*names).configure_cert(context)
    return Receiver(tls=context)


@pytest.fixture
def named(dns: LoopbackDns) -> None:
    """HOST resolves to the receivers' address, in the loopback DNS server only."""
    dns.point(HOST, "127.0.0.1")


def deliver(sender: WebhookSender, receiver: Receiver) -> DeliveryAttempt:
    url = f"https://{HOST}:{receiver.port}/hooks"
    return sender.send(url, secret=new_secret(), event_id="evt-tls", body=BODY)


@pytest.fixture
def trusting_sender(authority: trustme.CA, resolve: AddressResolver) -> Iterator[WebhookSender]:
    """A sender whose only trusted authority is the tests' own."""
    context = ssl.create_default_context()
    authority.configure_trust(context)
    with WebhookSender(allow_private=True, resolve=resolve, ssl_context=context) as sender:
        yield sender


def test_https_delivery_sends_the_host_name_as_sni_and_in_the_host_header(
    authority: trustme.CA, trusting_sender: WebhookSender, named: None
) -> None:
    with https_receiver(authority, HOST) as receiver:
        attempt = deliver(trusting_sender, receiver)
        assert (attempt.verdict, attempt.status_code) == (Verdict.DELIVERED, 200)
        [delivery] = receiver.wait_for(1)
    assert delivery.server_name == HOST
    assert delivery.headers["host"] == f"{HOST}:{receiver.port}"
    assert delivery.body == BODY


def test_certificate_for_another_name_is_refused(
    authority: trustme.CA, trusting_sender: WebhookSender, named: None
) -> None:
    with https_receiver(authority, "someone-else.test") as receiver:
        attempt = deliver(trusting_sender, receiver)
        assert receiver.requests == []
    assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, None)
    assert attempt.error is not None and "CERTIFICATE_VERIFY_FAILED" in attempt.error


def test_certificate_for_the_connected_address_alone_is_refused(
    authority: trustme.CA, trusting_sender: WebhookSender, named: None
) -> None:
    # The connection goes to 127.0.0.1, but the certificate must name the URL's host.
    with https_receiver(authority, "127.0.0.1") as receiver:
        attempt = deliver(trusting_sender, receiver)
        assert receiver.requests == []
    assert attempt.verdict is Verdict.RETRY
    assert attempt.error is not None and "Hostname mismatch" in attempt.error


def test_certificate_from_an_unknown_authority_is_refused(
    authority: trustme.CA, resolve: AddressResolver, named: None
) -> None:
    with (
        https_receiver(authority, HOST) as receiver,
        WebhookSender(allow_private=True, resolve=resolve) as sender,  # the public authorities
    ):
        attempt = deliver(sender, receiver)
        assert receiver.requests == []
    assert attempt.verdict is Verdict.RETRY
    assert attempt.error is not None and "CERTIFICATE_VERIFY_FAILED" in attempt.error


def test_https_to_a_literal_address_is_verified_against_that_address(
    authority: trustme.CA, trusting_sender: WebhookSender
) -> None:
    with https_receiver(authority, "127.0.0.1") as receiver:
        attempt = trusting_sender.send(
            receiver.url + "/hooks", secret=new_secret(), event_id="evt-tls", body=BODY
        )
        assert attempt.verdict is Verdict.DELIVERED
        [delivery] = receiver.wait_for(1)
    assert delivery.server_name is None  # no SNI for an address (RFC 6066)
