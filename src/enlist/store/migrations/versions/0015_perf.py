"""tenancy_generation: a counter bumped by triggers whenever what a secret acts for changes

Server processes keep the tenant of each SCIM secret they saw and check this one row on
every request instead of reading the secret, its domain and the account's plan. Triggers,
not the application, bump it: any statement that revokes a secret, changes its expiry,
verifies, unverifies, links, unlinks or removes a domain, adds or changes a calendar (its
plan) or removes an organization bumps it in its own transaction, whichever code runs it.
Setting a secret's last use does not.

Revision ID: 0015_perf
Revises: 0014_admins
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_perf"
down_revision = "0014_admins"
branch_labels = None
depends_on = None

# (table, events, trigger suffix); SQLite names one event per trigger
_WATCHED = [
    ("scim_secrets", "UPDATE OF revoked_at, expires_at, digest, domain_id, account_id", "update"),
    ("scim_secrets", "DELETE", "delete"),
    ("trusted_domains", "UPDATE", "update"),
    ("trusted_domains", "DELETE", "delete"),
    ("calendars", "INSERT", "insert"),
    ("calendars", "UPDATE", "update"),
    ("calendars", "DELETE", "delete"),
    ("organizations", "DELETE", "delete"),
]

_BUMP_SQLITE = (
    "INSERT INTO tenancy_generation (id, generation) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = generation + 1;"
)

_FUNCTION_POSTGRESQL = """CREATE FUNCTION enlist_bump_tenancy() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tenancy_generation (id, generation) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET generation = tenancy_generation.generation + 1;
        RETURN NULL;
    END $$"""


def _name(table: str, suffix: str) -> str:
    return f"tr_{table}_tenancy_{suffix}"


def upgrade() -> None:
    op.create_table(
        "tenancy_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenancy_generation")),
    )
    op.execute("INSERT INTO tenancy_generation (id, generation) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_FUNCTION_POSTGRESQL)
        for table, events, suffix in _WATCHED:
            # one bump per statement, however many rows it touches
            op.execute(
                f"CREATE TRIGGER {_name(table, suffix)} AFTER {events} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION enlist_bump_tenancy()"
            )
    else:
        for table, events, suffix in _WATCHED:
            op.execute(
                f"CREATE TRIGGER {_name(table, suffix)} AFTER {events} ON {table} "
                f"BEGIN {_BUMP_SQLITE} END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, _, suffix in _WATCHED:
        on = f" ON {table}" if postgresql else ""
        op.execute(f"DROP TRIGGER IF EXISTS {_name(table, suffix)}{on}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS enlist_bump_tenancy()")
    op.drop_table("tenancy_generation")
