"""The `enlist` command: every command of docs/cli.md, each with --json for scripts."""

from __future__ import annotations

import typer

from enlist.cli import access, activity, admins, apikeys, server, signin, tenancy, webhooks

del signin  # imported for the `domain sso` command it adds

app = typer.Typer(
    help="Enlist: SCIM 2.0 provisioning for the team calendar.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(tenancy.account_app, name="account")
app.add_typer(tenancy.calendar_app, name="calendar")
app.add_typer(tenancy.organization_app, name="organization")
app.add_typer(tenancy.domain_app, name="domain")
app.add_typer(tenancy.secret_app, name="secret")
app.add_typer(apikeys.apikey_app, name="apikey")
app.add_typer(access.access_app, name="access")
app.add_typer(webhooks.webhook_app, name="webhook")
app.add_typer(admins.admin_app, name="admin")
app.command()(activity.audit)
app.command()(server.serve)
app.command()(server.demo)
app.command()(webhooks.worker)


def main() -> None:
    app()
