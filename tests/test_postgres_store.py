"""The PostgreSQL store on a real PostgreSQL: caps across owners, leases, the keyed chain, outages.

What the shared contract tests (test_store_contract.py) cannot show: several
owners (each with its own pool, as replicas have) racing for one cap, reaping
by lease, concurrent migrations, tampering by someone with database access,
database time deciding the month, and the database going away mid-run.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tiergate.errors import StoreUnavailable
from tiergate.stores import AttemptRecord, Hold, Reservation, Shortfall, open_store
from tiergate.stores.postgres import MIGRATIONS, PostgresStore, RowsRefused

from .pg import PostgresCluster, find_bin_dir

KEY = b"k" * 32
CAPS = {"provider:openai": 10_000, "total": 12_000}


def row(request_id: str, cost: int = 0, **changes: object) -> AttemptRecord:
    values: dict[str, object] = {
        "request_id": request_id, "attempt": 0, "tenant": None, "provider": "openai",
        "model": "gpt-4o", "tier": 3, "rule": "critical", "classification": "internal",
        "classification_source": "default", "egress": True, "prompt_tokens": 10,
        "completion_tokens": 5, "cost_pico": cost, "reserved_pico": 0, "latency_ms": 1.5,
        "outcome": "ok",
    }  # fmt: skip
    values.update(changes)
    return AttemptRecord(**values)  # type: ignore[arg-type]


def hold(request_id: str, pico: int, caps: dict[str, int] = CAPS, **changes: object) -> Hold:
    values: dict[str, object] = {
        "request_id": request_id, "attempt": 0, "provider": "openai", "tenant": None,
        "pico": pico, "caps": caps,
    }  # fmt: skip
    values.update(changes)
    return Hold(**values)  # type: ignore[arg-type]


async def pg(url: str, **options: object) -> PostgresStore:
    store = await open_store(url, key=KEY, **options)  # type: ignore[arg-type]
    assert isinstance(store, PostgresStore)
    return store


async def reserved(store: PostgresStore, h: Hold) -> Reservation:
    got = await store.reserve(h)
    assert isinstance(got, Reservation), got
    return got


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_owners_racing_for_one_cap_never_overshoot_and_the_ledger_matches(pg_url: str) -> None:
    async def main() -> None:
        stores = [await pg(pg_url, owner=f"replica-{i}") for i in range(3)]
        rng = random.Random(7)
        amounts = [rng.randint(100, 900) for _ in range(240)]
        charged: list[int] = []

        async def one(i: int, pico: int) -> None:
            store = stores[i % len(stores)]
            got = await store.reserve(hold(f"r{i}", pico))
            if isinstance(got, Shortfall):
                assert got.scope == "provider:openai"
                assert got.needed_pico == pico and got.left_pico < pico
                return
            cost = pico * 2 // 3  # settles below the hold, freeing room for others
            await store.settle(got, row(f"r{i}", cost))
            charged.append(cost)

        await asyncio.gather(*(one(i, p) for i, p in enumerate(amounts)))
        # Holds in flight turn some away while room is still settling; one at a time after the
        # burst shows that the cap admits work until less than the largest hold is left.
        for i, p in enumerate(amounts[:40], start=len(amounts)):
            await one(i, p)
        rows = await stores[0].spend_rows(month=this_month(), tenant=None)
        assert rows.total.spent_pico == sum(charged) <= CAPS["provider:openai"]
        assert rows.total.held_pico == 0
        assert rows.total.attempts == len(charged)
        assert CAPS["provider:openai"] - sum(charged) < max(amounts)  # the cap was used
        ok, detail = await stores[0].verify()
        assert ok, detail
        assert detail.startswith(f"{len(charged)} rows verified (keyed) in 3 chains")
        for s in stores:
            await s.close()

    asyncio.run(main())


def test_settle_and_release_are_idempotent_and_charge_the_whole_hold_when_usage_is_missing(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(pg_url)
        a = await reserved(store, hold("a", 500))
        await asyncio.gather(store.settle(a, row("a", 100)), store.settle(a, row("a", 100)))
        await store.settle(a, row("a", 100))
        b = await reserved(store, hold("b", 700))
        await store.settle(b, row("b", 10, usage_missing=True, outcome="cut"))
        c = await reserved(store, hold("c", 900))
        await store.release(c)
        await store.release(c)
        await store.settle(c, row("c", 900))  # released: nothing to charge any more
        rows = await store.spend_rows(month=a.month, tenant=None)
        assert (rows.total.spent_pico, rows.total.held_pico, rows.total.attempts) == (800, 0, 2)
        assert store.used()["provider:openai"] == 800
        recent = await store.recent(limit=5)
        assert [(r["request_id"], r["cost_pico"], r["reserved_pico"]) for r in recent] == [
            ("b", 700, 700),
            ("a", 100, 500),
        ]
        await store.close()

    asyncio.run(main())


def test_every_scope_is_capped_tenant_included_and_a_shortfall_names_the_reset(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(pg_url)
        caps = {"provider:openai": 5_000, "tenant:acme": 1_000, "total": 8_000}
        await reserved(store, hold("t1", 800, caps, tenant="acme"))
        short = await store.reserve(hold("t2", 300, caps, tenant="acme"))
        assert isinstance(short, Shortfall)
        assert (short.scope, short.cap_pico, short.left_pico) == ("tenant:acme", 1_000, 200)
        assert short.resets_at is not None and short.resets_at.day == 1
        assert short.resets_at > datetime.now(UTC)
        others = {"provider:openai": 5_000, "total": 8_000}
        await reserved(store, hold("t3", 300, others, tenant="other"))  # another tenant fits
        await store.close()

    asyncio.run(main())


def test_the_database_clock_decides_the_month_not_the_process_clock(pg_url: str) -> None:
    async def main() -> None:
        store = await pg(pg_url, clock=lambda: datetime(1999, 12, 31, 23, 59, tzinfo=UTC))
        got = await reserved(store, hold("m", 1))
        db_month = await store._call(
            "read the time",
            lambda c: c.fetchval("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')"),
        )
        assert got.month == db_month != "1999-12"
        await store.close()

    asyncio.run(main())


def test_a_dead_owners_reservations_are_reaped_after_its_lease_and_a_live_ones_never(
    pg_url: str,
) -> None:
    async def main() -> None:
        live = await pg(pg_url, owner="live", lease_s=60)
        dead = await pg(pg_url, owner="dead", lease_s=0.3)
        mine = await reserved(live, hold("mine", 400))
        lost = await reserved(dead, hold("lost", 600, tenant="acme"))
        await dead._pool.close()  # gone without a word, as after kill -9
        assert await live.reap(lease_s=60) == 0  # its lease may not have passed yet
        await asyncio.sleep(0.5)
        assert await live.reap(lease_s=60) == 1
        assert await live.reap(lease_s=60) == 0
        await live.settle(mine, row("mine", 100))
        rows = await live.spend_rows(month=mine.month, tenant=None)
        assert (rows.total.spent_pico, rows.total.held_pico) == (700, 0)
        found = {r["request_id"]: r for r in await live.recent(limit=10)}
        assert found["lost"]["outcome"] == "lost" and found["lost"]["usage_missing"] is True
        assert found["lost"]["cost_pico"] == 600 and found["lost"]["tenant"] == "acme"
        assert found["lost"]["reservation_id"] == lost.id
        ok, detail = await live.verify()
        assert ok, detail
        await live.close()

    asyncio.run(main())


def test_an_owner_reaped_during_a_long_pause_takes_a_new_lease_on_its_next_reservation(
    pg_url: str,
) -> None:
    async def main() -> None:
        slow = await pg(pg_url, owner="slow", lease_s=0.2)
        other = await pg(pg_url, owner="other")
        first = await reserved(slow, hold("p1", 100))
        await asyncio.sleep(0.4)
        assert await other.reap(lease_s=60) == 1  # slow looked dead
        await slow.settle(first, row("p1", 50))  # already charged in full: a no-op
        again = await reserved(slow, hold("p2", 100))
        assert await other.reap(lease_s=60) == 0  # the new reservation has a live lease
        await slow.settle(again, row("p2", 40))
        rows = await other.spend_rows(month=first.month, tenant=None)
        assert (rows.total.spent_pico, rows.total.attempts) == (140, 2)
        await slow.close()
        await other.close()

    asyncio.run(main())


def test_replicas_starting_together_apply_each_migration_once(pg_url: str) -> None:
    async def main() -> None:
        stores = await asyncio.gather(*(pg(pg_url, owner=f"s{i}") for i in range(4)))
        assert {await s.schema_version() for s in stores} == {len(MIGRATIONS)}
        versions = await stores[0]._call(
            "read", lambda c: c.fetch("SELECT version FROM tiergate.migrations ORDER BY 1")
        )
        assert [v["version"] for v in versions] == list(range(1, len(MIGRATIONS) + 1))
        assert await stores[0].migrate() == len(MIGRATIONS)  # nothing left to apply
        for s in stores:
            await s.close()

    asyncio.run(main())


def test_a_readonly_store_on_an_empty_database_reports_nothing_and_creates_nothing(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(pg_url, readonly=True)
        assert await store.schema_version() == 0
        assert (await store.spend_rows(month="2026-01", tenant=None)).total.attempts == 0
        assert await store.verify() == (False, f"no ledger at {store.url}")
        with pytest.raises(StoreUnavailable, match="read-only"):
            await store.migrate()
        await store.close()

    asyncio.run(main())


def test_verify_detects_an_edited_row_a_truncated_chain_a_removed_replica_and_a_wrong_key(
    pg_url: str, postgres: PostgresCluster
) -> None:
    database = pg_url.rsplit("/", 1)[1]

    async def main() -> None:
        store = await pg(pg_url, owner="a")
        other = await pg(pg_url, owner="b")
        for i in range(5):
            await store.record(row(f"v{i}", provider="local", egress=False, tier=1))
        await other.record(row("w0", provider="local", egress=False, tier=1))
        ok, detail = await store.verify()
        assert ok and detail == "6 rows verified (keyed) in 2 chains", detail
        await store.close()
        await other.close()
        wrong = await open_store(pg_url, key=b"another key", readonly=True)
        ok, detail = await wrong.verify()
        assert not ok and "ledger key" in detail
        await wrong.close()

    asyncio.run(main())
    # The append-only triggers stop an accident; a superuser can still disable them.
    with pytest.raises(RuntimeError, match="append-only"):
        postgres.psql("UPDATE tiergate.attempts SET cost_pico = 0 WHERE seq = 2", database)
    postgres.psql("ALTER TABLE tiergate.attempts DISABLE TRIGGER USER", database)
    postgres.psql(
        "UPDATE tiergate.attempts SET model = 'edited' WHERE chain = 'a' AND seq = 2", database
    )
    ok, detail = verify(pg_url)
    assert not ok and detail.endswith("does not match its chain: it was edited, a row before it "
                                      "was replaced, or the ledger key is not the one it was "
                                      "written with"), detail  # fmt: skip
    postgres.psql(
        "UPDATE tiergate.attempts SET model = 'gpt-4o' WHERE chain = 'a' AND seq = 2; "
        "DELETE FROM tiergate.attempts WHERE chain = 'a' AND seq = 5; "
        "UPDATE tiergate.chains SET last_seq = 4, last_hash = "
        "(SELECT hash FROM tiergate.attempts WHERE chain = 'a' AND seq = 4) WHERE chain = 'a'",
        database,
    )
    assert verify(pg_url) == (False, "the head of chain a was rewritten")
    postgres.psql(
        "DELETE FROM tiergate.attempts WHERE chain = 'a'; DELETE FROM tiergate.chains WHERE chain = 'a'",
        database,
    )
    ok, detail = verify(pg_url)
    assert not ok and detail.startswith("the chain registry breaks at entry 1 (b)"), detail


def verify(url: str) -> tuple[bool, str]:
    async def main() -> tuple[bool, str]:
        store = await open_store(url, key=KEY, readonly=True)
        try:
            return await store.verify()
        finally:
            await store.close()

    return asyncio.run(main())


# -- the database goes away -------------------------------------------------------------------


@pytest.fixture
def own_postgres(postgres: PostgresCluster) -> Iterator[PostgresCluster]:
    """A PostgreSQL of this test's own, to stop and start (the session's one stays up)."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir, durable_commits=True)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def test_while_the_database_is_down_reserve_fails_closed_and_rows_wait_in_memory(
    own_postgres: PostgresCluster,
) -> None:
    url = own_postgres.database("outage")

    async def main() -> None:
        store = await pg(url)
        before = await reserved(store, hold("before", 300))
        own_postgres.stop("immediate")
        with pytest.raises(StoreUnavailable, match="cannot reserve"):
            await store.reserve(hold("during", 300))
        assert not store.healthy
        queued = [store.record(row(f"free{i}", provider="local", egress=False)) for i in range(20)]
        with pytest.raises(StoreUnavailable):
            await store.settle(before, row("before", 100))  # the reservation stays held
        await asyncio.sleep(0.3)
        assert not any(f.done() for f in queued)  # still waiting, not dropped
        own_postgres.start()
        await asyncio.wait_for(asyncio.gather(*queued), 30)
        await store.settle(before, row("before", 100))
        assert store.healthy
        await reserved(store, hold("after", 300))
        rows = await store.spend_rows(month=before.month, tenant=None)
        assert (rows.total.attempts, rows.total.spent_pico, rows.total.held_pico) == (21, 100, 300)
        ok, detail = await store.verify()
        assert ok, detail
        await store.close()

    asyncio.run(main())


def cluster_pids(cluster: PostgresCluster) -> list[int]:
    """The postmaster this test started and its children (by parent pid, never by name)."""
    main = int((cluster.data / "postmaster.pid").read_text().split()[0])
    found = [main]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == main:
                found.append(int(entry.name))
    return found


def test_a_hung_database_fails_reserve_by_its_timeout_and_rows_wait_until_it_answers(
    own_postgres: PostgresCluster,
) -> None:
    url = own_postgres.database("hung")

    async def main() -> None:
        store = await pg(url)
        await reserved(store, hold("before", 10))
        frozen = cluster_pids(own_postgres)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            # The deadline only guards the test: the store's own timeout must fire first.
            with pytest.raises(StoreUnavailable, match="cannot reserve: TimeoutError"):
                await asyncio.wait_for(store.reserve(hold("during", 10)), 60)
            assert not store.healthy
            queued = store.record(row("free", provider="local", egress=False))
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        await asyncio.wait_for(queued, 60)
        after = await reserved(store, hold("after", 10))
        # "during" may have run when the server resumed; its caller heard an error and will
        # not use it, so the heartbeat releases it (and keeps trying for a while).
        await store.heartbeat()
        assert store.healthy
        rows = await store.spend_rows(month=after.month, tenant=None)
        assert (rows.total.attempts, rows.total.held_pico) == (1, 20)
        await store.close()

    asyncio.run(main())


def test_a_row_the_database_refuses_fails_alone_and_never_blocks_the_rows_behind_it(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(pg_url)
        good = [store.record(row(f"g{i}", model="llama\x00")) for i in range(3)]
        bad = store.record(row("bad", prompt_tokens=2**63))  # beyond PostgreSQL's bigint
        good += [store.record(row(f"h{i}")) for i in range(3)]
        await asyncio.wait_for(asyncio.gather(*good), 30)
        with pytest.raises(RowsRefused, match="refused to write the ledger"):
            await asyncio.wait_for(bad, 30)
        assert store.healthy
        found = await store.recent(limit=10)
        assert sorted(r["request_id"] for r in found) == ["g0", "g1", "g2", "h0", "h1", "h2"]
        assert {r["model"] for r in found} == {"llama\ufffd", "gpt-4o"}
        ok, detail = await store.verify()
        assert ok, detail
        await store.close()

    asyncio.run(main())


# -- leased budget slices (?budget_slice_usd=) -------------------------------------------------


def sliced(url: str, pico: int) -> str:
    return f"{url}?budget_slice_usd={Decimal(pico) / 10**12}"


def test_with_slices_owners_racing_for_one_cap_never_overshoot_and_the_cap_is_used(
    pg_url: str,
) -> None:
    async def main() -> None:
        url = sliced(pg_url, 2_000)
        stores = [await pg(url, owner=f"replica-{i}") for i in range(3)]
        rng = random.Random(11)
        amounts = [rng.randint(100, 900) for _ in range(240)]
        charged: list[int] = []

        async def one(store: PostgresStore, i: int, pico: int) -> None:
            got = await store.reserve(hold(f"r{i}", pico))
            if isinstance(got, Shortfall):
                assert got.scope == "provider:openai"
                return
            cost = pico * 2 // 3
            await store.settle(got, row(f"r{i}", cost))
            charged.append(cost)

        await asyncio.gather(*(one(stores[i % 3], i, p) for i, p in enumerate(amounts)))
        assert sum(charged) <= CAPS["provider:openai"]
        for s in stores[1:]:
            await s.close()  # their slices go back
        for i, p in enumerate(amounts[:60], start=len(amounts)):
            await one(stores[0], i, p)
        await stores[0].close()
        reader = await pg(pg_url, readonly=True)
        rows = await reader.spend_rows(month=this_month(), tenant=None)
        assert rows.total.spent_pico == sum(charged) <= CAPS["provider:openai"]
        assert (rows.total.held_pico, rows.total.attempts) == (0, len(charged))
        assert CAPS["provider:openai"] - sum(charged) < max(amounts)  # the cap was used
        # The running totals (what reserve checks) agree: every slice given back, nothing held.
        totals = await reader._call(
            "read", lambda c: c.fetch("SELECT scope, spent_pico, held_pico FROM tiergate.totals")
        )
        assert {(t["scope"], t["spent_pico"], t["held_pico"]) for t in totals} == {
            ("provider:openai", sum(charged), 0),
            ("total", sum(charged), 0),
        }
        ok, detail = await reader.verify()
        assert ok, detail
        await reader.close()

    asyncio.run(main())


def test_a_reservation_inside_a_slice_moves_no_total_and_a_release_keeps_it_in_the_slice(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(sliced(pg_url, 5_000))
        first = await reserved(store, hold("s1", 100))
        assert store.used()["provider:openai"] == 5_000  # the slice is held, not 5_000 + 100
        second = await reserved(store, hold("s2", 300))
        await store.release(second)
        await store.settle(first, row("s1", 60))
        assert store.used()["provider:openai"] == 5_000  # 60 spent + 4_940 still in the slice
        rows = await store.spend_rows(month=first.month, tenant=None)
        assert (rows.total.spent_pico, rows.total.held_pico) == (60, 0)  # open reservations: none
        await store.close()  # gives the slice back
        reader = await pg(pg_url, readonly=True)
        totals = await reader._call(
            "read", lambda c: c.fetch("SELECT scope, spent_pico, held_pico FROM tiergate.totals")
        )
        assert {(t["scope"], t["spent_pico"], t["held_pico"]) for t in totals} == {
            ("provider:openai", 60, 0),
            ("total", 60, 0),
        }
        await reader.close()

    asyncio.run(main())


def test_a_dead_owners_slice_is_reaped_its_open_holds_charged_in_full_the_rest_given_back(
    pg_url: str,
) -> None:
    async def main() -> None:
        live = await pg(pg_url, owner="live", lease_s=60)
        dead = await pg(sliced(pg_url, 5_000), owner="dead", lease_s=0.3)
        got = await reserved(dead, hold("lost", 700))
        await dead._pool.close()  # gone without a word, as after kill -9
        await asyncio.sleep(0.5)
        assert await live.reap(lease_s=60) == 1
        rows = await live.spend_rows(month=got.month, tenant=None)
        assert (rows.total.spent_pico, rows.total.held_pico) == (700, 0)
        assert live.used()["provider:openai"] == 700  # the rest of the slice came back
        ok, detail = await live.verify()
        assert ok, detail
        await live.close()

    asyncio.run(main())


def test_an_attempt_that_cost_more_than_its_hold_inside_a_slice_is_counted_in_full(
    pg_url: str,
) -> None:
    async def main() -> None:
        store = await pg(sliced(pg_url, 1_000))
        first = await reserved(store, hold("o1", 400))
        await store.settle(first, row("o1", 1_300))  # the provider billed past the bound
        await store.close()  # gives the slice back: the excess over the slice is held back
        reader = await pg(pg_url, readonly=True)
        totals = await reader._call(
            "read", lambda c: c.fetch("SELECT scope, spent_pico, held_pico FROM tiergate.totals")
        )
        assert {(t["scope"], t["spent_pico"] + t["held_pico"]) for t in totals} == {
            ("provider:openai", 1_300),
            ("total", 1_300),
        }
        await reader.close()

    asyncio.run(main())
