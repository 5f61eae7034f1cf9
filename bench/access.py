"""Benchmark calendar access: check, a person's calendars, and member adds to a granted group.

    .venv/bin/python bench/access.py --backend sqlite
    .venv/bin/python bench/access.py --backend postgresql [--duration 8] [--keep]

The account (issue 9's size): 100,000 users, 1,000 groups (20 teams that hold everyone, the
group "Everyone" of all 100,000, and 979 project groups of 100), 200 calendars. Each project
group is granted modify on one calendar, each team modify_own on ten; 1,000 people add_only
directly; then (timed) "Everyone" read_only on calendar 0. Seeded through bench/seed.py
and straight into the tables.

Measured:
- **server time** of `services.access.check` and `services.access.calendars_of` (a person's
  calendars), in process, p50/p99 over 5,000 random people (half the checks on calendar 0,
  the one the 100k group reaches); and of a 100-person page of *who has access* to
  calendar 0, the first and one after 90,000 people;
- **GET /api/v1/check** and **GET /api/v1/people/{id}** through `enlist serve` with wrk
  (`-t1 -c16`), req/s and wrk's p50/p99;
- **PATCH +1,000 members** to the 100k group through SCIM, 10 requests each, before and
  after it is granted on calendar 0 (the ratio is the cost of access upkeep: the per-person
  access.changed events, computed by query in the same transaction).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import enlist_server  # noqa: E402 - bench/ is not a package
from seed import (  # noqa: E402
    SMALL_GROUPS,
    create_database,
    drop_database,
    group_id,
    seed,
    user_id,
)

from enlist.config import Settings  # noqa: E402
from enlist.domain.access import Level, Subject, SubjectType, rank  # noqa: E402
from enlist.services import access, apikeys  # noqa: E402
from enlist.store.db import Database  # noqa: E402
from enlist.store.tables import access_grants, calendars, group_members, groups  # noqa: E402

DATA = HERE / ".data"
USERS = 100_000
GROUPS = 1_000
CALENDARS = 200
PROJECT_SIZE = 100
DIRECT = 1_000
POOL = 10_000  # users outside "Everyone": 10 requests of 1,000 additions, twice
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
EVERYONE_PK = SMALL_GROUPS + 1


def calendar_id(c: int) -> str:
    return hashlib.md5(f"bench-calendar-{c}".encode()).hexdigest()


def _project_id(g: int) -> str:
    return hashlib.md5(f"bench-project-{g}".encode()).hexdigest()


def seed_access(url: str, account_id: str) -> None:
    """Calendars, the project groups and their members, and the grants."""
    engine = create_engine(url)
    chance = random.Random(7)
    with engine.begin() as conn:
        organization = conn.execute(
            text("SELECT organization_id FROM groups WHERE pk = 1")
        ).scalar_one()
        conn.execute(
            insert(calendars),
            [
                {
                    "id": calendar_id(c),
                    "account_id": account_id,
                    "name": f"Calendar {c:03d}",
                    "plan": "enterprise",
                    "created": MOMENT,
                }
                for c in range(CALENDARS)
            ],
        )
        first_project = EVERYONE_PK + 1
        projects = range(first_project, GROUPS + 1)
        conn.execute(
            insert(groups),
            [
                {
                    "pk": g,
                    "id": _project_id(g),
                    "account_id": account_id,
                    "organization_id": organization,
                    "display_name": f"Project {g:04d}",
                    "display_name_lower": f"project {g:04d}",
                    "external_id": None,
                    "created": MOMENT,
                    "last_modified": MOMENT,
                    "version": 1,
                }
                for g in projects
            ],
        )
        members = []
        for g in projects:
            for u in chance.sample(range(1, USERS + 1), PROJECT_SIZE):
                members.append(
                    {"group_pk": g, "user_pk": u, "account_id": account_id, "added": MOMENT}
                )
        for start in range(0, len(members), 5_000):
            conn.execute(insert(group_members), members[start : start + 5_000])
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('groups', 'pk'), "
                    "(SELECT max(pk) FROM groups))"
                )
            )
        grants: list[dict[str, Any]] = []

        def grant(c: int, kind: str, subject: str, pk: int, level: Level) -> None:
            grants.append(
                {
                    "account_id": account_id,
                    "calendar_id": calendar_id(c),
                    "subject_type": kind,
                    "subject_id": subject,
                    "group_pk": pk if kind == "group" else None,
                    "user_pk": pk if kind == "user" else None,
                    "level_rank": rank(level),
                    "created": MOMENT,
                    "updated": MOMENT,
                }
            )

        for g in projects:
            grant(g % CALENDARS, "group", _project_id(g), g, Level.modify)
        for team in range(1, SMALL_GROUPS + 1):
            for c in range(10):
                grant((team * 10 + c) % CALENDARS, "group", _team_id(team), team, Level.modify_own)
        for u in chance.sample(range(1, USERS + 1), DIRECT):
            grant(chance.randrange(CALENDARS), "user", user_id(u), u, Level.add_only)
        unique = {(g["calendar_id"], g["subject_type"], g["subject_id"]): g for g in grants}
        conn.execute(insert(access_grants), list(unique.values()))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def _team_id(team: int) -> str:
    return group_id(team)


def _timed(calls: Iterator[Any]) -> dict[str, float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(len(times) * 0.99)], 3),
        "n": len(times),
    }


def in_process(url: str, account_id: str) -> dict[str, Any]:
    db = Database.open(url)
    chance = random.Random(3)
    people = [user_id(chance.randint(1, USERS)) for _ in range(5_000)]
    cals = [calendar_id(0 if n % 2 else chance.randrange(CALENDARS)) for n in range(5_000)]
    for person, cal in zip(people[:200], cals[:200], strict=True):  # warm the caches
        access.check(db, account_id, person, cal)
    check = _timed(
        (lambda p=p, c=c: access.check(db, account_id, p, c))
        for p, c in zip(people, cals, strict=True)
    )
    theirs = _timed((lambda p=p: access.calendars_of(db, account_id, p)) for p in people[:2_000])
    sample = access.calendars_of(db, account_id, people[0])
    first_page = _timed(
        (lambda: access.people_with_access(db, account_id, calendar_id(0), limit=100))
        for _ in range(20)
    )
    deep_page = _timed(
        (lambda: access.people_with_access(db, account_id, calendar_id(0), after=90_000, limit=100))
        for _ in range(20)
    )
    db.dispose()
    return {
        "check": check,
        "calendars_of": theirs,
        "sample_calendars": len(sample.calendars),
        "who_has_access_first_100": first_page,
        "who_has_access_page_after_90000": deep_page,
    }


def wrk_run(
    base: str, key: str, mode: str, people: Path, cals: Path, duration: int
) -> dict[str, Any]:
    env = dict(
        os.environ,
        BENCH_KEY=key,
        BENCH_MODE=mode,
        BENCH_PEOPLE=str(people),
        BENCH_CALENDARS=str(cals),
    )
    command = [
        "wrk",
        "-t1",
        "-c16",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(HERE / "access.lua"),
        base,
    ]
    subprocess.run([*command[:3], "-d1s", *command[4:]], env=env, capture_output=True, check=False)
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False).stdout
    found: dict[str, Any] = {"mode": mode}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            found["rps"] = float(parts[1])
        elif parts and parts[0] in ("50%", "99%"):
            found[f"p{parts[0][:-1]}"] = parts[1]
        elif line.strip().startswith("Non-2xx"):
            found["errors"] = int(parts[-1])
    return found


def member_adds(
    base: str, token: str, group: str, pool: list[str], requests: int
) -> dict[str, Any]:
    times = []
    with httpx.Client(
        base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        for n in range(requests):
            batch = pool[n * 1_000 : (n + 1) * 1_000]
            body = {
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": u} for u in batch]}
                ]
            }
            started = time.perf_counter()
            answer = client.patch(f"/Groups/{group}", json=body)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code in (200, 204), answer.text
    return {
        "p50_ms": round(statistics.median(times), 1),
        "mean_ms": round(statistics.mean(times), 1),
        "n": len(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    name = "enlist_bench_access" if args.backend == "postgresql" else "access-100000"
    started = time.monotonic()
    url = create_database(args.backend, name, DATA)
    dataset = seed(url, args.backend, USERS, DATA / "access", big_group=USERS, pool=2 * POOL)
    seed_access(url, dataset.account_id)
    print(f"seeded in {time.monotonic() - started:.0f} s", flush=True)
    results: dict[str, Any] = {"backend": args.backend}
    try:
        db = Database.open(url)
        key = apikeys.create_api_key(db, dataset.account_id, secret_key=Settings().secret_key).key
        db.dispose()
        chance = random.Random(5)
        people_file, cals_file = DATA / "access-people.txt", DATA / "access-calendars.txt"
        people = [user_id(chance.randint(1, USERS)) for _ in range(20_000)]
        people_file.write_text("".join(f"{p}\n" for p in people))
        cals = [calendar_id(0 if n % 2 else n % CALENDARS) for n in range(400)]
        cals_file.write_text("".join(f"{c}\n" for c in cals))
        pool = Path(str(dataset.pool_file)).read_text().split()
        group = str(dataset.big_group_id)
        with enlist_server(dataset) as srv:
            results["adds_ungranted"] = member_adds(srv.base, dataset.token, group, pool[:POOL], 10)
            print(json.dumps({"adds_ungranted": results["adds_ungranted"]}), flush=True)
            started = time.perf_counter()
            grant_everyone(url, group)
            results["grant_100k_group_s"] = round(time.perf_counter() - started, 2)
            results["adds_granted"] = member_adds(srv.base, dataset.token, group, pool[POOL:], 10)
            ratio = results["adds_granted"]["p50_ms"] / results["adds_ungranted"]["p50_ms"]
            results["adds_ratio"] = round(ratio, 2)
            print(
                json.dumps(
                    {k: results[k] for k in ("grant_100k_group_s", "adds_granted", "adds_ratio")}
                ),
                flush=True,
            )
            results["server_time"] = in_process(url, dataset.account_id)
            print(json.dumps(results["server_time"]), flush=True)
            for mode in ("check", "person"):
                results[mode] = wrk_run(srv.base, key, mode, people_file, cals_file, args.duration)
                print(json.dumps(results[mode]), flush=True)
    finally:
        if not args.keep:
            drop_database(args.backend, name, DATA)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


def grant_everyone(url: str, group: str) -> None:
    """Grant the 100k group read_only on calendar 0 (with its 100k per-person events)."""
    db = Database.open(url)
    try:
        calendar = calendar_id(0)
        account = access.calendar_account(db, calendar)
        access.grant(db, account, calendar, Subject(SubjectType.group, group), Level.read_only)
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
