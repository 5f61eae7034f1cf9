"""Repository for calendar access: grants, and effective access derived from them by query.

A person is reached on a calendar by a grant to them (direct) and by a grant to each group
they are a member of; their effective level is the smallest rank among those grants (the
order is domain/access.py's), and nothing when they are deactivated or deleted. Nothing is
copied per member: a SCIM membership change is, in the same transaction, the access change.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from enlist.clock import now
from enlist.domain.access import NO_ACCESS_RANK, Subject, SubjectType, Via
from enlist.store.tables import (
    access_grants,
    accounts,
    calendars,
    group_members,
    groups,
    user_emails,
    users,
)

_GRANTS = access_grants.c
_LIVE_PERSON = and_(users.c.active.is_(True), users.c.deleted_at.is_(None))
_SERIALIZE = select(func.pg_advisory_xact_lock(bindparam("key", type_=postgresql.BIGINT)))


@dataclass(frozen=True)
class GrantRow:
    """One grant as the pages list it: who, their name, the level's rank."""

    calendar_id: str
    calendar_name: str
    subject: Subject
    subject_name: str
    rank: int


@dataclass(frozen=True)
class Reached:
    """A person's effective rank on a calendar and every grant that gives exactly it."""

    rank: int
    via: tuple[Via, ...]


@dataclass(frozen=True)
class PersonRow:
    pk: int
    id: str
    user_name: str
    display_name: str | None


@dataclass(frozen=True)
class PersonAccess:
    """One line of *who has access*: a person, their effective rank and where it comes from."""

    person: PersonRow
    rank: int
    via: tuple[Via, ...]


@dataclass(frozen=True)
class CalendarAccess:
    """One line of a person's calendars."""

    calendar_id: str
    calendar_name: str
    rank: int
    via: tuple[Via, ...]


def _calendars_of(one_calendar: bool) -> Any:
    """The statement of `AccessStore.calendars_of`, built once per form (building it cost
    more than running it: ~17 % of a SCIM deactivation's samples)."""
    person = bindparam("reached_person", type_=Integer)
    only = [_GRANTS.calendar_id == bindparam("calendar", type_=String)] if one_calendar else []
    direct = _direct(_GRANTS.user_pk == person, *only)
    through = _through_groups(group_members.c.user_pk == person, *only)
    reach = union_all(direct, through).subquery()
    return (
        select(
            reach.c.calendar_id,
            calendars.c.name,
            reach.c.level_rank,
            groups.c.id.label("group_id"),
            groups.c.display_name,
        )
        .join(calendars, calendars.c.id == reach.c.calendar_id)
        .outerjoin(groups, groups.c.pk == reach.c.group_pk)
        .where(calendars.c.account_id == bindparam("account", type_=String))
    )


def _direct(*conditions: ColumnElement[bool]) -> Any:
    """Rows (calendar_id, user_pk, level_rank, group_pk) of the grants to people themselves."""
    return select(
        _GRANTS.calendar_id,
        _GRANTS.user_pk.label("user_pk"),
        _GRANTS.level_rank,
        null().label("group_pk"),
    ).where(_GRANTS.subject_type == SubjectType.user.value, *conditions)


def _through_groups(*conditions: ColumnElement[bool]) -> Any:
    """The same rows for each member of each group granted something."""
    return (
        select(
            _GRANTS.calendar_id,
            group_members.c.user_pk.label("user_pk"),
            _GRANTS.level_rank,
            _GRANTS.group_pk.label("group_pk"),
        )
        .join(group_members, group_members.c.group_pk == _GRANTS.group_pk)
        .where(_GRANTS.subject_type == SubjectType.group.value, *conditions)
    )


def _best_of(
    person: Any,
    direct: list[ColumnElement[bool]] | None,
    through_groups: list[ColumnElement[bool]],
) -> list[ColumnElement[Any]]:
    """A person's smallest rank through their groups, and (unless `direct` is None) among
    their own grants, as columns of a query over `person` (a users table): correlated
    lookups, each through an index, NULL when none reaches. The caller takes the smaller in
    Python: an SQL CASE over them would run each lookup again for every mention."""
    ranks: list[ColumnElement[Any]] = [
        select(func.min(_GRANTS.level_rank))
        .join(group_members, group_members.c.group_pk == _GRANTS.group_pk)
        .where(*through_groups)
        .correlate(person)
        .scalar_subquery()
        .label("via_groups")
    ]
    if direct is not None:
        ranks.append(
            select(func.min(_GRANTS.level_rank))
            .where(*direct)
            .correlate(person)
            .scalar_subquery()
            .label("direct")
        )
    return ranks


def _smallest(*ranks: int | None) -> int:
    """The most permissive of the ranks found; no access when none was."""
    return min((r for r in ranks if r is not None), default=NO_ACCESS_RANK)


_CALENDARS_OF = {False: _calendars_of(False), True: _calendars_of(True)}

# The hot path (the access API's check), built once: one round trip answers whether the
# person and the calendar are the account's and, if so, the person's best rank on it.
_P, _C, _A = (
    bindparam("person", type_=String),
    bindparam("calendar", type_=String),
    bindparam("account", type_=String),
)
_CHECK_PERSON = users.alias("checked")
_CHECK = select(
    _CHECK_PERSON.c.active,
    _CHECK_PERSON.c.deleted_at,
    select(calendars.c.id)
    .where(calendars.c.id == _C, calendars.c.account_id == _A)
    .scalar_subquery()
    .label("calendar"),
    *_best_of(
        _CHECK_PERSON,
        [_GRANTS.calendar_id == _C, _GRANTS.user_pk == _CHECK_PERSON.c.pk],
        [_GRANTS.calendar_id == _C, group_members.c.user_pk == _CHECK_PERSON.c.pk],
    ),
).where(_CHECK_PERSON.c.id == _P, _CHECK_PERSON.c.account_id == _A)


@dataclass(frozen=True)
class Check:
    """What the check query found: whether each id is the account's, and the best rank."""

    person_found: bool
    calendar_found: bool
    rank: int  # NO_ACCESS_RANK when no grant reaches a live person


def account_of_calendar(conn: Connection, calendar_id: str) -> str | None:
    """The account a calendar belongs to (the operator's command line names ids alone)."""
    found = conn.scalar(select(calendars.c.account_id).where(calendars.c.id == calendar_id))
    return str(found) if found is not None else None


def account_of_person(conn: Connection, person_id: str) -> str | None:
    found = conn.scalar(select(users.c.account_id).where(users.c.id == person_id))
    return str(found) if found is not None else None


class AccessStore:
    def __init__(self, conn: Connection, account_id: str) -> None:
        self.conn = conn
        self.account_id = account_id

    # the account's setting ------------------------------------------------------
    def allows_group_administrators(self) -> bool:
        found = self.conn.scalar(
            select(accounts.c.allow_group_administrators).where(accounts.c.id == self.account_id)
        )
        return bool(found)

    def set_allow_group_administrators(self, allowed: bool) -> None:
        self.conn.execute(
            update(accounts)
            .where(accounts.c.id == self.account_id)
            .values(allow_group_administrators=allowed)
        )

    # what grants may name ---------------------------------------------------------
    def calendar_name(self, calendar_id: str) -> str | None:
        """The account's calendar's name (None for no such calendar, or another account's)."""
        query = select(calendars.c.name).where(
            calendars.c.id == calendar_id, calendars.c.account_id == self.account_id
        )
        found = self.conn.scalar(query)
        return str(found) if found is not None else None

    def serialize_access_changes(self) -> None:
        """Queue behind the account's other writers of effective access until this
        transaction ends (PostgreSQL; SQLite has one writer at a time anyway).

        Whoever computes whose level a change moves must see every change committed before
        it: two writers reading at once (Okta adds Ann to Sales while Entra deactivates her,
        or an admin grants Sales a calendar) would each miss the other's and announce a level
        that is no longer true. Taken before the first read of grants, memberships or
        statuses, it orders those computations the way their commits are ordered."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_SERIALIZE, {"key": _lock_key(self.account_id)})

    def group(self, group_id: str) -> tuple[int, str] | None:
        """(pk, displayName) of the account's group."""
        query = select(groups.c.pk, groups.c.display_name).where(
            groups.c.id == group_id, groups.c.account_id == self.account_id
        )
        row = self.conn.execute(query).first()
        return (row.pk, row.display_name) if row else None

    def person(self, user_id: str) -> tuple[PersonRow, bool] | None:
        """The account's provisioned (not deleted) user, and whether they are active."""
        query = select(
            users.c.pk, users.c.id, users.c.user_name, users.c.display_name, users.c.active
        ).where(
            users.c.id == user_id,
            users.c.account_id == self.account_id,
            users.c.deleted_at.is_(None),
        )
        row = self.conn.execute(query).first()
        if row is None:
            return None
        return PersonRow(row.pk, row.id, row.user_name, row.display_name), bool(row.active)

    def person_row(self, user_pk: int) -> PersonRow:
        row = self.conn.execute(
            select(users.c.pk, users.c.id, users.c.user_name, users.c.display_name).where(
                users.c.pk == user_pk, users.c.account_id == self.account_id
            )
        ).one()
        return PersonRow(row.pk, row.id, row.user_name, row.display_name)

    def user_pk(self, user_id: str) -> int | None:
        """The key of the account's user (deleted ones too)."""
        found = self.conn.scalar(
            select(users.c.pk).where(users.c.id == user_id, users.c.account_id == self.account_id)
        )
        return int(found) if found is not None else None

    def person_ids_by_email(self, email: str) -> list[str]:
        """The ids of the account's users (deleted ones too) with this email, any case."""
        rows = self.conn.scalars(
            select(users.c.id)
            .join(user_emails, user_emails.c.user_pk == users.c.pk)
            .where(
                user_emails.c.account_id == self.account_id,
                user_emails.c.value_lower == email.lower(),
                users.c.account_id == self.account_id,
            )
            .distinct()
            .order_by(users.c.id)
        )
        return list(rows)

    # grants ---------------------------------------------------------------------
    def _grant_where(self, calendar_id: str, subject: Subject) -> ColumnElement[bool]:
        return and_(
            _GRANTS.account_id == self.account_id,
            _GRANTS.calendar_id == calendar_id,
            _GRANTS.subject_type == subject.type.value,
            _GRANTS.subject_id == subject.id,
        )

    def rank_of(self, calendar_id: str, subject: Subject) -> int | None:
        found = self.conn.scalar(
            select(_GRANTS.level_rank).where(self._grant_where(calendar_id, subject))
        )
        return int(found) if found is not None else None

    def put(self, calendar_id: str, subject: Subject, subject_pk: int, rank: int) -> int | None:
        """Grant `rank` (or change the grant's level); returns the rank it had before.

        Callers hold the account's access lock (serialize_access_changes): read-then-write
        is exact."""
        before = self.rank_of(calendar_id, subject)
        moment = now()
        if before is None:
            pks = {"group_pk" if subject.type is SubjectType.group else "user_pk": subject_pk}
            self.conn.execute(
                insert(access_grants).values(
                    account_id=self.account_id,
                    calendar_id=calendar_id,
                    subject_type=subject.type.value,
                    subject_id=subject.id,
                    level_rank=rank,
                    created=moment,
                    updated=moment,
                    **pks,
                )
            )
        elif before != rank:
            self.conn.execute(
                update(access_grants)
                .where(self._grant_where(calendar_id, subject))
                .values(level_rank=rank, updated=moment)
            )
        return before

    def remove(self, calendar_id: str, subject: Subject) -> int | None:
        """Revoke; returns the rank the grant had (None: there was none)."""
        before = self.rank_of(calendar_id, subject)
        if before is not None:
            self.conn.execute(delete(access_grants).where(self._grant_where(calendar_id, subject)))
        return before

    def grants_of(self, subject: Subject) -> list[GrantRow]:
        """The subject's grants, by calendar name."""
        rows = self.conn.execute(
            select(calendars.c.id, calendars.c.name, _GRANTS.level_rank)
            .join(calendars, calendars.c.id == _GRANTS.calendar_id)
            .where(
                _GRANTS.account_id == self.account_id,
                _GRANTS.subject_type == subject.type.value,
                _GRANTS.subject_id == subject.id,
            )
            .order_by(calendars.c.name, calendars.c.id)
        )
        return [GrantRow(r.id, r.name, subject, "", r.level_rank) for r in rows]

    def grants_on(self, calendar_id: str) -> list[GrantRow]:
        """The grants on a calendar with their subjects' names: groups first, by name."""
        named = func.coalesce(groups.c.display_name, users.c.user_name, _GRANTS.subject_id)
        rows = self.conn.execute(
            select(_GRANTS.subject_type, _GRANTS.subject_id, _GRANTS.level_rank, named.label("n"))
            .outerjoin(groups, groups.c.pk == _GRANTS.group_pk)
            .outerjoin(users, users.c.pk == _GRANTS.user_pk)
            .where(_GRANTS.account_id == self.account_id, _GRANTS.calendar_id == calendar_id)
            .order_by(_GRANTS.subject_type, func.lower(named))
        )
        return [
            GrantRow(
                calendar_id,
                "",
                Subject(SubjectType(r.subject_type), r.subject_id),
                r.n,
                r.level_rank,
            )
            for r in rows
        ]

    def remove_all_of(self, subject: Subject) -> None:
        self.conn.execute(
            delete(access_grants).where(
                _GRANTS.account_id == self.account_id,
                _GRANTS.subject_type == subject.type.value,
                _GRANTS.subject_id == subject.id,
            )
        )

    # effective access -----------------------------------------------------------
    def check(self, person_id: str, calendar_id: str) -> Check:
        """The hot path: one person's effective rank on one calendar, in one round trip."""
        row = self.conn.execute(
            _CHECK, {"person": person_id, "calendar": calendar_id, "account": self.account_id}
        ).first()
        if row is None:
            found = self.conn.scalar(
                select(calendars.c.id).where(
                    calendars.c.id == calendar_id, calendars.c.account_id == self.account_id
                )
            )
            return Check(False, found is not None, NO_ACCESS_RANK)
        live = bool(row.active) and row.deleted_at is None
        best = _smallest(row.via_groups, row.direct) if live else NO_ACCESS_RANK
        return Check(True, row.calendar is not None, int(best))

    def calendars_of(self, user_pk: int, calendar_id: str | None = None) -> list[CalendarAccess]:
        """Every calendar a grant reaches the person on, above no access, with the grants
        that give it (whatever the person's status: callers judge that)."""
        params: dict[str, Any] = {"reached_person": user_pk, "account": self.account_id}
        if calendar_id is not None:
            params["calendar"] = calendar_id
        rows = self.conn.execute(_CALENDARS_OF[calendar_id is not None], params).all()
        found: dict[str, tuple[str, list[tuple[int, Via]]]] = {}
        for r in rows:
            via = Via(r.group_id, r.display_name) if r.group_id is not None else Via()
            found.setdefault(r.calendar_id, (r.name, []))[1].append((r.level_rank, via))
        listed = []
        for cal_id, (name, grants) in found.items():
            reached = _best(grants)
            if reached.rank < NO_ACCESS_RANK:
                listed.append(CalendarAccess(cal_id, name, reached.rank, reached.via))
        return sorted(listed, key=lambda c: (c.calendar_name.lower(), c.calendar_id))

    def people_on(
        self,
        calendar_id: str,
        *,
        after: int = 0,
        limit: int = 50,
        rank: int | None = None,
        text: str | None = None,
    ) -> list[PersonAccess]:
        """A page of the live people with access to a calendar, by user key after `after`
        (keyset: a page costs the same on page 1 and page 2,000), of exactly `rank` when
        given, whose userName or displayName contains `text` when given."""
        if rank is None and not (text and text.strip()):
            return self._page_by_key(calendar_id, after, limit)
        # filtered: one aggregate over everyone reached (a rare level is found in one pass)
        reach = union_all(
            _direct(_GRANTS.calendar_id == calendar_id, _GRANTS.user_pk > after),
            _through_groups(_GRANTS.calendar_id == calendar_id, group_members.c.user_pk > after),
        ).subquery()
        best = func.min(reach.c.level_rank)
        conditions = [_LIVE_PERSON, users.c.account_id == self.account_id]
        if text and text.strip():
            pattern = "%" + _escape_like(text.strip().lower()) + "%"
            conditions.append(
                or_(
                    users.c.user_name_lower.like(pattern, escape="\\"),
                    users.c.display_name_lower.like(pattern, escape="\\"),
                )
            )
        query = (
            select(
                users.c.pk, users.c.id, users.c.user_name, users.c.display_name, best.label("best")
            )
            .join(users, users.c.pk == reach.c.user_pk)
            .where(*conditions)
            .group_by(users.c.pk, users.c.id, users.c.user_name, users.c.display_name)
            .having(best == rank if rank is not None else best < NO_ACCESS_RANK)
            .order_by(users.c.pk)
            .limit(limit)
        )
        rows = self.conn.execute(query).all()
        vias = self._vias(calendar_id, {r.pk: r.best for r in rows})
        return [
            PersonAccess(
                PersonRow(r.pk, r.id, r.user_name, r.display_name), r.best, vias.get(r.pk, ())
            )
            for r in rows
        ]

    def _page_by_key(self, calendar_id: str, after: int, limit: int) -> list[PersonAccess]:
        """The next `limit` people after user key `after`, without reading the rest: each
        grant's people come in key order (a group's through group_members' primary key,
        group_pk then user_pk), so the next candidates are the smallest keys of a few short
        ordered reads; only they are then judged (live, best rank)."""
        grants = self.conn.execute(
            select(_GRANTS.subject_type, _GRANTS.group_pk, _GRANTS.user_pk).where(
                _GRANTS.calendar_id == calendar_id, _GRANTS.account_id == self.account_id
            )
        ).all()
        direct = sorted(g.user_pk for g in grants if g.user_pk is not None)
        granted_groups = sorted({g.group_pk for g in grants if g.group_pk is not None})
        batch = max(limit * 2, 100)
        found: list[tuple[PersonRow, int]] = []
        cursor = after
        while len(found) < limit:
            candidates = {pk for pk in direct if pk > cursor}
            for group_pk in granted_groups:
                candidates.update(
                    self.conn.scalars(
                        select(group_members.c.user_pk)
                        .where(
                            group_members.c.group_pk == group_pk,
                            group_members.c.user_pk > cursor,
                        )
                        .order_by(group_members.c.user_pk)
                        .limit(batch)
                    )
                )
            if not candidates:
                break
            # the `batch` smallest keys of the union: every read returned at most `batch`
            window = sorted(candidates)[:batch]
            judged = self.others(calendar_id, window)
            for pk in window:
                cursor = pk
                person = judged.get(pk)
                if person is None or person[1] >= NO_ACCESS_RANK:
                    continue  # deactivated, deleted, or granted no_access only
                found.append(person)
                if len(found) == limit:
                    break
            if len(window) < batch and len(found) < limit:
                break  # every read is exhausted
        vias = self._vias(calendar_id, {p.pk: best for p, best in found})
        return [PersonAccess(p, best, vias.get(p.pk, ())) for p, best in found]

    def _vias(self, calendar_id: str, best: dict[int, int]) -> dict[int, tuple[Via, ...]]:
        """The grants that give each of these people exactly their best rank."""
        if not best:
            return {}
        pks = list(best)
        reach = union_all(
            _direct(_GRANTS.calendar_id == calendar_id, _GRANTS.user_pk.in_(pks)),
            _through_groups(_GRANTS.calendar_id == calendar_id, group_members.c.user_pk.in_(pks)),
        ).subquery()
        rows = self.conn.execute(
            select(reach.c.user_pk, reach.c.level_rank, groups.c.id, groups.c.display_name)
            .outerjoin(groups, groups.c.pk == reach.c.group_pk)
            .order_by(reach.c.user_pk, groups.c.display_name_lower)
        )
        found: dict[int, list[Via]] = defaultdict(list)
        for r in rows:
            if r.level_rank == best[r.user_pk]:
                found[r.user_pk].append(Via(r.id, r.display_name) if r.id is not None else Via())
        return {pk: tuple(_direct_first(v)) for pk, v in found.items()}

    def others(
        self,
        calendar_id: str,
        people: Sequence[int] | None = None,
        *,
        members_of: int | None = None,
        except_group: int | None = None,
        except_direct: bool = False,
    ) -> dict[int, tuple[PersonRow, int]]:
        """For each live person among `people` (or the members of group `members_of`): their
        best rank on the calendar from every grant but the one excepted (a group's, or the
        person's direct one); NO_ACCESS_RANK when no other grant reaches them.

        This is how a change to one grant, or to one group's members, tells whose effective
        level it changes, by query, inside the change's own transaction."""
        found: dict[int, tuple[PersonRow, int]] = {}

        def among(column: Any) -> ColumnElement[bool]:
            if people is not None:
                return _one_of(self.conn, column, people)
            members = select(group_members.c.user_pk).where(group_members.c.group_pk == members_of)
            return column.in_(members)  # type: ignore[no-any-return]

        live = self.conn.execute(
            select(users.c.pk, users.c.id, users.c.user_name, users.c.display_name).where(
                among(users.c.pk), _LIVE_PERSON, users.c.account_id == self.account_id
            )
        ).all()
        if not live:
            return found
        # driven by the calendar's few grants, each probing group_members by its key
        through = (
            select(group_members.c.user_pk, func.min(_GRANTS.level_rank).label("best"))
            .join(group_members, group_members.c.group_pk == _GRANTS.group_pk)
            .where(
                _GRANTS.calendar_id == calendar_id,
                _GRANTS.subject_type == SubjectType.group.value,
                among(group_members.c.user_pk),
                *([_GRANTS.group_pk != except_group] if except_group is not None else []),
            )
            .group_by(group_members.c.user_pk)
        )
        best = {r.user_pk: int(r.best) for r in self.conn.execute(through)}
        if not except_direct:
            direct = select(_GRANTS.user_pk, _GRANTS.level_rank).where(
                _GRANTS.calendar_id == calendar_id,
                _GRANTS.subject_type == SubjectType.user.value,
                among(_GRANTS.user_pk),
            )
            for grant in self.conn.execute(direct):
                best[grant.user_pk] = _smallest(best.get(grant.user_pk), grant.level_rank)
        for row in live:
            person = PersonRow(row.pk, row.id, row.user_name, row.display_name)
            found[row.pk] = (person, best.get(row.pk, NO_ACCESS_RANK))
        return found

    def group_grants(self, group_pk: int) -> list[tuple[str, int]]:
        """(calendar id, rank) of each grant to the group."""
        rows = self.conn.execute(
            select(_GRANTS.calendar_id, _GRANTS.level_rank)
            .where(_GRANTS.group_pk == group_pk, _GRANTS.account_id == self.account_id)
            .order_by(_GRANTS.calendar_id)
        )
        return [(r.calendar_id, int(r.level_rank)) for r in rows]

    def direct_grants(self, user_pk: int) -> list[tuple[str, int]]:
        """(calendar id, rank) of each grant to the person themself."""
        rows = self.conn.execute(
            select(_GRANTS.calendar_id, _GRANTS.level_rank)
            .where(_GRANTS.user_pk == user_pk, _GRANTS.account_id == self.account_id)
            .order_by(_GRANTS.calendar_id)
        )
        return [(r.calendar_id, int(r.level_rank)) for r in rows]


def _lock_key(account_id: str) -> int:
    """The account's advisory lock number (a signed 64-bit integer)."""
    digest = hashlib.sha256(b"enlist-access:" + account_id.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _best(grants: Sequence[tuple[int, Via]]) -> Reached:
    top = min(rank for rank, _ in grants)
    return Reached(top, tuple(_direct_first([via for rank, via in grants if rank == top])))


def _direct_first(vias: Sequence[Via]) -> list[Via]:
    unique = list(dict.fromkeys(vias))
    return sorted(unique, key=lambda v: (v.group_id is not None, (v.group_name or "").lower()))


def _one_of(conn: Connection, column: Any, pks: Sequence[int]) -> ColumnElement[bool]:
    """`column IN pks` with the keys as one parameter (a JSON array on SQLite, an array on
    PostgreSQL): a thousand members added at once would otherwise cost more in expanding a
    thousand bound parameters than in the query itself."""
    if conn.dialect.name == "postgresql":
        listed = bindparam("pks", list(pks), type_=postgresql.ARRAY(Integer))
        return column == any_(listed)  # type: ignore[no-any-return]
    each = func.json_each(bindparam("pks_json", json.dumps(list(pks)), type_=String))
    return column.in_(select(each.table_valued("value").c.value))  # type: ignore[no-any-return]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
