"""Commands for the admins of an account: invite, list, remove, reset a password."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from enlist.cli.common import AccountId, DatabaseUrl, JsonFlag, fail, run, say, settings_of, when
from enlist.config import Settings
from enlist.services import admins, sessions
from enlist.store.db import Database

admin_app = typer.Typer(help="The admins of an account (owners and admins).", no_args_is_help=True)

Email = Annotated[str, typer.Option("--email", metavar="EMAIL", help="The admin's email.")]


def _base(settings: Settings) -> str:
    """Where the admin pages are: ENLIST_PUBLIC_URL, else `enlist serve`'s default address."""
    return settings.public_url.rstrip("/") or "http://127.0.0.1:8000"


@admin_app.command("invite")
def admin_invite(
    account: AccountId,
    email: Email,
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="admin (the default) or owner.")
    ] = "admin",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Invite someone to run the account: prints a one-time link to choose a password.

    Enlist sends no mail: hand the link over yourself. It works once, for 7 days; inviting
    the same email again replaces it.

    With --json: {"email": "it@acme.com", "role": "admin",
    "link": "https://enlist.example/set-password/TOKEN", "expires": "2025-02-07T09:30:00+00:00"}
    """
    settings = settings_of(database_url)
    link = run(settings, lambda db: admins.invite(db, account, email, role))
    url = link.url(_base(settings))
    say(
        as_json,
        {
            "email": link.admin.email,
            "role": link.admin.role,
            "link": url,
            "expires": when(link.expires),
        },
        f"Invited {link.admin.email} as {link.admin.role}. Send them this link "
        f"(works once, until {link.expires:%Y-%m-%d %H:%M} UTC):\n{url}",
    )


@admin_app.command("list")
def admin_list(
    account: AccountId, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """List the account's admins, oldest first; "pending" ones have not accepted yet.

    With --json: {"admins": [{"email": "it@acme.com", "role": "owner", "pending": false,
    "created": "2025-01-31T09:30:00+00:00", "invited_by": null}]}
    """
    found = run(settings_of(database_url), lambda db: admins.account_admins(db, account))
    say(
        as_json,
        {
            "admins": [
                {
                    "email": a.email,
                    "role": a.role,
                    "pending": a.pending,
                    "created": when(a.created),
                    "invited_by": a.invited_by,
                }
                for a in found
            ]
        },
        "\n".join(f"{a.email}  {a.role}{'  (invited)' if a.pending else ''}" for a in found),
    )


@admin_app.command("role")
def admin_role(
    account: AccountId,
    email: Email,
    role: Annotated[str, typer.Option("--role", metavar="ROLE", help="owner or admin.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Make an admin an owner, or an owner an admin; the last owner stays one.

    With --json: {"email": "it@acme.com", "role": "owner"}
    """
    changed = run(settings_of(database_url), lambda db: admins.set_role(db, account, email, role))
    say(
        as_json,
        {"email": changed.email, "role": changed.role},
        f"{changed.email} is now {changed.role}.",
    )


@admin_app.command("remove")
def admin_remove(
    account: AccountId, email: Email, as_json: JsonFlag = False, database_url: DatabaseUrl = None
) -> None:
    """Remove an admin (or withdraw an invitation); their sessions end at once.

    The account's last owner cannot be removed.

    With --json: {"email": "it@acme.com", "removed": true}
    """
    removed = run(settings_of(database_url), lambda db: admins.remove(db, account, email))
    say(as_json, {"email": removed.email, "removed": True}, f"Removed {removed.email}.")


@admin_app.command("reset-password")
def admin_reset_password(
    email: Email,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            metavar="PATH",
            help="Set the password read from this file (its trailing newline is stripped) "
            "instead of printing a link.",
        ),
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Reset an admin's password: prints a one-time link to choose one, or sets the one in
    --password-file. Either way the admin's sessions end and a sign-in lock is lifted.
    With --password-file, "link" and "expires" in the JSON are null.

    With --json: {"email": "it@acme.com", "link": "https://enlist.example/set-password/TOKEN",
    "expires": "2025-02-07T09:30:00+00:00"}
    """
    password = None
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            raise fail(f"Cannot read {password_file}: {error.__class__.__name__}.") from error
    settings = settings_of(database_url)

    def act(db: Database) -> admins.OneTimeLink | None:
        link = admins.reset_password(db, email, password)
        sessions.forget_failed_sign_ins(db, email)
        return link

    link = run(settings, act)
    if link is None:
        say(
            as_json,
            {"email": email.strip(), "link": None, "expires": None},
            f"The password of {email.strip()} is set; their sessions ended.",
        )
        return
    url = link.url(_base(settings))
    say(
        as_json,
        {"email": link.admin.email, "link": url, "expires": when(link.expires)},
        f"Send {link.admin.email} this link to choose a new password "
        f"(works once, until {link.expires:%Y-%m-%d %H:%M} UTC):\n{url}",
    )
