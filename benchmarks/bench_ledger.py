"""Store throughput on one SQLite file: reserve+settle pairs/s with 1, 2 and 4 processes, and free rows/s.

Each process opens its own store (as each gateway worker does) and runs
`--concurrency` coroutines that each reserve against a cap, then settle it,
for `--seconds`. Every reservation is durable (BEGIN IMMEDIATE, committed to
the WAL) before settle starts; processes take turns on SQLite's one writer,
and group commit shares a transaction among whatever is queued in a process.
Also: free rows (record) per second from one process. Run:

    python benchmarks/bench_ledger.py [--seconds 3] [--concurrency 32] [--processes 1,2,4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tiergate.stores import AttemptRecord, Hold, Reservation, open_store

CAPS = {"provider:cloud": 10**18, "total": 10**18}


def row(n: str, cost: int) -> AttemptRecord:
    return AttemptRecord(
        request_id=n, attempt=1, tenant=None, provider="cloud", model="m", tier=3,
        rule="default", classification="internal", classification_source="default", egress=True,
        prompt_tokens=120, completion_tokens=40, cost_pico=cost, reserved_pico=0,
        latency_ms=3.2, outcome="ok",
    )  # fmt: skip


async def pairs(url: str, seconds: float, concurrency: int, tag: str, start_at: float) -> int:
    store = await open_store(url, owner=f"bench-{tag}")
    await asyncio.sleep(max(0.0, start_at - time.time()))  # every process measures one window
    done = 0
    stop = time.monotonic() + seconds

    async def worker(w: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < stop:
            rid = f"{tag}-{w}-{n}"
            held = await store.reserve(Hold(rid, 1, "cloud", None, 5_000_000, CAPS))
            assert isinstance(held, Reservation)
            await store.settle(held, row(rid, 1_234_567))
            n += 1
            done += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    await store.close()
    return done


async def records(url: str, count: int) -> float:
    store = await open_store(url, owner="bench-records")
    start = time.perf_counter()
    await asyncio.gather(*(store.record(row(f"free-{n}", 0)) for n in range(count)))
    elapsed = time.perf_counter() - start
    await store.close()
    return count / elapsed


def child(args: argparse.Namespace) -> None:
    done = asyncio.run(pairs(args.url, args.seconds, args.concurrency, args.tag, args.start_at))
    print(json.dumps({"pairs": done}))


def run(processes: int, args: argparse.Namespace, url: str) -> float:
    start_at = time.time() + 3.0  # after every child has imported and opened its store
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                "--url",
                url,
                "--tag",
                f"p{processes}-{i}",
                "--seconds",
                str(args.seconds),
                "--concurrency",
                str(args.concurrency),
                "--start-at",
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    total = 0
    for p in procs:
        out, _ = p.communicate(timeout=args.seconds * 10 + 60)
        total += json.loads(out)["pairs"]
    return total / args.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--url")
    parser.add_argument("--tag", default="p")
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"reserve+settle pairs/s on one SQLite file ({args.concurrency} in flight per "
              f"process, {args.seconds:g} s each):")  # fmt: skip
        for n in (int(p) for p in args.processes.split(",")):
            url = f"sqlite:///{Path(tmp) / f'bench-{n}.db'}"
            print(f"  {n} process{'es' if n > 1 else '  '}: {run(n, args, url):10,.0f} pairs/s")
        url = f"sqlite:///{Path(tmp) / 'records.db'}"
        rate = asyncio.run(records(url, 20_000))
        print(f"free rows (record, group-committed), 1 process: {rate:10,.0f} rows/s")


if __name__ == "__main__":
    main()
