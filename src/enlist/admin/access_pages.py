"""A calendar's page: its Access section (grant, change, remove) and who has access."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from starlette.responses import Response

from enlist.admin.visit import PageRoute, Visit
from enlist.domain.access import ORDER, Subject, SubjectType, describe, label, level_of
from enlist.domain.errors import EnlistError, InvalidValue
from enlist.services import access, directory

PEOPLE_PER_PAGE = 50
FOUND_PER_SEARCH = 20


def _after(visit: Visit) -> int:
    try:
        return max(int(visit.param("after") or 0), 0)
    except ValueError:
        return 0


def calendar_page(visit: Visit, status: int = 200, error: str | None = None) -> Response:
    calendar_id = visit.request.path_params["id"]
    name = access.calendar_name(visit.db, visit.account_id, calendar_id)
    text, find = visit.param("q")[:200], visit.param("find")[:200]
    page = access.people_with_access(
        visit.db,
        visit.account_id,
        calendar_id,
        after=_after(visit),
        limit=PEOPLE_PER_PAGE,
        text=text,
    )
    found_groups, found_people = [], []
    if find.strip():
        found_groups = [
            g.group
            for g in directory.account_groups(
                visit.db, visit.account_id, text=find, count=FOUND_PER_SEARCH
            )[1]
        ]
        found_people = [
            u.user
            for u in directory.account_users(
                visit.db, visit.account_id, text=find, deleted=False, count=FOUND_PER_SEARCH
            )[1]
        ]
    people = [
        {
            "id": p.person.id,
            "name": p.person.display_name or p.person.user_name,
            "user_name": p.person.user_name,
            "access": describe(level_of(p.rank), p.via),
        }
        for p in page.people
    ]
    return visit.render(
        "calendar.html",
        status_code=status,
        calendar_id=calendar_id,
        calendar_name=name,
        grants=access.calendar_grants(visit.db, visit.account_id, calendar_id),
        levels=[(level.value, words) for level, words in ORDER],
        label=label,
        people=people,
        q=text,
        find=find,
        found_groups=found_groups,
        found_people=found_people,
        next_page=(
            "?" + urlencode({"q": text, "after": page.next_after})
            if page.next_after is not None
            else None
        ),
        paged=_after(visit) > 0,
        group_administrators=access.allows_group_administrators(visit.db, visit.account_id),
        error=error,
    )


def _subject(visit: Visit) -> Subject:
    try:
        kind = SubjectType(visit.field("subject_type"))
    except ValueError:
        raise InvalidValue("Choose a group or a person to give access to.") from None
    subject_id = visit.field("subject_id").strip()
    if not subject_id:
        raise InvalidValue("Choose a group or a person to give access to.")
    return Subject(kind, subject_id)


def grant_access(visit: Visit) -> Response:
    calendar_id = visit.request.path_params["id"]
    try:
        subject = _subject(visit)
        level = access.parse(visit.field("level"))
        granted = access.grant(
            visit.db, visit.account_id, calendar_id, subject, level, actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "access.grant",
            "Refused to grant access",
            partial(calendar_page, visit),
            resource_type="Calendar",
            resource_id=calendar_id,
        )
    words = label(granted.level)
    if granted.previous is None:
        message = f"Granted {words}."
    elif granted.previous is granted.level:
        message = f"The level was {words} already."
    else:
        message = f"Changed the level from {label(granted.previous)} to {words}."
    return visit.redirect(f"/calendars/{calendar_id}", message)


def revoke_access(visit: Visit) -> Response:
    calendar_id = visit.request.path_params["id"]
    try:
        was = access.revoke(
            visit.db, visit.account_id, calendar_id, _subject(visit), actor=visit.actor
        )
    except EnlistError as refused:
        return visit.refuse(
            refused,
            "access.revoke",
            "Refused to remove access",
            partial(calendar_page, visit),
            resource_type="Calendar",
            resource_id=calendar_id,
        )
    return visit.redirect(f"/calendars/{calendar_id}", f"Removed the grant ({label(was)}).")


def group_administrators(visit: Visit) -> Response:
    """The account's setting, from any calendar's page: may groups grant administrator."""
    calendar_id = visit.request.path_params["id"]
    access.calendar_name(visit.db, visit.account_id, calendar_id)  # another account's: 404
    allowed = access.set_allow_group_administrators(
        visit.db, visit.account_id, visit.field("allow") == "true", actor=visit.actor
    )
    message = (
        "Groups may now grant Administrator on the account's calendars."
        if allowed
        else "Groups may no longer grant Administrator; existing grants stay until changed."
    )
    return visit.redirect(f"/calendars/{calendar_id}", message)


ROUTES: list[PageRoute] = [
    ("/calendars/{id}", ["GET"], calendar_page, False),
    ("/calendars/{id}/access", ["POST"], grant_access, False),
    ("/calendars/{id}/access/remove", ["POST"], revoke_access, False),
    ("/calendars/{id}/group-administrators", ["POST"], group_administrators, False),
]
