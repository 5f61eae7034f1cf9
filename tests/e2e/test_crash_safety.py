"""SIGKILL the server in the middle of a burst of writes: every acknowledged write survives.

SQLite runs in WAL mode with synchronous=NORMAL, which keeps committed transactions
across a process crash (only a power loss can lose the last ones); PostgreSQL commits
durably. After the restart the database must also be consistent: no email or membership
row without its user, no group without its organization.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ADMIN_URL, _backends
from tests.e2e.live import enlist_env, free_port, serving, setup_tenant

pytestmark = pytest.mark.live


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'enlist.db'}"
        return
    name = f"enlist_crash_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "enlist serve exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("enlist serve did not become ready")


def test_acknowledged_writes_survive_a_sigkill(database_url):
    env = enlist_env(database_url, ENLIST_RATE_LIMIT_PER_SECOND="0")
    tenant = setup_tenant(env)
    headers = {"Authorization": f"Bearer {tenant.token}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "enlist", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_ready(base, process)
    with httpx.Client(base_url=f"{base}/scim/v2", headers=headers, timeout=10) as client:
        group = client.post("/Groups", json={"displayName": "Survivors"}).json()["id"]

    acknowledged: list[str] = []
    members: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=f"{base}/scim/v2", headers=headers, timeout=10) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                name = f"w{worker}-{i}@example.com"
                try:
                    created = client.post(
                        "/Users", json={"userName": name, "emails": [{"value": name}]}
                    )
                    if created.status_code != 201:
                        continue
                    user_id = created.json()["id"]
                    with lock:
                        acknowledged.append(user_id)
                    added = client.patch(
                        f"/Groups/{group}",
                        json={
                            "Operations": [
                                {"op": "add", "path": "members", "value": [{"value": user_id}]}
                            ]
                        },
                    )
                    if added.status_code == 204:
                        with lock:
                            members.append(user_id)
                except httpx.HTTPError:
                    return  # the server died under us: this write was never acknowledged

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 150, "the burst was too slow to mean anything"

    with (
        serving(env) as restarted,
        httpx.Client(base_url=f"{restarted}/scim/v2", headers=headers) as client,
    ):
        found: set[str] = set()
        start = 1
        while True:
            page = client.get(
                "/Users", params={"startIndex": start, "count": 500, "attributes": "id"}
            ).json()
            found.update(r["id"] for r in page["Resources"])
            start += 500
            if start > page["totalResults"]:
                break
        assert set(acknowledged) <= found
        group_members = {
            m["value"] for m in client.get(f"/Groups/{group}").json().get("members", [])
        }
        assert set(members) <= group_members
        # a write in flight at the kill may have committed without its answer reaching us
        assert len(found) - len(acknowledged) <= 4

    engine = create_engine(database_url)
    with engine.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM user_emails e LEFT JOIN users u ON u.pk = e.user_pk "
                "WHERE u.pk IS NULL) + (SELECT count(*) FROM group_members m LEFT JOIN users u "
                "ON u.pk = m.user_pk WHERE u.pk IS NULL)"
            )
        ).scalar()
        assert orphans == 0
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    print(
        f"acknowledged {len(acknowledged)} users and {len(members)} memberships; "
        f"found {len(found)} users"
    )
