"""The Store seam: caps held atomically, the attempt ledger and its reports, behind one interface.

A Store is where every process of a deployment meets: `reserve()` is the one
authority on whether money may be spent (spent + held + the new hold fits under
every applicable cap, across all processes), `settle()` turns a hold into a
charge and appends the attempt's row, and the owner/lease pair lets any process
reap the open reservations of a process that died. Money is integer pico-dollars
(1 USD = 10**12 pico) everywhere here; USD `Decimal` exists only in messages.

`open_store(url, ...)` picks the implementation by URL scheme:
`sqlite:///path` (tiergate.stores.sqlite) or `postgresql://...` (tiergate.stores.postgres).
This module holds the interface and its value types only.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from ..errors import StoreUnavailable

Clock = Callable[[], datetime]
PICO_PER_USD = 10**12
DEFAULT_LEASE_S = 10.0


class RowsRefused(StoreUnavailable):
    """The store is up but refused what was sent (PostgreSQL: SQLSTATE classes 22, 23, 54, or
    an argument asyncpg cannot encode): retrying the same row cannot help."""


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation to make, all or nothing."""

    request_id: str
    attempt: int
    provider: str
    tenant: str | None
    pico: int
    caps: Mapping[str, int]  # the applicable configured caps: scope -> cap in pico


@dataclass(frozen=True, slots=True)
class Reservation:
    """Money held for one attempt until it is settled or released."""

    id: int
    request_id: str
    attempt: int
    provider: str
    tenant: str | None
    pico: int
    month: str  # "YYYY-MM": charged to this month even if settled after it ends


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Why a Hold was refused: which cap, how much is left, when it resets. What a 429 says."""

    scope: str  # "provider:<name>" | "tenant:<name>" | "total" | "store"
    cap_pico: int
    left_pico: int
    needed_pico: int
    resets_at: datetime | None  # start of next month (UTC, store's clock); None for "store"

    @property
    def message(self) -> str:
        if self.scope == "store" or self.resets_at is None:
            return (
                "The budget store cannot be written, so paid providers are not used (fail closed)."
            )
        kind, _, name = self.scope.partition(":")
        whose = f"{kind} {name!r}" if name else "total"
        return (
            f"The monthly budget of {whose} (${usd_text(self.cap_pico)}) cannot cover this "
            f"request: ${usd_text(self.left_pico)} left, the request may cost up to "
            f"${usd_text(self.needed_pico)}. It resets at "
            f"{self.resets_at.strftime('%Y-%m-%dT%H:%M:%SZ')}."
        )


# Not frozen: one is built per attempt, and a frozen dataclass pays object.__setattr__ for each of
# its 21 fields (~3 µs a request). Nothing mutates a record; budget.settle uses replace().
@dataclass(slots=True)
class AttemptRecord:
    """One ledger row: one upstream attempt. Never the prompt or the answer."""

    request_id: str
    attempt: int
    tenant: str | None
    provider: str
    model: str
    tier: int
    rule: str
    classification: str
    classification_source: str  # "label" | "tenant_floor" | "detector:email,phone" | "default"
    egress: bool  # the data left the premises
    prompt_tokens: int
    completion_tokens: int
    cost_pico: int
    reserved_pico: int
    latency_ms: float
    outcome: str  # "ok" | "timeout" | "unavailable" | "rejected" | "cut" | "lost" | "budget" ...
    usage_missing: bool = False
    cache: str = "bypass"  # hit | miss | stale | bypass
    status: int | None = None
    endpoint: str = "chat"
    ttft_ms: float | None = None  # time to first token (streams)


@dataclass(frozen=True, slots=True)
class SpendLine:
    """Money and counts for one group of a month's rows."""

    spent_pico: int = 0
    held_pico: int = 0  # open reservations: in flight, or lost and not yet reaped
    attempts: int = 0
    requests: int = 0  # distinct request ids


@dataclass(frozen=True, slots=True)
class SpendRows:
    """What `tiergate spend` needs for one month (optionally one tenant's rows only)."""

    month: str
    total: SpendLine
    providers: Mapping[str, SpendLine] = field(default_factory=dict)
    tenants: Mapping[str | None, SpendLine] = field(default_factory=dict)  # None: no tenant
    days: Mapping[str, SpendLine] = field(default_factory=dict)  # "YYYY-MM-DD", held 0
    # Cache hits by (provider, model): (hits, prompt tokens, completion tokens) of the answers
    # they replayed, which is what they would have cost (the savings, priced by the reader).
    cache_hits: Mapping[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRows:
    """What `tiergate audit` needs: requests and egress per classification, and who sent what out."""

    month: str | None  # None: all time
    requests: Mapping[str, int] = field(default_factory=dict)  # classification -> request ids
    egress: Mapping[str, int] = field(default_factory=dict)  # classification -> left premises
    sources: Mapping[str, int] = field(default_factory=dict)  # classification_source -> requests
    egress_attempts: Mapping[tuple[str, str], int] = field(
        default_factory=dict
    )  # (classification, provider) -> attempts that left the premises


class Store(Protocol):
    """Caps, reservations and the attempt ledger of every process that shares them."""

    url: str  # for messages, with any password hidden
    owner: str  # this process: f"{hostname}:{pid}:{start_time_ns}"

    @property
    def healthy(self) -> bool:
        """False while writes fail; paid providers then fail closed."""
        ...

    async def reserve(self, hold: Hold) -> Reservation | Shortfall:
        """Hold `hold.pico` under every cap in `hold.caps` (this month) or none; durable on return.

        Raises StoreUnavailable if the store cannot be written.
        """
        ...

    async def settle(self, reservation: Reservation, record: AttemptRecord) -> None:
        """Close the reservation, charge record.cost_pico (the whole hold if usage_missing),
        append the row with the chain advanced in the same transaction. Idempotent.
        Raises StoreUnavailable on failure (the reservation then stays held)."""
        ...

    async def release(self, reservation: Reservation) -> None:
        """The attempt never started: close the reservation, charge nothing. Idempotent."""
        ...

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        """Queue a row that held no reservation; group-committed, retried until durable."""
        ...

    def used(self) -> Mapping[str, int]:
        """Cached pico spent + held this month per scope, for routing only (reserve decides)."""
        ...

    async def heartbeat(self) -> None:
        """Renew this owner's lease and refresh used()."""
        ...

    async def reap(self, *, lease_s: float) -> int:
        """Charge in full every open reservation of an owner whose lease expired; how many."""
        ...

    async def mark_alert(self, *, day: str, scope: str) -> bool:
        """True only for the first caller for (day, scope): one process sends the alert."""
        ...

    async def day_spent(self) -> Mapping[str, int]:
        """Today's settled pico per scope (store's clock)."""
        ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int:
        """Apply pending migrations once (safe when several processes start together)."""
        ...

    async def spend_rows(self, *, month: str, tenant: str | None) -> SpendRows: ...

    async def audit_rows(self, *, month: str | None) -> AuditRows: ...

    async def recent(self, *, limit: int) -> list[dict[str, Any]]:
        """The newest attempt rows, newest first (no text exists to show)."""
        ...

    async def verify(self) -> tuple[bool, str]:
        """Recompute the (keyed) hash chain: (ok, what was found)."""
        ...

    async def close(self) -> None:
        """Commit what is queued, then let go of the store."""
        ...


def default_owner() -> str:
    """This process's owner id: host, pid and start time, unique across restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{time.time_ns()}"


def usd_text(pico: int) -> str:
    """Exact USD for messages: at least two decimals, no trailing zeros beyond them."""
    text = f"{(Decimal(pico) / PICO_PER_USD).normalize():f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


async def open_store(
    url: str,
    *,
    owner: str | None = None,
    clock: Clock | None = None,
    key: bytes | None = None,
    lease_s: float = DEFAULT_LEASE_S,
    readonly: bool = False,
) -> Store:
    """Open the store at `url`, migrating it unless `readonly`.

    `key` keys the ledger's hash chain (HMAC-SHA256); `lease_s` is how long this
    owner's reservations stay untouchable after its last heartbeat. A readonly
    store (the CLI's reports) never creates or migrates anything.
    Raises StoreUnavailable if the store cannot be opened.
    """
    owner = owner or default_owner()
    if url.startswith("sqlite://"):
        from .sqlite import SqliteStore

        return await SqliteStore.open(
            url, owner=owner, clock=clock, key=key, lease_s=lease_s, readonly=readonly
        )
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore  # type: ignore[import-not-found,unused-ignore]

        store: Store = await PostgresStore.open(
            url, owner=owner, clock=clock, key=key, lease_s=lease_s, readonly=readonly
        )
        return store
    raise StoreUnavailable(f"unknown store URL scheme in {url.split('://', 1)[0]!r}")


__all__ = [
    "DEFAULT_LEASE_S",
    "PICO_PER_USD",
    "AttemptRecord",
    "AuditRows",
    "Clock",
    "Hold",
    "Reservation",
    "RowsRefused",
    "Shortfall",
    "SpendLine",
    "SpendRows",
    "Store",
    "StoreUnavailable",
    "default_owner",
    "open_store",
    "usd_text",
]
