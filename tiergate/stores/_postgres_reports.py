"""The PostgreSQL store's reads: spend, the privacy audit, recent attempts, and the ledger's proof.

Each report reads in one repeatable-read, read-only transaction, so its figures agree with
one another; a database without tiergate's schema reads as empty.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

import asyncpg

from . import AuditRows, SpendLine, SpendRows
from ._postgres_migrate import version
from ._postgres_schema import ATTEMPT_COLUMNS, GENESIS, Chain, canonical, stamp
from ._postgres_sql import CALL_TIMEOUT_S

if TYPE_CHECKING:
    from ._postgres_sql import Conn


async def spend_rows(conn: Conn, *, month: str, tenant: str | None) -> SpendRows:
    only = "AND tenant = $2" if tenant is not None else ""
    args: tuple[Any, ...] = (month, tenant) if tenant is not None else (month,)
    rows = f"FROM tiergate.attempts WHERE month = $1 {only}"
    held = f"FROM tiergate.reservations WHERE state = 'open' AND month = $1 {only}"
    if not await version(conn):
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
            (r["provider"], r["model"]): (int(r["n"]), int(r["i"]), int(r["o"])) for r in hits
        },
    )


def _line(r: asyncpg.Record, held: int) -> SpendLine:
    return SpendLine(
        spent_pico=int(r["spent"] or 0), held_pico=held, attempts=int(r["n"]),
        requests=int(r["requests"]),
    )  # fmt: skip


async def audit_rows(conn: Conn, *, month: str | None) -> AuditRows:
    where, args = ("WHERE month = $1", (month,)) if month else ("", ())
    if not await version(conn):
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


async def recent(conn: Conn, *, limit: int) -> list[dict[str, Any]]:
    if not await version(conn):
        return []
    found = await conn.fetch(
        f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM tiergate.attempts ORDER BY id DESC LIMIT $1",
        limit,
    )
    return [{**dict(r), "ts": stamp(r["ts"])} for r in found]


async def verify(conn: Conn, *, chain: Chain, url: str) -> tuple[bool, str]:
    """Walk the chain registry, then every chain in order, each against its keyed head."""
    if not await version(conn):
        return False, f"no ledger at {url}"
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
            if c["n"] != n or chain.registry_link(prev, n, c["chain"]) != c["reg_hash"]:
                return False, (
                    f"the chain registry breaks at entry {n} ({c['chain']}): a replica's "
                    f"chain was removed or forged, or the ledger key is not the one it was "
                    f"written with"
                )
            if not hmac.compare_digest(
                c["head_mac"], chain.head_mac(c["chain"], c["last_seq"], c["last_hash"])
            ):
                return False, f"the head of chain {c['chain']} was rewritten"
            prev = c["reg_hash"]
        if registry is None or (registry["last_n"], registry["last_hash"]) != (n, prev):
            return False, "the chain registry's head does not match its last entry"
        if n and not hmac.compare_digest(registry["head_mac"], chain.registry_mac(n, prev)):
            return False, "the chain registry's head was rewritten"
        heads = {c["chain"]: c for c in chains}
        walked: dict[str, tuple[int, str]] = {}
        query = (
            f"SELECT {', '.join(ATTEMPT_COLUMNS)}, hash FROM tiergate.attempts ORDER BY chain, seq"
        )
        count = 0
        async for row in conn.cursor(query, prefetch=2000, timeout=CALL_TIMEOUT_S):
            name = row["chain"]
            if name not in heads:
                return False, f"row id {row['id']} belongs to no registered chain ({name})"
            seq, last = walked.get(name, (0, chain.genesis(name)))
            if row["seq"] != seq + 1:
                return False, (
                    f"chain {name}: row {seq + 1} is missing (the next is {row['seq']}): "
                    f"rows were deleted"
                )
            if chain.link(last, canonical(row)) != row["hash"]:
                return False, (
                    f"row id {row['id']} (request {row['request_id']}) does not match its "
                    f"chain: it was edited, a row before it was replaced, or the ledger key "
                    f"is not the one it was written with"
                )
            walked[name] = (row["seq"], row["hash"])
            count += 1
        for name, c in heads.items():
            seq, last = walked.get(name, (0, chain.genesis(name)))
            if (seq, last) != (c["last_seq"], c["last_hash"]):
                return False, (
                    f"chain {name} ends at row {seq}, its head says {c['last_seq']}: "
                    f"rows were deleted from or added at its end"
                )
    keyed = "keyed" if chain.key is not None else "UNKEYED (set TIERGATE_LEDGER_KEY)"
    return True, f"{count} rows verified ({keyed}) in {len(heads)} chains"
