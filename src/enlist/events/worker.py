"""The delivery worker: claims endpoints, posts their due events in sequence order, records.

Runs as threads inside `enlist serve` (every server process takes part) or alone as
`enlist worker`. An endpoint is held by one worker at a time (its claim, which expires if
the worker dies), so its deliveries never go out concurrently or out of order. A delivery
is recorded after its attempt: a worker killed in between sends it again after restart
(at least once; receivers deduplicate by event id).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from enlist.clock import new_id
from enlist.config import Settings
from enlist.events.bell import POLL_SECONDS, Bell
from enlist.events.sender import TIMEOUT_SECONDS, DeliveryAttempt, Verdict, WebhookSender
from enlist.services import deliveries
from enlist.store.db import Database

log = logging.getLogger("enlist.webhooks")

# Deliveries sent per claim of an endpoint before they are recorded together.
BATCH = 200
# How long a worker woken by a change waits for more before it claims: under a stream of
# writes each round carries several events instead of one (fewer transactions per event).
GATHER_SECONDS = 0.03
# How often the worker applies the event retention.
PRUNE_EVERY = 3600.0


class DeliveryWorker:
    """Delivery threads of one process; `start()` them, `stop()` them at shutdown."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        threads: int | None = None,
        sender: WebhookSender | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.name = new_id()
        self.lease = timedelta(seconds=settings.webhook_claim_seconds)
        self.threads = threads if threads is not None else settings.webhook_threads
        # An endpoint is held for `lease`: a batch stops after a third of it, and one attempt
        # lasts at most another third, so the claim is still ours when the batch is recorded.
        self.budget = self.lease.total_seconds() / 3
        self.sender = sender or WebhookSender(
            allow_private=settings.webhook_allow_private,
            timeout=min(TIMEOUT_SECONDS, self.budget),
        )
        self.bell = Bell.of(db)
        self._stopping = threading.Event()
        self._running: list[threading.Thread] = []
        self._pruned_at = 0.0
        self._secrets: dict[str, str] = {}  # unsealed signing secrets, by sealed value

    def __enter__(self) -> DeliveryWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self.run, name=f"enlist-webhooks-{n}", daemon=True)
            thread.start()
            self._running.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        self.bell.wake()
        for thread in self._running:
            thread.join(timeout=15)
        self._running.clear()
        self.sender.close()

    def run(self) -> None:
        """Deliver until stopped; sleep when there is nothing to send."""
        while not self._stopping.is_set():
            seen = self.bell.rings()
            try:
                self._prune_now_and_then()
                sent = self.run_once()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("webhook delivery round failed")
                sent = 0
                self._stopping.wait(POLL_SECONDS)
            woken = not sent and not self._stopping.is_set() and self.bell.sleep(seen, POLL_SECONDS)
            if woken:  # let a burst of changes gather: one round then sends them together
                self._stopping.wait(GATHER_SECONDS)

    def run_once(self) -> int:
        """One round: claim an endpoint and send the due head of its queue; how many attempts."""
        for _ in range(10):  # endpoints claimed with nothing due (filtered types) are skipped
            started = time.monotonic()
            batch = deliveries.take(
                self.db, self.name, self.lease, self.settings.secret_key, BATCH, self._secrets
            )
            if batch is None:
                return 0
            if batch.items:
                break
        else:
            return 0
        results: list[DeliveryAttempt] = []
        for item in batch.items:
            attempt = self.sender.send(
                batch.webhook.url,
                secret=batch.secret,
                event_id=item.event.id,
                body=item.body,
            )
            results.append(attempt)
            if attempt.verdict is Verdict.RETRY or self._stopping.is_set():
                break
            if time.monotonic() - started > self.budget:
                break
        deliveries.record(self.db, self.name, batch, results)
        return len(results)

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY and self._pruned_at:
            return
        self._pruned_at = time.monotonic()
        pruned = deliveries.prune(self.db, self.settings.event_retention_days)
        if pruned:
            log.info("event retention: deleted %d delivered events", pruned)
