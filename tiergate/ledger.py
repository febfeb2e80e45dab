"""The durable record of every attempt: an append-only, hash-chained SQLite ledger with one writer thread.

SQLite takes one writer at a time, so the ledger gives that writer its own
thread and connection: the event loop never blocks, and every row that is
waiting when a transaction starts shares it (group commit). A caller's future
resolves only after the transaction holding its row committed, so a row the
server awaited survives a kill -9 (WAL, synchronous=NORMAL: the commit is in
the WAL file before the caller hears of it; only power loss can lose it).

Attempt rows never hold the prompt or the answer. Each row stores
sha256(previous hash || canonical row bytes) and `chain_head` holds the last
id and hash, so an edited, deleted or appended-by-hand row breaks the chain (reports.verify).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

from .errors import StoreUnavailable

T = TypeVar("T")
Clock = Callable[[], datetime]

GENESIS = "0" * 64
# Enough to amortise one commit over a burst, small enough that no caller waits long.
MAX_BATCH = 512

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, month TEXT NOT NULL,
        request_id TEXT NOT NULL, attempt INTEGER NOT NULL, tenant TEXT,
        provider TEXT NOT NULL, model TEXT NOT NULL, tier INTEGER NOT NULL, rule TEXT NOT NULL,
        classification TEXT NOT NULL, classification_source TEXT NOT NULL, egress INTEGER NOT NULL,
        prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        cost_micros INTEGER NOT NULL, reserved_micros INTEGER NOT NULL, latency_ms REAL NOT NULL,
        outcome TEXT NOT NULL, usage_missing INTEGER NOT NULL, cache TEXT NOT NULL,
        status INTEGER, endpoint TEXT NOT NULL, reservation_id INTEGER, hash TEXT NOT NULL
    );
    CREATE INDEX attempts_month ON attempts (month, provider);
    CREATE INDEX attempts_ts ON attempts (ts);
    CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
        BEGIN SELECT RAISE(ABORT, 'the attempts ledger is append-only'); END;
    CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
        BEGIN SELECT RAISE(ABORT, 'the attempts ledger is append-only'); END;
    CREATE TABLE chain_head (k INTEGER PRIMARY KEY CHECK (k = 0), last_id INTEGER NOT NULL,
                             last_hash TEXT NOT NULL);
    INSERT INTO chain_head VALUES (0, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, month TEXT NOT NULL,
        request_id TEXT NOT NULL, attempt INTEGER NOT NULL, provider TEXT NOT NULL, tenant TEXT,
        micros INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'settled', 'released', 'reconciled')),
        closed_ts TEXT
    );
    CREATE INDEX reservations_state ON reservations (state, month);
    CREATE TABLE alerts (day TEXT NOT NULL, scope TEXT NOT NULL, ts TEXT NOT NULL,
                         PRIMARY KEY (day, scope));
    """,
)

# The order in which a row is hashed; `hash` itself is stored after these.
ATTEMPT_COLUMNS = (
    "id", "ts", "month", "request_id", "attempt", "tenant", "provider", "model", "tier", "rule",
    "classification", "classification_source", "egress", "prompt_tokens", "completion_tokens",
    "cost_micros", "reserved_micros", "latency_ms", "outcome", "usage_missing", "cache",
    "status", "endpoint", "reservation_id",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}, hash) "
    f"VALUES ({', '.join('?' * (len(ATTEMPT_COLUMNS) + 1))})"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


# f-strings, not strftime: these run several times per request and strftime is ~5x slower.
def month_of(at: datetime) -> str:
    at = _utc(at)
    return f"{at.year:04d}-{at.month:02d}"


def day_of(at: datetime) -> str:
    at = _utc(at)
    return f"{at.year:04d}-{at.month:02d}-{at.day:02d}"


def _utc(at: datetime) -> datetime:
    # A naive datetime from an injected clock is taken to be UTC already.
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _stamp(at: datetime) -> str:
    at = _utc(at)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}Z"
    )


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One upstream attempt as the ledger keeps it: never the prompt or the answer."""

    request_id: str
    attempt: int
    tenant: str | None
    provider: str
    model: str
    tier: int
    rule: str
    classification: str
    classification_source: str  # "label" | "tenant_floor" | "detector:email,phone" | "default"
    egress: bool  # the data left the premises (the provider is not on_premises)
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int
    reserved_micros: int
    latency_ms: float
    outcome: str  # "ok" | "timeout" | "unavailable" | "rejected" | "cut" | "budget" | "lost" ...
    usage_missing: bool = False
    cache: str = "bypass"
    status: int | None = None
    endpoint: str = "chat"


@dataclass(frozen=True, slots=True)
class StoredReservation:
    """A reservation row as the ledger holds it."""

    id: int
    request_id: str
    attempt: int
    provider: str
    tenant: str | None
    micros: int
    month: str


@dataclass(frozen=True, slots=True)
class Totals:
    """What the budget needs at start-up: the month's spend, today's, and open reservations."""

    month_spent: dict[tuple[str, str | None], int]  # (provider, tenant) -> micro-dollars
    day_spent: dict[str, int]  # provider -> micro-dollars settled today
    open: tuple[StoredReservation, ...]  # every month's
    alerted: frozenset[str]  # alert scopes already sent today


def chain_hash(prev_hash: str, values: tuple[Any, ...]) -> str:
    """sha256(prev || canonical bytes); values are in ATTEMPT_COLUMNS order, as SQLite returns them."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + orjson.dumps(list(values))).hexdigest()


@dataclass(slots=True)
class _Job:
    op: Callable[[_Writer], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


def _resolve(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return  # the row is stored all the same; nobody is waiting to hear it
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class _Writer(threading.Thread):
    """Owns the one write connection; runs queued operations in batches, one transaction each."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        super().__init__(name="tiergate-ledger", daemon=True)
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.ready = threading.Event()
        self.startup_error: BaseException | None = None
        self.healthy = True
        self.commits = 0
        self.rows = 0
        self.last_id, self.last_hash = 0, GENESIS
        self.conn: sqlite3.Connection

    def run(self) -> None:
        try:
            self.conn = self._connect()
        except sqlite3.Error as exc:
            self.startup_error = StoreUnavailable(f"cannot open the ledger at {self.path}: {exc}")
            self.ready.set()
            return
        self.ready.set()
        stop = False
        while not stop:
            job = self.jobs.get()
            if job is None:
                break
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._run_batch(batch)
        self.conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this tiergate knows ({len(MIGRATIONS)}); "
                f"upgrade tiergate"
            )
        for number in range(version, len(MIGRATIONS)):
            conn.executescript(
                f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};\nCOMMIT;"
            )
        self.last_id, self.last_hash = conn.execute(
            "SELECT last_id, last_hash FROM chain_head WHERE k = 0"
        ).fetchone()
        return conn

    def append(self, values: tuple[Any, ...]) -> int:
        """Insert one attempt row (values without id and hash) at the end of the chain."""
        row_id = self.last_id + 1
        full = (row_id, *values)
        digest = chain_hash(self.last_hash, full)
        self.conn.execute(_INSERT, (*full, digest))
        self.last_id, self.last_hash = row_id, digest
        return row_id

    def _run_batch(self, batch: list[_Job]) -> None:
        head = (self.last_id, self.last_hash)
        results: list[tuple[_Job, bool, Any]] = []
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                results.append(self._run_one(job))
            if (self.last_id, self.last_hash) != head:
                self.conn.execute(
                    "UPDATE chain_head SET last_id = ?, last_hash = ? WHERE k = 0",
                    (self.last_id, self.last_hash),
                )
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.last_id, self.last_hash = head
            self.healthy = False
            error = StoreUnavailable(f"the ledger at {self.path} cannot be written: {exc}")
            results = [(job, False, error) for job in batch]
        else:
            self.healthy = True
            self.commits += 1
            self.rows += len(batch)
        for job, ok, value in results:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to tell
                job.loop.call_soon_threadsafe(_resolve, job.future, ok, value)

    def _run_one(self, job: _Job) -> tuple[_Job, bool, Any]:
        """Run one operation inside a savepoint, so that its own mistake fails only itself."""
        head = (self.last_id, self.last_hash)
        self.conn.execute("SAVEPOINT op")
        try:
            value = job.op(self)
        except (sqlite3.IntegrityError, ValueError, TypeError) as exc:
            # Raises sqlite3.Error (failing the whole batch) if SQLite already rolled back.
            self.conn.execute("ROLLBACK TO op")
            self.conn.execute("RELEASE op")
            self.last_id, self.last_hash = head
            return job, False, exc
        self.conn.execute("RELEASE op")
        return job, True, value


class Ledger:
    """The SQLite ledger. Each operation returns a future that resolves once it committed.

    A closed ledger raises StoreUnavailable at the call; a failed transaction sets it
    on the futures of every operation in that transaction.
    """

    def __init__(self, writer: _Writer, clock: Clock) -> None:
        self._writer = writer
        self.clock = clock
        self.path = writer.path
        self._closed = False

    @classmethod
    async def open(cls, path: str, *, clock: Clock = utcnow, busy_timeout_ms: int = 5000) -> Ledger:
        """Open (creating and migrating) the ledger file; raises StoreUnavailable if it cannot."""
        writer = _Writer(path, busy_timeout_ms)
        writer.start()
        await asyncio.to_thread(writer.ready.wait)
        if writer.startup_error is not None:
            raise writer.startup_error
        return cls(writer, clock)

    @property
    def healthy(self) -> bool:
        """False after a transaction failed, until the next one commits."""
        return not self._closed and self._writer.healthy

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stats(self) -> tuple[int, int]:
        """(transactions committed, operations committed): rows per commit shows group commit."""
        return self._writer.commits, self._writer.rows

    def _submit(self, op: Callable[[_Writer], T]) -> asyncio.Future[T]:
        # Raising here (not in the future) keeps one rule for callers: a returned future is
        # still pending, so callbacks added to it run before whoever awaits it resumes.
        if self._closed:
            raise StoreUnavailable(f"the ledger at {self.path} is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._writer.jobs.put(_Job(op, loop, future))
        return future

    def record(self, record: AttemptRecord, *, month: str | None = None) -> asyncio.Future[int]:
        """Append one attempt row; resolves to its id once committed."""
        at = self.clock()
        values = _values(record, at, month or month_of(at), None)
        return self._submit(lambda w: w.append(values))

    def open_reservation(
        self, *, request_id: str, attempt: int, provider: str, tenant: str | None, micros: int,
        month: str,
    ) -> asyncio.Future[StoredReservation]:  # fmt: skip
        ts = _stamp(self.clock())

        def op(w: _Writer) -> StoredReservation:
            cur = w.conn.execute(
                "INSERT INTO reservations (ts, month, request_id, attempt, provider, tenant, micros,"
                " state) VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
                (ts, month, request_id, attempt, provider, tenant, micros),
            )
            row_id = int(cur.lastrowid or 0)
            return StoredReservation(row_id, request_id, attempt, provider, tenant, micros, month)

        return self._submit(op)

    def settle(
        self, reservation_id: int, record: AttemptRecord, *, month: str
    ) -> asyncio.Future[int]:
        """Close an open reservation and append its attempt row, in one transaction."""
        at = self.clock()
        values = _values(record, at, month, reservation_id)

        def op(w: _Writer) -> int:
            _close(w, reservation_id, "settled", values[0])
            return w.append(values)

        return self._submit(op)

    def release(self, reservation_id: int) -> asyncio.Future[None]:
        """Close a reservation whose attempt never started: nothing is charged."""
        ts = _stamp(self.clock())
        return self._submit(lambda w: _close(w, reservation_id, "released", ts))

    def reconcile(self, *, keep: frozenset[int]) -> asyncio.Future[tuple[StoredReservation, ...]]:
        """Charge every open reservation not in `keep` in full, as an attempt with outcome "lost".

        Such a reservation belongs to a process that died between reserve and
        settle: the upstream may have served (and billed) it, so the only safe
        cost is the whole reservation. The row is flagged usage_missing and
        stays in the reservation's month.
        """
        at = self.clock()

        def op(w: _Writer) -> tuple[StoredReservation, ...]:
            stale = tuple(r for r in _open_reservations(w.conn) if r.id not in keep)
            for r in stale:
                lost = AttemptRecord(
                    request_id=r.request_id, attempt=r.attempt, tenant=r.tenant,
                    provider=r.provider, model="", tier=0, rule="reconcile",
                    classification="unknown", classification_source="unknown", egress=True,
                    prompt_tokens=0, completion_tokens=0, cost_micros=r.micros,
                    reserved_micros=r.micros, latency_ms=0.0, outcome="lost",
                    usage_missing=True, endpoint="unknown",
                )  # fmt: skip
                values = _values(lost, at, r.month, r.id)
                _close(w, r.id, "reconciled", values[0])
                w.append(values)
            return stale

        return self._submit(op)

    def totals(self, *, month: str, day: str) -> asyncio.Future[Totals]:
        """Month-to-date and today's spend, every open reservation, and today's sent alerts."""

        def op(w: _Writer) -> Totals:
            month_spent = {
                (p, t): int(s)
                for p, t, s in w.conn.execute(
                    "SELECT provider, tenant, SUM(cost_micros) FROM attempts WHERE month = ? "
                    "GROUP BY provider, tenant",
                    (month,),
                )
            }
            day_spent = {
                p: int(s)
                for p, s in w.conn.execute(
                    "SELECT provider, SUM(cost_micros) FROM attempts WHERE ts >= ? AND ts < ? "
                    "GROUP BY provider",
                    (day, day + "~"),  # "~" sorts after every "T..." suffix of that day
                )
            }
            alerted = frozenset(
                s for (s,) in w.conn.execute("SELECT scope FROM alerts WHERE day = ?", (day,))
            )
            return Totals(month_spent, day_spent, _open_reservations(w.conn), alerted)

        return self._submit(op)

    def mark_alert(self, *, day: str, scope: str) -> asyncio.Future[None]:
        """Remember that today's alert for `scope` went out, so a restart does not repeat it."""
        row = (day, scope, _stamp(self.clock()))

        def op(w: _Writer) -> None:
            w.conn.execute("INSERT OR IGNORE INTO alerts (day, scope, ts) VALUES (?, ?, ?)", row)

        return self._submit(op)

    async def close(self) -> None:
        """Commit what is queued, then stop the writer. Later writes raise StoreUnavailable."""
        if self._closed:
            return
        self._closed = True
        self._writer.jobs.put(None)
        await asyncio.to_thread(self._writer.join)


def _values(
    record: AttemptRecord, at: datetime, month: str, reservation_id: int | None
) -> tuple[Any, ...]:
    # Exactly the types SQLite hands back, so that check_chain recomputes the same bytes.
    return (
        _stamp(at), month, record.request_id, int(record.attempt), record.tenant,
        record.provider, record.model, int(record.tier), record.rule, record.classification,
        record.classification_source, int(bool(record.egress)), int(record.prompt_tokens),
        int(record.completion_tokens), int(record.cost_micros), int(record.reserved_micros),
        float(round(record.latency_ms, 3)), record.outcome, int(bool(record.usage_missing)),
        record.cache, None if record.status is None else int(record.status), record.endpoint,
        reservation_id,
    )  # fmt: skip


def _close(w: _Writer, reservation_id: int, state: str, ts: str) -> None:
    cur = w.conn.execute(
        "UPDATE reservations SET state = ?, closed_ts = ? WHERE id = ? AND state = 'open'",
        (state, ts, reservation_id),
    )
    if cur.rowcount != 1:
        raise ValueError(f"reservation {reservation_id} is not open (settled twice?)")


def _open_reservations(conn: sqlite3.Connection) -> tuple[StoredReservation, ...]:
    return tuple(
        StoredReservation(*row)
        for row in conn.execute(
            "SELECT id, request_id, attempt, provider, tenant, micros, month FROM reservations "
            "WHERE state = 'open' ORDER BY id"
        )
    )


__all__ = [
    "ATTEMPT_COLUMNS",
    "MIGRATIONS",
    "AttemptRecord",
    "Clock",
    "Ledger",
    "StoredReservation",
    "Totals",
    "day_of",
    "month_of",
    "utcnow",
]
