"""`enlist domain sso`: a trusted domain's single sign-on (OpenID Connect), on or off."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from enlist.cli.common import DatabaseUrl, JsonFlag, fail, run, say, settings_of
from enlist.cli.tenancy import domain_app
from enlist.services import signin, tenancy
from enlist.store.db import Database


@domain_app.command("sso")
def domain_sso(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A verified trusted domain.")],
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            metavar="URL",
            help="The OpenID Provider, e.g. https://acme.okta.com (https://, or http:// on "
            "127.0.0.1 or localhost for testing).",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", metavar="ID", help="The app's client ID at the provider."),
    ] = None,
    client_secret_file: Annotated[
        Path | None,
        typer.Option(
            "--client-secret-file",
            metavar="PATH",
            help="A file holding the app's client secret (its trailing newline is stripped); "
            "stored encrypted, never shown again. Leave it out to keep the stored one.",
        ),
    ] = None,
    off: Annotated[
        bool,
        typer.Option("--off", help="Turn single sign-on off and end its people's sessions."),
    ] = False,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set up, change or (with --off) turn off a domain's single sign-on (OpenID Connect).

    People whose email is on the domain then sign in at /login through the provider, which
    sends them back to /oidc/authenticate. With --off, "sso" is null in the JSON.

    With --json: {"name": "acme.com", "sso": {"issuer": "https://acme.okta.com",
    "client_id": "0oa1b2c3"}}
    """
    if off and (issuer or client_id or client_secret_file):
        raise fail("--off takes no --issuer, --client-id or --client-secret-file.")
    if not off and (issuer is None or client_id is None):
        raise fail("Give --issuer and --client-id (and --client-secret-file), or --off.")
    secret = None
    if client_secret_file is not None:
        try:
            secret = client_secret_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeError) as error:
            raise fail(f"Cannot read {client_secret_file}: {error}") from None
    settings = settings_of(database_url)

    def act(db: Database) -> dict[str, Any] | None:
        domain = tenancy.domain_for(db, name)
        if off:
            signin.turn_off_sso(db, domain)
            return None
        assert issuer is not None and client_id is not None
        sso = signin.configure_sso(
            db, domain, issuer, client_id, secret, secret_key=settings.secret_key
        )
        return {"issuer": sso.issuer, "client_id": sso.client_id}

    sso = run(settings, act)
    domain_name = tenancy.normalize_domain(name)
    say(
        as_json,
        {"name": domain_name, "sso": sso},
        f"Single sign-on for {domain_name} is off."
        if sso is None
        else f"{domain_name} signs people in through {sso['issuer']} "
        f"(client ID {sso['client_id']}).",
    )
