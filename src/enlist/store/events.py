"""Repository for the outbox: events appended with their change, read in sequence order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from enlist.clock import new_id
from enlist.domain.events import Event
from enlist.store.accounts import as_utc
from enlist.store.tables import event_sequences, events

_TAKE = (
    update(event_sequences)
    .where(event_sequences.c.account_id == bindparam("account"))
    .values(last=event_sequences.c.last + bindparam("n"))
    .returning(event_sequences.c.last)
)
_APPEND = insert(events)
_AFTER = (
    select(events)
    .where(events.c.account_id == bindparam("account"), events.c.sequence > bindparam("after"))
    .order_by(events.c.sequence)
    .limit(bindparam("limit"))
)


class EventStore:
    """Events of every account; each statement names the account it reads or writes."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def start_account(self, account_id: str) -> None:
        """A new account's sequence, before its first event."""
        self.conn.execute(insert(event_sequences).values(account_id=account_id, last=0))

    def append(
        self,
        account_id: str,
        at: datetime,
        actor: dict[str, Any],
        drafts: Sequence[tuple[str, dict[str, Any]]],
    ) -> list[Event]:
        """Number and store one transaction's events (type, data), in the order given.

        Called last in the transaction: the sequence row stays locked until the commit,
        so another writer of the account takes its numbers after this one committed.
        """
        if not drafts:
            return []
        last = self.conn.scalar(_TAKE, {"account": account_id, "n": len(drafts)})
        if last is None:  # an account made before the outbox existed and not migrated
            self.start_account(account_id)
            last = self.conn.scalar(_TAKE, {"account": account_id, "n": len(drafts)})
        first = int(last or 0) - len(drafts) + 1
        made = [
            Event(new_id(), first + offset, kind, at, account_id, actor, data)
            for offset, (kind, data) in enumerate(drafts)
        ]
        self.conn.execute(
            _APPEND,
            [
                {
                    "id": e.id,
                    "account_id": e.account_id,
                    "sequence": e.sequence,
                    "type": e.type,
                    "at": e.at,
                    "actor": e.actor,
                    "data": e.data,
                }
                for e in made
            ],
        )
        return made

    def after(self, account_id: str, sequence: int, limit: int) -> list[Event]:
        """The account's events with a higher sequence than `sequence`, oldest first."""
        rows = self.conn.execute(_AFTER, {"account": account_id, "after": sequence, "limit": limit})
        return [_event(row) for row in rows]

    def last_sequence(self, account_id: str) -> int:
        found = self.conn.scalar(
            select(event_sequences.c.last).where(event_sequences.c.account_id == account_id)
        )
        return int(found or 0)

    def count_from(self, account_id: str, sequence: int, types: Sequence[str] | None) -> int:
        """How many of the account's events have at least this sequence (of these types)."""
        query = (
            select(func.count())
            .select_from(events)
            .where(events.c.account_id == account_id, events.c.sequence >= sequence)
        )
        if types is not None:
            query = query.where(events.c.type.in_(list(types)))
        return int(self.conn.scalar(query) or 0)

    def delete_before(self, moment: datetime) -> int:
        return int(self.conn.execute(delete(events).where(events.c.at < moment)).rowcount or 0)


def _event(row: Any) -> Event:
    return Event(
        id=row.id,
        sequence=int(row.sequence),
        type=row.type,
        at=as_utc(row.at) or row.at,
        account_id=row.account_id,
        actor=dict(row.actor),
        data=dict(row.data),
    )
