"""`enlist account provider`: the identity provider preset of an account, on both backends."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from enlist.services import tenancy
from enlist.store.db import Database


def test_an_account_provisions_from_okta_until_the_operator_names_another(
    enlist: Any, db: Database
) -> None:
    account = tenancy.create_account(db, "Acme", "it@acme.io")

    assert enlist("account", "provider", account, "--json") == {"id": account, "provider": "okta"}
    assert enlist("account", "provider", account, "--set", "Entra", "--json") == {
        "id": account,
        "provider": "entra",
    }
    assert enlist("account", "provider", account, "--json") == {"id": account, "provider": "entra"}
    assert tenancy.account_provider(db, account).value == "entra"


@pytest.mark.parametrize("name", ["okta", "entra", "onelogin", "jumpcloud", "google", "generic"])
def test_every_provider_preset_can_be_chosen(db: Database, name: str) -> None:
    account = tenancy.create_account(db, "Acme", "it@acme.io")
    assert tenancy.set_account_provider(db, account, name).value == name
    assert tenancy.account_provider(db, account).value == name


def test_an_unknown_provider_or_account_is_a_one_line_reason(enlist: Any, db: Database) -> None:
    account = tenancy.create_account(db, "Acme", "it@acme.io")
    assert "not an identity provider" in enlist(
        "account", "provider", account, "--set", "ping", "--json", ok=False
    )
    assert "no account" in enlist("account", "provider", "nope", "--json", ok=False)
    assert "no account" in enlist(
        "account", "provider", "nope", "--set", "okta", "--json", ok=False
    )
    assert tenancy.account_provider(db, account).value == "okta"


def test_without_json_the_provider_is_said_in_words(db: Database, database_url: str) -> None:
    account = tenancy.create_account(db, "Acme", "it@acme.io")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "enlist",
            "account",
            "provider",
            account,
            "--set",
            "onelogin",
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Account {account} provisions from onelogin."
