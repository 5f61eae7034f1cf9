"""Repositories for provisioned users and groups; membership is rows, changed by set operations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from enlist.clock import new_id, now
from enlist.domain.errors import Conflict, InvalidValue
from enlist.domain.model import Email, EnterpriseFields, Group, GroupRef, Member, User, UserFields
from enlist.store.accounts import as_utc
from enlist.store.filters import Attribute, Collection, Column, Kind
from enlist.store.tables import group_members, groups, user_counts, user_emails, users

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:user"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
_ENTERPRISE = ENTERPRISE_URN + ":"  # its attributes are keyed by the full URN in filters

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
    _ENTERPRISE + "employeenumber": _ci(users.c.employee_number),
    _ENTERPRISE + "costcenter": _ci(users.c.cost_center),
    _ENTERPRISE + "organization": _ci(users.c.organization),
    _ENTERPRISE + "division": _ci(users.c.division),
    _ENTERPRISE + "department": _ci(users.c.department),
    _ENTERPRISE + "manager.value": Column(users.c.manager_id, Kind.EXACT),
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
        _member_user.c.deleted_at.is_(None),
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


# Where each column sits in a row of select(users), and the name parts among them.
_USER_COLUMN = {key: position for position, key in enumerate(users.c.keys())}
_NAME_PARTS = [
    (key, _USER_COLUMN[column])
    for key, column in (
        ("formatted", "name_formatted"),
        ("familyName", "family_name"),
        ("givenName", "given_name"),
        ("middleName", "middle_name"),
        ("honorificPrefix", "honorific_prefix"),
        ("honorificSuffix", "honorific_suffix"),
    )
]

# From this OFFSET on, a page in the default order seeks its first row in the index.
_SEEK_FROM = 1000

# The statements every request runs, built once: building one costs more than running it.
_ID, _ACCOUNT = bindparam("id"), bindparam("account_id")
# Users the identity provider deleted stay as rows but leave the SCIM view: every SCIM
# query carries this (the admin pages alone ask for them).
_LIVE = users.c.deleted_at.is_(None)
_USER_BY_ID_ANY = select(users).where(users.c.id == _ID, users.c.account_id == _ACCOUNT)
_USER_BY_ID = _USER_BY_ID_ANY.where(_LIVE)
_USER_PK_AND_VERSION = select(users.c.pk, users.c.version).where(
    users.c.id == _ID, users.c.account_id == _ACCOUNT, _LIVE
)
_USER_PK_AND_VERSION_LOCKED = _USER_PK_AND_VERSION.with_for_update()
_EMAILS_OF_USERS = (
    select(user_emails)
    .where(user_emails.c.user_pk.in_(bindparam("pks", expanding=True)))
    .order_by(user_emails.c.user_pk, user_emails.c.position)
)
_GROUPS_OF_USERS = (
    select(group_members.c.user_pk, groups.c.id, groups.c.display_name)
    .join(groups, groups.c.pk == group_members.c.group_pk)
    .where(group_members.c.user_pk.in_(bindparam("pks", expanding=True)))
    .order_by(groups.c.pk)
)
_USER_COUNT = select(user_counts.c.users).where(user_counts.c.account_id == _ACCOUNT)
_EMAILS_OF_USER = (
    select(user_emails)
    .where(user_emails.c.user_pk == bindparam("pk"))
    .order_by(user_emails.c.user_pk, user_emails.c.position)
)
_GROUPS_OF_USER = (
    select(group_members.c.user_pk, groups.c.id, groups.c.display_name)
    .join(groups, groups.c.pk == group_members.c.group_pk)
    .where(group_members.c.user_pk == bindparam("pk"))
    .order_by(groups.c.pk)
)
_GROUP_BY_ID = select(groups).where(groups.c.id == _ID, groups.c.account_id == _ACCOUNT)
_GROUP_PK_AND_VERSION = select(groups.c.pk, groups.c.version).where(
    groups.c.id == _ID, groups.c.account_id == _ACCOUNT
)


# PostgreSQL set operations on many members at once, with one array parameter each.
_PG_USER_PKS = select(users.c.id, users.c.pk).where(
    users.c.account_id == _ACCOUNT,
    users.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(String))),
    _LIVE,
)
_PG_ADD_MEMBERS = text(
    "INSERT INTO group_members (group_pk, user_pk, account_id, added) "
    "SELECT :group_pk, member, :account_id, :added FROM unnest(CAST(:user_pks AS integer[])) AS member "
    "ON CONFLICT DO NOTHING"
).bindparams(bindparam("added", type_=groups.c.created.type))
_PG_REMOVE_MEMBERS = delete(group_members).where(
    group_members.c.group_pk == bindparam("group_pk"),
    group_members.c.user_pk == any_(bindparam("user_pks", type_=postgresql.ARRAY(Integer))),
)


def _ends_the_list(offset: int, limit: int, items: Sequence[Any]) -> bool:
    """Whether a page read with OFFSET/LIMIT shows where the list ends, so that its total is
    offset + len(items) without a COUNT: a short page does, unless it is empty past the start."""
    return limit > 0 and len(items) < limit and (bool(items) or offset == 0)


_ATTRIBUTE_OF = {
    "user_name": "userName",
    "external_id": "externalId",
    "name_formatted": "name.formatted",
    "family_name": "name.familyName",
    "given_name": "name.givenName",
    "middle_name": "name.middleName",
    "honorific_prefix": "name.honorificPrefix",
    "honorific_suffix": "name.honorificSuffix",
    "display_name": "displayName",
    "nick_name": "nickName",
    "profile_url": "profileUrl",
    "user_type": "userType",
    "preferred_language": "preferredLanguage",
    "value": "emails.value",
    "type": "type",
    "display": "display",
}


def fitted(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Refuse (400) a text longer than its column holds, the same way on every backend:
    PostgreSQL would fail the statement and SQLite would keep it whole."""
    for key, value in values.items():
        column = table.c.get(key)
        limit = getattr(getattr(column, "type", None), "length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            attribute = _ATTRIBUTE_OF.get(key, key.replace("_lower", ""))
            raise InvalidValue(f"{attribute} is longer than the {limit} characters Enlist keeps.")
    return values


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
        return fitted(users, self._values(fields))

    def _values(self, fields: UserFields) -> dict[str, Any]:
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
            "display_name_lower": fields.display_name.lower()
            if fields.display_name is not None
            else None,
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
            "employee_number": fields.enterprise.employee_number,
            "cost_center": fields.enterprise.cost_center,
            "organization": fields.enterprise.organization,
            "division": fields.enterprise.division,
            "department": fields.enterprise.department,
            "manager_id": fields.enterprise.manager_id,
        }

    def _write_emails(self, user_pk: int, emails: list[Email], replace: bool) -> None:
        if replace:
            self.conn.execute(delete(user_emails).where(user_emails.c.user_pk == user_pk))
        if emails:
            self.conn.execute(
                insert(user_emails),
                [
                    fitted(
                        user_emails,
                        {
                            "user_pk": user_pk,
                            "account_id": self.account_id,
                            "position": position,
                            "value": email.value,
                            "value_lower": email.value.lower(),
                            "type": email.type,
                            "primary": email.primary,
                            "display": email.display,
                        },
                    )
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
                    .values(
                        last_modified=now(), version=users.c.version + 1, **self._columns(fields)
                    )
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

    def delete(self, pk: int) -> str | None:
        """The identity provider deleted the user: it leaves the SCIM view and every group
        and loses access, but the row stays (the calendar data it created refers to it).
        Returns its userName (None if it was deleted already)."""
        moment = now()
        bumped = {"last_modified": moment, "version": users.c.version + 1}
        self.conn.execute(
            update(groups)
            .where(
                groups.c.account_id == self.account_id,
                groups.c.pk.in_(
                    select(group_members.c.group_pk).where(group_members.c.user_pk == pk)
                ),
            )
            .values(last_modified=moment, version=groups.c.version + 1)
        )
        self.conn.execute(delete(group_members).where(group_members.c.user_pk == pk))
        gone = self.conn.execute(
            update(users)
            .where(users.c.pk == pk, users.c.account_id == self.account_id, _LIVE)
            .values(deleted_at=moment, active=False, **bumped)
            .returning(users.c.id, users.c.user_name)
        ).first()
        if gone is None:
            return None
        # its reports no longer have a manager in the directory
        self.conn.execute(
            update(users)
            .where(users.c.account_id == self.account_id, users.c.manager_id == gone.id, _LIVE)
            .values(manager_id=None, **bumped)
        )
        return str(gone.user_name)

    def manager_names(self, manager_ids: Iterable[str]) -> dict[str, str]:
        """displayName (else userName) of those ids that are users of the account."""
        wanted = list(dict.fromkeys(manager_ids))
        if not wanted:
            return {}
        rows = self.conn.execute(
            select(users.c.id, users.c.display_name, users.c.user_name).where(
                users.c.account_id == self.account_id, users.c.id.in_(wanted), _LIVE
            )
        )
        return {row.id: row.display_name or row.user_name for row in rows}

    def pk_and_version(self, user_id: str, *, lock: bool = False) -> tuple[int, int] | None:
        query = _USER_PK_AND_VERSION
        if lock and self.conn.dialect.name == "postgresql":
            query = _USER_PK_AND_VERSION_LOCKED
        row = self.conn.execute(query, {"id": user_id, "account_id": self.account_id}).first()
        return (row.pk, row.version) if row else None

    def get(
        self, user_id: str, *, with_groups: bool = True, include_deleted: bool = False
    ) -> User | None:
        statement = _USER_BY_ID_ANY if include_deleted else _USER_BY_ID
        rows = self.conn.execute(statement, {"id": user_id, "account_id": self.account_id}).all()
        found = self._hydrate(rows, with_groups=with_groups)
        return found[0] if found else None

    def id_by_user_name(self, user_name: str) -> str | None:
        return self.conn.scalar(
            select(users.c.id).where(
                users.c.account_id == self.account_id,
                users.c.user_name_lower == user_name.lower(),
                _LIVE,
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
        deleted: bool | None = False,
    ) -> Page:
        """A page of the account's users; `deleted`: False (SCIM) for the users the identity
        provider has not deleted, True for only those it deleted, None for both."""
        condition = and_(
            users.c.account_id == self.account_id,
            true() if deleted is None else users.c.deleted_at.is_not(None) if deleted else _LIVE,
            where if where is not None else true(),
        )
        items: list[User] = []
        if limit > 0:
            query: Select[Any] = select(users).where(condition)
            if not order and offset >= _SEEK_FROM:
                # A deep page in the default order: find its first row in the (account_id, pk)
                # index alone, then read just the page; OFFSET would read every skipped row.
                first = (
                    select(users.c.pk)
                    .where(condition)
                    .order_by(users.c.pk)
                    .offset(offset)
                    .limit(1)
                    .scalar_subquery()
                )
                query = query.where(users.c.pk >= first).order_by(users.c.pk).limit(limit)
            else:
                # no OFFSET clause at all on a first page, or on a keyset (cursor) page
                query = (
                    query.order_by(*(order or []), users.c.pk).offset(offset or None).limit(limit)
                )
            items = self._hydrate(self.conn.execute(query).all(), with_groups=with_groups)
        if not with_total:
            total = -1
        elif _ends_the_list(offset, limit, items):
            total = offset + len(items)
        elif where is None and deleted is False:
            # every user: the trigger-kept count (deleted users excluded), not a scan
            total = int(self.conn.scalar(_USER_COUNT, {"account_id": self.account_id}) or 0)
        else:
            total = int(
                self.conn.scalar(select(func.count()).select_from(users).where(condition)) or 0
            )
        return Page(total=total, items=items)

    def _hydrate(self, rows: Sequence[Any], *, with_groups: bool) -> list[User]:
        if not rows:
            return []
        pks = [row.pk for row in rows]
        emails: dict[int, list[Email]] = {pk: [] for pk in pks}
        # One user (GET by id, a userName lookup): plain equality, no IN list to expand.
        emails_of, groups_of, params = (
            (_EMAILS_OF_USER, _GROUPS_OF_USER, {"pk": pks[0]})
            if len(pks) == 1
            else (_EMAILS_OF_USERS, _GROUPS_OF_USERS, {"pks": pks})
        )
        for email in self.conn.execute(emails_of, params).all():
            emails[email.user_pk].append(
                Email(
                    value=email.value,
                    type=email.type,
                    primary=bool(email.primary),
                    display=email.display,
                )
            )
        memberships: dict[int, list[GroupRef]] = {pk: [] for pk in pks}
        if with_groups:
            for link in self.conn.execute(groups_of, params).all():
                memberships[link.user_pk].append(
                    GroupRef(id=link.id, display_name=link.display_name)
                )
        # Only users with a manager cost a query: most directories set none.
        position = _USER_COLUMN["manager_id"]
        managers = self.manager_names(row[position] for row in rows if row[position] is not None)
        return [
            self._user(row, emails[row.pk], memberships[row.pk] if with_groups else None, managers)
            for row in rows
        ]

    @staticmethod
    def _user(
        row: Any, emails: list[Email], memberships: list[GroupRef] | None, managers: dict[str, str]
    ) -> User:
        # Positional access: a page builds 100 of these, and Row attribute lookups add up.
        c = _USER_COLUMN
        name = {key: row[i] for key, i in _NAME_PARTS if row[i] is not None}
        fields = UserFields(
            user_name=row[c["user_name"]],
            external_id=row[c["external_id"]],
            name=name,
            display_name=row[c["display_name"]],
            nick_name=row[c["nick_name"]],
            profile_url=row[c["profile_url"]],
            title=row[c["title"]],
            user_type=row[c["user_type"]],
            preferred_language=row[c["preferred_language"]],
            locale=row[c["locale"]],
            timezone=row[c["timezone"]],
            active=bool(row[c["active"]]),
            emails=emails,
            phone_numbers=list(row[c["phone_numbers"]] or []),
            addresses=list(row[c["addresses"]] or []),
            enterprise=EnterpriseFields(
                employee_number=row[c["employee_number"]],
                cost_center=row[c["cost_center"]],
                organization=row[c["organization"]],
                division=row[c["division"]],
                department=row[c["department"]],
                manager_id=row[c["manager_id"]],
            ),
        )
        manager_id = row[c["manager_id"]]
        return User(
            id=row[c["id"]],
            fields=fields,
            created=as_utc(row[c["created"]]) or now(),
            last_modified=as_utc(row[c["last_modified"]]) or now(),
            version=row[c["version"]],
            groups=memberships,
            manager_name=managers.get(manager_id) if manager_id is not None else None,
            deleted_at=as_utc(row[c["deleted_at"]]),
        )

    def pks_for_ids(self, user_ids: Sequence[str]) -> dict[str, int]:
        """The account's users among these ids (ids of other accounts are simply absent)."""
        found: dict[str, int] = {}
        unique = list(dict.fromkeys(user_ids))
        if unique and self.conn.dialect.name == "postgresql":
            # One array parameter: a thousand bound values cost more to send than to look up.
            params = {"account_id": self.account_id, "ids": unique}
            return {row.id: row.pk for row in self.conn.execute(_PG_USER_PKS, params)}
        for chunk in _chunks(unique):
            for row in self.conn.execute(
                select(users.c.id, users.c.pk).where(
                    users.c.account_id == self.account_id, users.c.id.in_(chunk), _LIVE
                )
            ):
                found[row.id] = row.pk
        return found


class GroupStore:
    """Groups of one account and their membership rows."""

    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    def insert(
        self, organization_id: str, display_name: str, external_id: str | None
    ) -> tuple[str, int]:
        group_id = new_id()
        moment = now()
        fitted(groups, {"display_name": display_name, "external_id": external_id})
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
            _GROUP_PK_AND_VERSION, {"id": group_id, "account_id": self.account_id}
        ).first()
        return (row.pk, row.version) if row else None

    def touch(self, pk: int, **values: Any) -> int:
        """Bump the version (and set any simple fields); returns the new version.

        The UPDATE also serialises concurrent writers of the same group on PostgreSQL,
        which is what makes If-Match checks inside the transaction sound.
        """
        fitted(groups, values)
        statement = (
            update(groups)
            .where(groups.c.pk == pk, groups.c.account_id == self.account_id)
            .values(last_modified=now(), version=groups.c.version + 1, **values)
            .returning(groups.c.version)
        )
        if "display_name" not in values:  # nothing unique changes: no savepoint round trips
            return int(self.conn.scalar(statement) or 0)
        statement = statement.values(display_name_lower=values["display_name"].lower())
        try:
            with self.conn.begin_nested():
                return int(self.conn.scalar(statement) or 0)
        except IntegrityError:
            raise Conflict(f"A group named {values.get('display_name')} already exists.") from None

    def delete(self, pk: int) -> None:
        self.conn.execute(delete(group_members).where(group_members.c.group_pk == pk))
        self.conn.execute(
            delete(groups).where(groups.c.pk == pk, groups.c.account_id == self.account_id)
        )

    def add_members(self, pk: int, user_pks: Iterable[int]) -> None:
        moment = now()
        if self.conn.dialect.name == "postgresql":
            # One INSERT ... SELECT unnest(array): executemany would run one INSERT per row.
            wanted = list(dict.fromkeys(user_pks))
            if wanted:
                params = {
                    "group_pk": pk,
                    "user_pks": wanted,
                    "account_id": self.account_id,
                    "added": moment,
                }
                self.conn.execute(_PG_ADD_MEMBERS, params)
            return
        rows = [
            {"group_pk": pk, "user_pk": user_pk, "account_id": self.account_id, "added": moment}
            for user_pk in dict.fromkeys(user_pks)
        ]
        for chunk in _chunks(rows, 500):
            _insert_ignoring_duplicates(self.conn, group_members, list(chunk))

    def remove_members(self, pk: int, user_pks: Iterable[int]) -> None:
        if self.conn.dialect.name == "postgresql":
            wanted = list(dict.fromkeys(user_pks))
            if wanted:
                self.conn.execute(_PG_REMOVE_MEMBERS, {"group_pk": pk, "user_pks": wanted})
            return
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
            _GROUP_BY_ID, {"id": group_id, "account_id": self.account_id}
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
        with_total: bool = True,
    ) -> Page:
        condition = and_(
            groups.c.account_id == self.account_id, where if where is not None else true()
        )
        items: list[Group] = []
        if limit > 0:
            rows = self.conn.execute(
                select(groups)
                .where(condition)
                .order_by(*(order or []), groups.c.pk)
                .offset(offset or None)  # none on a first page, or on a keyset (cursor) page
                .limit(limit)
            ).all()
            items = self._hydrate(rows, with_members=with_members)
        if not with_total:
            total = -1
        elif _ends_the_list(offset, limit, items):
            total = offset + len(items)
        else:
            total = int(
                self.conn.scalar(select(func.count()).select_from(groups).where(condition)) or 0
            )
        return Page(total=total, items=items)

    def _hydrate(self, rows: Sequence[Any], *, with_members: bool) -> list[Group]:
        if not rows:
            return []
        members: dict[int, list[Member]] = {row.pk: [] for row in rows}
        if with_members:
            for link in self.conn.execute(
                select(
                    group_members.c.group_pk, users.c.id, users.c.display_name, users.c.user_name
                )
                .join(users, users.c.pk == group_members.c.user_pk)
                # a deleted user's rows go with it; this hides one a concurrent PATCH re-added
                .where(group_members.c.group_pk.in_(list(members)), _LIVE)
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
