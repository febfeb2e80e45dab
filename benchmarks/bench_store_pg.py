"""Reservations per second against one PostgreSQL, from 1, 2 and 4 gateway processes.

Each process opens its own PostgresStore (its own pool, its own owner row, as a
replica does) and runs the per-request money path as fast as it can with
`--concurrency` requests in flight: reserve (one stored-function call that
locks the provider and `total` rows) then settle (group-committed with the
ledger row and the hash chain). Every reservation fits (the caps are huge), so
each one takes the lock on the same `total` row: this measures the hot spot
that docs/budget-slices.md is about.

    .venv/bin/python benchmarks/bench_store_pg.py                 # starts a throwaway PostgreSQL
    .venv/bin/python benchmarks/bench_store_pg.py --url postgresql://user@host/db

Without --url it starts one like the tests do (tests/pg.py: fsync and
synchronous_commit off; --durable turns both on, as a production server runs).
Not a test: figures vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tiergate.stores import AttemptRecord, Hold, Reservation, open_store

CAPS = {"provider:openai": 10**18, "tenant:acme": 10**18, "total": 10**18}


def record(request_id: str) -> AttemptRecord:
    return AttemptRecord(
        request_id=request_id, attempt=0, tenant="acme", provider="openai", model="gpt-4o",
        tier=3, rule="critical", classification="internal", classification_source="default",
        egress=True, prompt_tokens=100, completion_tokens=20, cost_pico=1_000,
        reserved_pico=0, latency_ms=1.0, outcome="ok",
    )  # fmt: skip


async def worker(url: str, name: str, seconds: float, concurrency: int) -> dict[str, Any]:
    store = await open_store(url, owner=name)
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    done = 0

    async def loop(lane: int) -> None:
        nonlocal done
        i = 0
        while time.monotonic() < stop:
            request_id = f"{name}-{lane}-{i}"
            started = time.perf_counter()
            got = await store.reserve(Hold(request_id, 0, "openai", "acme", 2_000, CAPS))
            latencies.append(time.perf_counter() - started)
            assert isinstance(got, Reservation), got
            await store.settle(got, record(request_id))
            done += 1
            i += 1

    await asyncio.gather(*(loop(lane) for lane in range(concurrency)))
    await store.close()
    latencies.sort()
    return {
        "done": done,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def run_process(
    url: str, name: str, seconds: float, concurrency: int, start: Any, out: Any
) -> None:
    start.wait()
    out.put(asyncio.run(worker(url, name, seconds, concurrency)))


def measure(url: str, processes: int, seconds: float, concurrency: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=run_process,
            args=(url, f"bench-{processes}-{i}", seconds, concurrency, start, out),
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    time.sleep(1.0)  # let every process import and get ready
    start.set()
    results = [out.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    done = sum(r["done"] for r in results)
    return {
        "processes": processes,
        "reservations_per_s": done / seconds,
        "p50_reserve_ms": max(r["p50_ms"] for r in results),
        "p99_reserve_ms": max(r["p99_ms"] for r in results),
    }


PGBENCH_SCRIPT = """\\set n random(1, 1000000000)
SELECT tiergate.release((SELECT reservation_id FROM tiergate.reserve('pgbench', 'r' || :n, 0,
  'openai', 'acme', 2000, '{provider:openai,tenant:acme,total}',
  '{provider:openai,tenant:acme,total}', '{1000000000000000000,1000000000000000000,1000000000000000000}',
  't' || :n)));
"""


# What a reservation inside a leased slice would cost (docs/budget-slices.md): a durable insert
# of its row, with no shared row locked.
PGBENCH_SLICE_SCRIPT = """\\set n random(1, 1000000000)
INSERT INTO tiergate.reservations (month, request_id, attempt, provider, tenant, pico, scopes, owner)
  VALUES ('2000-01', 'r' || :n, 0, 'openai', 'acme', 2000, '{provider:openai,tenant:acme,total}',
  'pgbench');
"""


def pgbench(
    url: str, bin_dir: Path, clients: int, seconds: float, script: str = PGBENCH_SCRIPT
) -> float:
    """The database's own ceiling: reserve + release from `clients` pgbench connections (no
    Python, no ledger row), each locking the same provider/tenant/total rows twice."""
    import re
    import subprocess
    import tempfile
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    argv = [str(bin_dir / "pgbench"), "-n", "-f", f.name, "-c", str(clients), "-j", str(clients),
            "-T", str(int(seconds)), "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres", parts.path.lstrip("/")]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    Path(f.name).unlink()
    found = re.search(r"tps = ([0-9.]+)", done.stdout)
    assert found, done.stdout + done.stderr
    return float(found.group(1))


def register_pgbench_owner(url: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(url)
        await conn.execute(
            "INSERT INTO tiergate.owners (owner, lease_until) VALUES ('pgbench', 'infinity') "
            "ON CONFLICT DO NOTHING"
        )
        await conn.close()

    asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL database (default: start a throwaway one)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per process")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument(
        "--durable", action="store_true",
        help="the throwaway PostgreSQL with fsync and synchronous_commit on, as in production",
    )  # fmt: skip
    args = parser.parse_args()
    cluster = None
    url = args.url
    if url is None:
        from tests.pg import PostgresCluster, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            sys.exit("no PostgreSQL server binaries: apt-get install postgresql, or pass --url")
        cluster = PostgresCluster(bin_dir, durable_commits=args.durable, fsync=args.durable)
        cluster.init()
        cluster.start()
        url = cluster.database("bench")
    try:
        print(
            f"{'processes':>9}  {'reservations/s':>14}  {'p50 reserve ms':>14}  {'p99 reserve ms':>14}"
        )
        for label, target in (("exact, per request", url),
                              ("inside leased slices ($1 each)", url + "?budget_slice_usd=1")):  # fmt: skip
            print(label)
            for n in (int(x) for x in args.processes.split(",")):
                r = measure(target, n, args.seconds, args.concurrency)
                print(f"{r['processes']:>9}  {r['reservations_per_s']:>14.0f}  "
                      f"{r['p50_reserve_ms']:>14.2f}  {r['p99_reserve_ms']:>14.2f}")  # fmt: skip
        from tests.pg import find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is not None and (bin_dir / "pgbench").exists():
            register_pgbench_owner(url)
            print("\npgbench (reserve + release in SQL, the hot rows' own ceiling)")
            for n in (int(x) for x in args.processes.split(",")):
                print(f"{n:>9} clients  {pgbench(url, bin_dir, n, args.seconds):>8.0f} per s")
            print("\npgbench (insert a reservation row only: the per-request cost inside a slice)")
            for n in (int(x) for x in args.processes.split(",")):
                rate = pgbench(url, bin_dir, n, args.seconds, PGBENCH_SLICE_SCRIPT)
                print(f"{n:>9} clients  {rate:>8.0f} per s")
    finally:
        if cluster is not None:
            cluster.destroy()


if __name__ == "__main__":
    main()
