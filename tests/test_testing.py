"""FakeUpstream, driven by the official openai and ollama clients over real loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections.abc import Iterator

import httpx
import ollama
import openai
import pytest

from tiergate.testing import BEHAVIOUR_HEADER, FakeUpstream, Fault, parse_behaviour

HELLO = [{"role": "user", "content": "hello"}]
# One message of 5 bytes: ceil(5 / 4) + 3, plus 3.
HELLO_PROMPT_TOKENS = 2 + 3 + 3
TWELVE_WORDS = "simulated reply from fake word5 word6 word7 word8 word9 word10 word11 word12"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "days": {"type": "integer"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "days", "unit"],
            },
        },
    }
]


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with FakeUpstream(name="fake") as upstream:
        yield upstream


@pytest.fixture
def client(fake: FakeUpstream) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-test", max_retries=0) as c:
        yield c


@pytest.fixture
def local(fake: FakeUpstream) -> Iterator[ollama.Client]:
    with ollama.Client(host=fake.url) as c:
        yield c


def say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_openai_chat_answers_with_usage_and_echoes_the_model(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert reply.model == "gpt-4o-mini"
    assert reply.choices[0].message.content == TWELVE_WORDS
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (HELLO_PROMPT_TOKENS, 12)
    assert (fake.served_prompt_tokens, fake.served_completion_tokens) == (HELLO_PROMPT_TOKENS, 12)


def test_openai_async_client() -> None:
    async def main() -> str | None:
        async with (
            FakeUpstream(reply_words=3) as fake,
            openai.AsyncOpenAI(
                base_url=fake.openai_base_url, api_key="sk-test", max_retries=0
            ) as client,
        ):
            reply = await client.chat.completions.create(model="m", messages=HELLO)
            return reply.choices[0].message.content

    assert asyncio.run(main()) == "simulated reply from"


def test_openai_stream_sends_one_word_per_chunk_then_usage(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    stream = client.chat.completions.create(
        model="m",
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    contents = [c.choices[0].delta.content for c in chunks if c.choices]
    assert contents[0] == "" and chunks[0].choices[0].delta.role == "assistant"
    assert contents[1:3] == ["simulated", " reply"]
    assert "".join(c or "" for c in contents) == TWELVE_WORDS
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.usage is None for c in chunks[:-1])
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 12 == len([c for c in contents if c])
    assert fake.served_completion_tokens == 12


def test_openai_stream_without_include_usage_has_no_usage_key(fake: FakeUpstream) -> None:
    body = {"model": "m", "messages": HELLO, "stream": True}
    response = httpx.post(f"{fake.openai_base_url}/chat/completions", json=body)
    assert response.headers["content-type"] == "text/event-stream"
    events = [e.removeprefix("data: ") for e in response.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    assert all("usage" not in json.loads(e) for e in events[:-1])


def test_openai_embeddings_base64_by_default_and_float_agree(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    default = client.embeddings.create(model="text-embedding-3-small", input=["alpha", "beta"])
    floats = client.embeddings.create(
        model="text-embedding-3-small", input=["alpha", "beta"], encoding_format="float"
    )
    assert fake.received[0].body["encoding_format"] == "base64"
    assert [d.embedding for d in default.data] == [d.embedding for d in floats.data]
    vector = default.data[0].embedding
    assert len(vector) == 8 and math.isclose(sum(v * v for v in vector), 1.0, rel_tol=1e-5)
    assert default.data[0].embedding != default.data[1].embedding
    # ceil(5 / 4) + ceil(4 / 4), for each of the two calls
    assert default.usage.prompt_tokens == 3 and fake.served_prompt_tokens == 6
    assert len(client.embeddings.create(model="e", input="x", dimensions=3).data[0].embedding) == 3


def test_openai_tool_call(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="m", messages=HELLO, tools=TOOLS)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert arguments == {"city": "fake", "days": 1, "unit": "celsius"}


def test_openai_tool_call_streams_and_accumulates(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(model="m", messages=HELLO, tools=TOOLS) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None and calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments)["days"] == 1


def test_after_a_tool_result_the_fake_answers_in_text(client: openai.OpenAI) -> None:
    messages = [
        *HELLO,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    reply = client.chat.completions.create(model="m", messages=messages, tools=TOOLS)
    assert reply.choices[0].finish_reason == "stop"


def test_json_mode_replies_with_a_json_object(client: openai.OpenAI, local: ollama.Client) -> None:
    reply = client.chat.completions.create(
        model="m",
        messages=HELLO,
        response_format={"type": "json_object"},
    )
    assert json.loads(reply.choices[0].message.content or "")["reply"].startswith("simulated")
    parts = local.chat(model="m", messages=HELLO, format="json", stream=True)
    assert json.loads("".join(p.message.content or "" for p in parts))["reply"]


def test_ollama_chat_plain_and_streaming(fake: FakeUpstream, local: ollama.Client) -> None:
    reply = local.chat(model="llama3.2", messages=HELLO, stream=False)
    assert reply.model == "llama3.2" and reply.done and reply.done_reason == "stop"
    assert reply.message.content.startswith("simulated reply from fake")
    assert (reply.prompt_eval_count, reply.eval_count) == (HELLO_PROMPT_TOKENS, 12)
    assert reply.created_at is not None and reply.created_at.endswith("Z")

    parts = list(local.chat(model="llama3.2", messages=HELLO, stream=True))
    assert [p.message.content for p in parts[:2]] == ["simulated", " reply"]
    assert all(not p.done for p in parts[:-1]) and parts[-1].done
    assert parts[-1].eval_count == 12 == len(parts) - 1
    assert fake.served_completion_tokens == 24


def test_ollama_streams_when_stream_is_absent(fake: FakeUpstream) -> None:
    response = httpx.post(f"{fake.url}/api/chat", json={"model": "m", "messages": HELLO})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.splitlines()
    assert len(lines) == 13 and json.loads(lines[-1])["done"] is True


def test_ollama_num_predict_caps_the_reply(local: ollama.Client) -> None:
    reply = local.chat(model="m", messages=HELLO, stream=False, options={"num_predict": 3})
    assert reply.message.content == "simulated reply from"
    assert reply.done_reason == "length" and reply.eval_count == 3


def test_ollama_tool_call_embed_tags_and_version(fake: FakeUpstream, local: ollama.Client) -> None:
    reply = local.chat(model="m", messages=HELLO, tools=TOOLS, stream=False)
    assert reply.message.tool_calls is not None
    call = reply.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments["city"] == "fake"

    embedded = local.embed(model="bge-m3", input=["alpha", "beta"])
    assert len(embedded.embeddings) == 2 and embedded.prompt_eval_count == 3
    assert list(embedded.embeddings[0]) == list(local.embed(model="x", input="alpha").embeddings[0])

    assert [m.model for m in local.list().models] == ["fake-chat", "fake-embed"]
    assert httpx.get(f"{fake.url}/api/version").json()["version"]


def test_openai_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["fake-chat", "fake-embed"]


def test_fail_status_in_each_protocol(client: openai.OpenAI, local: ollama.Client) -> None:
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="m", messages=say("hi [[fake:fail-503]]"))
    assert failed.value.status_code == 503
    assert isinstance(failed.value.body, dict) and failed.value.body["type"] == "server_error"

    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(
            model="m",
            messages=HELLO,
            extra_headers={BEHAVIOUR_HEADER: "fail-401"},
        )
    with pytest.raises(ollama.ResponseError) as refused:
        local.chat(model="m", messages=say("[[fake:fail-502]]"), stream=False)
    assert refused.value.status_code == 502 and "simulated HTTP 502" in refused.value.error


def test_retry_after(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="m", messages=say("[[fake:retry-after-7]]"))
    assert limited.value.response.headers["retry-after"] == "7"
    assert limited.value.code == "rate_limit_exceeded"


def test_cut_stream_raises_mid_stream_and_is_not_served(
    fake: FakeUpstream, client: openai.OpenAI, local: ollama.Client
) -> None:
    words: list[str] = []
    stream = client.chat.completions.create(
        model="m",
        messages=say("[[fake:cut-stream]]"),
        stream=True,
    )
    with pytest.raises(openai.APIConnectionError):
        words.extend(c.choices[0].delta.content or "" for c in stream)
    assert words == ["", "simulated", " reply"]

    with pytest.raises(openai.APIConnectionError):  # not streaming: no answer at all
        client.chat.completions.create(model="m", messages=say("[[fake:cut-stream]]"))

    parts: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):  # the ollama client does not wrap it
        for part in local.chat(model="m", messages=say("[[fake:cut-stream]]"), stream=True):
            parts.append(part.message.content or "")
    assert parts == ["simulated", " reply", " from"]
    assert (fake.served_prompt_tokens, fake.served_completion_tokens) == (0, 0)
    assert fake.count("/v1/chat/completions") == 2 and fake.count() == 3


def test_kill_refuses_connections_and_revive_serves_again(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    port = fake.port
    client.models.list()  # leaves a pooled keep-alive connection for kill() to drop
    fake.kill()
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=HELLO)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{fake.url}/api/version")
    fake.revive()
    assert fake.port == port
    assert client.chat.completions.create(model="m", messages=HELLO).choices[0].message.content


def test_malformed(client: openai.OpenAI, local: ollama.Client) -> None:
    # Surprising but true: the openai SDK lets json's own error escape, not an APIError.
    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model="m", messages=say("[[fake:malformed]]"))
    with pytest.raises(json.JSONDecodeError):
        list(
            client.chat.completions.create(
                model="m",
                messages=say("[[fake:malformed]]"),
                stream=True,
            )
        )
    with pytest.raises(json.JSONDecodeError):
        list(local.chat(model="m", messages=say("[[fake:malformed]]"), stream=True))


def test_no_usage_omits_usage_but_still_counts_what_was_served(
    fake: FakeUpstream, client: openai.OpenAI, local: ollama.Client
) -> None:
    reply = client.chat.completions.create(model="m", messages=say("[[fake:no-usage]]"))
    assert reply.usage is None and reply.choices[0].message.content
    chunks = list(
        client.chat.completions.create(
            model="m",
            messages=say("[[fake:no-usage]]"),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.choices and c.usage is None for c in chunks)
    ollama_reply = local.chat(model="m", messages=say("[[fake:no-usage]]"), stream=False)
    assert ollama_reply.eval_count is None and ollama_reply.prompt_eval_count is None
    assert fake.served_completion_tokens == 36


def test_hang_until_the_client_gives_up_and_stop_does_not_block() -> None:
    with FakeUpstream(behaviour="hang") as fake:
        hung = openai.OpenAI(
            base_url=fake.openai_base_url, api_key="sk-test", max_retries=0, timeout=0.3
        )
        with hung, pytest.raises(openai.APITimeoutError):
            hung.chat.completions.create(model="m", messages=HELLO)
        # A client with no timeout at all is released when the server stops.
        stopper = threading.Timer(0.2, fake.stop)
        stopper.start()
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.post(f"{fake.url}/api/chat", json={"model": "m"}, timeout=None)
        stopper.join()
        assert time.monotonic() - started < 2
        assert fake.count() == 2


def test_slow_and_latency(client: openai.OpenAI) -> None:
    started = time.monotonic()
    client.chat.completions.create(model="m", messages=say("[[fake:slow-0.2]]"))
    assert time.monotonic() - started >= 0.2
    with FakeUpstream(latency_s=0.1, chunk_delay_s=0.01, reply_words=3) as fake:
        started = time.monotonic()
        body = {"model": "m", "messages": HELLO, "stream": True}
        assert len(httpx.post(f"{fake.url}/api/chat", json=body).text.splitlines()) == 4
        assert time.monotonic() - started >= 0.1 + 3 * 0.01


def test_words_and_max_tokens(fake: FakeUpstream, client: openai.OpenAI) -> None:
    five = client.chat.completions.create(model="m", messages=say("[[fake:words-5]]"))
    assert five.choices[0].message.content == "simulated reply from fake word5"
    for cap in ({"max_tokens": 2}, {"max_completion_tokens": 2}):
        capped = client.chat.completions.create(model="m", messages=HELLO, **cap)
        assert capped.choices[0].message.content == "simulated reply"
        assert capped.choices[0].finish_reason == "length"
        assert capped.usage is not None and capped.usage.completion_tokens == 2
    assert fake.served_completion_tokens == 5 + 2 + 2


def test_behaviour_precedence_header_then_directive_then_model_then_instance(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    fake.behaviour = "fail-500"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=HELLO)
    # The last directive wins: earlier turns of a conversation carry old ones.
    turns = [*say("[[fake:fail-400]]"), {"role": "assistant", "content": "x"}, *say("[[fake:ok]]")]
    assert client.chat.completions.create(model="m", messages=turns).choices
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="fake:fail-400", messages=say("hi"), extra_headers={})
    assert client.chat.completions.create(
        model="m",
        messages=say("[[fake:fail-500]]"),
        extra_headers={BEHAVIOUR_HEADER: "ok"},
    ).choices
    assert [r.behaviour for r in fake.received] == ["fail-500", "ok", "fail-400", "ok"]
    with pytest.raises(ValueError, match="unknown fake behaviour"):
        fake.behaviour = "explode"


def test_unknown_behaviour_and_missing_fields_are_400s(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.BadRequestError, match="unknown fake behaviour"):
        client.chat.completions.create(model="m", messages=say("[[fake:explode]]"))
    with pytest.raises(openai.BadRequestError) as missing:
        client.chat.completions.create(model="m", messages=None)
    assert missing.value.param == "messages"
    # The ollama client refuses an empty model itself, so this one goes raw.
    no_model = httpx.post(f"{fake.url}/api/chat", json={"messages": HELLO})
    assert no_model.status_code == 400 and no_model.json() == {"error": "model is required"}


def test_received_records_every_request_before_its_behaviour_and_reset(
    fake: FakeUpstream, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="m", messages=say("[[fake:fail-500]]"))
    client.embeddings.create(model="e", input="x")
    first, second = fake.received
    assert (first.method, first.path, first.behaviour) == (
        "POST",
        "/v1/chat/completions",
        "fail-500",
    )
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body["messages"] == say("[[fake:fail-500]]")
    assert json.loads(first.raw) == first.body
    assert second.path == "/v1/embeddings" and fake.count("/v1/embeddings") == 1
    fake.reset()
    assert fake.count() == 0 and fake.served_prompt_tokens == 0


def test_parse_behaviour() -> None:
    assert parse_behaviour("slow") == Fault("slow")
    assert parse_behaviour("slow-1.5") == Fault("slow", 1.5)
    assert parse_behaviour("fail-503") == Fault("fail", 503)
    assert parse_behaviour("retry-after-2") == Fault("retry-after", 2)
    assert parse_behaviour("words-4") == Fault("words", 4)
    assert parse_behaviour("cut-stream") == Fault("cut-stream")
    assert parse_behaviour("fail-200") is None and parse_behaviour("nope") is None


def test_astart_serves_inside_the_callers_loop_with_kill_and_revive(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        fake = await FakeUpstream().astart()
        try:
            async with httpx.AsyncClient() as http:
                assert (await http.get(f"{fake.url}/v1/models")).status_code == 200
                fake.kill()
                with pytest.raises(httpx.ConnectError):
                    await http.get(f"{fake.url}/v1/models")
                fake.revive()
                assert (await http.get(f"{fake.url}/v1/models")).status_code == 200
        finally:
            await fake.astop()

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    assert not [r for r in caplog.records if r.name.startswith("aiohttp")]


# Wrongly-typed fields get the 400 a real upstream sends, never a 500: (path, body, param).
WRONG_TYPES = [
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": "3"}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": 0}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": -2}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": 2.5}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": True}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": "x", "dimensions": 10**6}, "dimensions"),
    ("/v1/embeddings", {"model": "e", "input": {"text": "x"}}, "input"),
    ("/v1/embeddings", {"model": "e", "input": "x", "encoding_format": 1}, "encoding_format"),
    ("/v1/embeddings", {"model": "e", "input": "x", "encoding_format": "hex"}, "encoding_format"),
    ("/v1/embeddings", {"model": 7, "input": "x"}, "model"),
    ("/v1/chat/completions", {"model": "m", "messages": HELLO, "max_tokens": "2"}, "max_tokens"),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": HELLO, "max_completion_tokens": 2.0},
        "max_completion_tokens",
    ),
    ("/v1/chat/completions", {"model": "m", "messages": HELLO, "stream": "yes"}, "stream"),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": HELLO, "stream": True, "stream_options": []},
        "stream_options",
    ),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": HELLO, "response_format": "json"},
        "response_format",
    ),
    ("/v1/chat/completions", {"model": "m", "messages": HELLO, "tool_choice": 1}, "tool_choice"),
    ("/v1/chat/completions", {"model": "m", "messages": ["hello"]}, "messages[0]"),
    ("/v1/chat/completions", {"model": "m", "messages": [*HELLO, None]}, "messages[1]"),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": [{"role": "user", "content": {"text": "hi"}}]},
        "messages[0].content",
    ),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": [{"role": "user", "content": ["hi"]}]},
        "messages[0].content[0]",
    ),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": [{"role": 1, "content": "hi"}]},
        "messages[0].role",
    ),
    ("/v1/chat/completions", {"model": ["m"], "messages": HELLO}, "model"),
    ("/v1/chat/completions", {"model": "m", "messages": HELLO, "tools": {}}, "tools"),
    ("/v1/chat/completions", {"model": "m", "messages": HELLO, "tools": ["f"]}, "tools[0]"),
    (
        "/v1/chat/completions",
        {"model": "m", "messages": HELLO, "tools": [{"type": "function", "function": "f"}]},
        "tools[0].function",
    ),
    (
        "/v1/chat/completions",
        {
            "model": "m",
            "messages": HELLO,
            "tools": [{"function": {"name": "f", "parameters": {"required": "city"}}}],
        },
        "tools[0].function.parameters.required",
    ),
    (
        "/v1/chat/completions",
        {
            "model": "m",
            "messages": HELLO,
            "tools": [{"function": {"name": "f", "parameters": {"required": [["city"]]}}}],
        },
        "tools[0].function.parameters.required[0]",
    ),
    (
        "/v1/chat/completions",
        {
            "model": "m",
            "messages": HELLO,
            "tools": [{"function": {"parameters": {"properties": {"city": {"enum": "ab"}}}}}],
        },
        "tools[0].function.parameters.properties.city.enum",
    ),
    ("/api/embed", {"model": "e", "input": "x", "dimensions": "3"}, "dimensions"),
    ("/api/embed", {"model": "e", "input": "x", "dimensions": 0}, "dimensions"),
    ("/api/embed", {"model": "e", "input": {"text": "x"}}, "input"),
    ("/api/embed", {"model": 7, "input": "x"}, "model"),
    (
        "/api/chat",
        {"model": "m", "messages": HELLO, "options": {"num_predict": "3"}},
        "options.num_predict",
    ),
    (
        "/api/chat",
        {"model": "m", "messages": HELLO, "options": {"num_predict": 1.5}},
        "options.num_predict",
    ),
    ("/api/chat", {"model": "m", "messages": HELLO, "options": [3]}, "options"),
    ("/api/chat", {"model": "m", "messages": HELLO, "stream": 1}, "stream"),
    ("/api/chat", {"model": "m", "messages": HELLO, "format": 1}, "format"),
    ("/api/chat", {"model": "m", "messages": [1]}, "messages[0]"),
    # Ollama takes text only: list content is the gateway's to flatten.
    (
        "/api/chat",
        {"model": "m", "messages": [{"role": "user", "content": [{"text": "hi"}]}]},
        "messages[0].content",
    ),
    ("/api/chat", {"model": "m", "messages": HELLO, "tools": [{"function": []}]}, "tools[0]"),
]


@pytest.mark.parametrize(("path", "body", "param"), WRONG_TYPES)
def test_wrongly_typed_fields_get_a_400_in_the_protocols_error_format(
    fake: FakeUpstream, caplog: pytest.LogCaptureFixture, path: str, body: object, param: str
) -> None:
    with caplog.at_level(logging.WARNING):
        response = httpx.post(fake.url + path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    if path.startswith("/v1/"):
        assert error["type"] == "invalid_request_error" and error["param"] == param
        assert error["message"] and (param == "input" or error["code"])
    else:
        assert isinstance(error, str) and (param in error or param == "input")
    assert (fake.served_prompt_tokens, fake.served_completion_tokens) == (0, 0)
    assert not caplog.records


WEIRD = [None, True, 0, -1, 2.5, "", "x", [], [None], [1, "a"], {}, {"a": None}]


def test_no_body_shape_makes_it_answer_500(
    fake: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": TOOLS[0]["function"]}}
    chat = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [tool]}
    bases = {
        "/v1/chat/completions": chat,
        "/api/chat": {**chat, "stream": False, "options": {"num_predict": 5}},
        "/v1/embeddings": {"model": "e", "input": "hi"},
        "/api/embed": {"model": "e", "input": "hi"},
    }
    fields = [
        ("model",), ("messages",), ("stream",), ("max_tokens",), ("max_completion_tokens",),
        ("stream_options",), ("response_format",), ("tool_choice",), ("tools",), ("format",),
        ("options",), ("options", "num_predict"), ("messages", 0), ("messages", 0, "content"),
        ("messages", 0, "role"), ("tools", 0), ("tools", 0, "function"),
        ("tools", 0, "function", "name"), ("tools", 0, "function", "parameters"),
        ("tools", 0, "function", "parameters", "properties"),
        ("tools", 0, "function", "parameters", "properties", "city"),
        ("tools", 0, "function", "parameters", "properties", "unit", "enum"),
        ("tools", 0, "function", "parameters", "required"), ("input",), ("dimensions",),
        ("encoding_format",),
    ]  # fmt: skip
    statuses: set[int] = set()
    with caplog.at_level(logging.WARNING), httpx.Client() as http:
        for path, base in bases.items():
            statuses.add(http.post(fake.url + path, content=b"[").status_code)
            for field in fields:
                for value in WEIRD:
                    body = _replaced(base, field, value)
                    if body is None:
                        continue
                    response = http.post(fake.url + path, json=body)
                    statuses.add(response.status_code)
                    assert response.status_code < 500, (path, field, value, response.text)
    assert statuses == {200, 400}
    assert not caplog.records


def _replaced(body: dict[str, object], field: tuple[str | int, ...], value: object) -> object:
    """A deep copy of body with the value at field replaced; None when body has no such field."""
    copy = json.loads(json.dumps(body))
    node = copy
    *parents, last = field
    try:
        for key in parents:
            node = node[key]
        node[last] = value
    except (KeyError, IndexError, TypeError):
        return None
    return copy
