"""Table tests for the wire translators: OpenAI bodies to each protocol and answers back,
checked against recorded payloads and against the official openai SDK's own models."""

from __future__ import annotations

import array
import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai as openai_sdk
import orjson
import pytest
from openai.types import CreateEmbeddingResponse
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageFunctionToolCall,
)

from tiergate import protocols
from tiergate.protocols import MalformedResponse, UntranslatableRequest
from tiergate.protocols import ollama as ollama_wire
from tiergate.protocols import openai as openai_wire
from tiergate.types import Usage

FIXTURES = Path(__file__).parent / "fixtures"
RID = "chatcmpl-tg-7f3a9c"
CREATED = 1_750_000_000
MODEL = "served-model"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def lines(name: str) -> list[bytes]:
    return fixture(name).split(b"\n")


def run_stream(wire: Any, name: str, *, include_usage: bool) -> tuple[Any, list[dict[str, Any]]]:
    stream = wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=include_usage
    )
    chunks = [chunk for line in lines(name) for chunk in stream.feed(line)]
    return stream, chunks


def float32(values: list[float]) -> list[float]:
    return array.array("f", values).tolist()


def sdk_client(body: bytes, content_type: str = "application/json") -> openai_sdk.OpenAI:
    """The real SDK, answered by a transport that returns `body` (no network)."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": content_type})

    http_client = httpx2.Client(transport=httpx2.MockTransport(answer))
    return openai_sdk.OpenAI(api_key="test", base_url="http://gateway/v1", http_client=http_client)


def sse(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


# -- registry -------------------------------------------------------------------------------


def test_get_returns_each_module_and_rejects_unknown_names() -> None:
    assert protocols.get("ollama") is ollama_wire
    assert protocols.get("openai") is openai_wire
    assert (ollama_wire.CHAT_PATH, ollama_wire.EMBED_PATH) == ("/api/chat", "/api/embed")
    assert (openai_wire.CHAT_PATH, openai_wire.EMBED_PATH) == ("/chat/completions", "/embeddings")
    with pytest.raises(KeyError, match="ollama, openai, anthropic, azure"):
        protocols.get("bedrock")


# -- encode_chat: openai ----------------------------------------------------------------------

CHAT = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("body", "stream", "expected"),
    [
        (CHAT, False, {"max_tokens": 256}),
        ({**CHAT, "max_tokens": 9000}, False, {"max_tokens": 256}),
        ({**CHAT, "max_completion_tokens": 9000}, False, {"max_completion_tokens": 256}),
        (
            {**CHAT, "max_tokens": 5, "max_completion_tokens": 9000},
            False,
            {"max_completion_tokens": 256},
        ),
        (
            {**CHAT, "stream": True},
            True,
            {"max_tokens": 256, "stream": True, "stream_options": {"include_usage": True}},
        ),
        (
            {**CHAT, "stream": True, "stream_options": {"include_usage": False, "x": 1}},
            True,
            {"max_tokens": 256, "stream": True, "stream_options": {"include_usage": True, "x": 1}},
        ),
        ({**CHAT, "stream_options": {"include_usage": True}}, False, {"max_tokens": 256}),
    ],
)
def test_openai_encode_chat_enforces_model_cap_and_stream_usage(
    body: dict[str, Any], stream: bool, expected: dict[str, Any]
) -> None:
    before = orjson.dumps(body)
    out = openai_wire.encode_chat(body, model="gpt-4o", max_tokens=256, stream=stream)
    assert out == {"model": "gpt-4o", "messages": CHAT["messages"], **expected}
    assert orjson.dumps(body) == before  # the caller's body is not mutated


def test_openai_encode_chat_passes_unknown_parameters_through() -> None:
    extra = {
        "user": "u-1",
        "logprobs": True,
        "top_logprobs": 2,
        "n": 2,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "tool_choice": "required",
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
    }
    out = openai_wire.encode_chat({**CHAT, **extra}, model="gpt-4o", max_tokens=1, stream=False)
    assert out == {**CHAT, **extra, "model": "gpt-4o", "max_tokens": 1}


# -- encode_chat: ollama ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ({}, {"num_predict": 64}),
        ({"max_tokens": 9000, "max_completion_tokens": 9000}, {"num_predict": 64}),
        (
            {"temperature": 0, "top_p": 0.9, "seed": 7, "frequency_penalty": 0.5},
            {
                "num_predict": 64,
                "temperature": 0,
                "top_p": 0.9,
                "seed": 7,
                "frequency_penalty": 0.5,
            },
        ),
        (
            {"presence_penalty": 1.5, "stop": "END"},
            {"num_predict": 64, "presence_penalty": 1.5, "stop": ["END"]},
        ),
        ({"stop": ["\n", "user:"]}, {"num_predict": 64, "stop": ["\n", "user:"]}),
        ({"temperature": None, "stop": None}, {"num_predict": 64}),
    ],
)
def test_ollama_encode_chat_moves_sampling_into_options(
    extra: dict[str, Any], options: dict[str, Any]
) -> None:
    out = ollama_wire.encode_chat(
        {**CHAT, **extra}, model="llama3.2:8b", max_tokens=64, stream=True
    )
    assert out == {
        "model": "llama3.2:8b",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "options": options,
    }


SCHEMA = {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}
TOOL = {
    "type": "function",
    "function": {"name": "get_current_weather", "parameters": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"response_format": {"type": "json_object"}}, {"format": "json"}),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "p", "schema": SCHEMA, "strict": True},
                }
            },
            {"format": SCHEMA},
        ),
        ({"response_format": {"type": "text"}}, {}),
        ({"tools": [TOOL], "tool_choice": "auto"}, {"tools": [TOOL]}),
        (
            {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            {"tools": [TOOL]},
        ),
        ({"tools": [TOOL], "tool_choice": "none"}, {}),
        # No Ollama equivalent: dropped rather than sent as unknown fields.
        ({"n": 3, "user": "u", "logprobs": True, "stream_options": {"include_usage": True}}, {}),
    ],
)
def test_ollama_encode_chat_translates_format_and_tools(
    extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = ollama_wire.encode_chat({**CHAT, **extra}, model="m", max_tokens=8, stream=False)
    assert {
        k: v for k, v in out.items() if k not in ("model", "messages", "stream", "options")
    } == expected
    assert out["stream"] is False


def test_ollama_encode_chat_translates_history_with_tools_and_images() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    body = {
        "model": "auto",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather where this was taken?"},
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{png}", "detail": "low"},
                    },
                    {"type": "text", "text": "Use celsius."},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": {
                            "name": "get_current_weather",
                            "arguments": '{"location": "Paris"}',
                        },
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_b", "content": "14:00"},
            {
                "role": "tool",
                "tool_call_id": "call_a",
                "content": [{"type": "text", "text": "21C"}],
            },
            {"role": "tool", "tool_call_id": "unknown", "content": "?"},
        ],
    }
    out = ollama_wire.encode_chat(body, model="llava", max_tokens=8, stream=False)
    assert out["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather where this was taken?\nUse celsius.", "images": [png]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"function": {"name": "get_current_weather", "arguments": {"location": "Paris"}}},
                {"function": {"name": "get_time", "arguments": {}}},
            ],
        },
        {"role": "tool", "content": "14:00", "tool_name": "get_time"},
        {"role": "tool", "content": "21C", "tool_name": "get_current_weather"},
        {"role": "tool", "content": "?"},
    ]


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}],
            },
            "data:",
        ),
        ({"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}, "input_audio"),
        (
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{oops"}}],
            },
            "JSON object",
        ),
        (
            {
                "role": "assistant",
                "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "[1]"}}],
            },
            "JSON object",
        ),
    ],
)
def test_ollama_encode_chat_rejects_what_it_cannot_express(
    message: dict[str, Any], match: str
) -> None:
    with pytest.raises(UntranslatableRequest, match=match) as caught:
        ollama_wire.encode_chat({"messages": [message]}, model="m", max_tokens=1, stream=False)
    assert isinstance(caught.value, ValueError)


# -- decode_chat ------------------------------------------------------------------------------


def decode(wire: Any, payload: bytes) -> tuple[dict[str, Any], Usage | None, ChatCompletion]:
    response, usage = wire.decode_chat(payload, model=MODEL, request_id=RID, created=CREATED)
    parsed = ChatCompletion.model_validate(response)
    assert (parsed.id, parsed.created, parsed.model) == (RID, CREATED, MODEL)
    assert parsed.object == "chat.completion"
    return response, usage, parsed


@pytest.mark.parametrize(
    ("wire", "name", "content", "finish", "usage"),
    [
        (ollama_wire, "ollama_chat.json", "The sky looks blue because", "stop", Usage(26, 29)),
        (
            ollama_wire,
            "ollama_chat_length.json",
            "Rayleigh scattering describes",
            "length",
            Usage(31, 20),
        ),
        (openai_wire, "openai_chat.json", "The sky is blue because", "stop", Usage(19, 10)),
    ],
)
def test_decode_chat_text_answers(
    wire: Any, name: str, content: str, finish: str, usage: Usage
) -> None:
    _, got_usage, parsed = decode(wire, fixture(name))
    choice = parsed.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content is not None
    assert choice.message.content.startswith(content)
    assert choice.message.tool_calls is None
    assert choice.finish_reason == finish
    assert got_usage == usage
    assert parsed.usage is not None
    assert (parsed.usage.prompt_tokens, parsed.usage.completion_tokens) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert parsed.usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_openai_decode_chat_keeps_upstream_extras() -> None:
    response, _, parsed = decode(openai_wire, fixture("openai_chat.json"))
    assert parsed.system_fingerprint == "fp_07871e2ad8"
    assert parsed.usage is not None and parsed.usage.prompt_tokens_details is not None
    assert parsed.usage.prompt_tokens_details.cached_tokens == 0
    assert response["choices"][0]["message"]["refusal"] is None


def test_ollama_decode_chat_tool_calls_get_openai_shape_and_stable_ids() -> None:
    response, usage, parsed = decode(ollama_wire, fixture("ollama_chat_tool_calls.json"))
    message = parsed.choices[0].message
    assert parsed.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    ids = [call.id for call in message.tool_calls]
    assert ids == [ollama_wire.tool_call_id(RID, 0), ollama_wire.tool_call_id(RID, 1)]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    calls = [c for c in message.tool_calls if isinstance(c, ChatCompletionMessageFunctionToolCall)]
    assert [c.type for c in calls] == ["function", "function"]
    args = [orjson.loads(call.function.arguments) for call in calls]
    assert args == [
        {"format": "celsius", "location": "Paris, FR"},
        {"format": "celsius", "location": "Lyon, FR"},
    ]
    again, _ = ollama_wire.decode_chat(
        fixture("ollama_chat_tool_calls.json"), model=MODEL, request_id=RID, created=CREATED
    )
    assert again == response
    assert usage == Usage(122, 33)


def test_openai_decode_chat_tool_calls_pass_through() -> None:
    _, usage, parsed = decode(openai_wire, fixture("openai_chat_tool_calls.json"))
    calls = parsed.choices[0].message.tool_calls
    assert calls is not None and isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    assert calls[0].id == "call_Xk3PqT9mZr2wLs8vYd4nHb1c"
    assert orjson.loads(calls[0].function.arguments) == {
        "location": "Paris, FR",
        "format": "celsius",
    }
    assert parsed.choices[0].finish_reason == "tool_calls"
    assert usage == Usage(82, 21)


@pytest.mark.parametrize(
    ("wire", "payload", "usage"),
    [
        # Ollama omits zero counts: neither means "not reported"; one alone means the other is 0.
        (ollama_wire, {"message": {"role": "assistant", "content": "x"}, "done": True}, None),
        (
            ollama_wire,
            {"message": {"role": "assistant", "content": "x"}, "done": True, "eval_count": 3},
            Usage(0, 3),
        ),
        (
            openai_wire,
            {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "x"},
                        "finish_reason": "stop",
                    }
                ]
            },
            None,
        ),
        (
            openai_wire,
            {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "x"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": None,
            },
            None,
        ),
    ],
)
def test_decode_chat_without_usage(wire: Any, payload: dict[str, Any], usage: Usage | None) -> None:
    response, got, parsed = decode(wire, orjson.dumps(payload))
    assert got == usage
    if usage is None:
        assert response.get("usage") is None and parsed.usage is None
    assert parsed.choices[0].message.content == "x"


MALFORMED_CHAT = [
    b"",
    b"not json",
    b"[1, 2]",
    b'{"done": true}',
    b'{"message": "text", "done": true}',
    b'{"message": {"content": 5}, "done": true}',
    b'{"message": {"content": "x", "tool_calls": [{"function": {}}]}, "done": true}',
    b'{"message": {"content": "x"}, "done": true, "prompt_eval_count": "7"}',
    b'{"error": "model requires more system memory (9.4 GiB) than is available (3.1 GiB)"}',
]


@pytest.mark.parametrize("payload", MALFORMED_CHAT)
def test_ollama_decode_chat_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedResponse):
        ollama_wire.decode_chat(payload, model=MODEL, request_id=RID, created=CREATED)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b'"just a string"',
        b'{"choices": []}',
        b'{"choices": [{"index": 0}]}',
        b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}], "usage": {"prompt_tokens": "many"}}',
        fixture("openai_error.json"),
    ],
)
def test_openai_decode_chat_malformed(payload: bytes) -> None:
    with pytest.raises(MalformedResponse):
        openai_wire.decode_chat(payload, model=MODEL, request_id=RID, created=CREATED)


# -- streams ----------------------------------------------------------------------------------


def check_chunks(chunks: list[dict[str, Any]], *, include_usage: bool) -> list[ChatCompletionChunk]:
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert all((p.id, p.created, p.model) == (RID, CREATED, MODEL) for p in parsed)
    assert parsed[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].delta.role is None for c in parsed[1:] if c.choices)
    if include_usage:
        assert parsed[-1].choices == [] and parsed[-1].usage is not None
        assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
        body = parsed[:-1]
    else:
        assert all("usage" not in c for c in chunks)
        body = parsed
    assert [c.choices[0].finish_reason for c in body][:-1] == [None] * (len(body) - 1)
    return parsed


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize(
    ("wire", "name", "text", "usage"),
    [
        (ollama_wire, "ollama_chat_stream.jsonl", "The sky is blue.", Usage(26, 6)),
        (openai_wire, "openai_chat_stream.sse", "Hello!", Usage(9, 2)),
    ],
)
def test_stream_of_text(wire: Any, name: str, text: str, usage: Usage, include_usage: bool) -> None:
    stream, chunks = run_stream(wire, name, include_usage=include_usage)
    parsed = check_chunks(chunks, include_usage=include_usage)
    assert stream.done is True
    assert stream.usage == usage
    assert "".join(c.choices[0].delta.content or "" for c in parsed if c.choices) == text
    finishes = [c.choices[0].finish_reason for c in parsed if c.choices]
    assert finishes[-1] == "stop"
    if include_usage:
        last = parsed[-1].usage
        assert last is not None
        assert (last.prompt_tokens, last.completion_tokens, last.total_tokens) == (
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.prompt_tokens + usage.completion_tokens,
        )


@pytest.mark.parametrize(
    ("wire", "name", "call_id", "arguments", "usage"),
    [
        (
            ollama_wire,
            "ollama_chat_stream_tool_calls.jsonl",
            ollama_wire.tool_call_id(RID, 0),
            {"format": "celsius", "location": "Toronto"},
            Usage(217, 54),
        ),
        (
            openai_wire,
            "openai_chat_stream_tool_calls.sse",
            "call_DdmO9pD3xa9XTPNJ32zg2hcA",
            {"location": "Paris, FR"},
            Usage(80, 16),
        ),
    ],
)
def test_stream_of_tool_calls(
    wire: Any, name: str, call_id: str, arguments: dict[str, Any], usage: Usage
) -> None:
    stream, chunks = run_stream(wire, name, include_usage=True)
    parsed = check_chunks(chunks, include_usage=True)
    deltas = [call for c in parsed if c.choices for call in c.choices[0].delta.tool_calls or []]
    assert {d.index for d in deltas} == {0}
    assert [d.id for d in deltas if d.id] == [call_id]
    assert [d.function.name for d in deltas if d.function and d.function.name] == [
        "get_current_weather"
    ]
    joined = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert orjson.loads(joined) == arguments
    assert parsed[-2].choices[0].finish_reason == "tool_calls"
    assert stream.usage == usage


def test_ollama_stream_skips_thinking_only_lines() -> None:
    stream = ollama_wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=False
    )
    assert stream.feed(lines("ollama_chat_stream_tool_calls.jsonl")[0]) == []
    first = stream.feed(lines("ollama_chat_stream_tool_calls.jsonl")[1])
    assert first[0]["choices"][0]["delta"]["role"] == "assistant"


def test_ollama_stream_with_an_empty_answer_still_opens_with_the_role() -> None:
    stream = ollama_wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=False
    )
    (chunk,) = stream.feed(
        b'{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}'
    )
    assert chunk["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant"},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert stream.done and stream.usage is None


def test_openai_stream_usage_on_a_choices_chunk_is_still_sent_last() -> None:
    # Some OpenAI-compatible servers attach usage to the final chunk that has choices.
    stream = openai_wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=True
    )
    usage = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    first = stream.feed(
        b'data: {"choices":[{"index":0,"delta":{"content":"A"},"finish_reason":"stop"}],"usage":'
        + orjson.dumps(usage)
        + b"}"
    )
    assert first[0]["usage"] is None and first[0]["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "A",
    }
    (last,) = stream.feed(b"data: [DONE]")
    assert last["choices"] == [] and last["usage"] == usage
    assert stream.usage == Usage(3, 1)


@pytest.mark.parametrize(
    "line", [b"", b"\r\n", b": keep-alive", b"event: message", b"id: 7", b"retry: 100"]
)
def test_openai_stream_ignores_sse_framing(line: bytes) -> None:
    stream = openai_wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=True
    )
    assert stream.feed(line) == []
    assert not stream.done


@pytest.mark.parametrize(
    ("wire", "bad_lines"),
    [
        (openai_wire, [b"data: {not json"]),
        (openai_wire, [b"hello"]),
        (openai_wire, [b'data: {"object":"chat.completion.chunk"}']),
        (openai_wire, [b'data: {"choices":[{"index":0}]}']),
        (openai_wire, [b"data: [DONE]", b'data: {"choices":[]}']),
        (openai_wire, lines("openai_chat_stream_error.sse")),
        (ollama_wire, [b"{not json"]),
        (ollama_wire, [b"[1,2]"]),
        (ollama_wire, [b'{"message":{"role":"assistant","content":"x"}}']),
        (ollama_wire, [b'{"message":"x","done":false}']),
        (ollama_wire, [b'{"done":true}', b'{"done":true}']),
        (ollama_wire, lines("ollama_chat_stream_error.jsonl")),
    ],
)
def test_stream_raises_on_garbage_and_in_stream_errors(wire: Any, bad_lines: list[bytes]) -> None:
    stream = wire.ChatStream(model=MODEL, request_id=RID, created=CREATED, include_usage=True)
    with pytest.raises(MalformedResponse):
        for line in bad_lines:
            stream.feed(line)


def test_in_stream_error_message_reaches_the_exception() -> None:
    stream = ollama_wire.ChatStream(
        model=MODEL, request_id=RID, created=CREATED, include_usage=False
    )
    first, error = lines("ollama_chat_stream_error.jsonl")[:2]
    assert stream.feed(first)[0]["choices"][0]["delta"]["content"] == "Once"
    with pytest.raises(MalformedResponse, match="unexpected EOF"):
        stream.feed(error)


@pytest.mark.parametrize(
    ("wire", "name"),
    [(ollama_wire, "ollama_chat_stream.jsonl"), (openai_wire, "openai_chat_stream.sse")],
)
def test_stream_cut_before_the_end_is_not_done(wire: Any, name: str) -> None:
    stream = wire.ChatStream(model=MODEL, request_id=RID, created=CREATED, include_usage=True)
    for line in lines(name)[:3]:
        stream.feed(line)
    assert stream.done is False


@pytest.mark.parametrize(
    ("wire", "name"),
    [
        (ollama_wire, "ollama_chat_stream_tool_calls.jsonl"),
        (openai_wire, "openai_chat_stream_tool_calls.sse"),
    ],
)
def test_sdk_reassembles_our_stream(wire: Any, name: str) -> None:
    _, chunks = run_stream(wire, name, include_usage=True)
    client = sdk_client(sse(chunks), "text/event-stream")
    with client.chat.completions.stream(
        model="auto", messages=[{"role": "user", "content": "?"}]
    ) as events:
        final = events.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls"
    calls = final.choices[0].message.tool_calls
    assert calls is not None and isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    assert calls[0].function.name == "get_current_weather"
    assert final.usage is not None and final.usage.prompt_tokens > 0


# -- embeddings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"input": "hello", "model": "auto"}, {"model": "bge-m3", "input": "hello"}),
        (
            {"input": ["a", "b"], "model": "auto", "encoding_format": "base64"},
            {"model": "bge-m3", "input": ["a", "b"]},
        ),
        (
            {"input": "x", "model": "auto", "dimensions": 256, "user": "u"},
            {"model": "bge-m3", "input": "x", "dimensions": 256},
        ),
    ],
)
def test_ollama_encode_embed(body: dict[str, Any], expected: dict[str, Any]) -> None:
    assert ollama_wire.encode_embed(body, model="bge-m3") == expected


@pytest.mark.parametrize("tokens", [[1, 2, 3], [[1, 2], [3]], ["ok", 5], None])
def test_ollama_encode_embed_rejects_token_ids(tokens: Any) -> None:
    with pytest.raises(UntranslatableRequest, match="token ids"):
        ollama_wire.encode_embed({"input": tokens, "model": "auto"}, model="bge-m3")


def test_openai_encode_embed_passes_through_with_model() -> None:
    body = {"input": [[1, 2, 3]], "model": "auto", "encoding_format": "base64", "dimensions": 8}
    assert openai_wire.encode_embed(body, model="text-embedding-3-small") == {
        **body,
        "model": "text-embedding-3-small",
    }


VECTORS = [
    [0.0023064255, -0.009327292, 0.015797347, -0.0077780345],
    [0.0112, 0.0456, -0.0321, 0.0098],
]


@pytest.mark.parametrize(
    ("wire", "name", "encoding_format"),
    [
        (ollama_wire, "ollama_embed.json", None),
        (ollama_wire, "ollama_embed.json", "float"),
        (ollama_wire, "ollama_embed.json", "base64"),
        (openai_wire, "openai_embed_float.json", "float"),
        (openai_wire, "openai_embed_float.json", "base64"),
        (openai_wire, "openai_embed_base64.json", "base64"),
        (openai_wire, "openai_embed_base64.json", None),
    ],
)
def test_decode_embed(wire: Any, name: str, encoding_format: str | None) -> None:
    response, usage = wire.decode_embed(fixture(name), model=MODEL, encoding_format=encoding_format)
    assert usage == Usage(8)
    items = response["data"]
    if encoding_format == "base64":
        assert all(isinstance(item["embedding"], str) for item in items)
        decoded = [array.array("f", base64.b64decode(item["embedding"])).tolist() for item in items]
        assert decoded == [float32(v) for v in VECTORS]
        response = {
            **response,
            "data": [{**item, "embedding": v} for item, v in zip(items, decoded, strict=True)],
        }
    parsed = CreateEmbeddingResponse.model_validate(response)
    assert parsed.object == "list" and parsed.model == MODEL
    assert [d.index for d in parsed.data] == [0, 1]
    assert [float32(d.embedding) for d in parsed.data] == [float32(v) for v in VECTORS]
    assert (parsed.usage.prompt_tokens, parsed.usage.total_tokens) == (8, 8)


@pytest.mark.parametrize(
    ("wire", "name"), [(ollama_wire, "ollama_embed.json"), (openai_wire, "openai_embed_float.json")]
)
def test_sdk_default_base64_round_trip(wire: Any, name: str) -> None:
    # The SDK asks for base64 when the caller names no format, and decodes it itself.
    response, _ = wire.decode_embed(fixture(name), model=MODEL, encoding_format="base64")
    result = sdk_client(orjson.dumps(response)).embeddings.create(model="auto", input=["a", "b"])
    assert [float32(d.embedding) for d in result.data] == [float32(v) for v in VECTORS]


@pytest.mark.parametrize(
    ("wire", "payload"),
    [
        (ollama_wire, {"embeddings": [[0.5, 0.25]]}),
        (
            openai_wire,
            {
                "object": "list",
                "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}],
            },
        ),
    ],
)
def test_decode_embed_without_usage_reports_none_but_stays_valid(
    wire: Any, payload: dict[str, Any]
) -> None:
    response, usage = wire.decode_embed(orjson.dumps(payload), model=MODEL, encoding_format=None)
    assert usage is None
    parsed = CreateEmbeddingResponse.model_validate(response)
    assert parsed.usage.prompt_tokens == 0 and parsed.data[0].embedding == [0.5, 0.25]


@pytest.mark.parametrize(
    ("wire", "payload", "encoding_format"),
    [
        (ollama_wire, b"nope", None),
        (ollama_wire, b'{"embeddings": "x"}', None),
        (ollama_wire, b'{"embeddings": [1.0, 2.0]}', None),
        (ollama_wire, b'{"embeddings": [["a"]]}', "base64"),
        (ollama_wire, fixture("ollama_error.json"), None),
        (openai_wire, b'{"object": "list"}', None),
        (openai_wire, b'{"data": [{"embedding": 3}]}', None),
        (openai_wire, b'{"data": [{"embedding": "%%%"}]}', "float"),
        (openai_wire, fixture("openai_error.json"), None),
    ],
)
def test_decode_embed_malformed(wire: Any, payload: bytes, encoding_format: str | None) -> None:
    with pytest.raises(MalformedResponse):
        wire.decode_embed(payload, model=MODEL, encoding_format=encoding_format)


# -- error_message ----------------------------------------------------------------------------

ERRORS: list[tuple[Callable[[bytes], str], bytes, str]] = [
    (
        openai_wire.error_message,
        fixture("openai_error.json"),
        "This model's maximum context length is 128000 tokens.",
    ),
    (ollama_wire.error_message, fixture("ollama_error.json"), 'model "llama9:70b" not found'),
    (ollama_wire.error_message, b'{"error":{"message":"rate limited","type":"x"}}', "rate limited"),
    (openai_wire.error_message, b'{"message": "Bad gateway"}', "Bad gateway"),
    (
        openai_wire.error_message,
        b"<html>\n<h1>502 Bad Gateway</h1>\n</html>",
        "<html> <h1>502 Bad Gateway</h1> </html>",
    ),
    (ollama_wire.error_message, b"upstream connect error\x00\xff", "upstream connect error"),
    (ollama_wire.error_message, b"", "(empty body)"),
    (openai_wire.error_message, b"x" * 500, "x" * 200 + "..."),
]


@pytest.mark.parametrize(("error_message", "payload", "expected"), ERRORS)
def test_error_message(
    error_message: Callable[[bytes], str], payload: bytes, expected: str
) -> None:
    message = error_message(payload)
    assert message.startswith(expected)
    assert message.isprintable() and len(message) <= 203
