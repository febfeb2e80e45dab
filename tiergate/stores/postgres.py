"""The Store on PostgreSQL (asyncpg): several gateway replicas, one set of caps, one ledger.

Where each promise of the Store lives:

- **reserve** is one round trip to `tiergate.reserve()`, a stored function that
  locks the month's running-total rows of every scope the attempt touches in
  scope order (so two reservations never deadlock), checks spent + held + the
  new hold against every cap it was given, and holds under all or none; with
  `?budget_slice_usd=` it reserves inside a leased slice (_postgres_slices).
- **the ledger** (`tiergate.attempts`) is append-only (triggers refuse UPDATE,
  DELETE and TRUNCATE) and written by one writer task per process, rows waiting
  together in one transaction (_postgres_writer). Each process keeps its own keyed
  hash chain (see _postgres_schema), so replicas never queue behind one another to
  append.
- **leases**: every process keeps an `owners` row whose `lease_until` it
  renews; `reap()` on any replica charges in full (outcome "lost") the open
  reservations of owners whose lease has passed, and deletes those owners. A
  reservation is only accepted for an owner that holds a row.
- **time**: the database's `now()` decides the month a reservation is charged
  to and the day a row falls on (append() refuses a batch stamped with another
  date than the database's; the writer then takes the database's time), so
  replica clocks never matter. The `clock` argument of `open()` is not consulted.
- **failure**: every call has a short timeout. A failed call turns `healthy`
  false until one succeeds; reserve raises StoreUnavailable (paid providers
  fail closed); queued rows stay in memory, in order, and are retried until
  written. A reserve or release whose answer was lost is undone by the next
  heartbeats (found by a token), a row the database refuses fails alone
  (RowsRefused), and a database unreachable at start is waited for (migrated on
  first contact).

Reports and the ledger's proof are in _postgres_reports, the schema version in
_postgres_migrate, statements and row values in _postgres_sql.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from ..errors import StoreUnavailable
from . import (
    DEFAULT_LEASE_S,
    AttemptRecord,
    AuditRows,
    Clock,
    Hold,
    Reservation,
    RowsRefused,
    Shortfall,
    SpendRows,
)
from . import _postgres_migrate as schema
from . import _postgres_reports as reports
from ._postgres_schema import MIGRATIONS, Chain
from ._postgres_slices import Slices
from ._postgres_sql import (
    CALL_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    LEASE_LOST,
    MONTH_SQL,
    POOL_SIZE,
    REFUSED,
    RENEW,
    RESERVE,
    TRANSIENT,
    UNSURE_S,
    UNUSABLE,
    hide_password,
    options,
    reason,
)
from ._postgres_writer import Job, LedgerWriter
from .calendar import scopes_of

if TYPE_CHECKING:
    from ._postgres_sql import Conn

logger = logging.getLogger("tiergate.stores.postgres")

T = TypeVar("T")


class PostgresStore:
    """The Store on one PostgreSQL database. Build it with `await PostgresStore.open(url, ...)`."""

    def __init__(
        self, *, url: str, pool: asyncpg.Pool, owner: str, key: bytes | None, lease_s: float,
        readonly: bool, slice_pico: int = 0,
    ) -> None:  # fmt: skip
        self.url = hide_password(url)
        self.owner = owner
        self.lease_s = lease_s
        self.readonly = readonly
        self.chain = Chain(key)
        self._pool = pool
        self._healthy = True
        self._last_error: BaseException | None = None  # why the last call failed
        self._pending = False  # opened while the database was unreachable: migrate first
        self._closed = False
        self._month = ""
        self._used: dict[str, int] = {}
        self._settling: dict[int, asyncio.Future[Any]] = {}
        self._tokens = itertools.count(1)
        # Holds that may exist though their caller heard an error, released by every heartbeat
        # for UNSURE_S (a hung server may run the statement when it resumes): name -> until.
        self._unsure_tokens: dict[str, float] = {}  # reserves whose answer was lost
        self._unsure_ids: dict[int, float] = {}  # releases whose answer was lost
        self._offset = timedelta(0)  # the database's clock minus ours
        self._writer = LedgerWriter(self)
        self._slices = Slices(self, pico=slice_pico)  # pico 0: every reservation is exact

    @classmethod
    async def open(
        cls, url: str, *, owner: str, clock: Clock | None = None, key: bytes | None = None,
        lease_s: float = DEFAULT_LEASE_S, readonly: bool = False,
    ) -> PostgresStore:  # fmt: skip
        """Connect, migrate (unless readonly) and take this owner's lease.

        A database that cannot be reached *now* (refused, timed out, starting up) does not
        stop a writable store from opening: it starts unhealthy (paid providers fail closed,
        free rows wait in memory) and migrates on the first heartbeat that reaches it. A
        wrong password or database name, or a read-only open, raises StoreUnavailable.
        `clock` is not consulted: the database's clock decides months and days.
        """
        del clock
        dsn, slice_pico = options(url)
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=0, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_S,
                command_timeout=CALL_TIMEOUT_S,
                server_settings={"application_name": "tiergate", "timezone": "UTC"},
            )  # fmt: skip
        except UNUSABLE as exc:
            raise StoreUnavailable(
                f"cannot connect to the store at {hide_password(url)}: {reason(exc)}"
            ) from None
        store = cls(url=url, pool=pool, owner=owner, key=key, lease_s=lease_s, readonly=readonly,
                    slice_pico=slice_pico)  # fmt: skip
        try:
            try:
                if readonly:
                    await store._check_readable()
                else:
                    await store.migrate()
                    await store.heartbeat()
            except StoreUnavailable as exc:
                if readonly or not isinstance(store._last_error, TRANSIENT):
                    if store._last_error is None:
                        raise
                    raise StoreUnavailable(
                        f"cannot connect to the store at {store.url}: {reason(store._last_error)}"
                    ) from None
                logger.warning(
                    "the store cannot be reached; starting without it (paid providers fail "
                    "closed until it answers)",
                    extra={"event": "store.unreachable_at_start", "error": exc.message},
                )
                store._pending = True
            if not readonly:
                store._writer.start()
        except BaseException:
            await pool.close()
            raise
        return store

    # -- state -------------------------------------------------------------------------------

    @property
    def healthy(self) -> bool:
        return self._healthy and not self._closed

    @property
    def stats(self) -> tuple[int, int]:
        """(batches the writer committed, rows they held): rows per batch shows group commit."""
        return self._writer.commits, self._writer.rows

    def used(self) -> Mapping[str, int]:
        return dict(self._used)

    async def _call(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection; any database failure becomes StoreUnavailable."""
        if self._closed:
            raise StoreUnavailable(f"the store at {self.url} is closed")
        try:
            async with self._pool.acquire(timeout=CONNECT_TIMEOUT_S) as conn:
                result = await fn(conn)
        except REFUSED as exc:
            # The database is fine; what was sent is not (a bug, or a value it cannot store).
            raise RowsRefused(f"the store at {self.url} refused to {what}: {reason(exc)}") from None
        except UNUSABLE as exc:
            self._healthy = False
            self._last_error = exc
            raise StoreUnavailable(
                f"the store at {self.url} cannot {what}: {reason(exc)}"
            ) from None
        self._healthy, self._last_error = True, None
        return result

    # -- money -------------------------------------------------------------------------------

    async def reserve(self, hold: Hold) -> Reservation | Shortfall:
        if hold.pico < 0:
            raise ValueError(f"a reservation cannot be negative ({hold.pico})")
        scopes = sorted(set(scopes_of(hold.provider, hold.tenant)) | set(hold.caps))
        cap_scopes = list(hold.caps)
        caps = [hold.caps[s] for s in cap_scopes]
        if self._slices.pico:
            inside = await self._slices.reserve(hold, tuple(scopes), cap_scopes, caps)
            if inside is not None:
                return inside
        token = str(next(self._tokens))
        args = (self.owner, hold.request_id, hold.attempt, hold.provider, hold.tenant, hold.pico,
                scopes, cap_scopes, caps, token)  # fmt: skip

        async def call(conn: Conn) -> asyncpg.Record | None:
            try:
                return await conn.fetchrow(RESERVE, *args)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != LEASE_LOST:
                    raise
            # Our lease passed and another replica reaped us (a long pause): take a new one.
            await conn.execute(RENEW, self.owner, self.lease_s)
            return await conn.fetchrow(RESERVE, *args)

        try:
            row = await asyncio.shield(self._call("reserve", call))
        except StoreUnavailable:
            # It may have committed before its answer was lost (a hung server resumes and runs
            # it): the caller will not use it, so the next heartbeat releases it if it exists.
            self._unsure_tokens[token] = time.monotonic() + UNSURE_S
            raise
        if row is None:
            raise StoreUnavailable(f"the store at {self.url} returned nothing for a reservation")
        if row["short_scope"] is not None:
            return Shortfall(
                scope=row["short_scope"], cap_pico=int(row["cap_pico"]),
                left_pico=int(row["left_pico"]), needed_pico=hold.pico,
                resets_at=row["resets_at"].astimezone(UTC),
            )  # fmt: skip
        month = str(row["month"])
        self._remember(month, dict(zip(scopes, row["used_pico"], strict=True)))
        return Reservation(
            id=int(row["reservation_id"]), request_id=hold.request_id, attempt=hold.attempt,
            provider=hold.provider, tenant=hold.tenant, pico=hold.pico, month=month,
        )  # fmt: skip

    async def settle(self, reservation: Reservation, record: AttemptRecord) -> None:
        running = self._settling.get(reservation.id)
        if running is not None:
            await asyncio.shield(running)  # settled by the call already under way
            return
        future = self._submit(Job("settle", self._new_future(), record, reservation))
        self._settling[reservation.id] = future
        future.add_done_callback(lambda _: self._settling.pop(reservation.id, None))
        await asyncio.shield(future)

    async def release(self, reservation: Reservation) -> None:
        async def call(conn: Conn) -> bool:
            return bool(await conn.fetchval("SELECT tiergate.release($1)", reservation.id))

        try:
            released = await asyncio.shield(self._call("release a reservation", call))
        except StoreUnavailable:
            self._unsure_ids[reservation.id] = time.monotonic() + UNSURE_S
            raise
        if self._slices.released(reservation, released=released):
            return  # back in the slice; the totals never moved
        if released:
            scopes = scopes_of(reservation.provider, reservation.tenant)
            self._add_used(reservation.month, scopes, -reservation.pico)

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        return self._submit(Job("record", self._new_future(), record, retry=True))

    async def heartbeat(self) -> None:
        """Renew this owner's lease (lease_s from the database's now) and refresh used()."""

        async def call(conn: Conn) -> tuple[str, datetime, list[asyncpg.Record]]:
            async with conn.transaction():
                month = await conn.fetchval(RENEW + " RETURNING " + MONTH_SQL, *renew)
                if tokens or ids:
                    await conn.execute(
                        "SELECT tiergate.release_unsure($1, $2, $3)", self.owner, tokens, ids
                    )
                rows = await conn.fetch(
                    "SELECT scope, spent_pico + held_pico AS used, now() AS now "
                    "FROM tiergate.totals WHERE month = $1",
                    month,
                )
                now = rows[0]["now"] if rows else await conn.fetchval("SELECT now()")
                return str(month), now, rows

        if self._pending:
            await self.migrate()
            self._pending = False
        renew = (self.owner, self.lease_s)
        tokens, ids = sorted(self._unsure_tokens), sorted(self._unsure_ids)
        month, now, rows = await asyncio.shield(self._call("renew its lease", call))
        done = time.monotonic()
        self._unsure_tokens = {k: t for k, t in self._unsure_tokens.items() if t > done}
        self._unsure_ids = {k: t for k, t in self._unsure_ids.items() if t > done}
        self._offset = now - datetime.now(UTC)
        self._month = month
        self._used = {str(r["scope"]): int(r["used"]) for r in rows}
        await self._slices.heartbeat(month)

    async def reap(self, *, lease_s: float) -> int:
        """Charge the open reservations of every owner whose lease has passed; renews ours first."""
        self.lease_s = lease_s
        await self.heartbeat()
        return int(await asyncio.shield(self._submit(Job("reap", self._new_future()))))

    async def mark_alert(self, *, day: str, scope: str) -> bool:
        async def call(conn: Conn) -> object:
            return await conn.fetchval(
                "INSERT INTO tiergate.alerts (day, scope) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING scope",
                day, scope,
            )  # fmt: skip

        return await self._call("mark an alert", call) is not None

    async def day_spent(self) -> Mapping[str, int]:
        async def call(conn: Conn) -> list[asyncpg.Record]:
            return await conn.fetch(
                "SELECT provider, tenant, sum(cost_pico) AS pico FROM tiergate.attempts "
                "WHERE ts >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
                "GROUP BY provider, tenant"
            )

        spent: defaultdict[str, int] = defaultdict(int)
        for r in await self._call("read today's spend", call):
            for scope in scopes_of(r["provider"], r["tenant"]):
                spent[scope] += int(r["pico"])
        return dict(spent)

    def _remember(self, month: str, used: Mapping[str, int]) -> None:
        if month != self._month:
            self._month, self._used = month, {}
        self._used.update(used)

    def _add_used(self, month: str, scopes: tuple[str, ...], delta: int) -> None:
        if month == self._month:
            for scope in scopes:
                self._used[scope] = self._used.get(scope, 0) + delta

    def _count(
        self,
        written: list[tuple[AttemptRecord | None, Reservation | None]],
        closed: set[int],
        month: str,
    ) -> None:
        """Bring used() up to date with a batch the writer committed."""
        for record, reservation in written:
            assert record is not None
            if reservation is not None:
                cost = max(record.cost_pico, reservation.pico * record.usage_missing)
                shut = reservation.id in closed
                if self._slices.settled(reservation, cost=cost, closed=shut):
                    continue  # spent + held did not change: the rest stays in the slice
                if shut or reservation.month != self._month:
                    continue
                delta = cost - reservation.pico
            elif month == self._month:
                delta = record.cost_pico
            else:
                continue
            if delta:
                for scope in scopes_of(record.provider, record.tenant):
                    self._used[scope] = self._used.get(scope, 0) + delta

    # -- schema ------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self._call("read its schema version", schema.version)

    async def migrate(self) -> int:
        """Apply pending migrations once, however many replicas start together."""
        if self.readonly:
            raise StoreUnavailable(f"the store at {self.url} was opened read-only")
        return await self._call("apply migrations", lambda c: schema.migrate(c, self.url))

    async def _check_readable(self) -> None:
        schema.check_readable(await self.schema_version(), self.url)

    # -- reports -----------------------------------------------------------------------------

    async def spend_rows(self, *, month: str, tenant: str | None) -> SpendRows:
        return await self._call(
            "read spend", lambda c: reports.spend_rows(c, month=month, tenant=tenant)
        )

    async def audit_rows(self, *, month: str | None) -> AuditRows:
        return await self._call("read the audit", lambda c: reports.audit_rows(c, month=month))

    async def recent(self, *, limit: int) -> list[dict[str, Any]]:
        return await self._call("read recent attempts", lambda c: reports.recent(c, limit=limit))

    async def verify(self) -> tuple[bool, str]:
        """Walk the chain registry, then every chain in order, each against its keyed head."""
        return await self._call(
            "verify the ledger", lambda c: reports.verify(c, chain=self.chain, url=self.url)
        )

    # -- life --------------------------------------------------------------------------------

    async def close(self) -> None:
        """Write what is queued (for a few seconds at most), give back budget slices, close."""
        if self._closed:
            return
        await self._writer.stop()
        if not self.readonly:
            await self._slices.close()
        # The lease is left to run out, as on SQLite: an owner that comes back (a resumed batch
        # run) settles its own holds; otherwise they are reaped a lease later.
        self._closed = True
        self._writer.fail_queued(StoreUnavailable(f"the store at {self.url} is closed"))
        await self._pool.close()

    def _new_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def _submit(self, job: Job) -> asyncio.Future[Any]:
        if self._closed or self._writer.task is None:
            state = "closed" if self._closed else "read-only"
            raise StoreUnavailable(f"the store at {self.url} is {state}")
        return self._writer.submit(job)


__all__ = ["MIGRATIONS", "PostgresStore", "RowsRefused", "hide_password", "scopes_of"]
