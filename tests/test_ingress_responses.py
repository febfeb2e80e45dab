"""POST /v1/responses served by tiergate, driven by the official openai SDK against FakeUpstream tiers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai import omit
from openai._models import construct_type
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent

from tiergate.errors import InvalidRequest
from tiergate.ingress.responses import Responses

from . import multiprovider
from .conftest import Start, Tiers, sdk
from .jsonfuzz import bodies, either, fuzz_gateway, hint_headers, hint_objects

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
PII = "Please write to jane.doe@example.com about her claim."
fakes = multiprovider.fakes
gateway_url = multiprovider.gateway_url
CRITICAL = {"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}
TEXT_EVENTS = [
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


def client(url: str, **headers: str) -> openai.OpenAI:
    return sdk(
        base_url=url + "/v1", api_key="unused", max_retries=0, timeout=10, default_headers=headers
    )


# -- plain text ------------------------------------------------------------------------------


def test_plain_text(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        raw = c.responses.with_raw_response.create(
            model="auto", input="Hello there", instructions="Be brief"
        )
    response = raw.parse()
    assert response.object == "response" and response.status == "completed"
    assert response.output_text.startswith("simulated reply from local")
    assert response.model == "llama3.2:3b"
    assert response.instructions == "Be brief" and response.store is False
    assert response.usage is not None and response.usage.output_tokens == 12
    assert response.usage.total_tokens == response.usage.input_tokens + 12
    assert response.id == "resp_" + raw.headers["x-tiergate-request-id"].removeprefix("chatcmpl-")
    assert raw.headers["x-tiergate-provider"] == "local"
    assert tiers.local.received[0].body["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "Hello there"},
    ]
    assert tiers.cloud_received() == 0


def test_message_items_with_content_parts(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        response = c.responses.create(
            model="gpt-4o",
            input=[
                {"role": "developer", "content": "Answer in French"},
                {"role": "user", "content": [{"type": "input_text", "text": "Say hello"}]},
                {"type": "message", "role": "assistant",
                 "content": [{"type": "output_text", "text": "Bonjour"}]},
                {"role": "user", "content": "Again"},
            ],
            temperature=0.3,
            top_p=0.8,
            max_output_tokens=40,
        )  # fmt: skip
    assert response.status == "completed" and response.output_text
    sent = tiers.openai.received[0].body
    assert sent["messages"] == [
        {"role": "developer", "content": "Answer in French"},
        {"role": "user", "content": [{"type": "text", "text": "Say hello"}]},
        {"role": "assistant", "content": "Bonjour"},
        {"role": "user", "content": "Again"},
    ]
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"]) == (0.3, 0.8, 40)
    assert response.max_output_tokens == 40 and response.temperature == 0.3


def test_max_output_tokens_makes_an_incomplete_response(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        response = c.responses.create(model="auto", input="Count to ten", max_output_tokens=3)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None and response.usage.output_tokens == 3
    assert tiers.local.received[0].body["options"]["num_predict"] == 3


def test_text_format_json_schema(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string"}},
        "required": ["colour"],
    }
    text = {"format": {"type": "json_schema", "name": "colour", "schema": schema, "strict": True}}
    with client(url) as c:
        local = c.responses.create(model="auto", input="A colour", text=text)  # type: ignore[arg-type]
        cloud = c.responses.create(model="gpt-4o", input="A colour", text=text)  # type: ignore[arg-type]
    assert isinstance(orjson.loads(local.output_text), dict)
    assert isinstance(orjson.loads(cloud.output_text), dict)
    assert tiers.local.received[0].body["format"] == schema
    assert tiers.openai.received[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "colour", "schema": schema, "strict": True},
    }


# -- tools -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["auto", "gpt-4o"])
def test_tool_round_trip(gateway: Start, tiers: Tiers, model: str) -> None:
    url = gateway()
    with client(url) as c:
        first = c.responses.create(model=model, input="Weather in Lisbon?", tools=[WEATHER])  # type: ignore[list-item]
        calls = [item for item in first.output if item.type == "function_call"]
        assert len(calls) == 1 and calls[0].name == "get_weather"
        assert orjson.loads(calls[0].arguments) == {"city": "fake"}
        call = calls[0]
        second = c.responses.create(
            model=model,
            input=[
                {"role": "user", "content": "Weather in Lisbon?"},
                {"type": "function_call", "call_id": call.call_id, "name": call.name,
                 "arguments": call.arguments},
                {"type": "function_call_output", "call_id": call.call_id, "output": "18 C, sunny"},
            ],
            tools=[WEATHER],  # type: ignore[list-item]
        )  # fmt: skip
    assert second.output_text and not [i for i in second.output if i.type == "function_call"]
    fake = tiers.local if model == "auto" else tiers.openai
    sent = fake.received[1].body["messages"]
    if model == "gpt-4o":
        assert sent[1]["tool_calls"][0]["id"] == call.call_id
        assert sent[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "18 C, sunny"}
        assert fake.received[0].body["tools"] == [
            {"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}
        ]
    else:  # Ollama pairs a result with its call by name
        assert sent[2] == {"role": "tool", "content": "18 C, sunny", "tool_name": "get_weather"}


def test_output_items_sent_back_as_input(gateway: Start, tiers: Tiers) -> None:
    """OpenAI's own function-calling example: append response.output to the input and answer."""
    url = gateway()
    conversation: list[Any] = [{"role": "user", "content": "Weather in Lisbon?"}]
    with client(url) as c:
        first = c.responses.create(model="gpt-4o", input=conversation, tools=[WEATHER])  # type: ignore[list-item, arg-type]
        conversation += first.output
        (call,) = first.output
        assert call.type == "function_call"
        conversation.append(
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 C"}
        )
        second = c.responses.create(model="gpt-4o", input=conversation, tools=[WEATHER])  # type: ignore[list-item, arg-type]
        conversation += second.output
        conversation.append({"role": "user", "content": "And tomorrow?"})
        third = c.responses.create(model="gpt-4o", input=conversation)  # type: ignore[arg-type]
    assert second.output_text and third.output_text
    sent = tiers.openai.received[2].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "user"]
    assert sent[3] == {"role": "assistant", "content": second.output_text}


def test_tool_choice_and_parallel_calls_pass_on(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        response = c.responses.create(
            model="gpt-4o",
            input="Weather?",
            tools=[WEATHER],  # type: ignore[list-item]
            tool_choice={"type": "function", "name": "get_weather"},
            parallel_tool_calls=False,
        )
    sent = tiers.openai.received[0].body
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False
    assert response.parallel_tool_calls is False


# -- every tier and protocol ------------------------------------------------------------------


def exercise(url: str, model: str) -> str:
    """Text, a streamed text, a tool call and a streamed tool call through client.responses;
    returns the provider that served them."""
    with client(url) as c:
        raw = c.responses.with_raw_response.create(model=model, input="Hello")
        whole = raw.parse()
        events = list(c.responses.create(model=model, input="Hello", stream=True))
        called = c.responses.create(model=model, input="Weather in Oslo?", tools=[WEATHER])  # type: ignore[list-item]
        with c.responses.stream(model=model, input="Weather in Oslo?", tools=[WEATHER]) as stream:  # type: ignore[list-item]
            streamed = stream.get_final_response()
    assert whole.status == "completed" and whole.output_text
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == whole.output_text
    for response in (called, streamed):
        (call,) = [item for item in response.output if item.type == "function_call"]
        assert call.name == "get_weather" and orjson.loads(call.arguments) == {"city": "fake"}
    return raw.headers["x-tiergate-provider"]


@pytest.mark.parametrize(
    ("model", "provider"),
    [("llama3.2:3b", "local"), ("gpt-oss:120b", "ollama_cloud"), ("gpt-4o", "openai")],
)
def test_every_tier_serves_the_responses_api(
    gateway: Start, tiers: Tiers, model: str, provider: str
) -> None:
    url = gateway()
    assert exercise(url, model) == provider
    served = {"local": tiers.local, "ollama_cloud": tiers.cloud, "openai": tiers.openai}[provider]
    assert served.count() == 4 and sum(f.count() for f in tiers.all) == 4


@pytest.mark.parametrize(
    ("model", "provider"),
    [(multiprovider.CLAUDE, "anthropic"), (multiprovider.AZURE_CHAT, "azure")],
)
def test_anthropic_and_azure_serve_the_responses_api(
    gateway_url: str, fakes: multiprovider.Fakes, model: str, provider: str
) -> None:
    assert exercise(gateway_url, model) == provider
    assert getattr(fakes, provider).count() == 4 and fakes.local.count() == 0
    with client(gateway_url, **CRITICAL) as c:
        assert c.responses.create(model="auto", input=PII).status == "completed"
    assert fakes.local.count() == 1 and fakes.cloud_received() == 4


# -- streaming -------------------------------------------------------------------------------


def test_stream_true_yields_the_typed_events_in_order(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        events = list(c.responses.create(model="auto", input="Hello", stream=True))
        whole = c.responses.create(model="auto", input="Hello")
    assert [e.type for e in events] == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    done = events[-1]
    assert done.type == "response.completed"
    assert deltas == done.response.output_text == whole.output_text
    assert done.response.usage is not None and done.response.usage.output_tokens == 12
    assert events[0].type == "response.created" and events[0].response.status == "in_progress"


@pytest.mark.parametrize("model", ["auto", "gpt-4o"])
def test_stream_helper_with_tools(gateway: Start, model: str) -> None:
    url = gateway()
    with (
        client(url) as c,
        c.responses.stream(model=model, input="Weather?", tools=[WEATHER]) as stream,
    ):  # type: ignore[list-item]
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.function_call_arguments.delta" in kinds
    assert kinds[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    (call,) = final.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert orjson.loads(call.arguments) == {"city": "fake"}


def test_stream_helper_text(gateway: Start) -> None:
    url = gateway()
    with client(url) as c, c.responses.stream(model="gpt-4o", input="Hello") as stream:
        texts = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text and final.status == "completed"


def test_a_broken_stream_ends_with_error_and_response_failed(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        events = list(c.responses.create(model="auto", input="go [[fake:cut-stream]]", stream=True))
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    error, failed = events[-2], events[-1]
    assert error.type == "error" and error.code == "stream_interrupted"
    assert "broke off" in error.message
    assert failed.type == "response.failed" and failed.response.status == "failed"
    assert failed.response.error is not None
    assert not any(e.type == "response.completed" for e in events)


def test_requests_are_on_the_ledger_and_a_client_that_leaves_is_settled(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway()
    with client(url) as c:
        raw = c.responses.with_raw_response.create(model="gpt-4o", input="hi")
    assert ledger(tmp_path / "ledger.db", raw.headers["x-tiergate-request-id"]) == [
        ("openai", "ok", 1, 12)
    ]
    tiers.local.chunk_delay_s = 0.05
    tiers.local.reply_words = 100
    body = orjson.dumps({"model": "auto", "input": "long", "stream": True})
    with httpx.stream("POST", url + "/v1/responses", content=body, timeout=10) as response:
        next(response.iter_lines())
        request_id = response.headers["x-tiergate-request-id"]
    # Leaving the block hung up with most of the answer still to come.
    assert ledger(tmp_path / "ledger.db", request_id) == [("local", "client_closed", 0, 0)]
    assert httpx.get(url + "/healthz", timeout=10).json()["providers"]["local"]["in_flight"] == 0


def ledger(store: Path, request_id: str) -> list[tuple[Any, ...]]:
    """The request's attempt rows, waiting up to 10 s for a stream's, written as it ends."""
    deadline = time.monotonic() + 10
    rows: list[tuple[Any, ...]] = []
    while not rows and time.monotonic() < deadline:
        with sqlite3.connect(store) as conn:
            rows = conn.execute(
                "SELECT provider, outcome, egress, completion_tokens FROM attempts "
                "WHERE request_id = ? ORDER BY attempt",
                (request_id,),
            ).fetchall()
        time.sleep(0.02)
    return rows


def relay(chunks: list[Any]) -> list[dict[str, Any]]:
    """Responses events for a router stream of these chat chunks (then [DONE]), as JSON."""

    async def router() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield b"data: " + orjson.dumps(chunk) + b"\n\n"
        yield b"data: [DONE]\n\n"

    async def collect() -> list[bytes]:
        return [frame async for frame in Responses({"model": "auto", "input": "x"}).relay(router())]

    frames = asyncio.run(collect())
    return [orjson.loads(frame.split(b"\ndata: ", 1)[1]) for frame in frames]


def test_streamed_text_refusal_and_tool_call_pieces_accumulate_in_the_sdk() -> None:
    head = {"id": "chatcmpl-abc", "object": "chat.completion.chunk", "created": 1, "model": "m"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    events = relay([
        chunk({"role": "assistant", "content": "Let me "}),
        chunk({"content": "see."}),
        chunk({"refusal": "I cannot share that."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                               "function": {"name": "lookup", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"q": '}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"x"}'}}]}),
        chunk({}, "tool_calls"),
        {**head, "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 7}},
    ])  # fmt: skip
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    for event in events:
        state.handle_event(construct_type(type_=ResponseStreamEvent, value=event))  # type: ignore[arg-type]
    final = events[-1]["response"]
    assert events[-1]["type"] == "response.completed" and final["id"] == "resp_abc"
    message, call = final["output"]
    assert message["content"] == [
        {"type": "output_text", "text": "Let me see.", "annotations": [], "logprobs": []},
        {"type": "refusal", "refusal": "I cannot share that."},
    ]
    assert (call["call_id"], call["name"], call["arguments"]) == ("call_1", "lookup", '{"q": "x"}')
    assert final["usage"]["input_tokens"] == 5 and final["usage"]["output_tokens"] == 7
    kinds = [e["type"] for e in events]
    assert "response.refusal.delta" in kinds and "response.refusal.done" in kinds
    assert kinds.count("response.function_call_arguments.delta") == 2


def test_a_stream_that_ends_without_done_fails() -> None:
    async def router() -> AsyncIterator[bytes]:
        yield b'data: {"id": "chatcmpl-x", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\n'

    async def collect() -> list[bytes]:
        return [frame async for frame in Responses({"model": "auto", "input": "x"}).relay(router())]

    kinds = [orjson.loads(f.split(b"\ndata: ", 1)[1])["type"] for f in asyncio.run(collect())]
    assert kinds[-2:] == ["error", "response.failed"]


# -- hints and privacy -----------------------------------------------------------------------


def test_hints_from_headers_and_the_body_object(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url, **{"X-Tiergate-Quality": "high"}) as c:
        raw = c.responses.with_raw_response.create(model="auto", input="Draft a plan")
        assert raw.headers["x-tiergate-provider"] == "ollama_cloud"
        raw = c.responses.with_raw_response.create(
            model="auto",
            input="Design it",
            extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
        )
    assert raw.headers["x-tiergate-provider"] == "openai"
    assert "tiergate" not in tiers.openai.received[0].body


@pytest.mark.parametrize("stream", [False, True])
def test_pii_never_reaches_a_cloud_fake(gateway: Start, tiers: Tiers, stream: bool) -> None:
    url = gateway()
    with client(url, **CRITICAL) as c:
        if stream:
            events = list(c.responses.create(model="auto", input=PII, stream=True))
            assert events[-1].type == "response.completed"
        else:
            assert c.responses.create(model="auto", input=PII).status == "completed"
        c.responses.create(
            model="auto",
            input=[
                {"role": "user", "content": "Who is it?"},
                {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c1", "output": PII},
            ],
        )
        c.responses.create(model="auto", input="Summarise", instructions=PII)
        with pytest.raises(openai.PermissionDeniedError) as denied:
            c.responses.create(model="gpt-4o", input=PII)
    assert denied.value.status_code == 403 and "pii" in str(denied.value.message)
    assert tiers.cloud_received() == 0
    assert tiers.local.count() == 3


PII_TOOL = {**WEATHER, "description": f"Mail the result to {PII}"}


@pytest.mark.parametrize(
    "fields",
    [
        {"input": "Summarise", "instructions": PII},
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": PII}]}]},
        {"input": [{"role": "assistant", "content": [{"type": "output_text", "text": PII}]},
                   {"role": "user", "content": "and?"}]},
        {"input": [{"role": "user", "content": "go"},
                   {"type": "function_call", "call_id": "c1", "name": "mail",
                    "arguments": orjson.dumps({"to": "jane.doe@example.com"}).decode()},
                   {"type": "function_call_output", "call_id": "c1", "output": "sent"}]},
        {"input": "Weather?", "tools": [PII_TOOL]},
        {"input": "A colour", "text": {"format": {"type": "json_schema", "name": "x",
                                                  "schema": {"description": PII, "type": "object"}}}},
    ],
)  # fmt: skip
def test_pii_in_any_field_keeps_the_request_local(
    gateway: Start, tiers: Tiers, fields: dict[str, Any]
) -> None:
    url = gateway()
    with client(url, **CRITICAL) as c:
        raw = c.post("/responses", body={"model": "auto", **fields}, cast_to=httpx.Response)
    assert raw.status_code == 200
    assert raw.headers["x-tiergate-provider"] == "local"
    assert raw.headers["x-tiergate-classification"] == "pii"
    assert tiers.cloud_received() == 0 and tiers.local.count() == 1


# -- refusals --------------------------------------------------------------------------------


def test_conversation_state_is_refused(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        with pytest.raises(openai.BadRequestError) as previous:
            c.responses.create(model="auto", input="And then?", previous_response_id="resp_123")
        stored = c.responses.create(model="auto", input="Keep this", store=True)
        with pytest.raises(openai.BadRequestError) as retrieve:
            c.responses.retrieve(stored.id)
        with pytest.raises(openai.BadRequestError):
            c.responses.delete(stored.id)
        with pytest.raises(openai.BadRequestError) as background:
            c.responses.create(model="auto", input="Long job", background=True)
    assert previous.value.body["param"] == "previous_response_id"  # type: ignore[index]
    assert "conversation state" in previous.value.message
    assert stored.store is False
    assert "conversation state" in retrieve.value.message
    assert background.value.body["param"] == "background"  # type: ignore[index]


def test_built_in_tools_are_refused_naming_the_field(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c, pytest.raises(openai.BadRequestError) as refused:
        c.responses.create(
            model="auto",
            input="News?",
            tools=[WEATHER, {"type": "web_search"}],  # type: ignore[list-item]
        )
    assert refused.value.body["param"] == "tools[1].type"  # type: ignore[index]
    assert "web_search" in refused.value.message and "billed per call" in refused.value.message
    assert tiers.local.count() + tiers.cloud_received() == 0


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "auto"}, "input"),
        ({"model": "auto", "input": []}, "input"),
        ({"model": "auto", "input": [3]}, "input[0]"),
        ({"model": "auto", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"model": "auto", "input": [{"role": "user", "content": 5}]}, "input[0].content"),
        ({"model": "auto", "input": [{"role": "user", "content": [{"type": "x"}]}]}, "input[0].content[0]"),
        ({"model": "auto", "input": [{"type": "function_call", "name": "f"}]}, "input[0].call_id"),
        ({"model": "auto", "input": [{"type": "function_call_output", "call_id": "c", "output": 3}]},
         "input[0].output"),
        ({"model": "auto", "input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0]"),
        ({"model": "auto", "input": [{"type": "computer_call"}]}, "input[0].type"),
        ({"model": "auto", "input": "x", "instructions": 7}, "instructions"),
        ({"model": "auto", "input": "x", "max_output_tokens": 0}, "max_output_tokens"),
        ({"model": "auto", "input": "x", "temperature": 9}, "temperature"),
        ({"model": "auto", "input": "x", "text": {"format": {"type": "json_schema"}}}, "text.format.name"),
        ({"model": "auto", "input": "x", "tool_choice": "always"}, "tool_choice"),
        ({"model": "auto", "input": "x", "tools": [{"type": "function"}]}, "tools[0].name"),
        ({"model": "auto", "input": "x", "conversation": "conv_1"}, "conversation"),
        ({"model": "auto", "input": "x", "service_tier": "priority"}, "service_tier"),
        ({"model": "auto", "input": "x", "stream": "yes"}, "stream"),
        ({"model": "nope", "input": "x"}, "model"),
        ({"model": "auto", "input": "x", "tiergate": {"quality": "best"}}, "tiergate.quality"),
    ],
)  # fmt: skip
def test_bad_fields_are_400s_naming_the_field(
    gateway: Start, body: dict[str, Any], param: str
) -> None:
    url = gateway()
    with client(url) as c, pytest.raises(openai.BadRequestError) as refused:
        c.post("/responses", body=body, cast_to=object)
    assert refused.value.body["param"] == param  # type: ignore[index]
    assert refused.value.body["code"] == "invalid_request"  # type: ignore[index]


def test_a_call_ollama_cannot_take_with_pii_is_refused_not_sent(
    gateway: Start, tiers: Tiers
) -> None:
    """Found by the fuzz below (then a 500): past-call arguments that are not JSON cannot go
    to Ollama, and pii may not go to the cloud, so nobody may serve it."""
    url = gateway()
    with client(url) as c, pytest.raises(openai.PermissionDeniedError) as refused:
        c.responses.create(
            model="auto",
            input=[
                {"role": "user", "content": PII},
                {"type": "function_call", "call_id": "c1", "name": "get_weather",
                 "arguments": "not json"},
            ],
        )  # fmt: skip
    assert refused.value.body["code"] == "policy_denied"  # type: ignore[index]
    assert tiers.local.count() == 0 and tiers.cloud_received() == 0


# -- fuzz: any body, never a 500, always OpenAI's error envelope --------------------------------

texts = st.text(max_size=30)
parts = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "input_text",
                "input_text",
                "output_text",
                "input_image",
                "input_file",
                "input_audio",
                "refusal",
            ]
        )
    },
    optional={
        "text": texts,
        "image_url": st.sampled_from(
            ["data:image/png;base64,iVBORw0KGgo=", "https://example.com/a.png"]
        ),
        "file_data": st.just("data:application/pdf;base64,JVBERi0="),
        "input_audio": st.fixed_dictionaries(
            {"data": st.just("UklGRg=="), "format": st.just("wav")}
        ),
    },
)
items = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "user", "assistant", "system", "developer"]),
         "content": either(texts | st.lists(either(parts), min_size=1, max_size=2))},
        optional={"type": st.just("message")},
    ),
    st.fixed_dictionaries(
        {"type": st.just("function_call"), "call_id": st.sampled_from(["c1", "c2"]),
         "name": st.sampled_from(["get_weather", "lookup"]),
         "arguments": st.sampled_from(["{}", '{"city": "Oslo"}', "not json"])}
    ),
    st.fixed_dictionaries(
        {"type": st.just("function_call_output"), "call_id": st.sampled_from(["c1", "c2"]),
         "output": either(texts)}
    ),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["reasoning", "item_reference", "web_search_call"]), "id": texts}
    ),
)  # fmt: skip
REQUEST = bodies(
    {"model": st.sampled_from(["auto", "auto", "llama3.2:3b", "gpt-4o", "no-such-model"]),
     "input": texts | st.lists(either(items), min_size=1, max_size=4)},
    {
        "instructions": texts,
        "tools": st.lists(st.sampled_from([WEATHER, WEATHER, {"type": "web_search"}]), max_size=2),
        "tool_choice": st.sampled_from(["auto", "none", "required",
                                        {"type": "function", "name": "get_weather"}]),
        "parallel_tool_calls": st.booleans(),
        "max_output_tokens": st.integers(-1, 500),
        "temperature": st.floats(-0.5, 2.5),
        "top_p": st.floats(0, 1),
        "text": st.sampled_from([{"format": {"type": "text"}}, {"format": {"type": "json_object"}},
                                 {"format": {"type": "json_schema", "name": "x",
                                             "schema": {"type": "object"}}}]),
        "reasoning": st.fixed_dictionaries({}, optional={"effort": st.sampled_from(["low", "high"])}),
        "stream": st.booleans(),
        "store": st.booleans(),
        "previous_response_id": st.none(),
        "background": st.just(False),
        "metadata": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
        "service_tier": st.sampled_from(["auto", "default", "flex"]),
        "include": st.lists(st.text(max_size=10), max_size=1),
        "tiergate": hint_objects,
    },
)  # fmt: skip
TERMINAL = {"response.completed", "response.incomplete", "response.failed"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        fuzz_gateway(tmp_path_factory.mktemp("fuzz") / "ledger.db") as (url, _),
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield http


def check_responses_answer(response: httpx.Response) -> None:
    assert response.status_code != 500 and response.status_code < 600, response.text
    if response.status_code >= 400:
        body = response.json()
        assert list(body) == ["error"], body
        error = body["error"]
        assert set(error) == {"message", "type", "param", "code"}, error
        assert isinstance(error["message"], str) and error["message"]
    elif response.headers["content-type"].startswith("text/event-stream"):
        events = []
        for block in response.text.strip().split("\n\n"):
            kind, data = block.split("\n")
            event = json.loads(data.removeprefix("data: "))
            assert kind == "event: " + event["type"]
            events.append(event)
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        assert events[0]["type"] == "response.created" and events[-1]["type"] in TERMINAL
    else:
        assert response.json()["object"] == "response"


def test_fuzz_any_body_gets_a_response_or_an_openai_error(fuzzed: httpx.Client) -> None:
    @settings(max_examples=300, deadline=None, database=None)
    @given(body=REQUEST, headers=hint_headers)
    def run(body: Any, headers: dict[str, str]) -> None:
        response = fuzzed.post("/v1/responses", content=json.dumps(body), headers=headers)
        check_responses_answer(response)

    run()


def test_fuzz_the_translator_raises_only_invalid_request() -> None:
    @settings(max_examples=200, deadline=None, database=None)
    @given(body=REQUEST.filter(lambda b: isinstance(b, dict)))
    def run(body: dict[str, Any]) -> None:
        try:
            translation = Responses(body)
        except InvalidRequest as exc:
            assert exc.message and exc.status_code == 400
        else:
            assert isinstance(translation.body["messages"], list)

    run()
