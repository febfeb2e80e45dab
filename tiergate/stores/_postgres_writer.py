"""The PostgreSQL store's ledger writer: one task per process appends every queued row.

Every row waiting when a batch starts shares one round trip to `tiergate.append()`
(group commit, settles included), which closes the settled reservations, inserts
the rows, moves the running totals and this process's chain head in one
transaction. Rows the database cannot be reached for stay queued, in order, and are
retried; a batch the database refuses is resent one row at a time, so the one row it
will never take fails alone (RowsRefused) and the rows behind it are written. A batch
whose answer was lost may have committed: the chain head is read back before the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from ..errors import StoreUnavailable
from . import AttemptRecord, Reservation, RowsRefused
from ._postgres_schema import GENESIS, ROW_ARRAY_COUNT
from ._postgres_sql import (
    APPEND,
    APPEND_TRIES,
    CLOSE_FLUSH_S,
    INSERT,
    MAX_BATCH,
    RETRY_FIRST_S,
    RETRY_MAX_S,
    lost_row,
    row_values,
)
from .calendar import month_of, scopes_of

if TYPE_CHECKING:
    from ._postgres_sql import Conn
    from .postgres import PostgresStore

logger = logging.getLogger("tiergate.stores.postgres")


@dataclass(slots=True, eq=False)
class Job:
    kind: str  # "settle" | "record" | "reap"
    future: asyncio.Future[Any]
    record: AttemptRecord | None = None
    reservation: Reservation | None = None
    retry: bool = False  # a record: kept and retried until it is written
    seq: int = 0  # the chain position it was last sent with (0: never sent)


class LedgerWriter:
    """The queue of rows to append and the task that writes them, on this process's chain."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self.jobs: deque[Job] = deque()
        self._wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self._busy = False
        self._seq, self._hash = 0, GENESIS  # this process's chain head, as last committed
        self._unsure = False  # a batch failed in a way that may have committed it
        self._inflight: list[Job] = []  # the batch last sent
        self._registered = False  # the chain is registered at the first write, not by `migrate`
        self.commits = 0
        self.rows = 0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop(), name="tiergate-pg-writer")

    def submit(self, job: Job) -> asyncio.Future[Any]:
        self.jobs.append(job)
        self._wake.set()
        return job.future

    async def stop(self) -> None:
        """Write what is queued (for a few seconds at most), then end the task."""
        if self.task is None:
            return
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained(), CLOSE_FLUSH_S)
        if self.jobs:
            logger.warning(
                "store closed with rows not written",
                extra={"event": "store.rows_lost_at_close", "rows": len(self.jobs)},
            )
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def fail_queued(self, error: StoreUnavailable) -> None:
        for job in self.jobs:
            if not job.future.done():
                job.future.set_exception(error)
        self.jobs.clear()

    async def _drained(self) -> None:
        while self.jobs or self._busy:
            await asyncio.sleep(0.01)

    async def _loop(self) -> None:
        delay = RETRY_FIRST_S
        alone = 0  # after a refused batch: this many jobs go one at a time, to find the culprit
        while True:
            if not self.jobs:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch: list[Job] = []
            while self.jobs and len(batch) < (1 if alone else MAX_BATCH):
                if self.jobs[0].kind == "reap" and batch:
                    break  # a reap runs in a batch of its own
                job = self.jobs.popleft()
                if not job.future.done() or job.retry:
                    batch.append(job)
                if job.kind == "reap":
                    break
            if not batch:
                continue
            self._busy = True
            try:
                if not self._registered:
                    await self._register()
                if self._unsure:
                    for job in await self._reload():  # written by the batch whose answer was lost
                        if not job.future.done():
                            job.future.set_result(None)
                        batch.remove(job)
                if not batch:
                    results: list[Any] | StoreUnavailable = []
                elif batch[0].kind == "reap":
                    results = [await self._reap()]
                else:
                    results = await self._append(batch)
            except StoreUnavailable as exc:
                results = exc
            finally:
                self._busy = False
            alone = max(0, alone - 1)
            if isinstance(results, RowsRefused):
                if len(batch) > 1:
                    alone = len(batch)
                    self.jobs.extendleft(reversed(batch))
                    continue
                # One row the database will never take must not block every row behind it.
                logger.error(
                    "the database refused a ledger row",
                    extra={"event": "store.row_refused", "error": str(results)},
                )
                if not batch[0].future.done():
                    batch[0].future.set_exception(results)
                continue
            if isinstance(results, StoreUnavailable):
                # Rows are kept (in order, ahead of newer ones) and retried; a settle or a reap
                # fails now, so its caller knows the reservation is still held.
                keep = [j for j in batch if j.retry and not j.future.done()]
                for job in batch:
                    if not job.retry and not job.future.done():
                        job.future.set_exception(results)
                if keep:
                    logger.warning(
                        "ledger rows not written yet; retrying",
                        extra={"event": "store.record_retry", "rows": len(keep)},
                    )
                    self.jobs.extendleft(reversed(keep))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                continue
            delay = RETRY_FIRST_S
            for job, value in zip(batch, results, strict=True):
                if not job.future.done():
                    job.future.set_result(value)

    async def _register(self) -> None:
        """Start this process's chain (or adopt it, reopened), linked into the keyed registry.
        Done before the first batch."""
        owner, chain = self._store.owner, self._store.chain

        async def call(conn: Conn) -> tuple[int, str]:
            async with conn.transaction():
                head = await conn.fetchrow(
                    "SELECT last_n, last_hash FROM tiergate.registry_head WHERE k = 0 FOR UPDATE"
                )
                mine = await conn.fetchrow(
                    "SELECT last_seq, last_hash FROM tiergate.chains WHERE chain = $1", owner
                )
                if mine is not None:
                    return int(mine["last_seq"]), str(mine["last_hash"])
                assert head is not None
                n = int(head["last_n"]) + 1
                link = chain.registry_link(head["last_hash"], n, owner)
                genesis = chain.genesis(owner)
                await conn.execute(
                    "INSERT INTO tiergate.chains (chain, n, reg_hash, last_seq, last_hash, "
                    "head_mac) VALUES ($1, $2, $3, 0, $4, $5)",
                    owner, n, link, genesis, chain.head_mac(owner, 0, genesis),
                )  # fmt: skip
                await conn.execute(
                    "UPDATE tiergate.registry_head SET last_n = $1, last_hash = $2, "
                    "head_mac = $3 WHERE k = 0",
                    n, link, chain.registry_mac(n, link),
                )  # fmt: skip
                return 0, genesis

        self._seq, self._hash = await self._store._call("register its ledger chain", call)
        self._registered = True

    async def _reload(self) -> list[Job]:
        """After a batch that may or may not have committed: take the chain head from the
        database; the rows of that batch it shows were written (to be finished, not resent)."""
        owner, url = self._store.owner, self._store.url

        async def call(conn: Conn) -> tuple[int, str]:
            row = await conn.fetchrow(
                "SELECT last_seq, last_hash FROM tiergate.chains WHERE chain = $1", owner
            )
            if row is None:
                raise StoreUnavailable(f"the ledger chain of {owner} is gone from {url}")
            return int(row["last_seq"]), str(row["last_hash"])

        seq, last = await self._store._call("read its ledger chain", call)
        written = [j for j in self._inflight if j.retry and self._seq < j.seq <= seq]
        self._seq, self._hash, self._unsure, self._inflight = seq, last, False, []
        return written

    async def _append(self, jobs: list[Job]) -> list[Any]:
        """Settles and records in one call of tiergate.append(); retried a few times when the
        database says why not (another date, a reservation already closed)."""
        store = self._store
        owner, chain = store.owner, store.chain
        closed: set[int] = set()
        for _ in range(APPEND_TRIES):
            ts = datetime.now(UTC) + store._offset
            month = month_of(ts)
            seq, last = self._seq, self._hash
            arrays: list[list[Any]] = [[] for _ in range(ROW_ARRAY_COUNT)]
            settle_ids: list[int] = []
            settle_costs: list[int] = []
            deltas: defaultdict[tuple[str, str], int] = defaultdict(int)
            for job in jobs:
                record, reservation = job.record, job.reservation
                assert record is not None
                if reservation is not None:
                    if reservation.id in closed:
                        continue  # settled, released or reaped already: nothing to charge
                    cost = record.cost_pico
                    if record.usage_missing:
                        cost = max(cost, reservation.pico)
                    record = replace(record, cost_pico=cost, reserved_pico=reservation.pico)
                    settle_ids.append(reservation.id)
                    settle_costs.append(cost)
                    row_month, rid = reservation.month, reservation.id
                else:
                    if record.cost_pico:
                        for scope in scopes_of(record.provider, record.tenant):
                            deltas[(month, scope)] += record.cost_pico
                    row_month, rid = month, None
                seq += 1
                job.seq = seq
                values = row_values(owner, seq, ts, row_month, record, rid)
                last = chain.link(last, values)
                for column, value in zip(arrays, (*values[1:2], *values[3:], last), strict=True):
                    column.append(value)
            if seq == self._seq:
                return [None] * len(jobs)  # nothing left to write
            keys = sorted(deltas)
            args = (
                owner, self._seq + 1, chain.head_mac(owner, seq, last), ts,
                settle_ids, settle_costs, [m for m, _ in keys], [s for _, s in keys],
                [deltas[k] for k in keys], *arrays,
            )  # fmt: skip

            async def call(conn: Conn, args: tuple[Any, ...] = args) -> asyncpg.Record | None:
                return await conn.fetchrow(APPEND, *args)

            self._inflight = jobs
            try:
                result = await store._call("write the ledger", call)
            except StoreUnavailable:
                self._unsure = True  # a lost answer may hide a commit: reload before the next
                raise
            assert result is not None
            status = result["status"]
            if status == "ok":
                self.commits += 1
                self.rows += seq - self._seq
                self._seq, self._hash = seq, last
                store._count([(j.record, j.reservation) for j in jobs], closed, month)
                return [None] * len(jobs)
            if status == "clock":
                store._offset = result["db_now"] - datetime.now(UTC)
            elif status == "not_open":
                closed.update(int(i) for i in result["not_open"])
            else:
                await self._reload()
        raise StoreUnavailable(f"the store at {store.url} did not take the ledger rows")

    async def _reap(self) -> int:
        """Close the open reservations of owners whose lease passed, each charged in full with a
        "lost" row on this process's chain, in one transaction; and give back what their
        budget slices held beyond that."""
        store = self._store
        owner, chain = store.owner, store.chain
        reclaimed = False

        async def call(conn: Conn) -> tuple[int, int, str]:
            async with conn.transaction():
                head = await conn.fetchrow(
                    "SELECT last_seq, last_hash, now() AS now FROM tiergate.chains "
                    "WHERE chain = $1 FOR UPDATE",
                    owner,
                )
                assert head is not None
                if (head["last_seq"], head["last_hash"]) != (self._seq, self._hash):
                    raise StoreUnavailable(f"the ledger chain of {owner} moved underneath it")
                await conn.execute(
                    "DELETE FROM tiergate.owners WHERE lease_until < now() AND owner <> $1", owner
                )
                dead = await conn.fetch(
                    "UPDATE tiergate.reservations r SET state = 'reaped', closed_at = now() "
                    "WHERE r.state = 'open' AND r.owner <> $1 AND NOT EXISTS "
                    "(SELECT 1 FROM tiergate.owners o WHERE o.owner = r.owner) "
                    "RETURNING r.id, r.request_id, r.attempt, r.provider, r.tenant, r.pico, "
                    "r.scopes, r.month",
                    owner,
                )
                # The dead owners' slices: what their reaped reservations did not charge goes back.
                slices = await conn.fetch(
                    "UPDATE tiergate.slices s SET state = 'reaped', closed_at = now(), "
                    "charged = s.charged + coalesce((SELECT sum(r.pico) FROM "
                    "tiergate.reservations r WHERE r.slice_id = s.id AND r.id = ANY ($2::bigint[])"
                    "), 0) WHERE s.state IN ('open', 'returning') AND s.owner <> $1 AND NOT EXISTS "
                    "(SELECT 1 FROM tiergate.owners o WHERE o.owner = s.owner) "
                    "RETURNING s.month, s.scopes, s.granted - s.charged AS rest",
                    owner, [int(r["id"]) for r in dead],
                )  # fmt: skip
                deltas: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
                for sl in slices:
                    for scope in sl["scopes"]:
                        deltas[(sl["month"], scope)][1] -= int(sl["rest"])  # < 0: over-costs
                if not dead and not slices:
                    return 0, self._seq, self._hash
                nonlocal reclaimed
                reclaimed = True
                seq, last = self._seq, self._hash
                rows: list[tuple[Any, ...]] = []
                for r in sorted(dead, key=lambda r: int(r["id"])):
                    seq += 1
                    values = row_values(owner, seq, head["now"], r["month"], lost_row(r), r["id"])
                    last = chain.link(last, values)
                    rows.append((*values[:2], head["now"], *values[3:], last))
                    for scope in r["scopes"]:
                        deltas[(r["month"], scope)][0] += int(r["pico"])
                        deltas[(r["month"], scope)][1] -= int(r["pico"])
                await conn.executemany(INSERT, rows)
                keys = sorted(deltas)
                await conn.execute(
                    "SELECT tiergate.apply($1, $2, $3, $4)",
                    [m for m, _ in keys], [s for _, s in keys],
                    [deltas[k][0] for k in keys], [deltas[k][1] for k in keys],
                )  # fmt: skip
                await conn.execute(
                    "UPDATE tiergate.chains SET last_seq = $2, last_hash = $3, head_mac = $4 "
                    "WHERE chain = $1",
                    owner, seq, last, chain.head_mac(owner, seq, last),
                )  # fmt: skip
                return len(dead), seq, last

        try:
            count, self._seq, self._hash = await store._call("reap dead owners", call)
        except StoreUnavailable:
            self._unsure = True
            raise
        if reclaimed:
            self.commits += 1
            self.rows += count
            await store.heartbeat()  # the reaped money moved from held to spent, or back
        return count
