"""ix_users_account_live_pk: the live users of an account in creation order, covered

A deep page of /Users (startIndex=99,901) finds its first user by walking the account's live
users in pk order. ix_users_account_pk lacks deleted_at, so each step read the table row to
check it (SQLite: 30 ms at 100,000 users; PostgreSQL: a heap fetch per user); this partial
index holds exactly the live users with every column the walk reads (SQLite: 4 ms, an
index-only scan on both backends).

Revision ID: 0016_live_users_index
Revises: 0015_perf
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_live_users_index"
down_revision = "0015_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_users_account_live_pk",
        "users",
        ["account_id", "pk", "deleted_at"],
        unique=False,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_account_live_pk", table_name="users")
