"""`enlist audit`: the activity log, as the admin pages show it."""

from __future__ import annotations

from typing import Annotated

import typer

from enlist.cli.common import AccountId, DatabaseUrl, JsonFlag, run, say, settings_of, when
from enlist.services import activity


def audit(
    account: AccountId,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", help="How many entries, newest first.")
    ] = 50,
    outcome: Annotated[
        str | None, typer.Option("--outcome", metavar="OUTCOME", help="success, refused or error.")
    ] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", metavar="TYPE", help="User or Group.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", metavar="TEXT", help="Text in the name or outcome.")
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Read the activity log: every SCIM write and admin change, newest first.

    With --json: {"account": "ACCOUNT_ID", "entries": [{"at": "2025-01-31T09:30:00+00:00",
    "actor_type": "scim", "actor": "SECRET_ID", "action": "user.create",
    "resource_type": "User", "resource_id": "USER_ID", "resource_name": "jane@acme.com",
    "outcome": "success", "status": 201, "detail": "Created jane@acme.com.",
    "user_agent": "Okta SCIM Client 1.0.0", "request_id": "REQUEST_ID"}]}
    """

    entries = run(
        settings_of(database_url),
        lambda db: activity.newest(
            db, account, limit=limit, outcome=outcome, resource_type=resource, text=search
        ),
    )
    rows = [
        {
            "at": when(e.at),
            "actor_type": e.actor_type,
            "actor": e.actor,
            "action": e.action,
            "resource_type": e.resource_type,
            "resource_id": e.resource_id,
            "resource_name": e.resource_name,
            "outcome": e.outcome,
            "status": e.status,
            "detail": e.detail,
            "user_agent": e.user_agent,
            "request_id": e.request_id,
        }
        for _, e in entries
    ]
    text = "\n".join(
        f"{r['at'][:19]}  {r['outcome']:<8} {r['action']:<14} {r['detail']}" for r in rows
    )
    say(as_json, {"account": account, "entries": rows}, text or "No activity yet.")
