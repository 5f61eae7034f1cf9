"""Where a webhook may be sent: absolute http(s) URLs whose every address is public."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from enlist.domain.errors import InvalidValue

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Every address of a host name; raises InvalidValue (in plain words) when there is none.
Resolve = Callable[[str], Sequence[IPAddress]]

MAX_URL_LENGTH = 2048

# First match gives the reason. IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4)
# are judged by that address before this table is read.
_REFUSED_NETWORKS = tuple(
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", "an unspecified address"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.0.0.0/24", "a reserved address"),
        ("192.0.2.0/24", "a reserved address (documentation)"),
        ("192.88.99.0/24", "a reserved address"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        ("198.18.0.0/15", "a reserved address (benchmarking)"),
        ("198.51.100.0/24", "a reserved address (documentation)"),
        ("203.0.113.0/24", "a reserved address (documentation)"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/8", "a reserved address"),
        ("64:ff9b:1::/48", "a private address (local-use NAT64)"),
        ("100::/64", "a reserved address"),
        ("2001::/23", "a reserved address"),
        ("2001:db8::/32", "a reserved address (documentation)"),
        ("3fff::/20", "a reserved address (documentation)"),
        ("fc00::/7", "a private address (unique local)"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a private address (site-local)"),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class CheckedUrl:
    """A webhook URL that passed the rules, with the addresses it may be sent to."""

    url: str  # normalised by httpx, the parser that sends it: what to store and show
    scheme: str  # "http" or "https"
    host: str  # a name in ASCII (IDNA), or an IP address without brackets
    addresses: tuple[IPAddress, ...]  # every address of `host`, each one allowed

    @property
    def host_is_address(self) -> bool:
        """True when the URL names an IP address rather than a host name."""
        return _literal_address(self.host) is not None


def refusal(address: IPAddress) -> str | None:
    """Why no webhook may go to `address` ("a loopback address"), or None for a public one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        form, ipv4 = embedded
        reason = refusal(ipv4)
        return None if reason is None else f"{reason} in {form} form"
    for network, reason in _REFUSED_NETWORKS:
        if address in network:
            return reason
    # Backstop for anything the table misses (the standard library's registry of
    # special-purpose blocks); it can only refuse more.
    if not address.is_global:
        return "not a public internet address"
    return None


def resolve_system(host: str) -> list[IPAddress]:
    """Every address the system resolver (/etc/hosts, then DNS) gives for `host`."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InvalidValue(f"The host name {host} does not resolve to an address.") from None
    return [ipaddress.ip_address(sockaddr[0]) for *_, sockaddr in found]


def check_url(url: str, *, allow_private: bool, resolve: Resolve = resolve_system) -> CheckedUrl:
    """The checked form of a webhook URL, or InvalidValue saying in plain words what is wrong.

    Only absolute http:// and https:// URLs with a host and no user name or password pass,
    and only when every address the host resolves to is public; `allow_private` (the
    operator's ENLIST_WEBHOOK_ALLOW_PRIVATE) lifts the address rule alone. Check again
    right before each attempt and connect only to the returned addresses: by then the
    name may point elsewhere (DNS rebinding).
    """
    parsed = _parse(url)
    host = parsed.raw_host.decode("ascii")
    literal = _literal_address(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        addresses = tuple(dict.fromkeys(resolve(host)))
        if not addresses:
            raise InvalidValue(f"The host name {host} has no address.")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                where = f"address {host} is" if literal else f"host {host} resolves to {address},"
                raise InvalidValue(
                    f"The webhook URL's {where} {reason}; "
                    "webhooks are sent only to public internet addresses."
                )
    return CheckedUrl(url=str(parsed), scheme=parsed.scheme, host=host, addresses=addresses)


def _parse(url: str) -> httpx.URL:
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidValue(f"The webhook URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise InvalidValue(f"The webhook URL cannot be read: {exc}.") from None
    if parsed.scheme not in ("http", "https") or not parsed.is_absolute_url:
        raise InvalidValue("The webhook URL must start with https:// (or http://) and a host.")
    if parsed.userinfo:
        raise InvalidValue(
            "The webhook URL must not contain a user name or password; "
            "receivers check the signature of each delivery instead."
        )
    return parsed


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(address: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    return None
