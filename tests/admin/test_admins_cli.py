"""`enlist admin`: an operator invites, lists and removes admins and resets passwords."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from enlist.services import admins, sessions, tenancy
from enlist.store.db import Database


def _account(db: Database, password: str | None = "first owner password") -> tuple[str, str]:
    email = "owner@acme.test"
    return tenancy.create_account(db, "Acme", email, password), email


def test_operator_invites_an_admin_who_chooses_a_password_through_the_link(
    db: Database, enlist: Any
) -> None:
    account_id, _ = _account(db)
    invited = enlist(
        "admin", "invite", "--account", account_id, "--email", "Kim@Acme.test", "--json"
    )
    assert invited["role"] == "admin" and invited["email"] == "Kim@Acme.test"
    assert "/set-password/" in invited["link"]
    listed = enlist("admin", "list", "--account", account_id, "--json")["admins"]
    assert [(a["email"], a["role"], a["pending"]) for a in listed] == [
        ("owner@acme.test", "owner", False),
        ("Kim@Acme.test", "admin", True),
    ]
    token = invited["link"].rsplit("/", 1)[1]
    admins.use_link(db, token, "kim's own long password")
    assert tenancy.check_password(db, "kim@acme.test", "kim's own long password") == account_id
    again = enlist("admin", "list", "--account", account_id, "--json")["admins"]
    assert again[1]["pending"] is False


def test_an_email_that_is_already_an_admin_elsewhere_is_refused(db: Database, enlist: Any) -> None:
    account_id, _ = _account(db)
    other = tenancy.create_account(db, "Other", "boss@other.test", "x" * 12)
    reason = enlist(
        "admin", "invite", "--account", account_id, "--email", "boss@other.test", ok=False
    )
    assert reason == "boss@other.test is already an admin of another account."
    reason = enlist("admin", "invite", "--account", other, "--email", "nobody", ok=False)
    assert "is not an email address" in reason
    reason = enlist(
        "admin", "invite", "--account", other, "--email", "a@b.test", "--role", "king", ok=False
    )
    assert reason == "'king' is not a role; choose owner or admin."


def test_the_last_owner_cannot_be_removed_but_an_admin_can(db: Database, enlist: Any) -> None:
    account_id, owner = _account(db)
    enlist("admin", "invite", "--account", account_id, "--email", "kim@acme.test", "--json")
    reason = enlist("admin", "remove", "--account", account_id, "--email", owner, ok=False)
    assert "last owner" in reason
    removed = enlist(
        "admin", "remove", "--account", account_id, "--email", "kim@acme.test", "--json"
    )
    assert removed == {"email": "kim@acme.test", "removed": True}
    listed = enlist("admin", "list", "--account", account_id, "--json")["admins"]
    assert [a["email"] for a in listed] == [owner]


def test_another_accounts_admin_is_not_found_by_remove(db: Database, enlist: Any) -> None:
    account_id, owner = _account(db)
    other = tenancy.create_account(db, "Other", "boss@other.test", "x" * 12)
    reason = enlist("admin", "remove", "--account", other, "--email", owner, ok=False)
    assert reason == "owner@acme.test is not an admin of this account."
    assert [a.email for a in admins.account_admins(db, account_id)] == [owner]


def test_reset_with_a_file_sets_the_password_and_ends_the_sessions(
    db: Database, enlist: Any, tmp_path: Path
) -> None:
    account_id, owner = _account(db)
    session = sessions.sign_in(db, owner, "first owner password")
    password_file = tmp_path / "password"
    password_file.write_text("a brand new password\n")
    printed = enlist(
        "admin", "reset-password", "--email", owner, "--password-file", str(password_file), "--json"
    )
    assert printed == {"email": owner, "link": None, "expires": None}
    assert sessions.current_session(db, session.token) is None
    assert tenancy.check_password(db, owner, "first owner password") is None
    assert tenancy.check_password(db, owner, "a brand new password") == account_id


def test_reset_without_a_file_prints_a_link_that_works_once(db: Database, enlist: Any) -> None:
    account_id, owner = _account(db)
    printed = enlist("admin", "reset-password", "--email", owner, "--json")
    token = printed["link"].rsplit("/", 1)[1]
    admins.use_link(db, token, "chosen through the link")
    assert tenancy.check_password(db, owner, "chosen through the link") == account_id
    reason = ""
    try:
        admins.use_link(db, token, "and once more, again")
    except Exception as refused:  # noqa: BLE001 - the refusal's words are what we check
        reason = str(getattr(refused, "detail", refused))
    assert "expired or was used already" in reason


def test_a_too_short_password_file_is_refused_in_words(
    db: Database, enlist: Any, tmp_path: Path
) -> None:
    _, owner = _account(db)
    short = tmp_path / "short"
    short.write_text("short\n")
    reason = enlist(
        "admin", "reset-password", "--email", owner, "--password-file", str(short), ok=False
    )
    assert reason == "A password needs at least 12 characters."
    reason = enlist("admin", "reset-password", "--email", "ghost@acme.test", ok=False)
    assert reason == "There is no admin with the email ghost@acme.test."


def test_the_operator_makes_an_admin_an_owner(db: Database, enlist: Any) -> None:
    account_id, owner = _account(db)
    enlist("admin", "invite", "--account", account_id, "--email", "kim@acme.test", "--json")
    reason = enlist(
        "admin", "role", "--account", account_id, "--email", owner, "--role", "admin", ok=False
    )
    assert "last owner" in reason
    printed = enlist(
        "admin",
        "role",
        "--account",
        account_id,
        "--email",
        "kim@acme.test",
        "--role",
        "owner",
        "--json",
    )
    assert printed == {"email": "kim@acme.test", "role": "owner"}
