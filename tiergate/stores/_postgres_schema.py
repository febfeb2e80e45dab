"""The PostgreSQL store's schema (versioned migrations) and its keyed hash chains.

The ledger is a set of chains, one per writing process (its owner id), so that
replicas never wait for each other to append: a process alone extends its own
chain, links each row to the previous one with HMAC-SHA256 under the ledger
key (computed in the process: the key never reaches the database) and stores
a MAC of the chain's head. Chains themselves are registered in a keyed chain
(`tiergate.chains` by `n`, head in `tiergate.registry_head`), so deleting a
whole replica's rows and its head is detected as well. `verify()` walks the
registry and every chain: the whole ledger, every month, every replica.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64

# The hashed values of an attempt row, in order; `id` (display order) and `hash` are not hashed.
HASHED_COLUMNS = (
    "chain", "seq", "ts", "month", "request_id", "attempt", "tenant", "provider", "model",
    "tier", "rule", "classification", "classification_source", "egress", "prompt_tokens",
    "completion_tokens", "cost_pico", "reserved_pico", "latency_ms", "outcome", "usage_missing",
    "cache", "status", "endpoint", "ttft_ms", "reservation_id",
)  # fmt: skip
ATTEMPT_COLUMNS = ("id", *HASHED_COLUMNS)


def stamp(at: datetime) -> str:
    at = at.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d}.{at.microsecond:06d}Z"
    )


class Chain:
    """Links and head MACs: HMAC-SHA256 under the key, or plain SHA-256 without one."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key

    def _digest(self, data: bytes) -> str:
        if self.key is None:
            return hashlib.sha256(data).hexdigest()
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def link(self, prev: str, values: Sequence[Any]) -> str:
        return self._digest(bytes.fromhex(prev) + orjson.dumps(list(values)))

    def genesis(self, chain: str) -> str:
        return self.link(GENESIS, ["genesis", chain])

    def head_mac(self, chain: str, last_seq: int, last_hash: str) -> str:
        return self._digest(f"head:{chain}:{last_seq}:{last_hash}".encode())

    def registry_link(self, prev: str, n: int, chain: str) -> str:
        return self.link(prev, ["chain", n, chain])

    def registry_mac(self, last_n: int, last_hash: str) -> str:
        return self._digest(f"registry:{last_n}:{last_hash}".encode())


def canonical(row: Any) -> list[Any]:
    """A stored row's hashed values exactly as the writer hashed them (ts as a UTC stamp)."""
    values = [row[c] for c in HASHED_COLUMNS]
    values[2] = stamp(values[2])
    return values


_ROW_ARRAYS = (
    ("seq", "bigint"), ("month", "text"), ("request_id", "text"), ("attempt", "integer"),
    ("tenant", "text"), ("provider", "text"), ("model", "text"), ("tier", "integer"),
    ("rule", "text"), ("classification", "text"), ("classification_source", "text"),
    ("egress", "boolean"), ("prompt_tokens", "bigint"), ("completion_tokens", "bigint"),
    ("cost_pico", "bigint"), ("reserved_pico", "bigint"), ("latency_ms", "double precision"),
    ("outcome", "text"), ("usage_missing", "boolean"), ("cache", "text"), ("status", "integer"),
    ("endpoint", "text"), ("ttft_ms", "double precision"), ("reservation_id", "bigint"),
    ("hash", "text"),
)  # fmt: skip
ROW_ARRAY_COUNT = len(_ROW_ARRAYS)


def _append_function(*, slices: bool) -> str:
    """tiergate.append(); with slices, a settle inside a slice moves only its cost out of the
    slice's hold (the rest stays in the slice) and adds it to the slice's charged."""
    create = "CREATE OR REPLACE FUNCTION" if slices else "CREATE FUNCTION"
    # Inside an open slice only the cost leaves the slice's hold; inside a slice being given
    # back (or outside any) the whole reservation does.
    held = (
        "CASE WHEN r.slice_id IS NOT NULL AND (SELECT sl.state FROM tiergate.slices sl "
        "WHERE sl.id = r.slice_id) = 'open' THEN -c.cost ELSE -r.pico END"
        if slices
        else "-r.pico"
    )
    charge_slices = (
        """
        UPDATE tiergate.slices s SET charged = s.charged + x.cost,
            granted = s.granted - CASE WHEN s.state = 'returning' THEN x.unused ELSE 0 END
        FROM (
            SELECT r.slice_id, sum(c.cost)::bigint AS cost,
                   sum(greatest(0, r.pico - c.cost))::bigint AS unused
            FROM tiergate.reservations r
            JOIN unnest(p_settle_ids, p_settle_costs) AS c(id, cost) ON r.id = c.id
            WHERE r.slice_id IS NOT NULL GROUP BY r.slice_id ORDER BY r.slice_id
        ) x WHERE s.id = x.slice_id;"""
        if slices
        else ""
    )
    return f"""
    -- One round trip per batch: settle reservations, insert rows, move running totals and
    -- this chain's head, or change nothing and say why (status 'chain', 'clock', 'not_open',
    -- 'unregistered'). p_ts is every row's time; it must fall on the database's own date.
    {create} tiergate.append(
        p_chain text, p_first_seq bigint, p_head_mac text, p_ts timestamptz,
        p_settle_ids bigint[], p_settle_costs bigint[],
        p_months text[], p_scopes text[], p_spent bigint[],
        {", ".join(f"r_{name} {kind}[]" for name, kind in _ROW_ARRAYS)},
        OUT status text, OUT db_now timestamptz, OUT chain_seq bigint, OUT not_open bigint[]
    ) LANGUAGE plpgsql AS $$
    DECLARE
        v_open bigint[];
        v_rows integer := cardinality(r_seq);
    BEGIN
        db_now := now();
        SELECT c.last_seq INTO chain_seq FROM tiergate.chains c
            WHERE c.chain = p_chain FOR UPDATE;
        IF NOT FOUND THEN
            status := 'unregistered';
            RETURN;
        END IF;
        IF chain_seq <> p_first_seq - 1 THEN
            status := 'chain';
            RETURN;
        END IF;
        IF to_char(p_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                <> to_char(db_now AT TIME ZONE 'UTC', 'YYYY-MM-DD')
                OR abs(extract(epoch FROM p_ts - db_now)) > 5 THEN
            status := 'clock';
            RETURN;
        END IF;
        IF cardinality(p_settle_ids) > 0 THEN
            SELECT coalesce(array_agg(s.id), '{{}}') INTO v_open FROM (
                SELECT r.id FROM tiergate.reservations r
                WHERE r.id = ANY (p_settle_ids) AND r.state = 'open' ORDER BY r.id FOR UPDATE
            ) s;
            IF cardinality(v_open) <> cardinality(p_settle_ids) THEN
                status := 'not_open';
                SELECT coalesce(array_agg(x), '{{}}') INTO not_open
                    FROM unnest(p_settle_ids) AS x WHERE x <> ALL (v_open);
                RETURN;
            END IF;
            UPDATE tiergate.reservations SET state = 'settled', closed_at = db_now
                WHERE id = ANY (p_settle_ids);
        END IF;
        INSERT INTO tiergate.attempts (chain, ts, {", ".join(name for name, _ in _ROW_ARRAYS)})
            SELECT p_chain, p_ts, u.* FROM unnest(
                {", ".join(f"r_{name}" for name, _ in _ROW_ARRAYS)}) AS u;{charge_slices}
        PERFORM tiergate.apply(coalesce(array_agg(y.m), '{{}}'), coalesce(array_agg(y.s), '{{}}'),
                               coalesce(array_agg(y.ds), '{{}}'), coalesce(array_agg(y.dh), '{{}}'))
        FROM (
            SELECT x.m, x.s, sum(x.ds)::bigint AS ds, sum(x.dh)::bigint AS dh FROM (
                SELECT r.month AS m, unnest(r.scopes) AS s, c.cost AS ds, {held} AS dh
                    FROM tiergate.reservations r
                    JOIN unnest(p_settle_ids, p_settle_costs) AS c(id, cost) ON r.id = c.id
                UNION ALL
                SELECT u.m, u.s, u.ds, 0 FROM unnest(p_months, p_scopes, p_spent) AS u(m, s, ds)
            ) x GROUP BY x.m, x.s ORDER BY x.m, x.s
        ) y;
        chain_seq := p_first_seq + v_rows - 1;
        UPDATE tiergate.chains SET last_seq = chain_seq, last_hash = r_hash[v_rows],
            head_mac = p_head_mac WHERE chain = p_chain;
        status := 'ok';
    END $$;
"""


_SLICES = """
    -- Leased budget slices (docs/budget-slices.md): a slice is money held under every scope of
    -- a (provider, tenant) pair for one owner, granted through the same ordered row locks as a
    -- reservation; reservations inside it are plain inserts that lock no shared row. While a
    -- slice is open, totals.held counts granted - charged for it.
    CREATE TABLE tiergate.slices (
        id bigserial PRIMARY KEY,
        owner text NOT NULL,
        month text NOT NULL,
        scopes text[] NOT NULL,
        granted bigint NOT NULL CHECK (granted >= 0),
        charged bigint NOT NULL DEFAULT 0,
        state text NOT NULL DEFAULT 'open'
            CHECK (state IN ('open', 'returning', 'returned', 'reaped')),
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
    );
    CREATE INDEX slices_open ON tiergate.slices (owner) WHERE state = 'open';
    ALTER TABLE tiergate.reservations ADD COLUMN slice_id bigint;
    CREATE INDEX reservations_open_slice ON tiergate.reservations (slice_id)
        WHERE state = 'open' AND slice_id IS NOT NULL;

    -- Grant p_owner a slice of up to p_want under every scope of p_scopes (sorted), at most
    -- 1 / (2 x live owners) of the room left under each cap, or nothing if that is under p_min.
    CREATE FUNCTION tiergate.grant_slice(
        p_owner text, p_scopes text[], p_cap_scopes text[], p_caps bigint[], p_want bigint,
        p_min bigint, OUT slice_id bigint, OUT month text, OUT granted bigint
    ) LANGUAGE plpgsql AS $$
    DECLARE
        v_now timestamptz := now();
        v_live bigint;
        r record;
        v_i integer;
    BEGIN
        month := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM');
        PERFORM 1 FROM tiergate.owners o WHERE o.owner = p_owner FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'owner % holds no lease', p_owner USING ERRCODE = 'TGL01';
        END IF;
        SELECT count(*) INTO v_live FROM tiergate.owners o WHERE o.lease_until > v_now;
        granted := p_want;
        INSERT INTO tiergate.totals (month, scope)
            SELECT grant_slice.month, s FROM unnest(p_scopes) AS s ORDER BY s
            ON CONFLICT DO NOTHING;
        FOR r IN
            SELECT t.scope, t.spent_pico + t.held_pico AS used FROM tiergate.totals t
            WHERE t.month = grant_slice.month AND t.scope = ANY (p_scopes)
            ORDER BY t.scope FOR UPDATE
        LOOP
            v_i := array_position(p_cap_scopes, r.scope);
            IF v_i IS NOT NULL THEN
                granted := least(granted, (p_caps[v_i] - r.used) / (2 * greatest(v_live, 1)));
            END IF;
        END LOOP;
        IF granted < p_min THEN
            granted := 0;
            RETURN;
        END IF;
        UPDATE tiergate.totals t SET held_pico = t.held_pico + granted
            WHERE t.month = grant_slice.month AND t.scope = ANY (p_scopes);
        INSERT INTO tiergate.slices (owner, month, scopes, granted)
            VALUES (p_owner, grant_slice.month, p_scopes, granted) RETURNING id INTO slice_id;
    END $$;

    -- A reservation inside an open slice of this month: an insert, no shared row locked (the
    -- owner alone checks that the slice has room). NULL if the slice is closed or of last month.
    CREATE FUNCTION tiergate.reserve_in_slice(
        p_slice bigint, p_owner text, p_request_id text, p_attempt integer, p_provider text,
        p_tenant text, p_pico bigint, p_token text
    ) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        r record;
        v_id bigint;
    BEGIN
        -- Like reserve: a reaper deleting this owner waits for this insert, then sees it.
        PERFORM 1 FROM tiergate.owners o WHERE o.owner = p_owner FOR KEY SHARE;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        SELECT s.month, s.scopes INTO r FROM tiergate.slices s
            WHERE s.id = p_slice AND s.owner = p_owner AND s.state = 'open'
              AND s.month = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')
            FOR SHARE;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        INSERT INTO tiergate.reservations
            (month, request_id, attempt, provider, tenant, pico, scopes, owner, token, slice_id)
            VALUES (r.month, p_request_id, p_attempt, p_provider, p_tenant, p_pico, r.scopes,
                    p_owner, p_token, p_slice)
            RETURNING id INTO v_id;
        RETURN v_id;
    END $$;

    -- Give back what a slice holds beyond its charges and open reservations. How much.
    CREATE FUNCTION tiergate.return_slice(p_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
        s record;
        v_open bigint;
        v_rest bigint;
    BEGIN
        SELECT * INTO s FROM tiergate.slices WHERE id = p_id AND state = 'open' FOR UPDATE;
        -- (a 'returning' slice has nothing left to give back beyond its open reservations)
        IF NOT FOUND THEN
            RETURN 0;
        END IF;
        SELECT coalesce(sum(pico), 0) INTO v_open FROM tiergate.reservations
            WHERE slice_id = p_id AND state = 'open';
        -- Negative when settles cost more than their reservations: the excess is then held back.
        v_rest := s.granted - s.charged - v_open;
        PERFORM tiergate.apply(array_fill(s.month, ARRAY[cardinality(s.scopes)]), s.scopes,
                               array_fill(0::bigint, ARRAY[cardinality(s.scopes)]),
                               array_fill(-v_rest, ARRAY[cardinality(s.scopes)]));
        -- With reservations still open inside it, it is 'returning': each of them, settled or
        -- released, gives back what it does not spend.
        UPDATE tiergate.slices SET granted = granted - v_rest,
            state = CASE WHEN v_open = 0 THEN 'returned' ELSE 'returning' END,
            closed_at = CASE WHEN v_open = 0 THEN now() END
            WHERE id = p_id;
        RETURN v_rest;
    END $$;

    -- Inside a slice, a release only closes the reservation: its money stays in the slice.
    CREATE OR REPLACE FUNCTION tiergate.release(p_id bigint) RETURNS boolean
    LANGUAGE plpgsql AS $$
    DECLARE
        r record;
    BEGIN
        UPDATE tiergate.reservations SET state = 'released', closed_at = now()
            WHERE id = p_id AND state = 'open' RETURNING month, pico, scopes, slice_id INTO r;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        IF r.slice_id IS NOT NULL THEN
            UPDATE tiergate.slices SET granted = granted - r.pico
                WHERE id = r.slice_id AND state = 'returning';
            IF NOT FOUND THEN
                RETURN true;  -- inside an open slice: the money stays in the slice
            END IF;
        END IF;
        PERFORM tiergate.apply(array_fill(r.month, ARRAY[cardinality(r.scopes)]), r.scopes,
                               array_fill(0::bigint, ARRAY[cardinality(r.scopes)]),
                               array_fill(-r.pico, ARRAY[cardinality(r.scopes)]));
        RETURN true;
    END $$;
"""

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
        token text,  -- the caller's name for this hold: a reserve whose answer was lost is found by it
        state text NOT NULL DEFAULT 'open'
            CHECK (state IN ('open', 'settled', 'released', 'reaped')),
        closed_at timestamptz
    );
    CREATE INDEX reservations_open ON tiergate.reservations (owner) WHERE state = 'open';
    CREATE INDEX reservations_open_month ON tiergate.reservations (month) WHERE state = 'open';

    CREATE TABLE tiergate.chains (
        chain text PRIMARY KEY,
        n bigint NOT NULL UNIQUE,
        started_at timestamptz NOT NULL DEFAULT now(),
        reg_hash text NOT NULL,
        last_seq bigint NOT NULL,
        last_hash text NOT NULL,
        head_mac text NOT NULL
    );
    CREATE TABLE tiergate.registry_head (
        k integer PRIMARY KEY CHECK (k = 0),
        last_n bigint NOT NULL,
        last_hash text NOT NULL,
        head_mac text NOT NULL
    );
    INSERT INTO tiergate.registry_head VALUES (0, 0, repeat('0', 64), '');

    CREATE TABLE tiergate.attempts (
        id bigserial PRIMARY KEY,
        chain text NOT NULL,
        seq bigint NOT NULL,
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
        hash text NOT NULL,
        UNIQUE (chain, seq)
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
        p_pico bigint, p_scopes text[], p_cap_scopes text[], p_caps bigint[], p_token text,
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
            (month, request_id, attempt, provider, tenant, pico, scopes, owner, token)
            VALUES (reserve.month, p_request_id, p_attempt, p_provider, p_tenant, p_pico,
                    p_scopes, p_owner, p_token)
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

    -- Release p_owner's open reservations that carry one of p_tokens (reserves whose caller
    -- heard an error: the attempt never started) or one of p_ids (releases whose answer was
    -- lost). How many were still open.
    CREATE FUNCTION tiergate.release_unsure(p_owner text, p_tokens text[], p_ids bigint[])
    RETURNS integer LANGUAGE plpgsql AS $$
    DECLARE
        r record;
        v_count integer := 0;
    BEGIN
        FOR r IN
            SELECT id FROM tiergate.reservations
            WHERE owner = p_owner AND state = 'open' AND (token = ANY (p_tokens) OR id = ANY (p_ids))
            ORDER BY id
        LOOP
            IF tiergate.release(r.id) THEN
                v_count := v_count + 1;
            END IF;
        END LOOP;
        RETURN v_count;
    END $$;
    """
    + _append_function(slices=False),
    _SLICES + _append_function(slices=True),
)

__all__ = [
    "ATTEMPT_COLUMNS",
    "GENESIS",
    "HASHED_COLUMNS",
    "MIGRATIONS",
    "ROW_ARRAY_COUNT",
    "Chain",
    "canonical",
    "stamp",
]
