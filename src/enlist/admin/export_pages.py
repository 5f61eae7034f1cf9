"""Activity export for audits: CSV or JSON Lines of the filtered log, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from enlist.admin.directory_pages import ACTOR_WORDS, OUTCOMES, RESOURCE_TYPES
from enlist.admin.visit import PageRoute, Visit
from enlist.clock import now
from enlist.domain.activity import Entry
from enlist.services import activity, tenancy
from enlist.services.tenancy import SecretUse

COLUMNS = [
    "at",
    "actor_type",
    "actor",
    "actor_name",
    "action",
    "outcome",
    "status",
    "resource_type",
    "resource_id",
    "resource_name",
    "detail",
    "request_id",
    "user_agent",
]
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/jsonl; charset=utf-8", "jsonl"),
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _actor_name(entry: Entry, secrets: dict[str, SecretUse]) -> str:
    if entry.actor_type == "scim":
        secret = secrets.get(entry.actor)
        return f"SCIM · {secret.domain} ({secret.hint})" if secret else "SCIM (a deleted secret)"
    if entry.actor_type == "admin":
        return entry.actor
    if entry.actor_type in ACTOR_WORDS:
        return ACTOR_WORDS.get(entry.actor, ACTOR_WORDS[entry.actor_type])
    return "Operator (command line)"


def _record(entry: Entry, secrets: dict[str, SecretUse]) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "actor_type": entry.actor_type,
        "actor": entry.actor,
        "actor_name": _actor_name(entry, secrets),
        "action": entry.action,
        "outcome": entry.outcome,
        "status": entry.status,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "resource_name": entry.resource_name,
        "detail": entry.detail,
        "request_id": entry.request_id,
        "user_agent": entry.user_agent,
    }


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: names come from the identity provider, and a
    leading = + - @ would make Excel run them as a formula (so they get a leading ')."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_lines(entries: Iterator[Entry], secrets: dict[str, SecretUse]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: list[Any]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(COLUMNS)  # the BOM: spreadsheets then read the file as UTF-8
    for entry in entries:
        record = _record(entry, secrets)
        yield line([_cell(record[column]) for column in COLUMNS])


def _json_lines(entries: Iterator[Entry], secrets: dict[str, SecretUse]) -> Iterator[str]:
    for entry in entries:
        record = _record(entry, secrets)
        record["changes"] = entry.changes
        yield json.dumps(record, ensure_ascii=False) + "\n"


def export(visit: Visit) -> Response:
    chosen = visit.param("format") or "csv"
    if chosen not in FORMATS:
        return visit.render(
            "error.html",
            status_code=400,
            title="This export cannot be made",
            message=f"{chosen[:20]!r} is not a format; choose csv or jsonl.",
        )
    outcome = visit.param("outcome") if visit.param("outcome") in OUTCOMES else None
    resource_type = visit.param("type") if visit.param("type") in RESOURCE_TYPES else None
    text = visit.param("q")[:200] or None
    secrets = tenancy.account_secrets(visit.db, visit.account_id)
    entries = activity.every(
        visit.db, visit.account_id, outcome=outcome, resource_type=resource_type, text=text
    )
    media_type, extension = FORMATS[chosen]
    lines = _csv_lines(entries, secrets) if chosen == "csv" else _json_lines(entries, secrets)
    name = f"enlist-activity-{now():%Y%m%d-%H%M}.{extension}"
    return StreamingResponse(
        lines,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES: list[PageRoute] = [
    ("/activity/export", ["GET"], export, False),
]
