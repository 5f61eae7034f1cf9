"""Repository for API keys: stored as digests, found by digest, revoked by time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from enlist.clock import new_id, now
from enlist.domain.tenancy import ApiKey
from enlist.store.accounts import as_utc
from enlist.store.tables import api_keys

# Built once: every call of the access API runs it.
_BY_DIGEST = select(
    api_keys.c.id, api_keys.c.account_id, api_keys.c.digest, api_keys.c.last_used
).where(api_keys.c.digest == bindparam("digest"), api_keys.c.revoked_at.is_(None))


class ApiKeyStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, account_id: str, name: str, digest: str, hint: str, created_by: str) -> str:
        key_id = new_id()
        self.conn.execute(
            insert(api_keys).values(
                id=key_id,
                account_id=account_id,
                name=name,
                digest=digest,
                hint=hint,
                created=now(),
                created_by=created_by,
            )
        )
        return key_id

    def get(self, key_id: str) -> ApiKey | None:
        row = self.conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return _key(row) if row else None

    def of_account(self, account_id: str) -> list[ApiKey]:
        rows = self.conn.execute(
            select(api_keys)
            .where(api_keys.c.account_id == account_id)
            .order_by(api_keys.c.created.desc())
        )
        return [_key(row) for row in rows]

    def live_by_digest(self, digest: str) -> tuple[str, str, str, datetime | None] | None:
        """(key id, account id, stored digest, last used) of an unrevoked key."""
        row = self.conn.execute(_BY_DIGEST, {"digest": digest}).first()
        if row is None:
            return None
        return row.id, row.account_id, row.digest, as_utc(row.last_used)

    def revoke(self, key_id: str) -> bool:
        """Revoke a key; False when it was revoked already."""
        result = self.conn.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
        return bool(result.rowcount)

    def touch(self, key_id: str, moment: datetime, older_than: timedelta) -> None:
        """Record use, at most once per `older_than`, so reads do not become writes."""
        self.conn.execute(
            update(api_keys)
            .where(
                api_keys.c.id == key_id,
                (api_keys.c.last_used.is_(None)) | (api_keys.c.last_used < moment - older_than),
            )
            .values(last_used=moment)
        )


def _key(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        hint=row.hint,
        created=as_utc(row.created) or now(),
        created_by=row.created_by,
        last_used=as_utc(row.last_used),
        revoked_at=as_utc(row.revoked_at),
    )
