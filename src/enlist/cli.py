"""The `enlist` command: every command of docs/cli.md, each with --json for scripts."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from enlist.config import Settings
from enlist.domain.errors import EnlistError
from enlist.services import sessions, tenancy
from enlist.store.db import Database

app = typer.Typer(
    help="Enlist: SCIM 2.0 provisioning for the team calendar.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
account_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)
calendar_app = typer.Typer(help="Calendars and their plans.", no_args_is_help=True)
organization_app = typer.Typer(
    help="Organizations (where provisioned groups land).", no_args_is_help=True
)
domain_app = typer.Typer(help="Trusted email domains.", no_args_is_help=True)
secret_app = typer.Typer(
    help="SCIM secrets (API tokens for the identity provider).", no_args_is_help=True
)
app.add_typer(account_app, name="account")
app.add_typer(calendar_app, name="calendar")
app.add_typer(organization_app, name="organization")
app.add_typer(domain_app, name="domain")
app.add_typer(secret_app, name="secret")

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


def _settings(database_url: str | None) -> Settings:
    settings = Settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return settings


def _fail(reason: str) -> typer.Exit:
    """Say why on stderr in one line; the caller raises the returned Exit (status 1)."""
    typer.echo(reason.replace("\n", " "), err=True)
    return typer.Exit(1)


def _run(settings: Settings, action: Callable[[Database], Any]) -> Any:
    try:
        db = Database.open(settings.database_url)
    except Exception as exc:  # a bad URL or an unreachable server: one line, no traceback
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise _fail(f"Cannot open the database: {exc.__class__.__name__}: {first_line}") from exc
    try:
        return action(db)
    except EnlistError as error:
        raise _fail(error.detail) from error
    finally:
        db.dispose()


def _print(as_json: bool, payload: dict[str, Any], text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(payload) + "\n")
    else:
        typer.echo(text)


@account_app.command("create")
def account_create(
    name: Name,
    email: Annotated[
        str, typer.Option("--email", metavar="EMAIL", help="The admin's email, used to sign in.")
    ],
    password: Annotated[
        str | None, typer.Option("--password", metavar="PASSWORD", help="The admin's password.")
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a customer account.

    With --json: {"id": "ACCOUNT_ID"}
    """
    settings = _settings(database_url)
    account_id = _run(settings, lambda db: tenancy.create_account(db, name, email, password))
    _print(as_json, {"id": account_id}, f"Created account {name}: {account_id}")


@account_app.command("provider")
def account_provider(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID", help="Account id.")],
    set_to: Annotated[
        str | None,
        typer.Option(
            "--set",
            metavar="PROVIDER",
            help="okta, entra, onelogin, jumpcloud, google or generic: the setup instructions "
            "the admin pages show (the SCIM answers never change).",
        ),
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show, or with --set change, the identity provider the account provisions from.

    With --json: {"id": "ACCOUNT_ID", "provider": "okta"}
    """

    def act(db: Database) -> str:
        if set_to is not None:
            return tenancy.set_account_provider(db, account_id, set_to).value
        return tenancy.account_provider(db, account_id).value

    provider = _run(_settings(database_url), act)
    _print(
        as_json,
        {"id": account_id, "provider": provider},
        f"Account {account_id} provisions from {provider}.",
    )


@calendar_app.command("create")
def calendar_create(
    account: AccountId,
    name: Name,
    plan: Annotated[
        str,
        typer.Option("--plan", metavar="PLAN", help="basic, plus, pro, business or enterprise."),
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a calendar on a plan (SCIM needs one on enterprise).

    With --json: {"id": "CALENDAR_ID"}
    """
    settings = _settings(database_url)
    calendar_id = _run(settings, lambda db: tenancy.create_calendar(db, account, name, plan))
    _print(as_json, {"id": calendar_id}, f"Created calendar {name} ({plan}): {calendar_id}")


@organization_app.command("create")
def organization_create(
    account: AccountId,
    name: Name,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an organization.

    With --json: {"id": "ORGANIZATION_ID"}
    """
    settings = _settings(database_url)
    organization_id = _run(settings, lambda db: tenancy.create_organization(db, account, name))
    _print(as_json, {"id": organization_id}, f"Created organization {name}: {organization_id}")


@domain_app.command("add")
def domain_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The domain, e.g. example.com.")],
    account: AccountId,
    verified: Annotated[
        bool,
        typer.Option(
            "--verified",
            help="Operator override (a domain support validated): verified without a DNS check.",
        ),
    ] = False,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a trusted domain; prints the TXT record that proves it.

    Without --verified, only `enlist domain verify` or the admin page finding that record
    verifies the domain.

    With --json: {"id": "DOMAIN_ID", "name": "acme.com", "verified": false,
    "txt_record": "enlist-domain-verification=TOKEN"}
    """
    settings = _settings(database_url)
    domain = _run(settings, lambda db: tenancy.add_domain(db, account, name, verified=verified))
    record = tenancy.txt_record(domain)
    _print(
        as_json,
        {"id": domain.id, "name": domain.name, "verified": domain.verified, "txt_record": record},
        f"Added {domain.name} ({'verified' if domain.verified else 'not verified'}).\n"
        f"Publish this TXT record on {domain.name}: {record}",
    )


@domain_app.command("verify")
def domain_verify(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A trusted domain.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Check the domain's DNS TXT record and mark it verified when it is there.

    With --json: {"name": "acme.com", "verified": true}
    """
    from enlist.dns import TxtResolver

    settings = _settings(database_url)
    lookup = TxtResolver(settings.dns_server)
    domain = _run(settings, lambda db: tenancy.verify_domain(db, name, lookup))
    _print(
        as_json, {"name": domain.name, "verified": domain.verified}, f"{domain.name} is verified."
    )


@domain_app.command("link")
def domain_link(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A trusted domain.")],
    organization: Annotated[
        str, typer.Option("--organization", metavar="ID", help="Organization id.")
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Link a domain to the organization that provisioned groups go into.

    With --json: {"name": "acme.com", "organization": "ORGANIZATION_ID"}
    """
    domain = _run(_settings(database_url), lambda db: tenancy.link_domain(db, name, organization))
    _print(
        as_json,
        {"name": domain.name, "organization": domain.organization_id},
        f"{domain.name} is linked to organization {domain.organization_id}.",
    )


def _when(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


@secret_app.command("create")
def secret_create(
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="A verified trusted domain.")],
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            "--expires-in-days", metavar="DAYS", help="Refuse the secret after this many days."
        ),
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a SCIM secret; this is the only time it is shown.

    With --expires-in-days, "expires" in the JSON says when it stops working (else null).

    With --json: {"id": "SECRET_ID", "secret": "enl_SECRET", "expires": null}
    """
    settings = _settings(database_url)
    created = _run(
        settings,
        lambda db: tenancy.create_secret(
            db, domain, secret_key=settings.secret_key, expires_in_days=expires_in_days
        ),
    )
    expiry = f" (expires {created.expires_at:%Y-%m-%d})" if created.expires_at else ""
    _print(
        as_json,
        {"id": created.id, "secret": created.secret, "expires": _when(created.expires_at)},
        f"Secret {created.id} for {created.domain}{expiry} (shown only now; paste it into your "
        f"identity provider):\n{created.secret}",
    )


@secret_app.command("list")
def secret_list(
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="A trusted domain.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List a domain's secrets (never their values): created, last used, expiry, revoked.

    With --json: {"domain": "acme.com", "secrets": [{"id": "SECRET_ID", "hint": "enl_AbCd…",
    "created": "2025-01-31T09:30:00+00:00", "last_used": null, "expires": null,
    "revoked": false, "warning": null}]}
    """

    def collect(db: Database) -> list[dict[str, Any]]:
        found = tenancy.domain_for(db, domain)
        return [
            {
                "id": s.id,
                "hint": s.hint,
                "created": _when(s.created),
                "last_used": _when(s.last_used),
                "expires": _when(s.expires_at),
                "revoked": s.revoked_at is not None,
                "warning": None if s.revoked_at else tenancy.expiry_warning(s.expires_at),
            }
            for s in tenancy.domain_secrets(db, found.account_id, found.id)
        ]

    rows = _run(_settings(database_url), collect)
    lines = [
        f"{r['id']}  {r['hint']}  created {r['created'][:16]}  "
        f"last used {(r['last_used'] or 'never')[:16]}"
        f"{'  REVOKED' if r['revoked'] else ''}{'  ' + r['warning'] if r['warning'] else ''}"
        for r in rows
    ]
    _print(as_json, {"domain": domain, "secrets": rows}, "\n".join(lines) or "No secrets yet.")


@secret_app.command("revoke")
def secret_revoke(
    secret_id: Annotated[
        str, typer.Argument(metavar="SECRET_ID", help="Its id (enlist secret list shows it).")
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a SCIM secret; requests using it are refused from now on.

    With --json: {"id": "SECRET_ID", "revoked": true}
    """
    _run(_settings(database_url), lambda db: tenancy.revoke_secret(db, secret_id))
    _print(as_json, {"id": secret_id, "revoked": True}, f"Secret {secret_id} is revoked.")


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `enlist serve` runs uvicorn (bench/ serves its comparison apps the same way)."""
    return {
        "log_level": settings.log_level,
        "access_log": settings.access_log,
        "proxy_headers": True,
    }


@app.command()
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
    from enlist.services import activity

    entries = _run(
        _settings(database_url),
        lambda db: activity.newest(
            db, account, limit=limit, outcome=outcome, resource_type=resource, text=search
        ),
    )
    rows = [
        {
            "at": _when(e.at),
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
    _print(as_json, {"account": account, "entries": rows}, text or "No activity yet.")


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


@app.command()
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
    settings = _settings(database_url)
    try:
        Database.open(settings.database_url).dispose()
    except Exception as exc:
        raise _fail(f"Cannot open the database: {exc.__class__.__name__}") from exc
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


@app.command()
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
    settings = _settings(database_url)
    tenant = _run(settings, lambda db: _demo_tenant(db, settings.secret_key))
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
    _print(
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


def main() -> None:
    app()
