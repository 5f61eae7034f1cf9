"""Read-only views of one account's directory for the admin pages: sources, counts,
organizations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, distinct, func, select

from enlist.store.accounts import as_utc
from enlist.store.tables import group_members, groups, users


@dataclass(frozen=True)
class MemberRow:
    id: str
    user_name: str
    display_name: str | None
    active: bool
    last_modified: datetime


class DirectoryViews:
    """Every query carries the account id, like the SCIM repositories."""

    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    def user_sources(self, user_ids: Sequence[str]) -> dict[str, str]:
        if not user_ids:
            return {}
        rows = self.conn.execute(
            select(users.c.id, users.c.source).where(
                users.c.account_id == self.account_id, users.c.id.in_(list(user_ids))
            )
        )
        return {row.id: row.source for row in rows}

    def user_counts(self) -> tuple[int, int]:
        """(all users, active users) of the account, without those the identity provider
        deleted."""
        row = self.conn.execute(
            select(func.count(), func.count().filter(users.c.active.is_(True))).where(
                users.c.account_id == self.account_id, users.c.deleted_at.is_(None)
            )
        ).first()
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    def group_count(self) -> int:
        return int(
            self.conn.scalar(
                select(func.count())
                .select_from(groups)
                .where(groups.c.account_id == self.account_id)
            )
            or 0
        )

    def member_counts(self, group_ids: Sequence[str]) -> dict[str, int]:
        if not group_ids:
            return {}
        rows = self.conn.execute(
            select(groups.c.id, func.count(group_members.c.user_pk))
            .select_from(groups)
            .outerjoin(group_members, group_members.c.group_pk == groups.c.pk)
            .where(groups.c.account_id == self.account_id, groups.c.id.in_(list(group_ids)))
            .group_by(groups.c.id)
        )
        return {row[0]: int(row[1]) for row in rows}

    def organization_counts(self) -> dict[str, tuple[int, int]]:
        """Per organization: (groups, distinct members of those groups)."""
        group_rows = self.conn.execute(
            select(groups.c.organization_id, func.count())
            .where(groups.c.account_id == self.account_id)
            .group_by(groups.c.organization_id)
        )
        counts = {row[0]: (int(row[1]), 0) for row in group_rows}
        member_rows = self.conn.execute(
            select(groups.c.organization_id, func.count(distinct(group_members.c.user_pk)))
            .join(group_members, group_members.c.group_pk == groups.c.pk)
            .where(groups.c.account_id == self.account_id)
            .group_by(groups.c.organization_id)
        )
        for row in member_rows:
            counts[row[0]] = (counts.get(row[0], (0, 0))[0], int(row[1]))
        return counts

    def organization_group_ids(self, organization_id: str) -> list[str]:
        return list(
            self.conn.scalars(
                select(groups.c.id)
                .where(
                    groups.c.account_id == self.account_id,
                    groups.c.organization_id == organization_id,
                )
                .order_by(groups.c.display_name_lower)
            )
        )

    def organization_members(self, organization_id: str, limit: int) -> list[MemberRow]:
        """Distinct users in any group of the organization, by userName."""
        in_organization = (
            select(group_members.c.user_pk)
            .join(groups, groups.c.pk == group_members.c.group_pk)
            .where(
                groups.c.account_id == self.account_id, groups.c.organization_id == organization_id
            )
        )
        rows = self.conn.execute(
            select(
                users.c.id,
                users.c.user_name,
                users.c.display_name,
                users.c.active,
                users.c.last_modified,
            )
            .where(users.c.account_id == self.account_id, users.c.pk.in_(in_organization))
            .order_by(users.c.user_name_lower)
            .limit(limit)
        )
        return [
            MemberRow(
                id=row.id,
                user_name=row.user_name,
                display_name=row.display_name,
                active=bool(row.active),
                last_modified=as_utc(row.last_modified) or row.last_modified,
            )
            for row in rows
        ]
