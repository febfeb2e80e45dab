"""Caps as policy over a real SQLite store: concurrency, fail-closed, settles that never raise,
restarts, month rollover, reaping and daily alerts (once across processes)."""

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

from tiergate.budget import Budget, cap_pico, next_month_start, project
from tiergate.config import Config, parse_config
from tiergate.errors import StoreUnavailable
from tiergate.stores import AttemptRecord, Reservation, Shortfall
from tiergate.stores.sqlite import SqliteStore

USD = 10**12
# Caps: cloud $0.4, openai $1, tenant clinic $0.2, total $0.5 (in pico below).
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
NOV = datetime(2026, 11, 14, 9, 30, tzinfo=UTC)


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
        request_id=res.request_id, attempt=res.attempt, tenant=res.tenant,
        provider=res.provider, model="big", tier=2, rule="default", classification="internal",
        classification_source="default", egress=True, prompt_tokens=10, completion_tokens=5,
        cost_pico=cost, reserved_pico=res.pico, latency_ms=5.0,
        outcome="cut" if missing else "ok", usage_missing=missing,
    )  # fmt: skip


@asynccontextmanager
async def opened(
    config: Config, clock: Clock, *, owner: str = "test", **options: float
) -> AsyncIterator[Budget]:
    store = await SqliteStore.open(config.store, owner=owner, clock=clock, **options)  # type: ignore[arg-type]
    try:
        budget = Budget(config=config, store=store, clock=clock)
        yield budget
        await budget.close()
    finally:
        await store.close()


async def reserve(
    budget: Budget, provider: str, pico: int, *, tenant: str | None = None, rid: str = "r"
) -> Reservation:
    held = await budget.reserve(
        request_id=rid, attempt=1, provider=provider, tenant=tenant, pico=pico
    )
    assert isinstance(held, Reservation), held
    return held


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_500_concurrent_reservations_get_exactly_what_the_cap_holds(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db", total="100")

    async def main() -> list[Reservation | Shortfall]:
        async with opened(config, Clock(NOV)) as budget:
            return list(
                await asyncio.gather(
                    *(
                        budget.reserve(
                            request_id=f"r{i}",
                            attempt=1,
                            provider="cloud",
                            tenant=None,
                            pico=USD // 100,
                        )
                        for i in range(500)
                    )
                )
            )

    results = asyncio.run(main())
    assert sum(isinstance(r, Reservation) for r in results) == 40  # $0.4 / $0.01
    refused = [r for r in results if isinstance(r, Shortfall)]
    assert {r.scope for r in refused} == {"provider:cloud"}
    assert rows(tmp_path / "l.db", "SELECT COUNT(*) FROM reservations") == [(40,)]


def test_settling_below_the_reservation_frees_the_difference(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as budget:
            held = await reserve(budget, "cloud", 300_000_000_000)
            assert budget.snapshot(None)["provider:cloud"] == 100_000_000_000
            await budget.settle(held, record(held, 1_234_567))  # exact: no rounding
            assert budget.snapshot(None)["provider:cloud"] == cap_pico_of("0.4") - 1_234_567
            assert budget.usage()["provider:cloud"] == 1_234_567

    asyncio.run(main())
    assert rows(tmp_path / "l.db", "SELECT cost_pico, reserved_pico FROM attempts") == [
        (1_234_567, 300_000_000_000)
    ]


def cap_pico_of(usd: str) -> int:
    from decimal import Decimal

    return cap_pico(Decimal(usd))


def test_missing_usage_charges_the_whole_reservation(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as budget:
            held = await reserve(budget, "cloud", 5_000)
            await budget.settle(held, record(held, 10, missing=True))

    asyncio.run(main())
    assert rows(tmp_path / "l.db", "SELECT cost_pico, usage_missing FROM attempts") == [(5_000, 1)]


@pytest.mark.parametrize(
    ("provider", "tenant", "pico", "scope"),
    [
        ("cloud", None, 400 * 10**9 + 1, "provider:cloud"),
        ("openai", "clinic", 200 * 10**9 + 1, "tenant:clinic"),
        ("openai", None, 500 * 10**9 + 1, "total"),
    ],
)
def test_each_cap_binds_and_names_itself(
    tmp_path: Path, provider: str, tenant: str | None, pico: int, scope: str
) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> Reservation | Shortfall:
        async with opened(config, Clock(NOV)) as budget:
            assert budget.cap_short(provider, tenant, pico) is not None  # routing sees it too
            return await budget.reserve(
                request_id="r", attempt=1, provider=provider, tenant=tenant, pico=pico
            )

    short = asyncio.run(main())
    assert isinstance(short, Shortfall) and short.scope == scope
    assert short.resets_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert "It resets at 2026-12-01T00:00:00Z" in short.message


def test_snapshot_lists_only_configured_caps_that_apply(tmp_path: Path) -> None:
    config = make_config(tmp_path / "l.db")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as budget:
            assert set(budget.snapshot(None)) == {"provider:cloud", "provider:openai", "total"}
            assert "tenant:clinic" in budget.snapshot("clinic")
            assert budget.caps_for("local", None) == {"total": 500 * 10**9}

    asyncio.run(main())


def test_a_locked_store_fails_closed_and_a_settle_waits_for_it_holding_the_reservation(
    tmp_path: Path,
) -> None:
    path = tmp_path / "l.db"
    config = make_config(path)

    async def main() -> None:
        async with opened(config, Clock(NOV), busy_timeout_s=0.2) as budget:
            held = await reserve(budget, "cloud", 1_000)
            lock = sqlite3.connect(path, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            settled = budget.settle(held, record(held, 400))  # never raises
            with pytest.raises(StoreUnavailable):
                await budget.reserve(
                    request_id="x", attempt=1, provider="cloud", tenant=None, pico=1
                )
            assert budget.unreachable
            assert budget.cap_short("cloud", None, 1) is not None  # fail closed for routing
            await asyncio.sleep(0.5)
            assert not settled.done()
            assert rows(path, "SELECT state FROM reservations") == [("open",)]  # still held
            lock.execute("ROLLBACK")
            lock.close()
            await asyncio.wait_for(settled, timeout=15)
            assert not budget.unreachable

    asyncio.run(main())
    assert rows(path, "SELECT state FROM reservations") == [("settled",)]
    assert rows(path, "SELECT cost_pico FROM attempts") == [(400,)]


def test_a_new_month_starts_at_zero_and_old_reservations_stay_in_their_month(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path / "l.db")
    clock = Clock(NOV)

    async def main() -> None:
        async with opened(config, clock) as budget:
            held = await reserve(budget, "cloud", 400 * 10**9)
            clock.now = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)
            fresh = await reserve(budget, "cloud", 400 * 10**9, rid="december")
            assert fresh.month == "2026-12"
            await budget.settle(held, record(held, 7))  # charged to November

    asyncio.run(main())
    assert rows(tmp_path / "l.db", "SELECT month, cost_pico FROM attempts") == [("2026-11", 7)]


def test_a_cancelled_reserve_does_not_keep_money_held(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    config = make_config(path)

    async def main() -> None:
        async with opened(config, Clock(NOV)) as budget:
            task = asyncio.ensure_future(reserve(budget, "cloud", 400 * 10**9))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            deadline = asyncio.get_running_loop().time() + 15
            while rows(path, "SELECT state FROM reservations") != [("released",)]:
                assert asyncio.get_running_loop().time() < deadline, "never released"
                await asyncio.sleep(0.01)
            await reserve(budget, "cloud", 400 * 10**9, rid="after")  # released: it fits again

    asyncio.run(main())
    assert sorted(rows(path, "SELECT state FROM reservations")) == [("open",), ("released",)]


def test_the_heartbeat_reaps_a_dead_owners_reservations_not_a_live_ones(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    config = make_config(path)
    clock = Clock(NOV)

    async def main() -> int:
        async with (
            opened(config, clock, owner="dead", lease_s=5) as dead,
            opened(config, clock, owner="live", lease_s=5) as live,
        ):
            await reserve(dead, "cloud", 100)
            await reserve(live, "cloud", 200)
            assert await live.heartbeat(lease_s=5) == 0  # both leases are current
            clock.now = NOV + timedelta(seconds=30)  # `dead` stopped heartbeating
            return await live.heartbeat(lease_s=5)

    assert asyncio.run(main()) == 1
    assert rows(path, "SELECT outcome, cost_pico, usage_missing FROM attempts") == [
        ("lost", 100, 1)
    ]


def test_the_daily_alert_fires_once_per_scope_and_day_across_processes(
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
            async with (
                opened(config, clock, owner="a") as a,
                opened(config, clock, owner="b") as b,
            ):

                async def spend(budget: Budget, provider: str, usd_cents: int) -> None:
                    held = await reserve(budget, provider, usd_cents * USD // 100)
                    await budget.settle(held, record(held, held.pico))

                async def beat() -> None:
                    await asyncio.gather(a.heartbeat(), b.heartbeat())

                await spend(a, "cloud", 6)
                await beat()
                await spend(b, "cloud", 6)  # cloud and total cross $0.10 together
                await beat()
                await spend(a, "openai", 11)  # openai crosses on its own: a second alert
                await beat()
                await beat()
                clock.now = NOV + timedelta(days=1)
                await spend(b, "cloud", 12)  # the next day: alerts again
                await beat()
                await a.close()
                await b.close()
        finally:
            await runner.cleanup()

    with caplog.at_level(logging.WARNING, logger="tiergate.budget"):
        asyncio.run(main())
    # Each (day, scope) is alerted exactly once, by whichever process marked it first.
    sent = sorted((r["day"], scope) for r in received for scope in r["crossed"])
    assert sent == [
        ("2026-11-14", "provider:cloud"),
        ("2026-11-14", "provider:openai"),
        ("2026-11-14", "total"),
        ("2026-11-15", "provider:cloud"),
        ("2026-11-15", "total"),
    ]
    first_total = next(r for r in received if "total" in r["crossed"])
    assert first_total["crossed"]["total"] == 0.12
    assert first_total["threshold_usd"] == 0.1


def test_a_failing_webhook_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9 of loopback: the POST fails, nothing else does.
    config = make_config(tmp_path / "l.db", total="100", alert="0", webhook="http://127.0.0.1:9/x")

    async def main() -> None:
        async with opened(config, Clock(NOV)) as budget:
            held = await reserve(budget, "cloud", 5)
            await budget.settle(held, record(held, 5))
            await budget.heartbeat()

    with caplog.at_level(logging.WARNING, logger="tiergate.budget"):
        asyncio.run(main())
    assert any(getattr(r, "event", None) == "budget.webhook_failed" for r in caplog.records)


def test_projection_extends_the_burn_rate_to_month_end() -> None:
    assert project(1_000_000, "2026-11", datetime(2026, 11, 16, tzinfo=UTC)) == 2_000_000
    assert project(1_000_000, "2026-11", datetime(2026, 12, 5, tzinfo=UTC)) == 1_000_000
    assert next_month_start("2026-12") == datetime(2027, 1, 1, tzinfo=UTC)
