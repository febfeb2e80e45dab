"""The SQLite store gathers operations on the event loop and hands them to its writer in one
batch: free rows wait a few milliseconds for company, money never waits for them."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from tests.test_ledger import attempt, opened, verify
from tiergate.stores import Hold, Reservation, RowsRefused
from tiergate.stores._sqlite_writer import connect
from tiergate.stores.sqlite import RECORD_GROUP_S


def test_free_rows_of_one_burst_share_one_transaction(tmp_path: Path) -> None:
    async def main() -> tuple[int, int]:
        store = await opened(tmp_path / "ledger.db")
        before = store.stats
        rows = [store.record(attempt(f"r{i}")) for i in range(200)]
        await asyncio.wait_for(asyncio.gather(*rows), 10)
        after = store.stats
        await store.close()
        return after[0] - before[0], after[1] - before[1]

    commits, ops = asyncio.run(main())
    assert (commits, ops) == (1, 200)
    conn = sqlite3.connect(tmp_path / "ledger.db")
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 200
    conn.close()


def test_a_reservation_takes_waiting_free_rows_along_on_the_next_tick(tmp_path: Path) -> None:
    async def main() -> None:
        store = await opened(tmp_path / "ledger.db")
        before = store.stats
        row = store.record(attempt("free"))
        held = await asyncio.wait_for(store.reserve(Hold("paid", 1, "cloud", None, 5, {})), 10)
        assert isinstance(held, Reservation)
        # The free row went with the reservation, not RECORD_GROUP_S later on its own.
        assert row.done() and row.exception() is None
        assert store.stats[0] - before[0] == 1
        await store.close()

    assert RECORD_GROUP_S > 0
    asyncio.run(main())


def test_rows_waiting_on_the_loop_are_written_when_the_store_closes(tmp_path: Path) -> None:
    async def main() -> None:
        store = await opened(tmp_path / "ledger.db")
        rows = [store.record(attempt(f"late{i}")) for i in range(5)]
        await store.close()  # before the group timer fired
        await asyncio.wait_for(asyncio.gather(*rows), 10)

    asyncio.run(main())
    conn = sqlite3.connect(tmp_path / "ledger.db")
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 5
    conn.close()


def test_a_row_sqlite_cannot_store_fails_alone_and_is_not_retried(tmp_path: Path) -> None:
    async def main() -> None:
        store = await opened(tmp_path / "ledger.db")
        good = [store.record(attempt(f"ok{i}")) for i in range(10)]
        bad = store.record(replace(attempt("bad"), prompt_tokens=2**63))  # past SQLite's INTEGER
        more = [store.record(attempt(f"ok{i}")) for i in range(10, 20)]
        await asyncio.wait_for(asyncio.gather(*good, *more), 10)
        with pytest.raises(RowsRefused, match="refused a row"):
            await asyncio.wait_for(bad, 10)
        await store.close()

    asyncio.run(main())
    conn = sqlite3.connect(tmp_path / "ledger.db")
    ids = [r[0] for r in conn.execute("SELECT request_id FROM attempts ORDER BY id")]
    conn.close()
    assert ids == [f"ok{i}" for i in range(20)]
    ok, detail = verify(tmp_path / "ledger.db")
    assert ok, detail


def test_reservations_sharing_a_transaction_see_each_others_holds(tmp_path: Path) -> None:
    async def main() -> None:
        store = await opened(tmp_path / "ledger.db")
        caps = {"provider:cloud": 100, "total": 1_000}
        before = store.stats
        results = await asyncio.wait_for(
            asyncio.gather(
                *(store.reserve(Hold(f"r{i}", 1, "cloud", None, 10, caps)) for i in range(25))
            ),
            10,
        )
        assert store.stats[0] - before[0] == 1  # one transaction decided all 25
        held = [r for r in results if isinstance(r, Reservation)]
        assert len(held) == 10 and len({r.id for r in held}) == 10
        assert store.used() == {"provider:cloud": 100, "total": 100}
        await asyncio.gather(*(store.release(r) for r in held[:4]))
        again = await store.reserve(Hold("again", 1, "cloud", None, 40, caps))
        assert isinstance(again, Reservation) and again.id > max(r.id for r in held)
        await store.close()

    asyncio.run(main())
    conn = sqlite3.connect(tmp_path / "ledger.db")
    states = dict(conn.execute("SELECT state, COUNT(*) FROM reservations GROUP BY state"))
    totals = dict(conn.execute("SELECT scope, held_pico FROM totals"))
    conn.close()
    assert states == {"open": 7, "released": 4}
    assert totals == {"provider:cloud": 100, "total": 100}


def test_many_openers_of_one_fresh_file_all_get_a_wal_connection(tmp_path: Path) -> None:
    # Switching a new file to WAL skips SQLite's busy handler; about 1 round in 100 of six
    # racing openers saw "database is locked" before connect() waited for it itself.
    errors: list[BaseException] = []

    def open_once(path: Path) -> None:
        try:
            conn = connect(str(path), 5.0)
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            conn.close()
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    for round_ in range(150):
        path = tmp_path / f"fresh{round_}.db"
        threads = [threading.Thread(target=open_once, args=(path,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert errors == []
