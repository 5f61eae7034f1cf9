"""Repositories for provisioned users and groups; membership is rows, changed by set operations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from enlist.clock import new_id, now
from enlist.domain.errors import Conflict
from enlist.domain.model import Email, Group, GroupRef, Member, User, UserFields
from enlist.store.accounts import as_utc
from enlist.store.filters import Attribute, Collection, Column, Kind
from enlist.store.tables import group_members, groups, user_emails, users

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:group"

_member_user = users.alias("member_user")
_email_fields: dict[str, Column] = {
    "value": Column(user_emails.c.value_lower, Kind.TEXT),
    "type": Column(func.lower(user_emails.c.type), Kind.TEXT),
    "primary": Column(user_emails.c.primary, Kind.BOOL),
    "display": Column(func.lower(user_emails.c.display), Kind.TEXT),
}
_user_group_fields: dict[str, Column] = {
    "value": Column(groups.c.id, Kind.EXACT),
    "display": Column(groups.c.display_name_lower, Kind.TEXT),
}


def _emails_of_user(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(user_emails.c.user_pk == users.c.pk, condition)


def _groups_of_user(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        group_members.c.user_pk == users.c.pk, groups.c.pk == group_members.c.group_pk, condition
    )


def _ci(column: Any) -> Column:
    return Column(func.lower(column), Kind.TEXT)


USER_ATTRIBUTES: dict[str, Attribute] = {
    "id": Column(users.c.id, Kind.EXACT),
    "externalid": Column(users.c.external_id, Kind.EXACT),
    "username": Column(users.c.user_name_lower, Kind.TEXT),
    "displayname": Column(users.c.display_name_lower, Kind.TEXT),
    "name.formatted": _ci(users.c.name_formatted),
    "name.familyname": _ci(users.c.family_name),
    "name.givenname": _ci(users.c.given_name),
    "name.middlename": _ci(users.c.middle_name),
    "name.honorificprefix": _ci(users.c.honorific_prefix),
    "name.honorificsuffix": _ci(users.c.honorific_suffix),
    "nickname": _ci(users.c.nick_name),
    "profileurl": _ci(users.c.profile_url),
    "title": _ci(users.c.title),
    "usertype": _ci(users.c.user_type),
    "preferredlanguage": _ci(users.c.preferred_language),
    "locale": _ci(users.c.locale),
    "timezone": _ci(users.c.timezone),
    "active": Column(users.c.active, Kind.BOOL),
    "meta.created": Column(users.c.created, Kind.DATETIME),
    "meta.lastmodified": Column(users.c.last_modified, Kind.DATETIME),
    "emails": Collection(_emails_of_user, _email_fields),
    "groups": Collection(_groups_of_user, _user_group_fields),
}

_member_fields: dict[str, Column] = {
    "value": Column(_member_user.c.id, Kind.EXACT),
    "display": Column(
        func.lower(func.coalesce(_member_user.c.display_name, _member_user.c.user_name)), Kind.TEXT
    ),
    "type": Column(func.lower("User"), Kind.TEXT),
}


def _members_of_group(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        group_members.c.group_pk == groups.c.pk,
        _member_user.c.pk == group_members.c.user_pk,
        condition,
    )


GROUP_ATTRIBUTES: dict[str, Attribute] = {
    "id": Column(groups.c.id, Kind.EXACT),
    "externalid": Column(groups.c.external_id, Kind.EXACT),
    "displayname": Column(groups.c.display_name_lower, Kind.TEXT),
    "meta.created": Column(groups.c.created, Kind.DATETIME),
    "meta.lastmodified": Column(groups.c.last_modified, Kind.DATETIME),
    "members": Collection(_members_of_group, _member_fields),
}

# The member view used by `members[...]` PATCH paths: rows of one group's members.
MEMBER_ATTRIBUTES: dict[str, Attribute] = dict(_member_fields)


@dataclass(frozen=True)
class Page:
    total: int
    items: list[Any]


def _insert_ignoring_duplicates(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    elif conn.dialect.name == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - only the two supported backends
        raise NotImplementedError(conn.dialect.name)


def _chunks(items: Sequence[Any], size: int = 900) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class UserStore:
    """Users of one account; every query carries the account id."""

    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    def _columns(self, fields: UserFields) -> dict[str, Any]:
        name = fields.name
        return {
            "user_name": fields.user_name,
            "user_name_lower": fields.user_name.lower(),
            "external_id": fields.external_id,
            "name_formatted": name.get("formatted"),
            "family_name": name.get("familyName"),
            "given_name": name.get("givenName"),
            "middle_name": name.get("middleName"),
            "honorific_prefix": name.get("honorificPrefix"),
            "honorific_suffix": name.get("honorificSuffix"),
            "display_name": fields.display_name,
            "display_name_lower": fields.display_name.lower() if fields.display_name else None,
            "nick_name": fields.nick_name,
            "profile_url": fields.profile_url,
            "title": fields.title,
            "user_type": fields.user_type,
            "preferred_language": fields.preferred_language,
            "locale": fields.locale,
            "timezone": fields.timezone,
            "active": fields.active,
            "phone_numbers": fields.phone_numbers or None,
            "addresses": fields.addresses or None,
        }

    def _write_emails(self, user_pk: int, emails: list[Email], replace: bool) -> None:
        if replace:
            self.conn.execute(delete(user_emails).where(user_emails.c.user_pk == user_pk))
        if emails:
            self.conn.execute(
                insert(user_emails),
                [
                    {
                        "user_pk": user_pk,
                        "account_id": self.account_id,
                        "position": position,
                        "value": email.value,
                        "value_lower": email.value.lower(),
                        "type": email.type,
                        "primary": email.primary,
                        "display": email.display,
                    }
                    for position, email in enumerate(emails)
                ],
            )

    def insert(self, fields: UserFields, source: str = "scim") -> str:
        user_id = new_id()
        moment = now()
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(users).values(
                        id=user_id,
                        account_id=self.account_id,
                        created=moment,
                        last_modified=moment,
                        version=1,
                        source=source,
                        **self._columns(fields),
                    )
                )
        except IntegrityError:
            raise Conflict(f"A user with userName {fields.user_name} already exists.") from None
        pk = result.inserted_primary_key[0]
        self._write_emails(pk, fields.emails, replace=False)
        return user_id

    def update(self, pk: int, fields: UserFields) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(users)
                    .where(users.c.pk == pk, users.c.account_id == self.account_id)
                    .values(last_modified=now(), version=users.c.version + 1, **self._columns(fields))
                )
        except IntegrityError:
            raise Conflict(f"Another user already has userName {fields.user_name}.") from None
        self._write_emails(pk, fields.emails, replace=True)

    def set_active(self, pk: int, active: bool) -> None:
        self.conn.execute(
            update(users)
            .where(users.c.pk == pk, users.c.account_id == self.account_id)
            .values(active=active, last_modified=now(), version=users.c.version + 1)
        )

    def delete(self, pk: int) -> None:
        self.conn.execute(delete(group_members).where(group_members.c.user_pk == pk))
        self.conn.execute(delete(user_emails).where(user_emails.c.user_pk == pk))
        self.conn.execute(delete(users).where(users.c.pk == pk, users.c.account_id == self.account_id))

    def pk_and_version(self, user_id: str, *, lock: bool = False) -> tuple[int, int] | None:
        query = select(users.c.pk, users.c.version).where(
            users.c.id == user_id, users.c.account_id == self.account_id
        )
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return (row.pk, row.version) if row else None

    def get(self, user_id: str, *, with_groups: bool = True) -> User | None:
        rows = self.conn.execute(
            select(users).where(users.c.id == user_id, users.c.account_id == self.account_id)
        ).all()
        found = self._hydrate(rows, with_groups=with_groups)
        return found[0] if found else None

    def id_by_user_name(self, user_name: str) -> str | None:
        return self.conn.scalar(
            select(users.c.id).where(
                users.c.account_id == self.account_id, users.c.user_name_lower == user_name.lower()
            )
        )

    def search(
        self,
        where: ColumnElement[bool] | None,
        offset: int,
        limit: int,
        order: list[ColumnElement[Any]] | None = None,
        *,
        with_groups: bool = True,
        with_total: bool = True,
    ) -> Page:
        condition = and_(users.c.account_id == self.account_id, where if where is not None else true())
        total = (
            int(self.conn.scalar(select(func.count()).select_from(users).where(condition)) or 0)
            if with_total
            else -1
        )
        items: list[User] = []
        if limit > 0:
            query: Select[Any] = (
                select(users)
                .where(condition)
                .order_by(*(order or []), users.c.pk)
                .offset(offset)
                .limit(limit)
            )
            items = self._hydrate(self.conn.execute(query).all(), with_groups=with_groups)
        return Page(total=total, items=items)

    def _hydrate(self, rows: Sequence[Any], *, with_groups: bool) -> list[User]:
        if not rows:
            return []
        pks = [row.pk for row in rows]
        emails: dict[int, list[Email]] = {pk: [] for pk in pks}
        for email in self.conn.execute(
            select(user_emails)
            .where(user_emails.c.user_pk.in_(pks))
            .order_by(user_emails.c.user_pk, user_emails.c.position)
        ):
            emails[email.user_pk].append(
                Email(value=email.value, type=email.type, primary=bool(email.primary), display=email.display)
            )
        memberships: dict[int, list[GroupRef]] = {pk: [] for pk in pks}
        if with_groups:
            for link in self.conn.execute(
                select(group_members.c.user_pk, groups.c.id, groups.c.display_name)
                .join(groups, groups.c.pk == group_members.c.group_pk)
                .where(group_members.c.user_pk.in_(pks))
                .order_by(groups.c.pk)
            ):
                memberships[link.user_pk].append(GroupRef(id=link.id, display_name=link.display_name))
        return [self._user(row, emails[row.pk], memberships[row.pk] if with_groups else None) for row in rows]

    @staticmethod
    def _user(row: Any, emails: list[Email], memberships: list[GroupRef] | None) -> User:
        name = {
            key: value
            for key, value in (
                ("formatted", row.name_formatted),
                ("familyName", row.family_name),
                ("givenName", row.given_name),
                ("middleName", row.middle_name),
                ("honorificPrefix", row.honorific_prefix),
                ("honorificSuffix", row.honorific_suffix),
            )
            if value is not None
        }
        fields = UserFields(
            user_name=row.user_name,
            external_id=row.external_id,
            name=name,
            display_name=row.display_name,
            nick_name=row.nick_name,
            profile_url=row.profile_url,
            title=row.title,
            user_type=row.user_type,
            preferred_language=row.preferred_language,
            locale=row.locale,
            timezone=row.timezone,
            active=bool(row.active),
            emails=emails,
            phone_numbers=list(row.phone_numbers or []),
            addresses=list(row.addresses or []),
        )
        return User(
            id=row.id,
            fields=fields,
            created=as_utc(row.created) or now(),
            last_modified=as_utc(row.last_modified) or now(),
            version=row.version,
            groups=memberships,
        )

    def pks_for_ids(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The account's users among these ids (ids of other accounts are simply absent)."""
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(user_ids))
        for chunk in _chunks(unique):
            for row in self.conn.execute(
                select(users.c.id, users.c.pk).where(
                    users.c.account_id == self.account_id, users.c.id.in_(chunk)
                )
            ):
                found[row.id] = row.pk
        return found


class GroupStore:
    """Groups of one account and their membership rows."""

    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    def insert(self, organization_id: str, display_name: str, external_id: str | None) -> tuple[str, int]:
        group_id = new_id()
        moment = now()
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(groups).values(
                        id=group_id,
                        account_id=self.account_id,
                        organization_id=organization_id,
                        display_name=display_name,
                        display_name_lower=display_name.lower(),
                        external_id=external_id,
                        created=moment,
                        last_modified=moment,
                        version=1,
                    )
                )
        except IntegrityError:
            raise Conflict(f"A group named {display_name} already exists.") from None
        return group_id, result.inserted_primary_key[0]

    def pk_and_version(self, group_id: str) -> tuple[int, int] | None:
        row = self.conn.execute(
            select(groups.c.pk, groups.c.version).where(
                groups.c.id == group_id, groups.c.account_id == self.account_id
            )
        ).first()
        return (row.pk, row.version) if row else None

    def touch(self, pk: int, **values: Any) -> int:
        """Bump the version (and set any simple fields); returns the new version.

        The UPDATE also serialises concurrent writers of the same group on PostgreSQL,
        which is what makes If-Match checks inside the transaction sound.
        """
        if "display_name" in values:
            values["display_name_lower"] = values["display_name"].lower()
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(groups)
                    .where(groups.c.pk == pk, groups.c.account_id == self.account_id)
                    .values(last_modified=now(), version=groups.c.version + 1, **values)
                )
        except IntegrityError:
            raise Conflict(f"A group named {values.get('display_name')} already exists.") from None
        return int(self.conn.scalar(select(groups.c.version).where(groups.c.pk == pk)) or 0)

    def delete(self, pk: int) -> None:
        self.conn.execute(delete(group_members).where(group_members.c.group_pk == pk))
        self.conn.execute(delete(groups).where(groups.c.pk == pk, groups.c.account_id == self.account_id))

    def add_members(self, pk: int, user_pks: Iterable[int]) -> None:
        moment = now()
        rows = [
            {"group_pk": pk, "user_pk": user_pk, "account_id": self.account_id, "added": moment}
            for user_pk in dict.fromkeys(user_pks)
        ]
        for chunk in _chunks(rows, 500):
            _insert_ignoring_duplicates(self.conn, group_members, list(chunk))

    def remove_members(self, pk: int, user_pks: Iterable[int]) -> None:
        for chunk in _chunks(list(dict.fromkeys(user_pks))):
            self.conn.execute(
                delete(group_members).where(
                    group_members.c.group_pk == pk, group_members.c.user_pk.in_(chunk)
                )
            )

    def remove_members_where(self, pk: int, condition: ColumnElement[bool]) -> None:
        """Remove the members a `members[...]` filter selects, in one DELETE."""
        selected = (
            select(_member_user.c.pk)
            .where(_member_user.c.account_id == self.account_id, condition)
            .scalar_subquery()
        )
        self.conn.execute(
            delete(group_members).where(
                group_members.c.group_pk == pk, group_members.c.user_pk.in_(selected)
            )
        )

    def clear_members(self, pk: int) -> None:
        self.conn.execute(delete(group_members).where(group_members.c.group_pk == pk))

    def get(self, group_id: str, *, with_members: bool = True) -> Group | None:
        rows = self.conn.execute(
            select(groups).where(groups.c.id == group_id, groups.c.account_id == self.account_id)
        ).all()
        found = self._hydrate(rows, with_members=with_members)
        return found[0] if found else None

    def search(
        self,
        where: ColumnElement[bool] | None,
        offset: int,
        limit: int,
        order: list[ColumnElement[Any]] | None = None,
        *,
        with_members: bool = True,
    ) -> Page:
        condition = and_(groups.c.account_id == self.account_id, where if where is not None else true())
        total = int(self.conn.scalar(select(func.count()).select_from(groups).where(condition)) or 0)
        items: list[Group] = []
        if limit > 0:
            rows = self.conn.execute(
                select(groups)
                .where(condition)
                .order_by(*(order or []), groups.c.pk)
                .offset(offset)
                .limit(limit)
            ).all()
            items = self._hydrate(rows, with_members=with_members)
        return Page(total=total, items=items)

    def _hydrate(self, rows: Sequence[Any], *, with_members: bool) -> list[Group]:
        if not rows:
            return []
        members: dict[int, list[Member]] = {row.pk: [] for row in rows}
        if with_members:
            for link in self.conn.execute(
                select(group_members.c.group_pk, users.c.id, users.c.display_name, users.c.user_name)
                .join(users, users.c.pk == group_members.c.user_pk)
                .where(group_members.c.group_pk.in_(list(members)))
                .order_by(group_members.c.group_pk, group_members.c.user_pk)
            ):
                members[link.group_pk].append(
                    Member(user_id=link.id, display=link.display_name or link.user_name)
                )
        return [
            Group(
                id=row.id,
                display_name=row.display_name,
                external_id=row.external_id,
                organization_id=row.organization_id,
                created=as_utc(row.created) or now(),
                last_modified=as_utc(row.last_modified) or now(),
                version=row.version,
                members=members[row.pk] if with_members else None,
            )
            for row in rows
        ]
