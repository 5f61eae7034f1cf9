"""One webhook delivery attempt: a signed POST to an address checked just before; its verdict."""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import re
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Any, Self

import httpcore
import httpx

from enlist import clock
from enlist.domain.errors import InvalidValue
from enlist.events.addresses import (
    MAX_URL_LENGTH,
    CheckedUrl,
    IPAddress,
    Resolve,
    check_url,
    resolve_system,
)
from enlist.events.signing import signature_headers

# The whole attempt, from connecting to the end of the excerpt, however the receiver
# trickles its answer.
TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
# No more of a response body is read than this (plus the chunk that crosses it); a body
# that ends within it leaves the connection open for the next delivery.
READ_LIMIT = 16 * 1024
USER_AGENT = "Enlist-Webhooks/1"
# Connection pools kept at once, one per receiving host; the least recently used is closed
# (an attempt still using it fails, and is retried like any network error).
MAX_POOLS = 256

_RETRIED_CLIENT_ERRORS = frozenset({408, 409, 429})
# Retry-After values beyond this are read as this, so that no value can overflow; the
# back-off caps them further.
_LONGEST_RETRY_AFTER = timedelta(days=366)


class Verdict(StrEnum):
    """What the worker does next with a delivery."""

    DELIVERED = "delivered"  # the receiver has the event
    RETRY = "retry"  # try again after the back-off
    PERMANENT = "permanent"  # the receiver refused this event; trying again cannot help


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """What one attempt found: a line of the delivery log, and the worker's next step."""

    verdict: Verdict
    status_code: int | None  # None when no response came (address refused, network, timeout)
    latency_ms: int  # from connecting (or reusing a connection) to the end of the excerpt
    excerpt: str = ""  # the start of the response body: at most 1 KB, decoded as UTF-8
    retry_after: timedelta | None = None  # the receiver's Retry-After, when it sent one
    error: str | None = None  # plain words when no response came, or for a redirect


def verdict_for(status_code: int) -> Verdict:
    """The verdict on a response's status code.

    2xx is delivered. 4xx is permanent, except 408 Request Timeout, 409 Conflict (a
    receiver applying events in sequence may refuse one that came early) and 429 Too Many
    Requests, which are retried like everything else: 5xx, and 3xx. Redirects are not
    followed, and a redirect describes the endpoint rather than the event (an old http://
    URL, a host that moved): retrying keeps its events queued, in order, while the admin
    reads the redirect in the delivery log and corrects the URL; an endpoint that is never
    corrected is disabled after 3 days of failures like any other.
    """
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if 400 <= status_code < 500 and status_code not in _RETRIED_CLIENT_ERRORS:
        return Verdict.PERMANENT
    return Verdict.RETRY


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait from `now`; None if unreadable."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return timedelta(seconds=min(int(text), int(_LONGEST_RETRY_AFTER.total_seconds())))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), _LONGEST_RETRY_AFTER)


class WebhookSender:
    """Makes delivery attempts, one per `send`; one sender serves every thread of a worker.

    Each attempt resolves the URL's host and checks every address (`check_url`), then
    connects to a checked address itself, with the URL's host name in the Host header, as
    the TLS server name (SNI) and as the name the certificate must carry; the name is not
    resolved again in between. Connections are reused for the same scheme, host name and
    port only: httpx pools connections by the address connected to, so one shared pool
    could carry a delivery for one name over a connection verified for another.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolve: Resolve = resolve_system,
        timeout: float = TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.timeout = timeout
        # certifi's authorities by default; never the environment's proxies or .netrc.
        self._ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self._pools: OrderedDict[tuple[str, str, int | None], httpx.Client] = OrderedDict()
        self._lock = threading.Lock()

    def send(self, url: str, *, secret: str, event_id: str, body: bytes) -> DeliveryAttempt:
        """POST `body` (the event's UTF-8 JSON) to `url`, signed with `secret` for this moment.

        Never raises for anything the receiver, the network or DNS does: a refused address,
        an unresolvable name, a timeout or a reset all come back as a `retry` verdict with
        the reason in `error` (a refused address is the endpoint's state, not the event's).
        """
        try:
            target = check_url(url, allow_private=self.allow_private, resolve=self.resolve)
        except InvalidValue as refused:
            return DeliveryAttempt(Verdict.RETRY, None, 0, error=refused.detail)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "accept-encoding": "identity",  # an excerpt of a compressed body says nothing
            **signature_headers(secret, event_id, body, clock.now()),
        }
        started = time.monotonic()
        token = _deadline.set(started + self.timeout)
        try:
            return self._post(target, headers, body, started)
        finally:
            _deadline.reset(token)

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _post(
        self, target: CheckedUrl, headers: dict[str, str], body: bytes, started: float
    ) -> DeliveryAttempt:
        url = httpx.URL(target.url)
        pool = self._pool_for(target.scheme, target.host, url.port)
        unreachable: list[str] = []
        for address in target.addresses:
            request = _request_to(pool, url, target, address, headers, body)
            try:
                response = pool.send(request, stream=True)
            except httpx.ConnectError as exc:  # the next address may answer
                unreachable.append(f"{address}: {_describe(exc)}")
                continue
            except httpx.TimeoutException:
                return _no_response(started, f"No response within {self.timeout:g} seconds.")
            except httpx.TransportError as exc:
                return _no_response(started, f"The connection failed: {_describe(exc)}.")
            return _judge(response, started)
        return _no_response(started, "Could not connect to " + "; ".join(unreachable) + ".")

    def _pool_for(self, scheme: str, host: str, port: int | None) -> httpx.Client:
        key = (scheme, host, port)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = httpx.Client(
                    transport=_DeadlineTransport(self._ssl_context),
                    timeout=self.timeout,
                    follow_redirects=False,
                    trust_env=False,
                )
            self._pools.move_to_end(key)
            while len(self._pools) > MAX_POOLS:
                self._pools.popitem(last=False)[1].close()
        return pool


def _request_to(
    pool: httpx.Client,
    url: httpx.URL,
    target: CheckedUrl,
    address: IPAddress,
    headers: dict[str, str],
    body: bytes,
) -> httpx.Request:
    if target.host_is_address:
        return pool.build_request("POST", url, headers=headers, content=body)
    return pool.build_request(
        "POST",
        url.copy_with(host=str(address)),
        headers={**headers, "host": url.netloc.decode("ascii")},
        content=body,
        extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
    )


def _judge(response: httpx.Response, started: float) -> DeliveryAttempt:
    received = bytearray()
    # The status has come: a body cut short, or too slow, changes no verdict.
    with contextlib.closing(response), contextlib.suppress(httpx.TransportError):
        for chunk in response.iter_raw():
            received += chunk
            if len(received) >= READ_LIMIT:
                break
    error = None
    if response.is_redirect:
        location = response.headers["location"][:MAX_URL_LENGTH]
        error = (
            f"The receiver redirects to {location}; redirects are not followed, "
            "so the webhook URL needs to change."
        )
    return DeliveryAttempt(
        verdict=verdict_for(response.status_code),
        status_code=response.status_code,
        latency_ms=_ms_since(started),
        excerpt=_excerpt(bytes(received)),
        retry_after=parse_retry_after(response.headers.get("retry-after"), clock.now()),
        error=error,
    )


def _excerpt(received: bytes) -> str:
    # Not final: a character cut in half at the limit is left out rather than garbled.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(received[:EXCERPT_BYTES], final=False)


def _no_response(started: float, error: str) -> DeliveryAttempt:
    return DeliveryAttempt(Verdict.RETRY, None, _ms_since(started), error=error)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _describe(exc: Exception) -> str:
    return str(exc) or exc.__class__.__name__


# The end of the attempt running in this thread; httpx's own timeouts bound each read or
# write, and a receiver trickling a byte at a time could stretch those without end.
_deadline: ContextVar[float | None] = ContextVar("webhook_attempt_deadline", default=None)


def _within_deadline(timeout: float | None) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = max(deadline - time.monotonic(), 0.001)  # 0 would make a socket non-blocking
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _within_deadline(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous sockets, wrapped in `_DeadlineStream`."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, _within_deadline(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP/1.1 transport over `_DeadlineBackend`."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx takes no network backend, so its pool is rebuilt around ours (this holds
        # for httpx 0.28, the version pyproject.toml allows).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_keepalive_connections=4,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )
