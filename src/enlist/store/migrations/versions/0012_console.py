"""admin console: organization names unique per account whatever their case; refused uses
of revoked or expired SCIM secrets (secret_refusals)

Existing duplicates are kept, renamed: per account, the oldest organization keeps its name and
each later one with the same name (ignoring case) becomes "Name (2)", "Name (3)", ... so that
the domain form can tell them apart. Nothing else refers to an organization by name.

Revision ID: 0012_console
Revises: 0013_webhooks
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_console"
down_revision = "0013_webhooks"
branch_labels = None
depends_on = None

organizations = sa.table(
    "organizations",
    sa.column("id", sa.String),
    sa.column("account_id", sa.String),
    sa.column("name", sa.String),
    sa.column("created", sa.DateTime),
)


def _rename_duplicates(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.select(organizations.c.id, organizations.c.account_id, organizations.c.name).order_by(
            organizations.c.account_id, organizations.c.created, organizations.c.id
        )
    ).all()
    taken: dict[str, set[str]] = {}
    for row in rows:
        names = taken.setdefault(row.account_id, set())
        name, number = row.name, 1
        while name.casefold() in names:
            number += 1
            suffix = f" ({number})"
            name = row.name[: 200 - len(suffix)] + suffix
        names.add(name.casefold())
        if name != row.name:
            conn.execute(
                sa.update(organizations).where(organizations.c.id == row.id).values(name=name)
            )


def upgrade() -> None:
    _rename_duplicates(op.get_bind())
    op.create_index(
        "uq_organizations_account_name",
        "organizations",
        ["account_id", sa.text("lower(name)")],
        unique=True,
    )
    op.create_table(
        "secret_refusals",
        sa.Column("secret_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("last_tried", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("unlogged", sa.Integer(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["secret_id"],
            ["scim_secrets.id"],
            name="fk_secret_refusals_secret_id_scim_secrets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_secret_refusals_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("secret_id", name="pk_secret_refusals"),
    )
    op.create_index("ix_secret_refusals_account", "secret_refusals", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_secret_refusals_account", table_name="secret_refusals")
    op.drop_table("secret_refusals")
    op.drop_index("uq_organizations_account_name", table_name="organizations")
