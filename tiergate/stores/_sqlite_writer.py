"""The SQLite store's writer: one thread and connection per process, one transaction per batch.

Operations queue up while a transaction runs and share the next one (group
commit). Each transaction is BEGIN IMMEDIATE, reads the chain head and the
running totals inside it, and resolves its callers' futures only once committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import StoreUnavailable
from . import RowsRefused
from ._sqlite_schema import ATTEMPT_COLUMNS, GENESIS
from .calendar import day_of, month_of, stamp

if TYPE_CHECKING:
    from .sqlite import SqliteStore

# Enough to amortise one commit over a burst, small enough that no caller waits long.
MAX_BATCH = 512
BUSY_FIRST_S = 0.0002
BUSY_MAX_S = 0.002

# sqlite3 binds None only after looking for an adapter: it raises and formats two
# AttributeErrors first (~0.5 us a None; a ledger row has several). A registered adapter
# answers at once, with None as it was (an empty dict's get).
sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


@dataclass(slots=True)
class Job:
    op: Callable[[Writer], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _resolve(results: list[tuple[Job, bool, Any]]) -> None:
    for job, ok, value in results:
        if job.future.cancelled():
            continue  # committed all the same; nobody is waiting to hear it
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


class Writer(threading.Thread):
    """Owns this process's write connection; runs queued operations in batches, one transaction each."""

    def __init__(self, store: SqliteStore) -> None:
        super().__init__(name="tiergate-store", daemon=True)
        self.store = store
        # Each item is a batch gathered on one event loop; None stops the thread.
        self.jobs: queue.SimpleQueue[list[Job] | None] = queue.SimpleQueue()
        self.ready = threading.Event()
        self.startup_error: BaseException | None = None
        self.healthy = True
        self.commits = 0
        self.ops = 0
        self.conn: sqlite3.Connection
        self.now: datetime = store.clock()
        # self.now as stored and its month: made once a transaction, not once a row.
        self.now_stamp = stamp(self.now)
        self.month = month_of(self.now)
        self.head: tuple[int, str] = (0, GENESIS)
        self.head_start: tuple[int, str] | None = None  # as read in this transaction
        self.totals_changed = False
        self.deferred: _Deferred | None = None  # writes this transaction makes at its end

    def run(self) -> None:
        try:
            self.conn = connect(self.store.path, self.store.busy_timeout_s)
            self.store.chain.adopt(self.conn, writable=True)
            # From here every statement runs inside a transaction that _begin() obtained with
            # its own short retries; nothing else may wait in SQLite's busy handler.
            self.conn.execute("PRAGMA busy_timeout = 0")
        except (sqlite3.Error, OSError, StoreUnavailable) as exc:
            self.startup_error = (
                exc
                if isinstance(exc, StoreUnavailable)
                else StoreUnavailable(f"cannot open the store at {self.store.url}: {exc}")
            )
            self.ready.set()
            return
        self.ready.set()
        stop = False
        while not stop:
            first = self.jobs.get()
            if first is None:
                break
            batch = list(first)
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.extend(nxt)
            self._run_batch(batch)
        self.conn.close()

    # -- inside a transaction --------------------------------------------------------------
    #
    # Outside savepoints, writes wait for the end of the batch's transaction and go in one
    # executemany per table: every statement gives the GIL away and takes it back, and each take
    # can wait a switch interval while the event loop is busy, all the while holding SQLite's
    # write lock (other processes wait for it). Reads inside the transaction see the batch's
    # own writes through `used()`. With savepoints (the retry after an operation failed), every
    # write runs at once, so that a failing operation is rolled back alone.

    def append(self, values: tuple[Any, ...]) -> int:
        """Insert one attempt row (values without id and hash) at the end of the chain."""
        if self.head_start is None:
            self.head = self.head_start = self.store.chain.read_head(self.conn)
        row_id = self.head[0] + 1
        full = (row_id, *values)
        digest = self.store.chain.row_hash(self.head[1], full)
        if self.deferred is None:
            self.conn.execute(_INSERT, (*full, digest))
        else:
            self.deferred.attempts.append((*full, digest))
        self.head = (row_id, digest)
        return row_id

    def used(self, month: str, scope: str) -> int:
        """What `scope` has spent and holds in `month`, this transaction's own changes included."""
        if self.deferred is None:
            row = self.conn.execute(
                "SELECT spent_pico + held_pico FROM totals WHERE month = ? AND scope = ?",
                (month, scope),
            ).fetchone()
            return int(row[0]) if row else 0
        return self.deferred.month_used(self.conn, month).get(scope, 0)

    def add(self, month: str, scopes: tuple[str, ...], *, spent: int, held: int) -> None:
        self.totals_changed = True
        if self.deferred is not None:
            self.deferred.add(month, scopes, spent, held)
            return
        for scope in scopes:
            self.conn.execute(_ADD_TOTALS, (month, scope, spent, held))

    def spend_today(self, scopes: tuple[str, ...], pico: int) -> None:
        if pico <= 0:
            return
        day = day_of(self.now)
        for scope in scopes:
            if self.deferred is not None:
                key = (day, scope)
                self.deferred.days[key] = self.deferred.days.get(key, 0) + pico
            else:
                self.conn.execute(_ADD_DAY, (day, scope, pico))

    def open_reservation(self, values: tuple[Any, ...]) -> int:
        """Insert an open reservation (ts, month, request_id, attempt, provider, tenant, pico,
        owner); its id."""
        if self.deferred is None:
            cur = self.conn.execute(_INSERT_RESERVATION, values)
            return int(cur.lastrowid or 0)
        return self.deferred.reserve(self.conn, values)

    def close_reservation(self, reservation_id: int, state: str) -> bool:
        """Close an open reservation; False if it was not open (the operation is then a no-op)."""
        if self.deferred is not None and self.deferred.reservations:
            self.deferred.write_reservations(self.conn)  # the one to close may be among them
        cur = self.conn.execute(
            "UPDATE reservations SET state = ?, closed_ts = ? WHERE id = ? AND state = 'open'",
            (state, self.now_stamp, reservation_id),
        )
        return cur.rowcount == 1

    def renew(self) -> None:
        self.totals_changed = True  # a heartbeat also re-reads what other processes hold
        if self.deferred is not None:
            self.deferred.renew = True
            return
        self.conn.execute(_RENEW, (self.store.owner, self._lease_until()))

    def _lease_until(self) -> str:
        return stamp(self.now + timedelta(seconds=self.store.lease_s))

    def _write_deferred(self, deferred: _Deferred) -> None:
        deferred.write_reservations(self.conn)
        if deferred.totals:
            self.conn.executemany(
                _ADD_TOTALS, [(m, s, d[0], d[1]) for (m, s), d in deferred.totals.items()]
            )
        if deferred.days:
            self.conn.executemany(_ADD_DAY, [(d, s, p) for (d, s), p in deferred.days.items()])
        if deferred.renew:
            self.conn.execute(_RENEW, (self.store.owner, self._lease_until()))
        if deferred.attempts:
            insert_rows(self.conn, _INSERT, deferred.attempts)

    # -- batches -----------------------------------------------------------------------------

    def _run_batch(self, batch: list[Job]) -> None:
        try:
            results = self._transaction(batch, savepoints=False)
            if any(not ok for _, ok, _ in results):
                # One operation's own mistake: run the batch again with a savepoint around each
                # operation, so that it fails alone and the others still commit.
                results = self._transaction(batch, savepoints=True)
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            self.healthy = False
            error = StoreUnavailable(f"the store at {self.store.url} cannot be written: {exc}")
            results = [(job, False, error) for job in batch]
        else:
            self.healthy = True
            self.commits += 1
            self.ops += len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Job, bool, Any]]] = {}
        for result in results:
            by_loop.setdefault(result[0].loop, []).append(result)
        for loop, done in by_loop.items():  # one wake-up per loop, not one per operation
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to tell
                loop.call_soon_threadsafe(_resolve, done)

    def _transaction(self, batch: list[Job], *, savepoints: bool) -> list[tuple[Job, bool, Any]]:
        """Run the batch in one transaction; without savepoints, the first failing operation
        rolls it all back and is returned failed (the caller then retries with savepoints)."""
        self._begin()
        self.now = self.store.clock()
        self.now_stamp = stamp(self.now)
        self.month = month_of(self.now)
        # The chain head is read when the first row is appended (a batch of reservations has
        # none); with savepoints at once, so that a failed operation can restore it.
        self.head_start = self.store.chain.read_head(self.conn) if savepoints else None
        if self.head_start is not None:
            self.head = self.head_start
        self.totals_changed = False
        self.deferred = None if savepoints else _Deferred()
        results: list[tuple[Job, bool, Any]] = []
        for job in batch:
            result = self._run_one(job) if savepoints else self._run_bare(job)
            results.append(result)
            if not savepoints and not result[1]:
                self.deferred = None
                self.conn.execute("ROLLBACK")
                return results
        month = self.month
        used = None
        if self.deferred is not None:
            deferred, self.deferred = self.deferred, None
            try:
                self._write_deferred(deferred)
            except _OP_ERRORS as exc:
                # Some operation's row cannot be stored: again with a savepoint each, where
                # that operation fails alone.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                return [(batch[0], False, exc)]
            used = deferred.known_month(month)  # read in this transaction, with its changes
        if self.head_start is not None and self.head != self.head_start:
            self.store.chain.write_head(self.conn, self.head)
        if used is None and (self.totals_changed or self.store.used_month != month):
            used = dict(
                self.conn.execute(
                    "SELECT scope, spent_pico + held_pico FROM totals WHERE month = ?", (month,)
                ).fetchall()
            )
        self.conn.execute("COMMIT")
        if used is not None:
            self.store.used_cache = used
            self.store.used_month = month
        return results

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for another process's write with short sleeps of our own:
        SQLite's busy handler backs off to 100 ms sleeps, which several busy processes hit
        all the time although a transaction here lasts well under a millisecond."""
        deadline = time.monotonic() + self.store.busy_timeout_s
        delay = BUSY_FIRST_S
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, BUSY_MAX_S)

    def _run_bare(self, job: Job) -> tuple[Job, bool, Any]:
        try:
            return job, True, job.op(self)
        except _OP_ERRORS as exc:
            return job, False, self._refused(exc)

    def _refused(self, exc: BaseException) -> RowsRefused:
        """An operation SQLite will never take (retrying the same row cannot help)."""
        return RowsRefused(f"the store at {self.store.url} refused a row: {exc}")

    def _run_one(self, job: Job) -> tuple[Job, bool, Any]:
        """Run one operation inside a savepoint, so that its own mistake fails only itself."""
        head = self.head
        self.conn.execute("SAVEPOINT op")
        try:
            value = job.op(self)
        except _OP_ERRORS as exc:
            # Raises sqlite3.Error (failing the whole batch) if SQLite already rolled back.
            self.conn.execute("ROLLBACK TO op")
            self.conn.execute("RELEASE op")
            self.head = head
            return job, False, self._refused(exc)
        self.conn.execute("RELEASE op")
        return job, True, value


class _Deferred:
    """The writes of one transaction, made at its end (one statement per table)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[Any, ...]] = []
        self.reservations: list[tuple[Any, ...]] = []
        self.next_reservation = 0
        self.totals: dict[tuple[str, str], list[int]] = {}  # (month, scope) -> [spent, held]
        self.days: dict[tuple[str, str], int] = {}
        self.renew = False
        self._used: dict[str, dict[str, int]] = {}  # month -> scope -> spent + held, as of now

    def month_used(self, conn: sqlite3.Connection, month: str) -> dict[str, int]:
        used = self._used.get(month)
        if used is None:
            rows = conn.execute(
                "SELECT scope, spent_pico + held_pico FROM totals WHERE month = ?", (month,)
            )
            used = {scope: int(pico) for scope, pico in rows}
            for (m, scope), (spent, held) in self.totals.items():
                if m == month:
                    used[scope] = used.get(scope, 0) + spent + held
            self._used[month] = used
        return used

    def known_month(self, month: str) -> dict[str, int] | None:
        """The month's totals as this transaction leaves them, if it read them."""
        used = self._used.get(month)
        return dict(used) if used is not None else None

    def add(self, month: str, scopes: tuple[str, ...], spent: int, held: int) -> None:
        used = self._used.get(month)
        for scope in scopes:
            delta = self.totals.setdefault((month, scope), [0, 0])
            delta[0] += spent
            delta[1] += held
            if used is not None:
                used[scope] = used.get(scope, 0) + spent + held

    def reserve(self, conn: sqlite3.Connection, values: tuple[Any, ...]) -> int:
        if not self.next_reservation:
            row = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reservations").fetchone()
            self.next_reservation = int(row[0]) + 1
        rid = self.next_reservation
        self.next_reservation += 1
        self.reservations.append((rid, *values))
        return rid

    def write_reservations(self, conn: sqlite3.Connection) -> None:
        if self.reservations:
            insert_rows(conn, _INSERT_RESERVATION_ID, self.reservations)
            self.reservations = []


# An operation's own mistake (a value SQLite cannot store): it fails, the others commit.
_OP_ERRORS = (sqlite3.IntegrityError, ValueError, TypeError, OverflowError)

_ADD_TOTALS = (
    "INSERT INTO totals (month, scope, spent_pico, held_pico) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (month, scope) DO UPDATE SET spent_pico = spent_pico + excluded.spent_pico,"
    " held_pico = held_pico + excluded.held_pico"
)
_ADD_DAY = (
    "INSERT INTO day_totals (day, scope, spent_pico) VALUES (?, ?, ?) "
    "ON CONFLICT (day, scope) DO UPDATE SET spent_pico = spent_pico + excluded.spent_pico"
)
_RENEW = (
    "INSERT INTO owners (owner, lease_until) VALUES (?, ?) "
    "ON CONFLICT (owner) DO UPDATE SET lease_until = excluded.lease_until"
)
_RESERVATION_COLUMNS = "ts, month, request_id, attempt, provider, tenant, pico, owner, state"
_INSERT_RESERVATION = (
    f"INSERT INTO reservations ({_RESERVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')"
)
_INSERT_RESERVATION_ID = (
    f"INSERT INTO reservations (id, {_RESERVATION_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open')"
)

_INSERT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}, hash) "
    f"VALUES ({', '.join('?' * (len(ATTEMPT_COLUMNS) + 1))})"
)


# Rows per multi-row INSERT: powers of two up to this, so a handful of statements stay in
# sqlite3's statement cache (and 32 rows x 27 columns stays under SQLite's oldest limit of
# 999 variables).
_ROWS_PER_INSERT = 32


def insert_rows(conn: sqlite3.Connection, insert: str, rows: list[tuple[Any, ...]]) -> None:
    """`insert` (one row's INSERT ... VALUES (?, ...)) for every row, several rows a statement.

    executemany steps once per row, and sqlite3 lets the GIL go and takes it back around every
    step: under load each take waits for the event loop's thread, so a batch's rows cost a
    thread switch each. A multi-row VALUES list steps once."""
    head, values = insert.split(" VALUES ", 1)
    at = 0
    while at < len(rows):
        size = min(_ROWS_PER_INSERT, 1 << ((len(rows) - at).bit_length() - 1))
        chunk = rows[at : at + size]
        if size == 1:
            conn.execute(insert, chunk[0])
        else:
            conn.execute(_multi(head, values, size), tuple(chain.from_iterable(chunk)))
        at += size


@functools.lru_cache(maxsize=64)
def _multi(head: str, values: str, size: int) -> str:
    return f"{head} VALUES {', '.join([values] * size)}"


def connect(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    # Switching a new file to WAL does not wait in SQLite's busy handler: processes (or stores)
    # opening one fresh ledger together would see "database is locked". Wait here instead.
    deadline = time.monotonic() + busy_timeout_s
    delay = BUSY_FIRST_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + delay > deadline:
                conn.close()
                raise
        time.sleep(delay)
        delay = min(delay * 2, BUSY_MAX_S)
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


__all__ = ["MAX_BATCH", "Job", "Writer", "connect"]
