"""Traces: a span per request and per attempt (GenAI conventions), exported over OTLP; free when off."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import openai
import orjson
import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, StatusCode, TraceState
from opentelemetry.util.types import Attributes

from tiergate.config import parse_config
from tiergate.errors import ConfigError
from tiergate.server import BackgroundServer, create_app
from tiergate.telemetry import (
    AttemptSpan,
    OtelTracer,
    Tracer,
    build,
    tracer_provider,
)

from .conftest import Tiers, make_config
from .conftest import sdk as closing_sdk

SECRET = "quokkaparliament"  # in every prompt; never in any span


@pytest.fixture
def traced(
    tiers: Tiers, tmp_path: Path
) -> Iterator[Callable[..., tuple[str, InMemorySpanExporter]]]:
    """start(**options) -> (gateway URL, the exporter its tracer writes to)."""
    with ExitStack() as stack:

        def start(**options: Any) -> tuple[str, InMemorySpanExporter]:
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            config = make_config(tiers, tmp_path / "ledger.db", **options)
            app = create_app(config, tracer=OtelTracer(provider))
            server = stack.enter_context(BackgroundServer(app))
            return server.url, exporter

        yield start


def spans(exporter: InMemorySpanExporter, count: int) -> list[ReadableSpan]:
    """The finished spans once there are `count` (the request span ends just after the answer)."""
    deadline = time.monotonic() + 10
    while len(found := exporter.get_finished_spans()) < count:
        assert time.monotonic() < deadline, f"only {len(found)} of {count} spans finished"
        time.sleep(0.01)
    assert len(found) == count, [s.name for s in found]
    return list(found)


def split(found: list[ReadableSpan]) -> tuple[ReadableSpan, list[ReadableSpan]]:
    requests = [s for s in found if s.kind == SpanKind.SERVER]
    attempts = [s for s in found if s.kind == SpanKind.CLIENT]
    assert len(requests) == 1
    attempts.sort(key=lambda s: attr(s)["tiergate.attempt"])
    return requests[0], attempts


def attr(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def no_text(found: list[ReadableSpan]) -> None:
    for span in found:
        assert SECRET not in span.name
        for value in attr(span).values():
            assert SECRET not in str(value)


def sdk(url: str) -> openai.OpenAI:
    return closing_sdk(base_url=url + "/v1", api_key="x", max_retries=0, timeout=10)


def test_a_request_and_its_attempt_carry_the_genai_conventions(
    traced: Callable[..., tuple[str, InMemorySpanExporter]],
) -> None:
    url, exporter = traced()
    with sdk(url) as client:
        completion = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": f"Summarise {SECRET}"}]
        )
    usage = completion.usage
    assert usage is not None
    found = spans(exporter, 2)
    request, (attempt,) = split(found)
    assert attempt.parent is not None and attempt.parent.span_id == request.context.span_id
    assert attempt.context.trace_id == request.context.trace_id
    assert request.name == "chat auto"
    assert (
        attr(request).items()
        >= {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "auto",
            "gen_ai.response.model": "llama3.2:3b",
            "gen_ai.system": "ollama",
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
            "tiergate.tier": 1,
            "tiergate.rule": "default",
            "tiergate.classification": "internal",
            "tiergate.cache": "bypass",
            "tiergate.attempt": 1,
            "tiergate.outcome": "ok",
            "tiergate.request_id": completion.id,
        }.items()
    )
    assert attempt.name == "chat llama3.2:3b"
    assert (
        attr(attempt).items()
        >= {
            "gen_ai.system": "ollama",
            "gen_ai.request.model": "llama3.2:3b",
            "gen_ai.usage.input_tokens": usage.prompt_tokens,
            "gen_ai.usage.output_tokens": usage.completion_tokens,
            "tiergate.provider": "local",
            "tiergate.tier": 1,
            "tiergate.attempt": 1,
            "tiergate.outcome": "ok",
            "tiergate.cost_usd": "0",
        }.items()
    )
    assert request.status.status_code != StatusCode.ERROR
    no_text(found)


def test_a_callers_traceparent_becomes_the_parent(
    traced: Callable[..., tuple[str, InMemorySpanExporter]],
) -> None:
    url, exporter = traced()
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with sdk(url) as client:
        client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
        )
    request, (attempt,) = split(spans(exporter, 2))
    assert request.context.trace_id == int(trace_id, 16)
    assert request.parent is not None and request.parent.span_id == int(parent_id, 16)
    assert attempt.context.trace_id == int(trace_id, 16)


def test_a_fallback_is_two_attempt_spans_under_one_request(
    traced: Callable[..., tuple[str, InMemorySpanExporter]], tiers: Tiers
) -> None:
    url, exporter = traced()
    tiers.openai.kill()
    with sdk(url) as client:
        client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": f"Plan {SECRET}"}],
            extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
        )
    found = spans(exporter, 3)
    request, (first, second) = split(found)
    assert {first.parent.span_id, second.parent.span_id} == {request.context.span_id}  # type: ignore[union-attr]
    assert attr(first)["gen_ai.system"] == "openai"
    assert attr(first)["tiergate.provider"] == "openai"
    assert attr(first)["tiergate.outcome"] == "unavailable"
    assert first.status.status_code == StatusCode.ERROR
    assert attr(second)["tiergate.provider"] == "ollama_cloud"
    assert attr(second)["tiergate.attempt"] == 2
    assert attr(second)["tiergate.outcome"] == "ok"
    assert attr(request)["tiergate.attempt"] == 2
    assert attr(request)["tiergate.provider"] == "ollama_cloud"
    assert attr(request)["tiergate.rule"] == "critical"
    assert attr(request)["tiergate.tier"] == 2
    assert attr(request)["gen_ai.usage.input_tokens"] == attr(second)["gen_ai.usage.input_tokens"]
    assert attr(request)["tiergate.cost_usd"] == attr(second)["tiergate.cost_usd"] != "0"
    no_text(found)


def test_a_stream_and_a_cut_stream(
    traced: Callable[..., tuple[str, InMemorySpanExporter]],
) -> None:
    url, exporter = traced()
    with sdk(url) as client:
        stream = client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": f"Count {SECRET}"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    usage = chunks[-1].usage
    assert usage is not None
    request, (attempt,) = split(spans(exporter, 2))
    assert attr(attempt)["gen_ai.usage.output_tokens"] == usage.completion_tokens
    assert attr(request)["tiergate.outcome"] == "ok"
    exporter.clear()

    async def cut() -> bytes:
        body = {"model": "auto", "stream": True,
                "messages": [{"role": "user", "content": f"{SECRET} [[fake:cut-stream]]"}]}  # fmt: skip
        async with (
            aiohttp.ClientSession() as s,
            s.post(url + "/v1/chat/completions", data=orjson.dumps(body)) as r,
        ):
            return await r.read()

    assert b"stream_interrupted" in asyncio.run(cut())
    found = spans(exporter, 2)
    request, (attempt,) = split(found)
    assert attr(attempt)["tiergate.outcome"] == "cut"
    assert attr(request)["tiergate.outcome"] == "cut"
    assert request.status.status_code == StatusCode.ERROR
    no_text(found)


def test_off_by_default_and_opentelemetry_is_never_imported(tmp_path: Path) -> None:
    assert isinstance(build(parse_config(MINIMAL, env={}).telemetry), Tracer)
    assert not build(parse_config(MINIMAL, env={}).telemetry).enabled
    program = (
        "import sys\n"
        "from tiergate.config import parse_config\n"
        "from tiergate.server import create_app\n"
        f"app = create_app(parse_config({MINIMAL!r}, env={{}}))\n"
        "assert not app.gateway.tracer.enabled\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, timeout=60, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr.decode()


MINIMAL = """
providers:
  - {name: local, protocol: ollama, base_url: "http://127.0.0.1:9", tier: 1, on_premises: true,
     models: {default: "llama3.2:3b"}}
"""


def test_the_telemetry_section_is_validated() -> None:
    config = parse_config(
        MINIMAL + "telemetry: {otlp_endpoint: 'http://127.0.0.1:4318', service_name: gw}", env={}
    )
    assert config.telemetry.otlp_endpoint == "http://127.0.0.1:4318"
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + "telemetry: {endpoint: 'http://x'}", env={})
    assert "telemetry.endpoint: unknown key; allowed here: otlp_endpoint" in str(caught.value)


class SpreadIds(IdGenerator):
    """Trace ids whose low 64 bits (what TraceIdRatioBased reads) cover [0, 2**64) evenly.

    The k-th of `count` trace ids sits in the middle of slot (7k mod count), so exactly
    round(ratio * count) of any `count` consecutive ids fall under a ratio's bound, in an
    order that mixes them with the rest.
    """

    def __init__(self, count: int) -> None:
        assert count % 7
        self.count = count
        self.traces = 0
        self.spans = 0

    def generate_trace_id(self) -> int:
        slot = self.traces * 7 % self.count
        self.traces += 1
        return self.traces << 64 | (2 * slot + 1) * 2**63 // self.count

    def generate_span_id(self) -> int:
        self.spans += 1
        return self.spans


def sampled_run(
    tiers: Tiers,
    tmp_path: Path,
    *,
    requests: int,
    ratio: float | None,
    traceparent: str | None = None,
) -> tuple[list[ReadableSpan], SpreadIds]:
    """`requests` chat requests through a gateway sampling at `ratio` (None: the default).

    The spans are read once the gateway has stopped: every request span has ended by then.
    """
    config = make_config(tiers, tmp_path / "ledger.db")
    text = config.model_dump(mode="json")
    if ratio is not None:
        text["telemetry"] = {**text["telemetry"], "sample_ratio": ratio}
    config = type(config).model_validate(text)
    ids = SpreadIds(requests)
    provider = tracer_provider(config.telemetry, id_generator=ids)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    headers = {"traceparent": traceparent} if traceparent else None
    app = create_app(config, tracer=OtelTracer(provider))
    with BackgroundServer(app) as server, sdk(server.url) as client:
        for _ in range(requests):
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}], extra_headers=headers
            )
    return list(exporter.get_finished_spans()), ids


def traces(found: list[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    """Spans by trace id; each trace must be one request span and its one attempt."""
    by_trace: dict[int, list[ReadableSpan]] = {}
    for span in found:
        by_trace.setdefault(span.context.trace_id, []).append(span)
    for group in by_trace.values():
        request, (attempt,) = split(group)
        assert attempt.parent is not None and attempt.parent.span_id == request.context.span_id
    return by_trace


def test_sample_ratio_0_records_no_span(tiers: Tiers, tmp_path: Path) -> None:
    found, ids = sampled_run(tiers, tmp_path, requests=10, ratio=0.0)
    assert found == []
    assert ids.traces == 10  # every request was offered to the sampler


def test_sample_ratio_1_records_every_request_and_attempt(tiers: Tiers, tmp_path: Path) -> None:
    found, _ = sampled_run(tiers, tmp_path, requests=10, ratio=1.0)
    assert len(found) == 20
    assert len(traces(found)) == 10


@pytest.mark.parametrize(("ratio", "expected"), [(None, 4), (0.25, 10), (0.5, 20)])
def test_a_ratio_records_its_share_of_requests(
    tiers: Tiers, tmp_path: Path, ratio: float | None, expected: int
) -> None:
    """40 requests whose trace ids spread evenly: the sampler keeps exactly ratio * 40."""
    if ratio is None:
        assert parse_config(MINIMAL, env={}).telemetry.sample_ratio == 0.1
    found, ids = sampled_run(tiers, tmp_path, requests=40, ratio=ratio)
    assert ids.traces == 40
    assert len(traces(found)) == expected
    assert len(found) == 2 * expected


def test_a_callers_sampled_flag_is_honoured_whatever_the_ratio(
    tiers: Tiers, tmp_path: Path
) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    found, ids = sampled_run(
        tiers, tmp_path, requests=3, ratio=0.0, traceparent=f"00-{trace_id}-{parent_id}-01"
    )
    assert len(found) == 6
    assert {span.context.trace_id for span in found} == {int(trace_id, 16)}
    assert ids.traces == 0  # the caller's trace id, never one of ours
    requests = {s.context.span_id: s for s in found if s.kind == SpanKind.SERVER}
    assert len(requests) == 3
    for span in found:
        assert span.parent is not None
        if span.kind == SpanKind.SERVER:
            assert span.parent.span_id == int(parent_id, 16)
        else:
            assert span.parent.span_id in requests
    # A caller that did not sample its trace is not traced here either, even at ratio 1.
    found, _ = sampled_run(
        tiers, tmp_path, requests=3, ratio=1.0, traceparent=f"00-{trace_id}-{parent_id}-00"
    )
    assert found == []


@pytest.mark.parametrize("value", ["1.5", "-0.1", "lots"])
def test_sample_ratio_out_of_range_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + f"telemetry: {{sample_ratio: {value}}}", env={})
    assert "telemetry.sample_ratio:" in str(caught.value)


def test_a_dropped_request_hands_its_attempts_the_shared_no_op_span() -> None:
    """Nothing is built for a request the sampler drops: its attempts get Tracer's own no-op."""
    recorded = InMemorySpanExporter()
    provider = tracer_provider(parse_config(MINIMAL, env={}).telemetry, id_generator=SpreadIds(10))
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    tracer = OtelTracer(provider)

    def attempt(on: Tracer) -> AttemptSpan:
        return on.attempt(number=1, provider="local", protocol="ollama", model="m", tier=1,
                          rule="default", classification="internal")  # fmt: skip

    sampled = 0
    for _ in range(10):
        span = tracer.request(request_id="r", endpoint="chat", model="auto", tenant=None)
        made = attempt(tracer)
        if type(made) is AttemptSpan:
            assert made is attempt(Tracer())  # the one shared do-nothing span
        else:
            sampled += 1
        made.finish(outcome="ok", input_tokens=1, output_tokens=1, cost_pico=0)
        span.finish(provider="local", protocol="ollama", model="m", tier=1, rule="default",
                    classification="internal", cache="bypass", attempts=1, outcome="ok",
                    status=200)  # fmt: skip
    assert sampled == 1  # the default 0.1 of 10 evenly spread trace ids
    assert len(recorded.get_finished_spans()) == 2


class EveryOther(Sampler):
    """A sampler of the application's own (no ratio): keeps every other span it is asked about."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, SpanKind]] = []

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        assert kind is not None
        self.asked.append((name, kind))
        keep = len(self.asked) % 2 == 1
        return SamplingResult(Decision.RECORD_AND_SAMPLE if keep else Decision.DROP)

    def get_description(self) -> str:
        return "EveryOther"


def test_a_sampler_of_another_kind_is_asked_about_each_request() -> None:
    sampler = EveryOther()
    provider = TracerProvider(sampler=ParentBased(sampler))
    recorded = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    tracer = OtelTracer(provider)
    for _ in range(4):
        span = tracer.request(request_id="r", endpoint="chat", model="auto", tenant=None)
        tracer.attempt(number=1, provider="local", protocol="ollama", model="m", tier=1,
                       rule="default", classification="internal").finish(
            outcome="ok", input_tokens=1, output_tokens=1, cost_pico=0)  # fmt: skip
        span.finish(provider="local", protocol="ollama", model="m", tier=1, rule="default",
                    classification="internal", cache="bypass", attempts=1, outcome="ok",
                    status=200)  # fmt: skip
    # Asked once per request (never for an attempt: it follows its request), with the span's
    # name and kind; the two it kept are whole traces.
    assert sampler.asked == [("chat auto", SpanKind.SERVER)] * 4
    found = list(recorded.get_finished_spans())
    assert len(traces(found)) == 2
    assert len(found) == 4


def test_a_sampler_of_another_kind_judges_a_callers_trace_itself() -> None:
    """Not ParentBased: the caller's unsampled flag does not decide, the sampler does."""
    sampler = EveryOther()
    provider = TracerProvider(sampler=sampler)
    recorded = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(recorded))
    tracer = OtelTracer(provider)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    carrier = {"traceparent": f"00-{trace_id}-{parent_id}-00", "tracestate": "vendor=abc"}
    for _ in range(4):
        span = tracer.request(request_id="r", endpoint="chat", model="auto", tenant=None,
                              carrier=carrier)  # fmt: skip
        span.finish(provider=None, protocol=None, model=None, tier=None, rule="default",
                    classification="internal", cache="bypass", attempts=0, outcome="ok",
                    status=200)  # fmt: skip
    assert sampler.asked == [("chat auto", SpanKind.SERVER)] * 4
    found = recorded.get_finished_spans()
    assert len(found) == 2
    for kept in found:
        assert kept.context is not None and kept.context.trace_id == int(trace_id, 16)
        assert kept.parent is not None and kept.parent.span_id == int(parent_id, 16)
        assert kept.parent.is_remote
        assert dict(kept.parent.trace_state) == {"vendor": "abc"}
        assert dict(kept.context.trace_state) == {}  # the sampler's, as the SDK takes it


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # an all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # an all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # the forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  # version 00 has no more
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # upper case
        "not a traceparent",
    ],
)
def test_an_invalid_traceparent_leaves_the_request_to_the_ratio(
    tiers: Tiers, tmp_path: Path, traceparent: str
) -> None:
    found, ids = sampled_run(tiers, tmp_path, requests=10, ratio=0.5, traceparent=traceparent)
    assert ids.traces == 10  # a root each: the caller's ids were not usable
    assert len(traces(found)) == 5
    assert all(s.parent is None for s in found if s.kind == SpanKind.SERVER)
