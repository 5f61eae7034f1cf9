"""A noisy secret is slowed down with 429 + Retry-After; other tenants are not."""

import uuid

import pytest
import redis

from enlist.app import create_app
from enlist.config import Settings
from enlist.ratelimit import LocalLimiter, RedisLimiter
from tests.helpers import assert_scim_error

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["in-process", "redis"])
def limited_client(request, settings, db):
    from starlette.testclient import TestClient

    redis_url = REDIS_URL if request.param == "redis" else ""
    if redis_url:
        redis.Redis.from_url(redis_url).flushdb()
    limited = Settings(
        database_url=settings.database_url,
        rate_limit_per_second=0.5,
        rate_limit_burst=3,
        redis_url=redis_url,
    )
    with TestClient(create_app(limited, db), base_url="http://enlist.test") as client:
        yield client


def test_burst_then_429_with_integer_retry_after(limited_client, make_tenant):
    noisy = make_tenant("noisy.example")
    statuses = [
        limited_client.get("/scim/v2/Users", headers=noisy.headers).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = limited_client.get("/scim/v2/Users", headers=noisy.headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"].isdigit() and int(refused.headers["Retry-After"]) >= 1
    body = assert_scim_error(refused, 429)
    assert "retry" in body["detail"].lower()


def test_one_noisy_tenant_does_not_slow_the_others(limited_client, make_tenant):
    noisy, quiet = make_tenant("noisy.example"), make_tenant("quiet.example")
    for _ in range(5):
        limited_client.get("/scim/v2/Users", headers=noisy.headers)
    assert limited_client.get("/scim/v2/Users", headers=quiet.headers).status_code == 200


def test_redis_buckets_are_shared_between_limiters():
    key = uuid.uuid4().hex
    first = RedisLimiter(REDIS_URL, rate=0.01, burst=2)
    second = RedisLimiter(REDIS_URL, rate=0.01, burst=2)  # another worker, same Redis
    assert [first.take(key).allowed, second.take(key).allowed, first.take(key).allowed] == [
        True,
        True,
        False,
    ]


def test_unreachable_redis_does_not_stop_provisioning():
    limiter = RedisLimiter("redis://127.0.0.1:1/0", rate=1, burst=1)
    assert all(limiter.take("k").allowed for _ in range(3))


def test_local_bucket_refills_over_time(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("enlist.ratelimit.time.monotonic", lambda: clock[0])
    limiter = LocalLimiter(rate=2, burst=1)
    assert limiter.take("k").allowed
    verdict = limiter.take("k")
    assert not verdict.allowed and verdict.retry_after == 1
    clock[0] += 0.5
    assert limiter.take("k").allowed
