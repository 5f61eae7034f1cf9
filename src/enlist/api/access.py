"""The access API: check one level, a person and their calendars, a calendar's people."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from enlist.api.http import ApiRoute, Call
from enlist.api.openapi import COMMON_ERRORS, error
from enlist.domain.access import Level, Via, level_of
from enlist.domain.errors import InvalidCursor, InvalidValue
from enlist.services import access
from enlist.services.access import PersonCalendars

_CURSOR_MARK = "after:"


def check(call: Call) -> dict[str, Any]:
    person, calendar = call.param("person"), call.param("calendar")
    if not person or not calendar:
        raise InvalidValue("Name both the person and the calendar: ?person=ID&calendar=ID.")
    level = access.check(call.db, call.account_id, person, calendar)
    return {"person": person, "calendar": calendar, "level": level.value}


def person(call: Call) -> dict[str, Any]:
    person_id = call.request.path_params["id"]
    return _person(access.calendars_of(call.db, call.account_id, person_id))


def people(call: Call) -> dict[str, Any]:
    email = call.param("email")
    if not email:
        raise InvalidValue("Name the person's email: ?email=E.")
    return {"people": [_person(p) for p in access.people_by_email(call.db, call.account_id, email)]}


def calendar_access(call: Call) -> dict[str, Any]:
    calendar_id = call.request.path_params["id"]
    limit = call.number("limit", 100, 1, access.MAX_PAGE)
    named = call.param("level")
    level = access.parse(named) if named else None
    page = access.people_with_access(
        call.db,
        call.account_id,
        calendar_id,
        after=_after(call.param("cursor")),
        limit=limit,
        level=level,
    )
    return {
        "calendar": calendar_id,
        "people": [
            {
                "id": p.person.id,
                "userName": p.person.user_name,
                "level": level_of(p.rank).value,
                "via": _via(p.via),
            }
            for p in page.people
        ],
        "next": _cursor(page.next_after) if page.next_after is not None else None,
    }


def _person(found: PersonCalendars) -> dict[str, Any]:
    fields = found.user.fields
    return {
        "id": found.user.id,
        "userName": fields.user_name,
        "displayName": fields.display_name,
        "emails": [{"value": e.value, "type": e.type, "primary": e.primary} for e in fields.emails],
        "locale": fields.locale,
        "timezone": fields.timezone,
        "active": fields.active and not found.deleted,
        "deleted": found.deleted,
        "calendars": [
            {
                "id": c.calendar_id,
                "name": c.calendar_name,
                "level": level_of(c.rank).value,
                "via": _via(c.via),
            }
            for c in found.calendars
        ],
    }


def _via(vias: tuple[Via, ...]) -> list[dict[str, str]]:
    return [v.document() for v in vias]


def _cursor(after: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_MARK}{after}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> int:
    """The user key a cursor continues after (0: from the start)."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith(_CURSOR_MARK) and text[len(_CURSOR_MARK) :].isdigit():
            return int(text[len(_CURSOR_MARK) :])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidCursor("The cursor is not one this API gave; start again without it.")


ROUTES: list[ApiRoute] = [
    ("/check", "GET", check),
    ("/people/{id}", "GET", person),
    ("/people", "GET", people),
    ("/calendars/{id}/access", "GET", calendar_access),
]

LEVEL = {"type": "string", "enum": [level.value for level in Level]}
VIA = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": ["user", "group"]},
        "id": {"type": "string", "description": "The group's (SCIM) id."},
        "name": {"type": "string", "description": "The group's displayName."},
    },
}
_VIA_LIST = {
    "type": "array",
    "items": {"$ref": "#/components/schemas/Via"},
    "description": "Every grant that gives exactly this level.",
}
_NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Level": {**LEVEL, "description": "Most permissive first; no_access when nothing reaches."},
    "Via": VIA,
    "Check": {
        "type": "object",
        "required": ["person", "calendar", "level"],
        "properties": {
            "person": {"type": "string"},
            "calendar": {"type": "string"},
            "level": {"$ref": "#/components/schemas/Level"},
        },
    },
    "PersonCalendar": {
        "type": "object",
        "required": ["id", "name", "level", "via"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "level": {"$ref": "#/components/schemas/Level"},
            "via": _VIA_LIST,
        },
    },
    "Person": {
        "type": "object",
        "required": [
            "id",
            "userName",
            "displayName",
            "emails",
            "locale",
            "timezone",
            "active",
            "deleted",
            "calendars",
        ],
        "properties": {
            "id": {"type": "string", "description": "The SCIM user id."},
            "userName": {"type": "string"},
            "displayName": _NULLABLE_TEXT,
            "emails": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["value", "type", "primary"],
                    "properties": {
                        "value": {"type": "string"},
                        "type": _NULLABLE_TEXT,
                        "primary": {"type": "boolean"},
                    },
                },
            },
            "locale": _NULLABLE_TEXT,
            "timezone": _NULLABLE_TEXT,
            "active": {"type": "boolean"},
            "deleted": {
                "type": "boolean",
                "description": "The identity provider deleted the person: no access anywhere.",
            },
            "calendars": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/PersonCalendar"},
                "description": "Every calendar above no_access.",
            },
        },
    },
    "People": {
        "type": "object",
        "required": ["people"],
        "properties": {
            "people": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}}
        },
    },
    "CalendarAccess": {
        "type": "object",
        "required": ["calendar", "people", "next"],
        "properties": {
            "calendar": {"type": "string"},
            "people": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "userName", "level", "via"],
                    "properties": {
                        "id": {"type": "string"},
                        "userName": {"type": "string"},
                        "level": {"$ref": "#/components/schemas/Level"},
                        "via": _VIA_LIST,
                    },
                },
            },
            "next": {
                "type": ["string", "null"],
                "description": "The cursor of the next page; null on the last one.",
            },
        },
    },
}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_NOT_FOUND = error("No such id in this account (another account's ids included).")
_BAD = error("A missing or malformed parameter.")

PATHS: dict[str, Any] = {
    "/check": {
        "get": {
            "summary": "One person's effective level on one calendar",
            "operationId": "checkAccess",
            "parameters": [
                _query("person", "The person's (SCIM user) id.", required=True),
                _query("calendar", "The calendar's id.", required=True),
            ],
            "responses": {
                "200": _ok("The level (no_access for a deactivated or deleted person).", "Check"),
                "400": _BAD,
                "404": _NOT_FOUND,
                **COMMON_ERRORS,
            },
        }
    },
    "/people/{id}": {
        "get": {
            "summary": "A person's profile and their calendars",
            "operationId": "getPerson",
            "parameters": [_ID],
            "responses": {
                "200": _ok("The person (deleted ones too, with deleted: true).", "Person"),
                "404": _NOT_FOUND,
                **COMMON_ERRORS,
            },
        }
    },
    "/people": {
        "get": {
            "summary": "The people with an email",
            "operationId": "findPeople",
            "parameters": [_query("email", "Any of the person's emails, any case.", required=True)],
            "responses": {
                "200": _ok("Those found; an empty list when none is.", "People"),
                "400": _BAD,
                **COMMON_ERRORS,
            },
        }
    },
    "/calendars/{id}/access": {
        "get": {
            "summary": "Everyone with effective access to a calendar, a page at a time",
            "operationId": "listCalendarAccess",
            "parameters": [
                _ID,
                _query("limit", "People per page, 1 to 500 (default 100)."),
                _query("cursor", "The previous page's next."),
                _query("level", "Only the people with exactly this effective level."),
            ],
            "responses": {
                "200": _ok("A page of people above no_access.", "CalendarAccess"),
                "400": _BAD,
                "404": _NOT_FOUND,
                **COMMON_ERRORS,
            },
        }
    },
}
