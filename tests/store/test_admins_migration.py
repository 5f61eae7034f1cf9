"""Migration 0014: an account's single admin becomes its owner, password and sessions kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import text

from enlist.services import admins, sessions
from enlist.store.db import MIGRATIONS, Database, make_engine


def test_the_single_admin_becomes_the_owner_and_stays_signed_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    moment = datetime.now(UTC)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
        conn.execute(
            text(
                "INSERT INTO accounts (id, name, email, email_lower, password_hash, provider, "
                "created) VALUES ('a1', 'Acme', 'It@Acme.test', 'it@acme.test', :hash, 'okta', :at)"
            ),
            {"hash": PasswordHasher().hash("the old admin password"), "at": moment},
        )
        conn.execute(
            text(
                "INSERT INTO admin_sessions (id, account_id, created, expires) "
                "VALUES (:digest, 'a1', :at, :until)"
            ),
            {
                "digest": sessions.session_digest("token-of-the-open-session"),
                "at": moment,
                "until": moment + timedelta(hours=1),
            },
        )
    engine.dispose()
    db = Database.open(url)
    try:
        owner = admins.account_admins(db, "a1")
        assert [(a.email, a.role, a.pending) for a in owner] == [("It@Acme.test", "owner", False)]
        still = sessions.current_session(db, "token-of-the-open-session")
        assert still is not None and still.email == "It@Acme.test" and still.role == "owner"
        assert admins.check_admin_password(db, "it@acme.test", "the old admin password")
        with db.read() as conn:
            assert conn.execute(text("SELECT password_hash FROM accounts")).scalar() is None
    finally:
        db.dispose()
