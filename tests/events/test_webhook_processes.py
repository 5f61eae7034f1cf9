"""`enlist webhook` and `enlist worker` as the operator runs them: real processes on both
backends delivering to a real receiver, two at once, and one killed mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.events import EventStore
from tests.helpers import assert_prints_what_the_docs_say
from tests.receiver import Answer, Receiver


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENLIST_DATABASE_URL": database_url,
        "ENLIST_WEBHOOK_ALLOW_PRIVATE": "true",
        "ENLIST_WEBHOOK_CLAIM_SECONDS": "3",
        "ENLIST_LOG_LEVEL": "warning",
    }


@pytest.fixture
def enlist(env: dict[str, str]) -> Any:
    def run(*args: str, ok: bool = True, **extra: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "enlist", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, **extra},
        )
        if not ok:
            assert done.returncode != 0 and done.stdout == ""
            reason = done.stderr.strip()
            assert reason and "\n" not in reason and "Traceback" not in reason
            return reason
        assert done.returncode == 0, done.stderr
        (line,) = done.stdout.strip().splitlines()
        printed = json.loads(line)
        assert_prints_what_the_docs_say(args, printed)
        return printed

    return run


@pytest.fixture
def workers(env: dict[str, str]) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-m", "enlist", "worker"], env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _changes(db: Database, account_id: str, count: int) -> list[int]:
    for n in range(count):
        tenancy.add_domain(db, account_id, f"d{n}.example", verified=True)
    with db.read() as conn:
        return [e.sequence for e in EventStore(conn).after(account_id, 0, 100_000)][-count:]


def _received(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


def test_the_webhook_commands_keep_their_contract(enlist, db, tenant, receiver):
    created = enlist(
        "webhook",
        "create",
        "--account",
        tenant.account_id,
        "--url",
        receiver.url + "/hook",
        "--events",
        "person.provisioned,person.deleted",
        "--json",
    )
    assert created["secret"].startswith("whsec_") and created["url"] == receiver.url + "/hook"
    listed = enlist("webhook", "list", "--account", tenant.account_id, "--json")["webhooks"]
    assert listed == [
        {
            "id": created["id"],
            "url": receiver.url + "/hook",
            "events": ["person.provisioned", "person.deleted"],
            "enabled": True,
            "failing_since": None,
        }
    ]
    assert enlist("webhook", "disable", created["id"], "--json") == {
        "id": created["id"],
        "enabled": False,
    }
    assert enlist("webhook", "enable", created["id"], "--json") == {
        "id": created["id"],
        "enabled": True,
    }
    assert enlist("webhook", "replay", created["id"], "--from", "1", "--json") == {
        "id": created["id"],
        "queued": 0,
    }


def test_the_cli_refuses_a_private_url_without_the_operator_setting(enlist, tenant):
    reason = enlist(
        "webhook",
        "create",
        "--account",
        tenant.account_id,
        "--url",
        "http://127.0.0.1/x",
        "--json",
        ok=False,
        ENLIST_WEBHOOK_ALLOW_PRIVATE="false",
    )
    assert "loopback" in reason


def test_the_cli_says_plainly_when_a_webhook_does_not_exist(enlist):
    assert "no webhook" in enlist("webhook", "disable", "nope", "--json", ok=False)


def test_two_worker_processes_never_send_one_endpoints_events_at_once(
    enlist, db, tenant, receiver, workers
):
    receiver.default = Answer(200, delay=0.02)
    enlist("webhook", "create", "--account", tenant.account_id, "--url", receiver.url, "--json")
    sequences = _changes(db, tenant.account_id, 60)
    workers(), workers()
    receiver.wait_for(60, timeout=60)
    time.sleep(1.0)  # a duplicate would come now
    assert [e["sequence"] for e in _received(receiver)] == sequences
    arrivals = [r.monotonic for r in receiver.requests]
    # each request came after the previous one was answered: never two in flight
    assert all(b - a >= 0.018 for a, b in pairwise(arrivals))


def test_a_worker_killed_mid_delivery_loses_nothing(enlist, db, tenant, receiver, workers):
    enlist("webhook", "create", "--account", tenant.account_id, "--url", receiver.url, "--json")
    receiver.answer(Answer(200, delay=5))  # the first delivery hangs while the worker dies
    sequences = _changes(db, tenant.account_id, 5)
    first = workers()
    receiver.wait_for(1, timeout=20)
    first.send_signal(signal.SIGKILL)
    first.wait()
    workers()  # the restart; it takes over once the dead worker's claim expired
    receiver.wait_for(6, timeout=30)
    time.sleep(0.5)
    seen = [e["sequence"] for e in _received(receiver)]
    assert seen == [sequences[0], *sequences]  # the unacknowledged one again, then the rest
