"""enterprise user extension; users deleted by the identity provider

Adds the enterprise extension's attributes to users, and `deleted_at`: a DELETE from the
identity provider keeps the row (the calendar data refers to it) but takes the user out
of the SCIM view, so userName is now unique only among users that are not deleted (a
partial unique index on both backends), and the user_counts triggers count only those.

On SQLite, changing the unique constraint rebuilds the table (see store/db.py for why
foreign keys are off meanwhile), which also drops its triggers: they are created again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS tr_users_count_insert",
    "DROP TRIGGER IF EXISTS tr_users_count_delete",
    "DROP TRIGGER IF EXISTS tr_users_count_soft_delete",
    """CREATE TRIGGER tr_users_count_insert AFTER INSERT ON users WHEN NEW.deleted_at IS NULL BEGIN
        INSERT OR IGNORE INTO user_counts (account_id, users) VALUES (NEW.account_id, 0);
        UPDATE user_counts SET users = users + 1 WHERE account_id = NEW.account_id;
    END""",
    """CREATE TRIGGER tr_users_count_delete AFTER DELETE ON users WHEN OLD.deleted_at IS NULL BEGIN
        UPDATE user_counts SET users = users - 1 WHERE account_id = OLD.account_id;
    END""",
    """CREATE TRIGGER tr_users_count_soft_delete AFTER UPDATE OF deleted_at ON users
        WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) BEGIN
        INSERT OR IGNORE INTO user_counts (account_id, users) VALUES (NEW.account_id, 0);
        UPDATE user_counts SET users = users + (CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
            WHERE account_id = NEW.account_id;
    END""",
]

# The statement-level triggers of 0004 stay; their function now counts only users that are
# not deleted, and a row-level trigger follows deleted_at as it is set (or cleared).
_POSTGRESQL_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION enlist_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO user_counts (account_id, users)
            SELECT account_id, count(*) FROM new_rows WHERE deleted_at IS NULL GROUP BY account_id
            ON CONFLICT (account_id) DO UPDATE SET users = user_counts.users + EXCLUDED.users;
        ELSE
            UPDATE user_counts SET users = user_counts.users - gone.n
            FROM (SELECT account_id, count(*) AS n FROM old_rows WHERE deleted_at IS NULL
                  GROUP BY account_id) AS gone
            WHERE user_counts.account_id = gone.account_id;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION enlist_count_user_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO user_counts (account_id, users)
        VALUES (NEW.account_id, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END)
        ON CONFLICT (account_id) DO UPDATE SET users = user_counts.users + EXCLUDED.users;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS tr_users_count_soft_delete ON users",
    """CREATE TRIGGER tr_users_count_soft_delete AFTER UPDATE OF deleted_at ON users FOR EACH ROW
        WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
        EXECUTE FUNCTION enlist_count_user_deletion()""",
]

_RECOUNT = (
    "UPDATE user_counts SET users = (SELECT count(*) FROM users WHERE users.account_id = "
    "user_counts.account_id AND users.deleted_at IS NULL)"
)

# Downgrading restores 0004's triggers, which count every row.
_SQLITE_TRIGGERS_0004 = [
    "DROP TRIGGER IF EXISTS tr_users_count_insert",
    "DROP TRIGGER IF EXISTS tr_users_count_delete",
    "DROP TRIGGER IF EXISTS tr_users_count_soft_delete",
    """CREATE TRIGGER tr_users_count_insert AFTER INSERT ON users BEGIN
        INSERT OR IGNORE INTO user_counts (account_id, users) VALUES (NEW.account_id, 0);
        UPDATE user_counts SET users = users + 1 WHERE account_id = NEW.account_id;
    END""",
    """CREATE TRIGGER tr_users_count_delete AFTER DELETE ON users BEGIN
        UPDATE user_counts SET users = users - 1 WHERE account_id = OLD.account_id;
    END""",
]

_POSTGRESQL_TRIGGERS_0004 = [
    "DROP TRIGGER IF EXISTS tr_users_count_soft_delete ON users",
    "DROP FUNCTION IF EXISTS enlist_count_user_deletion()",
    """CREATE OR REPLACE FUNCTION enlist_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
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
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("employee_number", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("cost_center", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("organization", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("division", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("department", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("manager_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_users_account_id_user_name_lower"), type_="unique")
        batch_op.create_index(
            "ix_users_account_manager", ["account_id", "manager_id"], unique=False
        )
        batch_op.create_index(
            "uq_users_account_live_user_name",
            ["account_id", "user_name_lower"],
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )

    # ### end Alembic commands ###
    for statement in _POSTGRESQL_TRIGGERS if _postgresql() else _SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(_RECOUNT)


def downgrade() -> None:
    # The old constraint counts deleted users too: they go for good first (their rows
    # explicitly, as foreign keys may be off while migrating).
    for table in ("group_members", "user_emails"):
        op.execute(
            f"DELETE FROM {table} WHERE user_pk IN (SELECT pk FROM users WHERE deleted_at IS NOT NULL)"
        )
    op.execute("DELETE FROM users WHERE deleted_at IS NOT NULL")
    if _postgresql():  # before the columns their triggers read go
        for statement in _POSTGRESQL_TRIGGERS_0004:
            op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_users_account_live_user_name",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_users_account_manager")
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_account_id_user_name_lower"), ["account_id", "user_name_lower"]
        )
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("manager_id")
        batch_op.drop_column("department")
        batch_op.drop_column("division")
        batch_op.drop_column("organization")
        batch_op.drop_column("cost_center")
        batch_op.drop_column("employee_number")

    # ### end Alembic commands ###
    if not _postgresql():  # the rebuilt table has no triggers
        for statement in _SQLITE_TRIGGERS_0004:
            op.execute(statement)
