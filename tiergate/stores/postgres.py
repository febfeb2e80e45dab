"""The Store on PostgreSQL (asyncpg): several gateway replicas, one set of caps, one ledger.

Where each promise of the Store lives:

- **reserve** is one round trip to `tiergate.reserve()`, a stored function that
  locks the month's running-total rows of every scope the attempt touches in
  scope order (so two reservations never deadlock), checks spent + held + the
  new hold against every cap it was given, and holds under all or none.
- **the ledger** (`tiergate.attempts`) is append-only (triggers refuse UPDATE,
  DELETE and TRUNCATE) and written by one writer task per process: every row
  waiting when a batch starts shares one round trip to `tiergate.append()`
  (group commit, settles included), which closes the settled reservations,
  inserts the rows, moves the running totals and this process's chain head in
  one transaction. Each process keeps its own keyed hash chain (see
  _postgres_schema), so replicas never queue behind one another to append.
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
  heartbeats (found by a token), a row the database refuses fails alone, and a
  database unreachable at start is waited for (migrated on first contact).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import itertools
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from ..errors import StoreUnavailable
from . import (
    DEFAULT_LEASE_S,
    PICO_PER_USD,
    AttemptRecord,
    AuditRows,
    Clock,
    Hold,
    Reservation,
    Shortfall,
    SpendLine,
    SpendRows,
)
from ._postgres_schema import (
    ATTEMPT_COLUMNS,
    GENESIS,
    HASHED_COLUMNS,
    MIGRATIONS,
    ROW_ARRAY_COUNT,
    Chain,
    canonical,
    stamp,
)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn: TypeAlias = PoolConnectionProxy[asyncpg.Record]

logger = logging.getLogger("tiergate.stores.postgres")

T = TypeVar("T")

CALL_TIMEOUT_S = 2.0  # every statement (a hung server: ~2x, asyncpg then cancels it); then down
CONNECT_TIMEOUT_S = 2.0
POOL_SIZE = 4
MAX_BATCH = 512
APPEND_TRIES = 4
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
CLOSE_FLUSH_S = 5.0
UNSURE_S = 60.0
LEASE_LOST = "TGL01"  # SQLSTATE raised by tiergate.reserve for an owner without a lease row
MIGRATE_LOCK = 0x7469_6572_6761_7465  # "tiergate": the advisory lock that serialises migrations

_MONTH_SQL = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')"
_RESERVE = "SELECT * FROM tiergate.reserve($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
_RENEW = (
    "INSERT INTO tiergate.owners (owner, lease_until) "
    "VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (owner) "
    "DO UPDATE SET lease_until = excluded.lease_until"
)
_APPEND = (
    "SELECT * FROM tiergate.append("
    + ", ".join(f"${i}" for i in range(1, 10 + ROW_ARRAY_COUNT))
    + ")"
)
_INSERT = (
    f"INSERT INTO tiergate.attempts ({', '.join(HASHED_COLUMNS)}, hash) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(HASHED_COLUMNS) + 2))})"
)


def scopes_of(provider: str, tenant: str | None) -> tuple[str, ...]:
    """Every scope an attempt's money counts under (capped or not, so a cap added later is exact)."""
    if tenant is None:
        return (f"provider:{provider}", "total")
    return (f"provider:{provider}", f"tenant:{tenant}", "total")


def month_of(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(slots=True, eq=False)
class _Job:
    kind: str  # "settle" | "record" | "reap"
    future: asyncio.Future[Any]
    record: AttemptRecord | None = None
    reservation: Reservation | None = None
    retry: bool = False  # a record: kept and retried until it is written
    seq: int = 0  # the chain position it was last sent with (0: never sent)


@dataclass(slots=True, eq=False)
class _Slice:
    """A leased budget slice, as this process (its only user) counts it."""

    id: int
    month: str
    scopes: tuple[str, ...]
    granted: int
    charged: int = 0  # settled inside it (moved from held to spent in the totals)
    held: int = 0  # open reservations inside it
    returned: bool = False  # given back: what its open reservations do not spend goes back too

    @property
    def left(self) -> int:
        return self.granted - self.charged - self.held


class PostgresStore:
    """The Store on one PostgreSQL database. Build it with `await PostgresStore.open(url, ...)`."""

    def __init__(
        self, *, url: str, pool: asyncpg.Pool, owner: str, key: bytes | None, lease_s: float,
        readonly: bool,
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
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._busy = False
        self._settling: dict[int, asyncio.Future[Any]] = {}
        self._seq, self._hash = 0, GENESIS  # this process's chain head, as last committed
        self._unsure = False  # a batch failed in a way that may have committed it
        self._inflight: list[_Job] = []  # the batch last sent
        self._tokens = itertools.count(1)
        # Holds that may exist though their caller heard an error, released by every heartbeat
        # for UNSURE_S (a hung server may run the statement when it resumes): name -> until.
        self._unsure_tokens: dict[str, float] = {}  # reserves whose answer was lost
        self._unsure_ids: dict[int, float] = {}  # releases whose answer was lost
        self._slice_pico = 0  # budget_slice_usd in the URL: reserve inside leased slices
        self._slices: dict[tuple[str, ...], _Slice] = {}  # by scopes: this process's open slices
        self._slice_of: dict[int, _Slice] = {}  # reservation id -> the slice it is inside
        self._granting: dict[tuple[str, ...], asyncio.Lock] = {}
        self._to_return: list[_Slice] = []  # slices set aside whose return has not gone through
        self._registered = False  # the chain is registered at the first write, not by `migrate`
        self._offset = timedelta(0)  # the database's clock minus ours
        self.commits = 0
        self.rows = 0

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
        dsn, slice_pico = _options(url)
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=0, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_S,
                command_timeout=CALL_TIMEOUT_S,
                server_settings={"application_name": "tiergate", "timezone": "UTC"},
            )  # fmt: skip
        except _Unusable as exc:
            raise StoreUnavailable(
                f"cannot connect to the store at {hide_password(url)}: {_reason(exc)}"
            ) from None
        store = cls(url=url, pool=pool, owner=owner, key=key, lease_s=lease_s, readonly=readonly)
        store._slice_pico = slice_pico
        try:
            try:
                if readonly:
                    await store._check_readable()
                else:
                    await store.migrate()
                    await store.heartbeat()
            except StoreUnavailable as exc:
                if readonly or not isinstance(store._last_error, _Transient):
                    if store._last_error is None:
                        raise
                    raise StoreUnavailable(
                        f"cannot connect to the store at {store.url}: {_reason(store._last_error)}"
                    ) from None
                logger.warning(
                    "the store cannot be reached; starting without it (paid providers fail "
                    "closed until it answers)",
                    extra={"event": "store.unreachable_at_start", "error": exc.message},
                )
                store._pending = True
            if not readonly:
                store._writer = asyncio.get_running_loop().create_task(
                    store._write_loop(), name="tiergate-pg-writer"
                )
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
        return self.commits, self.rows

    def used(self) -> Mapping[str, int]:
        return dict(self._used)

    async def _call(self, what: str, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run `fn` on a pooled connection; any database failure becomes StoreUnavailable."""
        if self._closed:
            raise StoreUnavailable(f"the store at {self.url} is closed")
        try:
            async with self._pool.acquire(timeout=CONNECT_TIMEOUT_S) as conn:
                result = await fn(conn)
        except _Refused as exc:
            # The database is fine; what was sent is not (a bug, or a value it cannot store).
            raise RowsRefused(
                f"the store at {self.url} refused to {what}: {_reason(exc)}"
            ) from None
        except _Unusable as exc:
            self._healthy = False
            self._last_error = exc
            raise StoreUnavailable(
                f"the store at {self.url} cannot {what}: {_reason(exc)}"
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
        if self._slice_pico:
            inside = await self._reserve_in_slice(hold, tuple(scopes), cap_scopes, caps)
            if inside is not None:
                return inside
        token = str(next(self._tokens))
        args = (self.owner, hold.request_id, hold.attempt, hold.provider, hold.tenant, hold.pico,
                scopes, cap_scopes, caps, token)  # fmt: skip

        async def call(conn: Conn) -> asyncpg.Record | None:
            try:
                return await conn.fetchrow(_RESERVE, *args)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != LEASE_LOST:
                    raise
            # Our lease passed and another replica reaped us (a long pause): take a new one.
            await conn.execute(_RENEW, self.owner, self.lease_s)
            return await conn.fetchrow(_RESERVE, *args)

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

    async def _reserve_in_slice(
        self, hold: Hold, scopes: tuple[str, ...], cap_scopes: list[str], caps: list[int]
    ) -> Reservation | None:
        """A reservation inside this process's slice for `scopes` (taking a new slice when the
        current one cannot cover it); None when no slice can: then reserve() goes exact."""
        current = self._slices.get(scopes)
        if current is None or current.left < hold.pico:
            async with self._granting.setdefault(scopes, asyncio.Lock()):
                current = self._slices.get(scopes)
                if current is None or current.left < hold.pico:
                    if current is not None:
                        del self._slices[scopes]
                        await self._give_back(current)
                    current = await self._grant(scopes, cap_scopes, caps, hold.pico)
                    if current is None:
                        return None
                    self._slices[scopes] = current
        if current.left < hold.pico:
            return None
        current.held += hold.pico  # no await between the check and this
        token = str(next(self._tokens))
        args = (current.id, self.owner, hold.request_id, hold.attempt, hold.provider,
                hold.tenant, hold.pico, token)  # fmt: skip

        async def call(conn: Conn) -> object:
            return await conn.fetchval(
                "SELECT tiergate.reserve_in_slice($1, $2, $3, $4, $5, $6, $7, $8)", *args
            )

        try:
            found = await asyncio.shield(self._call("reserve", call))
        except StoreUnavailable:
            current.held -= hold.pico
            self._unsure_tokens[token] = time.monotonic() + UNSURE_S
            raise
        if found is None:  # the slice was reaped, or its month is over: stop using it
            current.held -= hold.pico
            if self._slices.get(scopes) is current:
                del self._slices[scopes]
            await self._give_back(current)
            return None
        rid = int(str(found))
        self._slice_of[rid] = current
        return Reservation(
            id=rid, request_id=hold.request_id, attempt=hold.attempt, provider=hold.provider,
            tenant=hold.tenant, pico=hold.pico, month=current.month,
        )  # fmt: skip

    async def _grant(
        self, scopes: tuple[str, ...], cap_scopes: list[str], caps: list[int], need: int
    ) -> _Slice | None:
        args = (self.owner, list(scopes), cap_scopes, caps, max(self._slice_pico, need), need)

        async def call(conn: Conn) -> asyncpg.Record | None:
            query = "SELECT * FROM tiergate.grant_slice($1, $2, $3, $4, $5, $6)"
            try:
                return await conn.fetchrow(query, *args)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != LEASE_LOST:
                    raise
            await conn.execute(_RENEW, self.owner, self.lease_s)
            return await conn.fetchrow(query, *args)

        row = await asyncio.shield(self._call("take a budget slice", call))
        if row is None or not row["slice_id"]:
            return None
        granted, month = int(row["granted"]), str(row["month"])
        if month == self._month:
            for scope in scopes:
                self._used[scope] = self._used.get(scope, 0) + granted
        return _Slice(int(row["slice_id"]), month, scopes, granted)

    async def _give_back(self, current: _Slice) -> None:
        """Return a slice this process stops using; if the store cannot take it now, the
        heartbeat tries again (the slice's money stays held meanwhile: the safe side)."""
        try:
            await self._return_slice(current)
        except StoreUnavailable:
            self._to_return.append(current)

    async def _return_slice(self, current: _Slice) -> None:
        """Give back what `current` holds beyond its charges and open reservations."""

        async def call(conn: Conn) -> object:
            return await conn.fetchval("SELECT tiergate.return_slice($1)", current.id)

        rest = int(str(await asyncio.shield(self._call("return a budget slice", call))))
        current.granted -= rest
        current.returned = True
        if current.month == self._month:
            for scope in current.scopes:
                self._used[scope] = self._used.get(scope, 0) - rest

    async def settle(self, reservation: Reservation, record: AttemptRecord) -> None:
        running = self._settling.get(reservation.id)
        if running is not None:
            await asyncio.shield(running)  # settled by the call already under way
            return
        future = self._submit(_Job("settle", self._new_future(), record, reservation))
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
        inside = self._slice_of.pop(reservation.id, None)
        if inside is not None and released:
            inside.held -= reservation.pico
        if inside is not None and not inside.returned:
            return  # back in the slice; the totals never moved
        if released and reservation.month == self._month:
            for scope in scopes_of(reservation.provider, reservation.tenant):
                self._used[scope] = self._used.get(scope, 0) - reservation.pico

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        return self._submit(_Job("record", self._new_future(), record, retry=True))

    async def heartbeat(self) -> None:
        """Renew this owner's lease (lease_s from the database's now) and refresh used()."""

        async def call(conn: Conn) -> tuple[str, datetime, list[asyncpg.Record]]:
            async with conn.transaction():
                month = await conn.fetchval(_RENEW + " RETURNING " + _MONTH_SQL, *renew)
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
        for scopes, old in list(self._slices.items()):
            if old.month != month:  # a new month: last month's slices go back
                del self._slices[scopes]
                self._to_return.append(old)
        waiting, self._to_return = self._to_return, []
        for old in waiting:
            await self._give_back(old)

    async def reap(self, *, lease_s: float) -> int:
        """Charge the open reservations of every owner whose lease has passed; renews ours first."""
        self.lease_s = lease_s
        await self.heartbeat()
        return int(await asyncio.shield(self._submit(_Job("reap", self._new_future()))))

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

    # -- schema ------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self._call("read its schema version", _version)

    async def migrate(self) -> int:
        """Apply pending migrations in one transaction under an advisory lock: once, however
        many replicas start together. Returns the schema version."""
        if self.readonly:
            raise StoreUnavailable(f"the store at {self.url} was opened read-only")

        async def call(conn: Conn) -> int:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATE_LOCK)
                version = await _version(conn)
                if version > len(MIGRATIONS):
                    raise StoreUnavailable(
                        f"the store at {self.url} has schema version {version}, newer than this "
                        f"tiergate knows ({len(MIGRATIONS)}): upgrade tiergate"
                    )
                for number in range(version, len(MIGRATIONS)):
                    await conn.execute(MIGRATIONS[number])
                    await conn.execute(
                        "CREATE TABLE IF NOT EXISTS tiergate.migrations (version integer "
                        "PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                    )
                    await conn.execute(
                        "INSERT INTO tiergate.migrations (version) VALUES ($1)", number + 1
                    )
                return len(MIGRATIONS)

        return await self._call("apply migrations", call)

    async def _check_readable(self) -> None:
        version = await self.schema_version()
        if version > len(MIGRATIONS):
            raise StoreUnavailable(
                f"the store at {self.url} has schema version {version}, newer than this "
                f"tiergate knows ({len(MIGRATIONS)}): upgrade tiergate"
            )
        if 0 < version < len(MIGRATIONS):
            raise StoreUnavailable(
                f"the store at {self.url} has schema version {version}; this tiergate reads "
                f"{len(MIGRATIONS)}: run `tiergate migrate`"
            )

    async def _register(self) -> None:
        """Start this process's chain (or adopt it, reopened), linked into the keyed registry.
        Done by the writer before its first batch."""

        async def call(conn: Conn) -> tuple[int, str]:
            async with conn.transaction():
                head = await conn.fetchrow(
                    "SELECT last_n, last_hash FROM tiergate.registry_head WHERE k = 0 FOR UPDATE"
                )
                mine = await conn.fetchrow(
                    "SELECT last_seq, last_hash FROM tiergate.chains WHERE chain = $1", self.owner
                )
                if mine is not None:
                    return int(mine["last_seq"]), str(mine["last_hash"])
                assert head is not None
                n = int(head["last_n"]) + 1
                link = self.chain.registry_link(head["last_hash"], n, self.owner)
                genesis = self.chain.genesis(self.owner)
                await conn.execute(
                    "INSERT INTO tiergate.chains (chain, n, reg_hash, last_seq, last_hash, "
                    "head_mac) VALUES ($1, $2, $3, 0, $4, $5)",
                    self.owner, n, link, genesis, self.chain.head_mac(self.owner, 0, genesis),
                )  # fmt: skip
                await conn.execute(
                    "UPDATE tiergate.registry_head SET last_n = $1, last_hash = $2, "
                    "head_mac = $3 WHERE k = 0",
                    n, link, self.chain.registry_mac(n, link),
                )  # fmt: skip
                return 0, genesis

        self._seq, self._hash = await self._call("register its ledger chain", call)
        self._registered = True

    # -- reports -----------------------------------------------------------------------------

    async def spend_rows(self, *, month: str, tenant: str | None) -> SpendRows:
        only = "AND tenant = $2" if tenant is not None else ""
        args: tuple[Any, ...] = (month, tenant) if tenant is not None else (month,)
        rows = f"FROM tiergate.attempts WHERE month = $1 {only}"
        held = f"FROM tiergate.reservations WHERE state = 'open' AND month = $1 {only}"

        async def call(conn: Conn) -> SpendRows:
            if not await _version(conn):
                return SpendRows(month=month, total=SpendLine())
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                by_provider = await conn.fetch(
                    f"SELECT provider AS k, sum(cost_pico) AS spent, count(*) AS n, "
                    f"count(DISTINCT request_id) AS requests {rows} GROUP BY 1", *args
                )  # fmt: skip
                by_tenant = await conn.fetch(
                    f"SELECT tenant AS k, sum(cost_pico) AS spent, count(*) AS n, "
                    f"count(DISTINCT request_id) AS requests {rows} GROUP BY 1", *args
                )  # fmt: skip
                by_day = await conn.fetch(
                    f"SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS k, "
                    f"sum(cost_pico) AS spent, count(*) AS n, "
                    f"count(DISTINCT request_id) AS requests {rows} GROUP BY 1 ORDER BY 1", *args
                )  # fmt: skip
                total = await conn.fetchrow(
                    f"SELECT coalesce(sum(cost_pico), 0) AS spent, count(*) AS n, "
                    f"count(DISTINCT request_id) AS requests {rows}", *args
                )  # fmt: skip
                held_provider = await conn.fetch(
                    f"SELECT provider AS k, sum(pico) AS held {held} GROUP BY 1", *args
                )
                held_tenant = await conn.fetch(
                    f"SELECT tenant AS k, sum(pico) AS held {held} GROUP BY 1", *args
                )
                hits = await conn.fetch(
                    f"SELECT provider, model, count(*) AS n, sum(prompt_tokens) AS i, "
                    f"sum(completion_tokens) AS o {rows} AND cache = 'hit' GROUP BY 1, 2", *args
                )  # fmt: skip
            assert total is not None
            hp = {r["k"]: int(r["held"]) for r in held_provider}
            ht = {r["k"]: int(r["held"]) for r in held_tenant}

            def lines(found: list[asyncpg.Record], holds: dict[Any, int]) -> dict[Any, SpendLine]:
                out = {r["k"]: _line(r, holds.get(r["k"], 0)) for r in found}
                for k, h in holds.items():
                    out.setdefault(k, SpendLine(held_pico=h))
                return out

            return SpendRows(
                month=month,
                total=_line(total, sum(hp.values())),
                providers=lines(by_provider, hp),
                tenants=lines(by_tenant, ht),
                days={r["k"]: _line(r, 0) for r in by_day},
                cache_hits={
                    (r["provider"], r["model"]): (int(r["n"]), int(r["i"]), int(r["o"]))
                    for r in hits
                },
            )

        return await self._call("read spend", call)

    async def audit_rows(self, *, month: str | None) -> AuditRows:
        where, args = ("WHERE month = $1", (month,)) if month else ("", ())

        async def call(conn: Conn) -> AuditRows:
            if not await _version(conn):
                return AuditRows(month=month)
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                classes = await conn.fetch(
                    "SELECT classification AS c, count(DISTINCT request_id) AS n, "
                    "count(DISTINCT request_id) FILTER (WHERE egress) AS out "
                    f"FROM tiergate.attempts {where} GROUP BY 1", *args
                )  # fmt: skip
                sources = await conn.fetch(
                    "SELECT classification_source AS s, count(DISTINCT request_id) AS n "
                    f"FROM tiergate.attempts {where} GROUP BY 1 ORDER BY 2 DESC, 1", *args
                )  # fmt: skip
                egress = await conn.fetch(
                    "SELECT classification AS c, provider AS p, count(*) AS n "
                    f"FROM tiergate.attempts {where} {'AND' if where else 'WHERE'} egress "
                    "GROUP BY 1, 2", *args
                )  # fmt: skip
            return AuditRows(
                month=month,
                requests={r["c"]: int(r["n"]) for r in classes},
                egress={r["c"]: int(r["out"]) for r in classes},
                sources={r["s"]: int(r["n"]) for r in sources},
                egress_attempts={(r["c"], r["p"]): int(r["n"]) for r in egress},
            )

        return await self._call("read the audit", call)

    async def recent(self, *, limit: int) -> list[dict[str, Any]]:
        async def call(conn: Conn) -> list[dict[str, Any]]:
            if not await _version(conn):
                return []
            found = await conn.fetch(
                f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM tiergate.attempts "
                "ORDER BY id DESC LIMIT $1",
                limit,
            )
            return [{**dict(r), "ts": stamp(r["ts"])} for r in found]

        return await self._call("read recent attempts", call)

    async def verify(self) -> tuple[bool, str]:
        """Walk the chain registry, then every chain in order, each against its keyed head."""
        return await self._call("verify the ledger", self._verify)

    async def _verify(self, conn: Conn) -> tuple[bool, str]:
        if not await _version(conn):
            return False, f"no ledger at {self.url}"
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            registry = await conn.fetchrow(
                "SELECT last_n, last_hash, head_mac FROM tiergate.registry_head WHERE k = 0"
            )
            chains = await conn.fetch(
                "SELECT chain, n, reg_hash, last_seq, last_hash, head_mac FROM tiergate.chains "
                "ORDER BY n"
            )
            prev, n = GENESIS, 0
            for c in chains:
                n += 1
                if c["n"] != n or self.chain.registry_link(prev, n, c["chain"]) != c["reg_hash"]:
                    return False, (
                        f"the chain registry breaks at entry {n} ({c['chain']}): a replica's "
                        f"chain was removed or forged, or the ledger key is not the one it was "
                        f"written with"
                    )
                if not hmac.compare_digest(
                    c["head_mac"], self.chain.head_mac(c["chain"], c["last_seq"], c["last_hash"])
                ):
                    return False, f"the head of chain {c['chain']} was rewritten"
                prev = c["reg_hash"]
            if registry is None or (registry["last_n"], registry["last_hash"]) != (n, prev):
                return False, "the chain registry's head does not match its last entry"
            if n and not hmac.compare_digest(
                registry["head_mac"], self.chain.registry_mac(n, prev)
            ):
                return False, "the chain registry's head was rewritten"
            heads = {c["chain"]: c for c in chains}
            walked: dict[str, tuple[int, str]] = {}
            query = (
                f"SELECT {', '.join(ATTEMPT_COLUMNS)}, hash FROM tiergate.attempts "
                "ORDER BY chain, seq"
            )
            count = 0
            async for row in conn.cursor(query, prefetch=2000, timeout=CALL_TIMEOUT_S):
                name = row["chain"]
                if name not in heads:
                    return False, f"row id {row['id']} belongs to no registered chain ({name})"
                seq, last = walked.get(name, (0, self.chain.genesis(name)))
                if row["seq"] != seq + 1:
                    return False, (
                        f"chain {name}: row {seq + 1} is missing (the next is {row['seq']}): "
                        f"rows were deleted"
                    )
                if self.chain.link(last, canonical(row)) != row["hash"]:
                    return False, (
                        f"row id {row['id']} (request {row['request_id']}) does not match its "
                        f"chain: it was edited, a row before it was replaced, or the ledger key "
                        f"is not the one it was written with"
                    )
                walked[name] = (row["seq"], row["hash"])
                count += 1
            for name, c in heads.items():
                seq, last = walked.get(name, (0, self.chain.genesis(name)))
                if (seq, last) != (c["last_seq"], c["last_hash"]):
                    return False, (
                        f"chain {name} ends at row {seq}, its head says {c['last_seq']}: "
                        f"rows were deleted from or added at its end"
                    )
        keyed = "keyed" if self.chain.key is not None else "UNKEYED (set TIERGATE_LEDGER_KEY)"
        return True, f"{count} rows verified ({keyed}) in {len(heads)} chains"

    async def close(self) -> None:
        """Write what is queued (for a few seconds at most), give back budget slices, close."""
        if self._closed:
            return
        if self._writer is not None:
            self._wake.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained(), CLOSE_FLUSH_S)
            if self._jobs:
                logger.warning(
                    "store closed with rows not written",
                    extra={"event": "store.rows_lost_at_close", "rows": len(self._jobs)},
                )
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        if not self.readonly:
            for current in [*self._slices.values(), *self._to_return]:
                with contextlib.suppress(StoreUnavailable):  # else reaped when the lease ends
                    await self._return_slice(current)
            self._slices.clear()
            self._to_return.clear()
        # The lease is left to run out, as on SQLite: an owner that comes back (a resumed batch
        # run) settles its own holds; otherwise they are reaped a lease later.
        self._closed = True
        for job in self._jobs:
            if not job.future.done():
                job.future.set_exception(StoreUnavailable(f"the store at {self.url} is closed"))
        self._jobs.clear()
        await self._pool.close()

    async def _drained(self) -> None:
        while self._jobs or self._busy:
            await asyncio.sleep(0.01)

    # -- the writer --------------------------------------------------------------------------

    def _new_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def _submit(self, job: _Job) -> asyncio.Future[Any]:
        if self._closed or self._writer is None:
            state = "closed" if self._closed else "read-only"
            raise StoreUnavailable(f"the store at {self.url} is {state}")
        self._jobs.append(job)
        self._wake.set()
        return job.future

    async def _write_loop(self) -> None:
        delay = RETRY_FIRST_S
        alone = 0  # after a refused batch: this many jobs go one at a time, to find the culprit
        while True:
            if not self._jobs:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch: list[_Job] = []
            while self._jobs and len(batch) < (1 if alone else MAX_BATCH):
                if self._jobs[0].kind == "reap" and batch:
                    break  # a reap runs in a batch of its own
                job = self._jobs.popleft()
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
                    self._jobs.extendleft(reversed(batch))
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
                    self._jobs.extendleft(reversed(keep))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_S)
                continue
            delay = RETRY_FIRST_S
            for job, value in zip(batch, results, strict=True):
                if not job.future.done():
                    job.future.set_result(value)

    async def _reload(self) -> list[_Job]:
        """After a batch that may or may not have committed: take the chain head from the
        database; the rows of that batch it shows were written (to be finished, not resent)."""

        async def call(conn: Conn) -> tuple[int, str]:
            row = await conn.fetchrow(
                "SELECT last_seq, last_hash FROM tiergate.chains WHERE chain = $1", self.owner
            )
            if row is None:
                raise StoreUnavailable(f"the ledger chain of {self.owner} is gone from {self.url}")
            return int(row["last_seq"]), str(row["last_hash"])

        seq, last = await self._call("read its ledger chain", call)
        written = [j for j in self._inflight if j.retry and self._seq < j.seq <= seq]
        self._seq, self._hash, self._unsure, self._inflight = seq, last, False, []
        return written

    async def _append(self, jobs: list[_Job]) -> list[Any]:
        """Settles and records in one call of tiergate.append(); retried a few times when the
        database says why not (another date, a reservation already closed)."""
        closed: set[int] = set()
        for _ in range(APPEND_TRIES):
            ts = datetime.now(UTC) + self._offset
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
                values = _values(self.owner, seq, ts, row_month, record, rid)
                last = self.chain.link(last, values)
                for column, value in zip(arrays, (*values[1:2], *values[3:], last), strict=True):
                    column.append(value)
            if seq == self._seq:
                return [None] * len(jobs)  # nothing left to write
            keys = sorted(deltas)
            args = (
                self.owner, self._seq + 1, self.chain.head_mac(self.owner, seq, last), ts,
                settle_ids, settle_costs, [m for m, _ in keys], [s for _, s in keys],
                [deltas[k] for k in keys], *arrays,
            )  # fmt: skip

            async def call(conn: Conn, args: tuple[Any, ...] = args) -> asyncpg.Record | None:
                return await conn.fetchrow(_APPEND, *args)

            self._inflight = jobs
            try:
                result = await self._call("write the ledger", call)
            except StoreUnavailable:
                self._unsure = True  # a lost answer may hide a commit: reload before the next
                raise
            assert result is not None
            status = result["status"]
            if status == "ok":
                self.commits += 1
                self.rows += seq - self._seq
                self._seq, self._hash = seq, last
                self._count(jobs, closed, month)
                return [None] * len(jobs)
            if status == "clock":
                self._offset = result["db_now"] - datetime.now(UTC)
            elif status == "not_open":
                closed.update(int(i) for i in result["not_open"])
            else:
                await self._reload()
        raise StoreUnavailable(f"the store at {self.url} did not take the ledger rows")

    def _count(self, jobs: list[_Job], closed: set[int], month: str) -> None:
        """Bring used() up to date with a committed batch."""
        for job in jobs:
            record, reservation = job.record, job.reservation
            assert record is not None
            if reservation is not None:
                cost = max(record.cost_pico, reservation.pico * record.usage_missing)
                inside = self._slice_of.pop(reservation.id, None)
                if inside is not None:
                    inside.held -= reservation.pico
                    if reservation.id not in closed:
                        inside.charged += cost
                    if not inside.returned:
                        continue  # spent + held did not change: the rest stays in the slice
                if reservation.id in closed or reservation.month != self._month:
                    continue
                delta = cost - reservation.pico
            elif month == self._month:
                delta = record.cost_pico
            else:
                continue
            if delta:
                for scope in scopes_of(record.provider, record.tenant):
                    self._used[scope] = self._used.get(scope, 0) + delta

    async def _reap(self) -> int:
        """Close the open reservations of owners whose lease passed, each charged in full with a
        "lost" row on this process's chain, in one transaction; and give back what their
        budget slices held beyond that."""
        reclaimed = False

        async def call(conn: Conn) -> tuple[int, int, str]:
            async with conn.transaction():
                head = await conn.fetchrow(
                    "SELECT last_seq, last_hash, now() AS now FROM tiergate.chains "
                    "WHERE chain = $1 FOR UPDATE",
                    self.owner,
                )
                assert head is not None
                if (head["last_seq"], head["last_hash"]) != (self._seq, self._hash):
                    raise StoreUnavailable(f"the ledger chain of {self.owner} moved underneath it")
                await conn.execute(
                    "DELETE FROM tiergate.owners WHERE lease_until < now() AND owner <> $1",
                    self.owner,
                )
                dead = await conn.fetch(
                    "UPDATE tiergate.reservations r SET state = 'reaped', closed_at = now() "
                    "WHERE r.state = 'open' AND r.owner <> $1 AND NOT EXISTS "
                    "(SELECT 1 FROM tiergate.owners o WHERE o.owner = r.owner) "
                    "RETURNING r.id, r.request_id, r.attempt, r.provider, r.tenant, r.pico, "
                    "r.scopes, r.month",
                    self.owner,
                )
                # The dead owners' slices: what their reaped reservations did not charge goes back.
                slices = await conn.fetch(
                    "UPDATE tiergate.slices s SET state = 'reaped', closed_at = now(), "
                    "charged = s.charged + coalesce((SELECT sum(r.pico) FROM "
                    "tiergate.reservations r WHERE r.slice_id = s.id AND r.id = ANY ($2::bigint[])"
                    "), 0) WHERE s.state IN ('open', 'returning') AND s.owner <> $1 AND NOT EXISTS "
                    "(SELECT 1 FROM tiergate.owners o WHERE o.owner = s.owner) "
                    "RETURNING s.month, s.scopes, s.granted - s.charged AS rest",
                    self.owner, [int(r["id"]) for r in dead],
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
                    values = _values(self.owner, seq, head["now"], r["month"], _lost(r), r["id"])
                    last = self.chain.link(last, values)
                    rows.append((*values[:2], head["now"], *values[3:], last))
                    for scope in r["scopes"]:
                        deltas[(r["month"], scope)][0] += int(r["pico"])
                        deltas[(r["month"], scope)][1] -= int(r["pico"])
                await conn.executemany(_INSERT, rows)
                keys = sorted(deltas)
                await conn.execute(
                    "SELECT tiergate.apply($1, $2, $3, $4)",
                    [m for m, _ in keys], [s for _, s in keys],
                    [deltas[k][0] for k in keys], [deltas[k][1] for k in keys],
                )  # fmt: skip
                await conn.execute(
                    "UPDATE tiergate.chains SET last_seq = $2, last_hash = $3, head_mac = $4 "
                    "WHERE chain = $1",
                    self.owner, seq, last, self.chain.head_mac(self.owner, seq, last),
                )  # fmt: skip
                return len(dead), seq, last

        try:
            count, self._seq, self._hash = await self._call("reap dead owners", call)
        except StoreUnavailable:
            self._unsure = True
            raise
        if reclaimed:
            self.commits += 1
            self.rows += count
            await self.heartbeat()  # the reaped money moved from held to spent, or back
        return count

    def _remember(self, month: str, used: Mapping[str, int]) -> None:
        if month != self._month:
            self._month, self._used = month, {}
        self._used.update(used)


def _options(url: str) -> tuple[str, int]:
    """The DSN for asyncpg and tiergate's own URL options: `budget_slice_usd` (0: off)."""
    parts = urlsplit("postgresql://" + url.split("://", 1)[1])
    query = parse_qsl(parts.query, keep_blank_values=True)
    slice_pico = 0
    for name, value in query:
        if name == "budget_slice_usd":
            try:
                slice_pico = int(Decimal(value) * PICO_PER_USD)
            except InvalidOperation:
                raise StoreUnavailable(
                    f"budget_slice_usd in the store URL must be a number of USD, got {value!r}"
                ) from None
    rest = [(n, v) for n, v in query if n != "budget_slice_usd"]
    return urlunsplit(parts._replace(query=urlencode(rest))), max(0, slice_pico)


def _lost(r: asyncpg.Record) -> AttemptRecord:
    """The row of a reservation whose owner died: charged in full, its usage unknown."""
    pico = int(r["pico"])
    return AttemptRecord(
        request_id=r["request_id"], attempt=int(r["attempt"]), tenant=r["tenant"],
        provider=r["provider"], model="", tier=0, rule="reconcile", classification="unknown",
        classification_source="unknown", egress=True, prompt_tokens=0, completion_tokens=0,
        cost_pico=pico, reserved_pico=pico, latency_ms=0.0, outcome="lost", usage_missing=True,
        endpoint="unknown",
    )  # fmt: skip


def _text(value: str | None) -> str | None:
    # PostgreSQL's text cannot hold NUL; a row must never be refused for one.
    return None if value is None else value.replace("\x00", "\ufffd")


def _values(
    chain: str, seq: int, ts: datetime, month: str, record: AttemptRecord,
    reservation_id: int | None,
) -> tuple[Any, ...]:  # fmt: skip
    """A row's hashed values in HASHED_COLUMNS order, as they read back from the database."""
    return (
        chain, seq, stamp(ts), month, _text(record.request_id), int(record.attempt),
        _text(record.tenant), _text(record.provider), _text(record.model), int(record.tier),
        _text(record.rule), _text(record.classification), _text(record.classification_source),
        bool(record.egress), int(record.prompt_tokens), int(record.completion_tokens),
        int(record.cost_pico), int(record.reserved_pico), float(round(record.latency_ms, 3)),
        _text(record.outcome), bool(record.usage_missing), _text(record.cache),
        None if record.status is None else int(record.status), _text(record.endpoint),
        None if record.ttft_ms is None else float(round(record.ttft_ms, 3)),
        None if reservation_id is None else int(reservation_id),
    )  # fmt: skip


def _line(r: asyncpg.Record, held: int) -> SpendLine:
    return SpendLine(
        spent_pico=int(r["spent"] or 0), held_pico=held, attempts=int(r["n"]),
        requests=int(r["requests"]),
    )  # fmt: skip


async def _version(conn: Conn) -> int:
    exists = await conn.fetchval("SELECT to_regclass('tiergate.migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM tiergate.migrations"))


class RowsRefused(StoreUnavailable):
    """The database is up but refused what was sent (SQLSTATE classes 22, 23, 54, or an
    argument asyncpg cannot encode): retrying the same rows cannot help."""


_Refused = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
    asyncpg.exceptions.ProgramLimitExceededError,
    asyncpg.exceptions._base.DataError,
)
_Unusable = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
_Transient = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


__all__ = ["MIGRATIONS", "PostgresStore", "RowsRefused", "hide_password", "scopes_of"]
