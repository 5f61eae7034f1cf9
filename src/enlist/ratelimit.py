"""Token-bucket rate limits per SCIM secret: in Redis when configured (shared by every
worker), otherwise in process (then each worker enforces the limit on its own share).

Hand-written because the well-kept limiters for Starlette are middleware keyed by client
address, while ours is keyed by the authenticated secret and must answer a SCIM error
with an integer Retry-After from inside the request.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until a token is available (0 when allowed)


class Limiter(Protocol):
    def take(self, key: str) -> Verdict: ...


class Unlimited:
    def take(self, key: str) -> Verdict:
        return Verdict(True, 0)


def _retry_after(missing: float, rate: float) -> int:
    return max(1, math.ceil(missing / rate))


class LocalLimiter:
    """Buckets in this process; fine for one worker, per-worker with several."""

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> Verdict:
        moment = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), moment))
            tokens = min(float(self.burst), tokens + (moment - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, moment)
                if len(self._buckets) > self.max_keys:
                    self._buckets.pop(next(iter(self._buckets)))
                return Verdict(True, 0)
            self._buckets[key] = (tokens, moment)
            return Verdict(False, _retry_after(1 - tokens, self.rate))


# KEYS[1] bucket; ARGV: rate per second, burst, now (seconds, float).
# Returns {allowed, retry_after}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
if allowed == 1 then return {1, 0} end
return {0, math.max(1, math.ceil((1 - tokens) / rate))}
"""


class RedisLimiter:
    """Buckets in Redis, so the limit holds across every worker and host.

    The clock is Redis' own (TIME), so workers with skewed clocks agree. When Redis is
    unreachable the request is allowed: an outage of the limiter must not become an
    outage of provisioning.
    """

    def __init__(self, url: str, rate: float, burst: int, prefix: str = "enlist:rl:") -> None:
        import redis

        self.client: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self.script = self.client.register_script(_BUCKET_SCRIPT)

    def take(self, key: str) -> Verdict:
        import redis

        try:
            seconds, micros = self.client.time()
            allowed, retry = self.script(
                keys=[self.prefix + key], args=[self.rate, self.burst, seconds + micros / 1e6]
            )
        except redis.RedisError:
            return Verdict(True, 0)
        return Verdict(bool(allowed), int(retry))


def make_limiter(redis_url: str, rate: float, burst: int) -> Limiter:
    if rate <= 0:
        return Unlimited()
    if redis_url:
        return RedisLimiter(redis_url, rate, burst)
    return LocalLimiter(rate, burst)
