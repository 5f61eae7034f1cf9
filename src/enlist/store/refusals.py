"""The SQL of refused SCIM secrets: which secret a digest was, and the count of its refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from enlist.store.accounts import as_utc
from enlist.store.tables import scim_secrets, secret_refusals, trusted_domains


@dataclass(frozen=True)
class RefusedSecret:
    """A secret that is no longer accepted: revoked, or past its expiry."""

    id: str
    account_id: str
    hint: str
    domain: str
    revoked_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Refusals:
    """How often a refused secret was tried: in all, and since the log last said so."""

    secret_id: str
    last_tried: datetime
    total: int
    unlogged: int
    logged_at: datetime | None


class RefusalStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def secret(self, digest: str) -> RefusedSecret | None:
        """The secret with this digest, accepted or not (the caller judges)."""
        row = self.conn.execute(
            select(
                scim_secrets.c.id,
                scim_secrets.c.account_id,
                scim_secrets.c.hint,
                scim_secrets.c.revoked_at,
                scim_secrets.c.expires_at,
                trusted_domains.c.name,
            )
            .join(trusted_domains, trusted_domains.c.id == scim_secrets.c.domain_id)
            .where(scim_secrets.c.digest == digest)
        ).first()
        if row is None:
            return None
        return RefusedSecret(
            row.id,
            row.account_id,
            row.hint,
            row.name,
            as_utc(row.revoked_at),
            as_utc(row.expires_at),
        )

    def tried(self, secret: RefusedSecret, moment: datetime) -> Refusals:
        """Count one more refused try of `secret`; its counts afterwards."""
        counted = self.conn.execute(
            update(secret_refusals)
            .where(secret_refusals.c.secret_id == secret.id)
            .values(
                last_tried=moment,
                total=secret_refusals.c.total + 1,
                unlogged=secret_refusals.c.unlogged + 1,
            )
        )
        if counted.rowcount == 0:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        insert(secret_refusals).values(
                            secret_id=secret.id,
                            account_id=secret.account_id,
                            last_tried=moment,
                            total=1,
                            unlogged=1,
                        )
                    )
            except IntegrityError:  # another request counted the first try meanwhile
                return self.tried(secret, moment)
        found = self._of(secret.account_id, [secret.id])
        return found[secret.id]

    def logged(self, secret_id: str, moment: datetime) -> None:
        self.conn.execute(
            update(secret_refusals)
            .where(secret_refusals.c.secret_id == secret_id)
            .values(unlogged=0, logged_at=moment)
        )

    def of_account(self, account_id: str) -> dict[str, Refusals]:
        return self._of(account_id, None)

    def _of(self, account_id: str, secret_ids: list[str] | None) -> dict[str, Refusals]:
        query = select(secret_refusals).where(secret_refusals.c.account_id == account_id)
        if secret_ids is not None:
            query = query.where(secret_refusals.c.secret_id.in_(secret_ids))
        return {
            r.secret_id: Refusals(
                r.secret_id,
                as_utc(r.last_tried) or r.last_tried,
                r.total,
                r.unlogged,
                as_utc(r.logged_at),
            )
            for r in self.conn.execute(query)
        }
