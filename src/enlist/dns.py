"""DNS lookups with dnspython against a configurable server: TXT records and host addresses."""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver

from enlist.domain.errors import InvalidValue


def resolver_for(server: str = "", timeout: float = 5.0) -> dns.resolver.Resolver:
    """A resolver asking `server` ("host" or "host:port"; tests use loopback), else the system's."""
    resolver = dns.resolver.Resolver(configure=not server)
    if server:
        host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        resolver.nameservers = [host or server]
        if port:
            resolver.port = int(port)
    resolver.lifetime = timeout
    return resolver


def _lookup_failed(name: str, exc: dns.exception.DNSException) -> InvalidValue:
    return InvalidValue(
        f"The DNS lookup of {name} failed ({exc.__class__.__name__}); try again shortly."
    )


class TxtResolver:
    """Reads a domain's TXT records; `server` is "host" or "host:port" (tests use loopback)."""

    def __init__(self, server: str = "", timeout: float = 5.0) -> None:
        self.resolver = resolver_for(server, timeout)

    def __call__(self, domain: str) -> list[str]:
        try:
            answer = self.resolver.resolve(domain, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise _lookup_failed(domain, exc) from None
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


class AddressResolver:
    """Every IPv4 and IPv6 address of a host name (A and AAAA), asked of one DNS server.

    The webhook sender's `resolve` hook when addresses must come from a given server
    rather than the system resolver (whose answers also include /etc/hosts).
    """

    def __init__(self, server: str = "", timeout: float = 5.0) -> None:
        self.resolver = resolver_for(server, timeout)

    def __call__(self, host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
        for record_type in ("A", "AAAA"):
            try:
                answer = self.resolver.resolve(host, record_type)
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                continue
            except dns.exception.DNSException as exc:
                raise _lookup_failed(host, exc) from None
            addresses.extend(ipaddress.ip_address(record.address) for record in answer)
        if not addresses:
            raise InvalidValue(f"The host name {host} has no address in DNS.")
        return addresses
