"""Monthly caps that hold under any concurrency: reserve before a paid attempt, settle after it.

Every cap (per provider, per tenant, in total; UTC calendar month) is kept in
memory as micro-dollars *used* = settled spend + open reservations. reserve()
checks every applicable cap and adds to all of them with no await in between,
so no interleaving of coroutines can overshoot; then it makes the reservation
durable in the ledger before returning, and undoes the in-memory part if that
write fails (the router fails closed). One process owns one ledger file.

On start-up an open reservation (its process died between reserve and settle)
counts as spent; reconcile() then books it as spent in full, flagged
usage_missing, because the upstream may have served and billed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp

from .config import Config
from .errors import StoreUnavailable
from .ledger import (
    AttemptRecord,
    Clock,
    Ledger,
    StoredReservation,
    day_of,
    month_of,
)
from .pricing import cap_micros, usd

logger = logging.getLogger("tiergate.budget")

WEBHOOK_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Reservation:
    """Money held for one attempt until it is settled."""

    id: int
    request_id: str
    attempt: int
    provider: str
    tenant: str | None
    micros: int
    month: str  # the calendar month it is charged to, even if settled after the month ends


@dataclass(frozen=True, slots=True)
class Shortfall:
    """Which cap cannot take an attempt, and when it resets: what a 429 tells the caller."""

    scope: str  # "provider:<name>" | "tenant:<name>" | "total" | "store"
    cap_micros: int
    left_micros: int
    needed_micros: int
    resets_at: datetime | None  # None for "store": it resets when the ledger can be written

    @property
    def message(self) -> str:
        if self.scope == "store":
            return (
                "The budget ledger cannot be written, so paid providers are not used (fail closed)."
            )
        kind, _, name = self.scope.partition(":")
        whose = f"{kind} {name!r}" if name else "total"
        assert self.resets_at is not None
        return (
            f"The monthly budget of {whose} (${usd(self.cap_micros)}) cannot cover this request: "
            f"${usd(self.left_micros)} left, the request may cost up to ${usd(self.needed_micros)}. "
            f"It resets at {self.resets_at.strftime('%Y-%m-%dT%H:%M:%SZ')}."
        )


def month_start(month: str) -> datetime:
    return datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)


def next_month_start(month: str) -> datetime:
    start = month_start(month)
    return (start + timedelta(days=32)).replace(day=1)


def project(spent_micros: int, month: str, now: datetime) -> int:
    """Month-end spend at the burn rate so far: spent / elapsed fraction of the month."""
    start, end = month_start(month), next_month_start(month)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if now >= end or now <= start:
        return spent_micros
    micro = timedelta(microseconds=1)
    elapsed, span = (now - start) // micro, (end - start) // micro
    return -(-spent_micros * span // elapsed)


class Budget:
    """In-memory caps backed by the ledger. Build it with `await Budget.open(config, ledger)`."""

    def __init__(self, *, config: Config, ledger: Ledger, clock: Clock) -> None:
        self._ledger = ledger
        self._clock = clock
        self._caps: dict[str, int] = {}
        for p in config.providers:
            if p.monthly_budget_usd is not None:
                self._caps[f"provider:{p.name}"] = cap_micros(p.monthly_budget_usd)
        for t in config.tenants:
            if t.monthly_budget_usd is not None:
                self._caps[f"tenant:{t.name}"] = cap_micros(t.monthly_budget_usd)
        if config.budget.monthly_total_usd is not None:
            self._caps["total"] = cap_micros(config.budget.monthly_total_usd)
        alert = config.budget.daily_alert_usd
        self._alert_micros = None if alert is None else cap_micros(alert)
        self._webhook = config.budget.alert_webhook
        self._provider_caps = tuple(s for s in self._caps if s.startswith("provider:"))
        now = clock()
        self._month, self._day = month_of(now), day_of(now)
        self._used: defaultdict[str, int] = defaultdict(int)  # this month: spent + held
        self._day_spent: defaultdict[str, int] = defaultdict(int)  # today: settled only
        self._alerted: set[str] = set()
        self._open: dict[int, Reservation] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, config: Config, ledger: Ledger, *, clock: Clock | None = None, reconcile: bool = True
    ) -> Budget:
        """Load month-to-date spend and open reservations; then, by default, reconcile them."""
        budget = cls(config=config, ledger=ledger, clock=clock or ledger.clock)
        totals = await ledger.totals(month=budget._month, day=budget._day)
        for (provider, tenant), micros in totals.month_spent.items():
            budget._add_used(_scopes(provider, tenant), micros)
        for r in totals.open:
            if r.month == budget._month:
                budget._add_used(_scopes(r.provider, r.tenant), r.micros)
        for provider, micros in totals.day_spent.items():
            budget._day_spent[f"provider:{provider}"] += micros
            budget._day_spent["total"] += micros
        budget._alerted |= totals.alerted
        if reconcile:
            await budget.reconcile()
        return budget

    @property
    def unreachable(self) -> bool:
        """True while the ledger cannot be written: treat paid providers as over budget.

        Set when a transaction fails or the ledger is closed; cleared by the next commit
        (any record() probes it). reserve() still tries the store, so recovery is seen.
        """
        return not self._ledger.healthy

    def snapshot(self, tenant: str | None) -> dict[str, int]:
        """Micro-dollars left under each configured cap that applies to a request of `tenant`."""
        self._roll()
        scopes = [*self._provider_caps]
        if tenant is not None and f"tenant:{tenant}" in self._caps:
            scopes.append(f"tenant:{tenant}")
        if "total" in self._caps:
            scopes.append("total")
        return {s: max(0, self._caps[s] - self._used[s]) for s in scopes}

    def usage(self) -> dict[str, int]:
        """Micro-dollars used this month (settled + held) per scope, for metrics."""
        self._roll()
        return dict(self._used)

    def cap_short(self, provider: str, tenant: str | None, micros: int) -> Shortfall | None:
        """The first cap that cannot take `micros` more now, or None if every cap can."""
        if self.unreachable:
            return Shortfall("store", 0, 0, micros, None)
        self._roll()
        for scope in _scopes(provider, tenant):
            cap = self._caps.get(scope)
            if cap is not None and self._used[scope] + micros > cap:
                left = max(0, cap - self._used[scope])
                return Shortfall(scope, cap, left, micros, next_month_start(self._month))
        return None

    def shortfall(self, provider: str, tenant: str | None, micros: int) -> str:
        """Why a reservation of `micros` is refused now, naming the cap and its reset; "" if not."""
        short = self.cap_short(provider, tenant, micros)
        return short.message if short else ""

    async def reserve(
        self, *, request_id: str, attempt: int, provider: str, tenant: str | None, micros: int
    ) -> Reservation | None:
        """Hold `micros` under every applicable cap, durably; None if some cap cannot take it.

        On None, `shortfall(...)` (a message) or `cap_short(...)` (a Shortfall) with
        the same arguments, called before any await, say which cap and when it
        resets. Raises StoreUnavailable if the ledger cannot be written; then
        nothing is held.
        """
        if micros < 0:
            raise ValueError(f"a reservation cannot be negative ({micros})")
        self._roll()
        scopes = _scopes(provider, tenant)
        for scope in scopes:
            cap = self._caps.get(scope)
            if cap is not None and self._used[scope] + micros > cap:
                return None
        month = self._month
        self._add_used(scopes, micros)  # check and add with no await between them
        try:
            stored = self._ledger.open_reservation(
                request_id=request_id, attempt=attempt, provider=provider, tenant=tenant,
                micros=micros, month=month,
            )  # fmt: skip
        except StoreUnavailable:
            self._unhold(scopes, micros, month)
            raise
        # Runs before this coroutine resumes, so a failed write has freed the hold by then.
        stored.add_done_callback(partial(self._after_reserve, scopes, micros, month))
        try:
            row = await asyncio.shield(stored)
        except asyncio.CancelledError:
            # The caller is gone before it could use the reservation: release it once durable.
            if stored.done():
                self._release_orphan(scopes, micros, month, stored)
            else:
                stored.add_done_callback(partial(self._release_orphan, scopes, micros, month))
            raise
        reservation = Reservation(row.id, request_id, attempt, provider, tenant, micros, month)
        self._open[reservation.id] = reservation
        return reservation

    async def settle(self, reservation: Reservation, record: AttemptRecord) -> None:
        """Charge what the attempt cost and free the rest; durable before it returns.

        With `record.usage_missing` the whole reservation is charged (a cut stream,
        a lost answer). A failed write keeps the whole reservation held and raises.
        """
        if reservation.id not in self._open:
            raise ValueError(f"reservation {reservation.id} is not open here (settled twice?)")
        cost = record.cost_micros
        if record.usage_missing:
            cost = max(cost, reservation.micros)
        if cost > reservation.micros:
            logger.warning(
                "attempt cost more than its reservation",
                extra={"event": "budget.over_reservation", "request_id": reservation.request_id,
                       "provider": reservation.provider, "reserved_micros": reservation.micros,
                       "cost_micros": cost},
            )  # fmt: skip
        row = replace(record, cost_micros=cost, reserved_micros=reservation.micros)
        written = self._ledger.settle(reservation.id, row, month=reservation.month)
        del self._open[reservation.id]  # back in _settled if the write fails
        written.add_done_callback(partial(self._settled, reservation, cost))
        await asyncio.shield(written)

    async def record(self, record: AttemptRecord) -> None:
        """Append an attempt that held no reservation (on-premises, or refused before the call)."""
        self._roll()
        if record.cost_micros > 0:  # money already spent counts at once, durable or not
            self._add_used(_scopes(record.provider, record.tenant), record.cost_micros)
            self._spend_today(record.provider, record.cost_micros)
        await asyncio.shield(self._ledger.record(record, month=self._month))

    async def reconcile(self) -> int:
        """Book every open reservation this process does not hold as spent in full; how many."""
        stale = await asyncio.shield(self._ledger.reconcile(keep=frozenset(self._open)))
        # They already count as used (loaded as held); they become today's settled spend.
        for r in stale:
            self._spend_today(r.provider, r.micros)
        return len(stale)

    async def close(self) -> None:
        """Wait (briefly) for alert webhooks in flight; the server's lifespan calls this."""
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=WEBHOOK_TIMEOUT_S + 1)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _roll(self) -> None:
        now = self._clock()
        month, day = month_of(now), day_of(now)
        if month != self._month:
            # A new month starts at zero; reservations held in the old one stay there.
            self._month = month
            self._used.clear()
        if day != self._day:
            self._day = day
            self._day_spent.clear()
            self._alerted.clear()

    def _add_used(self, scopes: Iterable[str], micros: int) -> None:
        for scope in scopes:
            self._used[scope] += micros

    def _unhold(self, scopes: tuple[str, ...], micros: int, month: str) -> None:
        self._roll()
        if month == self._month:
            self._add_used(scopes, -micros)

    def _after_reserve(
        self,
        scopes: tuple[str, ...],
        micros: int,
        month: str,
        stored: asyncio.Future[StoredReservation],
    ) -> None:
        if stored.cancelled() or stored.exception() is not None:
            self._unhold(scopes, micros, month)

    def _release_orphan(
        self,
        scopes: tuple[str, ...],
        micros: int,
        month: str,
        stored: asyncio.Future[StoredReservation],
    ) -> None:
        if stored.cancelled() or stored.exception() is not None:
            return  # _after_reserve frees it
        try:
            released = self._ledger.release(stored.result().id)
        except StoreUnavailable:
            return  # held until a restart reconciles it: over-counting is the safe side

        def done(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and f.exception() is None:
                self._unhold(scopes, micros, month)

        released.add_done_callback(done)

    def _settled(self, reservation: Reservation, cost: int, written: asyncio.Future[Any]) -> None:
        if written.cancelled() or written.exception() is not None:
            self._open[reservation.id] = reservation  # still open in the ledger: held in full
            return
        self._roll()
        if reservation.month == self._month:
            self._add_used(
                _scopes(reservation.provider, reservation.tenant), cost - reservation.micros
            )
        self._spend_today(reservation.provider, cost)

    def _spend_today(self, provider: str, micros: int) -> None:
        if micros <= 0:
            return
        self._roll()
        crossed: dict[str, int] = {}
        for scope in (f"provider:{provider}", "total"):
            self._day_spent[scope] += micros
            threshold = self._alert_micros
            spent = self._day_spent[scope]
            if threshold is not None and scope not in self._alerted and spent >= threshold:
                crossed[scope] = spent
        if crossed:
            # One spend often carries a provider and the total over together: one alert says both.
            self._alerted |= crossed.keys()
            self._alert(crossed)

    def _alert(self, crossed: dict[str, int]) -> None:
        assert self._alert_micros is not None
        payload = {
            "event": "tiergate.daily_spend_alert",
            "day": self._day,
            "threshold_usd": float(usd(self._alert_micros)),
            "crossed": {scope: float(usd(micros)) for scope, micros in crossed.items()},
        }
        logger.warning("daily spend crossed the alert threshold", extra=payload)
        for scope in crossed:
            marked = self._ledger.mark_alert(day=self._day, scope=scope)
            marked.add_done_callback(_consume)  # a lost mark only means a repeat after a restart
        if self._webhook:
            task = asyncio.get_running_loop().create_task(_post(self._webhook, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def _scopes(provider: str, tenant: str | None) -> tuple[str, ...]:
    if tenant is None:
        return (f"provider:{provider}", "total")
    return (f"provider:{provider}", f"tenant:{tenant}", "total")


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
    "month_start",
    "next_month_start",
    "project",
]
