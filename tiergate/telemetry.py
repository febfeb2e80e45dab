"""Traces: an OpenTelemetry span per request and per attempt, with the GenAI semantic conventions.

Off by default, and then free: `Tracer` hands out one shared do-nothing span and
this module imports nothing from OpenTelemetry. With `telemetry.otlp_endpoint`
set, `build()` imports the SDK (the `otel` extra: `pip install 'tiergate[otel]'`)
and exports over OTLP/HTTP from the SDK's batch processor, a background thread,
so the event loop never waits on the collector.

Sampled at the head: ParentBased(TraceIdRatioBased(telemetry.sample_ratio)), so a
caller's traceparent decides when it sends one (its sampled flag is honoured either
way) and otherwise that share of requests is traced. A recorded request costs
~190 µs of CPU on the event loop and ~170 µs more in the export thread; one the
ratio drops ~4 µs: its trace id is drawn and judged before the SDK builds anything
(benchmarks/bench_tracing.py: 56 µs a request in all at the default ratio 0.1).

The request span (kind SERVER) is current while the router works, so each
attempt span (kind CLIENT) is its child; an attempt adds its tokens to the
request's totals. Attributes never carry prompt or answer text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import suppress
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .metrics import dollars

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator
    from opentelemetry.trace import Span

    from .config import TelemetryConfig

# gen_ai.system (and its successor gen_ai.provider.name) for each wire protocol.
GENAI_SYSTEM = {"openai": "openai", "ollama": "ollama", "anthropic": "anthropic",
                "azure": "azure.ai.openai"}  # fmt: skip
OPERATION = {"chat": "chat", "embeddings": "embeddings", "responses": "chat", "generate": "text_completion"}  # fmt: skip


class RequestSpan:
    """One request's span; this base class records nothing."""

    __slots__ = ()

    def finish(
        self,
        *,
        provider: str | None,
        protocol: str | None,
        model: str | None,
        tier: int | str | None,
        rule: str,
        classification: str,
        cache: str,
        attempts: int,
        outcome: str,
        status: int,
    ) -> None:
        """End the span with where the request went (provider None: nothing served it)."""


class AttemptSpan:
    """One upstream attempt's span; this base class records nothing."""

    __slots__ = ()

    def finish(
        self,
        *,
        outcome: str,
        input_tokens: int,
        output_tokens: int,
        cost_pico: int,
        status: int | None = None,
    ) -> None:
        """End the span with what the attempt used (outcome "ok" or the failure's kind)."""


_NO_REQUEST = RequestSpan()
_NO_ATTEMPT = AttemptSpan()


class Tracer:
    """Hands out spans. This one is off: every call returns a shared no-op span."""

    enabled = False

    def request(
        self,
        *,
        request_id: str,
        endpoint: str,
        model: str,
        tenant: str | None,
        carrier: Mapping[str, str] | None = None,
    ) -> RequestSpan:
        """A request's span; `carrier`: its headers, whose W3C traceparent becomes the parent."""
        return _NO_REQUEST

    def attempt(
        self, *, number: int, provider: str, protocol: str, model: str, tier: int, rule: str,
        classification: str,
    ) -> AttemptSpan:  # fmt: skip
        return _NO_ATTEMPT

    async def close(self) -> None:
        """Flush what is queued and stop exporting."""


def build(config: TelemetryConfig) -> Tracer:
    """The tracer a config asks for: off without an otlp_endpoint, else OTLP/HTTP export."""
    if not config.otlp_endpoint:
        return Tracer()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError(
            [
                "telemetry.otlp_endpoint: is set but OpenTelemetry is not installed; "
                "run `pip install 'tiergate[otel]'` or remove telemetry.otlp_endpoint"
            ]
        ) from None
    endpoint = config.otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"  # given the collector's base URL
    provider = tracer_provider(config)
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(
                endpoint=endpoint, headers=dict(config.headers), timeout=config.timeout_s
            )
        )
    )
    return OtelTracer(provider)


def tracer_provider(
    config: TelemetryConfig, *, id_generator: IdGenerator | None = None
) -> TracerProvider:
    """An SDK TracerProvider with the config's service name and sampler, and no exporter yet."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    root = TraceIdRatioBased(config.sample_ratio)
    return TracerProvider(
        resource=Resource.create({"service.name": config.service_name}),
        sampler=ParentBased(root),
        id_generator=_predrawn(id_generator or RandomIdGenerator(), root.bound),
    )


def _predrawn(inner: IdGenerator, bound: int) -> IdGenerator:
    """`inner`, able to draw a root's trace id before the SDK asks for it.

    OtelTracer draws the id and applies TraceIdRatioBased's own rule to it: a request the
    ratio drops builds nothing (the SDK's start_span cost ~10 µs even for a dropped span), and
    a kept one hands the SDK that very id, so its sampler reaches the same decision.
    """
    from opentelemetry.sdk.trace.id_generator import IdGenerator

    class Predrawn(IdGenerator):
        def __init__(self) -> None:
            self.bound = bound
            self.drawn: int | None = None

        def draw(self) -> int:
            self.drawn = inner.generate_trace_id()
            return self.drawn

        def generate_trace_id(self) -> int:
            drawn, self.drawn = self.drawn, None
            return drawn if drawn is not None else inner.generate_trace_id()

        def generate_span_id(self) -> int:
            return inner.generate_span_id()

        def is_trace_id_random(self) -> bool:
            return inner.is_trace_id_random()

    return Predrawn()


_LOW_64 = 2**64 - 1  # the part of a trace id TraceIdRatioBased compares with its bound


# The request span current in this task: its attempts' parent, or _Unsampled (no attempt spans).
_current: ContextVar[RequestSpan | None] = ContextVar("tiergate_request_span", default=None)


class OtelTracer(Tracer):
    """Spans through an OpenTelemetry SDK TracerProvider (tests pass one with an in-memory exporter)."""

    enabled = True

    def __init__(self, provider: TracerProvider) -> None:
        from opentelemetry import context, trace

        self._provider = provider
        self._tracer = provider.get_tracer("tiergate")
        ids = getattr(provider, "id_generator", None)
        self._ids = ids if hasattr(ids, "draw") else None  # one tracer_provider() built
        from opentelemetry.propagate import extract

        self._context = context
        self._trace = trace
        self._extract = extract  # the caller's trace (W3C traceparent), if it sent one

    def request(
        self,
        *,
        request_id: str,
        endpoint: str,
        model: str,
        tenant: str | None,
        carrier: Mapping[str, str] | None = None,
    ) -> RequestSpan:
        operation = OPERATION.get(endpoint, endpoint)
        parent = self._extract(carrier) if carrier and "traceparent" in carrier else None
        ids = self._ids
        if parent is None and ids is not None and ids.draw() & _LOW_64 >= ids.bound:
            return _Unsampled()  # the ratio drops this root: nothing is built
        # No attributes for the sampler (a ratio never reads them): built only for a recorded span.
        span = self._tracer.start_span(
            f"{operation} {model}", context=parent, kind=self._trace.SpanKind.SERVER
        )
        if not span.is_recording():
            return _Unsampled()
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": operation,
            "gen_ai.request.model": model,
            "tiergate.request_id": request_id,
            "tiergate.endpoint": endpoint,
        }
        if tenant is not None:
            attributes["tiergate.tenant"] = tenant
        span.set_attributes(attributes)
        ctx = self._trace.set_span_in_context(span)
        return _OtelRequest(span, ctx, operation)

    def attempt(
        self, *, number: int, provider: str, protocol: str, model: str, tier: int, rule: str,
        classification: str,
    ) -> AttemptSpan:  # fmt: skip
        current = _current.get()
        if current is not None and not isinstance(current, _OtelRequest):
            return _NO_ATTEMPT  # the sampler dropped this request: its attempts go with it
        parent = current if isinstance(current, _OtelRequest) else None
        operation = parent.operation if parent else "chat"
        span = self._tracer.start_span(
            f"{operation} {model}",
            context=parent.context if parent else None,
            kind=self._trace.SpanKind.CLIENT,
        )
        if not span.is_recording():
            return _NO_ATTEMPT  # an attempt outside any request span, dropped as a root
        system = GENAI_SYSTEM.get(protocol, protocol)
        span.set_attributes(
            {
                "gen_ai.operation.name": operation,
                "gen_ai.system": system,
                "gen_ai.provider.name": system,
                "gen_ai.request.model": model,
                "tiergate.provider": provider,
                "tiergate.tier": tier,
                "tiergate.attempt": number,
                "tiergate.rule": rule,
                "tiergate.classification": classification,
            }
        )
        return _OtelAttempt(span, parent)

    async def close(self) -> None:
        await asyncio.to_thread(self._provider.shutdown)  # a last export: off the event loop


class _Unsampled(RequestSpan):
    """A request the sampler dropped: current while it runs, so its attempts record nothing."""

    __slots__ = ("_token",)

    def __init__(self) -> None:
        self._token: Token[RequestSpan | None] | None = _current.set(self)

    def finish(self, **_: Any) -> None:
        if self._token is not None:
            with suppress(ValueError):  # finished from another context: nothing to reset
                _current.reset(self._token)
            self._token = None


class _OtelRequest(RequestSpan):
    __slots__ = ("_span", "_token", "context", "cost_pico", "input_tokens", "operation",
                 "output_tokens")  # fmt: skip

    def __init__(self, span: Span, ctx: Context, operation: str) -> None:
        self._span = span
        self.context = ctx
        self.operation = operation
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_pico = 0
        # Current for this task (and the tasks it starts), so attempt spans find their parent.
        self._token: Token[RequestSpan | None] | None = _current.set(self)

    def finish(
        self,
        *,
        provider: str | None,
        protocol: str | None,
        model: str | None,
        tier: int | str | None,
        rule: str,
        classification: str,
        cache: str,
        attempts: int,
        outcome: str,
        status: int,
    ) -> None:
        if self._token is not None:
            # Finished from another context, nothing of ours is current there: nothing to reset.
            with suppress(ValueError):
                _current.reset(self._token)
            self._token = None
        span = self._span
        attributes: dict[str, Any] = {
            "tiergate.rule": rule,
            "tiergate.classification": classification,
            "tiergate.cache": cache,
            "tiergate.attempt": attempts,
            "tiergate.outcome": outcome,
            "http.response.status_code": status,
            "gen_ai.usage.input_tokens": self.input_tokens,
            "gen_ai.usage.output_tokens": self.output_tokens,
            "tiergate.cost_usd": dollars(self.cost_pico),
        }
        if provider is not None:
            attributes["tiergate.provider"] = provider
        if protocol is not None:
            attributes["gen_ai.system"] = attributes["gen_ai.provider.name"] = GENAI_SYSTEM.get(
                protocol, protocol
            )
        if model is not None:
            attributes["gen_ai.response.model"] = model
        if tier is not None:
            attributes["tiergate.tier"] = int(tier) if str(tier).isdigit() else str(tier)
        span.set_attributes(attributes)
        if outcome != "ok":
            from opentelemetry.trace import Status, StatusCode

            span.set_attribute("error.type", outcome)
            span.set_status(Status(StatusCode.ERROR, outcome))
        span.end()


class _OtelAttempt(AttemptSpan):
    __slots__ = ("_parent", "_span")

    def __init__(self, span: Span, parent: _OtelRequest | None) -> None:
        self._span = span
        self._parent = parent

    def finish(
        self,
        *,
        outcome: str,
        input_tokens: int,
        output_tokens: int,
        cost_pico: int,
        status: int | None = None,
    ) -> None:
        span = self._span
        span.set_attributes(
            {
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                "tiergate.outcome": outcome,
                "tiergate.cost_usd": dollars(cost_pico),
            }
        )
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if outcome != "ok":
            from opentelemetry.trace import Status, StatusCode

            span.set_attribute("error.type", outcome)
            span.set_status(Status(StatusCode.ERROR, outcome))
        if self._parent is not None:
            self._parent.input_tokens += input_tokens
            self._parent.output_tokens += output_tokens
            self._parent.cost_pico += cost_pico
        span.end()


__all__ = ["AttemptSpan", "OtelTracer", "RequestSpan", "Tracer", "build", "tracer_provider"]
