"""The SQLite store's schema (an append-only list of migrations) and its keyed hash chain.

Each attempt row stores H(previous hash || canonical row bytes): HMAC-SHA256
with the ledger key, or plain sha256 for a ledger that has never had one.
`chain_head` holds the last id and hash and, once keyed, a MAC over them, so a
forger without the key can neither recompute edited rows nor point the head at
an earlier row after deleting the trailing ones. `keyed_from` is the first row
written with a key (a ledger may gain a key later); it is covered by the head's
MAC, and a ledger that has a key refuses writers without one.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

GENESIS = "0" * 64

# The order in which a row is hashed; `hash` itself is stored after these.
ATTEMPT_COLUMNS = (
    "id", "ts", "month", "request_id", "attempt", "tenant", "provider", "model", "tier", "rule",
    "classification", "classification_source", "egress", "prompt_tokens", "completion_tokens",
    "cost_pico", "reserved_pico", "latency_ms", "ttft_ms", "outcome", "usage_missing", "cache",
    "status", "endpoint", "reservation_id",
)  # fmt: skip

_V1 = """
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
"""

_V2_TABLES = """
DROP TRIGGER attempts_no_update;
DROP TRIGGER attempts_no_delete;
DROP INDEX attempts_month;
DROP INDEX attempts_ts;
DROP INDEX reservations_state;
ALTER TABLE attempts RENAME TO attempts_v1;
ALTER TABLE reservations RENAME TO reservations_v1;
DROP TABLE chain_head;
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, month TEXT NOT NULL,
    request_id TEXT NOT NULL, attempt INTEGER NOT NULL, tenant TEXT,
    provider TEXT NOT NULL, model TEXT NOT NULL, tier INTEGER NOT NULL, rule TEXT NOT NULL,
    classification TEXT NOT NULL, classification_source TEXT NOT NULL, egress INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    cost_pico INTEGER NOT NULL, reserved_pico INTEGER NOT NULL, latency_ms REAL NOT NULL,
    ttft_ms REAL, outcome TEXT NOT NULL, usage_missing INTEGER NOT NULL, cache TEXT NOT NULL,
    status INTEGER, endpoint TEXT NOT NULL, reservation_id INTEGER, hash TEXT NOT NULL
);
CREATE INDEX attempts_month ON attempts (month, provider);
CREATE INDEX attempts_ts ON attempts (ts);
CREATE TRIGGER attempts_no_update BEFORE UPDATE ON attempts
    BEGIN SELECT RAISE(ABORT, 'the attempts ledger is append-only'); END;
CREATE TRIGGER attempts_no_delete BEFORE DELETE ON attempts
    BEGIN SELECT RAISE(ABORT, 'the attempts ledger is append-only'); END;
CREATE TABLE chain_head (
    k INTEGER PRIMARY KEY CHECK (k = 0), last_id INTEGER NOT NULL, last_hash TEXT NOT NULL,
    keyed_from INTEGER, key_check TEXT, head_mac TEXT
);
CREATE TABLE reservations (
    id INTEGER PRIMARY KEY, ts TEXT NOT NULL, month TEXT NOT NULL,
    request_id TEXT NOT NULL, attempt INTEGER NOT NULL, provider TEXT NOT NULL, tenant TEXT,
    pico INTEGER NOT NULL, owner TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'settled', 'released', 'reaped')),
    closed_ts TEXT
);
CREATE INDEX reservations_open ON reservations (state, owner);
CREATE TABLE owners (owner TEXT PRIMARY KEY, lease_until TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE totals (
    month TEXT NOT NULL, scope TEXT NOT NULL,
    spent_pico INTEGER NOT NULL, held_pico INTEGER NOT NULL, PRIMARY KEY (month, scope)
) WITHOUT ROWID;
CREATE TABLE day_totals (
    day TEXT NOT NULL, scope TEXT NOT NULL, spent_pico INTEGER NOT NULL,
    PRIMARY KEY (day, scope)
) WITHOUT ROWID;
"""

_V2_TOTALS = """
INSERT INTO totals (month, scope, spent_pico, held_pico)
SELECT month, scope, SUM(spent), SUM(held) FROM (
    SELECT month, 'provider:' || provider AS scope, cost_pico AS spent, 0 AS held FROM attempts
    UNION ALL SELECT month, 'tenant:' || tenant, cost_pico, 0 FROM attempts WHERE tenant IS NOT NULL
    UNION ALL SELECT month, 'total', cost_pico, 0 FROM attempts
    UNION ALL SELECT month, 'provider:' || provider, 0, pico FROM reservations WHERE state = 'open'
    UNION ALL SELECT month, 'tenant:' || tenant, 0, pico FROM reservations
        WHERE state = 'open' AND tenant IS NOT NULL
    UNION ALL SELECT month, 'total', 0, pico FROM reservations WHERE state = 'open'
) GROUP BY month, scope;
INSERT INTO day_totals (day, scope, spent_pico)
SELECT day, scope, SUM(spent) FROM (
    SELECT substr(ts, 1, 10) AS day, 'provider:' || provider AS scope, cost_pico AS spent
        FROM attempts WHERE cost_pico > 0
    UNION ALL SELECT substr(ts, 1, 10), 'tenant:' || tenant, cost_pico FROM attempts
        WHERE cost_pico > 0 AND tenant IS NOT NULL
    UNION ALL SELECT substr(ts, 1, 10), 'total', cost_pico FROM attempts WHERE cost_pico > 0
) GROUP BY day, scope;
"""


def script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the caller's transaction (executescript would commit it)."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def _v1(conn: sqlite3.Connection, chain: Chain) -> None:
    script(conn, _V1)


def _v2(conn: sqlite3.Connection, chain: Chain) -> None:
    """Pico-dollar columns, owners and leases, running totals; old rows converted and re-chained."""
    script(conn, _V2_TABLES)
    conn.execute("INSERT INTO chain_head (k, last_id, last_hash) VALUES (0, 0, ?)", (GENESIS,))
    chain.adopt(conn, writable=True)
    prev, last_id = GENESIS, 0
    old = (
        "id, ts, month, request_id, attempt, tenant, provider, model, tier, rule, classification, "
        "classification_source, egress, prompt_tokens, completion_tokens, cost_micros * 1000000, "
        "reserved_micros * 1000000, latency_ms, NULL, outcome, usage_missing, cache, status, "
        "endpoint, reservation_id"
    )
    insert = (
        f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}, hash) "
        f"VALUES ({', '.join('?' * (len(ATTEMPT_COLUMNS) + 1))})"
    )
    for row in conn.execute(f"SELECT {old} FROM attempts_v1 ORDER BY id").fetchall():
        values = tuple(row)
        prev, last_id = chain.row_hash(prev, values), int(values[0])
        conn.execute(insert, (*values, prev))
    conn.execute(
        "INSERT INTO reservations SELECT id, ts, month, request_id, attempt, provider, tenant, "
        "micros * 1000000, 'v1', CASE state WHEN 'reconciled' THEN 'reaped' ELSE state END, "
        "closed_ts FROM reservations_v1"
    )
    script(conn, _V2_TOTALS)
    chain.write_head(conn, (last_id, prev))
    conn.execute("DROP TABLE attempts_v1")
    conn.execute("DROP TABLE reservations_v1")


Migration = Callable[[sqlite3.Connection, "Chain"], None]
MIGRATIONS: tuple[Migration, ...] = (_v1, _v2)


class Chain:
    """Hashes rows and keeps the head; keyed with HMAC-SHA256 when a ledger key is configured."""

    def __init__(self, key: bytes | None) -> None:
        self.key = key or None
        self.key_check = self._mac(b"tiergate ledger key check") if self.key else None
        self.keyed_from: int | None = None  # learned from the head

    def _mac(self, data: bytes) -> str:
        assert self.key is not None
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def row_hash(self, prev: str, values: tuple[Any, ...]) -> str:
        data = bytes.fromhex(prev) + orjson.dumps(list(values))
        if self.key is not None and self.keyed_from is not None and values[0] >= self.keyed_from:
            return self._mac(data)
        return hashlib.sha256(data).hexdigest()

    def head_mac(self, last_id: int, last_hash: str) -> str | None:
        if self.key is None or self.keyed_from is None:
            return None
        return self._mac(f"head:{last_id}:{last_hash}:{self.keyed_from}".encode())

    def adopt(self, conn: sqlite3.Connection, *, writable: bool) -> None:
        """Check this process's key against the ledger's; a keyed writer keys an unkeyed ledger
        from its next row on. Raises sqlite3.DatabaseError on a mismatch."""
        last_id, last_hash, keyed_from, key_check = conn.execute(
            "SELECT last_id, last_hash, keyed_from, key_check FROM chain_head WHERE k = 0"
        ).fetchone()
        if key_check is not None and self.key is None:
            raise sqlite3.DatabaseError(
                "the ledger's hash chain is keyed: set TIERGATE_LEDGER_KEY or ledger_key_file "
                "to write to it"
            )
        if key_check is not None and key_check != self.key_check:
            raise sqlite3.DatabaseError(
                "the configured ledger key is not the one this ledger was written with"
            )
        if key_check is None and self.key is not None and writable:
            keyed_from = int(last_id) + 1
            conn.execute(
                "UPDATE chain_head SET keyed_from = ?, key_check = ? WHERE k = 0",
                (keyed_from, self.key_check),
            )
            self.keyed_from = keyed_from
            self.write_head(conn, (int(last_id), str(last_hash)))
            return
        self.keyed_from = None if keyed_from is None else int(keyed_from)

    def read_head(self, conn: sqlite3.Connection) -> tuple[int, str]:
        row = conn.execute(
            "SELECT last_id, last_hash, keyed_from, key_check FROM chain_head WHERE k = 0"
        ).fetchone()
        if row[3] != self.key_check:
            # Another process keyed the ledger (or it was tampered with): adopt or refuse.
            self.adopt(conn, writable=True)
        return int(row[0]), str(row[1])

    def write_head(self, conn: sqlite3.Connection, head: tuple[int, str]) -> None:
        conn.execute(
            "UPDATE chain_head SET last_id = ?, last_hash = ?, head_mac = ? WHERE k = 0",
            (head[0], head[1], self.head_mac(*head)),
        )

    def verify(self, conn: sqlite3.Connection) -> tuple[bool, str]:
        """Walk every row in id order and recompute the chain and the head: (ok, what was found)."""
        head = conn.execute(
            "SELECT last_id, last_hash, keyed_from, key_check, head_mac FROM chain_head WHERE k = 0"
        ).fetchone()
        if head is None:
            return False, "the chain head is missing: the ledger was tampered with"
        head_id, head_hash, keyed_from, key_check, head_mac = head
        if key_check is not None and self.key is None:
            return False, (
                "the ledger is keyed: set TIERGATE_LEDGER_KEY or ledger_key_file to verify it"
            )
        if self.key is not None and key_check != self.key_check:
            return False, (
                "the ledger was not written with the configured key (or its key record was "
                "rewritten)"
            )
        self.keyed_from = None if keyed_from is None else int(keyed_from)
        prev, rows, last_id = GENESIS, 0, 0
        cursor = conn.execute(
            f"SELECT {', '.join(ATTEMPT_COLUMNS)}, hash FROM attempts ORDER BY id"
        )
        for row in cursor:
            values, stored = tuple(row[:-1]), row[-1]
            rows += 1
            if self.row_hash(prev, values) != stored:
                return False, (
                    f"row id {values[0]} (request {values[3]}) does not match the chain: it was "
                    f"edited, or a row before it was deleted or inserted"
                )
            prev, last_id = stored, int(values[0])
        if (int(head_id), head_hash) != (last_id, prev):
            return False, (
                f"the chain head (row id {head_id}) does not match the last row (id {last_id}): "
                f"rows were deleted from or added at the end"
            )
        if self.key is not None and head_mac != self.head_mac(last_id, prev):
            return False, (
                "the chain head's MAC does not match: the head was rewritten (trailing rows "
                "deleted, or the chain recomputed without the key)"
            )
        if self.key is None:
            return True, (
                f"{rows} rows verified; head {prev[:16]} (WARNING: no ledger key is configured, "
                f"so anyone who can write the file could rewrite the chain consistently; set "
                f"TIERGATE_LEDGER_KEY or ledger_key_file)"
            )
        return True, f"{rows} rows verified with the ledger key; head {prev[:16]}"


__all__ = ["ATTEMPT_COLUMNS", "GENESIS", "MIGRATIONS", "Chain", "script"]
