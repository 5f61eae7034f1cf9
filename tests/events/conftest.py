"""Webhook delivery fixtures: a real receiver on loopback, a real DNS server, real senders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from enlist.dns import AddressResolver
from enlist.events.sender import WebhookSender
from tests.e2e.loopback_dns import LoopbackDns
from tests.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def dns(dns_server: LoopbackDns) -> Iterator[LoopbackDns]:
    """The loopback DNS server, with no names left over from another test."""
    dns_server.addresses.clear()
    yield dns_server
    dns_server.addresses.clear()


@pytest.fixture
def resolve(dns: LoopbackDns) -> AddressResolver:
    """Looks names up in the loopback DNS server only (never /etc/hosts)."""
    return AddressResolver(dns.address, timeout=2.0)


@pytest.fixture
def sender(resolve: AddressResolver) -> Iterator[WebhookSender]:
    """A sender as the tests' operator runs it: receivers on loopback allowed."""
    with WebhookSender(allow_private=True, resolve=resolve) as running:
        yield running
