"""Webhook URLs: only http(s) to public addresses, unless the operator allows private ones."""

from __future__ import annotations

import ipaddress

import pytest

from enlist.dns import AddressResolver
from enlist.domain.errors import InvalidValue
from enlist.events.addresses import check_url
from tests.e2e.loopback_dns import LoopbackDns

# Each URL with the words its refusal must use.
PRIVATE_LITERALS = [
    ("http://127.0.0.1/hooks", "loopback"),
    ("http://127.0.0.1:8080/hooks", "loopback"),
    ("https://10.1.2.3/hooks", "private address (RFC 1918)"),
    ("https://172.16.0.1/", "private address (RFC 1918)"),
    ("https://192.168.1.20/", "private address (RFC 1918)"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/hooks", "loopback"),
    ("https://[fd00::1]/hooks", "private address (unique local)"),
    ("https://[fe80::1]/hooks", "link-local"),
    ("https://100.64.0.1/hooks", "carrier-grade NAT"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback address in IPv4-mapped form"),
    ("http://[::ffff:10.0.0.1]/", "private address (RFC 1918) in IPv4-mapped form"),
    ("http://[64:ff9b::a9fe:a9fe]/", "link-local address in NAT64 form"),
    ("http://[2002:7f00:1::1]/", "loopback address in 6to4 form"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://192.0.2.10/", "reserved address (documentation)"),
    ("http://198.18.0.1/", "benchmarking"),
]


@pytest.mark.parametrize(("url", "reason"), PRIVATE_LITERALS)
def test_private_address_is_refused_without_the_operator_setting(url: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        check_url(url, allow_private=False)
    assert reason in refused.value.detail
    assert "webhooks are sent only to public internet addresses" in refused.value.detail


@pytest.mark.parametrize(("url", "reason"), PRIVATE_LITERALS)
def test_private_address_is_allowed_with_the_operator_setting(url: str, reason: str) -> None:
    checked = check_url(url, allow_private=True)
    assert checked.addresses == (ipaddress.ip_address(checked.host),)


@pytest.mark.parametrize(
    "url",
    [
        "https://1.1.1.1/hooks",
        "https://8.8.8.8:8443/hooks?source=enlist",
        "https://[2606:4700:4700::1111]/hooks",
        "https://[::ffff:1.1.1.1]/hooks",  # IPv4-mapped public address
        "https://[64:ff9b::101:101]/hooks",  # NAT64 of 1.1.1.1
        "https://[2002:101:101::1]/hooks",  # 6to4 of 1.1.1.1
    ],
)
def test_public_literal_address_passes_without_any_connection(url: str) -> None:
    checked = check_url(url, allow_private=False)
    assert checked.host_is_address
    assert checked.addresses == (ipaddress.ip_address(checked.host),)


def test_localhost_is_refused_through_the_system_resolver() -> None:
    with pytest.raises(InvalidValue, match=r"host localhost resolves to .*, a loopback address"):
        check_url("http://localhost:8000/hooks", allow_private=False)
    checked = check_url("http://localhost:8000/hooks", allow_private=True)
    assert ipaddress.ip_address("127.0.0.1") in checked.addresses


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1"])
def test_loopback_in_numeric_disguise_is_refused(host: str) -> None:
    with pytest.raises(InvalidValue, match="loopback"):
        check_url(f"http://{host}/hooks", allow_private=False)


def test_name_resolving_to_a_private_address_is_refused(
    dns: LoopbackDns, resolve: AddressResolver
) -> None:
    dns.point("hooks.intranet.test", "10.20.30.40")
    with pytest.raises(InvalidValue) as refused:
        check_url("https://hooks.intranet.test/in", allow_private=False, resolve=resolve)
    assert refused.value.detail == (
        "The webhook URL's host hooks.intranet.test resolves to 10.20.30.40, a private "
        "address (RFC 1918); webhooks are sent only to public internet addresses."
    )
    checked = check_url("https://hooks.intranet.test/in", allow_private=True, resolve=resolve)
    assert checked.addresses == (ipaddress.ip_address("10.20.30.40"),)


def test_name_resolving_to_a_private_ipv6_address_is_refused(
    dns: LoopbackDns, resolve: AddressResolver
) -> None:
    dns.point("v6.intranet.test", "fd12:3456::7")
    with pytest.raises(InvalidValue, match="fd12:3456::7, a private address"):
        check_url("https://v6.intranet.test/", allow_private=False, resolve=resolve)


def test_every_address_of_a_name_must_be_public(dns: LoopbackDns, resolve: AddressResolver) -> None:
    dns.point("mixed.example.test", "1.1.1.1", "2606:4700:4700::1111", "127.0.0.1")
    with pytest.raises(InvalidValue, match=r"127\.0\.0\.1, a loopback address"):
        check_url("https://mixed.example.test/", allow_private=False, resolve=resolve)


def test_name_resolving_to_public_addresses_passes_with_all_of_them(
    dns: LoopbackDns, resolve: AddressResolver
) -> None:
    dns.point("hooks.example.test", "1.1.1.1", "2606:4700:4700::1111")
    checked = check_url("https://hooks.example.test/in", allow_private=False, resolve=resolve)
    assert checked.host == "hooks.example.test"
    assert set(checked.addresses) == {
        ipaddress.ip_address("1.1.1.1"),
        ipaddress.ip_address("2606:4700:4700::1111"),
    }
    assert not checked.host_is_address


def test_international_name_is_looked_up_in_its_ascii_form(
    dns: LoopbackDns, resolve: AddressResolver
) -> None:
    dns.point("xn--bcher-kva.test", "1.1.1.1")
    checked = check_url("https://bücher.test/hooks", allow_private=False, resolve=resolve)
    assert checked.host == "xn--bcher-kva.test"
    assert checked.url == "https://xn--bcher-kva.test/hooks"


def test_name_without_an_address_is_refused(resolve: AddressResolver) -> None:
    with pytest.raises(InvalidValue, match=r"nowhere\.test .*has no address"):
        check_url("https://nowhere.test/hooks", allow_private=True, resolve=resolve)


def test_name_unknown_to_the_system_resolver_is_refused() -> None:
    with pytest.raises(InvalidValue, match="does not resolve"):
        check_url("https://nowhere.invalid/hooks", allow_private=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://1.1.1.1/hooks", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("hooks.example.com/in", "must start with https://"),
        ("/hooks", "must start with https://"),
        ("", "must start with https://"),
        ("http:///hooks", "must start with https://"),
        ("https://admin:hunter2@1.1.1.1/hooks", "must not contain a user name or password"),
        ("https://token@1.1.1.1/hooks", "must not contain a user name or password"),
        ("https://1.1.1.1/" + "a" * 2100, "longer than 2048 characters"),
        ("https://[::1/hooks", "cannot be read"),
        ("http://0177.0.0.1/hooks", "cannot be read"),
    ],
)
def test_url_that_is_not_an_absolute_http_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason.replace("?", r"\?")):
        check_url(url, allow_private=True)


def test_checked_url_is_the_normalised_form_to_store() -> None:
    checked = check_url("  HTTPS://1.1.1.1/Hooks/In?x=1  ", allow_private=False)
    assert checked.url == "https://1.1.1.1/Hooks/In?x=1"
    assert checked.scheme == "https"
