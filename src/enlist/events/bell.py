"""Wakes whoever waits for an account's new events: feed long polls and delivery workers.

`Database.announce` rings the bell after this process committed events; changes made by
other processes are found by the waiters' own short polls (`POLL_SECONDS`), so a waiter
never sleeps longer than that without looking.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import ClassVar

from enlist.store.db import Database

# How often a waiter looks at the database for another process's events.
POLL_SECONDS = 0.5


class Bell:
    """One per database in a process; `Bell.of(db)` finds or makes it."""

    _bells: ClassVar[weakref.WeakKeyDictionary[Database, Bell]] = weakref.WeakKeyDictionary()
    _made: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._rung = threading.Condition()
        self._rings = 0

    @classmethod
    def of(cls, db: Database) -> Bell:
        with cls._made:
            bell = cls._bells.get(db)
            if bell is None:
                bell = cls._bells[db] = cls()
                db.listeners.append(bell.ring)
            return bell

    def ring(self, account_id: str) -> None:
        """Events of `account_id` were committed (called from the committing thread)."""
        with self._lock:
            waiting = list(self._waiting.get(account_id, ()))
        for loop, event in waiting:
            loop.call_soon_threadsafe(event.set)
        with self._rung:
            self._rings += 1
            self._rung.notify_all()

    async def wait(self, account_id: str, timeout: float) -> None:
        """Return when the account's events are announced, or after `timeout` seconds."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(account_id, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiters = self._waiting.get(account_id)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiting[account_id]

    def wake(self) -> None:
        """Wake every thread in `sleep` (a worker stopping)."""
        with self._rung:
            self._rings += 1
            self._rung.notify_all()

    def rings(self) -> int:
        """A counter of announcements (of any account) to pass to `sleep`."""
        with self._rung:
            return self._rings

    def sleep(self, seen: int, timeout: float) -> bool:
        """Block this thread until an announcement after `rings()` returned `seen`, or
        timeout; True when an announcement woke it."""
        with self._rung:
            return self._rung.wait_for(lambda: self._rings != seen, timeout)
