"""Repository for the admins of accounts, their one-time links and their sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from enlist.clock import new_id, now
from enlist.domain.admins import AccountAdmin
from enlist.store.accounts import as_utc
from enlist.store.tables import admin_sessions, admins


def _admin(row: Any) -> AccountAdmin:
    return AccountAdmin(
        id=row.id,
        account_id=row.account_id,
        email=row.email,
        role=row.role,
        created=as_utc(row.created) or now(),
        pending=row.password_hash is None,
        invited_by=row.invited_by,
        link_expires=as_utc(row.link_expires),
    )


class AdminStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        account_id: str,
        email: str,
        role: str,
        *,
        password_hash: str | None = None,
        invited_by: str | None = None,
    ) -> str:
        admin_id = new_id()
        self.conn.execute(
            insert(admins).values(
                id=admin_id,
                account_id=account_id,
                email=email,
                email_lower=email.lower(),
                role=role,
                password_hash=password_hash,
                invited_by=invited_by,
                created=now(),
            )
        )
        return admin_id

    def by_id(self, admin_id: str) -> AccountAdmin | None:
        row = self.conn.execute(select(admins).where(admins.c.id == admin_id)).first()
        return _admin(row) if row else None

    def by_email(self, email: str) -> AccountAdmin | None:
        row = self.conn.execute(
            select(admins).where(admins.c.email_lower == email.strip().lower())
        ).first()
        return _admin(row) if row else None

    def password_hash(self, email: str) -> tuple[AccountAdmin, str | None] | None:
        row = self.conn.execute(
            select(admins).where(admins.c.email_lower == email.strip().lower())
        ).first()
        return (_admin(row), row.password_hash) if row else None

    def by_link(self, digest: str) -> AccountAdmin | None:
        row = self.conn.execute(select(admins).where(admins.c.link_digest == digest)).first()
        return _admin(row) if row else None

    def of_account(self, account_id: str) -> list[AccountAdmin]:
        rows = self.conn.execute(
            select(admins).where(admins.c.account_id == account_id).order_by(admins.c.created)
        )
        return [_admin(r) for r in rows]

    def first_owner(self, account_id: str, email: str) -> AccountAdmin | None:
        """The owner with this email, else the account's oldest owner."""
        found = [a for a in self.of_account(account_id) if a.is_owner]
        named = [a for a in found if a.email.lower() == email.lower()]
        chosen = named or found
        return chosen[0] if chosen else None

    def set_link(self, admin_id: str, digest: str, expires: datetime) -> None:
        self.conn.execute(
            update(admins)
            .where(admins.c.id == admin_id)
            .values(link_digest=digest, link_expires=expires)
        )

    def set_password_hash(self, admin_id: str, password_hash: str) -> None:
        """The new password; any one-time link of the admin stops working."""
        self.conn.execute(
            update(admins)
            .where(admins.c.id == admin_id)
            .values(password_hash=password_hash, link_digest=None, link_expires=None)
        )

    def use_link(self, digest: str, password_hash: str) -> bool:
        """Set the password of the link's holder and spend the link, in one statement (two
        requests with the same link: one wins); False when it was spent already."""
        result = self.conn.execute(
            update(admins)
            .where(admins.c.link_digest == digest)
            .values(password_hash=password_hash, link_digest=None, link_expires=None)
        )
        return bool(result.rowcount)

    def set_role(self, admin_id: str, role: str) -> None:
        self.conn.execute(update(admins).where(admins.c.id == admin_id).values(role=role))

    def remove(self, admin_id: str) -> None:
        self.conn.execute(delete(admins).where(admins.c.id == admin_id))  # sessions cascade

    def end_sessions(self, admin_id: str, keep: str | None = None) -> int:
        """End the admin's sessions (but the one whose digest is `keep`); how many ended."""
        condition = admin_sessions.c.admin_id == admin_id
        if keep is not None:
            condition = condition & (admin_sessions.c.id != keep)
        return int(self.conn.execute(delete(admin_sessions).where(condition)).rowcount or 0)
