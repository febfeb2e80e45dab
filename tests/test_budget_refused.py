"""A settle whose row the store refuses (it can never be written) fails once, loudly: logged
and counted, never retried forever, and its reservation stays held (the safe side)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tiergate.budget import Budget
from tiergate.config import parse_config
from tiergate.gateway import Gateway
from tiergate.pricing import build
from tiergate.stores import AttemptRecord, Reservation, RowsRefused, open_store

CONFIG = """
store: {url}
providers:
  - {{name: openai, protocol: openai, base_url: "https://api.example/v1", api_key: k, tier: 3,
     models: {{default: best}}, prices: {{default: {{input_per_mtok: 2, output_per_mtok: 8}}}},
     monthly_budget_usd: 1}}
"""


def record(request_id: str, cost: int, *, reserved: int = 0, tokens: int = 10) -> AttemptRecord:
    return AttemptRecord(
        request_id=request_id, attempt=1, tenant=None, provider="openai", model="best", tier=3,
        rule="default", classification="internal", classification_source="default",
        egress=True, prompt_tokens=tokens, completion_tokens=5, cost_pico=cost,
        reserved_pico=reserved, latency_ms=5.0, outcome="ok",
    )  # fmt: skip


NEVER = 2**63  # tokens beyond PostgreSQL's bigint: a row holding them can never be written


def test_a_settle_the_database_refuses_fails_once_and_loudly(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        config = parse_config(CONFIG.format(url=pg_url), env={})
        store = await open_store(pg_url, owner="refuse")
        budget = Budget(config=config, store=store)
        try:
            bad = await budget.reserve(
                request_id="bad", attempt=1, provider="openai", tenant=None, pico=500
            )
            good = await budget.reserve(
                request_id="good", attempt=1, provider="openai", tenant=None, pico=300
            )
            assert isinstance(bad, Reservation) and isinstance(good, Reservation)
            refused = budget.settle(bad, record("bad", 400, reserved=500, tokens=NEVER))
            written = budget.settle(good, record("good", 200, reserved=300))
            await asyncio.wait_for(asyncio.gather(refused, written), 30)
            assert budget.refused_rows == 1
            rows = await store.spend_rows(month=bad.month, tenant=None)
            # The good row is in; the refused one's reservation stays held in full.
            assert (rows.total.attempts, rows.total.spent_pico) == (1, 200)
            assert rows.total.held_pico == 500
        finally:
            await budget.close()
            await store.close()

    with caplog.at_level(logging.INFO, logger="tiergate"):
        asyncio.run(main())
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("budget.settle_refused") == 1
    assert "budget.settle_retry" not in events
    (loud,) = [r for r in caplog.records if getattr(r, "event", None) == "budget.settle_refused"]
    assert loud.levelno == logging.ERROR
    assert getattr(loud, "request_id", None) == "bad"


def test_a_refused_free_row_is_counted_and_metrics_show_every_refused_row(pg_url: str) -> None:
    async def main() -> None:
        config = parse_config(CONFIG.format(url=pg_url), env={})
        gateway = Gateway(config, prices=build(config))
        await gateway.start()
        try:
            budget = gateway.budget
            assert budget is not None
            assert "tiergate_ledger_rows_refused 0\n" in gateway.metrics.render()
            with pytest.raises(RowsRefused):
                await asyncio.wait_for(budget.record(record("free", 0, tokens=NEVER)), 30)
            await asyncio.sleep(0)  # the count is a done-callback of the same future
            assert budget.refused_rows == 1
            assert "tiergate_ledger_rows_refused 1\n" in gateway.metrics.render()
        finally:
            await gateway.stop()

    asyncio.run(main())
