"""Repository for admin sign-in: server keys, admin sessions and failed sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from enlist.domain.tenancy import AdminSession
from enlist.store.accounts import as_utc
from enlist.store.tables import accounts, admin_sessions, admins, server_keys, sign_in_attempts


class SessionStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # server keys ----------------------------------------------------------------
    def key(self, name: str) -> str | None:
        return self.conn.scalar(select(server_keys.c.value).where(server_keys.c.name == name))

    def add_key(self, name: str, value: str, moment: datetime) -> bool:
        """Store a key unless another process stored one first; True when ours was kept."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(server_keys).values(name=name, value=value, created=moment)
                )
        except IntegrityError:
            return False
        return True

    # sessions -------------------------------------------------------------------
    def add_session(
        self, digest: str, account_id: str, admin_id: str, created: datetime, expires: datetime
    ) -> None:
        self.conn.execute(
            insert(admin_sessions).values(
                id=digest,
                account_id=account_id,
                admin_id=admin_id,
                created=created,
                expires=expires,
            )
        )

    def session(self, digest: str, moment: datetime) -> AdminSession | None:
        row = self.conn.execute(
            select(
                admin_sessions.c.account_id,
                admin_sessions.c.expires,
                admins.c.id.label("admin_id"),
                admins.c.email,
                admins.c.role,
                accounts.c.name,
            )
            .join(admins, admins.c.id == admin_sessions.c.admin_id)
            .join(accounts, accounts.c.id == admin_sessions.c.account_id)
            .where(admin_sessions.c.id == digest, admin_sessions.c.expires > moment)
        ).first()
        if row is None:
            return None
        return AdminSession(
            account_id=row.account_id,
            email=row.email,
            account_name=row.name,
            expires=as_utc(row.expires) or moment,
            admin_id=row.admin_id,
            role=row.role,
        )

    def end_session(self, digest: str) -> None:
        self.conn.execute(delete(admin_sessions).where(admin_sessions.c.id == digest))

    def end_expired_sessions(self, moment: datetime) -> None:
        self.conn.execute(delete(admin_sessions).where(admin_sessions.c.expires <= moment))

    # failed sign-in attempts ----------------------------------------------------
    def add_failure(self, keys: list[str], moment: datetime) -> None:
        self.conn.execute(insert(sign_in_attempts), [{"key": key, "at": moment} for key in keys])

    def failures_since(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures `key` had since `since`, and when the oldest of them was."""
        row = self.conn.execute(
            select(func.count(), func.min(sign_in_attempts.c.at)).where(
                sign_in_attempts.c.key == key, sign_in_attempts.c.at > since
            )
        ).first()
        if row is None:
            return 0, None
        return int(row[0] or 0), as_utc(row[1])

    def clear_failures(self, key: str) -> None:
        self.conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.key == key))

    def forget_failures_before(self, moment: datetime) -> None:
        self.conn.execute(delete(sign_in_attempts).where(sign_in_attempts.c.at <= moment))
