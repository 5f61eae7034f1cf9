"""Calendar access use cases: grant, revoke, who has access, a person's calendars, check.

Each rule is one function here, used by the pages, the CLI and the API alike. The hooks at
the end run inside the SCIM write transactions (services/directory.py), so a membership or
status change is an access change in the same commit, announced per person whose
effective level it changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from enlist.domain.access import (
    NO_ACCESS_RANK,
    Level,
    Subject,
    SubjectType,
    label,
    level_of,
    rank,
)
from enlist.domain.errors import Forbidden, InvalidValue, NotFound
from enlist.domain.events import EventType
from enlist.domain.model import User
from enlist.services.tenancy import require_account
from enlist.services.unit import OPERATOR, Actor, Change, writing
from enlist.store.access import (
    AccessStore,
    CalendarAccess,
    PersonAccess,
    PersonRow,
    account_of_calendar,
    account_of_person,
)
from enlist.store.db import Database
from enlist.store.directory import UserStore

MAX_PAGE = 500


@dataclass(frozen=True)
class Granted:
    calendar_id: str
    subject: Subject
    level: Level
    previous: Level | None  # None: there was no grant


@dataclass(frozen=True)
class PersonCalendars:
    """A person (deleted ones too, for the access API) and the calendars they reach."""

    user: User
    calendars: list[CalendarAccess]

    @property
    def deleted(self) -> bool:
        return self.user.deleted_at is not None


@dataclass(frozen=True)
class AccessPage:
    people: list[PersonAccess]
    next_after: int | None  # the user key to continue after; None on the last page


# the rules ------------------------------------------------------------------------


def require_calendar(store: AccessStore, calendar_id: str) -> str:
    """The calendar is the account's (another account's id is no calendar); its name."""
    name = store.calendar_name(calendar_id)
    if name is None:
        raise NotFound(f"There is no calendar {calendar_id}.")
    return name


def require_subject(store: AccessStore, subject: Subject) -> tuple[int, str]:
    """A grant names a group of the account or a provisioned (not deleted) user of it;
    (its key, its name)."""
    if subject.type is SubjectType.group:
        group = store.group(subject.id)
        if group is None:
            raise NotFound(f"There is no group {subject.id}.")
        return group
    person = store.person(subject.id)
    if person is None:
        raise NotFound(f"There is no provisioned user {subject.id}.")
    return person[0].pk, person[0].user_name


def refuse_group_administrators(store: AccessStore, subject: Subject, level: Level) -> None:
    """A group grants administrator only where the account allows it: an edit of a group at
    the identity provider must not silently make calendar administrators."""
    if (
        subject.type is SubjectType.group
        and level is Level.administrator
        and not store.allows_group_administrators()
    ):
        raise Forbidden(
            "A group cannot grant administrator: an edit of the group at the identity "
            "provider would silently make calendar administrators. Grant administrator to "
            "people directly, or allow it for groups in the account's settings."
        )


def parse(level: str) -> Level:
    """A level named as the API and the CLI write it; a plain reason otherwise."""
    try:
        return Level(level.strip().lower())
    except ValueError:
        names = ", ".join(level.value for level in Level)
        raise InvalidValue(f"There is no level {level!r}; the levels are: {names}.") from None


# grants -------------------------------------------------------------------------


def grant(
    db: Database,
    account_id: str,
    calendar_id: str,
    subject: Subject,
    level: Level,
    *,
    actor: Actor = OPERATOR,
) -> Granted:
    """Grant `level` on the calendar to a group or a person; granting again changes it."""
    with writing(db, account_id, actor) as change:
        store = AccessStore(change.conn, account_id)
        store.serialize_access_changes()
        subject_pk, subject_name = require_subject(store, subject)
        calendar_name = require_calendar(store, calendar_id)
        refuse_group_administrators(store, subject, level)
        before = store.put(calendar_id, subject, subject_pk, rank(level))
        previous = level_of(before) if before is not None else None
        if previous is not level:
            _grant_changed(
                change,
                store,
                calendar_id,
                calendar_name,
                subject,
                subject_pk,
                subject_name,
                before,
                rank(level),
            )
    return Granted(calendar_id, subject, level, previous)


def revoke(
    db: Database, account_id: str, calendar_id: str, subject: Subject, *, actor: Actor = OPERATOR
) -> Level:
    """Remove the subject's grant on the calendar; the level it gave."""
    with writing(db, account_id, actor) as change:
        store = AccessStore(change.conn, account_id)
        store.serialize_access_changes()
        subject_pk, subject_name = require_subject(store, subject)
        calendar_name = require_calendar(store, calendar_id)
        before = store.remove(calendar_id, subject)
        if before is None:
            raise NotFound(
                f"{_subject_words(subject, subject_name)} has no grant on this calendar."
            )
        _grant_changed(
            change,
            store,
            calendar_id,
            calendar_name,
            subject,
            subject_pk,
            subject_name,
            before,
            None,
        )
    return level_of(before)


def set_allow_group_administrators(
    db: Database, account_id: str, allowed: bool, *, actor: Actor = OPERATOR
) -> bool:
    """The account's setting: may a group grant administrator (off by default)."""
    with writing(db, account_id, actor) as change:
        store = AccessStore(change.conn, account_id)
        require_account(change.conn, account_id)
        store.set_allow_group_administrators(allowed)
        change.log(
            "account.settings",
            "Groups may now grant administrator on calendars."
            if allowed
            else "Groups may no longer grant administrator on calendars (existing grants stay).",
        )
    return allowed


def allows_group_administrators(db: Database, account_id: str) -> bool:
    with db.read() as conn:
        return AccessStore(conn, account_id).allows_group_administrators()


def _subject_words(subject: Subject, name: str) -> str:
    return f"{'Group' if subject.type is SubjectType.group else 'User'} {name}"


def _grant_changed(
    change: Change,
    store: AccessStore,
    calendar_id: str,
    calendar_name: str,
    subject: Subject,
    subject_pk: int,
    subject_name: str,
    before: int | None,
    after: int | None,
) -> None:
    """Log and announce one grant's change, then each person whose effective level moved."""
    old, new = level_of(before), level_of(after)
    who = _subject_words(subject, subject_name)
    if after is None:
        words = f"Removed {who}'s access to calendar {calendar_name} (was {label(old)})."
    elif before is None:
        words = f"Granted {who} {label(new)} on calendar {calendar_name}."
    else:
        words = f"Changed {who}'s access to calendar {calendar_name}: {label(old)} → {label(new)}."
    change.log(
        "access.grant" if after is not None else "access.revoke",
        words,
        resource_type="Calendar",
        resource_id=calendar_id,
        resource_name=calendar_name,
        changes={
            "subject": {**subject.document(), "name": subject_name},
            "old": old.value if before is not None else None,
            "new": new.value if after is not None else None,
        },
    )
    change.emit(
        EventType.access_changed,
        {
            "id": calendar_id,
            "calendar": calendar_id,
            "subject": subject.document(),
            "old": old.value,
            "new": new.value,
        },
    )
    old_rank = NO_ACCESS_RANK if before is None else before
    new_rank = NO_ACCESS_RANK if after is None else after
    if subject.type is SubjectType.group:
        others = store.others(calendar_id, members_of=subject_pk, except_group=subject_pk)
    else:
        others = store.others(calendar_id, [subject_pk], except_direct=True)
    _announce_people(
        change,
        calendar_id,
        subject,
        ((p, min(o, old_rank), min(o, new_rank)) for p, o in others.values()),
    )


def _announce_people(
    change: Change,
    calendar_id: str,
    cause: Subject,
    moves: Iterable[tuple[PersonRow, int, int]],
) -> None:
    """One access.changed per person whose effective level on the calendar changed."""
    for person, before, after in moves:
        if before == after:
            continue
        change.emit(
            EventType.access_changed,
            {
                "id": calendar_id,
                "calendar": calendar_id,
                "person": person.id,
                "userName": person.user_name,
                "subject": cause.document(),
                "old": level_of(before).value,
                "new": level_of(after).value,
            },
        )


def calendar_name(db: Database, account_id: str, calendar_id: str) -> str:
    """The account's calendar's name; NotFound for another account's (or no) calendar."""
    with db.read() as conn:
        return require_calendar(AccessStore(conn, account_id), calendar_id)


def calendar_account(db: Database, calendar_id: str) -> str:
    """The account of a calendar named by id alone (the operator's command line)."""
    with db.read() as conn:
        found = account_of_calendar(conn, calendar_id)
    if found is None:
        raise NotFound(f"There is no calendar {calendar_id}.")
    return found


def person_account(db: Database, person_id: str) -> str:
    """The account of a person named by id alone (the operator's command line)."""
    with db.read() as conn:
        found = account_of_person(conn, person_id)
    if found is None:
        raise NotFound(f"There is no person {person_id}.")
    return found


# reads ------------------------------------------------------------------------------


def check(db: Database, account_id: str, person_id: str, calendar_id: str) -> Level:
    """One person's effective level on one calendar (the calendar application's hot path)."""
    with db.read() as conn:
        found = AccessStore(conn, account_id).check(person_id, calendar_id)
    if not found.person_found:
        raise NotFound(f"There is no person {person_id}.")
    if not found.calendar_found:
        raise NotFound(f"There is no calendar {calendar_id}.")
    return level_of(found.rank)


def people_with_access(
    db: Database,
    account_id: str,
    calendar_id: str,
    *,
    after: int = 0,
    limit: int = 50,
    level: Level | None = None,
    text: str | None = None,
) -> AccessPage:
    """A page of everyone above no access on the calendar, in a stable order."""
    limit = max(1, min(limit, MAX_PAGE))
    with db.read() as conn:
        store = AccessStore(conn, account_id)
        require_calendar(store, calendar_id)
        wanted = rank(level) if level is not None else None
        if wanted == NO_ACCESS_RANK:
            return AccessPage([], None)  # listed are those above no access
        people = store.people_on(calendar_id, after=after, limit=limit + 1, rank=wanted, text=text)
    more = len(people) > limit
    people = people[:limit]
    return AccessPage(people, people[-1].person.pk if more else None)


def calendar_grants(db: Database, account_id: str, calendar_id: str) -> list[GrantRowView]:
    """The grants on a calendar, for its page: groups, then people, by name."""
    with db.read() as conn:
        store = AccessStore(conn, account_id)
        require_calendar(store, calendar_id)
        return [
            GrantRowView(g.subject, g.subject_name, level_of(g.rank))
            for g in store.grants_on(calendar_id)
        ]


@dataclass(frozen=True)
class GrantRowView:
    subject: Subject
    name: str
    level: Level


@dataclass(frozen=True)
class SubjectGrant:
    calendar_id: str
    calendar_name: str
    level: Level


def grants_of(db: Database, account_id: str, subject: Subject) -> list[SubjectGrant]:
    """The calendars a group (or a person, directly) is granted, by calendar name."""
    with db.read() as conn:
        store = AccessStore(conn, account_id)
        return [
            SubjectGrant(g.calendar_id, g.calendar_name, level_of(g.rank))
            for g in store.grants_of(subject)
        ]


def calendars_of(db: Database, account_id: str, person_id: str) -> PersonCalendars:
    """A person (found by id even when deleted) and every calendar above no access."""
    with db.read() as conn:
        user = UserStore(conn, account_id).get(person_id, with_groups=False, include_deleted=True)
        if user is None:
            raise NotFound(f"There is no person {person_id}.")
        return PersonCalendars(user, _calendars(conn, account_id, user))


def people_by_email(db: Database, account_id: str, email: str) -> list[PersonCalendars]:
    """The account's people with this email (any of theirs, any case), deleted ones too."""
    email = email.strip()
    if not email:
        return []
    with db.read() as conn:
        store = AccessStore(conn, account_id)
        found = []
        for person_id in store.person_ids_by_email(email):
            user = UserStore(conn, account_id).get(
                person_id, with_groups=False, include_deleted=True
            )
            if user is not None:
                found.append(PersonCalendars(user, _calendars(conn, account_id, user)))
        return found


def _calendars(conn: Connection, account_id: str, user: User) -> list[CalendarAccess]:
    if user.deleted_at is not None or not user.fields.active:
        return []  # deactivated or deleted: no access anywhere (the grants stay)
    store = AccessStore(conn, account_id)
    pk = store.user_pk(user.id)
    return store.calendars_of(pk) if pk is not None else []


# hooks inside the SCIM write transactions -----------------------------------------------


def members_changed(
    change: Change, group_pk: int, group_id: str, added: Sequence[int], removed: Sequence[int]
) -> None:
    """A group's members changed: announce every person whose effective level moved."""
    if not added and not removed:
        return
    store = AccessStore(change.conn, change.account_id)
    store.serialize_access_changes()
    grants = store.group_grants(group_pk)
    if not grants:
        return
    cause = Subject(SubjectType.group, group_id)
    for calendar_id, given in grants:
        if added:
            others = store.others(calendar_id, list(added), except_group=group_pk)
            _announce_people(
                change, calendar_id, cause, ((p, o, min(o, given)) for p, o in others.values())
            )
        if removed:
            others = store.others(calendar_id, list(removed), except_group=group_pk)
            _announce_people(
                change, calendar_id, cause, ((p, min(o, given), o) for p, o in others.values())
            )


def group_deleting(change: Change, group_pk: int, group_id: str, group_name: str) -> None:
    """A group is about to be deleted: its grants go with it, each logged and announced,
    and so does every member's access that came only through it."""
    store = AccessStore(change.conn, change.account_id)
    store.serialize_access_changes()
    grants = store.group_grants(group_pk)
    if not grants:
        return
    subject = Subject(SubjectType.group, group_id)
    for calendar_id, given in grants:
        calendar_name = store.calendar_name(calendar_id) or calendar_id
        _grant_changed(
            change, store, calendar_id, calendar_name, subject, group_pk, group_name, given, None
        )
    store.remove_all_of(subject)


def status_changed(
    change: Change, user_pk: int, user_id: str, was_live: bool, is_live: bool
) -> None:
    """A person was deactivated or reactivated: every calendar they reach changes level
    (the grants stay, and come back with reactivation)."""
    if was_live == is_live:
        return
    store = AccessStore(change.conn, change.account_id)
    store.serialize_access_changes()
    reached = store.calendars_of(user_pk)
    if not reached:
        return
    person = store.person_row(user_pk)
    cause = Subject(SubjectType.user, user_id)
    for calendar in reached:
        moves = [
            (person, NO_ACCESS_RANK, calendar.rank)
            if is_live
            else (person, calendar.rank, NO_ACCESS_RANK)
        ]
        _announce_people(change, calendar.calendar_id, cause, moves)


def person_deleting(change: Change, user_pk: int, user_id: str) -> None:
    """The identity provider deletes a person: they lose their direct grants (logged and
    announced) and, if active, every level they had (their memberships go with them)."""
    store = AccessStore(change.conn, change.account_id)
    store.serialize_access_changes()
    found = store.person(user_id)
    if found is None:
        return
    person, active = found
    reached = store.calendars_of(user_pk) if active else []
    direct = store.direct_grants(user_pk)
    cause = Subject(SubjectType.user, user_id)
    for calendar in reached:
        _announce_people(
            change, calendar.calendar_id, cause, [(person, calendar.rank, NO_ACCESS_RANK)]
        )
    for calendar_id, given in direct:
        calendar_name = store.calendar_name(calendar_id) or calendar_id
        change.log(
            "access.revoke",
            f"Removed user {person.user_name}'s access to calendar {calendar_name} "
            f"(was {label(level_of(given))}): the identity provider deleted them.",
            resource_type="Calendar",
            resource_id=calendar_id,
            resource_name=calendar_name,
            changes={
                "subject": {**cause.document(), "name": person.user_name},
                "old": level_of(given).value,
                "new": None,
            },
        )
        change.emit(
            EventType.access_changed,
            {
                "id": calendar_id,
                "calendar": calendar_id,
                "subject": cause.document(),
                "old": level_of(given).value,
                "new": Level.no_access.value,
            },
        )
    store.remove_all_of(cause)
