"""Webhook delivery fixtures: a real DNS server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from enlist.dns import AddressResolver
from tests.e2e.loopback_dns import LoopbackDns


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
