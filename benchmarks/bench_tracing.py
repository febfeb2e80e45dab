"""CPU per request of tiergate's tracer alone, by sample ratio: the spans, not the gateway around them.

Whole-server figures (bench_cpu.py `traced`, `sampled`) move ±25% with the machine's load,
more than a sampled-out request costs; this measures the tracer in one process instead. Each
"request" is what the server does: Tracer.request, one Tracer.attempt, both finished, with the
attributes a chat request carries. The tracer is the one build() makes: spans go to
tiergate's OTLP/HTTP exporter (telemetry_otlp: batched, encoded and posted from one thread),
posting to a sink in another process (its CPU is not counted); with --drop it encodes each
batch and posts nothing. --sdk sends them instead the way an OtelTracer given only a
TracerProvider does: as ReadableSpans, through the SDK's BatchSpanProcessor and its own
OTLP/HTTP exporter (the SDK's encoder; its queue drops past 2048 spans, so at ratio 1 it
logs "Queue full" and undercounts). Figures: this thread's CPU (the event loop's share)
and the whole process's (the export thread included), per request.

    python benchmarks/bench_tracing.py [--requests 20000] [--ratios 0,0.1,1] [--drop | --sdk]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

from tiergate.config import TelemetryConfig
from tiergate.telemetry import OtelTracer, Tracer, build, tracer_provider
from tiergate.telemetry_otlp import OtlpExporter

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
UNSAMPLED = {**HEADERS, "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"}


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
        tracer.force_flush()  # the export thread's work counts too
    thread, process = time.thread_time() - thread, time.process_time() - process
    return thread / requests * 1e6, process / requests * 1e6


def tracer(ratio: float, base_url: str, how: str) -> OtelTracer:
    config = TelemetryConfig(otlp_endpoint=base_url, sample_ratio=ratio)
    if how == "sdk":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = tracer_provider(config)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(base_url + "/v1/traces")))
        return OtelTracer(provider)
    made = build(config)
    assert isinstance(made, OtelTracer) and isinstance(made.sink, OtlpExporter)
    # This loop makes spans faster than any server could: a queue that holds them all, so
    # every span is encoded and counted (a server's queue drops past 2048).
    made.sink.max_queue = 10**7
    if how == "drop":
        made.sink.post = lambda body, count: None  # type: ignore[method-assign]
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--ratios", default="0,0.1,1")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--drop", action="store_true", help="encode each batch, post nothing")
    how.add_argument("--sdk", action="store_true", help="the SDK's batch processor and exporter")
    args = parser.parse_args()
    way = "drop" if args.drop else "sdk" if args.sdk else "otlp"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE)
    try:
        assert sink.stdout is not None
        sink.stdout.readline()
        rows = [("off (no otlp_endpoint)", *measure(Tracer(), HEADERS, args.requests), 0)]
        cases = [(float(r), HEADERS, f"sample_ratio {r}") for r in args.ratios.split(",")]
        cases.append((0.0, SAMPLED, "sample_ratio 0, caller's sampled traceparent"))
        cases.append((1.0, UNSAMPLED, "sample_ratio 1, caller's unsampled traceparent"))
        for ratio, carrier, name in cases:
            traced = tracer(ratio, f"http://127.0.0.1:{port}", way)
            figures = measure(traced, carrier, args.requests)
            traced.sink.shutdown()
            dropped = traced.sink.dropped if isinstance(traced.sink, OtlpExporter) else 0
            rows.append((name, *figures, dropped))
    finally:
        sink.terminate()
        sink.wait(10)
    described = {"otlp": "tiergate's OTLP/HTTP to a sink", "drop": "tiergate's, encode and drop",
                 "sdk": "SDK BatchSpanProcessor + OTLP/HTTP to a sink"}  # fmt: skip
    print(f"requests={args.requests} exporter={described[way]}")
    print(f"{'tracer':>46} {'this thread us':>15} {'process us':>11} {'dropped':>8}")
    for name, thread, process, dropped in rows:
        print(f"{name:>46} {thread:>15.1f} {process:>11.1f} {dropped:>8}")


if __name__ == "__main__":
    main()
