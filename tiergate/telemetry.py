"""Traces: an OpenTelemetry span per request and per attempt, with the GenAI semantic conventions.

Off by default, and then free: `Tracer` hands out one shared do-nothing span and
this module imports nothing from OpenTelemetry. With `telemetry.otlp_endpoint`
set, `build()` imports the SDK (the `otel` extra: `pip install 'tiergate[otel]'`)
for its sampler, ids and resource, and exports over OTLP/HTTP from one background
thread (telemetry_otlp), so the event loop never waits on the collector.

Sampled at the head: ParentBased(TraceIdRatioBased(telemetry.sample_ratio)), so a
caller's traceparent decides when it sends one (its sampled flag is honoured either
way) and otherwise that share of requests is traced. A root's trace id is drawn and
judged by TraceIdRatioBased's own rule (its low 64 bits under the ratio's bound), so
a dropped request builds nothing: ~1.2 µs.

A recorded span is not the SDK's Span (whose start, attribute validation and end
cost ~60 µs a span on the event loop): it is a small object holding its ids, times
and the facts its attributes come from. When it ends it goes to a sink, which builds
the attributes (`describe()`) away from the request: telemetry_otlp writes the OTLP
protobuf itself in its thread, or, for an OtelTracer given only a TracerProvider,
telemetry_sdk turns it into the SDK's ReadableSpan for the provider's span processors
(tests read those with the in-memory exporter; both read the same describe(), and a
test holds the OTLP bytes equal to the SDK encoder's for those ReadableSpans).
benchmarks/bench_tracing.py: a recorded request (two spans) ~8 µs on the loop and
~30 µs in all, encoding and posting included; ~5 µs a request in all at the default
ratio 0.1.

The request span (kind SERVER) is current while the router works, so each
attempt span (kind CLIENT) is its child; an attempt adds its tokens to the
request's totals. Attributes never carry prompt or answer text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from time import time_ns
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError
from .metrics import dollars
from .telemetry_sdk import ASK, LOW_64, caller

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.id_generator import IdGenerator
    from opentelemetry.sdk.trace.sampling import Sampler
    from opentelemetry.trace import SpanContext, TraceState

    from .config import TelemetryConfig
    from .telemetry_otlp import Attributes, Finished, OtlpExporter

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
        import opentelemetry.sdk.trace  # noqa: F401
        import requests  # noqa: F401  (what the OTLP/HTTP exporter posts with)
    except ImportError:
        raise ConfigError(
            [
                "telemetry.otlp_endpoint: is set but OpenTelemetry is not installed; "
                "run `pip install 'tiergate[otel]'` or remove telemetry.otlp_endpoint"
            ]
        ) from None
    provider = tracer_provider(config)
    return OtelTracer(provider, sink=otlp_exporter(config, provider))


def otlp_exporter(config: TelemetryConfig, provider: TracerProvider) -> OtlpExporter:
    """tiergate's OTLP/HTTP exporter to config.otlp_endpoint, for spans of `provider`'s resource."""
    from .telemetry_otlp import Encoder, OtlpExporter, encode_resource, encode_scope
    from .telemetry_sdk import SCOPE

    assert config.otlp_endpoint is not None
    endpoint = config.otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"  # given the collector's base URL
    resource, scope = encode_resource(provider.resource.attributes), encode_scope(SCOPE)
    return OtlpExporter(
        endpoint=endpoint,
        headers=dict(config.headers),
        timeout_s=config.timeout_s,
        encoder=Encoder(resource=resource, scope=scope),
    )


def tracer_provider(
    config: TelemetryConfig, *, id_generator: IdGenerator | None = None
) -> TracerProvider:
    """An SDK TracerProvider with the config's service name and sampler, and no exporter yet."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    return TracerProvider(
        resource=Resource.create({"service.name": config.service_name}),
        sampler=ParentBased(TraceIdRatioBased(config.sample_ratio)),
        id_generator=id_generator,
    )


class SpanSink(Protocol):
    """Where finished spans go: telemetry_otlp.OtlpExporter or telemetry_sdk.ProcessorSink."""

    def put(self, span: Finished) -> None:
        """Take a finished span; called on the event loop, so it must not block."""

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Export what is queued; blocks."""

    def shutdown(self) -> None:
        """A last export, then stop; blocks."""


# The request span current in this task: its attempts' parent, or _DROPPED (no attempt spans).
_current: ContextVar[RequestSpan | None] = ContextVar("tiergate_request_span", default=None)


class OtelTracer(Tracer):
    """Spans sampled by an SDK TracerProvider's rules and ids, sent to `sink`.

    Without a sink, they go to the provider's own span processors as ReadableSpans
    (tests add the in-memory exporter there); build() passes the OTLP/HTTP exporter.
    """

    enabled = True

    def __init__(self, provider: TracerProvider, *, sink: SpanSink | None = None) -> None:
        from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision
        from opentelemetry.trace import (
            NonRecordingSpan,
            NoOpTracer,
            SpanContext,
            SpanKind,
            TraceFlags,
            TraceState,
            set_span_in_context,
            span,
        )

        from .telemetry_sdk import SCOPE, ProcessorSink, follows_caller, ratio_bound

        self._provider = provider
        self.sink: SpanSink = sink or ProcessorSink(provider)
        self._put = self.sink.put
        ids = provider.id_generator
        self._trace_id = ids.generate_trace_id
        self._span_id = ids.generate_span_id
        self._sampler: Sampler = provider.sampler
        if isinstance(provider.get_tracer(SCOPE), NoOpTracer):  # OTEL_SDK_DISABLED
            self._sampler = ALWAYS_OFF
        self._bound = ratio_bound(self._sampler)
        self._follows_caller = follows_caller(self._sampler)
        # The caller's span, built as the SDK's W3C TraceContext propagator builds it.
        self._span_context = SpanContext
        self._flags = TraceFlags
        self._trace_state = TraceState
        self._tracestate_limit = getattr(span, "_TRACECONTEXT_MAXIMUM_TRACESTATE_LENGTH", 512)
        self._non_recording = NonRecordingSpan
        self._set_span_in_context = set_span_in_context
        self._kinds = {2: SpanKind.SERVER, 3: SpanKind.CLIENT}
        self._sample = Decision.RECORD_AND_SAMPLE

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
        if carrier is not None and "traceparent" in carrier:
            return self._continued(carrier, request_id, endpoint, operation, model, tenant)
        trace_id = self._trace_id()
        trace_state = None
        if self._bound != ASK:
            if trace_id & LOW_64 >= self._bound:
                _current.set(_DROPPED)  # the ratio drops this root: nothing is built
                return _DROPPED
        else:
            sampled, trace_state = self._ask(None, trace_id, f"{operation} {model}", 2)
            if not sampled:
                _current.set(_DROPPED)
                return _DROPPED
        return _OtelRequest(self._put, trace_id, self._span_id(), None, trace_state, operation,
                            model, request_id, endpoint, tenant)  # fmt: skip

    def _continued(
        self, carrier: Mapping[str, str], request_id: str, endpoint: str, operation: str,
        model: str, tenant: str | None,
    ) -> RequestSpan:  # fmt: skip
        """A request whose caller sent a traceparent: the sampler judges it as a child of it.

        Callers instrumented with OpenTelemetry send one on every request, most of them not
        sampled: with ParentBased's default rule the flags alone decide, and nothing is built.
        """
        ids = caller(carrier["traceparent"])
        if ids is None:  # a root like any other, as the W3C propagator would leave it
            return self.request(request_id=request_id, endpoint=endpoint, model=model,
                                tenant=tenant)  # fmt: skip
        trace_id, span_id, flags = ids
        if self._follows_caller and not flags & 1:
            _current.set(_DROPPED)
            return _DROPPED
        header = carrier.get("tracestate")
        trace_state = None
        if header is not None and len(header) <= self._tracestate_limit:
            trace_state = self._trace_state.from_header([header])
        parent = self._span_context(trace_id, span_id, True, self._flags(flags), trace_state)
        if not self._follows_caller:
            context = self._set_span_in_context(self._non_recording(parent))
            sampled, trace_state = self._ask(context, trace_id, f"{operation} {model}", 2)
            if not sampled:
                _current.set(_DROPPED)
                return _DROPPED
        return _OtelRequest(self._put, trace_id, self._span_id(), parent, trace_state, operation,
                            model, request_id, endpoint, tenant)  # fmt: skip

    def _ask(
        self, context: Context | None, trace_id: int, name: str, kind: int
    ) -> tuple[bool, TraceState | None]:
        """The sampler's decision for a span (its own rule, or the ratio's bound for a root)."""
        if context is None and self._bound != ASK:
            return trace_id & LOW_64 < self._bound, None
        result = self._sampler.should_sample(context, trace_id, name, self._kinds[kind])
        return result.decision is self._sample, result.trace_state

    def attempt(
        self, *, number: int, provider: str, protocol: str, model: str, tier: int, rule: str,
        classification: str,
    ) -> AttemptSpan:  # fmt: skip
        current = _current.get()
        if isinstance(current, _OtelRequest):
            trace_id, trace_state = current.trace_id, current.trace_state
        elif current is not None:
            return _NO_ATTEMPT  # the sampler dropped this request: its attempts go with it
        else:  # an attempt outside any request: a root of its own, sampled like one
            trace_id = self._trace_id()
            sampled, trace_state = self._ask(None, trace_id, f"chat {model}", 3)
            if not sampled:
                return _NO_ATTEMPT
        return _OtelAttempt(self._put, trace_id, self._span_id(), current, trace_state, number,
                            provider, protocol, model, tier, rule, classification)  # fmt: skip

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Export every finished span now; blocks (benchmarks and tests, never the event loop)."""
        return self.sink.force_flush(timeout_s)

    async def close(self) -> None:
        await asyncio.to_thread(self.sink.shutdown)  # a last export: off the event loop


class _Dropped(RequestSpan):
    """A request the sampler dropped: current while it runs, so its attempts record nothing."""

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
    ) -> None:  # every keyword spelled out: **kwargs would build a dict per request
        _current.set(None)


_DROPPED = _Dropped()


class _OtelRequest(RequestSpan):
    """A recorded request: ids, times and facts now; attributes when the sink describes it."""

    __slots__ = ("_put", "cost_pico", "end", "endpoint", "facts", "input_tokens", "model",
                 "operation", "output_tokens", "parent", "request_id", "span_id", "start",
                 "tenant", "trace_id", "trace_state")  # fmt: skip
    is_remote = False  # as the parent of its attempts

    def __init__(
        self, put: Callable[[Finished], None], trace_id: int, span_id: int,
        parent: SpanContext | None, trace_state: TraceState | None, operation: str, model: str,
        request_id: str, endpoint: str, tenant: str | None,
    ) -> None:  # fmt: skip
        self._put = put
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent = parent
        self.trace_state = trace_state
        self.operation = operation
        self.model = model
        self.request_id = request_id
        self.endpoint = endpoint
        self.tenant = tenant
        self.input_tokens = self.output_tokens = self.cost_pico = 0
        self.facts: tuple[Any, ...] = ()
        self.end = 0
        self.start = time_ns()
        # Current for this task (and the tasks it starts), so attempt spans find their parent.
        _current.set(self)

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
        _current.set(None)
        if self.end:
            return
        self.end = time_ns()
        self.facts = (provider, protocol, model, tier, rule, classification, cache, attempts,
                      outcome, status, self.input_tokens, self.output_tokens,
                      self.cost_pico)  # fmt: skip
        self._put(self)

    def describe(self) -> tuple[str, int, Attributes, str | None]:
        (provider, protocol, model, tier, rule, classification, cache, attempts, outcome, status,
         input_tokens, output_tokens, cost_pico) = self.facts  # fmt: skip
        asked: tuple[Any, ...] = ("gen_ai.operation.name", self.operation,
                                  "gen_ai.request.model", self.model,
                                  "tiergate.endpoint", self.endpoint)  # fmt: skip
        if self.tenant is not None:
            asked += ("tiergate.tenant", self.tenant)
        served: tuple[Any, ...] = ("tiergate.rule", rule, "tiergate.classification", classification,
                                   "tiergate.cache", cache, "tiergate.attempt", attempts,
                                   "tiergate.outcome", outcome,
                                   "http.response.status_code", status)  # fmt: skip
        if provider is not None:
            served += ("tiergate.provider", provider)
        if protocol is not None:
            system = GENAI_SYSTEM.get(protocol, protocol)
            served += ("gen_ai.system", system, "gen_ai.provider.name", system)
        if model is not None:
            served += ("gen_ai.response.model", model)
        if tier is not None:
            served += ("tiergate.tier", int(tier) if str(tier).isdigit() else str(tier))
        if outcome != "ok":
            served += ("error.type", outcome)
        used = ("gen_ai.usage.input_tokens", input_tokens, "gen_ai.usage.output_tokens",
                output_tokens, "tiergate.cost_usd", dollars(cost_pico))  # fmt: skip
        groups = (asked, ("tiergate.request_id", self.request_id), served, used)
        return f"{self.operation} {self.model}", 2, groups, None if outcome == "ok" else outcome


class _OtelAttempt(AttemptSpan):
    """A recorded attempt; its parent is the request span (None: an attempt outside any request)."""

    __slots__ = ("_put", "classification", "end", "facts", "model", "number", "parent",
                 "protocol", "provider", "rule", "span_id", "start", "tier", "trace_id",
                 "trace_state")  # fmt: skip

    def __init__(
        self, put: Callable[[Finished], None], trace_id: int, span_id: int,
        parent: _OtelRequest | None, trace_state: TraceState | None, number: int, provider: str,
        protocol: str, model: str, tier: int, rule: str, classification: str,
    ) -> None:  # fmt: skip
        self._put = put
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent = parent
        self.trace_state = trace_state
        self.number = number
        self.provider = provider
        self.protocol = protocol
        self.model = model
        self.tier = tier
        self.rule = rule
        self.classification = classification
        self.facts: tuple[Any, ...] = ()
        self.end = 0
        self.start = time_ns()

    def finish(
        self,
        *,
        outcome: str,
        input_tokens: int,
        output_tokens: int,
        cost_pico: int,
        status: int | None = None,
    ) -> None:
        if self.end:
            return
        self.end = time_ns()
        self.facts = (outcome, input_tokens, output_tokens, cost_pico, status)
        parent = self.parent
        if parent is not None:
            parent.input_tokens += input_tokens
            parent.output_tokens += output_tokens
            parent.cost_pico += cost_pico
        self._put(self)

    def describe(self) -> tuple[str, int, Attributes, str | None]:
        outcome, input_tokens, output_tokens, cost_pico, status = self.facts
        operation = self.parent.operation if self.parent is not None else "chat"
        system = GENAI_SYSTEM.get(self.protocol, self.protocol)
        asked = ("gen_ai.operation.name", operation, "gen_ai.system", system,
                 "gen_ai.provider.name", system, "gen_ai.request.model", self.model,
                 "tiergate.provider", self.provider, "tiergate.tier", self.tier,
                 "tiergate.attempt", self.number, "tiergate.rule", self.rule,
                 "tiergate.classification", self.classification)  # fmt: skip
        used = ("gen_ai.usage.input_tokens", input_tokens, "gen_ai.usage.output_tokens",
                output_tokens, "tiergate.cost_usd", dollars(cost_pico))  # fmt: skip
        ended: tuple[Any, ...] = ("tiergate.outcome", outcome)
        if status is not None:
            ended += ("http.response.status_code", status)
        if outcome != "ok":
            ended += ("error.type", outcome)
        groups = (asked, used, ended)
        return f"{operation} {self.model}", 3, groups, None if outcome == "ok" else outcome


__all__ = ["AttemptSpan", "OtelTracer", "RequestSpan", "SpanSink", "Tracer", "build",
           "otlp_exporter", "tracer_provider"]  # fmt: skip
