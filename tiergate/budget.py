"""Caps and alerts as policy on top of the Store: which caps apply, the routing snapshot, daily alerts.

The Store is the authority: `reserve()` holds money under every applicable cap
(provider, tenant, total; UTC calendar month) in one atomic step across every
process that shares it. This module decides which caps apply, answers routing
questions from the store's cached usage (never the authority), keeps settles
and free rows off the answer path (retried in the background until durable; a
reservation stays held until its settle is), runs the heartbeat that renews
this process's lease and reaps dead owners' reservations, and sends the daily
spend alert once across all processes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import aiohttp

from .config import Config
from .errors import StoreUnavailable
from .stores import (
    DEFAULT_LEASE_S,
    PICO_PER_USD,
    AttemptRecord,
    Clock,
    Hold,
    Reservation,
    RowsRefused,
    Shortfall,
    Store,
)
from .stores.calendar import day_of, month_of, next_month_start, scopes_of, utcnow

logger = logging.getLogger("tiergate.budget")

WEBHOOK_TIMEOUT_S = 5.0
# Caps are held as SQLite/PostgreSQL 64-bit integers: anything above this is "no cap" in practice.
MAX_PICO = 2**63 - 1
SETTLE_RETRY_FIRST_S = 0.05
SETTLE_RETRY_MAX_S = 2.0
DEFAULT_HEARTBEAT_S = 1.0


def cap_pico(amount_usd: Decimal) -> int:
    """A cap in pico-dollars, rounded down so that it is never exceeded."""
    pico = int((amount_usd * PICO_PER_USD).to_integral_value(rounding=ROUND_FLOOR))
    return min(pico, MAX_PICO)


def month_start(month: str) -> datetime:
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)


def project(spent: int, month: str, now: datetime) -> int:
    """Month-end spend at the burn rate so far: spent / elapsed fraction of the month (any unit)."""
    start, end = month_start(month), next_month_start(month)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if now >= end or now <= start:
        return spent
    micro = timedelta(microseconds=1)
    elapsed, span = (now - start) // micro, (end - start) // micro
    return -(-spent * span // elapsed)


class Budget:
    """Caps as policy over a Store. Build it with `Budget(config=..., store=...)`."""

    def __init__(self, *, config: Config, store: Store, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or utcnow
        self.configure(config)
        self._alerted: set[str] = set()
        self._alert_day = ""
        self._tasks: set[asyncio.Task[Any]] = set()
        self.refused_rows = 0  # rows the store refused for good (logged, never retried)

    def configure(self, config: Config) -> None:
        """Take the caps and the alert from `config`: at start, and again on a reload (SIGHUP).

        Spend so far stays: a lowered cap refuses new reservations at once, a raised one
        admits them at once."""
        caps: dict[str, int] = {}
        for p in config.providers:
            if p.monthly_budget_usd is not None:
                caps[f"provider:{p.name}"] = cap_pico(p.monthly_budget_usd)
        for t in config.tenants:
            if t.monthly_budget_usd is not None:
                caps[f"tenant:{t.name}"] = cap_pico(t.monthly_budget_usd)
        if config.budget.monthly_total_usd is not None:
            caps["total"] = cap_pico(config.budget.monthly_total_usd)
        alert = config.budget.daily_alert_usd
        self._caps = caps
        self._alert_pico = None if alert is None else cap_pico(alert)
        self._webhook = config.budget.alert_webhook
        self._provider_caps = tuple(s for s in caps if s.startswith("provider:"))

    @classmethod
    async def open(cls, config: Config, store: Store, *, clock: Clock | None = None) -> Budget:
        return cls(config=config, store=store, clock=clock)

    @property
    def store(self) -> Store:
        return self._store

    # -- routing (sync, from the store's cached usage) -----------------------------------------

    @property
    def unreachable(self) -> bool:
        """True while the store cannot be written: treat paid providers as over budget."""
        return not self._store.healthy

    def caps_for(self, provider: str, tenant: str | None) -> dict[str, int]:
        """The configured caps (pico) that an attempt at `provider` for `tenant` must fit under."""
        return {s: self._caps[s] for s in scopes_of(provider, tenant) if s in self._caps}

    def snapshot(self, tenant: str | None) -> dict[str, int]:
        """Pico-dollars left under each configured cap that applies to a request of `tenant`."""
        if not self._caps:
            return {}  # no cap at all (a free-only gateway): nothing to read
        used = self._store.used()
        scopes = [*self._provider_caps]
        if tenant is not None and f"tenant:{tenant}" in self._caps:
            scopes.append(f"tenant:{tenant}")
        if "total" in self._caps:
            scopes.append("total")
        return {s: max(0, self._caps[s] - used.get(s, 0)) for s in scopes}

    def usage(self) -> dict[str, int]:
        """Pico-dollars used this month (settled + held) per scope, as last seen: for metrics."""
        return dict(self._store.used())

    def cap_short(self, provider: str, tenant: str | None, pico: int) -> Shortfall | None:
        """The first cap that cannot take `pico` more as last seen, or None if every cap can."""
        if self.unreachable:
            return Shortfall("store", 0, 0, pico, None)
        used = self._store.used()
        month = month_of(self._clock())
        for scope, cap in self.caps_for(provider, tenant).items():
            if used.get(scope, 0) + pico > cap:
                left = max(0, cap - used.get(scope, 0))
                return Shortfall(scope, cap, left, pico, next_month_start(month))
        return None

    # -- money ---------------------------------------------------------------------------------

    async def reserve(
        self, *, request_id: str, attempt: int, provider: str, tenant: str | None, pico: int
    ) -> Reservation | Shortfall:
        """Hold `pico` under every applicable cap, durably: a Reservation, or the Shortfall.

        Raises StoreUnavailable if the store cannot be written (nothing is held then).
        If the caller is cancelled while the hold is being written, it is released
        once durable.
        """
        hold = Hold(request_id, attempt, provider, tenant, pico, self.caps_for(provider, tenant))
        task = asyncio.ensure_future(self._store.reserve(hold))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(self._release_orphan)
            raise

    def settle(self, reservation: Reservation, record: AttemptRecord) -> asyncio.Future[None]:
        """Charge what the attempt cost and free the rest, in the background until durable.

        Never raises: the returned future resolves once the row committed; until then
        the reservation stays held in full (a retry, or a reap if this process dies). A row
        the store refuses for good (RowsRefused) is logged and counted once, not retried.
        With `record.usage_missing` the whole reservation is charged.
        """
        row = record
        if row.usage_missing:
            row = replace(row, cost_pico=max(row.cost_pico, reservation.pico))
        if row.cost_pico > reservation.pico:
            logger.warning(
                "attempt cost more than its reservation",
                extra={"event": "budget.over_reservation", "request_id": reservation.request_id,
                       "provider": reservation.provider, "reserved_pico": reservation.pico,
                       "cost_pico": row.cost_pico},
            )  # fmt: skip
        row = replace(row, reserved_pico=reservation.pico)
        return self._until_durable(lambda: self._store.settle(reservation, row), row.request_id)

    def record(self, record: AttemptRecord) -> asyncio.Future[None]:
        """Append an attempt that held no reservation; queued, group-committed, never raises."""
        written = self._store.record(record)
        written.add_done_callback(self._count_refused)
        return written

    def _count_refused(self, written: asyncio.Future[None]) -> None:
        # The store logged it (store.row_refused); the metric counts it with refused settles.
        if not written.cancelled() and isinstance(written.exception(), RowsRefused):
            self.refused_rows += 1

    # -- background ------------------------------------------------------------------------------

    async def heartbeat(self, *, lease_s: float = DEFAULT_LEASE_S) -> int:
        """Renew this process's lease, reap expired owners' reservations, send due alerts."""
        reaped = await self._store.reap(lease_s=lease_s)
        if reaped:
            logger.warning(
                "reaped reservations of a process whose lease expired",
                extra={"event": "budget.reaped", "reservations": reaped},
            )
        if self._alert_pico is not None:
            await self._check_alerts()
        return reaped

    async def run(
        self, *, heartbeat_s: float = DEFAULT_HEARTBEAT_S, lease_s: float = DEFAULT_LEASE_S
    ) -> None:
        """The heartbeat loop the server's lifespan runs until it is cancelled."""
        while True:
            try:
                await self.heartbeat(lease_s=lease_s)
            except StoreUnavailable as exc:
                logger.warning(
                    "store heartbeat failed", extra={"event": "budget.heartbeat_failed",
                                                     "error": str(exc)}
                )  # fmt: skip
            await asyncio.sleep(heartbeat_s)

    async def close(self) -> None:
        """Wait (briefly) for settles and alert webhooks in flight; the lifespan calls this."""
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=WEBHOOK_TIMEOUT_S + 1)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _until_durable(self, write: Any, request_id: str) -> asyncio.Future[None]:
        async def loop() -> None:
            delay = SETTLE_RETRY_FIRST_S
            while True:
                try:
                    await write()
                    return
                except RowsRefused as exc:
                    # The store is up and will never take this row: a retry cannot help, and
                    # each one would send the writer's batch back one row at a time. The
                    # reservation stays held in full (the safe side) until this process's
                    # lease is reaped.
                    self.refused_rows += 1
                    logger.error(
                        "the store refused a ledger row; it is not retried",
                        extra={"event": "budget.settle_refused", "request_id": request_id,
                               "error": str(exc)},
                    )  # fmt: skip
                    return
                except StoreUnavailable:
                    logger.warning(
                        "ledger row not written yet; retrying",
                        extra={"event": "budget.settle_retry", "request_id": request_id},
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, SETTLE_RETRY_MAX_S)

        task = asyncio.get_running_loop().create_task(loop())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _release_orphan(self, task: asyncio.Future[Reservation | Shortfall]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        result = task.result()
        if isinstance(result, Reservation):
            released = asyncio.ensure_future(self._store.release(result))
            self._tasks.add(released)
            released.add_done_callback(self._tasks.discard)
            released.add_done_callback(_consume)  # a failed release stays held: the safe side

    async def _check_alerts(self) -> None:
        assert self._alert_pico is not None
        day = day_of(self._clock())
        if day != self._alert_day:
            self._alert_day, self._alerted = day, set()
        spent = await self._store.day_spent()
        crossed: dict[str, int] = {}
        for scope, pico in spent.items():
            if scope.startswith("tenant:") or scope in self._alerted or pico < self._alert_pico:
                continue
            self._alerted.add(scope)
            if await self._store.mark_alert(day=day, scope=scope):
                crossed[scope] = pico
        if crossed:
            self._alert(day, crossed)

    def _alert(self, day: str, crossed: Mapping[str, int]) -> None:
        assert self._alert_pico is not None
        payload = {
            "event": "tiergate.daily_spend_alert",
            "day": day,
            "threshold_usd": float(Decimal(self._alert_pico) / PICO_PER_USD),
            "crossed": {scope: float(Decimal(p) / PICO_PER_USD) for scope, p in crossed.items()},
        }
        logger.warning("daily spend crossed the alert threshold", extra=payload)
        if self._webhook:
            task = asyncio.get_running_loop().create_task(_post(self._webhook, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _post(url: str, payload: dict[str, Any]) -> None:
    # The URL may carry a token (chat webhooks do), so it is never logged.
    try:
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=payload) as response,
        ):
            if response.status >= 300:
                logger.warning(
                    "alert webhook refused the alert",
                    extra={"event": "budget.webhook_failed", "status": response.status},
                )
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning(
            "alert webhook failed",
            extra={"event": "budget.webhook_failed", "error": type(exc).__name__},
        )


__all__ = [
    "Budget",
    "Reservation",
    "Shortfall",
    "cap_pico",
    "month_start",
    "next_month_start",
    "project",
]
