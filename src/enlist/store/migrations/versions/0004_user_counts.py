"""user_counts: each account's number of users, kept by triggers

An unfiltered GET /Users answers totalResults on every page (Okta's import reads them
all); COUNT(*) over the account's users grows with the directory, this row does not.
Triggers keep it exact whatever inserts or deletes users (the app, a cascade, a script).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE = [
    """CREATE TRIGGER tr_users_count_insert AFTER INSERT ON users BEGIN
        INSERT OR IGNORE INTO user_counts (account_id, users) VALUES (NEW.account_id, 0);
        UPDATE user_counts SET users = users + 1 WHERE account_id = NEW.account_id;
    END""",
    """CREATE TRIGGER tr_users_count_delete AFTER DELETE ON users BEGIN
        UPDATE user_counts SET users = users - 1 WHERE account_id = OLD.account_id;
    END""",
]

# Statement-level with transition tables: a COPY or multi-row INSERT updates the row once.
_POSTGRESQL = [
    """CREATE FUNCTION enlist_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO user_counts (account_id, users)
            SELECT account_id, count(*) FROM new_rows GROUP BY account_id
            ON CONFLICT (account_id) DO UPDATE SET users = user_counts.users + EXCLUDED.users;
        ELSE
            UPDATE user_counts SET users = user_counts.users - gone.n
            FROM (SELECT account_id, count(*) AS n FROM old_rows GROUP BY account_id) AS gone
            WHERE user_counts.account_id = gone.account_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tr_users_count_insert AFTER INSERT ON users
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enlist_count_users()""",
    """CREATE TRIGGER tr_users_count_delete AFTER DELETE ON users
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION enlist_count_users()""",
]


def upgrade() -> None:
    op.create_table(
        "user_counts",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_user_counts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_user_counts")),
    )
    op.execute(
        "INSERT INTO user_counts (account_id, users) SELECT account_id, count(*) FROM users GROUP BY account_id"
    )
    for statement in _POSTGRESQL if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS tr_users_count_insert ON users"
        if op.get_bind().dialect.name == "postgresql"
        else "DROP TRIGGER IF EXISTS tr_users_count_insert"
    )
    op.execute(
        "DROP TRIGGER IF EXISTS tr_users_count_delete ON users"
        if op.get_bind().dialect.name == "postgresql"
        else "DROP TRIGGER IF EXISTS tr_users_count_delete"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS enlist_count_users()")
    op.drop_table("user_counts")
