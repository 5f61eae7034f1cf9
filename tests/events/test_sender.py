"""One delivery attempt against a real receiver on loopback: verdicts, limits and addresses."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from enlist.dns import AddressResolver
from enlist.events.addresses import check_url
from enlist.events.sender import (
    DeliveryAttempt,
    Verdict,
    WebhookSender,
    parse_retry_after,
    verdict_for,
)
from enlist.events.signing import new_secret
from tests.e2e.loopback_dns import LoopbackDns
from tests.receiver import Answer, Receiver

BODY = b'{"id":"evt-1","sequence":1,"type":"group.created","data":{"id":"g1"}}'


def deliver(sender: WebhookSender, url: str, event_id: str = "evt-1") -> DeliveryAttempt:
    return sender.send(url, secret=new_secret(), event_id=event_id, body=BODY)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_acknowledges_the_delivery(
    sender: WebhookSender, receiver: Receiver, status: int
) -> None:
    receiver.answer(Answer(status))
    attempt = deliver(sender, receiver.url + "/hooks/enlist")
    assert (attempt.verdict, attempt.status_code, attempt.error) == (
        Verdict.DELIVERED,
        status,
        None,
    )
    [delivery] = receiver.wait_for(1)
    assert (delivery.method, delivery.path, delivery.body) == ("POST", "/hooks/enlist", BODY)
    assert delivery.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 409, 429])
def test_server_errors_timeouts_conflicts_and_throttling_are_retried(
    sender: WebhookSender, receiver: Receiver, status: int
) -> None:
    receiver.answer(Answer(status, body=b"not now"))
    attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.status_code, attempt.excerpt) == (
        Verdict.RETRY,
        status,
        "not now",
    )


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 413, 422])
def test_other_client_errors_fail_the_event_for_good(
    sender: WebhookSender, receiver: Receiver, status: int
) -> None:
    receiver.answer(Answer(status, body=b'{"error":"unknown event type"}'))
    attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.status_code) == (Verdict.PERMANENT, status)
    assert attempt.excerpt == '{"error":"unknown event type"}'


def test_503_three_times_then_200_is_delivered_on_the_fourth_attempt(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(503), Answer(503), Answer(503))
    verdicts = [deliver(sender, receiver.url).verdict for _ in range(4)]
    assert verdicts == [Verdict.RETRY] * 3 + [Verdict.DELIVERED]
    assert [r.headers["webhook-id"] for r in receiver.wait_for(4)] == ["evt-1"] * 4


def test_redirect_is_not_followed_and_the_delivery_waits_for_a_corrected_url(
    sender: WebhookSender, receiver: Receiver
) -> None:
    with Receiver() as elsewhere:
        receiver.answer(Answer(301, headers={"Location": elsewhere.url + "/moved"}))
        attempt = deliver(sender, receiver.url + "/old")
        assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, 301)
        assert attempt.error == (
            f"The receiver redirects to {elsewhere.url}/moved; redirects are not followed, "
            "so the webhook URL needs to change."
        )
        assert elsewhere.requests == []


def test_429_with_retry_after_in_seconds_says_when_to_come_back(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(429, headers={"Retry-After": "2"}))
    attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.retry_after) == (Verdict.RETRY, timedelta(seconds=2))


def test_503_with_retry_after_as_an_http_date(sender: WebhookSender, receiver: Receiver) -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    receiver.answer(Answer(503, headers={"Retry-After": format_datetime(later, usegmt=True)}))
    attempt = deliver(sender, receiver.url)
    assert attempt.retry_after is not None
    assert timedelta(minutes=9) < attempt.retry_after <= timedelta(minutes=10)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", timedelta(0)),  # in the past: now
        ("Mon, 02 Mar 2026 10:01:30 GMT", timedelta(seconds=90)),
        ("Mon, 02 Mar 2026 10:01:30 -0000", timedelta(seconds=90)),
        ("9" * 40, timedelta(days=366)),  # absurd, and bounded rather than overflowing
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    value: str | None, wait: timedelta | None
) -> None:
    assert parse_retry_after(value, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)) == wait


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (300, Verdict.RETRY),
        (302, Verdict.RETRY),
        (308, Verdict.RETRY),
        (400, Verdict.PERMANENT),
        (408, Verdict.RETRY),
        (409, Verdict.RETRY),
        (429, Verdict.RETRY),
        (451, Verdict.PERMANENT),
        (499, Verdict.PERMANENT),
        (500, Verdict.RETRY),
        (599, Verdict.RETRY),
    ],
)
def test_verdict_of_each_status(status: int, verdict: Verdict) -> None:
    assert verdict_for(status) is verdict


def test_receiver_that_sleeps_12_seconds_times_out_after_10(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(200, delay=12))
    attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, None)
    assert attempt.error == "No response within 10 seconds."
    assert 9_900 <= attempt.latency_ms < 11_500


def test_receiver_trickling_its_headers_cannot_stretch_the_attempt(
    resolve: AddressResolver, receiver: Receiver
) -> None:
    # Each line comes well within the read timeout; 30 of them would take 9 s.
    headers = {f"X-Filler-{n}": "." for n in range(30)}
    receiver.answer(Answer(200, headers=headers, trickle=0.3))
    with WebhookSender(allow_private=True, resolve=resolve, timeout=2.0) as sender:
        started = time.monotonic()
        attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.error) == (Verdict.RETRY, "No response within 2 seconds.")
    assert time.monotonic() - started < 3.0


def test_only_the_start_of_a_huge_response_is_read(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(200, body=b"x" * 65_536, body_repeat=16_384))  # 1 GiB
    started = time.monotonic()
    attempt = deliver(sender, receiver.url)
    assert attempt.verdict is Verdict.DELIVERED
    assert attempt.excerpt == "x" * 1024
    assert time.monotonic() - started < 2.0


def test_excerpt_keeps_one_kilobyte_without_a_broken_character(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(422, body="é".encode() * 600 + b"!"))  # 1201 bytes; é is 2 bytes
    attempt = deliver(sender, receiver.url)
    assert attempt.excerpt == "é" * 512


def test_excerpt_of_a_body_that_is_not_utf8_is_still_text(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(500, body=b"\xff\xfeoops"))
    assert deliver(sender, receiver.url).excerpt == "\ufffd\ufffdoops"


def test_receiver_that_hangs_up_without_answering_is_retried(
    sender: WebhookSender, receiver: Receiver
) -> None:
    receiver.answer(Answer(hang_up=True))
    attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, None)
    assert attempt.error is not None and attempt.error.startswith("The connection failed")
    assert len(receiver.requests) == 1  # it had the event: a redelivery is a duplicate by id


def test_receiver_down_for_a_while_then_up_on_the_same_port(
    sender: WebhookSender, receiver: Receiver
) -> None:
    assert deliver(sender, receiver.url, "evt-1").verdict is Verdict.DELIVERED
    receiver.stop()
    down = deliver(sender, receiver.url, "evt-2")
    assert (down.verdict, down.status_code) == (Verdict.RETRY, None)
    assert down.error is not None and "Connection refused" in down.error
    receiver.start()
    assert deliver(sender, receiver.url, "evt-2").verdict is Verdict.DELIVERED
    assert [r.headers["webhook-id"] for r in receiver.wait_for(2)] == ["evt-1", "evt-2"]


def test_deliveries_to_one_host_reuse_one_connection(
    sender: WebhookSender, receiver: Receiver
) -> None:
    for n in range(3):
        deliver(sender, receiver.url, f"evt-{n}")
    assert len({r.client_port for r in receiver.wait_for(3)}) == 1


def test_two_names_on_one_address_never_share_a_connection(
    sender: WebhookSender, receiver: Receiver, dns: LoopbackDns
) -> None:
    dns.point("calendar-a.example.test", "127.0.0.1")
    dns.point("calendar-b.example.test", "127.0.0.1")
    for name in ["calendar-a", "calendar-b", "calendar-a", "calendar-b"]:
        deliver(sender, f"http://{name}.example.test:{receiver.port}/hooks")
    ports: dict[str, set[int]] = {}
    for request in receiver.wait_for(4):
        ports.setdefault(request.headers["host"], set()).add(request.client_port)
    a, b = (
        ports[f"calendar-a.example.test:{receiver.port}"],
        ports[f"calendar-b.example.test:{receiver.port}"],
    )
    assert len(a) == len(b) == 1 and a != b


def test_delivery_goes_to_the_checked_address_with_the_name_in_the_host_header(
    sender: WebhookSender, receiver: Receiver, dns: LoopbackDns
) -> None:
    # Only the loopback DNS server knows this name: had the HTTP client resolved it again
    # (through the system resolver), the delivery could not have arrived.
    dns.point("hooks.calendar.test", "127.0.0.1")
    attempt = deliver(sender, f"http://hooks.calendar.test:{receiver.port}/in")
    assert attempt.verdict is Verdict.DELIVERED
    [delivery] = receiver.wait_for(1)
    assert delivery.headers["host"] == f"hooks.calendar.test:{receiver.port}"
    assert delivery.path == "/in"


def test_name_rebound_to_loopback_after_its_check_is_refused_at_send_time(
    resolve: AddressResolver, receiver: Receiver, dns: LoopbackDns
) -> None:
    url = f"http://rebind.example.test:{receiver.port}/hooks"
    dns.point("rebind.example.test", "1.1.1.1")
    check_url(url, allow_private=False, resolve=resolve)  # when the webhook was created
    dns.point("rebind.example.test", "127.0.0.1")
    with WebhookSender(allow_private=False, resolve=resolve) as sender:
        attempt = deliver(sender, url)
    assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, None)
    assert attempt.error is not None and "127.0.0.1, a loopback address" in attempt.error
    assert receiver.requests == []


def test_private_address_is_never_connected_to_without_the_operator_setting(
    receiver: Receiver,
) -> None:
    with WebhookSender(allow_private=False) as sender:
        attempt = deliver(sender, receiver.url)
    assert (attempt.verdict, attempt.latency_ms) == (Verdict.RETRY, 0)
    assert attempt.error is not None and "a loopback address" in attempt.error
    assert receiver.requests == []


def test_name_that_no_longer_resolves_is_retried(sender: WebhookSender) -> None:
    attempt = deliver(sender, "https://gone.example.test/hooks")
    assert (attempt.verdict, attempt.status_code) == (Verdict.RETRY, None)
    assert attempt.error == "The host name gone.example.test has no address in DNS."


def test_second_address_is_tried_when_the_first_refuses_connections(
    sender: WebhookSender, receiver: Receiver, dns: LoopbackDns
) -> None:
    dns.point("two.example.test", "127.0.0.2", "127.0.0.1")  # nothing listens on .2
    attempt = deliver(sender, f"http://two.example.test:{receiver.port}/")
    assert attempt.verdict is Verdict.DELIVERED
    assert len(receiver.wait_for(1)) == 1


def test_proxies_from_the_environment_are_not_used(
    sender: WebhookSender, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"]:
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    assert deliver(sender, receiver.url).verdict is Verdict.DELIVERED


def test_one_sender_serves_many_worker_threads_at_once(
    sender: WebhookSender, receiver: Receiver, dns: LoopbackDns
) -> None:
    dns.point("calendar-a.example.test", "127.0.0.1")
    dns.point("calendar-b.example.test", "127.0.0.1")
    jobs = [
        (f"http://calendar-{'ab'[n % 2]}.example.test:{receiver.port}/hooks", f"evt-{n}")
        for n in range(40)
    ]
    with ThreadPoolExecutor(max_workers=8) as workers:
        attempts = list(workers.map(lambda job: deliver(sender, *job), jobs))
    assert {attempt.verdict for attempt in attempts} == {Verdict.DELIVERED}
    received = {r.headers["webhook-id"]: r.headers["host"] for r in receiver.wait_for(40)}
    assert received == {
        event_id: url.removeprefix("http://").removesuffix("/hooks") for url, event_id in jobs
    }
