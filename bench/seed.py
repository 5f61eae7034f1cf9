"""Seed a benchmark database fast: one tenant through the services, rows straight into the tables.

Users, emails, groups and memberships go in with SQLAlchemy Core executemany (SQLite) or
COPY (PostgreSQL), not through HTTP, so a million users take a minute, not an hour. The
data is deterministic: user i is `user{i}@example.com` with one work email, id = md5 of i.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from enlist.config import Settings
from enlist.services import tenancy
from enlist.store.db import Database
from enlist.store.tables import group_members, groups, user_emails, users

DOMAIN = "example.com"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SMALL_GROUPS = 20  # every user of a dataset is in one of these teams


@dataclass
class Dataset:
    """What a benchmark needs to know about a seeded database."""

    url: str
    backend: str
    users: int
    token: str
    account_id: str
    ids_file: str  # "id userName" per line, a random sample of the users (shuffled)
    big_group_id: str | None = None  # 100k members, with a pool of non-members for adds
    big_group_members: int = 0
    pool_file: str | None = None  # ids of users not in the big group, in batches of 1,000
    member_file: str | None = None  # ids of some big-group members, for filtered removal

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> Dataset:
        return cls(**json.loads(path.read_text()))


def user_id(i: int) -> str:
    return hashlib.md5(f"bench-user-{i}".encode()).hexdigest()


def group_id(i: int) -> str:
    return hashlib.md5(f"bench-group-{i}".encode()).hexdigest()


def user_name(i: int) -> str:
    return f"user{i}@{DOMAIN}"


def _user_row(i: int) -> dict[str, Any]:
    moment = BASE_TIME + timedelta(milliseconds=i)
    given, family = f"Given{i}", f"Family{i}"
    return {
        "pk": i,
        "id": user_id(i),
        "account_id": None,  # set by the caller
        "user_name": user_name(i),
        "user_name_lower": user_name(i),
        "external_id": f"00u{i:017d}",
        "name_formatted": f"{given} {family}",
        "family_name": family,
        "given_name": given,
        "middle_name": None,
        "honorific_prefix": None,
        "honorific_suffix": None,
        "display_name": f"{given} {family}",
        "display_name_lower": f"{given} {family}".lower(),
        "nick_name": None,
        "profile_url": None,
        "title": "Engineer",
        "user_type": None,
        "preferred_language": None,
        "locale": "en-US",
        "timezone": "Europe/Paris",
        "active": True,
        "phone_numbers": None,
        "addresses": None,
        "source": "scim",
        "created": moment,
        "last_modified": moment,
        "version": 1,
    }


def _email_row(i: int, account_id: str) -> dict[str, Any]:
    return {
        "pk": i,
        "user_pk": i,
        "account_id": account_id,
        "position": 0,
        "value": user_name(i),
        "value_lower": user_name(i),
        "type": "work",
        "primary": True,
        "display": None,
    }


def _setup_tenant(url: str) -> tuple[str, str, str]:
    """(account id, organization id, secret) created through the services, as the CLI does."""
    db = Database.open(url)
    try:
        account = tenancy.create_account(db, "Bench", f"admin@{DOMAIN}")
        tenancy.create_calendar(db, account, "Team", "enterprise")
        organization = tenancy.create_organization(db, account, "Bench")
        tenancy.add_domain(db, account, DOMAIN, verified=True)
        tenancy.link_domain(db, DOMAIN, organization)
        # digested under the key the benchmarked server reads from the same environment
        secret = tenancy.create_secret(db, DOMAIN, account, secret_key=Settings().secret_key)
    finally:
        db.dispose()
    return account, organization, secret.secret


def _chunked(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy(conn: Any, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    """COPY rows into a PostgreSQL table (psycopg 3), JSON columns as NULL."""
    columns = [c.name for c in table.columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row.get(c) for c in columns))  # absent columns: NULL


def _write(conn: Any, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
    else:
        for chunk in _chunked(rows, 20_000):
            conn.execute(insert(table), chunk)


def seed(
    url: str,
    backend: str,
    n_users: int,
    data_dir: Path,
    *,
    big_group: int = 0,
    pool: int = 0,
    sample: int = 100_000,
) -> Dataset:
    """Seed `n_users` users (plus `pool` users outside the big group) into an empty database.

    Every user is in one of SMALL_GROUPS teams; with `big_group`, a group of the first
    `big_group` users exists too and `pool` more users wait to be added to it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    account, organization, token = _setup_tenant(url)
    total = n_users + pool
    engine = create_engine(url)
    moment = BASE_TIME
    with engine.begin() as conn:

        def user_rows() -> Iterator[dict[str, Any]]:
            for i in range(1, total + 1):
                row = _user_row(i)
                row["account_id"] = account
                yield row

        if conn.dialect.name == "postgresql":
            # Bulk load without per-row foreign-key checks (the rows are consistent by
            # construction); triggers are off too, so the user count is set below.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        _write(conn, users, user_rows())
        _write(conn, user_emails, (_email_row(i, account) for i in range(1, total + 1)))
        group_rows = [
            {
                "pk": g,
                "id": group_id(g),
                "account_id": account,
                "organization_id": organization,
                "display_name": f"Team {g:02d}",
                "display_name_lower": f"team {g:02d}",
                "external_id": None,
                "created": moment,
                "last_modified": moment,
                "version": 1,
            }
            for g in range(1, SMALL_GROUPS + 1)
        ]
        if big_group:
            group_rows.append(
                {
                    **group_rows[0],
                    "pk": SMALL_GROUPS + 1,
                    "id": group_id(SMALL_GROUPS + 1),
                    "display_name": "Everyone",
                    "display_name_lower": "everyone",
                }
            )
        conn.execute(insert(groups), group_rows)

        def member_rows() -> Iterator[dict[str, Any]]:
            for i in range(1, total + 1):
                yield {
                    "group_pk": i % SMALL_GROUPS + 1,
                    "user_pk": i,
                    "account_id": account,
                    "added": moment,
                }
            for i in range(1, big_group + 1):
                yield {
                    "group_pk": SMALL_GROUPS + 1,
                    "user_pk": i,
                    "account_id": account,
                    "added": moment,
                }

        _write(conn, group_members, member_rows())
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = origin"))
            conn.execute(
                text(
                    "INSERT INTO user_counts (account_id, users) VALUES (:account, :n) "
                    "ON CONFLICT (account_id) DO UPDATE SET users = EXCLUDED.users"
                ),
                {"account": account, "n": total},
            )
            for table in ("users", "user_emails", "groups"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'pk'), "
                        f"(SELECT max(pk) FROM {table}))"
                    )
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()

    rng = random.Random(42)
    picked = rng.sample(range(1, n_users + 1), min(sample, n_users))
    ids_file = data_dir / "ids.txt"
    ids_file.write_text("".join(f"{user_id(i)} {user_name(i)}\n" for i in picked))
    dataset = Dataset(
        url=url,
        backend=backend,
        users=n_users,
        token=token,
        account_id=account,
        ids_file=str(ids_file),
    )
    if big_group:
        pool_file = data_dir / "pool.txt"
        pool_file.write_text("".join(f"{user_id(i)}\n" for i in range(n_users + 1, total + 1)))
        member_file = data_dir / "members.txt"
        members = rng.sample(range(1, big_group + 1), min(big_group, 20_000))
        member_file.write_text("".join(f"{user_id(i)}\n" for i in members))
        dataset.big_group_id = group_id(SMALL_GROUPS + 1)
        dataset.big_group_members = big_group
        dataset.pool_file = str(pool_file)
        dataset.member_file = str(member_file)
    return dataset


# databases --------------------------------------------------------------------------


def create_database(backend: str, name: str, data_dir: Path) -> str:
    """A fresh empty database with the schema; its SQLAlchemy URL."""
    if backend == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        drop_database(backend, name, data_dir)
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    Database.open(url).dispose()  # the schema, through the migrations
    return url


def drop_database(backend: str, name: str, data_dir: Path) -> None:
    if backend == "sqlite":
        path = data_dir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
