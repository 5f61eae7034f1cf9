"""Running real `enlist` processes for live-server tests: CLI setup and `enlist serve`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def enlist_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["ENLIST_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def enlist(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run one `enlist ... --json` command and return the JSON object it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "enlist", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"enlist {' '.join(args)} failed: {done.stderr.strip()}"
    payload: dict[str, Any] = json.loads(done.stdout)
    return payload


@dataclass
class Tenant:
    account_id: str
    organization_id: str
    domain: str
    token: str
    secret_id: str


def setup_tenant(
    env: dict[str, str], domain: str = "example.com", plan: str = "enterprise"
) -> Tenant:
    account = enlist(env, "account", "create", "--name", domain, "--email", f"admin@{domain}")["id"]
    enlist(env, "calendar", "create", "--account", account, "--name", "Team", "--plan", plan)
    organization = enlist(env, "organization", "create", "--account", account, "--name", domain)[
        "id"
    ]
    enlist(env, "domain", "add", domain, "--account", account, "--verified")
    enlist(env, "domain", "link", domain, "--organization", organization)
    secret = enlist(env, "secret", "create", domain)
    return Tenant(account, organization, domain, secret["secret"], secret["id"])


@contextmanager
def serving(env: dict[str, str], *extra_args: str, startup_seconds: float = 60.0) -> Iterator[str]:
    """Start `enlist serve` on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    # A file, not a pipe: a server logging many errors would block on a full pipe nobody reads.
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enlist",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra_args,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if process.poll() is not None:
                output.seek(0)
                raise RuntimeError(
                    f"enlist serve exited with {process.returncode}: "
                    f"{output.read().decode(errors='replace')[-2000:]}"
                )
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("enlist serve did not become ready")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


def fresh_database(
    stack: ExitStack, backend: str, tmp_path_factory: pytest.TempPathFactory, prefix: str
) -> str:
    """The URL of a new, empty database for live servers on `backend`; dropped with `stack`."""
    from tests.conftest import POSTGRES_ADMIN_URL

    if backend != "postgresql":
        return f"sqlite:///{tmp_path_factory.mktemp(prefix) / 'enlist.db'}"
    name = f"enlist_{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    stack.callback(drop)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
