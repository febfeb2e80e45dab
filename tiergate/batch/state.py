"""A batch run's state, line by line, in a SQLite file next to the output: what makes a run resumable.

Each line moves pending -> running (the normal path, written before anything is sent) -> done,
or pending -> reserved (its money held, written before the provider's batch is created) ->
submitted (the provider's batch id) -> done. A line's facts for settling it later (the
reservation, the route, the price) are kept with it, so a resumed run settles what an
interrupted one submitted. Writes are durable before they return (WAL; a process killed
afterwards loses nothing) and run in one worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import orjson

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lines (
    idx INTEGER PRIMARY KEY,
    custom_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    chunk TEXT,
    batch_id TEXT,
    plan BLOB,
    result BLOB
);
CREATE INDEX IF NOT EXISTS lines_status ON lines (status);
"""


@dataclass(frozen=True, slots=True)
class Line:
    idx: int
    custom_id: str
    status: str  # pending | running | reserved | submitted | done
    chunk: str | None
    batch_id: str | None
    plan: dict[str, Any] | None
    result: dict[str, Any] | None


class RunState:
    """The lines of one run; build it with `await RunState.open(path, fingerprint=..., ids=...)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiergate-batch-state")
        self._conn: sqlite3.Connection | None = None
        self._lock_file: BinaryIO | None = None

    @classmethod
    async def open(cls, path: Path, *, fingerprint: str, ids: Iterable[str]) -> RunState:
        """Open (or create) the state of the input whose sha256 is `fingerprint`, and hold it:
        one run at a time (the lock goes with the process, kill -9 included).

        Raises ValueError when another run holds it, or it is the state of another input."""
        state = cls(path)
        try:
            await state._run(lambda c: state._init(c, fingerprint, list(ids)))
        except BaseException:
            await state.close()
            raise
        return state

    def _lock(self) -> None:
        self._lock_file = open(self.path.with_name(self.path.name + ".lock"), "a+b")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            self._lock_file = None
            raise ValueError(
                f"another `tiergate batch run` is working on {self.path} right now; wait for it "
                "to finish (or stop it), then run this again to resume"
            ) from None

    def _init(self, conn: sqlite3.Connection, fingerprint: str, ids: list[str]) -> None:
        self._lock()
        conn.executescript(_SCHEMA)
        found = conn.execute("SELECT v FROM meta WHERE k = 'input_sha256'").fetchone()
        if found is not None and found[0] != fingerprint:
            raise ValueError(
                f"{self.path} holds the state of another input file; remove it to start over, "
                "or choose another --out"
            )
        if found is None:
            with _transaction(conn):
                conn.execute("INSERT INTO meta (k, v) VALUES ('input_sha256', ?)", (fingerprint,))
                conn.execute("INSERT INTO meta (k, v) VALUES ('run_id', ?)", (uuid.uuid4().hex,))
                conn.executemany(
                    "INSERT INTO lines (idx, custom_id) VALUES (?, ?)", list(enumerate(ids))
                )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # a killed process loses nothing
        return self._conn

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self._connection()))

    async def run_id(self) -> str:
        """This run's id, the same across resumes."""

        def read(c: sqlite3.Connection) -> str:
            return str(c.execute("SELECT v FROM meta WHERE k = 'run_id'").fetchone()[0])

        return await self._run(read)

    async def lines(self) -> list[Line]:
        def read(c: sqlite3.Connection) -> list[Line]:
            rows = c.execute(
                "SELECT idx, custom_id, status, chunk, batch_id, plan, result FROM lines ORDER BY idx"
            ).fetchall()
            return [_line(r) for r in rows]

        return await self._run(read)

    async def running(self, idx: int) -> None:
        await self._set("UPDATE lines SET status = 'running' WHERE idx = ?", [(idx,)])

    async def reserved(self, chunk: str, plans: dict[int, dict[str, Any]]) -> None:
        await self._set(
            "UPDATE lines SET status = 'reserved', chunk = ?, plan = ? WHERE idx = ?",
            [(chunk, orjson.dumps(plan), idx) for idx, plan in plans.items()],
        )

    async def submitted(self, chunk: str, batch_id: str) -> None:
        await self._set(
            "UPDATE lines SET status = 'submitted', batch_id = ? WHERE chunk = ?",
            [(batch_id, chunk)],
        )

    async def reset(self, indexes: list[int]) -> None:
        """Back to pending: lines to run again."""
        await self._set(
            "UPDATE lines SET status = 'pending', result = NULL WHERE idx = ?",
            [(idx,) for idx in indexes],
        )

    async def done(self, results: dict[int, dict[str, Any]]) -> None:
        await self._set(
            "UPDATE lines SET status = 'done', result = ? WHERE idx = ?",
            [(orjson.dumps(result), idx) for idx, result in results.items()],
        )

    async def _set(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        def write(c: sqlite3.Connection) -> None:
            with _transaction(c):
                c.executemany(sql, rows)

        await self._run(write)

    async def close(self) -> None:
        def shut(c: sqlite3.Connection) -> None:
            c.close()
            self._conn = None

        if self._conn is not None:
            await self._run(shut)
        self._pool.shutdown(wait=True)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None


def _line(r: tuple[Any, ...]) -> Line:
    plan = orjson.loads(r[5]) if r[5] else None
    result = orjson.loads(r[6]) if r[6] else None
    return Line(r[0], r[1], r[2], r[3], r[4], plan, result)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


__all__ = ["Line", "RunState"]
