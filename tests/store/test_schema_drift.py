"""The migrations and the tables the code describes (the users columns derived from the
attribute registry) agree: Alembic's autogenerate finds nothing to do on either backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from enlist.store.db import Database
from enlist.store.tables import metadata, users


def test_the_migrated_database_matches_the_tables_column_for_column(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_the_users_columns_keep_the_order_the_migrations_created(db: Database) -> None:
    with db.engine.connect() as conn:
        migrated = [column["name"] for column in inspect(conn).get_columns("users")]
    assert list(users.c.keys()) == migrated
