"""Commands for the tenancy side: accounts, calendars, organizations, domains, SCIM secrets."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from enlist.cli.common import (
    AccountId,
    DatabaseUrl,
    JsonFlag,
    Name,
    fail,
    run,
    say,
    settings_of,
    when,
)
from enlist.services import access, setup, tenancy
from enlist.store.db import Database

account_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)
calendar_app = typer.Typer(help="Calendars and their plans.", no_args_is_help=True)
organization_app = typer.Typer(
    help="Organizations (where provisioned groups land).", no_args_is_help=True
)
domain_app = typer.Typer(help="Trusted email domains.", no_args_is_help=True)
secret_app = typer.Typer(
    help="SCIM secrets (API tokens for the identity provider).", no_args_is_help=True
)


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
    settings = settings_of(database_url)
    account_id = run(settings, lambda db: tenancy.create_account(db, name, email, password))
    say(as_json, {"id": account_id}, f"Created account {name}: {account_id}")


@account_app.command("list")
def account_list(as_json: JsonFlag = False, database_url: DatabaseUrl = None) -> None:
    """List every account, oldest first.

    With --json: {"accounts": [{"id": "ACCOUNT_ID", "name": "Acme", "email": "it@acme.com"}]}
    """
    found = run(settings_of(database_url), tenancy.accounts)
    say(
        as_json,
        {"accounts": [{"id": a.id, "name": a.name, "email": a.email} for a in found]},
        "\n".join(f"{a.id}  {a.name}  {a.email}" for a in found) or "No accounts yet.",
    )


@account_app.command("set")
def account_set(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID", help="Account id.")],
    allow_group_administrators: Annotated[
        str,
        typer.Option(
            "--allow-group-administrators",
            metavar="true|false",
            help="May a group grant administrator on a calendar (off by default: an edit of "
            "a group at the identity provider would silently make calendar administrators).",
        ),
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Change an account's settings.

    With --json: {"id": "ACCOUNT_ID", "allow_group_administrators": false}
    """
    wanted = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
    choice = wanted.get(allow_group_administrators.strip().lower())
    if choice is None:
        raise fail("--allow-group-administrators takes true or false.")
    allowed = run(
        settings_of(database_url),
        lambda db: access.set_allow_group_administrators(db, account_id, choice),
    )
    say(
        as_json,
        {"id": account_id, "allow_group_administrators": allowed},
        f"Groups {'may' if allowed else 'may not'} grant administrator in account {account_id}.",
    )


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

    provider = run(settings_of(database_url), act)
    say(
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
    settings = settings_of(database_url)
    calendar_id = run(settings, lambda db: tenancy.create_calendar(db, account, name, plan))
    say(as_json, {"id": calendar_id}, f"Created calendar {name} ({plan}): {calendar_id}")


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
    settings = settings_of(database_url)
    organization_id = run(settings, lambda db: tenancy.create_organization(db, account, name))
    say(as_json, {"id": organization_id}, f"Created organization {name}: {organization_id}")


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
    settings = settings_of(database_url)
    domain = run(settings, lambda db: tenancy.add_domain(db, account, name, verified=verified))
    record = tenancy.txt_record(domain)
    say(
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

    settings = settings_of(database_url)
    lookup = TxtResolver(settings.dns_server)
    domain = run(settings, lambda db: tenancy.verify_domain(db, name, lookup))
    say(as_json, {"name": domain.name, "verified": domain.verified}, f"{domain.name} is verified.")


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
    domain = run(settings_of(database_url), lambda db: tenancy.link_domain(db, name, organization))
    say(
        as_json,
        {"name": domain.name, "organization": domain.organization_id},
        f"{domain.name} is linked to organization {domain.organization_id}.",
    )


@secret_app.command("create")
def secret_create(
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="A verified trusted domain.")],
    expires_in_days: Annotated[
        int | None,
        typer.Option(
            "--expires-in-days", metavar="DAYS", help="Refuse the secret after this many days."
        ),
    ] = None,
    label: Annotated[
        str,
        typer.Option(
            "--label", metavar="TEXT", help='Its name on the pages, e.g. "Okta production".'
        ),
    ] = "",
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a SCIM secret; this is the only time it is shown.

    With --expires-in-days, "expires" in the JSON says when it stops working (else null).

    With --json: {"id": "SECRET_ID", "secret": "enl_SECRET", "expires": null}
    """
    settings = settings_of(database_url)
    created = run(
        settings,
        lambda db: tenancy.create_secret(
            db,
            domain,
            secret_key=settings.secret_key,
            expires_in_days=expires_in_days,
            label=label,
        ),
    )
    expiry = f" (expires {created.expires_at:%Y-%m-%d})" if created.expires_at else ""
    say(
        as_json,
        {"id": created.id, "secret": created.secret, "expires": when(created.expires_at)},
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

    "created_by" is the admin who made it on the pages (null: made from the command line).

    With --json: {"domain": "acme.com", "secrets": [{"id": "SECRET_ID", "hint": "enl_AbCd…",
    "label": "Okta production", "created": "2025-01-31T09:30:00+00:00",
    "created_by": "it@acme.com", "last_used": null, "expires": null, "revoked": false,
    "warning": null}]}
    """

    def collect(db: Database) -> list[dict[str, Any]]:
        found = tenancy.domain_for(db, domain)
        return [
            {
                "id": s.id,
                "hint": s.hint,
                "label": s.label,
                "created": when(s.created),
                "created_by": s.created_by,
                "last_used": when(s.last_used),
                "expires": when(s.expires_at),
                "revoked": s.revoked_at is not None,
                "warning": None if s.revoked_at else tenancy.expiry_warning(s.expires_at),
            }
            for s in tenancy.domain_secrets(db, found.account_id, found.id)
        ]

    rows = run(settings_of(database_url), collect)
    lines = [
        f"{r['id']}  {r['hint']}{'  ' + r['label'] if r['label'] else ''}  "
        f"created {r['created'][:16]}  "
        f"last used {(r['last_used'] or 'never')[:16]}"
        f"{'  REVOKED' if r['revoked'] else ''}{'  ' + r['warning'] if r['warning'] else ''}"
        for r in rows
    ]
    say(as_json, {"domain": domain, "secrets": rows}, "\n".join(lines) or "No secrets yet.")


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
    run(settings_of(database_url), lambda db: tenancy.revoke_secret(db, secret_id))
    say(as_json, {"id": secret_id, "revoked": True}, f"Secret {secret_id} is revoked.")


# correcting the setup -----------------------------------------------------------------------


@domain_app.command("remove")
def domain_remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A trusted domain.")],
    account: Annotated[
        str | None,
        typer.Option("--account", metavar="ID", help="The account, when several added NAME."),
    ] = None,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove a trusted domain: its secrets stop working (401) and its single sign-on is
    turned off, at once.

    With --json: {"name": "acme.com", "removed": true, "secrets_revoked": 1}
    """

    def act(db: Database) -> setup.DomainRemoval:
        found = tenancy.domain_for(db, name, account)
        return setup.remove_domain(db, found.account_id, found.id)

    removal = run(settings_of(database_url), act)
    revoked = len(removal.active_secrets)
    say(
        as_json,
        {"name": removal.domain.name, "removed": True, "secrets_revoked": revoked},
        f"Removed {removal.domain.name}; {revoked} secret{'s' if revoked != 1 else ''} revoked.",
    )


@domain_app.command("unlink")
def domain_unlink(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A trusted domain.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Link the domain to no organization: groups pushed through its secrets are refused
    until one is linked again.

    With --json: {"name": "acme.com", "organization": null}
    """

    def act(db: Database) -> Any:
        found = tenancy.domain_for(db, name)
        return setup.unlink_domain(db, found.account_id, found.id)

    domain = run(settings_of(database_url), act)
    say(
        as_json,
        {"name": domain.name, "organization": None},
        f"{domain.name} is linked to no organization; group pushes through it are refused.",
    )


@organization_app.command("rename")
def organization_rename(
    organization_id: Annotated[str, typer.Argument(metavar="ID", help="Organization id.")],
    name: Name,
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Rename an organization (names are unique per account, whatever their case).

    With --json: {"id": "ORGANIZATION_ID", "name": "Acme Sales"}
    """
    renamed = run(
        settings_of(database_url),
        lambda db: setup.rename_organization(db, None, organization_id, name),
    )
    say(
        as_json,
        {"id": renamed.id, "name": renamed.name},
        f"Organization {renamed.id} is named {renamed.name}.",
    )


@organization_app.command("delete")
def organization_delete(
    organization_id: Annotated[str, typer.Argument(metavar="ID", help="Organization id.")],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete an organization; refused while it holds groups. Its domains become unlinked.

    With --json: {"id": "ORGANIZATION_ID", "deleted": true, "unlinked": ["acme.com"]}
    """
    deletion = run(
        settings_of(database_url),
        lambda db: setup.delete_organization(db, None, organization_id),
    )
    unlinked = f" {', '.join(deletion.domains)} now linked to none." if deletion.domains else ""
    say(
        as_json,
        {"id": deletion.organization.id, "deleted": True, "unlinked": deletion.domains},
        f"Deleted organization {deletion.organization.name}.{unlinked}",
    )


@calendar_app.command("plan")
def calendar_plan(
    calendar_id: Annotated[str, typer.Argument(metavar="ID", help="Calendar id.")],
    plan: Annotated[
        str,
        typer.Option("--plan", metavar="PLAN", help="basic, plus, pro, business or enterprise."),
    ],
    as_json: JsonFlag = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Move a calendar to another plan. Moving the last Enterprise calendar off it stops
    provisioning: "provisioning" in the JSON says whether the account still has one.

    With --json: {"id": "CALENDAR_ID", "plan": "basic", "was": "enterprise",
    "provisioning": false}
    """
    changed = run(
        settings_of(database_url),
        lambda db: setup.set_calendar_plan(db, None, calendar_id, plan),
    )
    stops = (
        "" if changed.provisioning else " No calendar is on enterprise: provisioning has stopped."
    )
    say(
        as_json,
        {
            "id": changed.calendar.id,
            "plan": changed.calendar.plan,
            "was": changed.before,
            "provisioning": changed.provisioning,
        },
        f"Calendar {changed.calendar.name} is on the {changed.calendar.plan} plan.{stops}",
    )
