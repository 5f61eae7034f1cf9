"""Concurrent writers against live server processes lose nothing, on SQLite and PostgreSQL.

Two `enlist serve` processes share one database (on PostgreSQL one of them runs two
workers), and a pool of client threads drives them at once, as Entra does with
parallel PATCHes to one group.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from tests.conftest import _backends
from tests.e2e.live import enlist_env, fresh_database, serving, setup_tenant

pytestmark = pytest.mark.live

USERS = 60
THREADS = 8


@pytest.fixture(scope="module", params=_backends())
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        url = fresh_database(stack, request.param, tmp_path_factory, "conc")
        worker_args: tuple[str, ...] = ("--workers", "2") if request.param == "postgresql" else ()
        env = enlist_env(url, ENLIST_RATE_LIMIT_PER_SECOND="0")
        tenant = setup_tenant(env)
        bases = [stack.enter_context(serving(env, *worker_args)) for _ in range(2)]
        yield {"bases": bases, "headers": {"Authorization": f"Bearer {tenant.token}"}}


def _clients(servers: dict[str, Any]) -> list[httpx.Client]:
    return [
        httpx.Client(base_url=f"{base}/scim/v2", headers=servers["headers"], timeout=60)
        for base in servers["bases"]
    ]


def test_parallel_member_adds_and_removes_to_one_group_lose_nothing(servers):
    clients = _clients(servers)
    tag = uuid.uuid4().hex[:6]
    users = [
        clients[0].post("/Users", json={"userName": f"u{i}-{tag}@example.com"}).json()["id"]
        for i in range(USERS)
    ]
    group = clients[0].post("/Groups", json={"displayName": f"Parallel {tag}"}).json()["id"]
    doomed = users[: USERS // 3]
    clients[0].patch(
        f"/Groups/{group}",
        json={
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": u} for u in doomed]}
            ]
        },
    )

    def add(index: int) -> int:
        body = {
            "Operations": [{"op": "Add", "path": "members", "value": [{"value": users[index]}]}]
        }
        return clients[index % 2].patch(f"/Groups/{group}", json=body).status_code

    def remove(index: int) -> int:
        path = f'members[value eq "{users[index]}"]'
        body = {"Operations": [{"op": "remove", "path": path}]}
        return clients[index % 2].patch(f"/Groups/{group}", json=body).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        adds = pool.map(add, range(USERS // 3, USERS))
        removes = pool.map(remove, range(USERS // 3))
        statuses = Counter([*adds, *removes])
    assert statuses == Counter({204: USERS})

    members = clients[1].get(f"/Groups/{group}").json().get("members", [])
    assert sorted(m["value"] for m in members) == sorted(users[USERS // 3 :])


def test_concurrent_creates_of_one_user_name_give_one_201_and_409s(servers):
    clients = _clients(servers)
    name = f"Same.Person-{uuid.uuid4().hex[:6]}@example.com"

    def create(index: int) -> int:
        spelled = name.upper() if index % 2 else name
        return clients[index % 2].post("/Users", json={"userName": spelled}).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = Counter(pool.map(create, range(12)))
    assert statuses == Counter({201: 1, 409: 11})


def test_if_match_is_checked_inside_the_write(servers):
    clients = _clients(servers)
    user = (
        clients[0]
        .post("/Users", json={"userName": f"etag-{uuid.uuid4().hex[:6]}@example.com"})
        .json()
    )
    version = user["meta"]["version"]

    def rename(index: int) -> int:
        body = {"Operations": [{"op": "replace", "path": "displayName", "value": f"Name {index}"}]}
        return (
            clients[index % 2]
            .patch(f"/Users/{user['id']}", json=body, headers={"If-Match": version})
            .status_code
        )

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = Counter(pool.map(rename, range(8)))
    assert statuses == Counter({200: 1, 412: 7})
