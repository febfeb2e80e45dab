"""Caps under concurrency, fail-closed, restarts, month rollover and daily alerts, on a real ledger file."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tiergate.budget import Budget, Reservation, next_month_start, project
from tiergate.config import Config, parse_config
from tiergate.errors import StoreUnavailable
from tiergate.ledger import AttemptRecord, Ledger

# Caps in micro-dollars: cloud 400_000, openai 1_000_000, tenant clinic 200_000, total 500_000.
CONFIG = """
store: sqlite:///{path}
providers:
  - {{name: local, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 1,
     on_premises: true, models: {{default: small}}}}
  - {{name: cloud, protocol: ollama, base_url: "https://ollama.example", api_key: k, tier: 2,
     models: {{default: big}}, prices: {{default: {{input_per_mtok: 1, output_per_mtok: 1}}}},
     monthly_budget_usd: 0.4}}
  - {{name: openai, protocol: openai, base_url: "https://api.example/v1", api_key: k, tier: 3,
     models: {{default: best}}, prices: {{default: {{input_per_mtok: 2, output_per_mtok: 8}}}},
     monthly_budget_usd: 1}}
budget: {{monthly_total_usd: {total}, daily_alert_usd: {alert}, alert_webhook: {webhook}}}
tenants:
  - {{name: clinic, api_key_sha256: "{sha}", monthly_budget_usd: 0.2}}
"""


def make_config(
    path: Path, *, total: str = "0.5", alert: str = "null", webhook: str = "null"
) -> Config:
    text = CONFIG.format(path=path, total=total, alert=alert, webhook=webhook, sha="a" * 64)
    return parse_config(text, env={})


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def record(res: Reservation, cost: int, *, missing: bool = False) -> AttemptRecord:
    return AttemptRecord(
        request_id=res.request_id,
        attempt=res.attempt,
        tenant=res.tenant,
        provider=res.provider,
        model="big",
        tier=2,
        rule="default",
        classification="internal",
        classification_source="default",
        egress=True,
        prompt_tokens=10,
        completion_tokens=5,
        cost_micros=cost,
        reserved_micros=res.micros,
        latency_ms=5.0,
        outcome="cut" if missing else "ok",
        usage_missing=missing,
    )


@asynccontextmanager
async def opened(
    config: Config, clock: Clock, *, reconcile: bool = True, busy_timeout_ms: int = 5000
) -> AsyncIterator[tuple[Ledger, Budget]]:
    ledger = await Ledger.open(config.store_path, clock=clock, busy_timeout_ms=busy_timeout_ms)
    try:
        budget = await Budget.open(config, ledger, reconcile=reconcile)
        yield ledger, budget
        await budget.close()
    finally:
        await ledger.close()


NOV = datetime(2026, 11, 14, 9, 30, tzinfo=UTC)


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_500_concurrent_reservations_get_exactly_what_the_cap_holds(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db", total="100")
    bound = 9_999  # 400_000 // 9_999 == 40

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            granted = await asyncio.gather(
                *(
                    budget.reserve(
                        request_id=f"r{i}", attempt=1, provider="cloud", tenant=None, micros=bound
                    )
                    for i in range(500)
                )
            )
            held = [r for r in granted if r is not None]
            assert len(held) == 400_000 // bound == 40
            assert sum(r.micros for r in held) <= 400_000
            assert budget.snapshot(None)["provider:cloud"] == 400_000 - 40 * bound
            # The cap is a cap, not a guess: exactly what is left still fits, one more does not.
            left = 400_000 - 40 * bound
            assert (
                await budget.reserve(
                    request_id="x", attempt=1, provider="cloud", tenant=None, micros=left + 1
                )
                is None
            )
            assert await budget.reserve(
                request_id="y", attempt=1, provider="cloud", tenant=None, micros=left
            )

    asyncio.run(main())
    open_rows = rows(tmp_path / "l.db", "SELECT COUNT(*), SUM(micros) FROM reservations")
    assert open_rows == [(41, 400_000)]


def test_settling_below_the_reservation_frees_the_difference(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            res = await budget.reserve(
                request_id="a", attempt=1, provider="cloud", tenant=None, micros=400_000
            )
            assert res is not None
            assert (
                await budget.reserve(
                    request_id="b", attempt=1, provider="cloud", tenant=None, micros=1
                )
                is None
            )
            await budget.settle(res, record(res, 150_000))
            assert budget.snapshot(None)["provider:cloud"] == 250_000
            assert await budget.reserve(
                request_id="b", attempt=1, provider="cloud", tenant=None, micros=250_000
            )
            with pytest.raises(ValueError, match="not open"):
                await budget.settle(res, record(res, 1))

    asyncio.run(main())
    assert rows(
        tmp_path / "l.db", "SELECT cost_micros, reserved_micros, reservation_id FROM attempts"
    ) == [(150_000, 400_000, 1)]


def test_missing_usage_charges_the_whole_reservation(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            res = await budget.reserve(
                request_id="a", attempt=1, provider="cloud", tenant=None, micros=90_000
            )
            assert res is not None
            await budget.settle(res, record(res, 0, missing=True))
            assert budget.snapshot(None)["provider:cloud"] == 310_000

    asyncio.run(main())
    assert rows(tmp_path / "l.db", "SELECT cost_micros, usage_missing FROM attempts") == [
        (90_000, 1)
    ]


@pytest.mark.parametrize(
    ("first", "then", "scope"),
    [
        (("cloud", None, 400_000), ("cloud", None, 1), "provider:cloud"),
        (("openai", "clinic", 200_000), ("openai", "clinic", 1), "tenant:clinic"),
        (("cloud", None, 400_000), ("openai", None, 100_001), "total"),
    ],
)
def test_each_cap_binds_and_names_itself(
    tmp_path: Path,
    first: tuple[str, str | None, int],
    then: tuple[str, str | None, int],
    scope: str,
) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            provider, tenant, micros = first
            assert await budget.reserve(
                request_id="a", attempt=1, provider=provider, tenant=tenant, micros=micros
            )
            provider, tenant, micros = then
            assert (
                await budget.reserve(
                    request_id="b", attempt=1, provider=provider, tenant=tenant, micros=micros
                )
                is None
            )
            short = budget.cap_short(provider, tenant, micros)
            assert short is not None
            assert short.scope == scope
            assert short.resets_at == datetime(2026, 12, 1, tzinfo=UTC)
            message = budget.shortfall(provider, tenant, micros)
            assert "2026-12-01T00:00:00Z" in message
            assert scope.partition(":")[2] in message
            # A request that other caps still cover is unaffected.
            assert await budget.reserve(
                request_id="c", attempt=1, provider="openai", tenant=None, micros=0
            )
            assert budget.shortfall("openai", None, 0) == ""

    asyncio.run(main())


def test_snapshot_lists_only_configured_caps_that_apply(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            assert budget.snapshot(None) == {
                "provider:cloud": 400_000,
                "provider:openai": 1_000_000,
                "total": 500_000,
            }
            assert budget.snapshot("clinic")["tenant:clinic"] == 200_000

    asyncio.run(main())


def test_a_locked_store_fails_closed_and_recovers(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV), busy_timeout_ms=50) as (_, budget):
            before = budget.snapshot(None)
            # Another process holds the write lock: the ledger cannot make the reservation durable.
            other = sqlite3.connect(config.store_path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreUnavailable, match="cannot be written"):
                await budget.reserve(
                    request_id="a", attempt=1, provider="cloud", tenant=None, micros=1_000
                )
            assert budget.snapshot(None) == before  # nothing held for a reservation not on record
            assert budget.unreachable
            assert "fail closed" in budget.shortfall("cloud", None, 1_000)
            other.execute("ROLLBACK")
            other.close()
            assert await budget.reserve(
                request_id="a", attempt=2, provider="cloud", tenant=None, micros=1_000
            )
            assert not budget.unreachable

    asyncio.run(main())


def test_a_closed_ledger_fails_closed(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (ledger, budget):
            await ledger.close()
            assert budget.unreachable
            with pytest.raises(StoreUnavailable):
                await budget.reserve(
                    request_id="a", attempt=1, provider="cloud", tenant=None, micros=1
                )
            assert budget.snapshot(None)["provider:cloud"] == 400_000

    asyncio.run(main())


def test_restart_keeps_spend_and_counts_open_reservations_until_reconciled(
    tmp_path: Path,
) -> None:
    path = tmp_path / "l.db"
    config = make_config(path)
    clock = Clock(NOV)

    async def before_crash() -> None:
        async with opened(config, clock) as (_, budget):
            a = await budget.reserve(
                request_id="a", attempt=1, provider="cloud", tenant="clinic", micros=100_000
            )
            assert a is not None
            await budget.settle(a, record(a, 30_000))
            # "b" is reserved and never settled: the process dies mid-call.
            assert await budget.reserve(
                request_id="b", attempt=1, provider="cloud", tenant="clinic", micros=50_000
            )

    async def after_restart() -> None:
        async with opened(config, clock, reconcile=False) as (_, budget):
            left = budget.snapshot("clinic")
            assert left["provider:cloud"] == 400_000 - 30_000 - 50_000
            assert left["tenant:clinic"] == 200_000 - 80_000
            assert await budget.reconcile() == 1
            assert budget.snapshot("clinic") == left
        async with opened(config, clock) as (_, budget):
            assert budget.snapshot("clinic") == left
            assert await budget.reconcile() == 0

    asyncio.run(before_crash())
    asyncio.run(after_restart())
    assert rows(path, "SELECT request_id, outcome, cost_micros, usage_missing FROM attempts") == [
        ("a", "ok", 30_000, 0),
        ("b", "lost", 50_000, 1),
    ]
    assert rows(path, "SELECT state FROM reservations ORDER BY id") == [
        ("settled",),
        ("reconciled",),
    ]


def test_a_new_month_starts_at_zero_and_old_reservations_stay_in_their_month(
    tmp_path: Path,
) -> None:
    path = tmp_path / "l.db"
    config = make_config(path)
    clock = Clock(datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))

    async def main() -> None:
        async with opened(config, clock) as (_, budget):
            old = await budget.reserve(
                request_id="a", attempt=1, provider="cloud", tenant=None, micros=300_000
            )
            assert old is not None
            assert (
                await budget.reserve(
                    request_id="b", attempt=1, provider="cloud", tenant=None, micros=200_000
                )
                is None
            )
            clock.now = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)
            assert budget.snapshot(None)["provider:cloud"] == 400_000
            new = await budget.reserve(
                request_id="b", attempt=1, provider="cloud", tenant=None, micros=350_000
            )
            assert new is not None
            await budget.settle(old, record(old, 100_000))  # November's, settled in December
            assert budget.snapshot(None)["provider:cloud"] == 50_000
        async with opened(config, clock, reconcile=False) as (_, budget):
            assert budget.snapshot(None)["provider:cloud"] == 50_000

    asyncio.run(main())
    assert rows(path, "SELECT month, cost_micros FROM attempts") == [("2026-11", 100_000)]
    assert rows(path, "SELECT month, state FROM reservations ORDER BY id") == [
        ("2026-11", "settled"),
        ("2026-12", "open"),
    ]


def test_a_cancelled_reserve_does_not_keep_money_held(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (ledger, budget):
            task = asyncio.create_task(
                budget.reserve(
                    request_id="a", attempt=1, provider="cloud", tenant=None, micros=100_000
                )
            )
            await asyncio.sleep(0)  # the check and the hold happened; the write is queued
            assert budget.snapshot(None)["provider:cloud"] == 300_000
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(200):
                if budget.snapshot(None)["provider:cloud"] == 400_000:
                    break
                await asyncio.sleep(0.01)
            assert budget.snapshot(None)["provider:cloud"] == 400_000
            await ledger.record(record(Reservation(0, "z", 1, "local", None, 0, "2026-11"), 0))

    asyncio.run(main())
    assert rows(tmp_path / "l.db", "SELECT state FROM reservations") == [("released",)]


def test_the_daily_alert_fires_once_per_scope_and_day(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        config = make_config(
            tmp_path / "l.db", total="100", alert="0.1", webhook=f"http://127.0.0.1:{port}/hook"
        )
        clock = Clock(NOV)
        try:
            async with opened(config, clock) as (_, budget):

                async def spend(provider: str, micros: int) -> None:
                    res = await budget.reserve(
                        request_id="r", attempt=1, provider=provider, tenant=None, micros=micros
                    )
                    assert res is not None
                    await budget.settle(res, record(res, micros))

                await spend("cloud", 60_000)
                await spend("cloud", 60_000)  # cloud and total cross $0.10 together: one alert
                await spend("cloud", 60_000)
                await spend("openai", 100_000)  # openai crosses on its own: a second alert
                await spend("openai", 100_000)
            async with opened(config, clock) as (_, budget):
                await spend("cloud", 60_000)  # a restart the same day does not repeat it
                clock.now = NOV + timedelta(days=1)
                await spend("cloud", 60_000)
                await spend("cloud", 60_000)  # the next day: alerts again
        finally:
            await runner.cleanup()

    with caplog.at_level(logging.WARNING, logger="tiergate.budget"):
        asyncio.run(main())
    assert [(r["day"], sorted(r["crossed"])) for r in received] == [
        ("2026-11-14", ["provider:cloud", "total"]),
        ("2026-11-14", ["provider:openai"]),
        ("2026-11-15", ["provider:cloud", "total"]),
    ]
    assert received[0]["crossed"]["total"] == 0.12
    assert received[0]["threshold_usd"] == 0.1
    alerts = [r for r in caplog.records if r.name == "tiergate.budget"]
    assert len(alerts) == 3
    assert all(getattr(r, "event", None) == "tiergate.daily_spend_alert" for r in alerts)


def test_a_failing_webhook_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9 of loopback: the POST fails, the request path does not.
    config = make_config(tmp_path / "l.db", total="100", alert="0", webhook="http://127.0.0.1:9/x")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as (_, budget):
            res = await budget.reserve(
                request_id="r", attempt=1, provider="cloud", tenant=None, micros=5
            )
            assert res is not None
            await budget.settle(res, record(res, 5))

    with caplog.at_level(logging.WARNING, logger="tiergate.budget"):
        asyncio.run(main())
    assert any(getattr(r, "event", None) == "budget.webhook_failed" for r in caplog.records)


def test_projection_extends_the_burn_rate_to_month_end() -> None:
    assert project(1_000_000, "2026-11", datetime(2026, 11, 16, tzinfo=UTC)) == 2_000_000
    assert project(1_000_000, "2026-11", datetime(2026, 12, 5, tzinfo=UTC)) == 1_000_000
    assert next_month_start("2026-12") == datetime(2027, 1, 1, tzinfo=UTC)
