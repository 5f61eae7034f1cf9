"""Webhook endpoints and their deliveries, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from enlist.domain.errors import InvalidValue
from enlist.domain.events import EventType

# The type of the event "Send test event" posts; it is not a change, so not in the outbox.
TEST_EVENT_TYPE = "webhook.test"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # queued, or waiting for its next attempt
    DELIVERED = "delivered"  # a 2xx acknowledged it
    FAILED = "failed"  # the receiver refused it for good (a 4xx other than 408/409/429)


@dataclass(frozen=True)
class Webhook:
    """An account's endpoint; `event_types` None means every type."""

    id: str
    account_id: str
    url: str
    event_types: tuple[str, ...] | None
    enabled: bool
    failing_since: datetime | None
    disabled_reason: str | None
    created: datetime
    created_by: str
    cursor: int

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


@dataclass(frozen=True)
class Delivery:
    """One event for one endpoint, with the outcome of its last attempt."""

    pk: int
    webhook_id: str
    event_id: str | None
    sequence: int
    type: str
    status: DeliveryStatus
    attempts: int
    created: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    status_code: int | None
    latency_ms: int | None
    excerpt: str | None


def event_types(chosen: list[str] | None) -> tuple[str, ...] | None:
    """The types an endpoint subscribes to (None or empty: all), each one checked."""
    if not chosen:
        return None
    known = {kind.value for kind in EventType}
    wanted: list[str] = []
    for raw in chosen:
        name = raw.strip()
        if not name:
            continue
        if name not in known:
            raise InvalidValue(
                f"There is no event type {name!r}; the types are: {', '.join(sorted(known))}."
            )
        if name not in wanted:
            wanted.append(name)
    return tuple(wanted) or None
