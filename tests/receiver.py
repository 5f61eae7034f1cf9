"""A real webhook receiver on loopback for tests: records every request, answers from a script.

    with Receiver() as receiver:
        receiver.answer(Answer(503), Answer(503), Answer(503))  # then the default, 200
        receiver.answer(Answer(429, headers={"Retry-After": "2"}))
        receiver.answer(Answer(200, delay=12))  # answers after 12 s
        receiver.answer(Answer(301, headers={"Location": "http://elsewhere.test/"}))
        receiver.stop()  # down: connections are refused, open ones are cut
        receiver.start()  # up again, on the same port
        receiver.wait_for(4)  # the first four requests, once they have come

Answers are consumed one per request in the order queued; with none queued, `default`
(200, empty body) answers. HTTP/1.1 with keep-alive, so connection reuse can be seen in
`client_port`; pass an `ssl.SSLContext` (`tls=`) to serve HTTPS, and `server_name`
records the name each client asked for (SNI).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from starlette.datastructures import Headers


@dataclass(frozen=True)
class Answer:
    """One scripted response."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering (cut short by stop())
    trickle: float = 0.0  # seconds between the status line and each header line
    body_repeat: int = 1  # the body is sent this many times (Content-Length says so)
    hang_up: bool = False  # close the connection without answering (a lost acknowledgement)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as it arrived."""

    method: str
    path: str
    headers: Headers  # case-insensitive
    body: bytes
    received_at: datetime  # wall clock, UTC
    monotonic: float  # time.monotonic() on arrival, for intervals
    client_port: int  # the same port for requests on one kept-alive connection
    server_name: str | None  # the TLS server name (SNI) the client sent; None over http


class Receiver:
    """A threaded HTTP(S) server on 127.0.0.1 that can be stopped and started on one port."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.tls = tls
        self.default = Answer()
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._server_names: weakref.WeakKeyDictionary[ssl.SSLSocket, str] = (
            weakref.WeakKeyDictionary()
        )
        if tls is not None:
            tls.sni_callback = self._remember_server_name

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:PORT (its path is up to the test)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def answer(self, *answers: Answer) -> None:
        """Queue answers for the next requests, in order."""
        with self._lock:
            self._script.extend(answers)

    def start(self) -> None:
        """Listen (again) on the receiver's port; the first start picks a free port."""
        server = _Server((self.host, self.port), _Handler)
        server.receiver = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection, as a receiver that went down."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.cut_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """The first `count` requests, waiting up to `timeout` seconds for them to arrive."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} requests came, not {count}")
            return self.requests[:count]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: ReceivedRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            return self._script.popleft() if self._script else self.default

    def _remember_server_name(
        self, connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext
    ) -> None:
        if name is not None and isinstance(connection, ssl.SSLSocket):
            self._server_names[connection] = name


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # start() again on the same port at once
    receiver: Receiver

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def cut_connections(self) -> None:
        with self.connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up or refuse the certificate are part of the tests, not errors."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        with self.server.connections_lock:
            self.server.connections.add(self.request)
        tls = self.server.receiver.tls
        if tls is not None:  # the handshake runs here, in this connection's thread
            plain = self.request
            try:
                self.request = tls.wrap_socket(plain, server_side=True)
            finally:
                with self.server.connections_lock:
                    self.server.connections.discard(plain)
            with self.server.connections_lock:
                self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.request)

    def do_POST(self) -> None:
        self._respond()

    def do_GET(self) -> None:
        self._respond()

    def do_PUT(self) -> None:
        self._respond()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads `requests` instead."""

    def _respond(self) -> None:
        receiver = self.server.receiver
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = receiver._record(
            ReceivedRequest(
                method=self.command,
                path=self.path,
                headers=Headers(
                    raw=[(k.lower().encode(), v.encode("latin-1")) for k, v in self.headers.items()]
                ),
                body=body,
                received_at=datetime.now(UTC),
                monotonic=time.monotonic(),
                client_port=self.client_address[1],
                server_name=receiver._server_names.get(self.request)
                if isinstance(self.request, ssl.SSLSocket)
                else None,
            )
        )
        if (answer.delay and self.server.stopping.wait(answer.delay)) or answer.hang_up:
            self.close_connection = True
            return
        try:
            self._write(answer)
        except OSError:  # the client hung up, as a sender stopping early does
            self.close_connection = True

    def _write(self, answer: Answer) -> None:
        lines = [f"HTTP/1.1 {answer.status} Scripted"]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        lines.append(f"Content-Length: {len(answer.body) * answer.body_repeat}")
        head = [line.encode("latin-1") + b"\r\n" for line in lines] + [b"\r\n"]
        if not answer.trickle:  # one write: small writes would meet Nagle and delayed ACKs
            self.wfile.write(b"".join(head) + answer.body)
        else:
            for part in head:
                self.wfile.write(part)
                if self.server.stopping.wait(answer.trickle):
                    self.close_connection = True
                    return
            self.wfile.write(answer.body)
        for _ in range(answer.body_repeat - 1):
            self.wfile.write(answer.body)
