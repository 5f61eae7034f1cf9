"""TXT lookups for domain verification, with dnspython against a configurable server."""

from __future__ import annotations

import dns.exception
import dns.resolver

from enlist.domain.errors import InvalidValue


class TxtResolver:
    """Reads a domain's TXT records; `server` is "host" or "host:port" (tests use loopback)."""

    def __init__(self, server: str = "", timeout: float = 5.0) -> None:
        self.resolver = dns.resolver.Resolver(configure=not server)
        if server:
            host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
            self.resolver.nameservers = [host or server]
            if port:
                self.resolver.port = int(port)
        self.resolver.lifetime = timeout

    def __call__(self, domain: str) -> list[str]:
        try:
            answer = self.resolver.resolve(domain, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise InvalidValue(
                f"The DNS lookup of {domain} failed ({exc.__class__.__name__}); try again shortly."
            ) from None
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]
