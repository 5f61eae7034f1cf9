"""A real DNS server on 127.0.0.1 for tests: answers TXT, A and AAAA queries from dicts.

It speaks the DNS wire protocol over UDP (parsed and built with dnspython), so Enlist's
`TxtResolver` and `AddressResolver` do genuine lookups against it;
ENLIST_DNS_SERVER=127.0.0.1:<port>.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class LoopbackDns:
    """TXT records and addresses by domain name; names in neither answer NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.addresses: dict[str, list[str]] = {}
        self.queries: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="loopback-dns", daemon=True)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def address(self) -> str:
        """What ENLIST_DNS_SERVER takes."""
        return f"127.0.0.1:{self.port}"

    def publish(self, name: str, *values: str) -> None:
        self.records.setdefault(name.lower().rstrip("."), []).extend(values)

    def point(self, name: str, *addresses: str) -> None:
        """Answer A and AAAA queries for `name` with `addresses` (IPv4 and IPv6) from now on."""
        self.addresses[name.lower().rstrip(".")] = [str(ipaddress.ip_address(a)) for a in addresses]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                answer = self._answer(wire)
            except dns.exception.DNSException:  # malformed: drop it, as a real server would
                continue
            self._socket.sendto(answer, client)

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = question.name.to_text(omit_final_dot=True).lower()
            self.queries.append(name)
            if name not in self.records and name not in self.addresses:
                response.set_rcode(dns.rcode.NXDOMAIN)
                continue
            values = self._values(name, question.rdtype)
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(
                        question.name, 60, dns.rdataclass.IN, question.rdtype, values
                    )
                )
        return response.to_wire()

    def _values(self, name: str, rdtype: dns.rdatatype.RdataType) -> list[str]:
        if rdtype == dns.rdatatype.TXT:
            return [
                '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                for v in self.records.get(name, [])
            ]
        version = {dns.rdatatype.A: 4, dns.rdatatype.AAAA: 6}.get(rdtype)
        return [
            a for a in self.addresses.get(name, []) if ipaddress.ip_address(a).version == version
        ]


@contextmanager
def loopback_dns() -> Iterator[LoopbackDns]:
    server = LoopbackDns()
    server.start()
    try:
        yield server
    finally:
        server.stop()
