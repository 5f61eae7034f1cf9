"""Retry timing: exponential back-off with jitter, Retry-After honoured, 3 days then disabled."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from enlist.events.backoff import retry_delay, should_disable

MIDDLE = 0.5  # jitter that lands exactly on the step


def test_waits_grow_from_5_seconds_to_1_hour_then_every_3_hours() -> None:
    waits = [retry_delay(failures, jitter=MIDDLE) for failures in range(1, 11)]
    assert waits == [
        timedelta(seconds=5),
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=3),
        timedelta(hours=3),
        timedelta(hours=3),
        timedelta(hours=3),
    ]


@pytest.mark.parametrize("failures", [1, 4, 7, 50])
def test_jitter_spreads_each_wait_over_plus_or_minus_20_percent(failures: int) -> None:
    step = retry_delay(failures, jitter=MIDDLE)
    assert retry_delay(failures, jitter=0.0) == step * 0.8
    assert step * 1.19 < retry_delay(failures, jitter=0.9999) < step * 1.2
    spread = {retry_delay(failures, jitter=random.random()) for _ in range(50)}
    assert len(spread) > 40 and all(step * 0.8 <= wait < step * 1.2 for wait in spread)


def test_retry_after_from_the_receiver_replaces_the_schedule() -> None:
    asked = timedelta(seconds=42)
    assert retry_delay(1, jitter=0.3, retry_after=asked) == asked
    assert retry_delay(9, jitter=0.3, retry_after=asked) == asked  # sooner than 3 h: its call


def test_retry_after_is_kept_between_5_seconds_and_a_day() -> None:
    assert retry_delay(2, jitter=0.3, retry_after=timedelta(0)) == timedelta(seconds=5)
    assert retry_delay(2, jitter=0.3, retry_after=timedelta(days=30)) == timedelta(days=1)


def test_a_delivery_to_an_endpoint_down_for_three_days_is_tried_30_times() -> None:
    attempts, at = 1, timedelta(0)
    while (at := at + retry_delay(attempts, jitter=MIDDLE)) < timedelta(days=3):
        attempts += 1
    assert attempts == 30


@pytest.mark.parametrize("jitter", [-0.1, 1.0, 2.0])
def test_jitter_outside_zero_to_one_is_a_programming_error(jitter: float) -> None:
    with pytest.raises(ValueError, match="jitter"):
        retry_delay(1, jitter=jitter)


def test_no_delay_is_asked_before_a_first_failure() -> None:
    with pytest.raises(ValueError, match="at least one failed attempt"):
        retry_delay(0, jitter=MIDDLE)


def test_endpoint_is_disabled_once_it_has_been_failing_for_three_days() -> None:
    now = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    assert not should_disable(None, now)
    assert not should_disable(now - timedelta(days=3) + timedelta(seconds=1), now)
    assert should_disable(now - timedelta(days=3), now)
    assert should_disable(now - timedelta(days=10), now)
