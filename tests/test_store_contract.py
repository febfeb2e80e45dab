"""The Store contract, one set of tests for every backend: SQLite always, PostgreSQL when it can run.

Each test opens real stores (a SQLite file in tmp, a fresh PostgreSQL database)
as separate owners, the way separate gateway processes do, and checks what
the interface promises: caps that hold across owners, all-or-nothing holds,
idempotent settle and release, reaping only expired owners, the keyed chain.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tiergate.stores import AttemptRecord, Hold, Reservation, Shortfall, Store, open_store

T = TypeVar("T")
KEY = b"contract-test-ledger-key"
DEADLINE_S = 15.0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    pg: str = request.getfixturevalue("pg_url")
    return pg


def run(url: str, body: Callable[[Callable[..., Awaitable[Store]]], Awaitable[T]]) -> T:
    """Run `body(open)` in one event loop; every store it opened is closed afterwards."""

    async def go() -> T:
        opened: list[Store] = []

        async def open_(owner: str, **options: Any) -> Store:
            store = await open_store(url, owner=owner, key=options.pop("key", KEY), **options)
            opened.append(store)
            return store

        try:
            return await body(open_)
        finally:
            for store in opened:
                await store.close()

    return asyncio.run(go())


def hold(pico: int, caps: dict[str, int], *, provider: str = "openai", tenant: str | None = None,
         request_id: str = "r") -> Hold:  # fmt: skip
    return Hold(request_id, 1, provider, tenant, pico, caps)


def row(request_id: str, cost: int, *, provider: str = "openai", tenant: str | None = None,
        usage_missing: bool = False, classification: str = "internal",
        egress: bool = True) -> AttemptRecord:  # fmt: skip
    return AttemptRecord(
        request_id=request_id, attempt=1, tenant=tenant, provider=provider, model="m", tier=3,
        rule="default", classification=classification, classification_source="default",
        egress=egress, prompt_tokens=10, completion_tokens=5, cost_pico=cost, reserved_pico=0,
        latency_ms=1.5, outcome="ok", usage_missing=usage_missing,
    )  # fmt: skip


def test_a_hold_that_fits_is_durable_and_one_that_does_not_names_its_cap(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        caps = {"provider:openai": 1_000, "total": 5_000}
        first = await store.reserve(hold(600, caps))
        assert isinstance(first, Reservation) and first.pico == 600
        refused = await store.reserve(hold(600, caps))
        assert isinstance(refused, Shortfall)
        assert (refused.scope, refused.cap_pico, refused.left_pico, refused.needed_pico) == (
            "provider:openai", 1_000, 400, 600,
        )  # fmt: skip
        assert refused.resets_at is not None and refused.resets_at.day == 1
        assert "provider 'openai'" in refused.message and "resets at" in refused.message
        # Another owner sees the hold: nothing about it lives only in the first process.
        other = await open_("b")
        assert isinstance(await other.reserve(hold(401, caps)), Shortfall)
        assert isinstance(await other.reserve(hold(400, caps)), Reservation)

    run(url, body)


def test_a_hold_is_all_or_nothing_across_its_caps(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        await store.reserve(hold(900, {"total": 1_000}, provider="ollama_cloud"))
        refused = await store.reserve(hold(200, {"provider:openai": 10_000, "total": 1_000}))
        assert isinstance(refused, Shortfall) and refused.scope == "total"
        await store.heartbeat()
        used = store.used()
        assert used.get("provider:openai", 0) == 0  # nothing was held under the cap that fit
        assert used["total"] == 900

    run(url, body)


def test_concurrent_holds_from_two_owners_never_pass_a_cap(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> list[Reservation | Shortfall]:
        a, b = await open_("a"), await open_("b")
        caps = {"provider:openai": 1_000}
        holds = [
            (a if i % 2 else b).reserve(hold(30, caps, request_id=f"r{i}")) for i in range(100)
        ]
        return list(await asyncio.gather(*holds))

    results = run(url, body)
    granted = [r for r in results if isinstance(r, Reservation)]
    assert len(granted) == 1_000 // 30  # every hold that fits, and not one more


def test_settle_charges_the_cost_frees_the_rest_and_is_idempotent(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        caps = {"provider:openai": 1_000}
        r = await store.reserve(hold(700, caps, request_id="one"))
        assert isinstance(r, Reservation)
        await store.settle(r, row("one", 123))
        await store.settle(r, row("one", 123))  # a retry after an unknown outcome
        rows = await store.spend_rows(month=r.month, tenant=None)
        assert rows.total.spent_pico == 123 and rows.total.held_pico == 0
        assert rows.total.attempts == 1
        assert isinstance(await store.reserve(hold(877, caps)), Reservation)
        assert (await store.verify())[0]

    run(url, body)


def test_a_settle_without_usage_charges_the_whole_reservation(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        r = await store.reserve(hold(700, {}, request_id="cut"))
        assert isinstance(r, Reservation)
        await store.settle(r, row("cut", 5, usage_missing=True))
        rows = await store.spend_rows(month=r.month, tenant=None)
        assert rows.providers["openai"].spent_pico == 700

    run(url, body)


def test_release_charges_nothing_and_is_idempotent(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        caps = {"provider:openai": 1_000}
        r = await store.reserve(hold(1_000, caps))
        assert isinstance(r, Reservation)
        await store.release(r)
        await store.release(r)
        await store.settle(r, row("r", 50))  # too late: the attempt never started
        rows = await store.spend_rows(month=r.month, tenant=None)
        assert rows.total.spent_pico == 0 and rows.total.held_pico == 0
        assert isinstance(await store.reserve(hold(1_000, caps)), Reservation)

    run(url, body)


def test_record_is_queued_and_a_cost_counts_toward_the_caps(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        free = store.record(row("free", 0, provider="local", egress=False))
        paid = store.record(row("paid", 400, tenant="acme"))
        await asyncio.gather(free, paid)
        refused = await store.reserve(hold(700, {"tenant:acme": 1_000}, tenant="acme"))
        assert isinstance(refused, Shortfall) and refused.left_pico == 600
        month = (await store.reserve(hold(1, {}))).month  # type: ignore[union-attr]
        rows = await store.spend_rows(month=month, tenant="acme")
        assert rows.total.spent_pico == 400 and rows.total.requests == 1
        audit = await store.audit_rows(month=None)
        assert audit.requests["internal"] == 2 and audit.egress["internal"] == 1

    run(url, body)


def test_only_an_expired_owners_reservations_are_reaped_and_charged_in_full(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        reaper = await open_("reaper")
        live = await open_("live", lease_s=600)
        dead = await open_("dead", lease_s=0.2)
        kept = await live.reserve(hold(100, {}, request_id="live-1"))
        lost = await dead.reserve(hold(300, {}, request_id="dead-1"))
        assert isinstance(kept, Reservation) and isinstance(lost, Reservation)
        # `dead` stops heartbeating (as after a kill -9); `live` keeps its lease.
        reaped, deadline = 0, time.monotonic() + DEADLINE_S
        while reaped == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            reaped = await reaper.reap(lease_s=10)
        assert reaped == 1
        assert await reaper.reap(lease_s=10) == 0  # once
        rows = await reaper.spend_rows(month=lost.month, tenant=None)
        assert rows.total.spent_pico == 300 and rows.total.held_pico == 100
        newest = (await reaper.recent(limit=1))[0]
        assert newest["outcome"] == "lost" and newest["request_id"] == "dead-1"
        await live.settle(kept, row("live-1", 60))  # the live owner's reservation was untouched
        rows = await reaper.spend_rows(month=lost.month, tenant=None)
        assert rows.total.spent_pico == 360 and rows.total.held_pico == 0

    run(url, body)


def test_one_alert_per_day_and_scope_across_owners(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        a, b = await open_("a"), await open_("b")
        firsts = await asyncio.gather(
            a.mark_alert(day="2026-12-01", scope="total"),
            b.mark_alert(day="2026-12-01", scope="total"),
        )
        assert sorted(firsts) == [False, True]
        assert await a.mark_alert(day="2026-12-02", scope="total")

    run(url, body)


def test_day_spent_counts_settled_money_only(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        store = await open_("a")
        r = await store.reserve(hold(500, {}))
        assert isinstance(r, Reservation)
        await store.reserve(hold(900, {}))  # held, not spent
        await store.settle(r, row("r", 200))
        spent = await store.day_spent()
        assert spent["provider:openai"] == 200 and spent["total"] == 200

    run(url, body)


def test_the_chain_verifies_only_with_the_key_it_was_written_with(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> tuple[Any, ...]:
        store = await open_("a")
        await store.record(row("x", 0))
        ok = await store.verify()
        wrong = await open_store(url, owner="v", key=b"another key", readonly=True)
        try:
            bad = await wrong.verify()
        finally:
            await wrong.close()
        return ok, bad

    ok, bad = run(url, body)
    assert ok[0], ok[1]
    assert not bad[0]


def test_migrations_run_once_and_report_a_version(url: str) -> None:
    async def body(open_: Callable[..., Awaitable[Store]]) -> None:
        a, b = await asyncio.gather(open_("a"), open_("b"))
        versions = await asyncio.gather(a.migrate(), b.migrate())
        assert versions[0] == versions[1] == await a.schema_version() > 0

    run(url, body)
