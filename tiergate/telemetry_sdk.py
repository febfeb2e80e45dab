"""What tiergate reads from the OpenTelemetry SDK, and ReadableSpans for its span processors.

A TracerProvider's sampler decides the way the SDK would (its rules are read once here:
a ratio's bound for roots, whether a caller's sampled flag decides), and a caller's W3C
traceparent is read as the SDK's TraceContext propagator reads it.

ProcessorSink is the sink of an `OtelTracer` handed a TracerProvider and no exporter:
tests add the SDK's in-memory exporter to the provider, and an application embedding
tiergate can add any processor of its own. Each span is built when it finishes, from
the same `describe()` the OTLP encoder reads, so the in-memory spans are what
telemetry_otlp would send.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.sampling import Sampler

    from .telemetry_otlp import Finished

SCOPE = "tiergate"  # the instrumentation scope's name, as provider.get_tracer(SCOPE) would make it


LOW_64 = 2**64 - 1  # the part of a trace id TraceIdRatioBased compares with its bound
ASK = -1  # no bound of our own: the sampler is asked


def ratio_bound(sampler: Sampler) -> int:
    """TraceIdRatioBased's bound for a root under `sampler`, or ASK when it is another rule."""
    from opentelemetry.sdk.trace.sampling import (
        ALWAYS_OFF,
        ALWAYS_ON,
        ParentBased,
        TraceIdRatioBased,
    )

    root = getattr(sampler, "_root", None) if isinstance(sampler, ParentBased) else sampler
    if isinstance(root, TraceIdRatioBased):
        return root.bound
    if root is ALWAYS_ON:
        return 2**64
    return 0 if root is ALWAYS_OFF else ASK


def follows_caller(sampler: Sampler) -> bool:
    """Whether `sampler` keeps a caller's span exactly when the caller sampled it (ParentBased's
    default), so the traceparent's flags alone decide."""
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

    return (
        isinstance(sampler, ParentBased)
        and getattr(sampler, "_remote_parent_sampled", None) is ALWAYS_ON
        and getattr(sampler, "_remote_parent_not_sampled", None) is ALWAYS_OFF
    )


# W3C traceparent, read as the SDK's TraceContextTextMapPropagator reads it.
_TRACEPARENT = re.compile(
    r"^[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:(-.*)|[ \t]*)$"
)


def caller(traceparent: str) -> tuple[int, int, int] | None:
    """A valid traceparent's (trace id, parent span id, flags); None for an invalid one."""
    if len(traceparent) > 512:
        return None
    match = _TRACEPARENT.search(traceparent)
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if trace_id == "0" * 32 or span_id == "0" * 16 or version == "ff" or (version == "00" and rest):
        return None
    return int(trace_id, 16), int(span_id, 16), int(flags, 16)


class ProcessorSink:
    """Hands each finished span to a TracerProvider's span processors, as the SDK's Span.end."""

    def __init__(self, provider: TracerProvider) -> None:
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        self._provider = provider
        # The SDK's Span hands itself to this same object when it ends; there is no public getter.
        self._processor = provider._active_span_processor
        self._resource = provider.resource
        self._scope = InstrumentationScope(SCOPE, "")
        self._readable = ReadableSpan
        self._context = SpanContext
        self._kinds = {2: SpanKind.SERVER, 3: SpanKind.CLIENT}  # OTLP's numbers
        self._sampled = TraceFlags(TraceFlags.SAMPLED)
        self._status = Status
        self._error = StatusCode.ERROR
        self._unset = Status(StatusCode.UNSET)

    def readable(self, span: Finished) -> ReadableSpan:
        """The span as the SDK would have recorded it."""
        name, kind, groups, error = span.describe()
        trace_state = span.trace_state
        context = self._context(span.trace_id, span.span_id, False, self._sampled, trace_state)
        parent = span.parent
        if parent is not None and not isinstance(parent, self._context):  # the request span
            parent = self._context(span.trace_id, parent.span_id, False, self._sampled, trace_state)
        return self._readable(
            name=name,
            context=context,
            parent=parent,
            resource=self._resource,
            attributes={
                k: v for group in groups for k, v in zip(group[::2], group[1::2], strict=True)
            },
            kind=self._kinds[kind],
            status=self._unset if error is None else self._status(self._error, error),
            start_time=span.start,
            end_time=span.end,
            instrumentation_scope=self._scope,
        )

    def put(self, span: Finished) -> None:
        self._processor.on_end(self.readable(span))

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        return self._provider.force_flush(int(timeout_s * 1000))

    def shutdown(self) -> None:
        self._provider.shutdown()


__all__ = ["ASK", "LOW_64", "SCOPE", "ProcessorSink", "caller", "follows_caller", "ratio_bound"]
