"""Webhook delivery speed: 10,000 events to a local receiver, and idle change-to-delivery latency.

    .venv/bin/python bench/events.py [--backend sqlite|postgresql] [--events 10000] [--changes 50]

One account, one enabled webhook to a receiver on 127.0.0.1 (HTTP/1.1 keep-alive, answers
204 at once, parses nothing), the real DeliveryWorker with one delivery thread.
- throughput: the events are committed first (10 transactions of 1,000, through the same
  `writing()` every change uses), then the worker starts; the clock runs from its start to
  the receiver's last request.
- latency: with the worker idle, one change at a time (a one-event transaction every 200 ms);
  from just before the change's transaction to the receiver's request.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from enlist.config import Settings
from enlist.domain.events import EventType
from enlist.events.worker import DeliveryWorker
from enlist.services import tenancy, webhooks
from enlist.services.unit import SYSTEM, writing
from enlist.store.db import Database

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    report: Connection


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        arrived = time.monotonic()
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
        self.server.report.send((arrived, json.loads(body)["sequence"]))

    def log_message(self, *args: Any) -> None:
        pass


def _serve(report: Connection, ready: Connection) -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.report = report
    ready.send(server.server_address[1])
    server.serve_forever()


class _Receiver:
    """The receiver in a process of its own (it must not share the worker's GIL)."""

    def __init__(self) -> None:
        reports, self._report = multiprocessing.Pipe(duplex=False)
        ready_in, ready_out = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(
            target=_serve, args=(self._report, ready_out), daemon=True
        )
        self._process.start()
        self.url = f"http://127.0.0.1:{ready_in.recv()}/hook"
        self.arrivals: list[tuple[float, int]] = []  # (time.monotonic(), sequence)
        self.changed = threading.Condition()
        threading.Thread(target=self._collect, args=(reports,), daemon=True).start()

    def _collect(self, reports: Connection) -> None:
        while True:
            try:
                arrival = reports.recv()
            except EOFError:
                return
            with self.changed:
                self.arrivals.append(arrival)
                self.changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.arrivals) >= count, timeout):
                raise SystemExit(f"only {len(self.arrivals)} of {count} deliveries arrived")

    def stop(self) -> None:
        self._process.terminate()
        self._process.join()


def _database(backend: str, workdir: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'events.db'}", None
    name = f"enlist_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return POSTGRES.rsplit("/", 1)[0] + f"/{name}", drop


def _emit(db: Database, account_id: str, count: int, start: int) -> None:
    with writing(db, account_id, SYSTEM) as change:
        for n in range(start, start + count):
            change.emit(EventType.person_updated, {"id": f"u{n}", "changed": ["displayName"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument(
        "--provisioning",
        type=int,
        default=0,
        metavar="N",
        help="instead: POST N users to `enlist serve` without, then with, an enabled webhook",
    )
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="with --provisioning: deliver from `enlist worker`, not inside the server",
    )
    args = parser.parse_args()
    if args.provisioning:
        provisioning(args.backend, args.provisioning, separate=args.separate_worker)
        return

    with tempfile.TemporaryDirectory() as workdir:
        url, drop = _database(args.backend, Path(workdir))
        settings = Settings(database_url=url, webhook_allow_private=True, webhook_threads=1)
        db = Database.open(url)
        receiver = _Receiver()
        try:
            account = tenancy.create_account(db, "Bench", "it@bench.test", "pw")
            webhooks.create_webhook(db, account, receiver.url, secret_key="", allow_private=True)
            for batch in range(0, args.events, 1000):
                _emit(db, account, min(1000, args.events - batch), batch)

            worker = DeliveryWorker(db, settings)
            started = time.monotonic()
            worker.start()
            receiver.wait_for(args.events, timeout=300)
            elapsed = receiver.arrivals[-1][0] - started
            sequences = [s for _, s in receiver.arrivals]
            in_order = sequences == sorted(sequences) and len(set(sequences)) == args.events
            time.sleep(1.0)  # idle

            latencies = []
            for n in range(args.changes):
                before = time.monotonic()
                _emit(db, account, 1, args.events + n)
                receiver.wait_for(args.events + n + 1, timeout=10)
                latencies.append((receiver.arrivals[-1][0] - before) * 1000)
                time.sleep(0.2)
            worker.stop()
        finally:
            receiver.stop()
            db.dispose()
            if drop is not None:
                drop()
    latencies.sort()
    print(
        json.dumps(
            {
                "backend": args.backend,
                "events": args.events,
                "delivery_seconds": round(elapsed, 2),
                "events_per_second": round(args.events / elapsed),
                "in_order_once": in_order,
                "idle_latency_ms": {
                    "p50": round(statistics.median(latencies), 1),
                    "p95": round(latencies[int(len(latencies) * 0.95) - 1], 1),
                    "max": round(latencies[-1], 1),
                },
            }
        )
    )


def provisioning(backend: str, count: int, *, separate: bool = False) -> None:
    """SCIM POST /Users throughput of `enlist serve` (4 client threads), rounds alternating
    between no webhook and one enabled webhook that the server delivers to meanwhile."""
    import os
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    sys.path.insert(0, str(Path(__file__).parent))
    from seed import DOMAIN, _setup_tenant

    with tempfile.TemporaryDirectory() as workdir:
        url, drop = _database(backend, Path(workdir))
        Database.open(url).dispose()
        account, _, token = _setup_tenant(url)
        receiver = _Receiver()
        port = _free_port()
        env = dict(
            os.environ,
            ENLIST_DATABASE_URL=url,
            ENLIST_RATE_LIMIT_PER_SECOND="0",
            ENLIST_WEBHOOK_ALLOW_PRIVATE="true",
            ENLIST_WEBHOOK_DELIVERY="false" if separate else "true",
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "enlist", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker = (
            subprocess.Popen(
                [sys.executable, "-m", "enlist", "worker"], env=env, stderr=subprocess.DEVNULL
            )
            if separate
            else None
        )
        base = f"http://127.0.0.1:{port}/scim/v2"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            clients = [httpx.Client(base_url=base, headers=headers) for _ in range(4)]

            def push(n: int) -> None:
                body = {"userName": f"u{n}@{DOMAIN}", "displayName": f"User {n}"}
                answer = clients[n % 4].post("/Users", json=body)
                assert answer.status_code == 201, answer.text

            rates: dict[str, list[float]] = {"no webhook": [], "one webhook": []}
            made = 0
            db = Database.open(url, migrate=False)
            for round_ in range(4):
                label = "no webhook" if round_ % 2 == 0 else "one webhook"
                if round_ % 2 == 1:  # a new webhook gets the events from its creation on
                    webhooks.create_webhook(
                        db, account, receiver.url, secret_key="", allow_private=True
                    )
                elif round_:
                    receiver.wait_for(made // 2, timeout=120)  # the last round's, all of them
                    for hook in webhooks.webhooks(db, account):
                        webhooks.disable_webhook(db, hook.id)
                started = time.monotonic()
                with ThreadPoolExecutor(4) as pool:
                    list(pool.map(push, range(made, made + count)))
                rates[label].append(count / (time.monotonic() - started))
                made += count
            receiver.wait_for(2 * count, timeout=120)
            db.dispose()
        finally:
            for process in (server, worker):
                if process is not None:
                    process.terminate()
                    process.wait()
            receiver.stop()
            if drop is not None:
                drop()
    result = {k: round(statistics.mean(v), 1) for k, v in rates.items()}
    print(
        json.dumps(
            {
                "backend": backend,
                "delivery": "enlist worker" if separate else "inside enlist serve",
                "posts_per_second": result,
                "delivered": len(receiver.arrivals),
            }
        )
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    main()
