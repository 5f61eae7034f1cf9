"""Recording and reading the activity log that admins use to answer "why did Okta fail?"."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from enlist.domain.activity import Entry
from enlist.store.activity import ActivityStore
from enlist.store.db import Database

log = logging.getLogger("enlist.activity")


def record(db: Database, entry: Entry) -> None:
    """Append an entry in its own transaction; a failure to log never fails the request."""
    try:
        with db.write() as conn:
            ActivityStore(conn).append(entry)
    except Exception:  # pragma: no cover - logged, and the caller's answer stands
        log.exception("could not record activity %s for %s", entry.action, entry.account_id)


def newest(
    db: Database,
    account_id: str,
    *,
    limit: int = 100,
    before: int | None = None,
    outcome: str | None = None,
    resource_type: str | None = None,
    text: str | None = None,
    resource_id: str | None = None,
) -> list[tuple[int, Entry]]:
    """The account's entries, newest first, optionally filtered; `before` pages by position;
    `resource_id` keeps one resource's own history (a group's, whatever names it had)."""
    with db.read() as conn:
        return ActivityStore(conn).newest(
            account_id,
            limit=min(max(limit, 1), 500),
            before=before,
            outcome=outcome,
            resource_type=resource_type,
            text=text,
            resource_id=resource_id,
        )


EXPORT_BATCH = 500


def every(
    db: Database,
    account_id: str,
    *,
    outcome: str | None = None,
    resource_type: str | None = None,
    text: str | None = None,
) -> Iterator[Entry]:
    """Every entry matching the filters, newest first, read EXPORT_BATCH at a time (one
    short read each), so an export of any size streams without holding a transaction."""
    before: int | None = None
    while True:
        found = newest(
            db,
            account_id,
            limit=EXPORT_BATCH,
            before=before,
            outcome=outcome,
            resource_type=resource_type,
            text=text,
        )
        for _, entry in found:
            yield entry
        if len(found) < EXPORT_BATCH:
            return
        before = found[-1][0]


def prune(db: Database, older_than_days: int) -> int:
    """Delete entries older than the retention; returns how many went."""
    from datetime import timedelta

    from enlist.clock import now

    with db.write() as conn:
        return ActivityStore(conn).delete_before(now() - timedelta(days=older_than_days))
