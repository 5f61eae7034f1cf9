"""GET /api/v1/events: the pull feed of the account's changes, with long polling."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from enlist.api.http import Call
from enlist.api.openapi import COMMON_ERRORS, error
from enlist.events.bell import POLL_SECONDS, Bell
from enlist.services import events as feed

# The longest a request may wait for a first event (`wait=`), in seconds.
MAX_WAIT = 30
# Sequences are 63-bit integers in both databases.
_MAX_SEQUENCE = 2**63 - 1


async def events(call: Call) -> dict[str, Any]:
    after = call.number("after", 0, 0, _MAX_SEQUENCE)
    limit = call.number("limit", feed.DEFAULT_LIMIT, 1, feed.MAX_LIMIT)
    wait = call.number("wait", 0, 0, MAX_WAIT)
    loop = asyncio.get_running_loop()
    bell = Bell.of(call.db)
    deadline = time.monotonic() + wait
    while True:
        page = await loop.run_in_executor(
            None, feed.events_after, call.db, call.account_id, after, limit
        )
        remaining = deadline - time.monotonic()
        if page.events or remaining <= 0:
            return {"events": [e.document() for e in page.events], "next": page.next}
        # woken at once by this process's commits; other processes' are seen by the poll
        await bell.wait(call.account_id, min(POLL_SECONDS, remaining))


ROUTES = [("/events", "GET", events)]

SCHEMAS: dict[str, Any] = {
    "Event": {
        "type": "object",
        "required": ["id", "sequence", "type", "time", "account", "actor", "data"],
        "properties": {
            "id": {"type": "string", "description": "Unique; deduplicate deliveries by it."},
            "sequence": {
                "type": "integer",
                "description": "Increases by one per event of the account, without gaps.",
            },
            "type": {
                "type": "string",
                "enum": [
                    "person.provisioned",
                    "person.updated",
                    "person.deactivated",
                    "person.reactivated",
                    "person.deleted",
                    "group.created",
                    "group.renamed",
                    "group.deleted",
                    "group.members_added",
                    "group.members_removed",
                    "access.changed",
                    "sessions.ended",
                    "domain.verified",
                    "secret.created",
                    "secret.revoked",
                ],
            },
            "time": {"type": "string", "format": "date-time"},
            "account": {"type": "string"},
            "actor": {
                "type": "object",
                "description": "Who made the change: {type, id[, user_agent]}.",
            },
            "data": {"type": "object", "description": "Ids and changed values (data.id always)."},
        },
    },
    "EventPage": {
        "type": "object",
        "required": ["events", "next"],
        "properties": {
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
            "next": {
                "type": "integer",
                "description": "Pass it as `after` in the next request.",
            },
        },
    },
}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


PATHS: dict[str, Any] = {
    "/events": {
        "get": {
            "summary": "The account's events after a sequence number, oldest first",
            "operationId": "listEvents",
            "parameters": [
                _query(
                    "after",
                    "Return events with a higher sequence (default 0).",
                    {"type": "integer", "minimum": 0, "default": 0},
                ),
                _query(
                    "limit",
                    "At most this many events.",
                    {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                ),
                _query(
                    "wait",
                    "When there is none yet, wait up to this many seconds for one.",
                    {"type": "integer", "minimum": 0, "maximum": MAX_WAIT, "default": 0},
                ),
            ],
            "responses": {
                "200": {
                    "description": "The events and the `after` of the next request.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}}
                    },
                },
                "400": error("A parameter is not a whole number."),
                **COMMON_ERRORS,
            },
        }
    }
}
