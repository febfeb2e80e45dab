"""The SQLite store's ledger on a real file: durability, group commit, append-only, the keyed chain,
migrations from the micro-dollar schema, and what a locked file does to each kind of write."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tiergate.errors import StoreUnavailable
from tiergate.stores import AttemptRecord, Hold, Reservation
from tiergate.stores._sqlite_schema import _V1 as V1_SCHEMA
from tiergate.stores._sqlite_schema import ATTEMPT_COLUMNS, MIGRATIONS, script
from tiergate.stores.sqlite import SqliteStore

KEY = b"test-ledger-key"


def attempt(request_id: str, *, cost: int = 0, provider: str = "cloud") -> AttemptRecord:
    return AttemptRecord(
        request_id=request_id, attempt=1, tenant=None, provider=provider, model="m", tier=2,
        rule="default", classification="internal", classification_source="default",
        egress=True, prompt_tokens=10, completion_tokens=5, cost_pico=cost, reserved_pico=0,
        latency_ms=12.3456, outcome="ok", ttft_ms=3.25,
    )  # fmt: skip


async def opened(path: Path, *, key: bytes | None = KEY, **options: float) -> SqliteStore:
    return await SqliteStore.open(f"sqlite:///{path}", owner="test", key=key, **options)  # type: ignore[arg-type]


async def write(
    path: Path, count: int, *, concurrent: bool = True, key: bytes | None = KEY
) -> tuple[int, int]:
    store = await opened(path, key=key)
    records = [attempt(f"r{i}", cost=i) for i in range(count)]
    if concurrent:
        await asyncio.gather(*(store.record(r) for r in records))
    else:
        for r in records:
            await store.record(r)
    stats = store.stats
    await store.close()
    return stats


def verify(path: Path, key: bytes | None = KEY) -> tuple[bool, str]:
    async def check() -> tuple[bool, str]:
        store = await SqliteStore.open(f"sqlite:///{path}", owner="v", key=key, readonly=True)
        return await store.verify()

    return asyncio.run(check())


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
        store = await opened(path)
        for n in range(1, 4):
            await store.record(attempt(f"r{n}"))
            # Another connection (as another process would) already sees it.
            other = sqlite3.connect(path)
            assert other.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == n
            other.close()
        await store.close()

    asyncio.run(main())


def test_concurrent_records_share_transactions_and_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    commits, rows = asyncio.run(write(path, 300))
    assert rows >= 300
    assert commits < rows  # group commit: waiting rows share a transaction
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("SELECT id FROM attempts ORDER BY id")]
    assert ids == list(range(1, 301))
    ok, detail = verify(path)
    assert ok, detail


def test_the_attempts_table_refuses_updates_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 3))
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE attempts SET cost_pico = 0 WHERE id = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM attempts WHERE id = 2")


def tamper(path: Path, *statements: str) -> None:
    # Someone with write access can drop the guards; the keyed chain still tells.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER attempts_no_update")
    conn.execute("DROP TRIGGER attempts_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.close()


def head_of(path: Path, row_id: int) -> str:
    conn = sqlite3.connect(path)
    digest: str = conn.execute("SELECT hash FROM attempts WHERE id = ?", (row_id,)).fetchone()[0]
    conn.close()
    return digest


@pytest.mark.parametrize(
    ("statements", "found"),
    [
        (["UPDATE attempts SET cost_pico = 0 WHERE id = 3"], "row id 3"),
        (["UPDATE attempts SET classification = 'public' WHERE id = 5"], "row id 5"),
        (["DELETE FROM attempts WHERE id = 2"], "row id 3"),
        (["DELETE FROM attempts WHERE id = 6"], "chain head (row id 6)"),
        (["UPDATE chain_head SET last_hash = 'ab' || substr(last_hash, 3)"], "chain head"),
    ],
)
def test_an_edited_row_deleted_rows_or_an_edited_head_break_the_chain(
    tmp_path: Path, statements: list[str], found: str
) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 6, concurrent=False))
    ok, detail = verify(path)
    assert ok and "6 rows" in detail, detail
    tamper(path, *statements)
    ok, detail = verify(path)
    assert not ok
    assert found in detail


def test_deleting_trailing_rows_and_rewriting_the_head_to_match_is_caught_by_its_mac(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 6, concurrent=False))
    fourth = head_of(path, 4)
    tamper(
        path,
        "DELETE FROM attempts WHERE id > 4",
        f"UPDATE chain_head SET last_id = 4, last_hash = '{fourth}'",
    )
    ok, detail = verify(path)
    assert not ok
    assert "head was rewritten" in detail


def test_without_a_key_the_chain_verifies_with_a_warning_and_a_keyed_ledger_needs_its_key(
    tmp_path: Path,
) -> None:
    plain, keyed = tmp_path / "plain.db", tmp_path / "keyed.db"
    asyncio.run(write(plain, 2, key=None))
    ok, detail = verify(plain, key=None)
    assert ok and "no ledger key is configured" in detail
    asyncio.run(write(keyed, 2))
    ok, detail = verify(keyed, key=None)
    assert not ok and "TIERGATE_LEDGER_KEY" in detail
    ok, detail = verify(keyed, key=b"not the key")
    assert not ok and "not written with the configured key" in detail
    with pytest.raises(StoreUnavailable, match="keyed"):
        asyncio.run(write(keyed, 1, key=None))  # a writer without the key would weaken it


def test_an_unkeyed_ledger_is_keyed_from_its_next_row(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 3, key=None))
    asyncio.run(write(path, 3))
    ok, detail = verify(path)
    assert ok and "6 rows verified with the ledger key" in detail, detail
    tamper(path, "UPDATE attempts SET cost_pico = 7 WHERE id = 5")
    assert not verify(path)[0]


def test_appending_after_reopen_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    asyncio.run(write(path, 4))
    asyncio.run(write(path, 4))
    ok, detail = verify(path)
    assert ok and "8 rows" in detail, detail


def test_a_closed_store_refuses_writes(tmp_path: Path) -> None:
    async def main() -> None:
        store = await opened(tmp_path / "ledger.db")
        await store.close()
        assert not store.healthy
        with pytest.raises(StoreUnavailable, match="closed"):
            await store.record(attempt("late"))

    asyncio.run(main())


def test_an_unopenable_path_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreUnavailable, match="cannot open the store"):
        asyncio.run(opened(tmp_path / "a-file" / "ledger.db"))


def test_a_micro_dollar_ledger_is_migrated_to_pico_and_rechained(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    script(conn, V1_SCHEMA)  # the micro-dollar schema of earlier releases
    conn.execute(
        "INSERT INTO attempts VALUES (1, '2026-11-10T12:00:00.000000Z', '2026-11', 'old', 1, "
        "NULL, 'openai', 'm', 3, 'default', 'internal', 'default', 1, 10, 5, 42, 50, 1.5, 'ok', "
        "0, 'bypass', 200, 'chat', 1, 'x')"
    )
    conn.execute(
        "INSERT INTO reservations VALUES (1, '2026-11-10T12:00:00.000000Z', '2026-11', 'old', 1, "
        "'openai', NULL, 50, 'settled', NULL)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()
    asyncio.run(write(path, 1))
    conn = sqlite3.connect(path)
    assert conn.execute(
        "SELECT cost_pico, reserved_pico FROM attempts WHERE id = 1"
    ).fetchone() == (
        42_000_000,
        50_000_000,
    )
    assert conn.execute(
        "SELECT spent_pico FROM totals WHERE month = '2026-11' AND scope = 'provider:openai'"
    ).fetchone() == (42_000_000,)
    conn.close()
    ok, detail = verify(path)
    assert ok and "2 rows" in detail, detail


def test_a_locked_file_fails_a_reservation_and_retries_a_record_until_it_lands(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ledger.db"

    async def main() -> None:
        store = await opened(path, busy_timeout_s=0.2)
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # another process is writing
        with pytest.raises(StoreUnavailable, match="cannot be written"):
            await store.reserve(Hold("r", 1, "openai", None, 10, {}))
        assert not store.healthy  # paid providers now fail closed
        queued = store.record(attempt("queued"))
        await asyncio.sleep(0.5)
        assert not queued.done()  # still retrying: rows are never dropped
        lock.execute("ROLLBACK")
        lock.close()
        await asyncio.wait_for(queued, timeout=15)
        assert store.healthy
        held = await store.reserve(Hold("r", 1, "openai", None, 10, {}))
        assert isinstance(held, Reservation)
        await store.close()

    asyncio.run(main())
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT request_id FROM attempts").fetchall() == [("queued",)]
    conn.close()


def test_kill_9_loses_no_row_or_reservation_that_was_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    program = textwrap.dedent(
        f"""
        import asyncio
        from tiergate.stores import AttemptRecord, Hold, open_store

        async def main():
            store = await open_store({f"sqlite:///{path}"!r}, owner="doomed", key={KEY!r})
            n = 0
            while True:
                rows = [store.record(AttemptRecord(
                    request_id=f"r{{n + i}}", attempt=1, tenant=None, provider="cloud",
                    model="m", tier=2, rule="default", classification="internal",
                    classification_source="default", egress=True, prompt_tokens=1,
                    completion_tokens=1, cost_pico=1, reserved_pico=0, latency_ms=1.0,
                    outcome="ok")) for i in range(8)]
                holds = [store.reserve(Hold(f"h{{n + i}}", 1, "cloud", None, 5, {{}}))
                         for i in range(8)]
                await asyncio.gather(*rows, *holds)
                n += 8
                print(n, flush=True)  # acknowledged: these rows and holds were committed

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
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
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] >= acknowledged
    assert conn.execute("SELECT COUNT(*) FROM reservations").fetchone()[0] >= acknowledged
    conn.close()
    ok, detail = verify(path)
    assert ok, detail
