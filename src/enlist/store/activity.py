"""Repository for the activity log: append-only rows, read newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, true

from enlist.domain.activity import Entry
from enlist.store.accounts import as_utc
from enlist.store.tables import activity

# Built once: every write appends an entry, and building an INSERT with its values cost
# more than running it (the values go as parameters instead).
_APPEND = insert(activity)


class ActivityStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, *entries: Entry) -> None:
        """Append entries in one statement (one row each)."""
        if entries:
            self.conn.execute(_APPEND, [_row(entry) for entry in entries])

    def delete_before(self, moment: Any) -> int:
        return int(self.conn.execute(delete(activity).where(activity.c.at < moment)).rowcount or 0)

    def newest(
        self,
        account_id: str,
        *,
        limit: int = 100,
        before: int | None = None,
        outcome: str | None = None,
        resource_type: str | None = None,
        text: str | None = None,
        resource_id: str | None = None,
    ) -> list[tuple[int, Entry]]:
        conditions: list[Any] = [activity.c.account_id == account_id]
        if resource_id:
            conditions.append(activity.c.resource_id == resource_id)
        if before is not None:
            conditions.append(activity.c.pk < before)
        if outcome:
            conditions.append(activity.c.outcome == outcome)
        if resource_type:
            conditions.append(activity.c.resource_type == resource_type)
        if text:
            pattern = text.lower()
            conditions.append(
                or_(
                    func.lower(activity.c.resource_name).contains(pattern, autoescape=True),
                    func.lower(activity.c.detail).contains(pattern, autoescape=True),
                    activity.c.action.contains(pattern, autoescape=True),
                )
            )
        rows = self.conn.execute(
            select(activity)
            .where(and_(true(), *conditions))
            .order_by(activity.c.pk.desc())
            .limit(limit)
        )
        return [
            (
                row.pk,
                Entry(
                    account_id=row.account_id,
                    at=as_utc(row.at) or row.at,
                    actor_type=row.actor_type,
                    actor=row.actor,
                    action=row.action,
                    resource_type=row.resource_type,
                    resource_id=row.resource_id,
                    resource_name=row.resource_name,
                    outcome=row.outcome,
                    status=row.status,
                    detail=row.detail,
                    user_agent=row.user_agent,
                    request_id=row.request_id,
                    changes=row.changes,
                ),
            )
            for row in rows
        ]


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "account_id": entry.account_id,
        "at": entry.at,
        "actor_type": entry.actor_type,
        "actor": _kept(entry.actor, 320),
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": _kept(entry.resource_id, 64),
        "resource_name": _kept(entry.resource_name, 320),
        "outcome": entry.outcome,
        "status": entry.status,
        "detail": _kept(entry.detail),
        "user_agent": _kept(entry.user_agent, 300) or None,
        "request_id": _kept(entry.request_id, 64),
        "changes": entry.changes,
    }


def _kept(text: str | None, length: int | None = None) -> Any:
    """Text as the log can keep it whatever a refused request sent: cut to its column, and
    NUL characters (which PostgreSQL refuses) shown as U+FFFD, so the refusal is recorded."""
    if text is None:
        return None
    return text.replace("\x00", "\ufffd")[:length]
