"""POST /v1/responses passed on as a Responses body to an openai provider with responses_api: true.

A real gateway in front of three FakeUpstreams: a local Ollama (tier 1), an OpenAI-compatible
cloud served through chat (tier 2) and OpenAI with its Responses API (tier 3, the native
tier), driven by the official openai SDK's `client.responses`. What the native fake received
is asserted on; its answers and events are its own, and the ledger, privacy and fallback
rules hold on this path as on chat.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiergate.config import Config, parse_config
from tiergate.errors import ConfigError
from tiergate.ingress.responses import Responses
from tiergate.protocols import MalformedResponse
from tiergate.protocols import openai_responses as wire
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream
from tiergate.types import Usage

from .conftest import sdk
from .jsonfuzz import hint_headers
from .test_ingress_responses import REQUEST, WEATHER, check_responses_answer

PII = "Please write to jane.doe@example.com about her claim."
CRITICAL = {"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}
HIGH = {"X-Tiergate-Quality": "high"}
# The native tier's price: USD 2.5 / 10 per million tokens, in pico-dollars per token.
INPUT_PICO, OUTPUT_PICO = 2_500_000, 10_000_000
MAX_OUTPUT = 256  # the native tier's max_output_tokens

CONFIG = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {local}
    tier: 1
    on_premises: true
    max_concurrency: 64
    models: {{default: "llama3.2:3b"}}
    timeout_s: 5
  - name: cloud
    protocol: openai
    base_url: {cloud}
    api_key: cloud-key
    tier: 2
    models: {{default: cloud-chat}}
    prices: {{default: {{input_per_mtok: 1, output_per_mtok: 1}}}}
    max_output_tokens: 256
    timeout_s: 5
  - name: openai
    protocol: openai
    base_url: {openai}
    api_key: openai-key
    responses_api: true
    tier: 3
    models: {{default: gpt-4o}}
    prices: {{default: {{input_per_mtok: 2.5, output_per_mtok: 10}}}}
    max_output_tokens: {max_output}
    monthly_budget_usd: {openai_budget}
    timeout_s: 5
budget: {{monthly_total_usd: 100}}
privacy: {{detect: true}}
"""


@dataclass
class Tiers:
    local: FakeUpstream
    cloud: FakeUpstream
    openai: FakeUpstream


def make_config(tiers: Tiers, store: Path, *, openai_budget: float = 50, extra: str = "") -> Config:
    text = CONFIG.format(
        store=store,
        local=tiers.local.url,
        cloud=tiers.cloud.openai_base_url,
        openai=tiers.openai.openai_base_url,
        max_output=MAX_OUTPUT,
        openai_budget=openai_budget,
    )
    return parse_config(text + extra, env={})


@pytest.fixture
def tiers() -> Iterator[Tiers]:
    with ExitStack() as stack:
        yield Tiers(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            # Bills one prompt token per byte it receives: a bound that counts less shows.
            openai=stack.enter_context(FakeUpstream(name="openai", billing="bytes")),
        )


@pytest.fixture
def url(tiers: Tiers, tmp_path: Path) -> Iterator[str]:
    with BackgroundServer(create_app(make_config(tiers, tmp_path / "ledger.db"))) as server:
        yield server.url


def client(url: str, **headers: str) -> openai.OpenAI:
    return sdk(
        base_url=url + "/v1", api_key="unused", max_retries=0, timeout=10, default_headers=headers
    )


def rows(store: Path, request_id: str) -> list[dict[str, Any]]:
    """The request's attempt rows, waiting up to 10 s for a stream's, written as it ends."""
    deadline = time.monotonic() + 10
    found: list[dict[str, Any]] = []
    while not found and time.monotonic() < deadline:
        with sqlite3.connect(store) as conn:
            conn.row_factory = sqlite3.Row
            found = [
                dict(row)
                for row in conn.execute(
                    "SELECT provider, outcome, prompt_tokens, completion_tokens, cost_pico, "
                    "reserved_pico, usage_missing, egress FROM attempts WHERE request_id = ? "
                    "ORDER BY attempt",
                    (request_id,),
                )
            ]
        time.sleep(0.02)
    return found


# -- the native tier gets the Responses body, and its answer is the caller's -----------------


def test_the_native_tier_is_sent_the_responses_body_and_its_answer_comes_back(
    url: str, tiers: Tiers, tmp_path: Path
) -> None:
    items: list[Any] = [
        {"role": "user", "content": [{"type": "input_text", "text": "Weather in Oslo?"}]},
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
    ]
    with client(url, **CRITICAL) as c:
        raw = c.responses.with_raw_response.create(
            model="auto",
            input=items,
            instructions="Be brief",
            tools=[WEATHER],  # type: ignore[list-item]
            metadata={"ticket": "T-1"},
            max_output_tokens=64,
            store=True,
            extra_body={
                "tiergate": {"classification": "internal"},
                "prompt_cache_options": {"mode": "explicit"},  # not priced: left out
            },
        )
    response = raw.parse()
    assert raw.headers["x-tiergate-provider"] == "openai"
    assert raw.headers["x-tiergate-rule"] == "critical"
    (received,) = tiers.openai.received
    assert received.path == "/v1/responses" and tiers.openai.count("/v1/chat/completions") == 0
    assert received.body == {
        "model": "gpt-4o",
        "input": items,
        "instructions": "Be brief",
        "tools": [WEATHER],
        "metadata": {"ticket": "T-1"},
        "max_output_tokens": 64,
        "store": False,
    }
    assert received.headers["authorization"] == "Bearer openai-key"
    # The provider's own answer: its ids, its output, its usage.
    assert response.id.startswith("resp_fake") and response.store is False
    assert response.output_text.startswith("simulated reply from openai")
    assert response.usage is not None
    assert response.usage.input_tokens == len(received.raw)
    assert response.usage.output_tokens == 12
    (row,) = rows(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"])
    assert (row["provider"], row["outcome"], row["egress"], row["usage_missing"]) == (
        "openai",
        "ok",
        1,
        0,
    )
    assert (row["prompt_tokens"], row["completion_tokens"]) == (len(received.raw), 12)
    assert row["cost_pico"] == len(received.raw) * INPUT_PICO + 12 * OUTPUT_PICO
    assert Decimal(raw.headers["x-tiergate-cost-usd"]) == Decimal(row["cost_pico"]) / 10**12
    assert tiers.local.count() == tiers.cloud.count() == 0


def test_without_max_output_tokens_the_reserved_cap_is_sent(url: str, tiers: Tiers) -> None:
    with client(url) as c:
        response = c.responses.create(model="gpt-4o", input="Hello")
    assert response.id.startswith("resp_fake")
    (received,) = tiers.openai.received
    assert received.body == {
        "model": "gpt-4o",
        "input": "Hello",
        "max_output_tokens": MAX_OUTPUT,
        "store": False,
    }


def test_tiers_without_responses_api_keep_the_chat_translation(url: str, tiers: Tiers) -> None:
    with client(url) as c:
        cloud = c.responses.with_raw_response.create(
            model="auto", input="Draft a plan", extra_headers=HIGH
        )
        local = c.responses.with_raw_response.create(model="auto", input="Hi")
    assert cloud.headers["x-tiergate-provider"] == "cloud"
    assert local.headers["x-tiergate-provider"] == "local"
    assert tiers.cloud.received[0].path == "/v1/chat/completions"
    assert tiers.local.received[0].path == "/api/chat"
    for raw in (cloud, local):
        response = raw.parse()
        assert response.object == "response" and not response.id.startswith("resp_fake")
        assert response.output_text.startswith("simulated reply from")
    assert tiers.openai.count() == 0


def test_a_native_tool_call_parses_in_the_sdk(url: str, tiers: Tiers) -> None:
    with client(url) as c:
        response = c.responses.create(model="gpt-4o", input="Weather?", tools=[WEATHER])  # type: ignore[list-item]
        with c.responses.stream(model="gpt-4o", input="Weather?", tools=[WEATHER]) as stream:  # type: ignore[list-item]
            kinds = [event.type for event in stream]
            final = stream.get_final_response()
    for result in (response, final):
        (call,) = result.output
        assert call.type == "function_call" and call.name == "get_weather"
        assert orjson.loads(call.arguments) == {"city": "fake"}
        assert call.call_id.startswith("call_fake")
    assert "response.function_call_arguments.delta" in kinds
    assert kinds[-1] == "response.completed"
    assert [r.path for r in tiers.openai.received] == ["/v1/responses"] * 2


def test_native_answers_are_not_cached_and_chat_tiers_still_are(
    tiers: Tiers, tmp_path: Path
) -> None:
    config = make_config(tiers, tmp_path / "ledger.db", extra="cache: {ttl_s: 300}\n")
    with BackgroundServer(create_app(config)) as server, client(server.url) as c:
        native = [
            c.responses.with_raw_response.create(model="gpt-4o", input="Hi", temperature=0)
            for _ in range(2)
        ]
        chat = [
            c.responses.with_raw_response.create(model="cloud-chat", input="Hi", temperature=0)
            for _ in range(2)
        ]
    assert [r.headers["x-tiergate-cache"] for r in native] == ["bypass", "bypass"]
    assert all(r.parse().id.startswith("resp_fake") for r in native)
    assert tiers.openai.count("/v1/responses") == 2
    assert [r.headers["x-tiergate-cache"] for r in chat] == ["miss", "hit"]
    assert tiers.cloud.count() == 1


# -- streams ---------------------------------------------------------------------------------


def test_a_native_stream_passes_the_providers_events_and_settles_from_completed(
    url: str, tiers: Tiers, tmp_path: Path
) -> None:
    with client(url) as c:
        raw = c.responses.with_raw_response.create(model="gpt-4o", input="Hello", stream=True)
        request_id = raw.headers["x-tiergate-request-id"]
        events = list(raw.parse())
    (received,) = tiers.openai.received
    assert received.body["stream"] is True and received.body["store"] is False
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 12,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    done = events[-1]
    assert done.type == "response.completed" and done.response.id.startswith("resp_fake")
    assert done.response.usage is not None
    assert done.response.usage.input_tokens == len(received.raw)
    (row,) = rows(tmp_path / "ledger.db", request_id)
    assert (row["outcome"], row["usage_missing"]) == ("ok", 0)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (len(received.raw), 12)
    assert row["cost_pico"] == len(received.raw) * INPUT_PICO + 12 * OUTPUT_PICO
    # Headers leave before the answer: a paid stream's says its reservation.
    assert Decimal(raw.headers["x-tiergate-cost-usd"]) == Decimal(row["reserved_pico"]) / 10**12


def test_a_native_stream_without_usage_is_charged_its_reservation(
    url: str, tiers: Tiers, tmp_path: Path
) -> None:
    with client(url) as c:
        raw = c.responses.with_raw_response.create(
            model="gpt-4o", input="Hello [[fake:no-usage]]", stream=True
        )
        events = list(raw.parse())
    assert events[-1].type == "response.completed"
    (row,) = rows(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"])
    assert (row["outcome"], row["usage_missing"]) == ("ok", 1)
    assert row["cost_pico"] == row["reserved_pico"] > 0


def test_a_native_stream_that_breaks_ends_with_error_and_response_failed(
    url: str, tiers: Tiers, tmp_path: Path
) -> None:
    with client(url) as c:
        raw = c.responses.with_raw_response.create(
            model="gpt-4o", input="go [[fake:cut-stream]]", stream=True
        )
        events = list(raw.parse())
    kinds = [e.type for e in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "error",
        "response.failed",
    ]
    assert [e.sequence_number for e in events] == list(range(5))
    error, failed = events[-2], events[-1]
    assert error.type == "error" and error.code == "stream_interrupted"
    assert "broke off" in error.message
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.id.startswith("resp_fake")
    (row,) = rows(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"])
    assert (row["outcome"], row["usage_missing"]) == ("cut", 1)
    assert row["cost_pico"] == row["reserved_pico"]


# -- fallback from the native tier to a translated one ---------------------------------------


@pytest.mark.parametrize("fault", ["fail-503", "malformed", "drop"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_native_failure_falls_back_to_a_translated_tier(
    url: str, tiers: Tiers, tmp_path: Path, fault: str, stream: bool
) -> None:
    tiers.openai.behaviour = fault
    with client(url, **CRITICAL) as c:
        raw = c.responses.with_raw_response.create(model="auto", input="Plan it", stream=stream)
        if stream:
            events = list(raw.parse())
            assert events[0].type == "response.created" and events[-1].type == "response.completed"
            response = events[-1].response
        else:
            response = raw.parse()
    assert raw.headers["x-tiergate-attempts"] == "openai,cloud"
    assert raw.headers["x-tiergate-provider"] == "cloud"
    assert response.object == "response" and response.status == "completed"
    assert response.output_text.startswith("simulated reply from cloud")
    assert response.id == "resp_" + raw.headers["x-tiergate-request-id"].removeprefix("chatcmpl-")
    assert [r.path for r in tiers.openai.received] == ["/v1/responses"]
    assert [r.path for r in tiers.cloud.received] == ["/v1/chat/completions"]
    first, second = rows(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"])
    assert first["provider"] == "openai" and first["outcome"] != "ok"
    # An HTTP error was not billed; a body the provider may have billed is charged in full.
    charged = first["reserved_pico"] if fault != "fail-503" else 0
    assert first["cost_pico"] == charged
    assert (second["provider"], second["outcome"]) == ("cloud", "ok")


def test_the_breaker_and_the_metrics_count_the_native_tier_as_any_other(
    url: str, tiers: Tiers
) -> None:
    tiers.openai.behaviour = "fail-503"
    with client(url, **CRITICAL) as c:
        tried = [
            c.responses.with_raw_response.create(model="auto", input="Plan it").headers[
                "x-tiergate-attempts"
            ]
            for _ in range(4)
        ]
    # breaker_failures 3: the fourth request skips the resting provider.
    assert tried == ["openai,cloud"] * 3 + ["cloud"]
    assert tiers.openai.count("/v1/responses") == 3
    tiers.openai.behaviour = "ok"
    with client(url) as c:
        c.responses.create(model="gpt-4o", input="Hello")  # the last resort: tried even so
    metrics = httpx.get(url + "/metrics", timeout=10).text
    assert 'tiergate_attempts_total{provider="openai",outcome="ok"} 1' in metrics
    assert 'tiergate_fallbacks_total{from_provider="openai",reason="circuit_open"} 1' in metrics
    received = tiers.openai.received[-1]
    assert (
        f'tiergate_tokens_total{{provider="openai",model="gpt-4o",tenant="none",kind="input"}} '
        f"{len(received.raw)}"
    ) in metrics


# -- privacy: the scan reads the Responses body as sent --------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"input": PII},
        {"input": "Summarise", "instructions": PII},
        # Only the Responses body carries these: chat has no place for them.
        {"input": "Summarise", "metadata": {"contact": PII}},
        {"input": "Summarise", "safety_identifier": "jane.doe@example.com"},
        {"input": "Summarise", "prompt_cache_key": "jane.doe@example.com"},
        {"input": "Weather?", "tools": [{**WEATHER, "description": f"Mail {PII}"}]},
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_pii_in_any_field_stays_local(
    url: str, tiers: Tiers, fields: dict[str, Any], stream: bool
) -> None:
    with client(url, **CRITICAL) as c:
        raw = c.post(
            "/responses",
            body={"model": "auto", "stream": stream, **fields},
            cast_to=httpx.Response,
        )
        assert raw.status_code == 200
        assert raw.headers["x-tiergate-provider"] == "local"
        assert raw.headers["x-tiergate-classification"] == "pii"
        with pytest.raises(openai.PermissionDeniedError):
            c.post("/responses", body={"model": "gpt-4o", **fields}, cast_to=object)
    assert tiers.openai.count() == tiers.cloud.count() == 0
    assert tiers.local.count() == 1


# -- money: the bound covers the Responses body as sent --------------------------------------


def test_the_reservation_covers_the_bytes_the_native_tier_bills(
    url: str, tiers: Tiers, tmp_path: Path
) -> None:
    """The fake bills a prompt token per byte received, so a bound that counted the chat
    translation (which leaves metadata, include and reasoning items out) would fall short."""
    padding = "x" * 3000
    bodies: list[dict[str, Any]] = [
        {"input": "short"},
        {"input": "Summarise", "metadata": {f"k{i}": padding[:500] for i in range(16)}},
        {"input": [{"type": "reasoning", "id": "rs_1", "summary": [],
                    "encrypted_content": padding * 3},
                   {"role": "user", "content": "and?"}]},
        {"input": "Go", "include": ["reasoning.encrypted_content"] * 40, "user": padding},
        {"input": [{"role": "user", "content": "é€😀" * 500}], "max_output_tokens": 16},
    ]  # fmt: skip
    with client(url) as c:
        for body in bodies:
            raw = c.post("/responses", body={"model": "gpt-4o", **body}, cast_to=httpx.Response)
            assert raw.status_code == 200, raw.text
            received = tiers.openai.received[-1]
            (row,) = rows(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"])
            billed = len(received.raw) * INPUT_PICO + row["completion_tokens"] * OUTPUT_PICO
            assert row["cost_pico"] == billed
            output_cap = received.body["max_output_tokens"]
            assert row["reserved_pico"] >= len(received.raw) * INPUT_PICO + output_cap * OUTPUT_PICO
    assert tiers.openai.count() == len(bodies) and tiers.openai.count("/v1/responses") == len(
        bodies
    )
    prompt, completion = tiers.openai.billed_tokens
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        (spent,) = conn.execute(
            "SELECT sum(cost_pico) FROM attempts WHERE provider = 'openai'"
        ).fetchone()
    assert spent == prompt * INPUT_PICO + completion * OUTPUT_PICO  # the ledger is the bill


def test_a_cap_the_native_body_would_overshoot_sends_it_elsewhere(
    tiers: Tiers, tmp_path: Path
) -> None:
    """The native tier's cap fits the chat translation's bound but not the Responses body's."""
    metadata = {f"k{i}": "y" * 500 for i in range(16)}  # ~8 KB only the Responses body carries
    bound_without_metadata = (2_000 * INPUT_PICO + MAX_OUTPUT * OUTPUT_PICO) / 10**12
    config = make_config(tiers, tmp_path / "ledger.db", openai_budget=bound_without_metadata)
    with BackgroundServer(create_app(config)) as server, client(server.url, **CRITICAL) as c:
        small = c.responses.with_raw_response.create(model="auto", input="Plan it")
        large = c.responses.with_raw_response.create(
            model="auto", input="Plan it", metadata=metadata
        )
    assert small.headers["x-tiergate-provider"] == "openai"
    assert large.headers["x-tiergate-provider"] == "cloud"
    assert large.headers["x-tiergate-rule"] == "budget"
    assert tiers.openai.count() == 1


# -- config ----------------------------------------------------------------------------------


def test_responses_api_is_for_the_openai_protocol_only(tiers: Tiers, tmp_path: Path) -> None:
    text = CONFIG.format(
        store=tmp_path / "ledger.db",
        local=tiers.local.url,
        cloud=tiers.cloud.openai_base_url,
        openai=tiers.openai.openai_base_url,
        max_output=MAX_OUTPUT,
        openai_budget=50,
    ).replace("    on_premises: true\n", "    on_premises: true\n    responses_api: true\n")
    with pytest.raises(ConfigError) as refused:
        parse_config(text, env={})
    assert "responses_api" in str(refused.value) and "protocol: openai" in str(refused.value)
    assert "providers[0]" in str(refused.value)


# -- the wire format: pure ------------------------------------------------------------------


def test_encode_sets_the_model_the_reserved_cap_store_false_and_streaming() -> None:
    body = {"model": "auto", "input": "x", "max_output_tokens": 9, "stream": True,
            "stream_options": {"include_obfuscation": False}}  # fmt: skip
    assert wire.encode_chat(body, model="gpt-4o", max_tokens=9, stream=False) == {
        "model": "gpt-4o", "input": "x", "max_output_tokens": 9, "store": False,
    }  # fmt: skip
    streamed = wire.encode_chat({"input": "x"}, model="m", max_tokens=5, stream=True)
    assert streamed == {"input": "x", "model": "m", "max_output_tokens": 5, "store": False,
                        "stream": True}  # fmt: skip
    assert wire.items({"input": "x"}) == 1
    assert wire.items({"input": [{}, {}, {}], "instructions": "be brief"}) == 4


USAGE = {"input_tokens": 7, "input_tokens_details": {"cached_tokens": 5}, "output_tokens": 3,
         "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 10}  # fmt: skip


def test_decode_reads_the_usage_and_keeps_the_answer_as_sent() -> None:
    answer = {"id": "resp_1", "object": "response", "output": [], "usage": USAGE, "extra": 1}
    decoded, usage = wire.decode_chat(orjson.dumps(answer), model="m", request_id="r", created=0)
    assert decoded == answer and usage == Usage(7, 3)
    no_usage = {**answer, "usage": None}
    assert wire.decode_chat(orjson.dumps(no_usage), model="m", request_id="r", created=0)[1] is None


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        orjson.dumps({"object": "chat.completion", "choices": []}),
        orjson.dumps({"object": "response", "output": [], "error": {"message": "boom"}}),
        orjson.dumps({"object": "response", "output": [], "usage": {"input_tokens": "7"}}),
        orjson.dumps({"object": "response", "output": [], "usage": {"input_tokens": -1,
                                                                    "output_tokens": 0}}),
    ],
)  # fmt: skip
def test_an_answer_that_is_not_a_billable_response_is_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedResponse):
        wire.decode_chat(payload, model="m", request_id="r", created=0)


def test_a_stream_is_done_at_its_terminal_event_with_that_events_usage() -> None:
    stream = wire.ChatStream(model="m", request_id="r", created=0, include_usage=False)
    created = {"type": "response.created", "sequence_number": 0, "response": {"usage": None}}
    assert stream.feed(b"event: response.created") == []
    assert stream.feed(b"data: " + orjson.dumps(created)) == [created]
    assert stream.feed(b": keep-alive") == [] and not stream.done
    done = {"type": "response.incomplete", "sequence_number": 1, "response": {"usage": USAGE}}
    assert stream.feed(b"data: " + orjson.dumps(done)) == [done]
    assert stream.done and stream.usage == Usage(7, 3)
    assert stream.feed(b"data: [DONE]") == []
    with pytest.raises(MalformedResponse):
        stream.feed(b'data: {"type": "response.output_text.delta"}')


@pytest.mark.parametrize(
    "line",
    [
        b'data: {"type": "error", "code": "server_error", "message": "overloaded"}',
        b'data: {"no": "type"}',
        b'data: {"type": "response.completed"}',
        b"data: {not json",
        b"garbage",
    ],
)
def test_a_broken_event_is_malformed(line: bytes) -> None:
    stream = wire.ChatStream(model="m", request_id="r", created=0, include_usage=False)
    with pytest.raises(MalformedResponse):
        stream.feed(line)


def relay(pieces: list[Any]) -> list[dict[str, Any]]:
    """The caller's events for a router stream of these objects, then [DONE]."""

    async def router() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield b"data: " + orjson.dumps(piece) + b"\n\n"
        yield b"data: [DONE]\n\n"

    async def collect() -> list[bytes]:
        return [frame async for frame in Responses({"model": "auto", "input": "x"}).relay(router())]

    frames = asyncio.run(collect())
    assert all(f.startswith(b"event: ") and f.endswith(b"\n\n") for f in frames)
    return [orjson.loads(frame.split(b"\ndata: ", 1)[1]) for frame in frames]


CREATED = {"type": "response.created", "sequence_number": 0,
           "response": {"id": "resp_up", "object": "response", "status": "in_progress"}}  # fmt: skip
DELTA = {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_up",
         "output_index": 0, "content_index": 0, "delta": "Hi", "logprobs": [], "extra": True}  # fmt: skip


def test_a_providers_events_pass_as_they_are() -> None:
    completed = {"type": "response.completed", "sequence_number": 2,
                 "response": {**CREATED["response"], "status": "completed"}}  # fmt: skip
    assert relay([CREATED, DELTA, completed]) == [CREATED, DELTA, completed]


def test_a_providers_stream_that_breaks_ends_failed_numbered_after_its_last_event() -> None:
    error = {"error": {"message": "The answer broke off", "code": "stream_interrupted"}}
    events = relay([CREATED, DELTA, error])
    assert events[:2] == [CREATED, DELTA]
    assert [(e["type"], e["sequence_number"]) for e in events[2:]] == [
        ("error", 2),
        ("response.failed", 3),
    ]
    assert events[2]["code"] == "stream_interrupted"
    failed = events[3]["response"]
    assert (failed["id"], failed["status"]) == ("resp_up", "failed")


def test_a_chat_chunk_that_has_a_type_key_is_still_translated() -> None:
    chunk = {"id": "chatcmpl-abc", "object": "chat.completion.chunk", "type": "chunk",
             "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}  # fmt: skip
    events = relay([chunk])
    assert events[0]["type"] == "response.created"
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["id"] == "resp_abc"


# -- fuzz: any body on the native path, never a 500 -------------------------------------------


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Tiers]]:
    store = tmp_path_factory.mktemp("fuzz") / "ledger.db"
    with ExitStack() as stack:
        tiers = Tiers(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
        )
        server = stack.enter_context(BackgroundServer(create_app(make_config(tiers, store))))
        yield stack.enter_context(httpx.Client(base_url=server.url, timeout=10)), tiers


def test_fuzz_the_native_path_answers_4xx_never_5xx(fuzzed: tuple[httpx.Client, Tiers]) -> None:
    http, tiers = fuzzed

    @settings(max_examples=200, deadline=None, database=None)
    @given(body=REQUEST, headers=hint_headers, native=st.booleans())
    def run(body: Any, headers: dict[str, str], native: bool) -> None:
        if native:  # route to the native tier (unless the data must stay local)
            headers = {**headers, **CRITICAL}
            if isinstance(body, dict) and body.get("model") != "gpt-4o":
                body = {**body, "model": "auto"}
        response = http.post("/v1/responses", content=json.dumps(body), headers=headers)
        check_responses_answer(response)

    run()
    assert tiers.openai.count("/v1/responses") > 0  # the native path was exercised
