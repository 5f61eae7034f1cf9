"""Provisioning use cases the SCIM API drives: users, groups and their members."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from enlist.domain.errors import InvalidValue, NotFound, PreconditionFailed
from enlist.domain.model import Group, Tenant, User, UserFields
from enlist.domain.rules import check_user, require_enterprise, require_linked_organization
from enlist.store.accounts import AccountStore
from enlist.store.db import Database
from enlist.store.directory import (
    GROUP_ATTRIBUTES,
    GROUP_URN,
    MEMBER_ATTRIBUTES,
    USER_ATTRIBUTES,
    USER_URN,
    GroupStore,
    Page,
    UserStore,
)
from enlist.store.filters import SqlFilter, order_column


@dataclass(frozen=True)
class Query:
    """A list request: filter tree (scim2-models), 1-based start, page size, sort."""

    filter: Any = None
    start_index: int = 1
    count: int = 100
    sort_by: str | None = None
    descending: bool = False
    with_members: bool = True  # groups: False when members are excluded from the answer
    with_groups: bool = True  # users: False when groups are excluded from the answer


def _allowed(tenant: Tenant) -> None:
    require_enterprise(tenant)


def _check_version(current: int, if_match: int | None, what: str) -> None:
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            f"The {what} has changed since version {if_match} (it is now at version {current}); "
            "fetch it again and retry."
        )


_USER_URNS = frozenset({USER_URN})
_GROUP_URNS = frozenset({GROUP_URN})


def _order(attributes: Any, urns: frozenset[str], query: Query) -> list[Any]:
    if not query.sort_by:
        return []
    column = order_column(attributes, urns, query.sort_by)
    return [column.desc() if query.descending else column.asc()]


# users ------------------------------------------------------------------------------


def list_users(db: Database, tenant: Tenant, query: Query) -> Page:
    _allowed(tenant)
    where = SqlFilter(USER_ATTRIBUTES, _USER_URNS).visit(query.filter) if query.filter else None
    order = _order(USER_ATTRIBUTES, _USER_URNS, query)
    with db.read() as conn:
        return UserStore(conn, tenant.account_id).search(
            where, query.start_index - 1, query.count, order, with_groups=query.with_groups
        )


def get_user(db: Database, tenant: Tenant, user_id: str, *, with_groups: bool = True) -> User:
    _allowed(tenant)
    with db.read() as conn:
        user = UserStore(conn, tenant.account_id).get(user_id, with_groups=with_groups)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def create_user(db: Database, tenant: Tenant, fields: UserFields, *, source: str = "scim") -> User:
    _allowed(tenant)
    with db.write() as conn:
        check_user(fields, AccountStore(conn).verified_domain_names(tenant.account_id))
        store = UserStore(conn, tenant.account_id)
        user_id = store.insert(fields, source=source)
        user = store.get(user_id)
    assert user is not None
    return user


def update_user(
    db: Database,
    tenant: Tenant,
    user_id: str,
    change: Callable[[User], UserFields],
    if_match: int | None = None,
) -> User:
    """Replace (PUT) or patch (PATCH) a user: `change` maps the stored user to its new fields.

    It runs inside the write transaction, so concurrent writers cannot interleave
    between reading the user and writing it back.
    """
    _allowed(tenant)
    with db.write() as conn:
        store = UserStore(conn, tenant.account_id)
        found = store.pk_and_version(user_id, lock=True)
        if found is None:
            raise NotFound(f"There is no user {user_id}.")
        pk, version = found
        _check_version(version, if_match, "user")
        current = store.get(user_id)
        assert current is not None
        fields = change(current)
        check_user(fields, AccountStore(conn).verified_domain_names(tenant.account_id))
        if fields != current.fields:
            store.update(pk, fields)
        user = store.get(user_id)
    assert user is not None
    return user


def replace_user(
    db: Database, tenant: Tenant, user_id: str, fields: UserFields, if_match: int | None = None
) -> User:
    return update_user(db, tenant, user_id, lambda _current: fields, if_match)


def delete_user(db: Database, tenant: Tenant, user_id: str, if_match: int | None = None) -> None:
    _allowed(tenant)
    with db.write() as conn:
        store = UserStore(conn, tenant.account_id)
        found = store.pk_and_version(user_id, lock=True)
        if found is None:
            raise NotFound(f"There is no user {user_id}.")
        _check_version(found[1], if_match, "user")
        store.delete(found[0])


# groups -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetDisplayName:
    value: str


@dataclass(frozen=True)
class SetExternalId:
    value: str | None


@dataclass(frozen=True)
class AddMembers:
    user_ids: list[str]


@dataclass(frozen=True)
class RemoveMembers:
    user_ids: list[str]


@dataclass(frozen=True)
class RemoveMembersWhere:
    """Remove the members a `members[...]` filter (scim2-models tree) selects."""

    filter: Any


@dataclass(frozen=True)
class ReplaceMembers:
    user_ids: list[str]


GroupChange = SetDisplayName | SetExternalId | AddMembers | RemoveMembers | RemoveMembersWhere | ReplaceMembers


@dataclass
class GroupFields:
    display_name: str
    external_id: str | None = None
    member_ids: list[str] = field(default_factory=list)


def _check_display_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidValue("displayName is required and must not be empty.")
    return name


def _member_pks(users: UserStore, user_ids: list[str]) -> dict[str, int]:
    """Resolve member ids to rows; an unknown id (or another account's) refuses the request."""
    found = users.pks_for_ids(user_ids)
    missing = [user_id for user_id in dict.fromkeys(user_ids) if user_id not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InvalidValue(
            f"Members must be users of this account; no such user: {shown}. The group was not changed."
        )
    return found


def list_groups(db: Database, tenant: Tenant, query: Query) -> Page:
    _allowed(tenant)
    where = SqlFilter(GROUP_ATTRIBUTES, _GROUP_URNS).visit(query.filter) if query.filter else None
    order = _order(GROUP_ATTRIBUTES, _GROUP_URNS, query)
    with db.read() as conn:
        return GroupStore(conn, tenant.account_id).search(
            where, query.start_index - 1, query.count, order, with_members=query.with_members
        )


def get_group(db: Database, tenant: Tenant, group_id: str, *, with_members: bool = True) -> Group:
    _allowed(tenant)
    with db.read() as conn:
        group = GroupStore(conn, tenant.account_id).get(group_id, with_members=with_members)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


def create_group(
    db: Database, tenant: Tenant, fields: GroupFields, *, with_members: bool = True
) -> Group:
    _allowed(tenant)
    organization_id = require_linked_organization(tenant)
    name = _check_display_name(fields.display_name)
    with db.write() as conn:
        groups = GroupStore(conn, tenant.account_id)
        pks = _member_pks(UserStore(conn, tenant.account_id), fields.member_ids)
        group_id, pk = groups.insert(organization_id, name, fields.external_id)
        groups.add_members(pk, pks.values())
        group = groups.get(group_id, with_members=with_members)
    assert group is not None
    return group


def change_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    changes: list[GroupChange],
    if_match: int | None = None,
    *,
    with_members: bool | None = None,
) -> Group | None:
    """Apply changes atomically, as row-level set operations on the membership table.

    Returns the group (members loaded when `with_members`) or None when not asked for.
    """
    _allowed(tenant)
    require_linked_organization(tenant)
    with db.write() as conn:
        users = UserStore(conn, tenant.account_id)
        groups = GroupStore(conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        pk, version = found
        # Take the row lock (and bump the version) first: writers of one group queue here.
        groups.touch(pk)
        _check_version(version, if_match, "group")
        wanted = [i for c in changes if isinstance(c, (AddMembers, ReplaceMembers)) for i in c.user_ids]
        pks = _member_pks(users, wanted)
        for change in changes:
            if isinstance(change, SetDisplayName):
                groups.touch(pk, display_name=_check_display_name(change.value))
            elif isinstance(change, SetExternalId):
                groups.touch(pk, external_id=change.value)
            elif isinstance(change, AddMembers):
                groups.add_members(pk, [pks[i] for i in change.user_ids])
            elif isinstance(change, RemoveMembers):
                groups.remove_members(pk, users.pks_for_ids(change.user_ids).values())
            elif isinstance(change, RemoveMembersWhere):
                condition = SqlFilter(MEMBER_ATTRIBUTES, frozenset()).visit(change.filter)
                groups.remove_members_where(pk, condition)
            elif isinstance(change, ReplaceMembers):
                groups.clear_members(pk)
                groups.add_members(pk, [pks[i] for i in change.user_ids])
        if with_members is None:
            return None
        return groups.get(group_id, with_members=with_members)


def replace_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    fields: GroupFields,
    if_match: int | None = None,
    *,
    with_members: bool = True,
) -> Group:
    changes: list[GroupChange] = [
        SetDisplayName(fields.display_name),
        SetExternalId(fields.external_id),
        ReplaceMembers(fields.member_ids),
    ]
    group = change_group(db, tenant, group_id, changes, if_match, with_members=with_members)
    assert group is not None
    return group


def delete_group(db: Database, tenant: Tenant, group_id: str, if_match: int | None = None) -> None:
    _allowed(tenant)
    with db.write() as conn:
        groups = GroupStore(conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        _check_version(found[1], if_match, "group")
        groups.delete(found[0])
