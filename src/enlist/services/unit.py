"""One write as one transaction: the change, its activity entry and its events commit together.

Every use case that changes something opens `writing(db, account_id, actor)`, makes its
change through the repositories on `change.conn`, says what it did in words
(`change.log`) and for the calendar application (`change.emit`). The activity rows and the
events are written at the end of the block, inside the same transaction: an event exists
if and only if its change committed, and a refused change (an `EnlistError` raised inside
the block) leaves neither. Refusals are logged by the caller in a transaction of their own
(`services.activity.refused`), since the change itself rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.domain.events import Event, EventType
from enlist.store.activity import ActivityStore
from enlist.store.db import Database
from enlist.store.events import EventStore


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where: recorded with its activity entry and its events.

    kind: "scim" (id: the SCIM secret's id), "admin" (id: the admin's email), "operator"
    (the command line), "person" (id: the user's id, signing in or out) or "system"
    (Enlist itself: retention, disabling a failing webhook). `status` is the HTTP status a
    successful request answers, kept with the activity entry (None outside HTTP).
    """

    kind: str
    id: str
    user_agent: str | None = None
    request_id: str | None = None
    status: int | None = None

    def answering(self, status: int) -> Actor:
        return replace(self, status=status)

    def document(self) -> dict[str, Any]:
        """The actor as events show it (never a secret's value: its id only)."""
        doc: dict[str, Any] = {"type": self.kind, "id": self.id}
        if self.user_agent:
            doc["user_agent"] = self.user_agent[:300]
        return doc


OPERATOR = Actor("operator", "cli")
SYSTEM = Actor("system", "enlist")


@dataclass
class Change:
    """What one transaction does, as it goes: the connection, and what to log and announce."""

    conn: Connection
    account_id: str
    actor: Actor
    entries: list[Entry] = field(default_factory=list)
    drafts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def log(
        self,
        action: str,
        detail: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        resource_name: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """An activity entry for what this change did, in plain words.

        The activity log is the customer's account of what their admins and their identity
        provider did; what the service's own operator does from the command line is not in
        it (it is in the event feed, like every change).
        """
        if self.actor.kind == OPERATOR.kind:
            return
        self.entries.append(
            Entry(
                account_id=self.account_id,
                at=now(),
                actor_type=self.actor.kind,
                actor=self.actor.id,
                action=action,
                outcome="success",
                detail=detail,
                resource_type=resource_type,
                resource_id=resource_id,
                resource_name=resource_name,
                status=self.actor.status,
                user_agent=self.actor.user_agent,
                request_id=self.actor.request_id,
                changes=changes,
            )
        )

    def emit(self, kind: EventType, data: dict[str, Any]) -> None:
        """An event for the calendar application; numbered when the transaction ends."""
        self.drafts.append((kind.value, data))

    def _finish(self) -> None:
        ActivityStore(self.conn).append(*self.entries)
        if self.drafts:
            # last: the account's sequence row stays locked only from here to the commit
            self.events = EventStore(self.conn).append(
                self.account_id, now(), self.actor.document(), self.drafts
            )


@contextmanager
def writing(db: Database, account_id: str, actor: Actor) -> Iterator[Change]:
    """A write transaction for one account's change (see the module docstring)."""
    with db.write() as conn:
        change = Change(conn, account_id, actor)
        yield change
        change._finish()
    if change.events:
        db.announce(account_id)
