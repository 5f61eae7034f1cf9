"""Repository for webhook endpoints and their deliveries: the queue, the claims, the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from enlist.domain.events import Event
from enlist.domain.webhooks import TEST_EVENT_TYPE, Delivery, DeliveryStatus, Webhook
from enlist.store.accounts import as_utc
from enlist.store.events import _event
from enlist.store.tables import event_sequences, events, webhook_deliveries, webhooks

W = webhooks.c
D = webhook_deliveries.c
PENDING = DeliveryStatus.PENDING.value
_RECORD = (
    update(webhook_deliveries)
    .where(D.pk == bindparam("pk_"))
    .values(
        status=bindparam("status_"),
        attempts=D.attempts + 1,
        last_attempt_at=bindparam("last_"),
        next_attempt_at=bindparam("next_"),
        status_code=bindparam("code_"),
        latency_ms=bindparam("latency_"),
        excerpt=bindparam("excerpt_"),
    )
)


class WebhookStore:
    """Endpoints of every account; each read of an account's data names the account."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- endpoints ------------------------------------------------------------------------

    def add(self, webhook: Webhook, secret_sealed: str) -> None:
        self.conn.execute(
            insert(webhooks).values(
                id=webhook.id,
                account_id=webhook.account_id,
                url=webhook.url,
                event_types=list(webhook.event_types) if webhook.event_types else None,
                secret_sealed=secret_sealed,
                enabled=webhook.enabled,
                created=webhook.created,
                created_by=webhook.created_by,
                cursor=webhook.cursor,
            )
        )

    def get(self, webhook_id: str, account_id: str | None = None) -> Webhook | None:
        query = select(webhooks).where(W.id == webhook_id)
        if account_id is not None:
            query = query.where(W.account_id == account_id)
        row = self.conn.execute(query).first()
        return _webhook(row) if row is not None else None

    def sealed_secret(self, webhook_id: str) -> str:
        return str(self.conn.scalar(select(W.secret_sealed).where(W.id == webhook_id)))

    def of_account(self, account_id: str) -> list[Webhook]:
        rows = self.conn.execute(
            select(webhooks).where(W.account_id == account_id).order_by(W.created, W.id)
        )
        return [_webhook(row) for row in rows]

    def enable(self, webhook_id: str, moment: datetime) -> bool:
        """Enabled again: its waiting deliveries are tried at once. False if it already was."""
        done = self.conn.execute(
            update(webhooks)
            .where(W.id == webhook_id, W.enabled.is_(False))
            .values(enabled=True, failing_since=None, disabled_reason=None, retry_at=None)
        )
        if not done.rowcount:
            return False
        self.conn.execute(
            update(webhook_deliveries)
            .where(D.webhook_id == webhook_id, D.status == PENDING)
            .values(next_attempt_at=moment)
        )
        return True

    def disable(self, webhook_id: str, reason: str | None) -> bool:
        done = self.conn.execute(
            update(webhooks)
            .where(W.id == webhook_id, W.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason)
        )
        return bool(done.rowcount)

    # -- the queue ------------------------------------------------------------------------

    def queue_new(self, webhook: Webhook, moment: datetime, limit: int) -> int:
        """Queue the account's events after the endpoint's cursor (its types only), up to
        `limit` events read; returns how many were read (0: the cursor is at the end)."""
        found = self.conn.execute(
            select(events.c.id, events.c.sequence, events.c.type)
            .where(events.c.account_id == webhook.account_id, events.c.sequence > webhook.cursor)
            .order_by(events.c.sequence)
            .limit(limit)
        ).all()
        if not found:
            return 0
        wanted = [row for row in found if webhook.wants(row.type)]
        if wanted:
            self.conn.execute(
                insert(webhook_deliveries),
                [_pending(webhook.id, row.id, row.sequence, row.type, moment) for row in wanted],
            )
        self.conn.execute(
            update(webhooks).where(W.id == webhook.id).values(cursor=found[-1].sequence)
        )
        return len(found)

    def queue_replay(self, webhook: Webhook, first: int, moment: datetime) -> int:
        """Queue again the events from sequence `first` up to the cursor (later ones are
        queued as they come anyway); returns how many."""
        chosen = select(
            literal(webhook.id),
            events.c.id,
            events.c.sequence,
            events.c.type,
            literal(PENDING),
            literal(0),
            literal(moment, webhooks.c.created.type),
            literal(moment, webhooks.c.created.type),
        ).where(
            events.c.account_id == webhook.account_id,
            events.c.sequence >= first,
            events.c.sequence <= webhook.cursor,
        )
        if webhook.event_types is not None:
            chosen = chosen.where(events.c.type.in_(list(webhook.event_types)))
        queued = int(self.conn.scalar(select(func.count()).select_from(chosen.subquery())) or 0)
        self.conn.execute(
            insert(webhook_deliveries).from_select(
                [
                    D.webhook_id,
                    D.event_id,
                    D.sequence,
                    D.type,
                    D.status,
                    D.attempts,
                    D.created,
                    D.next_attempt_at,
                ],
                chosen,
            )
        )
        return queued

    def add_test(self, webhook_id: str, moment: datetime, attempt: Attempt) -> None:
        """A test event's attempt, for the delivery log (it is never retried)."""
        self.conn.execute(
            insert(webhook_deliveries).values(
                webhook_id=webhook_id,
                event_id=None,
                sequence=0,
                type=TEST_EVENT_TYPE,
                status=attempt.status.value,
                attempts=1,
                created=moment,
                next_attempt_at=moment,
                last_attempt_at=moment,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                excerpt=attempt.excerpt,
            )
        )

    # -- the workers ----------------------------------------------------------------------

    def claim(self, worker: str, moment: datetime, until: datetime, limit: int) -> list[str]:
        """Take up to `limit` endpoints with something to send now, for `worker` until
        `until`; one whose claim expired (its worker died) can be taken again. On
        PostgreSQL, rows another worker is claiming are skipped, not waited for."""
        found = list(
            self.conn.scalars(
                _claimable(moment).limit(limit).with_for_update(skip_locked=True, of=webhooks)
            )
        )
        if found:
            self.conn.execute(
                update(webhooks)
                .where(W.id.in_(found))
                .values(claimed_by=worker, claimed_until=until)
            )
        return found

    def any_claimable(self, moment: datetime) -> bool:
        """A cheap read first, so that idle workers never take SQLite's write lock."""
        return self.conn.scalar(_ANY_CLAIMABLE, {"moment": moment}) is not None

    def holds(self, webhook_id: str, worker: str) -> bool:
        """True while `worker` still holds its claim (locks the row until the commit)."""
        held = self.conn.scalar(
            select(W.claimed_by).where(W.id == webhook_id).with_for_update(of=webhooks)
        )
        return held == worker

    def release(self, webhook_id: str, worker: str) -> None:
        self.conn.execute(
            update(webhooks)
            .where(W.id == webhook_id, W.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None)
        )

    def due(self, webhook_id: str, moment: datetime, limit: int) -> list[tuple[Delivery, Event]]:
        """The head of the endpoint's queue, in sequence order, while due by `moment`."""
        rows = self.conn.execute(
            select(webhook_deliveries, events)
            .join(events, events.c.id == D.event_id)
            .where(D.webhook_id == webhook_id, D.status == PENDING)
            .order_by(D.sequence, D.pk)
            .limit(limit)
        ).all()
        head: list[tuple[Delivery, Event]] = []
        for row in rows:
            delivery = _delivery(row)
            if delivery.next_attempt_at > moment:
                break
            head.append((delivery, _event(_EventRow(row))))
        return head

    def record(self, outcomes: Sequence[tuple[int, datetime, Attempt, datetime]]) -> None:
        """Each (delivery pk, attempted at, attempt, next attempt at), in one statement."""
        if not outcomes:
            return
        self.conn.execute(
            _RECORD,
            [
                {
                    "pk_": pk,
                    "status_": attempt.status.value,
                    "last_": moment,
                    "next_": next_at,
                    "code_": attempt.status_code,
                    "latency_": attempt.latency_ms,
                    "excerpt_": attempt.excerpt,
                }
                for pk, moment, attempt, next_at in outcomes
            ],
        )

    def succeeded(self, webhook_id: str) -> None:
        self.conn.execute(
            update(webhooks).where(W.id == webhook_id).values(failing_since=None, retry_at=None)
        )

    def retry_later(self, webhook_id: str, failing_since: datetime, retry_at: datetime) -> None:
        self.conn.execute(
            update(webhooks)
            .where(W.id == webhook_id)
            .values(failing_since=func.coalesce(W.failing_since, failing_since), retry_at=retry_at)
        )

    # -- the log and retention ------------------------------------------------------------

    def log(self, webhook_id: str, limit: int) -> list[Delivery]:
        """The endpoint's deliveries, the last attempted (or queued) first."""
        rows = self.conn.execute(
            select(webhook_deliveries)
            .where(D.webhook_id == webhook_id)
            .order_by(D.pk.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in rows]

    def counts(self, webhook_id: str) -> dict[str, int]:
        rows = self.conn.execute(
            select(D.status, func.count()).where(D.webhook_id == webhook_id).group_by(D.status)
        )
        return {str(status): int(n) for status, n in rows}

    def prune(self, cutoff: datetime) -> int:
        """Delete events older than `cutoff` that no enabled endpoint still has to send
        (their deliveries go with them); returns how many events."""
        waiting = exists().where(D.event_id == events.c.id, D.status == PENDING)
        behind = exists().where(
            W.account_id == events.c.account_id,
            W.enabled.is_(True),
            W.cursor < events.c.sequence,
        )
        done = self.conn.execute(delete(events).where(events.c.at < cutoff, ~waiting, ~behind))
        self.conn.execute(
            delete(webhook_deliveries).where(D.event_id.is_(None), D.created < cutoff)
        )
        return int(done.rowcount or 0)


def _claimable(moment: Any) -> Select[Any]:
    last = (
        select(event_sequences.c.last)
        .where(event_sequences.c.account_id == W.account_id)
        .scalar_subquery()
    )
    waiting = exists().where(D.webhook_id == W.id, D.status == PENDING)
    return (
        select(W.id)
        .where(
            W.enabled.is_(True),
            or_(W.claimed_until.is_(None), W.claimed_until < moment),
            or_(W.retry_at.is_(None), W.retry_at <= moment),
            or_(W.cursor < last, waiting),
        )
        .order_by(W.claimed_until.is_not(None), W.claimed_until)
    )


# Every delivery thread of every process asks this after each round (and after each write
# that rings the bell), webhooks or not: built once, the moment a parameter.
_ANY_CLAIMABLE = _claimable(bindparam("moment", type_=webhooks.c.claimed_until.type)).limit(1)


class Attempt:
    """What to record of one attempt: the delivery's new status and the receiver's answer."""

    __slots__ = ("excerpt", "latency_ms", "status", "status_code")

    def __init__(
        self,
        status: DeliveryStatus,
        status_code: int | None,
        latency_ms: int | None,
        excerpt: str | None,
    ) -> None:
        self.status = status
        self.status_code = status_code
        self.latency_ms = latency_ms
        self.excerpt = excerpt


def _pending(
    webhook_id: str, event_id: str, sequence: int, kind: str, moment: datetime
) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id,
        "event_id": event_id,
        "sequence": sequence,
        "type": kind,
        "status": PENDING,
        "attempts": 0,
        "created": moment,
        "next_attempt_at": moment,
    }


def _webhook(row: Any) -> Webhook:
    chosen: Sequence[str] | None = row.event_types
    return Webhook(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        event_types=tuple(chosen) if chosen else None,
        enabled=bool(row.enabled),
        failing_since=as_utc(row.failing_since),
        disabled_reason=row.disabled_reason,
        created=as_utc(row.created) or row.created,
        created_by=row.created_by,
        cursor=int(row.cursor),
    )


def _delivery(row: Any) -> Delivery:
    m = row._mapping
    return Delivery(
        pk=int(m[D.pk]),
        webhook_id=m[D.webhook_id],
        event_id=m[D.event_id],
        sequence=int(m[D.sequence]),
        type=m[D.type],
        status=DeliveryStatus(m[D.status]),
        attempts=int(m[D.attempts]),
        created=as_utc(m[D.created]) or m[D.created],
        next_attempt_at=as_utc(m[D.next_attempt_at]) or m[D.next_attempt_at],
        last_attempt_at=as_utc(m[D.last_attempt_at]),
        status_code=m[D.status_code],
        latency_ms=m[D.latency_ms],
        excerpt=m[D.excerpt],
    )


class _EventRow:
    """The events columns of a joined row, under their own names (for `_event`)."""

    def __init__(self, row: Any) -> None:
        m = row._mapping
        self.id = m[events.c.id]
        self.sequence = m[events.c.sequence]
        self.type = m[events.c.type]
        self.at = m[events.c.at]
        self.account_id = m[events.c.account_id]
        self.actor = m[events.c.actor]
        self.data = m[events.c.data]
