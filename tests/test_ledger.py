"""The ledger against a real SQLite file: durability, group commit, the hash chain, append-only."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tiergate.errors import StoreUnavailable
from tiergate.ledger import ATTEMPT_COLUMNS, MIGRATIONS, AttemptRecord, Ledger
from tiergate.reports import verify

NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def attempt(request_id: str, *, cost: int = 0, provider: str = "cloud") -> AttemptRecord:
    return AttemptRecord(
        request_id=request_id,
        attempt=1,
        tenant=None,
        provider=provider,
        model="m",
        tier=2,
        rule="default",
        classification="internal",
        classification_source="default",
        egress=True,
        prompt_tokens=10,
        completion_tokens=5,
        cost_micros=cost,
        reserved_micros=0,
        latency_ms=12.3456,
        outcome="ok",
    )


async def write(path: Path, count: int, *, concurrent: bool = True) -> tuple[int, int]:
    ledger = await Ledger.open(str(path), clock=lambda: NOV)
    records = [attempt(f"r{i}", cost=i) for i in range(count)]
    if concurrent:
        await asyncio.gather(*(ledger.record(r) for r in records))
    else:
        for r in records:
            await ledger.record(r)
    stats = ledger.stats
    await ledger.close()
    return stats


def test_schema_is_migrated_once_and_holds_no_prompt_or_answer(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 1))
    asyncio.run(write(path, 1))  # reopening must not re-run a migration
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    columns = {row[1] for row in conn.execute("PRAGMA table_info(attempts)")}
    assert columns == {*ATTEMPT_COLUMNS, "hash"}
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 2


def test_a_row_is_committed_before_its_future_resolves(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"

    async def main() -> None:
        ledger = await Ledger.open(str(path), clock=lambda: NOV)
        for n in range(1, 4):
            await ledger.record(attempt(f"r{n}"))
            # Another connection (as another process would) already sees it.
            other = sqlite3.connect(path)
            assert other.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == n
            other.close()
        await ledger.close()

    asyncio.run(main())


def test_concurrent_records_share_transactions_and_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    commits, rows = asyncio.run(write(path, 300))
    assert rows == 300
    assert commits < rows  # group commit: waiting rows share a transaction
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT id FROM attempts ORDER BY id")] == list(
        range(1, 301)
    )
    ok, detail = verify(path)
    assert ok, detail


def test_the_attempts_table_refuses_updates_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 3))
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE attempts SET cost_micros = 0 WHERE id = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM attempts WHERE id = 2")


def tamper(path: Path, sql: str) -> None:
    # Someone with write access can drop the guards; the chain still tells.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER attempts_no_update")
    conn.execute("DROP TRIGGER attempts_no_delete")
    conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        ("UPDATE attempts SET cost_micros = 0 WHERE id = 3", "row id 3"),
        ("UPDATE attempts SET classification = 'public' WHERE id = 5", "row id 5"),
        ("DELETE FROM attempts WHERE id = 2", "row id 3"),
        ("DELETE FROM attempts WHERE id = 6", "chain head"),
    ],
)
def test_an_edited_or_deleted_row_breaks_the_chain(tmp_path: Path, sql: str, found: str) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 6, concurrent=False))
    ok, detail = verify(path)
    assert ok, detail
    assert "6 rows" in detail
    tamper(path, sql)
    ok, detail = verify(path)
    assert not ok
    assert found in detail


def test_appending_after_reopen_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 4))
    asyncio.run(write(path, 4))
    ok, detail = verify(path)
    assert ok, detail
    assert "8 rows" in detail


def test_a_closed_ledger_refuses_writes(tmp_path: Path) -> None:
    async def main() -> None:
        ledger = await Ledger.open(str(tmp_path / "ledger.db"))
        await ledger.close()
        assert not ledger.healthy
        with pytest.raises(StoreUnavailable, match="closed"):
            await ledger.record(attempt("late"))

    asyncio.run(main())


def test_an_unopenable_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="cannot open the ledger"):
        asyncio.run(Ledger.open(str(tmp_path / "missing-dir" / "ledger.db")))


def test_kill_9_loses_no_row_that_was_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from tiergate.ledger import AttemptRecord, Ledger

        async def main():
            ledger = await Ledger.open({str(path)!r})
            n = 0
            while True:
                batch = [ledger.record(AttemptRecord(
                    request_id=f"r{{n + i}}", attempt=1, tenant=None, provider="cloud",
                    model="m", tier=2, rule="default", classification="internal",
                    classification_source="default", egress=True, prompt_tokens=1,
                    completion_tokens=1, cost_micros=1, reserved_micros=1, latency_ms=1.0,
                    outcome="ok")) for i in range(8)]
                await asyncio.gather(*batch)
                n += 8
                print(n, flush=True)  # acknowledged: these rows were committed

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = 0
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 400:
            break
    proc.kill()  # SIGKILL: no clean shutdown, no final commit
    proc.wait()
    proc.stdout.close()
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    conn.close()
    assert stored >= acknowledged
    ok, detail = verify(path)
    assert ok, detail
