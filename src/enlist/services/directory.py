"""Provisioning use cases the SCIM API drives: users, groups and their members."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scim2_models.path import AttrPath, CompareOperator, Comparison, LogicalExpr, LogicalOperator

from enlist.domain.errors import InvalidFilter, InvalidValue, NotFound, PreconditionFailed
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
from enlist.store.ordering import (
    USER_FIRST_VALUES,
    KeysetPage,
    KeysetPart,
    Ordering,
    Seek,
    keyset_page,
    ordering,
)
from enlist.store.tables import groups as groups_table
from enlist.store.tables import users as users_table
from enlist.store.views import DirectoryViews, MemberRow


@dataclass(frozen=True)
class Query:
    """A list request: filter tree (scim2-models), 1-based start or cursor seek, page size, sort."""

    filter: Any = None
    start_index: int = 1
    count: int = 100
    sort_by: str | None = None
    descending: bool = False
    with_members: bool = True  # groups: False when members are excluded from the answer
    with_groups: bool = True  # users: False when groups are excluded from the answer
    seek: Seek | None = None  # cursor paging: where the page starts (None: the first page)
    with_total: bool = True  # cursor paging: whether to count the whole list too


@dataclass(frozen=True)
class Versions:
    """The versions an If-Match or If-None-Match header names; `any` for `*`."""

    numbers: frozenset[int] = frozenset()
    any: bool = False

    def include(self, version: int) -> bool:
        return self.any or version in self.numbers

    def __str__(self) -> str:
        return "*" if self.any else ", ".join(str(n) for n in sorted(self.numbers)) or "none"


@dataclass(frozen=True)
class Preconditions:
    """A request's If-Match / If-None-Match, checked against the version inside its transaction."""

    match: Versions | None = None
    none_match: Versions | None = None


def _allowed(tenant: Tenant) -> None:
    require_enterprise(tenant)


def describe_service(tenant: Tenant) -> None:
    """Discovery (ServiceProviderConfig, Schemas, ResourceTypes) is provisioning too: the
    same Enterprise-plan gate applies, from here like every other use case."""
    _allowed(tenant)


def _check_version(current: int, conditions: Preconditions | None, what: str) -> None:
    if conditions is None:
        return
    if conditions.match is not None and not conditions.match.include(current):
        raise PreconditionFailed(
            f"The {what} has changed since version {conditions.match} (it is now at version "
            f"{current}); fetch it again and retry."
        )
    if conditions.none_match is not None and conditions.none_match.include(current):
        raise PreconditionFailed(
            f"The {what} exists at version {current}, which If-None-Match "
            f"({conditions.none_match}) excludes; nothing was changed."
        )


def check_read(current: int, conditions: Preconditions | None, what: str) -> None:
    """If-Match on a read (RFC 9110 §13.1.1): 412 unless the current version is named."""
    if conditions is not None and conditions.match is not None:
        _check_version(current, Preconditions(match=conditions.match), what)


_USER_URNS = frozenset({USER_URN})
_GROUP_URNS = frozenset({GROUP_URN})


def _user_ordering(query: Query) -> Ordering:
    return ordering(
        users_table, USER_ATTRIBUTES, _USER_URNS, query.sort_by, query.descending, USER_FIRST_VALUES
    )


def _group_ordering(query: Query) -> Ordering:
    return ordering(groups_table, GROUP_ATTRIBUTES, _GROUP_URNS, query.sort_by, query.descending)


def _order(sorted_by: Ordering) -> list[Any]:
    """ORDER BY for index paging: none without sortBy (the stores order by pk, and seek deep
    pages in that order), else the sort key then pk."""
    return sorted_by.order_by() if sorted_by.key is not None else []


# users ------------------------------------------------------------------------------


def list_users(db: Database, tenant: Tenant, query: Query) -> Page:
    _allowed(tenant)
    where = SqlFilter(USER_ATTRIBUTES, _USER_URNS).visit(query.filter) if query.filter else None
    order = _order(_user_ordering(query))
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
    if_match: Preconditions | None = None,
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
    db: Database,
    tenant: Tenant,
    user_id: str,
    fields: UserFields,
    if_match: Preconditions | None = None,
) -> User:
    return update_user(db, tenant, user_id, lambda _current: fields, if_match)


def delete_user(
    db: Database, tenant: Tenant, user_id: str, if_match: Preconditions | None = None
) -> str:
    """The identity provider deletes a user (see UserStore.delete); returns its userName."""
    _allowed(tenant)
    with db.write() as conn:
        store = UserStore(conn, tenant.account_id)
        found = store.pk_and_version(user_id, lock=True)
        if found is None:
            raise NotFound(f"There is no user {user_id}.")
        _check_version(found[1], if_match, "user")
        return store.delete(found[0]) or user_id


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


GroupChange = (
    SetDisplayName
    | SetExternalId
    | AddMembers
    | RemoveMembers
    | RemoveMembersWhere
    | ReplaceMembers
)


@dataclass(frozen=True)
class ChangedGroup:
    """What a group write leaves: the group's new version, and the group when asked for."""

    version: int
    group: Group | None


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
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise InvalidValue(
            f"Members must be users of this account; no such user: {shown}. The group was not changed."
        )
    return found


def list_groups(db: Database, tenant: Tenant, query: Query) -> Page:
    _allowed(tenant)
    where = SqlFilter(GROUP_ATTRIBUTES, _GROUP_URNS).visit(query.filter) if query.filter else None
    order = _order(_group_ordering(query))
    with db.read() as conn:
        return GroupStore(conn, tenant.account_id).search(
            where, query.start_index - 1, query.count, order, with_members=query.with_members
        )


def search_directory(db: Database, tenant: Tenant, query: Query) -> Page:
    """A query at the server root (RFC 7644 §3.4.2.1): users, then groups, paged as one list.

    A resource type whose attributes the filter does not name is left out (a userName
    filter finds only users); a filter no resource type can evaluate is refused. sortBy
    orders each type's part where that type has the attribute.
    """
    _allowed(tenant)
    parts: list[tuple[str, Any, list[Any]]] = [
        (part.kind, part.where, _order(part.ordering)) for part in _root_parts(tenant, query)
    ]
    offset, remaining, total, items = query.start_index - 1, query.count, 0, []
    with db.read() as conn:
        for kind, where, order in parts:
            if kind == "users":
                page = UserStore(conn, tenant.account_id).search(
                    where, offset, remaining, order, with_groups=query.with_groups
                )
            else:
                page = GroupStore(conn, tenant.account_id).search(
                    where, offset, remaining, order, with_members=query.with_members
                )
            total += page.total
            items.extend(page.items)
            remaining -= len(page.items)
            offset = max(0, offset - page.total)
    return Page(total=total, items=items)


# cursor paging (RFC 9865): keyset pages, never OFFSET ----------------------------------


def _users_part(tenant: Tenant, query: Query, where: Any, sorted_by: Ordering) -> KeysetPart:
    def read(conn: Any, condition: Any, limit: int, order: list[Any]) -> list[Any]:
        store = UserStore(conn, tenant.account_id)
        page = store.search(
            condition, 0, limit, order, with_groups=query.with_groups, with_total=False
        )
        return page.items

    def count(conn: Any) -> int:
        return UserStore(conn, tenant.account_id).search(where, 0, 0).total

    return KeysetPart("users", sorted_by, where, read, count)


def _groups_part(tenant: Tenant, query: Query, where: Any, sorted_by: Ordering) -> KeysetPart:
    def read(conn: Any, condition: Any, limit: int, order: list[Any]) -> list[Any]:
        store = GroupStore(conn, tenant.account_id)
        page = store.search(
            condition, 0, limit, order, with_members=query.with_members, with_total=False
        )
        return page.items

    def count(conn: Any) -> int:
        return GroupStore(conn, tenant.account_id).search(where, 0, 0).total

    return KeysetPart("groups", sorted_by, where, read, count)


def _root_parts(tenant: Tenant, query: Query) -> list[KeysetPart]:
    """The server root's lists: users, then groups; a type the filter cannot apply to is left
    out, and one without the sortBy attribute keeps creation order."""
    parts: list[KeysetPart] = []
    refusals: list[InvalidFilter] = []
    kinds = (
        (USER_ATTRIBUTES, _USER_URNS, _users_part, _user_ordering),
        (GROUP_ATTRIBUTES, _GROUP_URNS, _groups_part, _group_ordering),
    )
    for attributes, urns, part, sort in kinds:
        try:
            where = SqlFilter(attributes, urns).visit(query.filter) if query.filter else None
        except InvalidFilter as refusal:
            refusals.append(refusal)
            continue
        try:
            sorted_by = sort(query)
        except InvalidFilter:
            sorted_by = sort(Query(descending=query.descending))
        parts.append(part(tenant, query, where, sorted_by))
    if not parts:
        raise refusals[0]
    return parts


def _by_cursor(db: Database, tenant: Tenant, parts: list[KeysetPart], query: Query) -> KeysetPage:
    with db.read() as conn:
        return keyset_page(
            conn, tenant.account_id, parts, query.seek, query.count, with_total=query.with_total
        )


def list_users_by_cursor(db: Database, tenant: Tenant, query: Query) -> KeysetPage:
    _allowed(tenant)
    where = SqlFilter(USER_ATTRIBUTES, _USER_URNS).visit(query.filter) if query.filter else None
    return _by_cursor(db, tenant, [_users_part(tenant, query, where, _user_ordering(query))], query)


def list_groups_by_cursor(db: Database, tenant: Tenant, query: Query) -> KeysetPage:
    _allowed(tenant)
    where = SqlFilter(GROUP_ATTRIBUTES, _GROUP_URNS).visit(query.filter) if query.filter else None
    return _by_cursor(
        db, tenant, [_groups_part(tenant, query, where, _group_ordering(query))], query
    )


def search_directory_by_cursor(db: Database, tenant: Tenant, query: Query) -> KeysetPage:
    """The server root's users then groups (see search_directory), paged by keyset."""
    _allowed(tenant)
    return _by_cursor(db, tenant, _root_parts(tenant, query), query)


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
    if_match: Preconditions | None = None,
    *,
    with_members: bool | None = None,
) -> ChangedGroup:
    """Apply changes atomically, as row-level set operations on the membership table.

    Returns the group's new version, and the group (members loaded when `with_members`)
    unless not asked for.
    """
    _allowed(tenant)
    require_linked_organization(tenant)
    with db.write() as conn:
        users = UserStore(conn, tenant.account_id)
        groups = GroupStore(conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        pk = found[0]
        # Take the row lock (and bump the version) first: writers of one group queue here,
        # and each checks If-Match against the version the writer before it left.
        version = groups.touch(pk)
        _check_version(version - 1, if_match, "group")
        wanted = [
            i for c in changes if isinstance(c, (AddMembers, ReplaceMembers)) for i in c.user_ids
        ]
        pks = _member_pks(users, wanted)
        for change in changes:
            if isinstance(change, SetDisplayName):
                version = groups.touch(pk, display_name=_check_display_name(change.value))
            elif isinstance(change, SetExternalId):
                version = groups.touch(pk, external_id=change.value)
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
            return ChangedGroup(version, None)
        return ChangedGroup(version, groups.get(group_id, with_members=with_members))


def replace_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    fields: GroupFields,
    if_match: Preconditions | None = None,
    *,
    with_members: bool = True,
) -> Group:
    changes: list[GroupChange] = [
        SetDisplayName(fields.display_name),
        SetExternalId(fields.external_id),
        ReplaceMembers(fields.member_ids),
    ]
    group = change_group(db, tenant, group_id, changes, if_match, with_members=with_members).group
    assert group is not None
    return group


def delete_group(
    db: Database, tenant: Tenant, group_id: str, if_match: Preconditions | None = None
) -> None:
    _allowed(tenant)
    require_linked_organization(tenant)  # a group write like any other
    with db.write() as conn:
        groups = GroupStore(conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        if if_match is not None:  # judged under the row lock, as change_group does
            _check_version(groups.touch(found[0]) - 1, if_match, "group")
        groups.delete(found[0])


# account-scoped reads for the admin pages: an admin may always look, Enterprise or not ---


@dataclass(frozen=True)
class ListedUser:
    user: User
    source: str  # "scim" when an identity provider created the user, "admin" when a person did


@dataclass(frozen=True)
class ListedGroup:
    group: Group
    member_count: int


@dataclass(frozen=True)
class DirectoryCounts:
    users: int
    active_users: int
    groups: int


def _contains_any(attributes: list[tuple[str, str | None]], text: str) -> Any:
    """`a co "text" or b co "text" ...` as a filter tree, so no quoting of `text` is needed."""
    compared = (
        Comparison(AttrPath(attr, sub), CompareOperator.co, text) for attr, sub in attributes
    )
    return LogicalExpr(LogicalOperator.or_, tuple(compared))


def _all_of(terms: list[Any]) -> Any:
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else LogicalExpr(LogicalOperator.and_, tuple(terms))


def account_users(
    db: Database,
    account_id: str,
    *,
    text: str | None = None,
    active: bool | None = None,
    deleted: bool | None = None,
    start_index: int = 1,
    count: int = 50,
) -> tuple[int, list[ListedUser]]:
    """The account's users by userName, optionally those containing `text` or of one status.

    Unlike SCIM, the admin sees the users the identity provider deleted (`deleted`: None
    for everyone, True for only those, False for the others)."""
    terms: list[Any] = []
    if text and text.strip():
        searched = [("userName", None), ("displayName", None), ("emails", "value")]
        terms.append(_contains_any(searched, text.strip()))
    if active is not None:
        terms.append(Comparison(AttrPath("active"), CompareOperator.eq, active))
    tree = _all_of(terms)
    where = SqlFilter(USER_ATTRIBUTES, _USER_URNS).visit(tree) if tree is not None else None
    order: list[Any] = [order_column(USER_ATTRIBUTES, _USER_URNS, "userName").asc()]
    with db.read() as conn:
        page = UserStore(conn, account_id).search(
            where, max(start_index, 1) - 1, count, order, deleted=deleted
        )
        sources = DirectoryViews(conn, account_id).user_sources([u.id for u in page.items])
    return page.total, [ListedUser(u, sources.get(u.id, "scim")) for u in page.items]


def account_user(db: Database, account_id: str, user_id: str) -> ListedUser:
    with db.read() as conn:
        user = UserStore(conn, account_id).get(user_id, include_deleted=True)
        sources = DirectoryViews(conn, account_id).user_sources([user_id]) if user else {}
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return ListedUser(user, sources.get(user_id, "scim"))


def account_groups(
    db: Database,
    account_id: str,
    *,
    text: str | None = None,
    organization_id: str | None = None,
    start_index: int = 1,
    count: int = 50,
) -> tuple[int, list[ListedGroup]]:
    """The account's groups by name (members counted, not loaded)."""
    terms: list[Any] = []
    if text and text.strip():
        terms.append(_contains_any([("displayName", None)], text.strip()))
    with db.read() as conn:
        views = DirectoryViews(conn, account_id)
        if organization_id is not None:
            ids = views.organization_group_ids(organization_id)
            if not ids:
                return 0, []
            terms.append(
                LogicalExpr(
                    LogicalOperator.or_,
                    tuple(Comparison(AttrPath("id"), CompareOperator.eq, i) for i in ids),
                )
            )
        tree = _all_of(terms)
        where = SqlFilter(GROUP_ATTRIBUTES, _GROUP_URNS).visit(tree) if tree is not None else None
        order: list[Any] = [order_column(GROUP_ATTRIBUTES, _GROUP_URNS, "displayName").asc()]
        page = GroupStore(conn, account_id).search(
            where, max(start_index, 1) - 1, count, order, with_members=False
        )
        counts = views.member_counts([g.id for g in page.items])
    return page.total, [ListedGroup(g, counts.get(g.id, 0)) for g in page.items]


def account_group(db: Database, account_id: str, group_id: str) -> Group:
    with db.read() as conn:
        group = GroupStore(conn, account_id).get(group_id, with_members=True)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


def organization_members(
    db: Database, account_id: str, organization_id: str, limit: int = 500
) -> list[MemberRow]:
    """The distinct users in the organization's groups (its provisioned members)."""
    with db.read() as conn:
        return DirectoryViews(conn, account_id).organization_members(organization_id, limit)


def organization_counts(db: Database, account_id: str) -> dict[str, tuple[int, int]]:
    """Per organization id: (groups, distinct members)."""
    with db.read() as conn:
        return DirectoryViews(conn, account_id).organization_counts()


def directory_counts(db: Database, account_id: str) -> DirectoryCounts:
    with db.read() as conn:
        views = DirectoryViews(conn, account_id)
        users_total, active = views.user_counts()
        return DirectoryCounts(users_total, active, views.group_count())
