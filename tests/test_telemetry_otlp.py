"""tiergate's OTLP/HTTP exporter: the protobuf it writes is the SDK's, and a real collector gets it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import openai
from aiohttp import web
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags, TraceState

from tiergate.server import BackgroundServer, create_app
from tiergate.telemetry import OtelTracer, SpanSink, otlp_exporter, tracer_provider
from tiergate.telemetry_otlp import Encoder, Finished, encode_resource, encode_scope
from tiergate.telemetry_sdk import SCOPE, ProcessorSink

from .conftest import TENANT_KEYS, Tiers, make_config
from .conftest import sdk as closing_sdk

SECRET = "quokkaparliament"  # in every prompt; never in any span


def attr(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def sdk(url: str) -> openai.OpenAI:
    return closing_sdk(base_url=url + "/v1", api_key="x", max_retries=0, timeout=10)


class Collector:
    """A real OTLP/HTTP receiver on loopback: decodes each export's protobuf.

    `unavailable`: how many posts it first answers 503 (Retry-After: 0), as a busy collector.
    """

    def __init__(self, *, unavailable: int = 0) -> None:
        self.received: list[ExportTraceServiceRequest] = []
        self.headers: list[dict[str, str]] = []
        self.unavailable = unavailable
        self.refused = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.refused < self.unavailable:
            self.refused += 1
            return web.Response(status=503, headers={"retry-after": "0"})
        message = ExportTraceServiceRequest()
        message.ParseFromString(body)
        self.received.append(message)
        self.headers.append(dict(request.headers))
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/traces", self._receive)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def __enter__(self) -> Collector:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def spans(self) -> list[Any]:
        return [
            span
            for message in self.received
            for resource in message.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]


def test_spans_reach_an_otlp_collector(tiers: Tiers, tmp_path: Path) -> None:
    with Collector() as collector:
        config = make_config(tiers, tmp_path / "ledger.db")
        text = config.model_dump(mode="json")
        text["telemetry"] = {
            "otlp_endpoint": f"http://127.0.0.1:{collector.port}",
            "service_name": "tiergate-test",
            "headers": {"x-collector-token": "t0ken"},
            "sample_ratio": 1.0,
        }
        config = type(config).model_validate(text)
        with BackgroundServer(create_app(config)) as server, sdk(server.url) as client:
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": f"hi {SECRET}"}]
            )
        # Stopping the gateway flushed the batch: the collector has both spans now.
        found = collector.spans()
        assert sorted(s.name for s in found) == ["chat auto", "chat llama3.2:3b"]
        names = {
            a.value.string_value
            for m in collector.received
            for r in m.resource_spans
            for a in r.resource.attributes
            if a.key == "service.name"
        }
        assert names == {"tiergate-test"}
        assert collector.headers[0]["x-collector-token"] == "t0ken"
        for span in found:
            for a in span.attributes:
                assert SECRET not in str(a.value)


class Both:
    """A SpanSink handing every span to two real sinks, and keeping the spans it was handed."""

    def __init__(self, first: SpanSink, second: SpanSink) -> None:
        self.sinks = (first, second)
        self.spans: list[Finished] = []

    def put(self, span: Finished) -> None:
        self.spans.append(span)
        for sink in self.sinks:
            sink.put(span)

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        return all(sink.force_flush(timeout_s) for sink in self.sinks)

    def shutdown(self) -> None:
        for sink in self.sinks:
            sink.shutdown()


def test_what_is_posted_is_the_sdk_encoding_of_the_in_memory_spans(
    tiers: Tiers, tmp_path: Path
) -> None:
    """tiergate writes the OTLP protobuf itself: for requests of every shape, its bytes equal
    the SDK encoder's for the ReadableSpans the in-memory exporter received, so the tests
    above, which read those, check what a collector gets."""
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with Collector() as collector:
        config = make_config(tiers, tmp_path / "ledger.db", tenants=True)
        text = config.model_dump(mode="json")
        text["telemetry"] = {
            "otlp_endpoint": f"http://127.0.0.1:{collector.port}",
            "sample_ratio": 1.0,
        }
        config = type(config).model_validate(text)
        provider = tracer_provider(config.telemetry)
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        both = Both(ProcessorSink(provider), otlp_exporter(config.telemetry, provider))
        tiers.openai.kill()  # the critical request falls back: a failed attempt, status ERROR
        app = create_app(config, tracer=OtelTracer(provider, sink=both))
        with (
            BackgroundServer(app) as server,
            closing_sdk(
                base_url=server.url + "/v1", api_key=TENANT_KEYS["acme"], max_retries=0, timeout=10
            ) as client,
        ):
            hi = [{"role": "user", "content": f"hi {SECRET}"}]
            client.chat.completions.create(model="auto", messages=hi)  # type: ignore[arg-type]
            client.chat.completions.create(
                model="auto",
                messages=hi,  # type: ignore[arg-type]
                extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
            )
            client.chat.completions.create(
                model="auto",
                messages=hi,  # type: ignore[arg-type]
                extra_headers={
                    "traceparent": f"00-{trace_id}-{parent_id}-01",
                    "tracestate": "vendor=abc,other=1",
                },
            )
            stream = client.chat.completions.create(
                model="auto",
                messages=hi,  # type: ignore[arg-type]
                stream=True,
            )
            list(stream)
        # Stopping the gateway flushed both sinks.
    found = list(memory.get_finished_spans())
    assert len(found) == 9  # four requests, five attempts (the fallback made two)
    assert {attr(s).get("tiergate.tenant") for s in found if s.kind == SpanKind.SERVER} == {"acme"}
    assert [s.status.status_code for s in found].count(StatusCode.ERROR) == 1
    expected = encode_spans(found)
    encoder = Encoder(
        resource=encode_resource(provider.resource.attributes), scope=encode_scope(SCOPE)
    )
    assert encoder.request(both.spans) == expected.SerializeToString()
    # And what crossed the wire to the collector: the same spans, resource and scope.
    (resource_spans,) = expected.resource_spans
    (scope_spans,) = resource_spans.scope_spans
    posted = collector.spans()
    assert [s.SerializeToString() for s in posted] == [
        s.SerializeToString() for s in scope_spans.spans
    ]
    for message in collector.received:
        for sent in message.resource_spans:
            assert sent.resource == resource_spans.resource
            assert [s.scope for s in sent.scope_spans] == [scope_spans.scope]
    continued = [s for s in posted if s.trace_id == bytes.fromhex(trace_id)]
    assert len(continued) == 2
    assert {s.trace_state for s in continued} == {"vendor=abc,other=1"}


def test_a_busy_collector_gets_the_batch_again(tiers: Tiers, tmp_path: Path) -> None:
    with Collector(unavailable=1) as collector:
        config = make_config(tiers, tmp_path / "ledger.db")
        text = config.model_dump(mode="json")
        text["telemetry"] = {
            "otlp_endpoint": f"http://127.0.0.1:{collector.port}/v1/traces",
            "sample_ratio": 1.0,
        }
        config = type(config).model_validate(text)
        with BackgroundServer(create_app(config)) as server, sdk(server.url) as client:
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}]
            )
    assert collector.refused == 1
    assert sorted(s.name for s in collector.spans()) == ["chat auto", "chat llama3.2:3b"]


class Span:
    """A finished span of any shape, for the encoder (telemetry_otlp.Finished)."""

    def __init__(self, groups: tuple[tuple[Any, ...], ...], *, error: str | None = None,
                 parent: SpanContext | None = None) -> None:  # fmt: skip
        self.trace_id, self.span_id, self.start, self.end = (
            2**127 + 5,
            2**63 + 7,
            10**18,
            10**18 + 1,
        )
        self.parent = parent
        self.trace_state = parent.trace_state if parent is not None else None
        self.groups, self.error = groups, error

    def describe(self) -> tuple[str, int, tuple[tuple[Any, ...], ...], str | None]:
        return "ünïcode " + "n" * 200, 3, self.groups, self.error


def test_every_value_type_encodes_as_the_sdk_encodes_it() -> None:
    resource = Resource.create(
        {"service.name": "gw", "list": ["a", "b"], "ints": [1, -2], "n": -5, "f": 1.5, "t": True}
    )
    provider = TracerProvider(resource=resource)
    parent = SpanContext(1, 2, True, TraceFlags(1), TraceState([("vendor", "abc"), ("x", "1")]))
    spans = [
        Span((("s", "", "long", "é" * 300, "k" * 130, "v"), ("zero", 0, "neg", -(2**40)))),
        Span((("big", 2**62, "float", 0.25, "true", True, "false", False),), error="timeout"),
        Span((("seq", ("a", "b"), "empty", ()),), parent=parent),
        Span((), error="ö"),
    ]
    sink = ProcessorSink(provider)
    expected = encode_spans([sink.readable(s) for s in spans]).SerializeToString()
    encoder = Encoder(resource=encode_resource(resource.attributes), scope=encode_scope(SCOPE))
    assert encoder.request(spans) == expected
    assert encoder.request(spans) == expected  # the second time from the groups it kept


def test_spans_go_in_full_batches_and_the_rest_at_shutdown(tiers: Tiers, tmp_path: Path) -> None:
    with Collector() as collector:
        config = make_config(tiers, tmp_path / "ledger.db")
        text = config.model_dump(mode="json")
        text["telemetry"] = {"otlp_endpoint": f"http://127.0.0.1:{collector.port}"}
        config = type(config).model_validate(text)
        exporter = otlp_exporter(config.telemetry, tracer_provider(config.telemetry))
        for number in range(2 * 512 + 10):
            exporter.put(Span((("n", number),)))
        exporter.shutdown()  # the last 10 go now
        exporter.put(Span((("n", -1),)))  # too late: never exported
    sizes = [len(m.resource_spans[0].scope_spans[0].spans) for m in collector.received]
    assert sizes == [512, 512, 10]
    exported = [a.value.int_value for s in collector.spans() for a in s.attributes]
    assert exported == list(range(2 * 512 + 10))
