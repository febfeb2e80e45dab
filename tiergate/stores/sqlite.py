"""The Store on one SQLite file, shared by every gateway process on the machine.

Each process gives SQLite's one writer its own thread and connection: the event
loop never blocks, and every operation waiting when a transaction starts shares
it (group commit). Every transaction is BEGIN IMMEDIATE, so the processes take
turns, and everything that decides a reservation (the running totals per month
and scope, the chain head) is read inside it: nothing another process can
change is cached for a decision. A caller's future resolves only after its
transaction committed (WAL, synchronous=NORMAL: in the WAL file, so it survives
a kill -9).

Owners: every reservation names its process (`owner`) and each process renews
a lease (`owners.lease_until`); only reservations of an owner whose lease has
passed are reaped, charged in full as outcome "lost".

The ledger: `attempts` is append-only (triggers refuse UPDATE and DELETE). Each
row stores MAC(previous hash || canonical row bytes), HMAC-SHA256 with the
ledger key (plain sha256 without one), and `chain_head` holds the last id and
hash with a MAC of its own, so an edited row, deleted trailing rows or a
rewritten head are found by verify().
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from ..errors import StoreUnavailable
from . import (
    AttemptRecord,
    AuditRows,
    Clock,
    Hold,
    Reservation,
    RowsRefused,
    Shortfall,
    SpendLine,
    SpendRows,
)
from ._sqlite_schema import ATTEMPT_COLUMNS, MIGRATIONS, Chain
from ._sqlite_writer import Job, Writer, connect
from .calendar import day_of, month_of, next_month_start, scopes_of, utcnow

T = TypeVar("T")
logger = logging.getLogger("tiergate.store")

RETRY_FIRST_S = 0.05
RETRY_MAX_S = 2.0
# A free row (no money) waits this long on the loop for others to share its transaction: one
# commit per burst instead of one per answer. A paid operation goes on the next loop tick.
RECORD_GROUP_S = 0.010


def path_of(url: str) -> str:
    """The file a sqlite:// URL names; relative paths were made absolute by the config."""
    if url in ("sqlite://:memory:", "sqlite://"):
        return ":memory:"
    if not url.startswith("sqlite:///"):
        raise StoreUnavailable(f"expected sqlite:///PATH, got {url!r}")
    return url.removeprefix("sqlite:///")


class SqliteStore:
    """The Store on a SQLite file. Build it with `await SqliteStore.open(url, owner=...)`."""

    def __init__(
        self,
        *,
        url: str,
        owner: str,
        clock: Clock,
        key: bytes | None,
        lease_s: float,
        readonly: bool,
        busy_timeout_s: float,
    ) -> None:
        self.url = url
        self.path = path_of(url)
        self.owner = owner
        self.clock = clock
        self.lease_s = lease_s
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self.chain = Chain(key)
        self.used_cache: dict[str, int] = {}
        self.used_month = ""
        self._writer: Writer | None = None
        self._closed = False
        # Operations gathered on the event loop, handed to the writer as one batch per flush.
        self._pending: list[Job] = []
        self._pending_loop: asyncio.AbstractEventLoop | None = None
        self._flush_soon = False
        self._flush_later: asyncio.TimerHandle | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        owner: str,
        clock: Clock | None = None,
        key: bytes | None = None,
        lease_s: float = 10.0,
        readonly: bool = False,
        busy_timeout_s: float = 5.0,
    ) -> SqliteStore:
        """Open (creating and migrating, unless readonly) the store; StoreUnavailable if it cannot."""
        store = cls(
            url=url, owner=owner, clock=clock or utcnow, key=key, lease_s=lease_s,
            readonly=readonly, busy_timeout_s=busy_timeout_s,
        )  # fmt: skip
        if readonly:
            await asyncio.to_thread(store._check_readable)
            return store
        await asyncio.to_thread(store._migrate_now)
        writer = Writer(store)
        writer.start()
        await asyncio.to_thread(writer.ready.wait)
        if writer.startup_error is not None:
            raise writer.startup_error
        store._writer = writer
        await store.heartbeat()
        return store

    # -- state -------------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        return not self._closed and self._writer is not None and self._writer.healthy

    @property
    def stats(self) -> tuple[int, int]:
        """(transactions committed, operations committed): operations per commit shows group commit."""
        return (self._writer.commits, self._writer.ops) if self._writer else (0, 0)

    def used(self) -> Mapping[str, int]:
        if self.used_month != month_of(self.clock()):
            return {}  # a new month began since the last transaction: nothing is used yet
        return self.used_cache

    def _submit(self, op: Callable[[Writer], T], *, delay: float = 0.0) -> asyncio.Future[T]:
        """Queue `op` for the writer; its future resolves once committed.

        Operations are gathered on the loop and handed over once per flush (one queue put and
        one wake-up of the writer, not one per operation): on the next loop tick, or after
        `delay` for rows nobody waits for before answering."""
        # Raising here (not in the future) keeps one rule for callers: a returned future is
        # still pending, so callbacks added to it run before whoever awaits it resumes.
        if self._closed or self._writer is None:
            raise StoreUnavailable(
                f"the store at {self.url} is {'closed' if self._closed else 'read-only'}"
            )
        loop = asyncio.get_running_loop()
        if self._pending_loop is not loop:
            self._flush()  # another loop's operations (tests run several) go first, as they are
            self._pending_loop = loop
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(Job(op, loop, future))
        if delay <= 0.0:
            if not self._flush_soon:
                self._flush_soon = True
                loop.call_soon(self._flush)
        elif self._flush_later is None and not self._flush_soon:
            self._flush_later = loop.call_later(delay, self._flush)
        return future

    def _flush(self) -> None:
        self._flush_soon = False
        if self._flush_later is not None:
            self._flush_later.cancel()
            self._flush_later = None
        if self._pending and self._writer is not None:
            self._writer.jobs.put(self._pending)
            self._pending = []

    # -- money -------------------------------------------------------------------------------

    async def reserve(self, hold: Hold) -> Reservation | Shortfall:
        if hold.pico < 0:
            raise ValueError(f"a reservation cannot be negative ({hold.pico})")
        ts_owner = self.owner

        def op(w: Writer) -> Reservation | Shortfall:
            month = w.month
            for scope, cap in hold.caps.items():
                used = w.used(month, scope)
                if used + hold.pico > cap:
                    return Shortfall(
                        scope, cap, max(0, cap - used), hold.pico, next_month_start(month)
                    )
            w.renew()
            rid = w.open_reservation(
                (w.now_stamp, month, hold.request_id, hold.attempt, hold.provider, hold.tenant,
                 hold.pico, ts_owner),
            )  # fmt: skip
            w.add(month, scopes_of(hold.provider, hold.tenant), spent=0, held=hold.pico)
            return Reservation(
                rid, hold.request_id, hold.attempt, hold.provider, hold.tenant, hold.pico, month
            )

        return await asyncio.shield(self._submit(op))

    async def settle(self, reservation: Reservation, record: AttemptRecord) -> None:
        def op(w: Writer) -> None:
            if not _close(w, reservation.id, "settled"):
                return  # settled, released or reaped already: nothing more to charge
            cost = record.cost_pico
            if record.usage_missing:
                cost = max(cost, reservation.pico)
            scopes = scopes_of(reservation.provider, reservation.tenant)
            w.add(reservation.month, scopes, spent=cost, held=-reservation.pico)
            w.spend_today(scopes, cost)
            w.append(
                _values(
                    record, w.now_stamp, reservation.month, reservation.id, cost, reservation.pico
                )
            )

        await asyncio.shield(self._submit(op))

    async def release(self, reservation: Reservation) -> None:
        def op(w: Writer) -> None:
            if _close(w, reservation.id, "released"):
                scopes = scopes_of(reservation.provider, reservation.tenant)
                w.add(reservation.month, scopes, spent=0, held=-reservation.pico)

        await asyncio.shield(self._submit(op))

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        """Queue a row; the returned future resolves once it is durable (retried until then)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def op(w: Writer) -> None:
            month = w.month
            if record.cost_pico > 0:
                scopes = scopes_of(record.provider, record.tenant)
                w.add(month, scopes, spent=record.cost_pico, held=0)
                w.spend_today(scopes, record.cost_pico)
            w.append(
                _values(record, w.now_stamp, month, None, record.cost_pico, record.reserved_pico)
            )

        def attempt(delay: float) -> None:
            if done.cancelled():
                return
            try:
                written = self._submit(op, delay=RECORD_GROUP_S if record.cost_pico == 0 else 0.0)
            except StoreUnavailable as exc:
                if self._closed:
                    done.set_exception(exc)  # the process is stopping: nothing will retry
                    return
                loop.call_later(delay, attempt, min(delay * 2, RETRY_MAX_S))
                return
            written.add_done_callback(lambda f: finished(f, delay))

        def finished(written: asyncio.Future[None], delay: float) -> None:
            if done.done():
                return
            error = written.exception()
            if error is None:
                done.set_result(None)
            elif (
                isinstance(error, StoreUnavailable)
                and not isinstance(error, RowsRefused)
                and not self._closed
            ):
                logger.warning(
                    "ledger row not written yet; retrying",
                    extra={"event": "store.record_retry", "request_id": record.request_id},
                )
                loop.call_later(delay, attempt, min(delay * 2, RETRY_MAX_S))
            else:
                done.set_exception(error)

        attempt(RETRY_FIRST_S)
        return done

    async def heartbeat(self) -> None:
        await asyncio.shield(self._submit(lambda w: w.renew()))

    async def reap(self, *, lease_s: float) -> int:
        """Charge the open reservations of every owner whose lease has passed; renews our own
        lease (`lease_s` from now) in the same transaction."""
        self.lease_s = lease_s

        def op(w: Writer) -> int:
            w.renew()
            now = w.now_stamp
            dead = w.conn.execute(
                "SELECT r.id, r.request_id, r.attempt, r.provider, r.tenant, r.pico, r.month "
                "FROM reservations r LEFT JOIN owners o ON o.owner = r.owner "
                "WHERE r.state = 'open' AND r.owner != ? "
                "AND (o.lease_until IS NULL OR o.lease_until < ?) ORDER BY r.id",
                (self.owner, now),
            ).fetchall()
            for rid, request_id, attempt, provider, tenant, pico, month in dead:
                _close(w, rid, "reaped")
                scopes = scopes_of(provider, tenant)
                w.add(month, scopes, spent=pico, held=-pico)
                w.spend_today(scopes, pico)
                lost = AttemptRecord(
                    request_id=request_id, attempt=attempt, tenant=tenant, provider=provider,
                    model="", tier=0, rule="reconcile", classification="unknown",
                    classification_source="unknown", egress=True, prompt_tokens=0,
                    completion_tokens=0, cost_pico=pico, reserved_pico=pico, latency_ms=0.0,
                    outcome="lost", usage_missing=True, endpoint="unknown",
                )  # fmt: skip
                w.append(_values(lost, w.now_stamp, month, rid, pico, pico))
            w.conn.execute(
                "DELETE FROM owners WHERE lease_until < ? AND owner NOT IN "
                "(SELECT owner FROM reservations WHERE state = 'open')",
                (now,),
            )
            return len(dead)

        return await asyncio.shield(self._submit(op))

    async def mark_alert(self, *, day: str, scope: str) -> bool:
        def op(w: Writer) -> bool:
            cur = w.conn.execute(
                "INSERT OR IGNORE INTO alerts (day, scope, ts) VALUES (?, ?, ?)",
                (day, scope, w.now_stamp),
            )
            return cur.rowcount == 1

        return await asyncio.shield(self._submit(op))

    async def day_spent(self) -> Mapping[str, int]:
        day = day_of(self.clock())
        return await self._read(
            lambda c: {
                s: int(p)
                for s, p in c.execute(
                    "SELECT scope, spent_pico FROM day_totals WHERE day = ?", (day,)
                )
            },
            empty={},
        )

    # -- schema ------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self._read(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]), 0)

    async def migrate(self) -> int:
        if self.readonly:
            raise StoreUnavailable(f"the store at {self.url} was opened read-only")
        return await asyncio.to_thread(self._migrate_now)

    def _migrate_now(self) -> int:
        try:
            conn = connect(self.path, self.busy_timeout_s)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the store at {self.url}: {exc}") from None
        try:
            return _apply_migrations(conn, self.chain)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot migrate the store at {self.url}: {exc}") from None
        finally:
            conn.close()

    def _check_readable(self) -> None:
        def check(conn: sqlite3.Connection) -> None:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version != len(MIGRATIONS):
                raise StoreUnavailable(
                    f"{self.path} has schema version {version}; this tiergate reads "
                    f"{len(MIGRATIONS)}: run `tiergate migrate`"
                    if version < len(MIGRATIONS)
                    else f"{self.path} has schema version {version}, newer than this tiergate "
                    f"knows ({len(MIGRATIONS)}): upgrade tiergate"
                )

        self._read_now(check, None)

    # -- reports -----------------------------------------------------------------------------

    async def spend_rows(self, *, month: str, tenant: str | None) -> SpendRows:
        return await self._read(
            lambda c: _spend_rows(c, month, tenant), SpendRows(month=month, total=SpendLine())
        )

    async def audit_rows(self, *, month: str | None) -> AuditRows:
        return await self._read(lambda c: _audit_rows(c, month), AuditRows(month=month))

    async def recent(self, *, limit: int) -> list[dict[str, Any]]:
        def read(c: sqlite3.Connection) -> list[dict[str, Any]]:
            cur = c.execute(
                f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM attempts ORDER BY id DESC LIMIT ?",
                (limit,),
            )
            return [dict(zip(ATTEMPT_COLUMNS, row, strict=True)) for row in cur]

        return await self._read(read, [])

    async def verify(self) -> tuple[bool, str]:
        return await self._read(self.chain.verify, (False, f"no ledger at {self.path}"))

    async def close(self) -> None:
        # The lease is left to run out: an owner (a batch run) may come back for its holds.
        if self._closed:
            return
        self._closed = True
        self._flush()
        if self._writer is not None:
            self._writer.jobs.put(None)
            await asyncio.to_thread(self._writer.join)

    async def _read(self, fn: Callable[[sqlite3.Connection], T], empty: T) -> T:
        return await asyncio.to_thread(self._read_now, fn, empty)

    def _read_now(self, fn: Callable[[sqlite3.Connection], T], empty: T) -> T:
        """Run `fn` on a fresh read-only connection; `empty` when the file does not exist yet."""
        if self.path == ":memory:" or not Path(self.path).exists():
            return empty
        try:
            conn = sqlite3.connect(f"file:{quote(self.path)}?mode=ro", uri=True)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read the store at {self.url}: {exc}") from None
        try:
            return fn(conn)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot read the store at {self.url}: {exc}") from None
        finally:
            conn.close()


def _apply_migrations(conn: sqlite3.Connection, chain: Chain) -> int:
    """Apply pending migrations, each in its own BEGIN IMMEDIATE (so concurrent starts apply it once)."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise StoreUnavailable(
                    f"schema version {version} is newer than this tiergate knows "
                    f"({len(MIGRATIONS)}): upgrade tiergate"
                )
            if version == len(MIGRATIONS):
                conn.execute("COMMIT")
                return version
            MIGRATIONS[version](conn, chain)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _values(
    record: AttemptRecord,
    ts: str,
    month: str,
    reservation_id: int | None,
    cost_pico: int,
    reserved_pico: int,
) -> tuple[Any, ...]:
    # Exactly the types SQLite hands back, so that verify() recomputes the same bytes.
    return (
        ts, month, record.request_id, int(record.attempt), record.tenant,
        record.provider, record.model, int(record.tier), record.rule, record.classification,
        record.classification_source, int(bool(record.egress)), int(record.prompt_tokens),
        int(record.completion_tokens), int(cost_pico), int(reserved_pico),
        float(round(record.latency_ms, 3)),
        None if record.ttft_ms is None else float(round(record.ttft_ms, 3)),
        record.outcome, int(bool(record.usage_missing)), record.cache,
        None if record.status is None else int(record.status), record.endpoint, reservation_id,
    )  # fmt: skip


def _close(w: Writer, reservation_id: int, state: str) -> bool:
    """Close an open reservation; False if it was not open (the operation is then a no-op)."""
    return w.close_reservation(reservation_id, state)


def _spend_rows(conn: sqlite3.Connection, month: str, tenant: str | None) -> SpendRows:
    where, args = (
        ("month = ? AND tenant = ?", (month, tenant)) if tenant else ("month = ?", (month,))
    )
    q = f"FROM attempts WHERE {where}"
    r = f"FROM reservations WHERE state = 'open' AND {where}"
    held_by_provider = dict(conn.execute(f"SELECT provider, SUM(pico) {r} GROUP BY provider", args))
    providers = {
        p: SpendLine(int(s), int(held_by_provider.pop(p, 0)), int(n), int(n))
        for p, s, n in conn.execute(
            f"SELECT provider, SUM(cost_pico), COUNT(*) {q} GROUP BY provider", args
        )
    }
    providers |= {p: SpendLine(0, int(h), 0, 0) for p, h in held_by_provider.items()}
    held_by_tenant = dict(conn.execute(f"SELECT tenant, SUM(pico) {r} GROUP BY tenant", args))
    tenants = {
        t: SpendLine(int(s), int(held_by_tenant.pop(t, 0)), int(n), int(d))
        for t, s, n, d in conn.execute(
            f"SELECT tenant, SUM(cost_pico), COUNT(*), COUNT(DISTINCT request_id) {q} "
            "GROUP BY tenant",
            args,
        )
    }
    tenants |= {t: SpendLine(0, int(h), 0, 0) for t, h in held_by_tenant.items()}
    days = {
        d: SpendLine(int(s), 0, int(n), int(k))
        for d, s, n, k in conn.execute(
            f"SELECT substr(ts, 1, 10), SUM(cost_pico), COUNT(*), COUNT(DISTINCT request_id) {q} "
            "GROUP BY 1 ORDER BY 1",
            args,
        )
    }
    spent, attempts, requests = conn.execute(
        f"SELECT COALESCE(SUM(cost_pico), 0), COUNT(*), COUNT(DISTINCT request_id) {q}", args
    ).fetchone()
    held = conn.execute(f"SELECT COALESCE(SUM(pico), 0) {r}", args).fetchone()[0]
    total = SpendLine(int(spent), int(held), int(attempts), int(requests))
    hits = {
        (p, m): (int(n), int(i), int(o))
        for p, m, n, i, o in conn.execute(
            f"SELECT provider, model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens) {q} "
            "AND cache = 'hit' GROUP BY 1, 2",
            args,
        )
    }
    return SpendRows(
        month=month, total=total, providers=providers, tenants=tenants, days=days, cache_hits=hits
    )


def _audit_rows(conn: sqlite3.Connection, month: str | None) -> AuditRows:
    where, args = ("WHERE month = ?", (month,)) if month else ("", ())
    requests: dict[str, int] = {}
    egress: dict[str, int] = {}
    for cls, n, out in conn.execute(
        "SELECT classification, COUNT(DISTINCT request_id), "
        f"COUNT(DISTINCT CASE WHEN egress THEN request_id END) FROM attempts {where} "
        "GROUP BY classification",
        args,
    ):
        requests[cls], egress[cls] = int(n), int(out)
    sources = {
        s: int(n)
        for s, n in conn.execute(
            f"SELECT classification_source, COUNT(DISTINCT request_id) FROM attempts {where} "
            "GROUP BY 1 ORDER BY 2 DESC",
            args,
        )
    }
    out_attempts = {
        (cls, provider): int(n)
        for cls, provider, n in conn.execute(
            f"SELECT classification, provider, COUNT(*) FROM attempts {where} "
            f"{'AND' if where else 'WHERE'} egress GROUP BY 1, 2",
            args,
        )
    }
    return AuditRows(
        month=month, requests=requests, egress=egress, sources=sources,
        egress_attempts=out_attempts,
    )  # fmt: skip


__all__ = ["SqliteStore", "path_of"]
