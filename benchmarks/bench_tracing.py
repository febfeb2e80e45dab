"""CPU per request of tiergate's tracer alone, by sample ratio: the spans, not the gateway around them.

Whole-server figures (bench_cpu.py `traced`, `sampled`) move ±25% with the machine's load,
more than a sampled-out request costs; this measures the tracer in one process instead. Each
"request" is what the server does: Tracer.request, one Tracer.attempt, both finished, with the
attributes a chat request carries. Spans go through the SDK's BatchSpanProcessor to the real
OTLP/HTTP exporter, posting to a sink in another process (its CPU is not counted), or with
--drop to an exporter that keeps nothing. Figures: this thread's CPU (the event loop's share)
and the whole process's (the export thread included), per request.

    python benchmarks/bench_tracing.py [--requests 20000] [--ratios 0,0.1,1]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from tiergate.config import TelemetryConfig
from tiergate.telemetry import OtelTracer, Tracer, tracer_provider

SINK = """
import asyncio, sys
from aiohttp import web
async def sink(request):
    await request.read()
    return web.Response(body=b"", content_type="application/x-protobuf")
async def main():
    app = web.Application()
    app.router.add_post("/v1/traces", sink)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
HEADERS = {"content-type": "application/json", "host": "gateway", "user-agent": "bench"}
SAMPLED = {**HEADERS, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


def request(tracer: Tracer, carrier: Mapping[str, str]) -> None:
    span = tracer.request(
        request_id="chatcmpl-0123456789abcdef01234567", endpoint="chat", model="auto",
        tenant=None, carrier=carrier,
    )  # fmt: skip
    attempt = tracer.attempt(
        number=1, provider="local", protocol="openai", model="bench-model", tier=1,
        rule="default", classification="internal",
    )  # fmt: skip
    attempt.finish(outcome="ok", input_tokens=14, output_tokens=16, cost_pico=0, status=200)
    span.finish(
        provider="local", protocol="openai", model="bench-model", tier=1, rule="default",
        classification="internal", cache="bypass", attempts=1, outcome="ok", status=200,
    )  # fmt: skip


def measure(tracer: Tracer, carrier: Mapping[str, str], requests: int) -> tuple[float, float]:
    for _ in range(requests // 10):
        request(tracer, carrier)
    thread, process = time.thread_time(), time.process_time()
    for _ in range(requests):
        request(tracer, carrier)
    if isinstance(tracer, OtelTracer):
        tracer._provider.force_flush()  # the export thread's work counts too
    thread, process = time.thread_time() - thread, time.process_time() - process
    return thread / requests * 1e6, process / requests * 1e6


def exporter(drop: bool, endpoint: str) -> Any:
    if drop:
        from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

        class Drop(SpanExporter):
            def export(self, spans: Sequence[Any]) -> SpanExportResult:
                return SpanExportResult.SUCCESS

        return Drop()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--ratios", default="0,0.1,1")
    parser.add_argument("--drop", action="store_true", help="an exporter that keeps nothing")
    args = parser.parse_args()
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE)
    try:
        assert sink.stdout is not None
        sink.stdout.readline()
        rows = [("off (no otlp_endpoint)", *measure(Tracer(), HEADERS, args.requests))]
        cases = [(float(r), HEADERS, f"sample_ratio {r}") for r in args.ratios.split(",")]
        cases.append((0.0, SAMPLED, "sample_ratio 0, caller's sampled traceparent"))
        for ratio, carrier, name in cases:
            provider = tracer_provider(TelemetryConfig(sample_ratio=ratio))
            provider.add_span_processor(
                BatchSpanProcessor(exporter(args.drop, f"http://127.0.0.1:{port}/v1/traces"))
            )
            rows.append((name, *measure(OtelTracer(provider), carrier, args.requests)))
            provider.shutdown()
    finally:
        sink.terminate()
        sink.wait(10)
    print(f"requests={args.requests} exporter={'drop' if args.drop else 'OTLP/HTTP to a sink'}")
    print(f"{'tracer':>46} {'this thread us':>15} {'process us':>11}")
    for name, thread, process in rows:
        print(f"{name:>46} {thread:>15.1f} {process:>11.1f}")


if __name__ == "__main__":
    main()
