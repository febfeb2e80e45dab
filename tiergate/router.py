"""Walks a Decision's candidates: the ONLY fallback loop.

For each candidate in order: skip it while its circuit is open (unless it is the last
resort), reserve what it may cost (a cap that cannot take it moves on, or answers 429 in
reject mode), then run one Attempt (tiergate.attempt), which settles itself on every exit.
Only retryable errors move on to the next candidate. A stream moves on only before its first
chunk; after that a failure ends the stream with an explicit SSE error event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .attempt import Attempt, Breaker, Relay, Replay, Services, wait_briefly
from .cache import key as cache_key
from .errors import (
    AllProvidersFailed,
    BudgetExhausted,
    FailedAttempt,
    StoreUnavailable,
    UpstreamError,
    UpstreamRejected,
)
from .hints import Classified
from .outbound import Outbound
from .policy import Candidate, Decision
from .stores import Reservation, Shortfall

T = TypeVar("T")

# The last candidate's 429 is worth one wait when the provider says it will be back this soon.
MAX_RETRY_AFTER_WAIT_S = 5.0
# After the answer has left, how long the handler waits for a free attempt's row.
LEDGER_WAIT_S = 5.0


# Per-request records are plain slotted dataclasses, not frozen: a frozen one pays
# object.__setattr__ for each field (~0.15 µs) on every request. Nothing mutates them.
@dataclass(slots=True)
class Call:
    """One request on its way through the router."""

    request_id: str
    endpoint: str  # "chat" | "embeddings"
    body: dict[str, Any]  # the caller's OpenAI body, hints removed
    outbound: Mapping[str, Outbound]  # provider -> exactly what it would be sent
    decision: Decision
    classified: Classified
    tenant: str | None
    created: int
    stream: bool = False
    include_usage: bool = False
    sensitive: bool = False  # a sensitive classification (or unlabelled under require_label)
    cache_read: bool = False  # cacheable, and the caller did not say Cache-Control: no-cache
    cache_write: bool = False  # cacheable, and the caller did not say Cache-Control: no-store


@dataclass(slots=True)
class Served:
    """Where a request went, for the x-tiergate-* headers and the metrics."""

    candidate: Candidate
    rule: str
    attempts: list[str]
    attempt: Attempt | None = None

    @property
    def cost_pico(self) -> int:
        return self.attempt.cost_pico if self.attempt else 0

    @property
    def ledger_pending(self) -> bool:
        return self.attempt.ledger_pending if self.attempt else False

    @property
    def cache(self) -> str:
        """x-tiergate-cache: hit | miss | stale | bypass."""
        return self.attempt.cache_state if self.attempt else "bypass"

    @property
    def outcome(self) -> str:
        """ "ok", or how the serving attempt ended ("cut" for a stream that broke off)."""
        return (self.attempt.outcome if self.attempt else "") or "ok"

    async def durable(self) -> None:
        """Wait (shielded, briefly) until the serving attempt's row is in the ledger."""
        ledger = self.attempt.ledger if self.attempt else None
        if ledger is not None and not ledger.done():
            await wait_briefly(ledger, LEDGER_WAIT_S)


@dataclass(slots=True)
class Router:
    services: Services
    reject_over_budget: bool = False
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @property
    def in_flight(self) -> dict[str, int]:
        return self.services.in_flight

    def monotonic(self) -> float:
        return self.services.monotonic()

    def breaker(self, provider: str) -> Breaker:
        return self.services.breaker(provider)

    async def serve(self, call: Call) -> tuple[dict[str, Any], Served]:
        """A non-streaming chat completion or embeddings request."""
        return await self._walk(call, Attempt.complete)

    async def open_stream(self, call: Call) -> tuple[Relay | Replay, Served]:
        """A streaming chat completion: falls back until a provider's first chunk is in hand."""
        return await self._walk(call, Attempt.open)

    async def _walk(self, call: Call, run: Callable[[Attempt], Awaitable[T]]) -> tuple[T, Served]:
        candidates = call.decision.candidates + call.decision.escalation
        planned = len(call.decision.candidates)
        failed: list[FailedAttempt] = []
        tried: list[str] = []
        rule = call.decision.rule
        shortfall = ""
        metrics = self.services.metrics
        for index, candidate in enumerate(candidates):
            name = candidate.name
            last = index == len(candidates) - 1
            if index == planned:
                rule = "escalated"  # every allowed provider at or below the tier is down
            if not last and self.breaker(name).is_open(self.monotonic()):
                failed.append(FailedAttempt(name, "circuit_open", "skipped during its cool-down"))
                metrics.fallback(name, "circuit_open")
                continue
            attempt = await self._reserve(call, candidate, len(tried) + 1)
            if isinstance(attempt, Shortfall):
                shortfall = attempt.message
                failed.append(FailedAttempt(name, "budget", shortfall))
                if index == 0:
                    rule = "budget"  # the cap, not the routing rule, decided where this goes
                if self.reject_over_budget:
                    raise BudgetExhausted(shortfall, resets_at=attempt.resets_at)
                continue
            tried.append(name)
            served = Served(candidate, rule, tried)
            try:
                result = await run(attempt)
            except UpstreamError as exc:
                error = exc
            else:
                served.attempt = attempt
                return result, served
            wait = error.retry_after_s
            if last and wait is not None and wait <= MAX_RETRY_AFTER_WAIT_S:
                # The last resort asked us to come back shortly: one more try after the wait.
                await self.sleep(wait)
                retry = await self._reserve(call, candidate, len(tried) + 1)
                if not isinstance(retry, Shortfall):
                    tried.append(name)
                    try:
                        result = await run(retry)
                    except UpstreamError as exc:
                        error = exc
                    else:
                        served.attempt = retry
                        return result, served
            failed.append(FailedAttempt(name, error.kind, error.message, error.status))
            if not error.retryable:
                raise error
            if not last:
                metrics.fallback(name, error.kind)
        stale = await self._stale(call, candidates, rule, tried, run)
        if stale is not None:
            return stale
        raise AllProvidersFailed(
            failed, reason=shortfall or "no provider is allowed to serve this request"
        )

    async def _stale(
        self,
        call: Call,
        candidates: tuple[Candidate, ...],
        rule: str,
        tried: list[str],
        run: Callable[[Attempt], Awaitable[T]],
    ) -> tuple[T, Served] | None:
        """cache.serve_stale_on_failure: an expired answer this request could have had."""
        cache = self.services.cache
        if cache is None or not cache.config.serve_stale_on_failure or not call.cache_read:
            return None
        for candidate in candidates:
            key = self._cache_key(call, candidate)
            entry = await cache.get(key, stale_ok=True) if key else None
            if entry is None:
                continue
            attempt = self._attempt(call, candidate, len(tried) + 1, None)
            attempt.hit, attempt.cache_state, attempt.cache_key = entry, "stale", key
            served = Served(candidate, rule, [*tried, candidate.name])
            result = await run(attempt)
            served.attempt = attempt
            return result, served
        return None

    def _cache_key(self, call: Call, candidate: Candidate) -> str | None:
        if self.services.cache is None or not (call.cache_read or call.cache_write):
            return None
        outbound = call.outbound[candidate.name]
        if outbound.body is None or outbound.wire:
            return None  # a Responses answer (outbound.wire) is not cached: chat entries only
        return cache_key(
            tenant=call.tenant,
            classification=call.classified.classification,
            provider=candidate.name,
            endpoint=call.endpoint,
            body=outbound.body,
        )

    async def _reserve(self, call: Call, candidate: Candidate, number: int) -> Attempt | Shortfall:
        """An attempt holding the most it can cost (or a cached answer), or the cap that
        cannot take it."""
        services = self.services
        key = self._cache_key(call, candidate)
        if key is not None and services.cache is not None and call.cache_read:
            entry = await services.cache.get(key)
            if entry is not None:
                attempt = self._attempt(call, candidate, number, None)
                attempt.hit, attempt.cache_state, attempt.cache_key = entry, "hit", key
                return attempt
        reservation = None
        if not services.prices.get(candidate.name, candidate.model).is_free:
            try:
                held = await services.budget.reserve(
                    request_id=call.request_id,
                    attempt=number,
                    provider=candidate.name,
                    tenant=call.tenant,
                    pico=candidate.bound_pico,
                )
            except StoreUnavailable:
                # Paid providers fail closed.
                return Shortfall("store", 0, 0, candidate.bound_pico, None)
            if isinstance(held, Shortfall):
                return held
            reservation = held
        attempt = self._attempt(call, candidate, number, reservation)
        if key is not None:
            attempt.cache_key, attempt.cache_state = key, "miss"
        return attempt

    def _attempt(
        self, call: Call, candidate: Candidate, number: int, reservation: Reservation | None
    ) -> Attempt:
        return Attempt(
            services=self.services,
            call=call,
            candidate=candidate,
            outbound=call.outbound[candidate.name],
            number=number,
            reservation=reservation,
            started=self.services.monotonic(),
        )


__all__ = ["Breaker", "Call", "Router", "Served", "UpstreamRejected"]
