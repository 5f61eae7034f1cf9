"""What every `enlist` command shares: the options, opening the database, one-line failures."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from enlist.config import Settings
from enlist.domain.errors import EnlistError
from enlist.store.db import Database

JsonFlag = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on stdout.")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="ENLIST_DATABASE_URL",
        metavar="URL",
        help="SQLAlchemy URL (default: sqlite:///enlist.db).",
    ),
]
Host = Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")]
Port = Annotated[int, typer.Option("--port", metavar="PORT", help="Port to listen on.")]
AccountId = Annotated[str, typer.Option("--account", metavar="ID", help="Account id.")]
Name = Annotated[str, typer.Option("--name", metavar="NAME", help="Its name, as people see it.")]


def settings_of(database_url: str | None) -> Settings:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def fail(reason: str) -> typer.Exit:
    """Say why on stderr in one line; the caller raises the returned Exit (status 1)."""
    typer.echo(reason.replace("\n", " "), err=True)
    return typer.Exit(1)


def run(settings: Settings, action: Callable[[Database], Any]) -> Any:
    try:
        db = Database.open(settings.database_url)
    except Exception as exc:  # a bad URL or an unreachable server: one line, no traceback
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise fail(f"Cannot open the database: {exc.__class__.__name__}: {first_line}") from exc
    try:
        return action(db)
    except EnlistError as error:
        raise fail(error.detail) from error
    finally:
        db.dispose()


def say(as_json: bool, payload: dict[str, Any], text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        typer.echo(text)


def when(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
