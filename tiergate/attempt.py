"""One attempt as an object: reserve -> call -> relay -> settle, with cleanup on every exit.

An attempt is one upstream call for one candidate. Its stages:

- reserve: the most it can cost, held under every cap before anything is sent (paid providers);
- call: the exact bytes the gateway scanned and counted; a whole answer is read, a stream up to
  its first chunk (until then a failure can still fall back to the next candidate);
- relay: a stream's remaining chunks, as they come;
- settle: what the provider reported, exactly once, whatever happened.

Settling runs on every exit: an answer, any exception, the caller leaving (cancellation), a
stream whose body was never iterated (`Relay.aclose`). What is charged:

- the usage the provider reported, when it reported any;
- nothing, when nothing reached the provider or it refused with an HTTP status;
- the whole reservation (flagged usage_missing) for every other failure after sending — a
  timeout, a dropped connection, an unreadable answer, the caller leaving — because the
  provider may have billed it.

Once an answer exists it is delivered: a ledger write that cannot complete at once is retried
by the budget in the background while the reservation stays held, and the response says
`x-tiergate-ledger: pending`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from .budget import Budget
from .cache import Entry, ResponseCache
from .coalesce import Coalescer
from .errors import UpstreamError, UpstreamMalformed, UpstreamUnavailable, UpstreamUnsupported
from .metrics import Metrics
from .outbound import Outbound, protocol_of
from .policy import Candidate
from .pricing import PriceBook, cost_pico
from .protocols import ChatStream, MalformedResponse, usage_object
from .stores import AttemptRecord, Reservation
from .telemetry import AttemptSpan, Tracer
from .types import Usage
from .upstream import Stream, Upstream

if TYPE_CHECKING:
    from .router import Call

log = logging.getLogger("tiergate.attempt")

# How long an answer waits for its ledger row before it leaves marked `x-tiergate-ledger: pending`.
SETTLE_WAIT_S = 1.0


async def wait_briefly(future: asyncio.Future[Any], timeout: float) -> None:
    """Wait until `future` is done or `timeout` seconds passed, whichever is first; never
    cancels `future`. asyncio.wait({future}, timeout=...) without its set, task and
    callback bookkeeping, which cost ~10 us on every request."""
    if future.done():
        return
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = asyncio.get_running_loop().call_later(timeout, wake)
    future.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(wake)


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
class Services:
    """What every attempt of one gateway shares."""

    upstream: Upstream
    budget: Budget
    prices: PriceBook
    metrics: Metrics
    tracer: Tracer = field(default_factory=Tracer)
    cache: ResponseCache | None = None
    coalescer: Coalescer | None = None  # embeddings micro-batching (embed_batch_window_ms)
    monotonic: Callable[[], float] = time.monotonic
    in_flight: dict[str, int] = field(default_factory=dict)
    breakers: dict[str, Breaker] = field(default_factory=dict)

    def breaker(self, provider: str) -> Breaker:
        found = self.breakers.get(provider)
        if found is None:
            found = self.breakers[provider] = Breaker()
        return found


@dataclass(slots=True)
class Attempt:
    """One upstream call for one candidate; build it with `Attempt.reserve`."""

    services: Services
    call: Call
    candidate: Candidate
    outbound: Outbound
    number: int
    reservation: Reservation | None
    started: float
    first_at: float | None = None
    cost_pico: int = 0
    outcome: str = ""
    settled: bool = False
    ledger: asyncio.Future[None] | None = None  # the row, durable once this resolves
    span: AttemptSpan | None = None
    cache_key: str | None = None  # set when the answer may be read from and written to the cache
    cache_state: str = "bypass"  # hit | miss | stale | bypass
    hit: Entry | None = None  # the cached answer this attempt serves instead of calling
    _inside: bool = False

    def __post_init__(self) -> None:
        tracer = self.services.tracer
        if not tracer.enabled:
            return  # tracing is off: no span (settle finishes one only if there is one)
        candidate, call = self.candidate, self.call
        self.span = tracer.attempt(
            number=self.number,
            provider=candidate.name,
            protocol=candidate.provider.protocol,
            model=candidate.model,
            tier=candidate.provider.tier,
            rule=call.decision.rule,
            classification=call.classified.classification,
        )

    @property
    def name(self) -> str:
        return self.candidate.name

    @property
    def ledger_pending(self) -> bool:
        """The answer leaves before its row is durable (the store is slow or unreachable)."""
        return self.ledger is not None and not self.ledger.done()

    # -- call ------------------------------------------------------------------------------

    async def complete(self) -> dict[str, Any]:
        """A whole answer (chat or embeddings), settled before it is returned."""
        call, candidate, outbound = self.call, self.candidate, self.outbound
        if self.hit is not None:
            await self._served_from_cache(self.hit)
            return _renamed(self.hit.response, call)
        protocol = protocol_of(outbound.wire or candidate.provider.protocol)
        path = protocol.EMBED_PATH if call.endpoint == "embeddings" else protocol.CHAT_PATH
        self.enter()
        try:
            coalescer = self.services.coalescer
            if (
                call.endpoint == "embeddings"
                and coalescer is not None
                and coalescer.applies(candidate.provider)
            ):
                payload = await coalescer.post(candidate.provider, path, outbound)
            else:
                payload = await self.services.upstream.post(
                    candidate.provider, path, outbound.payload, model=candidate.model
                )
            try:
                if call.endpoint == "embeddings":
                    response, usage = protocol.decode_embed(
                        payload,
                        model=candidate.model,
                        encoding_format=call.body.get("encoding_format"),
                    )
                else:
                    response, usage = protocol.decode_chat(
                        payload,
                        model=candidate.model,
                        request_id=call.request_id,
                        created=call.created,
                    )
            except MalformedResponse as exc:
                raise UpstreamMalformed(
                    f"malformed answer: {exc}", provider=self.name, billable=True
                ) from None
        except BaseException as exc:
            self.leave()
            await self.failed(exc)
            raise
        self.leave()
        await self._succeeded(usage)
        self.remember(response, usage)
        return response

    async def open(self) -> Relay | Replay:
        """A stream, once its first chunk is in hand: a failure before that can still fall back."""
        call, candidate, outbound = self.call, self.candidate, self.outbound
        if self.hit is not None:
            await self._served_from_cache(self.hit)
            return Replay(replay_chunks(_renamed(self.hit.response, call), call.include_usage))
        protocol = protocol_of(outbound.wire or candidate.provider.protocol)
        decoder = protocol.ChatStream(
            model=candidate.model,
            request_id=call.request_id,
            created=call.created,
            include_usage=call.include_usage,
        )
        self.enter()
        upstream: Stream | None = None
        try:
            upstream = await self.services.upstream.open_stream(
                candidate.provider, protocol.CHAT_PATH, outbound.payload, model=candidate.model
            )
            lines = upstream.lines()
            first: list[dict[str, Any]] = []
            while not first and not decoder.done:
                line = await anext(lines, None)
                if line is None:
                    raise UpstreamUnavailable(
                        "the stream ended before any answer", provider=self.name, billable=True
                    )
                first = self.feed(decoder, line)
        except BaseException as exc:
            if upstream is not None:
                upstream.close()
            self.leave()
            await self.failed(exc)
            raise
        self.first_at = self.services.monotonic()
        return Relay(self, upstream, lines, decoder, first)

    # -- cache -----------------------------------------------------------------------------

    async def _served_from_cache(self, entry: Entry) -> None:
        self.services.metrics.cache_hit(
            provider=self.name, tenant=self.call.tenant, saved_pico=entry.cost_pico
        )
        await self.settle(None, "ok", charge=False)

    def remember(self, response: dict[str, Any], usage: Usage | None) -> None:
        """Keep a fresh answer for the next identical request (when this one may be cached)."""
        cache = self.services.cache
        if cache is None or self.cache_key is None or not self.call.cache_write:
            return
        cache.put(
            self.cache_key,
            Entry(
                response=response,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                cost_pico=self.cost_pico,
                fresh_until=time.time() + cache.config.ttl_s,
            ),
            sensitive=self.call.sensitive,
        )

    # -- settle ----------------------------------------------------------------------------

    async def failed(self, exc: BaseException) -> None:
        """Book a failed call: the breaker (retryable failures only), metrics, the ledger."""
        if isinstance(exc, UpstreamError):
            kind, charge, status = exc.kind, exc.billable, exc.status
            if exc.retryable and not isinstance(exc, UpstreamUnsupported):
                provider = self.candidate.provider
                self.services.breaker(self.name).failed(
                    self.services.monotonic(),
                    threshold=provider.breaker_failures,
                    cooldown_s=provider.breaker_cooldown_s,
                    retry_after_s=exc.retry_after_s,
                )
        elif isinstance(exc, asyncio.CancelledError | GeneratorExit):
            kind, charge, status = "client_closed", True, None
        else:
            kind, charge, status = "error", True, None
        self.services.metrics.attempt(self.name, kind)
        await self.settle(None, kind, charge=charge, status=status)

    async def _succeeded(self, usage: Usage | None) -> None:
        self.services.breaker(self.name).succeeded()
        self.services.metrics.attempt(self.name, "ok")
        await self.settle(usage, "ok", charge=True)

    async def settle(
        self, usage: Usage | None, outcome: str, *, charge: bool, status: int | None = None
    ) -> None:
        """Write this attempt's one row (exactly once) and wait briefly for it to be durable."""
        if self.settled:
            return
        self.settled = True
        self.outcome = outcome
        candidate = self.candidate
        price = self.services.prices.get(candidate.name, candidate.model)
        usage_missing = usage is None and charge
        if usage is not None:
            cost = cost_pico(usage, price)
        elif usage_missing:
            cost = candidate.bound_pico  # nothing reported: charge the whole reservation
        else:
            cost = 0
        self.cost_pico = cost
        call = self.call
        now = self.services.monotonic()
        if self.hit is not None:
            # A replayed answer costs nothing; its row keeps the usage it represents, which is
            # what `tiergate spend` prices as the cache's savings.
            usage = Usage(self.hit.prompt_tokens, self.hit.completion_tokens)
        record = AttemptRecord(
            request_id=call.request_id,
            attempt=self.number,
            tenant=call.tenant,
            provider=candidate.name,
            model=candidate.model,
            tier=candidate.provider.tier,
            rule=call.decision.rule,
            classification=call.classified.classification,
            classification_source=call.classified.source,
            egress=self.hit is None and not candidate.provider.on_premises,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cost_pico=cost,
            reserved_pico=self.reservation.pico if self.reservation else 0,
            latency_ms=(now - self.started) * 1000.0,
            outcome=outcome,
            usage_missing=usage_missing,
            status=status,
            endpoint=call.endpoint,
            cache=self.cache_state,
            ttft_ms=(self.first_at - self.started) * 1000.0 if self.first_at else None,
        )
        if outcome not in ("ok", "client_closed"):
            # Facts only: an upstream's error text can quote the prompt, so it stays out of logs.
            log.warning(
                "upstream attempt failed",
                extra={"event": "upstream.attempt_failed", "request_id": call.request_id,
                       "attempt": self.number, "provider": candidate.name,
                       "model": candidate.model, "kind": outcome, "status": status},
            )  # fmt: skip
        self.services.metrics.usage(
            provider=candidate.name, model=candidate.model, tenant=call.tenant,
            input_tokens=record.prompt_tokens, output_tokens=record.completion_tokens,
            cost_pico=cost,
        )  # fmt: skip
        if self.span is not None:
            self.span.finish(
                outcome=outcome,
                input_tokens=record.prompt_tokens,
                output_tokens=record.completion_tokens,
                cost_pico=cost,
                status=status,
            )
        budget = self.services.budget
        if self.reservation is not None:
            self.ledger = budget.settle(self.reservation, record)
            # The reservation stays held until the row is durable; an answer waits a little
            # for it, then leaves marked pending.
            await wait_briefly(self.ledger, SETTLE_WAIT_S)
        else:
            # A free attempt's row is group-committed after the answer, off its path.
            self.ledger = budget.record(record)

    # -- bookkeeping -----------------------------------------------------------------------

    def enter(self) -> None:
        self._inside = True
        in_flight = self.services.in_flight
        in_flight[self.name] = in_flight.get(self.name, 0) + 1

    def leave(self) -> None:
        if self._inside:
            self._inside = False
            self.services.in_flight[self.name] -= 1

    def feed(self, decoder: ChatStream, line: bytes) -> list[dict[str, Any]]:
        try:
            return decoder.feed(line)
        except MalformedResponse as exc:
            raise UpstreamMalformed(
                f"malformed stream: {exc}", provider=self.name, billable=True
            ) from None


class Relay:
    """A stream's SSE body: chunks as they come, then the row, then [DONE] — or an error event.

    `aclose()` settles the attempt whatever happened before, including a body that was never
    iterated (the caller left before the first byte went out).
    """

    def __init__(
        self,
        attempt: Attempt,
        upstream: Stream,
        lines: AsyncIterator[bytes],
        decoder: ChatStream,
        first: list[dict[str, Any]],
    ) -> None:
        self.attempt = attempt
        self._upstream = upstream
        self._transcript = Transcript() if attempt.cache_key is not None else None
        self._body = self._relay(lines, decoder, first)

    def __aiter__(self) -> Relay:
        return self

    def __anext__(self) -> Awaitable[bytes]:
        return self._body.__anext__()  # no coroutine of our own per chunk

    async def aclose(self) -> None:
        try:
            await self._body.aclose()
        finally:
            await self._end()
            if not self.attempt.settled:  # never iterated, or closed mid-way: the caller left
                await asyncio.shield(self.attempt.failed(asyncio.CancelledError()))

    async def _end(self) -> None:
        self._upstream.close()
        self.attempt.leave()

    async def _relay(
        self, lines: AsyncIterator[bytes], decoder: ChatStream, first: list[dict[str, Any]]
    ) -> AsyncGenerator[bytes, None]:
        attempt = self.attempt
        transcript = self._transcript
        for chunk in first:
            if transcript is not None:
                transcript.add(chunk)
            yield _sse(chunk)
        try:
            while not decoder.done:
                line = await anext(lines, None)
                if line is None:
                    raise UpstreamUnavailable(
                        "the stream ended without its final chunk",
                        provider=attempt.name,
                        billable=True,
                    )
                for chunk in attempt.feed(decoder, line):
                    if transcript is not None:
                        transcript.add(chunk)
                    yield _sse(chunk)
        except UpstreamError as exc:
            await self._end()
            await asyncio.shield(attempt.settle(None, "cut", charge=True))
            attempt.services.metrics.attempt(attempt.name, "cut")
            yield _sse(
                {
                    "error": {
                        "message": f"The answer from {attempt.name} broke off: {exc.message}. "
                        "It is incomplete; retry the request.",
                        "type": "server_error",
                        "param": None,
                        "code": "stream_interrupted",
                    }
                }
            )
            return
        await self._end()
        finish = getattr(decoder, "finish", None)
        for chunk in finish() if finish else ():
            yield _sse(chunk)
        await asyncio.shield(attempt._succeeded(decoder.usage))
        if transcript is not None:
            attempt.remember(
                transcript.completion(attempt.call, attempt.candidate.model, decoder.usage),
                decoder.usage,
            )
        yield b"data: [DONE]\n\n"


class Replay:
    """A cached answer streamed as chunks, then [DONE]: what a live stream would have sent."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self._pieces = iter([*(_sse(c) for c in chunks), b"data: [DONE]\n\n"])

    def __aiter__(self) -> Replay:
        return self

    async def __anext__(self) -> bytes:
        try:
            return next(self._pieces)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self._pieces = iter(())


class Transcript:
    """Rebuilds a chat.completion from the chunks of a stream, to cache it."""

    def __init__(self) -> None:
        self._choices: dict[int, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        for choice in chunk.get("choices") or ():
            index = choice.get("index", 0)
            into = self._choices.setdefault(
                index, {"index": index, "content": [], "tool_calls": {}, "finish_reason": None}
            )
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                into["content"].append(delta["content"])
            for call in delta.get("tool_calls") or ():
                slot = into["tool_calls"].setdefault(
                    call.get("index", 0),
                    {"id": None, "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                into["finish_reason"] = choice["finish_reason"]

    def completion(self, call: Call, model: str, usage: Usage | None) -> dict[str, Any]:
        choices = []
        for index in sorted(self._choices):
            got = self._choices[index]
            calls = [got["tool_calls"][k] for k in sorted(got["tool_calls"])]
            text = "".join(got["content"])
            message: dict[str, Any] = {
                "role": "assistant",
                "content": text if text or not calls else None,
                "refusal": None,
            }
            if calls:
                message["tool_calls"] = calls
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": got["finish_reason"] or "stop",
                }
            )
        response: dict[str, Any] = {
            "id": call.request_id,
            "object": "chat.completion",
            "created": call.created,
            "model": model,
            "choices": choices,
        }
        if usage is not None:
            response["usage"] = usage_object(usage)
        return response


def replay_chunks(response: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """The chunks a stream of `response` would have carried (one content delta per choice)."""
    head: dict[str, Any] = {k: response[k] for k in ("id", "created", "model") if k in response}
    head["object"] = "chat.completion.chunk"
    chunks: list[dict[str, Any]] = []
    for choice in response.get("choices") or ():
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {**call, "index": i} for i, call in enumerate(message["tool_calls"])
            ]
        index = choice.get("index", 0)
        chunks.append(
            {**head, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}
        )
        chunks.append(
            {
                **head,
                "choices": [
                    {"index": index, "delta": {}, "finish_reason": choice.get("finish_reason")}
                ],
            }
        )
    if include_usage:
        for chunk in chunks:
            chunk["usage"] = None
        chunks.append({**head, "choices": [], "usage": response.get("usage")})
    return chunks


def _renamed(response: dict[str, Any], call: Call) -> dict[str, Any]:
    """A cached answer as this request's own: its id and time."""
    renamed = dict(response)
    if call.endpoint == "chat":
        renamed["id"] = call.request_id
        renamed["created"] = call.created
    return renamed


def _sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


__all__ = ["Attempt", "Breaker", "Relay", "Replay", "Services", "Transcript"]
