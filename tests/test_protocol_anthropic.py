"""The anthropic protocol: translation tables against recorded Messages API payloads, then the
real gateway serving an Anthropic FakeUpstream to the official openai SDK."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import openai
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tiergate import intake
from tiergate.config import parse_config
from tiergate.errors import InvalidRequest
from tiergate.pricing import from_table
from tiergate.protocols import MalformedResponse, UntranslatableRequest
from tiergate.protocols import anthropic as wire
from tiergate.server import BackgroundServer, create_app
from tiergate.types import Usage

from . import multiprovider
from .multiprovider import ANTHROPIC_KEY, CLAUDE, WEATHER_TOOL, Fakes, client, hints

fakes = multiprovider.fakes
gateway_url = multiprovider.gateway_url

FIXTURES = Path(__file__).parent / "fixtures"
RID = "chatcmpl-tg-anthropic"
CREATED = 1_750_000_000
USER = {"role": "user", "content": "What is the weather in Paris?"}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def encode(body: dict[str, Any], *, stream: bool = False) -> dict[str, Any]:
    return wire.encode_chat(body, model=CLAUDE, max_tokens=300, stream=stream)


def text(value: str) -> dict[str, str]:
    return {"type": "text", "text": value}


def run_stream(name: str, *, include_usage: bool) -> tuple[wire.ChatStream, list[dict[str, Any]]]:
    stream = wire.ChatStream(
        model=CLAUDE, request_id=RID, created=CREATED, include_usage=include_usage
    )
    chunks = [chunk for line in fixture(name).split(b"\n") for chunk in stream.feed(line)]
    return stream, chunks


# -- requests: OpenAI chat body -> Messages body ----------------------------------------------

CALL = {
    "id": "toolu_01A09q90qw90lq917835lq9",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "celsius"}'},
}
CALL_2 = {
    "id": "toolu_02B",
    "type": "function",
    "function": {"name": "get_time", "arguments": ""},
}

ENCODE_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "plain user turn",
        {"messages": [USER]},
        {"messages": [{"role": "user", "content": [text(USER["content"])]}]},
    ),
    (
        "system and developer messages move to system, wherever they are",
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                USER,
                {"role": "developer", "content": [text("Answer in French.")]},
                {"role": "system", "content": ""},
            ]
        },
        {
            "system": [text("Be brief."), text("Answer in French.")],
            "messages": [{"role": "user", "content": [text(USER["content"])]}],
        },
    ),
    (
        "sampling: stop becomes stop_sequences, temperature is clamped to 1, seed is dropped",
        {"messages": [USER], "stop": "END", "temperature": 1.7, "top_p": 0.9, "seed": 7},
        {
            "messages": [{"role": "user", "content": [text(USER["content"])]}],
            "stop_sequences": ["END"],
            "temperature": 1.0,
            "top_p": 0.9,
        },
    ),
    (
        "tools get input_schema; required means any; parallel_tool_calls false is kept",
        {
            "messages": [USER],
            "tools": [WEATHER_TOOL],
            "tool_choice": "required",
            "parallel_tool_calls": False,
            "user": "alice@example.com",
        },
        {
            "messages": [{"role": "user", "content": [text(USER["content"])]}],
            "tools": [
                {
                    "name": "get_weather",
                    "input_schema": WEATHER_TOOL["function"]["parameters"],
                    "description": "Current weather for a city.",
                }
            ],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        },
    ),
    (
        "a named tool_choice; a tool without parameters gets an empty object schema",
        {
            "messages": [USER],
            "tools": [{"type": "function", "function": {"name": "now"}}],
            "tool_choice": {"type": "function", "function": {"name": "now"}},
        },
        {
            "messages": [{"role": "user", "content": [text(USER["content"])]}],
            "tools": [{"name": "now", "input_schema": {"type": "object", "properties": {}}}],
            "tool_choice": {"type": "tool", "name": "now"},
        },
    ),
    (
        "tool calls become tool_use blocks; results and the next user words share one turn",
        {
            "messages": [
                USER,
                {"role": "assistant", "content": None, "tool_calls": [CALL, CALL_2]},
                {"role": "tool", "tool_call_id": CALL["id"], "content": "18 C, sunny"},
                {"role": "tool", "tool_call_id": CALL_2["id"], "content": [text("09:00")]},
                {"role": "user", "content": "Thanks. Umbrella?"},
            ],
            "tools": [WEATHER_TOOL],
            "tool_choice": "none",
        },
        {
            "messages": [
                {"role": "user", "content": [text(USER["content"])]},
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "tool_use",
                            "id": CALL["id"],
                            "name": "get_weather",
                            "input": {"city": "Paris", "unit": "celsius"},
                        },
                        {"type": "tool_use", "id": "toolu_02B", "name": "get_time", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": CALL["id"],
                            "content": "18 C, sunny",
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_02B",
                            "content": [text("09:00")],
                        },
                        text("Thanks. Umbrella?"),
                    ],
                },
            ],
            "tools": [
                {
                    "name": "get_weather",
                    "input_schema": WEATHER_TOOL["function"]["parameters"],
                    "description": "Current weather for a city.",
                }
            ],
            "tool_choice": {"type": "none"},
        },
    ),
    (
        "images inline and by URL; PDFs as documents",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        text("Compare"),
                        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                        {"type": "image_url", "image_url": {"url": "https://example.org/a.jpg"}},
                        {
                            "type": "file",
                            "file": {
                                "file_data": "data:application/pdf;base64,JVBERi0x",
                                "filename": "a.pdf",
                            },
                        },
                    ],
                }
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        text("Compare"),
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                        },
                        {
                            "type": "image",
                            "source": {"type": "url", "url": "https://example.org/a.jpg"},
                        },
                        {
                            "type": "document",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": "JVBERi0x",
                            },
                        },
                    ],
                }
            ]
        },
    ),
    (
        "a JSON schema response_format is a forced call of the internal JSON tool",
        {
            "messages": [USER],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "w", "schema": {"type": "object", "properties": {}}},
            },
        },
        {
            "messages": [{"role": "user", "content": [text(USER["content"])]}],
            "tools": [
                {
                    "name": wire.JSON_TOOL,
                    "description": "Respond with this.",
                    "input_schema": {"type": "object", "properties": {}},
                }
            ],
            "tool_choice": {"type": "tool", "name": wire.JSON_TOOL},
        },
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [case[1:] for case in ENCODE_CASES], ids=[c[0] for c in ENCODE_CASES]
)
def test_encode_chat(body: dict[str, Any], expected: dict[str, Any]) -> None:
    before = orjson.dumps(body)
    assert encode({"model": "auto", **body}) == {"model": CLAUDE, "max_tokens": 300, **expected}
    assert orjson.dumps(body) == before  # the caller's body is not mutated


def test_encode_chat_streams_when_asked_and_always_sends_the_reserved_max_tokens() -> None:
    out = encode({"messages": [USER], "max_tokens": 9000, "stream": True}, stream=True)
    assert (out["max_tokens"], out["stream"]) == (300, True)
    assert "stream" not in encode({"messages": [USER], "stream": True})


UNTRANSLATABLE = [
    ({"n": 2}, "one choice"),
    ({"logprobs": True}, "logprobs"),
    ({"functions": [{"name": "f"}]}, "legacy 'functions'"),
    ({"tools": [{"type": "web_search"}]}, "function tools only"),
    ({"tools": [WEATHER_TOOL], "tool_choice": {"type": "allowed_tools"}}, "tool_choice"),
    (
        {"tools": [WEATHER_TOOL], "response_format": {"type": "json_object"}},
        "cannot combine tools",
    ),
    (
        {"response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "array"}}}},
        "JSON objects only",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
        "'input_audio' parts",
    ),
    (
        {"messages": [{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}]},
        "not OpenAI file ids",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}],
                }
            ]
        },
        "image_url.url",
    ),
    ({"messages": [{"role": "function", "name": "f", "content": "1"}]}, "no 'function' messages"),
    (
        {
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "x", "function": {"name": "f", "arguments": "[1]"}}],
                }
            ]
        },
        "JSON object",
    ),
]


@pytest.mark.parametrize(("extra", "message"), UNTRANSLATABLE)
def test_requests_anthropic_cannot_express_are_untranslatable(
    extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(UntranslatableRequest, match=message):
        encode({"messages": [USER], **extra})


def test_embeddings_are_untranslatable() -> None:
    with pytest.raises(UntranslatableRequest, match="no embeddings"):
        wire.encode_embed({"input": "hello"}, model=CLAUDE)


def test_headers_and_url() -> None:
    config = parse_config(
        f"""
providers:
  - {{name: a, protocol: anthropic, base_url: "https://api.anthropic.com/", api_key: k1, tier: 2, models: {{default: {CLAUDE}}}}}
  - {{name: b, protocol: anthropic, base_url: "https://gw.example", api_key: k2, api_version: "2024-01-01", tier: 2, models: {{default: {CLAUDE}}}}}
""",
        env={},
    )
    a, b = config.providers
    assert wire.headers(a) == {"x-api-key": "k1", "anthropic-version": "2023-06-01"}
    assert wire.headers(b) == {"x-api-key": "k2", "anthropic-version": "2024-01-01"}
    assert wire.url(a, wire.CHAT_PATH, model=CLAUDE) == "https://api.anthropic.com/v1/messages"
    # Anthropic's tool-use system prompt is billed: reserved for unless configured otherwise.
    assert a.prompt_overhead_tokens == 640


# -- answers: Messages -> chat.completion -----------------------------------------------------


def test_decode_chat_text_answer() -> None:
    response, usage = wire.decode_chat(
        fixture("anthropic_messages.json"), model=CLAUDE, request_id=RID, created=CREATED
    )
    completion = ChatCompletion.model_validate(response)
    assert (completion.id, completion.model, completion.created) == (RID, CLAUDE, CREATED)
    assert completion.choices[0].message.content == "Hello! How can I help you today?"
    assert completion.choices[0].finish_reason == "stop"
    assert usage == Usage(12, 12)
    assert completion.usage is not None and completion.usage.total_tokens == 24


def test_decode_chat_tool_use_skips_thinking_and_counts_cache_tokens_as_prompt() -> None:
    response, usage = wire.decode_chat(
        fixture("anthropic_messages_tool_use.json"), model=CLAUDE, request_id=RID, created=CREATED
    )
    completion = ChatCompletion.model_validate(response)
    message = completion.choices[0].message
    assert message.content == "I'll check the weather in Paris."
    assert message.tool_calls is not None and len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call.id == "toolu_01A09q90qw90lq917835lq9"
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert orjson.loads(call.function.arguments) == {"location": "Paris, France", "unit": "celsius"}  # type: ignore[union-attr]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert usage == Usage(472 + 100 + 2048, 89)
    assert response["usage"]["prompt_tokens_details"] == {"cached_tokens": 2048}


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        (None, "stop"),
    ],
)
def test_stop_reason_becomes_finish_reason(stop_reason: str | None, finish: str) -> None:
    payload = orjson.loads(fixture("anthropic_messages.json"))
    payload["stop_reason"] = stop_reason
    response, _ = wire.decode_chat(orjson.dumps(payload), model=CLAUDE, request_id=RID, created=1)
    assert response["choices"][0]["finish_reason"] == finish


def test_the_json_tool_call_comes_back_as_text() -> None:
    payload = orjson.loads(fixture("anthropic_messages_tool_use.json"))
    payload["content"] = [
        {"type": "tool_use", "id": "toolu_x", "name": wire.JSON_TOOL, "input": {"city": "Paris"}}
    ]
    response, _ = wire.decode_chat(orjson.dumps(payload), model=CLAUDE, request_id=RID, created=1)
    choice = ChatCompletion.model_validate(response).choices[0]
    assert orjson.loads(choice.message.content or "") == {"city": "Paris"}
    assert (choice.message.tool_calls, choice.finish_reason) == (None, "stop")


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (fixture("anthropic_error.json"), "Overloaded"),
        (b'{"type": "completion", "completion": "hi"}', "not a message"),
        (b"[]", "not an object"),
        (
            b'{"type": "message", "content": [], "usage": {"input_tokens": "12"}}',
            "unreadable usage",
        ),
        (
            b'{"type": "message", "content": [{"type": "tool_use", "name": "f", "input": {}}]}',
            "without a name or id",
        ),
    ],
)
def test_decode_chat_rejects_what_is_not_a_message(payload: bytes, match: str) -> None:
    with pytest.raises(MalformedResponse, match=match):
        wire.decode_chat(payload, model=CLAUDE, request_id=RID, created=1)


def test_error_message() -> None:
    assert wire.error_message(fixture("anthropic_error.json")) == "Overloaded"


# -- streams ----------------------------------------------------------------------------------


def test_text_stream_becomes_openai_chunks() -> None:
    stream, chunks = run_stream("anthropic_messages_stream.sse", include_usage=True)
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert stream.done and stream.usage == Usage(25, 15)
    assert parsed[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in parsed if c.choices) == "Hello!"
    assert [c.choices[0].finish_reason for c in parsed if c.choices][-1] == "stop"
    assert parsed[-1].choices == [] and parsed[-1].usage is not None
    assert parsed[-1].usage.prompt_tokens == 25
    assert all(c.usage is None for c in parsed[:-1])
    assert {c.id for c in parsed} == {RID}


def test_without_include_usage_no_chunk_carries_usage() -> None:
    stream, chunks = run_stream("anthropic_messages_stream.sse", include_usage=False)
    assert stream.usage == Usage(25, 15)  # still billed
    assert all("usage" not in c for c in chunks)


def test_tool_use_stream_assembles_calls_from_input_json_deltas() -> None:
    stream, chunks = run_stream("anthropic_messages_stream_tool_use.sse", include_usage=True)
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    text_out = "".join(c.choices[0].delta.content or "" for c in parsed if c.choices)
    assert (
        text_out == "Okay, let's check the weather for San Francisco, CA:"
    )  # thinking is left out
    calls: dict[int, dict[str, str]] = {}
    for chunk in parsed:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            call["name"] += (delta.function.name or "") if delta.function else ""
            call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    assert calls[0]["id"] == "toolu_01T1x1fJ34qAmk2tNTrN7Up6"
    assert calls[0]["name"] == "get_weather"
    assert orjson.loads(calls[0]["arguments"]) == {
        "location": "San Francisco, CA",
        "unit": "fahrenheit",
    }
    assert (calls[1]["name"], orjson.loads(calls[1]["arguments"])) == (
        "get_time",
        {"timezone": "America/Los_Angeles"},
    )
    assert [c.choices[0].finish_reason for c in parsed if c.choices][-1] == "tool_calls"
    # message_delta's cumulative counts win; its null cache count keeps what was known (none).
    assert stream.usage == Usage(472 + 64, 89)


def test_an_error_event_before_any_content_raises_with_nothing_sent() -> None:
    stream = wire.ChatStream(model=CLAUDE, request_id=RID, created=1, include_usage=False)
    sent: list[dict[str, Any]] = []
    with pytest.raises(MalformedResponse, match="Overloaded"):
        for line in fixture("anthropic_messages_stream_error.sse").split(b"\n"):
            sent += stream.feed(line)
    assert sent == [] and not stream.done  # so the router can still fall back


def test_a_stream_without_message_stop_is_not_done() -> None:
    stream = wire.ChatStream(model=CLAUDE, request_id=RID, created=1, include_usage=False)
    lines = fixture("anthropic_messages_stream.sse").split(b"\n")
    cut = lines[: lines.index(b"event: message_delta")]
    assert [c for line in cut for c in stream.feed(line)]
    assert not stream.done


def test_json_mode_stream_sends_the_tool_input_as_content() -> None:
    stream = wire.ChatStream(model=CLAUDE, request_id=RID, created=1, include_usage=False)
    events = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 9, "output_tokens": 1}}},
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": wire.JSON_TOOL, "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"a": '},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": "1}"},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ]
    chunks = [c for e in events for c in stream.feed(b"data: " + orjson.dumps(e))]
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert orjson.loads("".join(c.choices[0].delta.content or "" for c in parsed)) == {"a": 1}
    assert parsed[-1].choices[0].finish_reason == "stop"
    assert all(not c.choices[0].delta.tool_calls for c in parsed)


@pytest.mark.parametrize(
    "line",
    [
        b"data: {not json",
        b"garbage: 1",
        b'data: {"type": "content_block_start", "index": "0", "content_block": {}}',
        b'data: {"type": "content_block_delta", "index": 5, "delta": {"type": "input_json_delta", "partial_json": "{"}}',
        b'data: {"type": "message_delta", "delta": {}, "usage": {"output_tokens": -1}}',
    ],
)
def test_malformed_stream_lines_raise(line: bytes) -> None:
    stream = wire.ChatStream(model=CLAUDE, request_id=RID, created=1, include_usage=False)
    with pytest.raises(MalformedResponse):
        stream.feed(line)


# -- through the real gateway, with the official openai SDK -----------------------------------


def cost_usd(prompt: int, completion: int) -> Decimal:
    """Exact: claude-haiku-4-5's prices are whole micro-dollars per token, so no rounding."""
    price = from_table(CLAUDE)
    assert price is not None
    return Decimal(prompt * price.input_pico + completion * price.output_pico) / 10**12


def test_anthropic_serves_tier_2_with_its_own_auth_and_a_table_price(
    gateway_url: str, fakes: Fakes
) -> None:
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "system", "content": "Be brief."}, USER],
            extra_body=hints(quality="high"),
        )
    completion = raw.parse()
    assert raw.headers["x-tiergate-provider"] == "anthropic"
    assert raw.headers["x-tiergate-rule"] == "quality_or_batch"
    assert (
        completion.choices[0].message.content
        == "simulated reply from anthropic word5 word6 word7 word8 word9 word10 word11 word12"
    )
    assert completion.model == CLAUDE
    seen = fakes.anthropic.received[-1]
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == ANTHROPIC_KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in seen.headers
    assert seen.body["system"] == [{"type": "text", "text": "Be brief."}]
    assert seen.body["max_tokens"] == 256
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        fakes.anthropic.served_prompt_tokens,
        fakes.anthropic.served_completion_tokens,
    )
    assert Decimal(raw.headers["x-tiergate-cost-usd"]) == cost_usd(
        usage.prompt_tokens, usage.completion_tokens
    )


def test_anthropic_streams_through_the_sdk(gateway_url: str, fakes: Fakes) -> None:
    with client(gateway_url) as c:
        stream = c.chat.completions.create(
            model="auto",
            messages=[USER],
            stream=True,
            stream_options={"include_usage": True},
            extra_body=hints(quality="high"),
        )
        chunks = list(stream)
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices).startswith(
        "simulated reply from anthropic"
    )
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == fakes.anthropic.served_completion_tokens == 12
    assert fakes.anthropic.received[-1].body["stream"] is True


def test_tool_round_trip_through_anthropic(gateway_url: str, fakes: Fakes) -> None:
    """The SDK gets a tool call, answers it, and gets text: the fake checks that every
    tool_result answers a tool_use of the turn before, as Anthropic does."""
    messages: list[Any] = [USER]
    with client(gateway_url) as c:
        first = c.chat.completions.create(
            model="auto", messages=messages, tools=[WEATHER_TOOL], extra_body=hints(quality="high")
        )
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
        call = choice.message.tool_calls[0]
        assert call.function.name == "get_weather"  # type: ignore[union-attr]
        assert orjson.loads(call.function.arguments) == {"city": "fake", "unit": "celsius"}  # type: ignore[union-attr]
        assert call.id.startswith("toolu_fake")
        messages += [
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "18 C and sunny"},
        ]
        second = c.chat.completions.create(
            model="auto", messages=messages, tools=[WEATHER_TOOL], extra_body=hints(quality="high")
        )
    assert second.choices[0].finish_reason == "stop"
    assert (second.choices[0].message.content or "").startswith("simulated reply")
    sent = fakes.anthropic.received[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[2]["content"][0]["tool_use_id"] == call.id


def test_streamed_tool_call_through_anthropic(gateway_url: str) -> None:
    with client(gateway_url) as c:
        stream = c.chat.completions.create(
            model="auto",
            messages=[USER],
            tools=[WEATHER_TOOL],
            stream=True,
            extra_body=hints(quality="high"),
        )
        chunks = [ch for ch in stream if ch.choices]
    deltas = [d for ch in chunks for d in ch.choices[0].delta.tool_calls or []]
    assert deltas[0].function is not None and deltas[0].function.name == "get_weather"
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert orjson.loads(arguments) == {"city": "fake", "unit": "celsius"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_json_schema_answers_come_back_as_json_text(gateway_url: str, fakes: Fakes) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    }
    response_format: Any = {
        "type": "json_schema",
        "json_schema": {"name": "trip", "schema": schema},
    }
    with client(gateway_url) as c:
        completion = c.chat.completions.create(
            model="auto",
            messages=[USER],
            response_format=response_format,
            extra_body=hints(quality="high"),
        )
        streamed = [
            ch.choices[0].delta.content or ""
            for ch in c.chat.completions.create(
                model="auto",
                messages=[USER],
                response_format=response_format,
                stream=True,
                extra_body=hints(quality="high"),
            )
            if ch.choices
        ]
    assert orjson.loads(completion.choices[0].message.content or "") == {"city": "fake", "days": 1}
    assert completion.choices[0].finish_reason == "stop"
    assert orjson.loads("".join(streamed)) == {"city": "fake", "days": 1}
    sent = fakes.anthropic.received[-1].body
    assert sent["tool_choice"] == {"type": "tool", "name": wire.JSON_TOOL}


def test_a_failing_anthropic_falls_back_to_the_local_tier(gateway_url: str, fakes: Fakes) -> None:
    fakes.anthropic.behaviour = "fail-529"  # Anthropic's "overloaded"
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[USER], extra_body=hints(quality="high")
        )
    assert raw.headers["x-tiergate-attempts"] == "anthropic,local"
    assert raw.headers["x-tiergate-provider"] == "local"
    assert raw.parse().choices[0].message.content
    assert fakes.anthropic.count("/v1/messages") == 1


def test_a_spent_anthropic_budget_sends_the_request_down_a_tier(
    fakes: Fakes, tmp_path: Path
) -> None:
    config = multiprovider.make_config(fakes, tmp_path / "ledger.db", anthropic_budget=0.0001)
    with BackgroundServer(create_app(config)) as server, client(server.url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[USER], extra_body=hints(quality="high")
        )
    assert (raw.headers["x-tiergate-provider"], raw.headers["x-tiergate-rule"]) == (
        "local",
        "budget",
    )
    assert fakes.anthropic.count() == 0


def test_a_stream_cut_after_content_ends_with_an_error_event(
    gateway_url: str, fakes: Fakes
) -> None:
    fakes.anthropic.behaviour = "cut-stream"
    with client(gateway_url) as c:
        stream = c.chat.completions.create(
            model="auto", messages=[USER], stream=True, extra_body=hints(quality="high")
        )
        received: list[str] = []
        with pytest.raises(openai.APIError) as raised:
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
    assert raised.value.code == "stream_interrupted"
    assert "".join(received) == "simulated reply"
    assert fakes.local.count() == 0  # no fallback once the answer has started


def test_a_pii_prompt_never_reaches_anthropic(gateway_url: str, fakes: Fakes) -> None:
    pii = {
        "role": "user",
        "content": "Email jane.doe@example.com about her MRN 4410-22-9981 results.",
    }
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[pii], extra_body=hints(quality="high")
        )
        streamed = list(
            c.chat.completions.create(
                model="auto",
                messages=[pii],
                tools=[WEATHER_TOOL],
                stream=True,
                extra_body=hints(quality="critical", complexity="high"),
            )
        )
    assert raw.headers["x-tiergate-provider"] == "local"
    assert raw.headers["x-tiergate-rule"] == "sensitive"
    assert streamed
    assert fakes.cloud_received() == 0
    assert fakes.local.count() == 2


def test_pinning_a_claude_model_for_embeddings_never_posts_to_anthropic(
    gateway_url: str, fakes: Fakes
) -> None:
    async def post() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                gateway_url + "/v1/embeddings", json={"model": CLAUDE, "input": "hello"}
            ) as response,
        ):
            return response.status, await response.json()

    status, body = asyncio.run(post())
    assert status == 400, body  # the caller can fix this: a model that can embed
    assert body["error"]["param"] == "model"
    assert "no embeddings" in body["error"]["message"]
    assert fakes.anthropic.count() == 0


# -- the fake itself answers like Anthropic ---------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "status", "match"),
    [
        ({"anthropic-version": "2023-06-01"}, {}, 401, "x-api-key"),
        ({"x-api-key": "k"}, {}, 400, "anthropic-version"),
        (
            {"x-api-key": "k", "anthropic-version": "2023-06-01"},
            {"model": CLAUDE, "messages": [{"role": "user", "content": "hi"}]},
            400,
            "max_tokens: Field required",
        ),
        (
            {"x-api-key": "k", "anthropic-version": "2023-06-01"},
            {"model": CLAUDE, "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
            400,
            "top-level `system`",
        ),
        (
            {"x-api-key": "k", "anthropic-version": "2023-06-01"},
            {
                "model": CLAUDE,
                "max_tokens": 5,
                "messages": [
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "nope"}]}
                ],
            },
            400,
            "corresponding `tool_use`",
        ),
    ],
)
def test_the_fake_refuses_what_anthropic_refuses(
    fakes: Fakes, headers: dict[str, str], body: dict[str, Any], status: int, match: str
) -> None:
    async def post() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(fakes.anthropic.url + "/v1/messages", json=body, headers=headers) as r,
        ):
            return r.status, await r.json()

    got, answer = asyncio.run(post())
    assert got == status
    assert answer["type"] == "error"
    assert match in answer["error"]["message"]


# -- no valid body breaks the translator ------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_EVENT = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop",
             "message_delta", "message_stop", "ping", "error"]
        )
    },
    optional={
        "index": st.integers(0, 2) | _JSON,
        "message": st.fixed_dictionaries({}, optional={"usage": _JSON}) | _JSON,
        "content_block": st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "tool_use", "thinking"])},
            optional={"text": _JSON, "id": _JSON, "name": _JSON, "input": _JSON},
        ),
        "delta": st.fixed_dictionaries(
            {"type": st.sampled_from(["text_delta", "input_json_delta", "thinking_delta"])},
            optional={"text": _JSON, "partial_json": _JSON, "stop_reason": _JSON},
        )
        | _JSON,
        "usage": st.fixed_dictionaries(
            {}, optional={"input_tokens": _JSON, "output_tokens": st.integers(0, 99) | _JSON}
        ),
    },
)  # fmt: skip
_PART = st.fixed_dictionaries(
    {"type": st.sampled_from(["text", "image_url", "file", "refusal", "input_audio", "x"])},
    optional={"text": st.text(max_size=5), "image_url": _JSON, "file": _JSON, "refusal": _JSON},
)
_MESSAGE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["system", "developer", "user", "assistant", "tool", "function"]),
        "content": st.none() | st.text(max_size=8) | st.lists(_PART, max_size=3),
    },
    optional={
        "tool_call_id": _JSON,
        "tool_calls": st.lists(
            st.fixed_dictionaries(
                {
                    "id": _JSON,
                    "function": st.fixed_dictionaries(
                        {"name": st.text(max_size=5)}, optional={"arguments": _JSON}
                    ),
                }
            ),
            max_size=2,
        ),
    },
)
_BODY = st.fixed_dictionaries(
    {"model": st.just("auto"), "messages": st.lists(_MESSAGE, min_size=1, max_size=4)},
    optional={
        "tools": st.lists(
            st.dictionaries(st.sampled_from(["type", "function"]), _JSON), max_size=2
        ),
        "tool_choice": _JSON,
        "parallel_tool_calls": _JSON,
        "response_format": st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "json_object", "json_schema"])},
            optional={"json_schema": _JSON},
        ),
        "stop": st.text(max_size=4) | st.lists(st.text(max_size=4), max_size=2),
        "temperature": st.floats(0, 2),
        "n": st.integers(1, 3),
        "logprobs": st.booleans(),
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BODY)
def test_every_body_the_gateway_accepts_encodes_or_is_untranslatable(body: dict[str, Any]) -> None:
    try:
        intake.check_chat(body)
    except InvalidRequest:
        event("refused by intake")
        return
    try:
        out = encode(body)
    except UntranslatableRequest:
        event("untranslatable")
        return
    event("encoded")
    orjson.dumps(out)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.binary(max_size=40) | (_EVENT | _JSON).map(lambda v: b"data: " + orjson.dumps(v)),
        max_size=8,
    )
)
def test_any_stream_line_is_translated_or_malformed(lines: list[bytes]) -> None:
    stream = wire.ChatStream(model=CLAUDE, request_id=RID, created=1, include_usage=True)
    try:
        for line in lines:
            assert isinstance(stream.feed(line), list)
    except MalformedResponse:
        pass
