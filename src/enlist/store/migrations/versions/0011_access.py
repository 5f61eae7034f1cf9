"""calendar access: grants of a level on a calendar to a group or a user; the account's
setting that lets a group grant administrator

Revision ID: 0011_access
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_access"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column(
            "allow_group_administrators", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    op.create_table(
        "access_grants",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("calendar_id", sa.String(32), nullable=False),
        sa.Column("subject_type", sa.String(10), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("group_pk", sa.Integer(), nullable=True),
        sa.Column("user_pk", sa.Integer(), nullable=True),
        sa.Column("level_rank", sa.Integer(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("updated", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_access_grants_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name="fk_access_grants_calendar_id_calendars",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_pk"], ["groups.pk"], name="fk_access_grants_group_pk_groups", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.pk"], name="fk_access_grants_user_pk_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_access_grants"),
        sa.UniqueConstraint(
            "account_id",
            "calendar_id",
            "subject_type",
            "subject_id",
            name="uq_access_grants_account_id_calendar_id_subject_type_subject_id",
        ),
    )
    op.create_index("ix_access_grants_calendar", "access_grants", ["calendar_id", "level_rank"])
    op.create_index("ix_access_grants_group", "access_grants", ["group_pk", "calendar_id"])
    op.create_index("ix_access_grants_user", "access_grants", ["user_pk", "calendar_id"])


def downgrade() -> None:
    op.drop_index("ix_access_grants_user", table_name="access_grants")
    op.drop_index("ix_access_grants_group", table_name="access_grants")
    op.drop_index("ix_access_grants_calendar", table_name="access_grants")
    op.drop_table("access_grants")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("allow_group_administrators")
