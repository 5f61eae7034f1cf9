"""`enlist serve` and `enlist demo`: run the server (the demo with a ready tenant first)."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated, Any

import typer

from enlist.cli.common import DatabaseUrl, Host, JsonFlag, Port, fail, run, say, settings_of
from enlist.config import Settings
from enlist.services import sessions, tenancy
from enlist.store.db import Database


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `enlist serve` runs uvicorn (bench/ serves its comparison apps the same way)."""
    return {
        "log_level": settings.log_level,
        "access_log": settings.access_log,
        "proxy_headers": True,
    }


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    options = uvicorn_options(settings)
    if workers > 1:
        import os

        os.environ["ENLIST_DATABASE_URL"] = settings.database_url
        Database.open(settings.database_url).dispose()  # migrate once, before workers start
        uvicorn.run(
            "enlist.app:create_app", factory=True, host=host, port=port, workers=workers, **options
        )
        return
    from enlist.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, **options)


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            metavar="N",
            help="Worker processes (use PostgreSQL for more than one).",
        ),
    ] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the SCIM API and the admin pages."""
    settings = settings_of(database_url)
    try:
        Database.open(settings.database_url).dispose()
    except Exception as exc:
        raise fail(f"Cannot open the database: {exc.__class__.__name__}") from exc
    _serve(settings, host, port, workers)


DEMO_EMAIL = "admin@example.com"
DEMO_DOMAIN = "example.com"


def _demo_tenant(db: Database, secret_key: str) -> dict[str, Any]:
    account_id = tenancy.find_account(db, DEMO_EMAIL)
    password = secrets.token_urlsafe(12)
    if account_id is None:
        account_id = tenancy.create_account(db, "Demo Company", DEMO_EMAIL, password)
        tenancy.create_calendar(db, account_id, "Team calendar", "enterprise")
        organization_id = tenancy.create_organization(db, account_id, "Demo Company")
        tenancy.add_domain(db, account_id, DEMO_DOMAIN, verified=True)
        tenancy.link_domain(db, DEMO_DOMAIN, organization_id)
    else:
        tenancy.set_password(db, account_id, password)
        sessions.forget_failed_sign_ins(db, DEMO_EMAIL)  # the new password works at once
    created = tenancy.create_secret(db, DEMO_DOMAIN, account_id, secret_key=secret_key)
    return {
        "account": account_id,
        "secret_id": created.id,
        "token": created.secret,
        "password": password,
    }


def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set up a ready demo tenant (if absent), print what to paste into Okta, then serve.

    With --json: {"scim_base_url": "http://127.0.0.1:8000/scim/v2", "api_token": "enl_SECRET",
    "secret_id": "SECRET_ID", "account": "ACCOUNT_ID", "domain": "example.com",
    "admin_url": "http://127.0.0.1:8000/", "admin_email": "admin@example.com",
    "admin_password": "PASSWORD"}
    """
    settings = settings_of(database_url)
    tenant = run(settings, lambda db: _demo_tenant(db, settings.secret_key))
    base = settings.public_url.rstrip("/") if settings.public_url else f"http://{host}:{port}"
    payload = {
        "scim_base_url": f"{base}/scim/v2",
        "api_token": tenant["token"],
        "secret_id": tenant["secret_id"],
        "account": tenant["account"],
        "domain": DEMO_DOMAIN,
        "admin_url": f"{base}/",
        "admin_email": DEMO_EMAIL,
        "admin_password": tenant["password"],
    }
    say(
        as_json,
        payload,
        "\nEnlist demo is ready.\n\n"
        "In Okta (Applications > your app > Provisioning > Integration), paste:\n"
        f"  SCIM connector base URL: {payload['scim_base_url']}\n"
        "  Unique identifier field for users: userName\n"
        "  Authentication Mode: HTTP Header\n"
        f"  Authorization (Bearer): {payload['api_token']}\n"
        f"  (the token is shown only now; users must have emails @{DEMO_DOMAIN})\n\n"
        f"Sign in to the admin pages at {payload['admin_url']}\n"
        f"  email: {DEMO_EMAIL}\n  password: {payload['admin_password']}"
        "  (a new one each time the demo starts)\n\n"
        "Try it:\n"
        f"  curl -H 'Authorization: Bearer {payload['api_token']}' "
        f"'{payload['scim_base_url']}/Users?startIndex=1&count=2'\n"
        f"  enlist audit --account {payload['account']}   # what the identity provider did\n",
    )
    sys.stdout.flush()
    _serve(settings, host, port)
