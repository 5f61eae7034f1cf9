"""Run Enlist's benchmarks with wrk, side by side with the stack's ceiling and scim2-server.

    .venv/bin/python bench/run.py reads   --users 100000 --backend postgresql
    .venv/bin/python bench/run.py writes  --users 100000 --backend sqlite
    .venv/bin/python bench/run.py groups  --backend postgresql
    .venv/bin/python bench/run.py import  --users 100000 --backend sqlite
    .venv/bin/python bench/run.py workers --users 100000
    .venv/bin/python bench/run.py all     # every one of the above; prints the Markdown table

Each command seeds what it needs (bench/.data for SQLite files and the seeded ids; PostgreSQL
databases named enlist_bench_*, dropped at the end unless --keep), starts the servers on
loopback ports, runs wrk, stops everything, and prints a Markdown table (and --json FILE
writes the raw numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from seed import Dataset, create_database, drop_database, seed  # noqa: E402 - bench/ is not a package

PYTHON = sys.executable
DATA = HERE / ".data"
LUA = HERE / "scim.lua"
CONCURRENT = ["get", "filter", "page_first", "page_deep"]
WRITES = ["post", "put", "patch"]
LABELS = {
    "get": "GET /Users/{id}",
    "filter": "GET /Users?filter=userName eq",
    "page_first": "100-user page, first",
    "page_deep": "100-user page, deep",
    "post": "POST /Users",
    "put": "PUT /Users/{id}",
    "patch": "PATCH deactivate",
    "group_add": "PATCH +1,000 members (100k group)",
    "group_remove": "PATCH remove members[value eq]",
    "import": "Okta import (all pages)",
}
BIG_GROUP = 100_000
POOL = 100_000  # users outside the big group: 100 requests of 1,000 additions


@dataclass
class Result:
    op: str
    target: str  # enlist | ceiling | scim2-server
    backend: str
    users: int
    workers: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # server CPU time per request (its processes only, not the database's)
    load: float = 0.0  # the machine's 1-minute load average when the run ended
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _family(pid: int) -> list[int]:
    """A server process and its children (uvicorn's workers)."""
    try:
        found = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        )
        children = found.stdout.split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a server and its workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for one in _family(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers), in MB."""
    total = 0
    for one in _family(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


@dataclass
class Server:
    name: str
    base: str
    pid: int
    prefix: str


@contextmanager
def server(
    name: str, command: list[str], env: dict[str, str], prefix: str, port: int, startup: float = 600
) -> Iterator[Server]:
    log = (DATA / f"{name}.log").open("w")  # closed in the finally below
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=HERE.parent,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: see {DATA / (name + '.log')}")
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.2)
        yield Server(name, base, process.pid, prefix)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def enlist_server(dataset: Dataset, workers: int = 1) -> Any:
    port = free_port()
    env = dict(os.environ, ENLIST_DATABASE_URL=dataset.url, ENLIST_RATE_LIMIT_PER_SECOND="0")
    command = [PYTHON, "-m", "enlist", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    return server(f"enlist-{workers}w", command, env, "/scim/v2", port)


def ceiling_server(token: str) -> Any:
    port = free_port()
    env = dict(os.environ, BENCH_TOKEN=token)
    return server(
        "ceiling",
        [PYTHON, str(HERE / "serve_asgi.py"), "ceiling:app", str(port)],
        env,
        "/scim/v2",
        port,
    )


def reference_server(token: str, users: int, out: Path, big_group: int = 0, pool: int = 0) -> Any:
    port = free_port()
    env = dict(
        os.environ,
        BENCH_TOKEN=token,
        BENCH_REF_USERS=str(users),
        BENCH_REF_BIG_GROUP=str(big_group),
        BENCH_REF_POOL=str(pool),
        BENCH_REF_OUT=str(out),
    )
    command = [PYTHON, str(HERE / "serve_asgi.py"), "reference:create_app", str(port), "--factory"]
    return server("scim2-server", command, env, "/v2", port)


# wrk ----------------------------------------------------------------------------------


@dataclass
class Load:
    """What a wrk run needs besides the mode: the ids and counts of one seeded directory."""

    token: str
    ids_file: str
    users: int
    groups: int = 20
    group_id: str = ""
    pool_file: str = ""
    member_file: str = ""


def wrk(
    srv: Server,
    mode: str,
    load: Load,
    *,
    duration: float,
    connections: int = 16,
    limit: int | None = None,
) -> dict[str, Any]:
    env = dict(
        os.environ,
        BENCH_MODE=mode,
        BENCH_PREFIX=srv.prefix,
        BENCH_TOKEN=load.token,
        BENCH_IDS=load.ids_file,
        BENCH_POOL=load.pool_file,
        BENCH_MEMBERS=load.member_file,
        BENCH_GROUP=load.group_id,
        BENCH_USERS=str(load.users),
        BENCH_GROUPS=str(load.groups),
        BENCH_RUN=uuid.uuid4().hex[:8],
    )
    if limit is not None:
        env["BENCH_LIMIT"] = str(limit)
    sequential = mode in ("group_add", "group_remove", "import")
    command = [
        "wrk",
        "-t1",
        f"-c{1 if sequential else connections}",
        f"-d{max(1, int(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(LUA),
        srv.base + "/",
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk printed no result: {done.stdout}\n{done.stderr}")
    return json.loads(lines[-1])


def measure(
    srv: Server,
    target: str,
    mode: str,
    load: Load,
    backend: str,
    workers: int,
    duration: float,
    limit: int | None = None,
    warm: bool = True,
) -> Result:
    if warm and mode in CONCURRENT:
        wrk(srv, mode, load, duration=1)
    cpu_before = cpu_seconds(srv.pid)
    raw = wrk(srv, mode, load, duration=duration, limit=limit)
    cpu = cpu_seconds(srv.pid) - cpu_before
    seconds = raw["duration_us"] / 1e6
    rps = raw["requests"] / seconds if seconds else 0.0
    note = ""
    if mode == "import":
        pages = -(-load.users // 100) + -(-load.groups // 100)
        if raw["requests"] < pages:
            note = f"unfinished: {raw['requests']} of {pages} pages in {duration:.0f} s"
    result = Result(
        note=note,
        op=mode,
        target=target,
        backend=backend,
        users=load.users,
        workers=workers,
        requests=raw["requests"],
        duration_s=round(seconds, 3),
        rps=round(rps, 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        errors=raw["errors"],
        cpu_us=round(cpu / max(raw["requests"], 1) * 1e6),
        load=os.getloadavg()[0],
    )
    print(
        f"  {target:12} {backend:10} {load.users:>8} {mode:13} {result.rps:>9.1f} req/s "
        f"p50 {result.p50_ms:>8.2f} ms  p99 {result.p99_ms:>8.2f} ms  "
        f"cpu {result.cpu_us:>6.0f} us/req  "
        f"n={result.requests} err={result.errors} load={result.load:.1f}"
        f"{' first=' + str(raw['first_error']) if raw.get('first_error') else ''}",
        flush=True,
    )
    return result


# datasets -----------------------------------------------------------------------------


def dataset_name(backend: str, users: int, kind: str) -> str:
    return f"enlist_bench_{kind}_{users}" if backend == "postgresql" else f"{kind}-{users}"


def make_dataset(backend: str, users: int, kind: str = "dir") -> Dataset:
    name = dataset_name(backend, users, kind)
    started = time.monotonic()
    url = create_database(backend, name, DATA)
    if kind == "groups":
        dataset = seed(
            url, backend, users, DATA / f"{backend}-{name}", big_group=BIG_GROUP, pool=POOL
        )
    else:
        dataset = seed(url, backend, users, DATA / f"{backend}-{name}")
    print(
        f"  seeded {backend} {kind} {users} users in {time.monotonic() - started:.1f} s", flush=True
    )
    return dataset


def drop(dataset: Dataset, kind: str = "dir") -> None:
    drop_database(dataset.backend, dataset_name(dataset.backend, dataset.users, kind), DATA)


def load_of(dataset: Dataset) -> Load:
    return Load(
        token=dataset.token,
        ids_file=dataset.ids_file,
        users=dataset.users,
        group_id=dataset.big_group_id or "",
        pool_file=dataset.pool_file or "",
        member_file=dataset.member_file or "",
    )


def reference_load(out: Path, token: str, users: int) -> Load:
    data = json.loads(out.read_text())
    ids = out.with_suffix(".ids")
    ids.write_text("".join(f"{i} {n}\n" for i, n in data["ids"]))
    load = Load(
        token=token, ids_file=str(ids), users=users, groups=1 if data.get("big_group_id") else 0
    )
    if data.get("big_group_id"):
        pool, members = out.with_suffix(".pool"), out.with_suffix(".members")
        pool.write_text("".join(f"{i}\n" for i in data["pool"]))
        members.write_text("".join(f"{i}\n" for i in data["members"]))
        load.group_id, load.pool_file, load.member_file = (
            data["big_group_id"],
            str(pool),
            str(members),
        )
    return load


# benchmarks ---------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: list[Result] = []
        self.rss: list[dict[str, Any]] = []
        self._ceiling: dict[str, Result] = {}
        self._reference: dict[tuple[str, int], Result] = {}
        DATA.mkdir(exist_ok=True)

    def save(self) -> None:
        if self.args.json:
            raw = {"results": [asdict(r) for r in self.results], "rss": self.rss}
            self.args.json.write_text(json.dumps(raw, indent=2))

    # comparison servers, measured once per operation (and size) in a run --------------
    def ceiling(self, modes: list[str], load: Load) -> None:
        missing = [m for m in modes if m not in self._ceiling]
        if not missing:
            return
        with ceiling_server(load.token) as srv:
            for mode in missing:
                ceiling_load = Load(**{**asdict(load), "users": load.users})
                self._ceiling[mode] = measure(
                    srv,
                    "ceiling",
                    mode,
                    ceiling_load,
                    "-",
                    1,
                    self._duration(mode),
                    limit=self._limit(mode, load),
                )
                self.results.append(self._ceiling[mode])

    def reference(self, modes: list[str], users: int, token: str, groups: bool = False) -> None:
        if self.args.no_reference or users > self.args.reference_max:
            return
        missing = [m for m in modes if (m, users) not in self._reference]
        if not missing:
            return
        out = DATA / f"scim2-server-{users}{'-groups' if groups else ''}.json"
        started = time.monotonic()
        big, pool = (BIG_GROUP, POOL) if groups else (0, 0)
        with reference_server(token, users if not groups else BIG_GROUP, out, big, pool) as srv:
            print(
                f"  scim2-server ready with {users + pool} users "
                f"in {time.monotonic() - started:.1f} s",
                flush=True,
            )
            load = reference_load(out, token, users)
            # Its pages and imports are slow (every resource is copied and sorted): run them
            # last, so the requests they leave queued do not stall the other measurements.
            slow = ("page_first", "page_deep", "import")
            for mode in sorted(missing, key=lambda m: m in slow):
                seconds = (
                    self.args.reference_import_seconds if mode == "import" else self._duration(mode)
                )
                result = measure(
                    srv,
                    "scim2-server",
                    mode,
                    load,
                    "memory",
                    1,
                    seconds,
                    limit=self._limit(mode, load),
                )
                self._reference[(mode, users)] = result
                self.results.append(result)
            self.rss.append(
                {
                    "target": "scim2-server",
                    "users": users + pool,
                    "rss_mb": round(rss_mb(srv.pid), 1),
                }
            )

    def _duration(self, mode: str) -> float:
        if mode == "import":
            return self.args.import_seconds
        if mode.startswith("group_"):
            return self.args.duration * 4
        return self.args.duration

    def _limit(self, mode: str, load: Load) -> int | None:
        if mode == "group_add":
            return self.args.group_requests
        if mode == "group_remove":
            return self.args.remove_requests
        return None

    # enlist ----------------------------------------------------------------------------
    def directory(self, backend: str, users: int, modes: list[str]) -> None:
        dataset = make_dataset(backend, users)
        load = load_of(dataset)
        try:
            with enlist_server(dataset) as srv:
                for mode in modes:
                    if mode == "import" and users > self.args.import_max:
                        continue
                    self.results.append(
                        measure(srv, "enlist", mode, load, backend, 1, self._duration(mode))
                    )
                self.rss.append(
                    {
                        "target": "enlist",
                        "backend": backend,
                        "users": users,
                        "rss_mb": round(rss_mb(srv.pid), 1),
                    }
                )
                print(f"  enlist RSS after the runs: {self.rss[-1]['rss_mb']} MB", flush=True)
        finally:
            if not self.args.keep:
                drop(dataset)
        self.ceiling([m for m in modes if m != "import" or users <= self.args.import_max], load)
        self.reference(modes, users, dataset.token)

    def groups(self, backend: str) -> None:
        dataset = make_dataset(backend, BIG_GROUP, "groups")
        load = load_of(dataset)
        modes = ["group_add", "group_remove"]
        try:
            with enlist_server(dataset) as srv:
                for mode in modes:
                    self.results.append(
                        measure(
                            srv,
                            "enlist",
                            mode,
                            load,
                            backend,
                            1,
                            self._duration(mode),
                            limit=self._limit(mode, load),
                        )
                    )
        finally:
            if not self.args.keep:
                drop(dataset, "groups")
        self.ceiling(modes, load)
        self.reference(modes, BIG_GROUP, dataset.token, groups=True)

    def workers(self, users: int) -> None:
        dataset = make_dataset("postgresql", users)
        load = load_of(dataset)
        try:
            for workers in (1, 2):
                with enlist_server(dataset, workers) as srv:
                    for mode in ("get", "filter", "page_first"):
                        self.results.append(
                            measure(
                                srv, "enlist", mode, load, "postgresql", workers, self.args.duration
                            )
                        )
        finally:
            if not self.args.keep:
                drop(dataset)


# the report -----------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def report(bench: Bench) -> str:
    results = bench.results
    ceiling = {r.op: r for r in results if r.target == "ceiling"}
    reference = {(r.op, r.users): r for r in results if r.target == "scim2-server"}
    rows = [
        (
            "| operation | backend | users | workers | Enlist req/s | p50 ms | p99 ms "
            "| CPU µs/req | errors | "
            "ceiling req/s | ÷ ceiling | scim2-server req/s | scim2-server p50 ms "
            "| × scim2-server | load |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.target != "enlist":
            continue
        c = ceiling.get(r.op)
        ref_users = BIG_GROUP if r.op.startswith("group_") else r.users
        s = reference.get((r.op, ref_users))
        label = LABELS[r.op]
        if r.op == "import":
            label += f" ({r.requests} pages, {r.duration_s:.2f} s)"
        if s is not None and s.note:
            label += f" (scim2-server {s.note})"
        rows.append(
            f"| {label} | {r.backend} | {r.users:,} | {r.workers} | {_fmt(r.rps)} "
            f"| {_fmt(r.p50_ms, 2)} | "
            f"{_fmt(r.p99_ms, 2)} | {_fmt(r.cpu_us, 0)} | {r.errors} "
            f"| {_fmt(c.rps if c else None)} | "
            f"{(f'{r.rps / c.rps:.0%}' if c and c.rps else '–')} | {_fmt(s.rps if s else None)} | "
            f"{_fmt(s.p50_ms if s else None, 2)} "
            f"| {(f'{r.rps / s.rps:.1f}x' if s and s.rps else '–')} | "
            f"{r.load:.1f} |"
        )
    if bench.rss:
        rows += ["", "| server | backend | users | RSS MB |", "|---|---|---:|---:|"]
        rows += [
            f"| {m['target']} | {m.get('backend', 'memory')} | {m['users']:,} | {m['rss_mb']} |"
            for m in bench.rss
        ]
    return "\n".join(rows)


def _key(r: Result) -> tuple[str, str, str, int, int]:
    return (r.op, r.target, r.backend, r.users, r.workers)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command", choices=["reads", "writes", "groups", "import", "workers", "all", "report"]
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=float, default=8, help="seconds per wrk run")
    parser.add_argument(
        "--group-requests", type=int, default=50, help="adds of 1,000 members measured"
    )
    parser.add_argument(
        "--remove-requests", type=int, default=1000, help="filtered removals measured"
    )
    parser.add_argument(
        "--import-max", type=int, default=100_000, help="largest directory imported"
    )
    parser.add_argument(
        "--import-seconds", type=float, default=120, help="time allowed for one import"
    )
    parser.add_argument(
        "--reference-import-seconds",
        type=float,
        default=30,
        help="time allowed for scim2-server's import (it pages slowly)",
    )
    parser.add_argument(
        "--reference-max", type=int, default=100_000, help="largest scim2-server seeded"
    )
    parser.add_argument("--no-reference", action="store_true", help="skip scim2-server")
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    parser.add_argument("--json", type=Path, help="write the raw results here (after every stage)")
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="report: results of a later run that replace the same measurements",
    )
    args = parser.parse_args()
    bench = Bench(args)
    if args.command == "report":  # the table of an earlier run's --json file
        raw = json.loads(args.json.read_text())
        bench.results = [Result(**r) for r in raw["results"]]
        bench.rss = raw["rss"]
        for path in args.also:
            later = [Result(**r) for r in json.loads(path.read_text())["results"]]
            replaced = {_key(r): r for r in later}
            bench.results = [replaced.pop(_key(r), r) for r in bench.results] + list(
                replaced.values()
            )
        print(report(bench))
        return
    reads = CONCURRENT
    if args.command == "reads":
        bench.directory(args.backend, args.users, reads)
    elif args.command == "writes":
        bench.directory(args.backend, args.users, WRITES)
    elif args.command == "import":
        bench.directory(args.backend, args.users, ["import"])
    elif args.command == "groups":
        bench.groups(args.backend)
    elif args.command == "workers":
        bench.workers(args.users)
    else:
        for backend, users in (
            ("sqlite", 1_000),
            ("sqlite", 100_000),
            ("postgresql", 1_000),
            ("postgresql", 100_000),
        ):
            bench.directory(backend, users, [*reads, *WRITES, "import"])
            bench.save()
        bench.directory("postgresql", 1_000_000, reads)
        bench.save()
        for backend in ("sqlite", "postgresql"):
            bench.groups(backend)
            bench.save()
        bench.workers(100_000)
    bench.save()
    print()
    print(report(bench))


if __name__ == "__main__":
    main()
