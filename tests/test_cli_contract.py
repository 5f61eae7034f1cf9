"""The operator's contract (INTERFACE.md): every command with --json prints exactly one JSON
object, exits 0, and on failure exits non-zero with a one-line reason on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.helpers import assert_prints_what_the_docs_say


@pytest.fixture
def enlist(tmp_path):
    env_url = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str, ok: bool = True) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "enlist", *args, "--database-url", env_url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert done.returncode == 0, done.stderr
            lines = done.stdout.strip().splitlines()
            assert len(lines) == 1, done.stdout  # exactly one JSON object, nothing else
            printed = json.loads(lines[0])
            assert_prints_what_the_docs_say(args, printed)
            return printed
        assert done.returncode != 0
        assert done.stdout == ""
        reason = done.stderr.strip()
        assert reason and "\n" not in reason and "Traceback" not in reason
        return reason

    return run


def test_an_operator_sets_up_a_tenant_with_json_output(enlist):
    account = enlist(
        "account", "create", "--name", "Acme", "--email", "it@acme.io", "--password", "pw", "--json"
    )["id"]
    assert enlist(
        "calendar",
        "create",
        "--account",
        account,
        "--name",
        "Team",
        "--plan",
        "enterprise",
        "--json",
    )["id"]
    organization = enlist(
        "organization", "create", "--account", account, "--name", "Acme", "--json"
    )["id"]
    added = enlist("domain", "add", "Acme.IO", "--account", account, "--json")
    assert added["name"] == "acme.io" and added["verified"] is False
    assert added["txt_record"].startswith("enlist-domain-verification=")
    assert "not verified" in enlist("secret", "create", "acme.io", "--json", ok=False)
    assert (
        enlist("domain", "add", "acme.io", "--account", account, "--verified", "--json")["verified"]
        is True
    )
    assert enlist("domain", "link", "acme.io", "--organization", organization, "--json") == {
        "name": "acme.io",
        "organization": organization,
    }
    created = enlist("secret", "create", "acme.io", "--expires-in-days", "90", "--json")
    assert created["secret"].startswith("enl_") and created["expires"]
    listed = enlist("secret", "list", "acme.io", "--json")["secrets"]
    assert [s["id"] for s in listed] == [created["id"]]
    assert created["secret"] not in json.dumps(listed)
    assert enlist("secret", "revoke", created["id"], "--json") == {
        "id": created["id"],
        "revoked": True,
    }
    assert enlist("audit", "--account", account, "--json")["entries"] == []


@pytest.mark.parametrize(
    "args, reason",
    [
        (
            ("calendar", "create", "--account", "nope", "--name", "T", "--plan", "enterprise"),
            "no account",
        ),
        (
            ("calendar", "create", "--account", "nope", "--name", "T", "--plan", "gold"),
            "not a plan",
        ),
        (("domain", "link", "example.com", "--organization", "nope"), "no organization"),
        (("secret", "revoke", "nope"), "no SCIM secret"),
        (("domain", "add", "not a domain", "--account", "nope"), "not a domain"),
    ],
)
def test_failures_are_one_line_reasons(enlist, args, reason):
    assert reason in enlist(*args, "--json", ok=False)


def test_an_unreachable_database_is_a_one_line_reason(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "enlist",
            "account",
            "create",
            "--name",
            "A",
            "--email",
            "a@b.c",
            "--json",
            "--database-url",
            "postgresql+psycopg://nobody@127.0.0.1:1/none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and done.stdout == ""
    assert "Cannot open the database" in done.stderr and "Traceback" not in done.stderr
