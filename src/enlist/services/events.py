"""Reading the outbox: the pull feed of an account's events, in sequence order."""

from __future__ import annotations

from dataclasses import dataclass

from enlist.domain.events import Event
from enlist.store.db import Database
from enlist.store.events import EventStore

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    """Events after a sequence, and the sequence to ask after next time."""

    events: list[Event]
    next: int


def events_after(db: Database, account_id: str, after: int, limit: int = DEFAULT_LIMIT) -> Page:
    """The account's events with a sequence above `after`, oldest first, at most `limit`.

    `next` is the last sequence returned, or `after` itself when there is nothing new: the
    caller passes it back unchanged and never skips or repeats an event.
    """
    with db.read() as conn:
        found = EventStore(conn).after(account_id, after, min(max(limit, 1), MAX_LIMIT))
    return Page(found, found[-1].sequence if found else after)
