"""events: the outbox of committed changes, numbered per account; what an activity entry changed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_events_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_events"),
        sa.UniqueConstraint("id", name="uq_events_id"),
        sa.UniqueConstraint("account_id", "sequence", name="uq_events_account_id_sequence"),
    )
    op.create_index("ix_events_at", "events", ["at"])
    op.create_table(
        "event_sequences",
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_event_sequences_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_event_sequences"),
    )
    op.execute("INSERT INTO event_sequences (account_id, last) SELECT id, 0 FROM accounts")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("changes")
    op.drop_table("event_sequences")
    op.drop_index("ix_events_at", table_name="events")
    op.drop_table("events")
