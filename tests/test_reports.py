"""spend() and audit() on a ledger written by the real Ledger and Budget: exact JSON shapes and tables."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from tiergate.budget import Budget
from tiergate.config import Config, parse_config
from tiergate.reports import audit, format_audit, format_spend, spend, to_json, verify
from tiergate.stores import AttemptRecord, Reservation
from tiergate.stores.sqlite import SqliteStore

CONFIG = """
store: sqlite:///{path}
providers:
  - {{name: local, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 1,
     on_premises: true, models: {{default: small}}}}
  - {{name: ollama_cloud, protocol: ollama, base_url: "https://ollama.example", api_key: k,
     tier: 2, models: {{default: big}}, prices: {{default: {{input_per_mtok: 1}}}},
     monthly_budget_usd: 120, allowed_classifications: [hipaa]}}
  - {{name: openai, protocol: openai, base_url: "https://api.example/v1", api_key: k, tier: 3,
     models: {{default: best}}, prices: {{default: {{input_per_mtok: 2}}}},
     monthly_budget_usd: 80.5}}
budget: {{monthly_total_usd: 200}}
tenants:
  - {{name: clinic, api_key_sha256: "{a}", monthly_budget_usd: 20}}
  - {{name: shop, api_key_sha256: "{b}"}}
"""

NOV_10 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
NOV_12 = datetime(2026, 11, 12, 20, 0, tzinfo=UTC)
NOV_16 = datetime(2026, 11, 16, tzinfo=UTC)  # half of November has passed
M = 10**6  # pico per micro-dollar; r3 also costs 7 pico more, to show nothing is rounded


def make_config(path: Path) -> Config:
    return parse_config(CONFIG.format(path=path, a="a" * 64, b="b" * 64), env={})


def attempt(
    request_id: str,
    provider: str,
    cost: int,
    *,
    tenant: str | None = None,
    classification: str = "internal",
    source: str = "default",
    n: int = 1,
    outcome: str = "ok",
) -> AttemptRecord:
    return AttemptRecord(
        request_id=request_id,
        attempt=n,
        tenant=tenant,
        provider=provider,
        model="m",
        tier=1 if provider == "local" else 3,
        rule="default",
        classification=classification,
        classification_source=source,
        egress=provider != "local",
        prompt_tokens=100,
        completion_tokens=20,
        cost_pico=cost,
        reserved_pico=0,
        latency_ms=3.0,
        outcome=outcome,
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """November: three requests on the 10th (one fell back), one on the 12th, one still in flight."""
    config = make_config(tmp_path / "ledger.db")

    async def fill() -> None:
        clock = Clock(NOV_10)
        store = await SqliteStore.open(config.store, owner="fill", clock=clock)
        budget = Budget(config=config, store=store, clock=clock)

        async def paid(rid: str, provider: str, cost: int, **kw: object) -> None:
            tenant = kw.get("tenant")
            assert tenant is None or isinstance(tenant, str)
            res = await budget.reserve(
                request_id=rid, attempt=1, provider=provider, tenant=tenant, pico=cost * 2
            )
            assert isinstance(res, Reservation)
            await budget.settle(res, attempt(rid, provider, cost, **kw))  # type: ignore[arg-type]

        await budget.record(
            attempt("r1", "local", 0, classification="pii", source="detector:email")
        )
        await budget.record(attempt("r2", "openai", 0, tenant="clinic", outcome="unavailable"))
        await paid("r2", "ollama_cloud", 12_300 * M, tenant="clinic", n=2)
        await paid("r3", "openai", 500_000 * M + 7, classification="hipaa", source="label")
        clock.now = NOV_12
        await paid("r4", "ollama_cloud", 1_000_001 * M, classification="hipaa", source="label")
        held = await budget.reserve(
            request_id="r5", attempt=1, provider="openai", tenant="clinic", pico=250_000 * M
        )
        assert isinstance(held, Reservation)  # in flight when the report is read
        await budget.close()
        await store.close()

    asyncio.run(fill())
    return config


def test_spend_has_exactly_the_documented_shape_with_exact_usd(config: Config) -> None:
    report = spend(config, config.store_path, "2026-11", now=NOV_16)
    assert report == {
        "month": "2026-11",
        "providers": {
            "local": {"spent_usd": 0, "reserved_usd": 0, "budget_usd": None, "requests": 1},
            "ollama_cloud": {
                "spent_usd": D("1.012301"),
                "reserved_usd": 0,
                "budget_usd": 120,
                "requests": 2,
            },
            "openai": {
                "spent_usd": D("0.500000000007"),
                "reserved_usd": D("0.25"),
                "budget_usd": D("80.5"),
                "requests": 2,
            },
        },
        "total": {
            "spent_usd": D("1.512301000007"),
            "reserved_usd": D("0.25"),
            "budget_usd": 200,
            "requests": 4,
        },
        "projection_usd": D("3.524602000014"),
        "cache": {"hits": 0, "savings_usd": D(0)},
    }
    # The JSON carries the exact figure as a number: no float rounding on the way out.
    assert b'"spent_usd":1.512301000007' in to_json(report)
    assert json.loads(to_json(report), parse_float=D) == report


def test_spend_by_tenant_and_by_day(config: Config) -> None:
    tenants = spend(config, config.store_path, "2026-11", by="tenant", now=NOV_16)["tenants"]
    assert tenants == {
        "clinic": {"spent_usd": D("0.0123"), "reserved_usd": D("0.25"), "budget_usd": 20,
                   "requests": 1},
        "shop": {"spent_usd": 0, "reserved_usd": 0, "budget_usd": None, "requests": 0},
        "(none)": {"spent_usd": D("1.500001000007"), "reserved_usd": 0, "budget_usd": None,
                   "requests": 3},
    }  # fmt: skip
    days = spend(config, config.store_path, "2026-11", by="day", now=NOV_16)["days"]
    assert days == {
        "2026-11-10": {"spent_usd": D("0.512300000007"), "requests": 3},
        "2026-11-12": {"spent_usd": D("1.000001"), "requests": 1},
    }


def test_a_tenant_sees_only_its_own_spend(config: Config) -> None:
    report = spend(config, config.store_path, "2026-11", tenant="clinic", now=NOV_16)
    assert report["total"] == {
        "spent_usd": D("0.0123"),
        "reserved_usd": D("0.25"),
        "budget_usd": 20,
        "requests": 1,
    }
    assert report["providers"]["openai"] == {
        "spent_usd": 0,
        "reserved_usd": D("0.25"),
        "budget_usd": D("80.5"),
        "requests": 1,
    }
    assert list(report["tenants"]) == ["clinic"]


def test_another_month_and_a_missing_ledger_are_zeros(config: Config, tmp_path: Path) -> None:
    october = spend(config, config.store_path, "2026-10", now=NOV_16)
    assert october["total"] == {
        "spent_usd": 0,
        "reserved_usd": 0,
        "budget_usd": 200,
        "requests": 0,
    }
    fresh = spend(config, tmp_path / "nothing-yet.db", now=NOV_16)
    assert fresh["month"] == "2026-11"
    assert set(fresh["providers"]) == {"local", "ollama_cloud", "openai"}
    assert fresh["projection_usd"] == 0


def test_format_spend_is_an_aligned_table(config: Config) -> None:
    text = format_spend(spend(config, config.store_path, "2026-11", by="tenant", now=NOV_16))
    lines = text.splitlines()
    assert lines[0] == "Spend for 2026-11 (month to date, UTC)"
    table = lines[2 : lines.index("", 2)]
    assert table[0].split()[0] == "provider"
    assert "openai" in text
    assert "clinic" in text
    # Right-aligned numbers: every row of the table ends at the same column.
    widths = {len(line) for line in table if not line.startswith("local")}
    assert len(widths) == 1
    assert "total" in table[-1]
    assert "1.512301000007" in table[-1]
    assert text.endswith("Projected month-end spend at the current rate: $3.52")


def test_audit_counts_egress_and_flags_sensitive_data_that_left(config: Config) -> None:
    report = audit(config, config.store_path, "2026-11")
    classes = report["classifications"]
    assert classes["internal"] == {"requests": 1, "egress": 1, "sensitive": False}
    assert classes["pii"] == {"requests": 1, "egress": 0, "sensitive": True}
    # hipaa went to openai (not allowed) and to ollama_cloud (which lists hipaa).
    assert classes["hipaa"] == {"requests": 2, "egress": 2, "sensitive": True}
    assert report["violations"] == [
        {"classification": "hipaa", "provider": "openai", "attempts": 1}
    ]
    assert report["ok"] is False
    assert report["sources"] == {"label": 2, "default": 1, "detector:email": 1}
    text = format_audit(report, verify(config.store_path))
    assert "VIOLATIONS" in text
    assert "hipaa -> openai: 1 attempts" in text
    assert "Hash chain: OK" in text


def test_verify_reports_a_broken_chain_and_a_missing_ledger(config: Config, tmp_path: Path) -> None:
    assert verify(config.store_path)[0]
    conn = sqlite3.connect(config.store_path, isolation_level=None)
    conn.execute("DROP TRIGGER attempts_no_update")
    conn.execute("UPDATE attempts SET classification = 'public' WHERE classification = 'hipaa'")
    conn.close()
    ok, detail = verify(config.store_path)
    assert not ok
    assert "does not match the chain" in detail
    assert "Hash chain: BROKEN" in format_audit(audit(config), (ok, detail))
    assert verify(tmp_path / "absent.db") == (False, f"no ledger at {tmp_path / 'absent.db'}")
