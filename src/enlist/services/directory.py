"""Provisioning use cases the SCIM API drives: users, groups and their members."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from scim2_models.path import AttrPath, CompareOperator, Comparison, LogicalExpr, LogicalOperator

from enlist.domain.changes import (
    NAMED,
    describe_differences,
    name_people,
    person_profile,
    user_differences,
)
from enlist.domain.errors import InvalidValue, NotFound, PreconditionFailed
from enlist.domain.events import EventType
from enlist.domain.model import Group, Tenant, User, UserFields
from enlist.domain.query import Page, Query
from enlist.domain.rules import (
    check_user,
    distinct_emails,
    require_enterprise,
    require_linked_organization,
)
from enlist.domain.signin import SessionReason
from enlist.services import access, signin
from enlist.services.unit import OPERATOR, Actor, Change, writing
from enlist.store.accounts import AccountStore
from enlist.store.db import Database
from enlist.store.directory import GroupStore, UserStore
from enlist.store.directory import search_directory as search_root
from enlist.store.views import DirectoryViews, MemberRow


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


# users ------------------------------------------------------------------------------


def list_users(db: Database, tenant: Tenant, query: Query) -> Page[User]:
    """A page of the account's users, by startIndex or (query.cursor) by cursor (RFC 9865)."""
    _allowed(tenant)
    with db.read() as conn:
        return UserStore(conn, tenant.account_id).search(query)


def get_user(db: Database, tenant: Tenant, user_id: str, *, with_groups: bool = True) -> User:
    _allowed(tenant)
    with db.read() as conn:
        user = UserStore(conn, tenant.account_id).get(user_id, with_groups=with_groups)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def _accepted(fields: UserFields, accounts: AccountStore, tenant: Tenant) -> UserFields:
    """A user's fields as they will be stored: one entry per email, the account's rules met."""
    fields = replace(fields, emails=distinct_emails(fields.emails))
    check_user(fields, accounts.verified_domain_names(tenant.account_id))
    return fields


def create_user(
    db: Database,
    tenant: Tenant,
    fields: UserFields,
    *,
    source: str = "scim",
    actor: Actor = OPERATOR,
) -> User:
    """Provision a user (the identity provider's POST)."""
    _allowed(tenant)
    with writing(db, tenant.account_id, actor) as change:
        store = UserStore(change.conn, tenant.account_id)
        user = store.add(_accepted(fields, AccountStore(change.conn), tenant), source=source)
        name = user.fields.user_name
        change.log(
            "user.create",
            f"Created user {name}" + ("." if user.fields.active else " (deactivated)."),
            resource_type="User",
            resource_id=user.id,
            resource_name=name,
        )
        change.emit(
            EventType.person_provisioned,
            {"id": user.id, "userName": name, "person": person_profile(user.id, user.fields)},
        )
    return user


def _user_changed(
    change: Change, action: str, after: User, differences: dict[str, list[Any]]
) -> None:
    """Log and announce what a PUT or PATCH changed: the profile, then the status."""
    name = after.fields.user_name
    status = differences.pop("active", None)
    if not differences and status is None:
        detail = f"Updated user {name}: nothing changed."
    elif not differences:
        verb = "Reactivated" if after.fields.active else "Deactivated"
        detail = f"{verb} user {name}."
    else:
        detail = f"Updated user {name}: {describe_differences(differences)}"
        if status is not None:
            detail += "; reactivated" if after.fields.active else "; deactivated"
        detail += "."
    everything = dict(differences, **({"active": status} if status is not None else {}))
    change.log(
        action,
        detail,
        resource_type="User",
        resource_id=after.id,
        resource_name=name,
        changes={"attributes": everything} if everything else None,
    )
    if differences:
        change.emit(
            EventType.person_updated,
            {
                "id": after.id,
                "userName": name,
                "changed": list(differences),
                "person": person_profile(after.id, after.fields),
            },
        )
    if status is not None:
        kind = EventType.person_reactivated if after.fields.active else EventType.person_deactivated
        change.emit(kind, {"id": after.id, "userName": name})


def update_user(
    db: Database,
    tenant: Tenant,
    user_id: str,
    edit: Callable[[User], UserFields],
    if_match: Preconditions | None = None,
    *,
    action: str = "user.update",
    actor: Actor = OPERATOR,
) -> User:
    """Replace (PUT, action user.replace) or patch (PATCH) a user: `edit` maps the stored user
    to its new fields.

    It runs inside the write transaction, so concurrent writers cannot interleave
    between reading the user and writing it back.
    """
    _allowed(tenant)
    with writing(db, tenant.account_id, actor) as change:
        store = UserStore(change.conn, tenant.account_id)
        found = store.for_update(user_id)
        if found is None:
            raise NotFound(f"There is no user {user_id}.")
        pk, current = found
        _check_version(current.version, if_match, "user")
        fields = _accepted(edit(current), AccountStore(change.conn), tenant)
        user = current
        if fields != current.fields:
            written = store.update(pk, fields, current.fields)
            user = replace(written, groups=current.groups)  # a user write leaves them as they are
        _user_changed(change, action, user, user_differences(current.fields, fields))
        if current.fields.active and not fields.active:  # access ends with this request
            signin.end_sessions(change, pk, SessionReason.deactivated)
        access.status_changed(change, pk, user_id, current.fields.active, fields.active)
    return user


def delete_user(
    db: Database,
    tenant: Tenant,
    user_id: str,
    if_match: Preconditions | None = None,
    *,
    actor: Actor = OPERATOR,
) -> str:
    """The identity provider deletes a user (see UserStore.delete); returns its userName."""
    _allowed(tenant)
    with writing(db, tenant.account_id, actor) as change:
        store = UserStore(change.conn, tenant.account_id)
        found = store.pk_and_version(user_id, lock=True)
        if found is None:
            raise NotFound(f"There is no user {user_id}.")
        _check_version(found[1], if_match, "user")
        access.person_deleting(change, found[0], user_id)
        name = store.delete(found[0]) or user_id
        change.log(
            "user.delete",
            f"Deleted user {name}: out of every group and without access; "
            "kept for the admin pages.",
            resource_type="User",
            resource_id=user_id,
            resource_name=name,
        )
        change.emit(EventType.person_deleted, {"id": user_id, "userName": name})
        signin.end_sessions(change, found[0], SessionReason.deleted)
        return name


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
            f"Members must be users of this account; no such user: {shown}. "
            "The group was not changed."
        )
    return found


def list_groups(db: Database, tenant: Tenant, query: Query) -> Page[Group]:
    """A page of the account's groups, by startIndex or (query.cursor) by cursor (RFC 9865)."""
    _allowed(tenant)
    with db.read() as conn:
        return GroupStore(conn, tenant.account_id).search(query)


def search_directory(db: Database, tenant: Tenant, query: Query) -> Page[User | Group]:
    """A query at the server root (RFC 7644 §3.4.2.1): users, then groups, as one list."""
    _allowed(tenant)
    with db.read() as conn:
        return search_root(conn, tenant.account_id, query)


def get_group(db: Database, tenant: Tenant, group_id: str, *, with_members: bool = True) -> Group:
    _allowed(tenant)
    with db.read() as conn:
        group = GroupStore(conn, tenant.account_id).get(group_id, with_members=with_members)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


@dataclass
class Membership:
    """What one request did to a group's members, net of its own undoing (an add then a
    remove of the same person in one PATCH is no change)."""

    added: dict[int, None] = field(default_factory=dict)  # user pks, in order
    removed: dict[int, None] = field(default_factory=dict)

    def add(self, user_pks: list[int]) -> None:
        for user_pk in user_pks:
            if user_pk in self.removed:
                del self.removed[user_pk]  # removed earlier in this request, back: no change
            else:
                self.added[user_pk] = None

    def remove(self, user_pks: list[int]) -> None:
        for user_pk in user_pks:
            if user_pk in self.added:
                del self.added[user_pk]  # added earlier in this request, gone: no change
            else:
                self.removed[user_pk] = None


def _members_changed(
    change: Change,
    users: UserStore,
    group_id: str,
    membership: Membership,
    ids: dict[int, str],
) -> dict[str, Any]:
    """Announce the members a request added and removed (ids, one event each way); return
    the activity entry's part: the first few by name, and how many."""
    described: dict[str, Any] = {}
    for kind, pks in (("added", membership.added), ("removed", membership.removed)):
        if not pks:
            continue
        order = list(pks)
        missing = [pk for pk in order if pk not in ids]
        if missing:
            ids.update(users.ids_of(missing))
        change.emit(
            EventType.group_members_added if kind == "added" else EventType.group_members_removed,
            {"id": group_id, "group": group_id, "members": [ids[pk] for pk in order if pk in ids]},
        )
        named = users.named(order[:NAMED])
        described[kind] = [{"id": i, "name": n} for i, n in named]
        described[f"{kind}_count"] = len(order)
    return described


def _membership_words(described: dict[str, Any]) -> list[str]:
    words = []
    for kind in ("added", "removed"):
        if described.get(kind):
            named = [(p["id"], p["name"]) for p in described[kind]]
            words.append(f"{kind} {name_people(named, described[f'{kind}_count'])}")
    return words


def create_group(
    db: Database,
    tenant: Tenant,
    fields: GroupFields,
    *,
    with_members: bool = True,
    actor: Actor = OPERATOR,
) -> Group:
    """Provision a group in the organization linked to the secret's domain."""
    _allowed(tenant)
    organization_id = require_linked_organization(tenant)
    name = _check_display_name(fields.display_name)
    with writing(db, tenant.account_id, actor) as change:
        users = UserStore(change.conn, tenant.account_id)
        groups = GroupStore(change.conn, tenant.account_id)
        pks = _member_pks(users, fields.member_ids)
        group_id, pk = groups.insert(organization_id, name, fields.external_id)
        membership = Membership()
        membership.add(groups.add_members(pk, pks.values()))
        change.emit(
            EventType.group_created,
            {"id": group_id, "displayName": name, "organization": organization_id},
        )
        described = _members_changed(
            change, users, group_id, membership, {v: k for k, v in pks.items()}
        )
        count = len(membership.added)
        detail = f"Created group {name}" + (
            f" with {count} member{'s' if count != 1 else ''}: "
            f"{name_people([(p['id'], p['name']) for p in described['added']], count)}."
            if count
            else " with no members."
        )
        change.log(
            "group.create",
            detail,
            resource_type="Group",
            resource_id=group_id,
            resource_name=name,
            changes=described or None,
        )
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
    action: str = "group.update",
    actor: Actor = OPERATOR,
) -> ChangedGroup:
    """Apply changes atomically, as row-level set operations on the membership table.

    Returns the group's new version, and the group (members loaded when `with_members`)
    unless not asked for.
    """
    _allowed(tenant)
    require_linked_organization(tenant)
    with writing(db, tenant.account_id, actor) as change:
        users = UserStore(change.conn, tenant.account_id)
        groups = GroupStore(change.conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        pk = found[0]
        before = groups.get(group_id, with_members=False)
        assert before is not None
        # Take the row lock (and bump the version) first: writers of one group queue here,
        # and each checks If-Match against the version the writer before it left.
        version = groups.touch(pk)
        _check_version(version - 1, if_match, "group")
        wanted = [
            i for c in changes if isinstance(c, (AddMembers, ReplaceMembers)) for i in c.user_ids
        ]
        pks = _member_pks(users, wanted)
        ids = {v: k for k, v in pks.items()}
        membership = Membership()
        name, external_id = before.display_name, before.external_id
        for step in changes:
            if isinstance(step, SetDisplayName):
                name = _check_display_name(step.value)
                version = groups.touch(pk, display_name=name)
            elif isinstance(step, SetExternalId):
                external_id = step.value
                version = groups.touch(pk, external_id=external_id)
            elif isinstance(step, AddMembers):
                membership.add(groups.add_members(pk, [pks[i] for i in step.user_ids]))
            elif isinstance(step, RemoveMembers):
                named = users.pks_for_ids(step.user_ids)
                ids.update({v: k for k, v in named.items()})
                membership.remove(groups.remove_members(pk, named.values()))
            elif isinstance(step, RemoveMembersWhere):
                membership.remove(groups.remove_members_where(pk, step.filter))
            elif isinstance(step, ReplaceMembers):
                target = [pks[i] for i in step.user_ids]
                keep = set(target)
                current = groups.member_pks(pk)
                membership.remove(groups.remove_members(pk, [p for p in current if p not in keep]))
                membership.add(groups.add_members(pk, target))
        words = []
        if name != before.display_name:
            words.append(f"renamed from “{before.display_name}”")
            change.emit(
                EventType.group_renamed,
                {"id": group_id, "displayName": name, "previous": before.display_name},
            )
        if external_id != before.external_id:
            words.append("set its externalId" if external_id else "cleared its externalId")
        described = _members_changed(change, users, group_id, membership, ids)
        access.members_changed(
            change, pk, group_id, list(membership.added), list(membership.removed)
        )
        words.extend(_membership_words(described))
        if name != before.display_name:
            described["attributes"] = {"displayName": [before.display_name, name]}
        change.log(
            action,
            f"Updated group {name}: " + ("; ".join(words) if words else "no change") + ".",
            resource_type="Group",
            resource_id=group_id,
            resource_name=name,
            changes=described or None,
        )
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
    actor: Actor = OPERATOR,
) -> Group:
    """PUT: the group becomes exactly what was sent (name, externalId, members)."""
    changes: list[GroupChange] = [
        SetDisplayName(fields.display_name),
        SetExternalId(fields.external_id),
        ReplaceMembers(fields.member_ids),
    ]
    changed = change_group(
        db,
        tenant,
        group_id,
        changes,
        if_match,
        with_members=with_members,
        action="group.replace",
        actor=actor,
    )
    assert changed.group is not None
    return changed.group


def delete_group(
    db: Database,
    tenant: Tenant,
    group_id: str,
    if_match: Preconditions | None = None,
    *,
    actor: Actor = OPERATOR,
) -> None:
    _allowed(tenant)
    require_linked_organization(tenant)  # a group write like any other
    with writing(db, tenant.account_id, actor) as change:
        groups = GroupStore(change.conn, tenant.account_id)
        found = groups.pk_and_version(group_id)
        if found is None:
            raise NotFound(f"There is no group {group_id}.")
        if if_match is not None:  # judged under the row lock, as change_group does
            _check_version(groups.touch(found[0]) - 1, if_match, "group")
        group = groups.get(group_id, with_members=False)
        assert group is not None
        access.group_deleting(change, found[0], group_id, group.display_name)
        groups.delete(found[0])
        change.log(
            "group.delete",
            f"Deleted group {group.display_name}.",
            resource_type="Group",
            resource_id=group_id,
            resource_name=group.display_name,
        )
        change.emit(EventType.group_deleted, {"id": group_id, "displayName": group.display_name})


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
    query = Query(_all_of(terms), max(start_index, 1), count, sort_by="userName")
    with db.read() as conn:
        page = UserStore(conn, account_id).search(query, deleted=deleted)
        sources = DirectoryViews(conn, account_id).user_sources([u.id for u in page.items])
    return page.total or 0, [ListedUser(u, sources.get(u.id, "scim")) for u in page.items]


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
        query = Query(
            _all_of(terms), max(start_index, 1), count, sort_by="displayName", with_members=False
        )
        page = GroupStore(conn, account_id).search(query)
        counts = views.member_counts([g.id for g in page.items])
    return page.total or 0, [ListedGroup(g, counts.get(g.id, 0)) for g in page.items]


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
