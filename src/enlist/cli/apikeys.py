"""`enlist apikey`: keys the calendar application uses for /api/v1 (shown once)."""

from __future__ import annotations

from typing import Annotated

import typer

from enlist.cli.common import AccountId, DatabaseUrl, JsonFlag, run, say, settings_of, when
from enlist.services import apikeys

apikey_app = typer.Typer(
    help="API keys of the calendar application (the access API and the event feed).",
    no_args_is_help=True,
)


@apikey_app.command("create")
def apikey_create(
    account: AccountId,
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="What the key is for.")
    ] = "Calendar application",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key; this is the only time it is shown.

    With --json: {"id": "KEY_ID", "key": "enl_api_..."}
    """
    settings = settings_of(database_url)
    created = run(
        settings,
        lambda db: apikeys.create_api_key(db, account, name, secret_key=settings.secret_key),
    )
    say(
        as_json,
        {"id": created.id, "key": created.key},
        f"API key {created.id} ({created.name}), shown only now:\n{created.key}",
    )


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(metavar="KEY_ID", help="The key's id.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke an API key; calls with it get 401 from now on.

    With --json: {"id": "KEY_ID", "revoked": true}
    """
    run(settings_of(database_url), lambda db: apikeys.revoke_api_key(db, key_id))
    say(as_json, {"id": key_id, "revoked": True}, f"API key {key_id} is revoked.")


@apikey_app.command("list")
def apikey_list(
    account: AccountId, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """List the account's API keys (never their values), newest first.

    With --json: {"keys": [{"id": "KEY_ID", "name": "...", "hint": "enl_api_ab12…",
    "created": "...", "last_used": null, "revoked": false}]}
    """
    found = run(settings_of(database_url), lambda db: apikeys.api_keys(db, account))
    rows = [
        {
            "id": k.id,
            "name": k.name,
            "hint": k.hint,
            "created": when(k.created),
            "last_used": when(k.last_used),
            "revoked": k.revoked_at is not None,
        }
        for k in found
    ]
    text = "\n".join(
        f"{r['id']}  {r['hint']}  {r['name']}{'  REVOKED' if r['revoked'] else ''}" for r in rows
    )
    say(as_json, {"keys": rows}, text or "No API keys yet.")
