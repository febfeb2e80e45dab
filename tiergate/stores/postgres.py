"""The Store on PostgreSQL (asyncpg): several gateway replicas, one set of caps, one ledger.

Where each promise of the Store lives:

- **reserve** is one round trip to `tiergate.reserve()`, a stored function that
  locks the month's running-total rows of every scope the attempt touches in
  scope order (so two reservations can never deadlock), checks spent + held +
  the new hold against every cap it was given, and holds under all or none.
- **the ledger** (`tiergate.attempts`) is append-only (triggers refuse UPDATE,
  DELETE and TRUNCATE) and written by one writer task per process: every row
  waiting when a transaction starts shares it (group commit), settles included.
  The writer locks the one chain head row, links each row to the previous one
  with HMAC-SHA256 (the key never reaches the database) and stores the new head
  with a MAC of its own, all in the transaction that inserts the rows: one
  chain over every replica, in id order, that `verify()` walks end to end.
- **leases**: every process keeps an `owners` row whose `lease_until` it
  renews; `reap()` on any replica charges in full (outcome "lost") the open
  reservations of owners whose lease has passed, and deletes those owners. A
  reservation is only accepted for an owner that still holds a row.
- **time**: the database's `now()` decides the month a reservation is charged
  to and the day an alert counts in, so replica clocks never matter; the
  `clock` argument of `open()` is accepted for the interface and not consulted.
- **failure**: every call has a short timeout. A failed call turns `healthy`
  false until one succeeds; reserve raises StoreUnavailable (paid providers
  fail closed); queued rows stay in memory and are retried until written.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from ..errors import StoreUnavailable
from . import (
    DEFAULT_LEASE_S,
    AttemptRecord,
    AuditRows,
    Clock,
    Hold,
    Reservation,
    Shortfall,
    SpendLine,
    SpendRows,
)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn: TypeAlias = PoolConnectionProxy[asyncpg.Record]

logger = logging.getLogger("tiergate.stores.postgres")

T = TypeVar("T")

GENESIS = "0" * 64
CALL_TIMEOUT_S = 3.0  # every statement; a store slower than this is treated as down
CONNECT_TIMEOUT_S = 3.0
POOL_SIZE = 4
MAX_BATCH = 512
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0
CLOSE_FLUSH_S = 5.0
LEASE_LOST = "TGL01"  # SQLSTATE raised by tiergate.reserve for an owner without a lease row
MIGRATE_LOCK = 0x7469_6572_6761_7465  # "tiergate": the advisory lock that serialises migrations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE SCHEMA IF NOT EXISTS tiergate;

    CREATE TABLE tiergate.owners (
        owner text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        lease_until timestamptz NOT NULL
    );

    -- Running totals per calendar month (UTC, database time) and scope: the rows reserve locks.
    CREATE TABLE tiergate.totals (
        month text NOT NULL,
        scope text NOT NULL,
        spent_pico bigint NOT NULL DEFAULT 0,
        held_pico bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (month, scope)
    );

    CREATE TABLE tiergate.reservations (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        month text NOT NULL,
        request_id text NOT NULL,
        attempt integer NOT NULL,
        provider text NOT NULL,
        tenant text,
        pico bigint NOT NULL CHECK (pico >= 0),
        scopes text[] NOT NULL,
        owner text NOT NULL,
        state text NOT NULL DEFAULT 'open'
            CHECK (state IN ('open', 'settled', 'released', 'reaped')),
        closed_at timestamptz
    );
    CREATE INDEX reservations_open ON tiergate.reservations (owner) WHERE state = 'open';
    CREATE INDEX reservations_open_month ON tiergate.reservations (month) WHERE state = 'open';

    CREATE TABLE tiergate.attempts (
        id bigint PRIMARY KEY,
        ts timestamptz NOT NULL,
        month text NOT NULL,
        request_id text NOT NULL,
        attempt integer NOT NULL,
        tenant text,
        provider text NOT NULL,
        model text NOT NULL,
        tier integer NOT NULL,
        rule text NOT NULL,
        classification text NOT NULL,
        classification_source text NOT NULL,
        egress boolean NOT NULL,
        prompt_tokens bigint NOT NULL,
        completion_tokens bigint NOT NULL,
        cost_pico bigint NOT NULL,
        reserved_pico bigint NOT NULL,
        latency_ms double precision NOT NULL,
        outcome text NOT NULL,
        usage_missing boolean NOT NULL,
        cache text NOT NULL,
        status integer,
        endpoint text NOT NULL,
        ttft_ms double precision,
        reservation_id bigint,
        owner text NOT NULL,
        hash text NOT NULL
    );
    CREATE INDEX attempts_month ON tiergate.attempts (month, provider);
    CREATE INDEX attempts_ts ON tiergate.attempts (ts);

    CREATE FUNCTION tiergate.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the attempts ledger is append-only';
    END $$;
    CREATE TRIGGER attempts_no_update BEFORE UPDATE OR DELETE ON tiergate.attempts
        FOR EACH ROW EXECUTE FUNCTION tiergate.append_only();
    CREATE TRIGGER attempts_no_truncate BEFORE TRUNCATE ON tiergate.attempts
        FOR EACH STATEMENT EXECUTE FUNCTION tiergate.append_only();

    CREATE TABLE tiergate.chain_head (
        k integer PRIMARY KEY CHECK (k = 0),
        last_id bigint NOT NULL,
        last_hash text NOT NULL,
        head_mac text NOT NULL
    );
    INSERT INTO tiergate.chain_head VALUES (0, 0, repeat('0', 64), '');

    CREATE TABLE tiergate.alerts (
        day text NOT NULL,
        scope text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (day, scope)
    );

    -- Hold p_pico under every scope of p_scopes (sorted, distinct) this month, or under none.
    -- p_cap_scopes/p_caps: the caps that apply (each also in p_scopes). One row back: the
    -- reservation, or the first scope that cannot take it.
    CREATE FUNCTION tiergate.reserve(
        p_owner text, p_request_id text, p_attempt integer, p_provider text, p_tenant text,
        p_pico bigint, p_scopes text[], p_cap_scopes text[], p_caps bigint[],
        OUT reservation_id bigint, OUT month text, OUT short_scope text, OUT cap_pico bigint,
        OUT left_pico bigint, OUT resets_at timestamptz, OUT used_pico bigint[]
    ) LANGUAGE plpgsql AS $$
    DECLARE
        v_now timestamptz := now();
        r record;
        v_i integer;
    BEGIN
        month := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM');
        resets_at := (date_trunc('month', v_now AT TIME ZONE 'UTC') + interval '1 month')
            AT TIME ZONE 'UTC';
        PERFORM 1 FROM tiergate.owners o WHERE o.owner = p_owner FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'owner % holds no lease', p_owner USING ERRCODE = 'TGL01';
        END IF;
        INSERT INTO tiergate.totals AS t (month, scope)
            SELECT reserve.month, s FROM unnest(p_scopes) AS s ORDER BY s
            ON CONFLICT DO NOTHING;
        used_pico := '{}';
        FOR r IN
            SELECT t.scope, t.spent_pico + t.held_pico AS used FROM tiergate.totals t
            WHERE t.month = reserve.month AND t.scope = ANY (p_scopes)
            ORDER BY t.scope FOR UPDATE
        LOOP
            v_i := array_position(p_cap_scopes, r.scope);
            IF v_i IS NOT NULL AND r.used + p_pico > p_caps[v_i] THEN
                short_scope := r.scope;
                cap_pico := p_caps[v_i];
                left_pico := greatest(0, p_caps[v_i] - r.used);
                RETURN;
            END IF;
            used_pico := used_pico || (r.used + p_pico);
        END LOOP;
        UPDATE tiergate.totals t SET held_pico = t.held_pico + p_pico
            WHERE t.month = reserve.month AND t.scope = ANY (p_scopes);
        INSERT INTO tiergate.reservations
            (month, request_id, attempt, provider, tenant, pico, scopes, owner)
            VALUES (reserve.month, p_request_id, p_attempt, p_provider, p_tenant, p_pico,
                    p_scopes, p_owner)
            RETURNING id INTO reservation_id;
    END $$;

    -- Add deltas to running totals, locking the rows in (month, scope) order like reserve.
    -- The (month, scope) pairs must be distinct.
    CREATE FUNCTION tiergate.apply(
        p_months text[], p_scopes text[], p_spent bigint[], p_held bigint[]
    ) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tiergate.totals (month, scope)
            SELECT m, s FROM unnest(p_months, p_scopes) AS u(m, s) ORDER BY m, s
            ON CONFLICT DO NOTHING;
        PERFORM 1 FROM tiergate.totals t
            JOIN unnest(p_months, p_scopes) AS u(m, s) ON t.month = u.m AND t.scope = u.s
            ORDER BY t.month, t.scope FOR UPDATE OF t;
        UPDATE tiergate.totals t
            SET spent_pico = t.spent_pico + u.ds, held_pico = t.held_pico + u.dh
            FROM unnest(p_months, p_scopes, p_spent, p_held) AS u(m, s, ds, dh)
            WHERE t.month = u.m AND t.scope = u.s;
    END $$;

    -- Close an open reservation without charging it. False if it was not open.
    CREATE FUNCTION tiergate.release(p_id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE
        r record;
    BEGIN
        UPDATE tiergate.reservations SET state = 'released', closed_at = now()
            WHERE id = p_id AND state = 'open' RETURNING month, pico, scopes INTO r;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        PERFORM tiergate.apply(array_fill(r.month, ARRAY[cardinality(r.scopes)]), r.scopes,
                               array_fill(0::bigint, ARRAY[cardinality(r.scopes)]),
                               array_fill(-r.pico, ARRAY[cardinality(r.scopes)]));
        RETURN true;
    END $$;
    """,
)

# The order in which a row is hashed; `owner` and `hash` are stored after these.
ATTEMPT_COLUMNS = (
    "id", "ts", "month", "request_id", "attempt", "tenant", "provider", "model", "tier", "rule",
    "classification", "classification_source", "egress", "prompt_tokens", "completion_tokens",
    "cost_pico", "reserved_pico", "latency_ms", "outcome", "usage_missing", "cache", "status",
    "endpoint", "ttft_ms", "reservation_id",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO tiergate.attempts ({', '.join(ATTEMPT_COLUMNS)}, owner, hash) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(ATTEMPT_COLUMNS) + 3))})"
)
_MONTH_SQL = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')"
_RESERVE = "SELECT * FROM tiergate.reserve($1, $2, $3, $4, $5, $6, $7, $8, $9)"
_RENEW = (
    "INSERT INTO tiergate.owners (owner, lease_until) "
    "VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT (owner) "
    "DO UPDATE SET lease_until = excluded.lease_until"
)


def scopes_of(provider: str, tenant: str | None) -> tuple[str, ...]:
    """Every scope an attempt's money counts under (capped or not, so a cap added later is exact)."""
    if tenant is None:
        return (f"provider:{provider}", "total")
    return (f"provider:{provider}", f"tenant:{tenant}", "total")


def month_of(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at.month:02d}"


def stamp(at: datetime) -> str:
    at = at.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}Z"
    )


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class Chain:
    """The ledger's hash chain: HMAC-SHA256 under the key, or plain SHA-256 without one."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key

    def link(self, prev: str, values: Sequence[Any]) -> str:
        data = bytes.fromhex(prev) + orjson.dumps(list(values))
        if self.key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def head_mac(self, last_id: int, last_hash: str) -> str:
        data = f"head:{last_id}:{last_hash}".encode()
        if self.key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()


def _canonical(row: asyncpg.Record) -> list[Any]:
    """A stored row's hashed values, as the writer hashed them (ts as a UTC stamp)."""
    values = [row[c] for c in ATTEMPT_COLUMNS]
    values[1] = stamp(values[1])
    return values


@dataclass(slots=True)
class _Job:
    kind: str  # "settle" | "record" | "reap"
    future: asyncio.Future[Any]
    record: AttemptRecord | None = None
    reservation: Reservation | None = None
    lease_s: float = 0.0
    retry: bool = False  # a record: kept and retried until it is written


@dataclass(slots=True)
class _Batch:
    """What one transaction writes: rows in chain order and deltas per (month, scope)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    deltas: defaultdict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    results: list[Any] = field(default_factory=list)

    def add(self, month: str, scopes: Sequence[str], *, spent: int, held: int) -> None:
        for scope in scopes:
            delta = self.deltas[(month, scope)]
            delta[0] += spent
            delta[1] += held


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
        self._closed = False
        self._month = ""
        self._used: dict[str, int] = {}
        self._jobs: deque[_Job] = deque()
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._settling: dict[int, asyncio.Future[Any]] = {}
        self.commits = 0
        self.rows = 0

    @classmethod
    async def open(
        cls, url: str, *, owner: str, clock: Clock | None = None, key: bytes | None = None,
        lease_s: float = DEFAULT_LEASE_S, readonly: bool = False,
    ) -> PostgresStore:  # fmt: skip
        """Connect, migrate (unless readonly) and take this owner's lease.

        `clock` is not consulted: the database's clock decides months and days.
        Raises StoreUnavailable if the database cannot be reached.
        """
        del clock
        dsn = "postgresql://" + url.split("://", 1)[1]
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_S,
                command_timeout=CALL_TIMEOUT_S, statement_cache_size=64,
                server_settings={"application_name": "tiergate", "timezone": "UTC"},
            )  # fmt: skip
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreUnavailable(
                f"cannot connect to the store at {hide_password(url)}: {_reason(exc)}"
            ) from None
        store = cls(url=url, pool=pool, owner=owner, key=key, lease_s=lease_s, readonly=readonly)
        try:
            if readonly:
                await store._check_readable()
            else:
                await store.migrate()
                await store.heartbeat()
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
        """(transactions committed by the writer, rows they wrote)."""
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
        except _Unusable as exc:
            self._healthy = False
            raise StoreUnavailable(
                f"the store at {self.url} cannot {what}: {_reason(exc)}"
            ) from None
        self._healthy = True
        return result

    # -- money -------------------------------------------------------------------------------

    async def reserve(self, hold: Hold) -> Reservation | Shortfall:
        if hold.pico < 0:
            raise ValueError(f"a reservation cannot be negative ({hold.pico})")
        scopes = sorted(set(scopes_of(hold.provider, hold.tenant)) | set(hold.caps))
        cap_scopes = list(hold.caps)
        caps = [hold.caps[s] for s in cap_scopes]

        args = (self.owner, hold.request_id, hold.attempt, hold.provider, hold.tenant, hold.pico,
                scopes, cap_scopes, caps)  # fmt: skip

        async def call(conn: Conn) -> asyncpg.Record | None:
            try:
                return await conn.fetchrow(_RESERVE, *args)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate != LEASE_LOST:
                    raise
            # Our lease passed and another replica reaped us (a long pause): take a new one.
            await conn.execute(_RENEW, self.owner, self.lease_s)
            return await conn.fetchrow(_RESERVE, *args)

        row = await asyncio.shield(self._call("reserve", call))
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
        future = self._submit(_Job("settle", self._new_future(), record, reservation))
        self._settling[reservation.id] = future
        future.add_done_callback(lambda _: self._settling.pop(reservation.id, None))
        await asyncio.shield(future)

    async def release(self, reservation: Reservation) -> None:
        async def call(conn: Conn) -> bool:
            return bool(await conn.fetchval("SELECT tiergate.release($1)", reservation.id))

        released = await asyncio.shield(self._call("release a reservation", call))
        if released and reservation.month == self._month:
            for scope in scopes_of(reservation.provider, reservation.tenant):
                self._used[scope] = self._used.get(scope, 0) - reservation.pico

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        return self._submit(_Job("record", self._new_future(), record, retry=True))

    async def heartbeat(self) -> None:
        """Renew this owner's lease (lease_s from the database's now) and refresh used()."""

        async def call(conn: Conn) -> tuple[str, list[asyncpg.Record]]:
            async with conn.transaction():
                month = await conn.fetchval(_RENEW + " RETURNING " + _MONTH_SQL, *renew)
                rows = await conn.fetch(
                    "SELECT scope, spent_pico + held_pico AS used FROM tiergate.totals "
                    "WHERE month = $1",
                    month,
                )
                return str(month), rows

        renew = (self.owner, self.lease_s)
        month, rows = await asyncio.shield(self._call("renew its lease", call))
        self._month = month
        self._used = {str(r["scope"]): int(r["used"]) for r in rows}

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
        async def call(conn: Conn) -> int:
            return await _version(conn)

        return await self._call("read its schema version", call)

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
        """Walk the whole chain in id order, then check the head and its MAC."""

        async def call(conn: Conn) -> tuple[bool, str]:
            if not await _version(conn):
                return False, f"no ledger at {self.url}"
            prev, count, last_id = GENESIS, 0, 0
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                head = await conn.fetchrow(
                    "SELECT last_id, last_hash, head_mac FROM tiergate.chain_head WHERE k = 0"
                )
                query = (
                    f"SELECT {', '.join(ATTEMPT_COLUMNS)}, hash FROM tiergate.attempts ORDER BY id"
                )
                async for row in conn.cursor(query, prefetch=2000, timeout=CALL_TIMEOUT_S):
                    count += 1
                    if row["id"] != last_id + 1:
                        return False, (
                            f"row id {last_id + 1} is missing (the next row is {row['id']}): "
                            f"rows were deleted"
                        )
                    if self.chain.link(prev, _canonical(row)) != row["hash"]:
                        return False, (
                            f"row id {row['id']} (request {row['request_id']}) does not match "
                            f"the chain: it was edited, a row before it was replaced, or the "
                            f"ledger key is not the one it was written with"
                        )
                    prev, last_id = row["hash"], row["id"]
            if head is None or (head["last_id"], head["last_hash"]) != (last_id, prev):
                return False, (
                    f"the chain head (row id {head['last_id'] if head else None}) does not match "
                    f"the last row (id {last_id}): rows were deleted from or added at the end"
                )
            if last_id and not hmac.compare_digest(
                head["head_mac"], self.chain.head_mac(last_id, prev)
            ):
                return False, "the chain head's MAC does not match: the head was rewritten"
            keyed = "keyed" if self.chain.key is not None else "UNKEYED (set TIERGATE_LEDGER_KEY)"
            return True, f"{count} rows verified ({keyed}); head {prev[:16]}"

        return await self._call("verify the ledger", call)

    async def close(self) -> None:
        """Write what is queued (for a few seconds at most), give up this owner's lease, close."""
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
            # Open reservations of ours (attempts that never finished) become reapable at once.
            with contextlib.suppress(StoreUnavailable):

                async def call(conn: Conn) -> None:
                    await conn.execute(
                        "UPDATE tiergate.owners SET lease_until = now() WHERE owner = $1",
                        self.owner,
                    )

                await self._call("give up its lease", call)
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

    _busy = False

    def _new_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def _submit(self, job: _Job) -> asyncio.Future[Any]:
        if self._closed or self._writer is None:
            raise StoreUnavailable(
                f"the store at {self.url} is {'closed' if self._closed else 'read-only'}"
            )
        self._jobs.append(job)
        self._wake.set()
        return job.future

    async def _write_loop(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            if not self._jobs:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch: list[_Job] = []
            while self._jobs and len(batch) < MAX_BATCH:
                job = self._jobs.popleft()
                if not job.future.done() or job.retry:
                    batch.append(job)
            if not batch:
                continue
            self._busy = True
            outcome: list[Any] | StoreUnavailable
            try:
                outcome = await self._write(batch)
            except StoreUnavailable as exc:
                outcome = exc
            finally:
                self._busy = False
            if isinstance(outcome, StoreUnavailable):
                # Rows are kept (in order, ahead of newer ones) and retried; a settle or a reap
                # fails now, so its caller knows the reservation is still held.
                keep = [j for j in batch if j.retry and not j.future.cancelled()]
                for job in batch:
                    if not job.retry and not job.future.done():
                        job.future.set_exception(outcome)
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
            for job, value in zip(batch, outcome, strict=True):
                if not job.future.done():
                    job.future.set_result(value)

    async def _write(self, jobs: list[_Job]) -> list[Any]:
        """One transaction: the chain head, closed reservations, rows, totals, the new head."""

        async def call(conn: Conn) -> tuple[list[Any], _Batch, str]:
            async with conn.transaction():
                head = await conn.fetchrow(
                    f"SELECT last_id, last_hash, now() AS now, {_MONTH_SQL} AS month "
                    "FROM tiergate.chain_head WHERE k = 0 FOR UPDATE"
                )
                assert head is not None
                now, month = head["now"], str(head["month"])
                settle_ids = [j.reservation.id for j in jobs if j.reservation is not None]
                closed: dict[int, asyncpg.Record] = {}
                if settle_ids:
                    closed = {
                        r["id"]: r
                        for r in await conn.fetch(
                            "UPDATE tiergate.reservations SET state = 'settled', "
                            "closed_at = now() WHERE id = ANY ($1::bigint[]) AND state = 'open' "
                            "RETURNING id, month, pico, scopes",
                            settle_ids,
                        )
                    }
                reaped: list[asyncpg.Record] = []
                if any(j.kind == "reap" for j in jobs):
                    reaped = await _reap(conn, self.owner)
                batch = _Batch()
                last = (int(head["last_id"]), str(head["last_hash"]))

                def append(record: AttemptRecord, row_month: str, rid: int | None) -> None:
                    nonlocal last
                    row_id = last[0] + 1
                    values = _values(record, row_id, now, row_month, rid)
                    digest = self.chain.link(last[1], values)
                    batch.rows.append((*_db_values(values, now), self.owner, digest))
                    last = (row_id, digest)

                for job in jobs:
                    if job.kind == "settle":
                        assert job.reservation is not None and job.record is not None
                        r = closed.get(job.reservation.id)
                        if r is None:
                            batch.results.append(None)  # settled, released or reaped already
                            continue
                        cost = job.record.cost_pico
                        if job.record.usage_missing:
                            cost = max(cost, int(r["pico"]))
                        row = replace(job.record, cost_pico=cost, reserved_pico=int(r["pico"]))
                        batch.add(r["month"], r["scopes"], spent=cost, held=-int(r["pico"]))
                        append(row, r["month"], job.reservation.id)
                        batch.results.append(None)
                    elif job.kind == "record":
                        assert job.record is not None
                        if job.record.cost_pico:
                            scopes = scopes_of(job.record.provider, job.record.tenant)
                            batch.add(month, scopes, spent=job.record.cost_pico, held=0)
                        append(job.record, month, None)
                        batch.results.append(None)
                    else:
                        batch.results.append(len(reaped))
                for r in reaped:
                    pico = int(r["pico"])
                    batch.add(r["month"], r["scopes"], spent=pico, held=-pico)
                    append(_lost(r), r["month"], int(r["id"]))
                if batch.rows:
                    await conn.executemany(_INSERT, batch.rows)
                    await conn.execute(
                        "UPDATE tiergate.chain_head SET last_id = $1, last_hash = $2, "
                        "head_mac = $3 WHERE k = 0",
                        last[0], last[1], self.chain.head_mac(*last),
                    )  # fmt: skip
                if batch.deltas:
                    keys = sorted(batch.deltas)
                    await conn.execute(
                        "SELECT tiergate.apply($1, $2, $3, $4)",
                        [m for m, _ in keys], [s for _, s in keys],
                        [batch.deltas[k][0] for k in keys], [batch.deltas[k][1] for k in keys],
                    )  # fmt: skip
                return batch.results, batch, month

        results, batch, month = await self._call("write the ledger", call)
        self.commits += 1
        self.rows += len(batch.rows)
        if month == self._month:
            for (m, scope), (spent, held) in batch.deltas.items():
                if m == month:
                    self._used[scope] = self._used.get(scope, 0) + spent + held
        return results

    def _remember(self, month: str, used: Mapping[str, int]) -> None:
        if month != self._month:
            self._month, self._used = month, {}
        self._used.update(used)


async def _reap(conn: Conn, owner: str) -> list[asyncpg.Record]:
    """Delete expired owners and close their open reservations (and any orphan's) as reaped."""
    await conn.execute(
        "DELETE FROM tiergate.owners WHERE lease_until < now() AND owner <> $1", owner
    )
    return list(
        await conn.fetch(
            "UPDATE tiergate.reservations r SET state = 'reaped', closed_at = now() "
            "WHERE r.state = 'open' AND r.owner <> $1 AND NOT EXISTS "
            "(SELECT 1 FROM tiergate.owners o WHERE o.owner = r.owner) "
            "RETURNING r.id, r.request_id, r.attempt, r.provider, r.tenant, r.pico, r.scopes, "
            "r.month",
            owner,
        )
    )


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


def _values(
    record: AttemptRecord, row_id: int, now: datetime, month: str, reservation_id: int | None
) -> tuple[Any, ...]:
    """A row's hashed values in ATTEMPT_COLUMNS order, as they read back from the database."""
    return (
        row_id, stamp(now), month, record.request_id, int(record.attempt), record.tenant,
        record.provider, record.model, int(record.tier), record.rule, record.classification,
        record.classification_source, bool(record.egress), int(record.prompt_tokens),
        int(record.completion_tokens), int(record.cost_pico), int(record.reserved_pico),
        float(round(record.latency_ms, 3)), record.outcome, bool(record.usage_missing),
        record.cache, None if record.status is None else int(record.status), record.endpoint,
        None if record.ttft_ms is None else float(round(record.ttft_ms, 3)), reservation_id,
    )  # fmt: skip


def _db_values(values: tuple[Any, ...], now: datetime) -> tuple[Any, ...]:
    return (values[0], now, *values[2:])


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


_Unusable = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


__all__ = ["ATTEMPT_COLUMNS", "MIGRATIONS", "PostgresStore"]
