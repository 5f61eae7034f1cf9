"""`enlist domain sso`: the operator sets a domain's single sign-on up, and turns it off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from enlist.services import signin, tenancy
from enlist.store.db import Database
from enlist.store.tables import domain_sso

SECRET = "a-client-secret-never-shown-again"


def test_the_operator_turns_sso_on_and_off_with_the_cli(
    enlist: Any, make_tenant: Any, db: Database, tmp_path: Path
) -> None:
    make_tenant("acme.test")
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")

    printed = enlist(
        "domain", "sso", "ACME.test", "--issuer", "https://acme.okta.com",
        "--client-id", "0oa-enlist", "--client-secret-file", str(secret_file), "--json",
    )  # fmt: skip

    assert printed == {
        "name": "acme.test",
        "sso": {"issuer": "https://acme.okta.com", "client_id": "0oa-enlist"},
    }
    with db.read() as conn:
        stored = conn.execute(select(domain_sso.c.client_secret)).scalar_one()
    assert SECRET not in stored  # encrypted at rest
    client = signin.sso_client(db, tenancy.domain_for(db, "acme.test").id, "")
    assert client.client_secret == SECRET  # the trailing newline stripped
    assert enlist("domain", "sso", "acme.test", "--off", "--json") == {
        "name": "acme.test",
        "sso": None,
    }
    assert signin.sso_for_email(db, "jane@acme.test") is None


@pytest.mark.parametrize(
    ("issuer", "reason"),
    [
        ("http://acme.okta.com", "must start with https://"),
        ("https://acme.okta.com/?x=1", "without ?"),
        ("not a url", "must start with https://"),
    ],
)
def test_an_issuer_that_is_not_https_is_refused(
    enlist: Any, make_tenant: Any, tmp_path: Path, issuer: str, reason: str
) -> None:
    make_tenant("acme.test")
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)

    refused = enlist(
        "domain", "sso", "acme.test", "--issuer", issuer, "--client-id", "x",
        "--client-secret-file", str(secret_file), "--json", ok=False,
    )  # fmt: skip

    assert reason in refused


def test_sso_needs_a_verified_domain_and_a_secret_the_first_time(
    enlist: Any, db: Database, make_tenant: Any
) -> None:
    make_tenant("acme.test")
    account = tenancy.create_account(db, "Pending", "it@pending.test")
    tenancy.add_domain(db, account, "pending.test")

    assert "not verified" in enlist(
        "domain", "sso", "pending.test", "--issuer", "https://p.okta.com", "--client-id", "x",
        "--json", ok=False,
    )  # fmt: skip
    assert "client secret" in enlist(
        "domain", "sso", "acme.test", "--issuer", "https://a.okta.com", "--client-id", "x",
        "--json", ok=False,
    )  # fmt: skip
