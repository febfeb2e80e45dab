"""Ledger throughput: rows/s for sequential record() calls and for 64 concurrent callers.

Each row is durable (committed, WAL, synchronous=NORMAL) before its caller's
await returns; concurrency shows what group commit buys. Also times the
reserve -> settle pair the router makes per paid attempt. Run:

    python benchmarks/bench_ledger.py [rows]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from tiergate.budget import Budget
from tiergate.config import parse_config
from tiergate.ledger import AttemptRecord, Ledger

CONFIG = """
store: sqlite:///{path}
providers:
  - {{name: cloud, protocol: openai, base_url: "https://api.example/v1", api_key: k, tier: 3,
     models: {{default: m}}, prices: {{default: {{input_per_mtok: 1}}}}, monthly_budget_usd: 1000000}}
budget: {{monthly_total_usd: 1000000}}
"""


def row(n: int, cost: int = 0) -> AttemptRecord:
    return AttemptRecord(
        request_id=f"req-{n:08d}",
        attempt=1,
        tenant=None,
        provider="cloud",
        model="m",
        tier=3,
        rule="default",
        classification="internal",
        classification_source="default",
        egress=True,
        prompt_tokens=812,
        completion_tokens=230,
        cost_micros=cost,
        reserved_micros=cost,
        latency_ms=412.5,
        outcome="ok",
    )


async def sequential(ledger: Ledger, rows: int) -> float:
    start = time.perf_counter()
    for n in range(rows):
        await ledger.record(row(n))
    return rows / (time.perf_counter() - start)


async def concurrent(ledger: Ledger, rows: int, callers: int) -> float:
    async def caller(first: int) -> None:
        for n in range(first, rows, callers):
            await ledger.record(row(n))

    start = time.perf_counter()
    await asyncio.gather(*(caller(c) for c in range(callers)))
    return rows / (time.perf_counter() - start)


async def reserve_settle(budget: Budget, pairs: int, callers: int) -> float:
    async def caller(first: int) -> None:
        for n in range(first, pairs, callers):
            res = await budget.reserve(
                request_id=f"p{n}", attempt=1, provider="cloud", tenant=None, micros=100
            )
            assert res is not None
            await budget.settle(res, row(n, 60))

    start = time.perf_counter()
    await asyncio.gather(*(caller(c) for c in range(callers)))
    return pairs / (time.perf_counter() - start)


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        ledger = await Ledger.open(str(path))
        seq = await sequential(ledger, rows)
        commits_before, ops_before = ledger.stats
        con = await concurrent(ledger, rows * 4, 64)
        commits, ops = ledger.stats
        per_commit = (ops - ops_before) / max(1, commits - commits_before)
        config = parse_config(CONFIG.format(path=path), env={})
        budget = await Budget.open(config, ledger)
        pairs1 = await reserve_settle(budget, rows // 2, 1)
        pairs64 = await reserve_settle(budget, rows * 2, 64)
        await budget.close()
        await ledger.close()
    print(f"record(), sequential:        {seq:10,.0f} rows/s")
    print(f"record(), 64 concurrent:     {con:10,.0f} rows/s ({per_commit:.1f} rows per commit)")
    print(f"reserve+settle, sequential:  {pairs1:10,.0f} attempts/s")
    print(f"reserve+settle, 64 callers:  {pairs64:10,.0f} attempts/s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
