"""Alembic environment: runs migrations on the connection Enlist hands it."""

from alembic import context

from enlist.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` run by hand
    from sqlalchemy import create_engine

    from enlist.config import Settings

    connection = create_engine(Settings().database_url).connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
