"""Server keys every worker shares: from the environment when set, else made once and kept
in the database. A key never changes once made, so each process keeps what it read."""

from __future__ import annotations

import secrets
import threading

from enlist.clock import now
from enlist.store.db import Database
from enlist.store.sessions import SessionStore

_lock = threading.Lock()


def server_key(db: Database, name: str, configured: str = "") -> bytes:
    """The key called `name`: `configured` when set, else the database's (made on first use)."""
    if configured:
        return configured.encode("utf-8")
    found = db.constants.get(name)
    if found is not None:
        return found
    with _lock:
        with db.read() as conn:
            stored = SessionStore(conn).key(name)
        if stored is None:
            with db.write() as conn:
                store = SessionStore(conn)
                store.add_key(name, secrets.token_urlsafe(48), now())  # loses a race harmlessly
                stored = store.key(name)
        assert stored is not None
        db.constants[name] = stored.encode("utf-8")
        return db.constants[name]
