"""single sign-on: domain_sso, person_identities, person_sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _account(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"], ["accounts.id"], name=f"fk_{table}_account_id_accounts", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "domain_sso",
        sa.Column("domain_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("updated", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["trusted_domains.id"],
            name="fk_domain_sso_domain_id_trusted_domains",
            ondelete="CASCADE",
        ),
        _account("domain_sso"),
        sa.PrimaryKeyConstraint("domain_id", name="pk_domain_sso"),
    )
    op.create_index("ix_domain_sso_issuer", "domain_sso", ["issuer"])
    op.create_index("ix_domain_sso_account", "domain_sso", ["account_id"])

    op.create_table(
        "person_identities",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("last_sign_in", TS, nullable=False),
        _account("person_identities"),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.pk"], name="fk_person_identities_user_pk_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name="pk_person_identities"),
        sa.UniqueConstraint(
            "account_id", "issuer", "subject", name="uq_person_identities_account_id_issuer_subject"
        ),
    )
    op.create_index("ix_person_identities_user", "person_identities", ["user_pk"])

    op.create_table(
        "person_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.String(32), nullable=False),
        sa.Column("created", TS, nullable=False),
        sa.Column("expires", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        _account("person_sessions"),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.pk"], name="fk_person_sessions_user_pk_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["trusted_domains.id"],
            name="fk_person_sessions_domain_id_trusted_domains",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_person_sessions"),
    )
    op.create_index("ix_person_sessions_user", "person_sessions", ["user_pk"])
    op.create_index("ix_person_sessions_domain", "person_sessions", ["domain_id"])
    op.create_index("ix_person_sessions_expires", "person_sessions", ["expires"])


def downgrade() -> None:
    op.drop_table("person_sessions")
    op.drop_table("person_identities")
    op.drop_table("domain_sso")
