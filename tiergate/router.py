"""Walks a Decision's candidates: reserve, call, settle, record — the ONLY fallback loop.

Every attempt goes: skip if its circuit is open (unless it is the last resort)
-> reserve the most it can cost (paid providers) -> call -> settle what the
provider reported -> one ledger row. Only retryable errors move on to the next
candidate. A stream moves on only before its first chunk; after that a failure
ends the stream with an explicit SSE error event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from .budget import Budget, Reservation
from .errors import (
    AllProvidersFailed,
    BudgetExhausted,
    FailedAttempt,
    StoreUnavailable,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
)
from .hints import Classified
from .ledger import AttemptRecord
from .metrics import Metrics
from .policy import Candidate, Decision
from .pricing import PriceBook, cost_micros
from .protocols import MalformedResponse, UntranslatableRequest
from .protocols import get as get_protocol
from .types import Usage
from .upstream import Stream, Upstream

log = logging.getLogger("tiergate.router")

# The last candidate's 429 is worth one wait when the provider says it will be back this soon.
MAX_RETRY_AFTER_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class Call:
    """One request on its way through the router."""

    request_id: str
    endpoint: str  # "chat" | "embeddings"
    body: dict[str, Any]  # the caller's OpenAI body, hints removed
    decision: Decision
    classified: Classified
    tenant: str | None
    created: int
    stream: bool = False
    include_usage: bool = False


@dataclass(slots=True)
class Served:
    """Where a request went, for the x-tiergate-* headers and the metrics."""

    candidate: Candidate
    rule: str
    attempts: list[str]
    cost_micros: int = 0


class Clock(Protocol):
    def __call__(self) -> float: ...


@dataclass(slots=True)
class Breaker:
    """Consecutive failures open the circuit for a cool-down; one success closes it."""

    failures: int = 0
    open_until: float = 0.0

    def is_open(self, now: float) -> bool:
        return now < self.open_until

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = 0.0

    def failed(
        self, now: float, *, threshold: int, cooldown_s: float, retry_after_s: float | None
    ) -> None:
        self.failures += 1
        if self.failures >= threshold:
            self.open_until = max(self.open_until, now + cooldown_s)
        if retry_after_s:
            self.open_until = max(self.open_until, now + retry_after_s)


@dataclass(slots=True)
class _Attempt:
    candidate: Candidate
    number: int
    reservation: Reservation | None
    started: float


@dataclass(slots=True)
class Router:
    upstream: Upstream
    budget: Budget
    prices: PriceBook
    metrics: Metrics
    reject_over_budget: bool = False
    monotonic: Clock = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    in_flight: dict[str, int] = field(default_factory=dict)
    breakers: dict[str, Breaker] = field(default_factory=dict)

    def breaker(self, provider: str) -> Breaker:
        found = self.breakers.get(provider)
        if found is None:
            found = self.breakers[provider] = Breaker()
        return found

    # -- the loop ---------------------------------------------------------------------------

    async def serve(self, call: Call) -> tuple[dict[str, Any], Served]:
        """A non-streaming chat completion or embeddings request."""
        result: tuple[dict[str, Any], Served] | None = None

        async def attempt(served: Served, current: _Attempt) -> None:
            nonlocal result
            result = await self._complete(call, served, current)

        await self._walk(call, attempt)
        assert result is not None
        return result

    async def open_stream(self, call: Call) -> tuple[AsyncIterator[bytes], Served]:
        """A streaming chat completion: falls back until a provider's first chunk is in hand."""
        opened: tuple[AsyncIterator[bytes], Served] | None = None

        async def attempt(served: Served, current: _Attempt) -> None:
            nonlocal opened
            opened = await self._open(call, served, current)

        await self._walk(call, attempt)
        assert opened is not None
        return opened

    async def _walk(
        self, call: Call, attempt: Callable[[Served, _Attempt], Awaitable[None]]
    ) -> None:
        candidates = call.decision.candidates
        failed: list[FailedAttempt] = []
        tried: list[str] = []
        rule = call.decision.rule
        shortfall = ""
        for index, candidate in enumerate(candidates):
            name = candidate.name
            last = index == len(candidates) - 1
            if not last and self.breaker(name).is_open(self.monotonic()):
                failed.append(FailedAttempt(name, "circuit_open", "skipped during its cool-down"))
                continue
            current = await self._reserve(call, candidate, len(tried) + 1)
            if current is None:
                shortfall = self.budget.shortfall(name, call.tenant, candidate.bound_micros)
                failed.append(FailedAttempt(name, "budget", shortfall))
                if index == 0:
                    rule = "budget"  # the cap, not the routing rule, decided where this goes
                if self.reject_over_budget:
                    raise BudgetExhausted(shortfall)
                continue
            tried.append(name)
            served = Served(candidate, rule, tried)
            try:
                await attempt(served, current)
                return
            except UpstreamError as exc:
                await self._failed(call, current, exc)
                error = exc
            wait = error.retry_after_s
            if last and wait is not None and wait <= MAX_RETRY_AFTER_WAIT_S:
                # The last resort asked us to come back shortly: one more try after the wait.
                await self.sleep(wait)
                retry = await self._reserve(call, candidate, len(tried) + 1)
                if retry is not None:
                    tried.append(name)
                    try:
                        await attempt(served, retry)
                        return
                    except UpstreamError as exc:
                        await self._failed(call, retry, exc)
                        error = exc
            failed.append(FailedAttempt(name, error.kind, error.message, error.status))
            if not error.retryable:
                raise error
            if not last:
                self.metrics.fallback(name, error.kind)
        raise AllProvidersFailed(
            failed, reason=shortfall or "no provider is allowed to serve this request"
        )

    async def _reserve(self, call: Call, candidate: Candidate, number: int) -> _Attempt | None:
        """Reserve the most this attempt can cost; None when a cap cannot take it."""
        reservation: Reservation | None = None
        if not self.prices.get(candidate.name, candidate.model).is_free:
            try:
                reservation = await self.budget.reserve(
                    request_id=call.request_id,
                    attempt=number,
                    provider=candidate.name,
                    tenant=call.tenant,
                    micros=candidate.bound_micros,
                )
            except StoreUnavailable:
                return None  # paid providers fail closed
            if reservation is None:
                return None
        return _Attempt(candidate, number, reservation, self.monotonic())

    # -- one attempt ------------------------------------------------------------------------

    async def _complete(
        self, call: Call, served: Served, current: _Attempt
    ) -> tuple[dict[str, Any], Served]:
        candidate = current.candidate
        protocol = get_protocol(candidate.provider.protocol)
        self._enter(candidate.name)
        try:
            if call.endpoint == "embeddings":
                body = _encode(
                    candidate, lambda: protocol.encode_embed(call.body, model=candidate.model)
                )
                payload = await self.upstream.post(candidate.provider, protocol.EMBED_PATH, body)
                response, usage = _decode(
                    candidate,
                    lambda: protocol.decode_embed(
                        payload,
                        model=candidate.model,
                        encoding_format=call.body.get("encoding_format"),
                    ),
                )
            else:
                body = _encode(
                    candidate,
                    lambda: protocol.encode_chat(
                        call.body,
                        model=candidate.model,
                        max_tokens=candidate.max_tokens,
                        stream=False,
                    ),
                )
                payload = await self.upstream.post(candidate.provider, protocol.CHAT_PATH, body)
                response, usage = _decode(
                    candidate,
                    lambda: protocol.decode_chat(
                        payload,
                        model=candidate.model,
                        request_id=call.request_id,
                        created=call.created,
                    ),
                )
        finally:
            self._leave(candidate.name)
        served.cost_micros = await self._succeeded(call, served, current, usage, "ok")
        return response, served

    async def _open(
        self, call: Call, served: Served, current: _Attempt
    ) -> tuple[AsyncIterator[bytes], Served]:
        candidate = current.candidate
        protocol = get_protocol(candidate.provider.protocol)
        body = _encode(
            candidate,
            lambda: protocol.encode_chat(
                call.body, model=candidate.model, max_tokens=candidate.max_tokens, stream=True
            ),
        )
        decoder = protocol.ChatStream(
            model=candidate.model,
            request_id=call.request_id,
            created=call.created,
            include_usage=call.include_usage,
        )
        self._enter(candidate.name)
        try:
            upstream = await self.upstream.open_stream(candidate.provider, protocol.CHAT_PATH, body)
        except BaseException:
            self._leave(candidate.name)
            raise
        lines = upstream.lines()
        first: list[dict[str, Any]] = []
        try:
            while not first and not decoder.done:
                line = await anext(lines, None)
                if line is None:
                    raise UpstreamUnavailable(
                        "the stream ended before any answer", provider=candidate.name
                    )
                first = _feed(candidate, decoder, line)
        except BaseException:
            upstream.close()
            self._leave(candidate.name)
            raise
        return self._relay(call, served, current, upstream, lines, decoder, first), served

    async def _relay(
        self,
        call: Call,
        served: Served,
        current: _Attempt,
        upstream: Stream,
        lines: AsyncIterator[bytes],
        decoder: Any,
        first: list[dict[str, Any]],
    ) -> AsyncIterator[bytes]:
        """The SSE body: chunks as they come, then the ledger row, then [DONE] — or an error event."""
        candidate = current.candidate
        settled = False
        try:
            for chunk in first:
                yield _sse(chunk)
            error: UpstreamError | None = None
            try:
                while not decoder.done:
                    line = await anext(lines, None)
                    if line is None:
                        raise UpstreamUnavailable(
                            "the stream ended without its final chunk", provider=candidate.name
                        )
                    for chunk in _feed(candidate, decoder, line):
                        yield _sse(chunk)
            except UpstreamError as exc:
                error = exc
            upstream.close()
            self._leave(candidate.name)
            settled = True
            if error is not None:
                await asyncio.shield(self._settle(call, current, None, "cut", cut=True))
                self.metrics.attempt(candidate.name, "cut")
                yield _sse(
                    {
                        "error": {
                            "message": f"The answer from {candidate.name} broke off: {error.message}. "
                            "It is incomplete; retry the request.",
                            "type": "server_error",
                            "param": None,
                            "code": "stream_interrupted",
                        }
                    }
                )
                return
            tail = getattr(decoder, "finish", None)
            for chunk in tail() if tail else ():
                yield _sse(chunk)
            served.cost_micros = await asyncio.shield(
                self._succeeded(call, served, current, decoder.usage, "ok")
            )
            yield b"data: [DONE]\n\n"
        finally:
            if not settled:  # the client went away or the server is stopping
                upstream.close()
                self._leave(candidate.name)
                await asyncio.shield(
                    self._settle(call, current, decoder.usage, "client_closed", cut=True)
                )

    # -- bookkeeping ------------------------------------------------------------------------

    def _enter(self, provider: str) -> None:
        self.in_flight[provider] = self.in_flight.get(provider, 0) + 1

    def _leave(self, provider: str) -> None:
        self.in_flight[provider] -= 1

    async def _succeeded(
        self, call: Call, served: Served, current: _Attempt, usage: Usage | None, outcome: str
    ) -> int:
        self.breaker(current.candidate.name).succeeded()
        self.metrics.attempt(current.candidate.name, outcome)
        return await self._settle(call, current, usage, outcome)

    async def _failed(self, call: Call, current: _Attempt, exc: UpstreamError) -> None:
        provider = current.candidate.provider
        if exc.kind != "unsupported":
            self.breaker(provider.name).failed(
                self.monotonic(),
                threshold=provider.breaker_failures,
                cooldown_s=provider.breaker_cooldown_s,
                retry_after_s=exc.retry_after_s,
            )
        self.metrics.attempt(provider.name, exc.kind)
        # A provider that timed out or broke off may still bill what it did: charge the reservation.
        charge = exc.kind == "timeout" or isinstance(exc, _Malformed)
        await self._settle(call, current, None, exc.kind, cut=charge, status=exc.status)

    async def _settle(
        self,
        call: Call,
        current: _Attempt,
        usage: Usage | None,
        outcome: str,
        *,
        cut: bool = False,
        status: int | None = None,
    ) -> int:
        candidate = current.candidate
        price = self.prices.get(candidate.name, candidate.model)
        usage_missing = usage is None and (outcome == "ok" or cut)
        if usage is not None:
            cost = cost_micros(usage, price)
        elif usage_missing:
            cost = candidate.bound_micros  # nothing reported: charge the whole reservation
        else:
            cost = 0
        record = AttemptRecord(
            request_id=call.request_id,
            attempt=current.number,
            tenant=call.tenant,
            provider=candidate.name,
            model=candidate.model,
            tier=candidate.provider.tier,
            rule=call.decision.rule,
            classification=call.classified.classification,
            classification_source=call.classified.source,
            egress=not candidate.provider.on_premises,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cost_micros=cost,
            reserved_micros=current.reservation.micros if current.reservation else 0,
            latency_ms=(self.monotonic() - current.started) * 1000.0,
            outcome=outcome,
            usage_missing=usage_missing,
            status=status,
            endpoint=call.endpoint,
        )
        if outcome not in ("ok", "client_closed"):
            # Facts only: an upstream's error text can quote the prompt, so it stays out of logs.
            log.warning(
                "upstream attempt failed",
                extra={"event": "upstream.attempt_failed", "request_id": call.request_id,
                       "attempt": current.number, "provider": candidate.name,
                       "model": candidate.model, "kind": outcome, "status": status},
            )  # fmt: skip
        if current.reservation is not None:
            await self.budget.settle(current.reservation, record)
        else:
            await self.budget.record(record)
        return cost


class _Malformed(UpstreamUnavailable):
    kind = "malformed"


class _Unsupported(UpstreamUnavailable):
    """This provider's protocol cannot express the request; nothing was sent, so the next may serve it."""

    kind = "unsupported"


def _encode(candidate: Candidate, encode: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return encode()
    except UntranslatableRequest as exc:
        raise _Unsupported(str(exc), provider=candidate.name) from None


def _decode(
    candidate: Candidate, decode: Callable[[], tuple[dict[str, Any], Usage | None]]
) -> tuple[dict[str, Any], Usage | None]:
    try:
        return decode()
    except MalformedResponse as exc:
        raise _Malformed(f"malformed answer: {exc}", provider=candidate.name) from None


def _feed(candidate: Candidate, decoder: Any, line: bytes) -> list[dict[str, Any]]:
    try:
        chunks: list[dict[str, Any]] = decoder.feed(line)
    except MalformedResponse as exc:
        raise _Malformed(f"malformed stream: {exc}", provider=candidate.name) from None
    return chunks


def _sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


__all__ = ["Breaker", "Call", "Router", "Served", "UpstreamRejected"]
