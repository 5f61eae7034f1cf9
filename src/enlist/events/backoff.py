"""When to try a webhook delivery again, and when to give up on an endpoint (pure functions)."""

from __future__ import annotations

from datetime import datetime, timedelta

# The wait after the 1st, 2nd, ... failed attempt of a delivery; the last step repeats.
SCHEDULE = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
)
# Each wait is spread over ±20% so that deliveries failing together do not retry together.
JITTER = 0.2
# A receiver's Retry-After is followed between these bounds: a zero would retry at once
# forever, and a receiver may not park its deliveries for longer than a day.
SHORTEST_RETRY_AFTER = SCHEDULE[0]
LONGEST_RETRY_AFTER = timedelta(days=1)
# An endpoint whose deliveries have failed without a success for this long is disabled.
GIVE_UP_AFTER = timedelta(days=3)


def retry_delay(failures: int, *, jitter: float, retry_after: timedelta | None = None) -> timedelta:
    """How long to wait before the next attempt of a delivery that has failed `failures` times.

    `jitter` is a random number in [0, 1) (pass `random.random()`): it places the wait
    between 80% and 120% of its step. A receiver's `retry_after` replaces the schedule,
    kept between 5 seconds and 1 day, since the receiver knows best when it is ready.
    """
    if failures < 1:
        raise ValueError("retry_delay is asked after at least one failed attempt")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    if retry_after is not None:
        return min(max(retry_after, SHORTEST_RETRY_AFTER), LONGEST_RETRY_AFTER)
    step = SCHEDULE[min(failures, len(SCHEDULE)) - 1]
    return step * (1.0 - JITTER + 2 * JITTER * jitter)


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """True once an endpoint has been failing for 3 days.

    `failing_since` is the time of its first failed attempt since its last success, None
    while it succeeds.
    """
    return failing_since is not None and now - failing_since >= GIVE_UP_AFTER
