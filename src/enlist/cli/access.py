"""`enlist access`: grant and revoke calendar levels, and see effective access."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from enlist.cli.common import DatabaseUrl, JsonFlag, fail, run, say, settings_of
from enlist.domain.access import Level, Subject, SubjectType, Via, describe, level_of
from enlist.services import access
from enlist.store.db import Database

access_app = typer.Typer(
    help="Calendar access: levels granted to groups and people, and who has what.",
    no_args_is_help=True,
)

CalendarArg = Annotated[str, typer.Argument(metavar="CALENDAR_ID", help="The calendar's id.")]
GroupOpt = Annotated[str | None, typer.Option("--group", metavar="ID", help="A group's (SCIM) id.")]
UserOpt = Annotated[str | None, typer.Option("--user", metavar="ID", help="A user's (SCIM) id.")]
LEVELS = ", ".join(level.value for level in Level)


def _subject(group: str | None, user: str | None) -> Subject:
    if (group is None) == (user is None):
        raise fail("Name exactly one subject: --group ID or --user ID.")
    if group is not None:
        return Subject(SubjectType.group, group)
    assert user is not None
    return Subject(SubjectType.user, user)


def _via(vias: tuple[Via, ...]) -> list[dict[str, str]]:
    return [v.document() for v in vias]


@access_app.command("grant")
def access_grant(
    calendar_id: CalendarArg,
    level: Annotated[str, typer.Option("--level", metavar="LEVEL", help=f"One of: {LEVELS}.")],
    group: GroupOpt = None,
    user: UserOpt = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Grant a group or a person a level on a calendar; granting again changes the level.

    With --json: {"calendar": "CALENDAR_ID", "subject": {"type": "group", "id": "GROUP_ID"},
    "level": "modify"}
    """
    subject = _subject(group, user)

    def act(db: Database) -> access.Granted:
        wanted = access.parse(level)
        account_id = access.calendar_account(db, calendar_id)
        return access.grant(db, account_id, calendar_id, subject, wanted)

    granted = run(settings_of(database_url), act)
    say(
        as_json,
        {"calendar": calendar_id, "subject": subject.document(), "level": granted.level.value},
        f"{subject.type.value} {subject.id} has {granted.level.value} on {calendar_id}.",
    )


@access_app.command("revoke")
def access_revoke(
    calendar_id: CalendarArg,
    group: GroupOpt = None,
    user: UserOpt = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove a group's or a person's grant on a calendar.

    With --json: {"calendar": "CALENDAR_ID", "subject": {"type": "user", "id": "USER_ID"},
    "revoked": true}
    """
    subject = _subject(group, user)

    def act(db: Database) -> Level:
        account_id = access.calendar_account(db, calendar_id)
        return access.revoke(db, account_id, calendar_id, subject)

    was = run(settings_of(database_url), act)
    say(
        as_json,
        {"calendar": calendar_id, "subject": subject.document(), "revoked": True},
        f"Revoked {subject.type.value} {subject.id}'s {was.value} on {calendar_id}.",
    )


@access_app.command("list")
def access_list(
    calendar_id: CalendarArg, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """Everyone with effective access to a calendar (above no_access), and why.

    With --json: {"calendar": "CALENDAR_ID", "people": [{"id": "USER_ID", "userName":
    "ann@example.com", "level": "modify", "via": [{"type": "group", "id": "GROUP_ID",
    "name": "Sales"}]}]}
    """

    def act(db: Database) -> list[dict[str, Any]]:
        account_id = access.calendar_account(db, calendar_id)
        people: list[dict[str, Any]] = []
        after: int | None = 0
        while after is not None:
            page = access.people_with_access(
                db, account_id, calendar_id, after=after, limit=access.MAX_PAGE
            )
            people += [
                {
                    "id": p.person.id,
                    "userName": p.person.user_name,
                    "level": level_of(p.rank).value,
                    "via": _via(p.via),
                }
                for p in page.people
            ]
            after = page.next_after
        return people

    people = run(settings_of(database_url), act)
    text = "\n".join(
        f"{p['userName']}  {describe(Level(p['level']), ())}  {_words(p['via'])}" for p in people
    )
    say(as_json, {"calendar": calendar_id, "people": people}, text or "Nobody has access.")


@access_app.command("of")
def access_of(
    person_id: Annotated[str, typer.Argument(metavar="PERSON_ID", help="A user's (SCIM) id.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Every calendar a person has access to (above no_access), and why.

    With --json: {"person": "USER_ID", "calendars": [{"id": "CALENDAR_ID", "name": "Sales
    pipeline", "level": "modify", "via": [{"type": "user"}]}]}
    """

    def act(db: Database) -> list[dict[str, Any]]:
        found = access.calendars_of(db, access.person_account(db, person_id), person_id)
        return [
            {
                "id": c.calendar_id,
                "name": c.calendar_name,
                "level": level_of(c.rank).value,
                "via": _via(c.via),
            }
            for c in found.calendars
        ]

    calendars = run(settings_of(database_url), act)
    text = "\n".join(f"{c['name']}  {c['level']}  {_words(c['via'])}" for c in calendars)
    say(as_json, {"person": person_id, "calendars": calendars}, text or "No calendars.")


def _words(via: list[dict[str, str]]) -> str:
    return ", ".join("directly" if v["type"] == "user" else f"via {v['name']}" for v in via)
