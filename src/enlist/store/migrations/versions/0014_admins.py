"""several admins per account: admins (owner or admin), and secrets' labels and creators

The account's single admin becomes its owner: same email, same password digest, and the
admin's id is the account's id, so the open sessions stay theirs.

Revision ID: 0014_admins
Revises: 0013_webhooks
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_admins"
down_revision = "0012_console"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admins",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_lower", sa.String(320), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("link_digest", sa.String(64), nullable=True),
        sa.Column("link_expires", TS, nullable=True),
        sa.Column("invited_by", sa.String(320), nullable=True),
        sa.Column("created", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_admins_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_admins"),
        sa.UniqueConstraint("email_lower", name="uq_admins_email_lower"),
        sa.UniqueConstraint("link_digest", name="uq_admins_link_digest"),
    )
    op.create_index("ix_admins_account", "admins", ["account_id"])
    op.execute(
        "INSERT INTO admins (id, account_id, email, email_lower, role, password_hash, created) "
        "SELECT id, id, email, email_lower, 'owner', password_hash, created FROM accounts"
    )
    op.execute("UPDATE accounts SET password_hash = NULL")  # the admins table holds it now

    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin_id", sa.String(32), nullable=True))
    op.execute("UPDATE admin_sessions SET admin_id = account_id")
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.alter_column("admin_id", existing_type=sa.String(32), nullable=False)
        batch_op.create_foreign_key(
            "fk_admin_sessions_admin_id_admins", "admins", ["admin_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_admin_sessions_admin", ["admin_id"])

    with op.batch_alter_table("scim_secrets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scim_secrets", schema=None) as batch_op:
        batch_op.drop_column("created_by")
        batch_op.drop_column("label")
    with op.batch_alter_table("admin_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_sessions_admin")
        batch_op.drop_constraint("fk_admin_sessions_admin_id_admins", type_="foreignkey")
        batch_op.drop_column("admin_id")
    op.execute(
        "UPDATE accounts SET password_hash = (SELECT a.password_hash FROM admins a "
        "WHERE a.account_id = accounts.id AND a.email_lower = accounts.email_lower)"
    )
    op.drop_index("ix_admins_account", table_name="admins")
    op.drop_table("admins")
