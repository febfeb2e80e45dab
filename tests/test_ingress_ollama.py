"""Ollama's API served by tiergate, driven by the official `ollama` client against FakeUpstream tiers."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiergate.errors import InvalidRequest
from tiergate.ingress import ollama as ingress

from . import multiprovider
from .conftest import TENANT_KEYS, Start, Tiers
from .jsonfuzz import bodies, either, fuzz_gateway, hint_headers, hint_objects, json_values, models

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
PII = "Please write to jane.doe@example.com about her claim."
fakes = multiprovider.fakes
gateway_url = multiprovider.gateway_url


def client(url: str, **headers: str) -> ollama.Client:
    return ollama.Client(host=url, headers=headers or None, timeout=10)


def post(url: str, path: str, body: Any, **headers: str) -> httpx.Response:
    return httpx.post(url + path, content=orjson.dumps(body), headers=headers, timeout=10)


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in response.content.splitlines() if line.strip()]


# -- chat and generate -----------------------------------------------------------------------


def test_chat_answers_in_ollama_format_with_counts(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        reply = c.chat(model="auto", messages=[{"role": "user", "content": "Hello there"}])
    assert reply.done and reply.done_reason == "stop"
    assert reply.message.role == "assistant"
    assert reply.message.content and reply.message.content.startswith("simulated reply from local")
    assert reply.model == "llama3.2:3b"
    assert reply.eval_count == 12  # FakeUpstream: one token per word, 12 words
    assert reply.prompt_eval_count is not None and reply.prompt_eval_count > 0
    assert reply.total_duration is not None and reply.total_duration > 0
    assert tiers.local.count("/api/chat") == 1 and tiers.cloud_received() == 0


def test_chat_carries_the_tiergate_headers(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    response = post(
        url,
        "/api/chat",
        {"model": "auto", "stream": False, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 200
    assert response.headers["x-tiergate-provider"] == "local"
    assert response.headers["x-tiergate-rule"] == "default"
    assert response.headers["x-tiergate-request-id"].startswith("chatcmpl-")
    assert response.headers["x-tiergate-cost-usd"] == "0"


def test_chat_streams_ndjson_when_stream_is_absent(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    response = post(
        url, "/api/chat", {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    parts = lines(response)
    assert len(parts) == 13  # 12 words, then the final line
    assert all(not p["done"] for p in parts[:-1])
    final = parts[-1]
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["eval_count"] == 12 and final["prompt_eval_count"] > 0
    assert final["total_duration"] >= final["prompt_eval_duration"] + final["eval_duration"]
    text = "".join(p["message"]["content"] for p in parts)
    assert text == " ".join(
        ["simulated", "reply", "from", "local", *(f"word{i}" for i in range(5, 13))]
    )


def test_streamed_and_unstreamed_chat_say_the_same(gateway: Start) -> None:
    url = gateway()
    messages = [{"role": "user", "content": "Tell me something"}]
    with client(url) as c:
        whole = c.chat(model="auto", messages=messages)
        parts = list(c.chat(model="auto", messages=messages, stream=True))
    assert "".join(p.message.content or "" for p in parts) == whole.message.content
    assert parts[-1].done and parts[-1].eval_count == whole.eval_count


def test_generate_sends_system_and_prompt_as_chat(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        reply = c.generate(model="auto", prompt="Name a colour", system="Answer in one word")
        streamed = list(c.generate(model="auto", prompt="Name a colour", stream=True))
    assert reply.done and reply.response and reply.response.startswith("simulated reply")
    assert reply.eval_count == 12
    assert "".join(p.response or "" for p in streamed) == reply.response
    sent = tiers.local.received[0].body
    assert sent["messages"] == [
        {"role": "system", "content": "Answer in one word"},
        {"role": "user", "content": "Name a colour"},
    ]


def test_options_format_and_think_are_translated(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string"}},
        "required": ["colour"],
    }
    with client(url) as c:
        reply = c.chat(
            model="auto",
            messages=[{"role": "user", "content": "A colour, as JSON"}],
            format=schema,
            keep_alive="5m",
            options={"temperature": 0.2, "top_p": 0.9, "seed": 7, "num_predict": 3,
                     "stop": ["\n\n"], "top_k": 40, "num_ctx": 8192},
        )  # fmt: skip
        c.chat(model="gpt-4o", messages=[{"role": "user", "content": "think"}], think="high")
    assert orjson.loads(reply.message.content or "") is not None
    sent = tiers.local.received[0].body
    assert sent["format"] == schema
    assert sent["options"] == {
        "num_predict": 3, "temperature": 0.2, "top_p": 0.9, "seed": 7, "stop": ["\n\n"],
    }  # fmt: skip
    assert "keep_alive" not in sent
    assert tiers.openai.received[0].body["reasoning_effort"] == "high"


def test_num_predict_minus_one_leaves_the_providers_cap(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        c.chat(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            options={"num_predict": -1},
        )
    assert tiers.openai.received[0].body["max_tokens"] == 256  # max_output_tokens in conftest


def test_json_format_and_length_done_reason(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        reply = c.chat(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            format="json",
            options={"num_predict": 2},
        )
    assert tiers.local.received[0].body["format"] == "json"
    with client(url) as c:
        cut = c.generate(model="auto", prompt="count", options={"num_predict": 2})
    assert reply.done
    assert cut.done_reason == "length" and cut.eval_count == 2


def test_images_go_as_image_parts_and_stay_on_premises(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
    response = post(
        url,
        "/api/chat",
        {"model": "auto", "stream": False,
         "messages": [{"role": "user", "content": "What is this?", "images": [base64.b64encode(png).decode()]}]},
        **{"x-tiergate-quality": "high"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.headers["x-tiergate-provider"] == "local"
    assert response.headers["x-tiergate-classification"] == "confidential"
    sent = tiers.local.received[0].body["messages"][0]
    assert sent["content"] == "What is this?"
    assert base64.b64decode(sent["images"][0]) == png
    assert tiers.cloud_received() == 0


def test_load_and_unload_requests_are_answered_at_once(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        loaded = c.generate(model="auto")
        chat_loaded = c.chat(model="llama3.2:3b", messages=[])
        unloaded = c.generate(model="gpt-4o", keep_alive=0)
        with pytest.raises(ollama.ResponseError) as unknown:
            c.chat(model="llama9")
    assert (loaded.done, loaded.done_reason, loaded.response) == (True, "load", "")
    assert (chat_loaded.done_reason, chat_loaded.message.content) == ("load", "")
    assert unloaded.done_reason == "unload"
    assert unknown.value.status_code == 400 and "llama9" in unknown.value.error
    assert sum(f.count() for f in tiers.all) == 0


# -- tools -----------------------------------------------------------------------------------


def test_tool_call_round_trip(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    messages: list[Any] = [{"role": "user", "content": "Weather in Lisbon?"}]
    with client(url) as c:
        first = c.chat(model="auto", messages=messages, tools=[WEATHER])
        calls = first.message.tool_calls
        assert calls and calls[0].function.name == "get_weather"
        assert calls[0].function.arguments == {"city": "fake"}
        messages += [
            first.message,
            {"role": "tool", "tool_name": "get_weather", "content": "18 C, sunny"},
        ]
        second = c.chat(model="auto", messages=messages, tools=[WEATHER])
    assert second.message.content and not second.message.tool_calls
    sent = tiers.local.received[1].body["messages"]
    assert sent[1]["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": {"city": "fake"}}}
    ]
    assert sent[2] == {"role": "tool", "content": "18 C, sunny", "tool_name": "get_weather"}


@pytest.mark.parametrize("model", ["auto", "gpt-4o"])
def test_streamed_tool_calls_arrive_whole(gateway: Start, model: str) -> None:
    url = gateway()
    with client(url) as c:
        parts = list(
            c.chat(
                model=model,
                messages=[{"role": "user", "content": "Weather?"}],
                tools=[WEATHER],
                stream=True,
            )
        )
    calls = [call for p in parts for call in p.message.tool_calls or ()]
    assert [(call.function.name, call.function.arguments) for call in calls] == [
        ("get_weather", {"city": "fake"})
    ]
    assert parts[-1].done and parts[-1].done_reason == "stop"


# -- every tier and protocol ------------------------------------------------------------------


def exercise(url: str, model: str) -> str:
    """Chat, streamed chat, a tool call and a streamed tool call through the ollama client;
    returns the provider that served them (all four must agree)."""
    ask = [{"role": "user", "content": "Weather in Oslo?"}]
    with client(url) as c:
        whole = c.chat(model=model, messages=[{"role": "user", "content": "Hello"}])
        parts = list(
            c.chat(model=model, messages=[{"role": "user", "content": "Hello"}], stream=True)
        )
        called = c.chat(model=model, messages=ask, tools=[WEATHER])
        streamed = list(c.chat(model=model, messages=ask, tools=[WEATHER], stream=True))
    assert whole.done and whole.message.content and whole.eval_count
    assert "".join(p.message.content or "" for p in parts) == whole.message.content
    assert parts[-1].done and parts[-1].eval_count == whole.eval_count
    for calls in (
        called.message.tool_calls,
        [c for p in streamed for c in p.message.tool_calls or ()],
    ):
        assert calls and [(c.function.name, c.function.arguments) for c in calls] == [
            ("get_weather", {"city": "fake"})
        ]
    raw = post(url, "/api/chat", {"model": model, "stream": False, "messages": ask})
    return raw.headers["x-tiergate-provider"]


@pytest.mark.parametrize(
    ("model", "provider"),
    [("llama3.2:3b", "local"), ("gpt-oss:120b", "ollama_cloud"), ("gpt-4o", "openai")],
)
def test_every_tier_serves_the_ollama_client(
    gateway: Start, tiers: Tiers, model: str, provider: str
) -> None:
    url = gateway()
    assert exercise(url, model) == provider
    served = {"local": tiers.local, "ollama_cloud": tiers.cloud, "openai": tiers.openai}[provider]
    assert served.count() == 5 and sum(f.count() for f in tiers.all) == 5


@pytest.mark.parametrize(
    ("model", "provider"),
    [(multiprovider.CLAUDE, "anthropic"), (multiprovider.AZURE_CHAT, "azure")],
)
def test_anthropic_and_azure_serve_the_ollama_client(
    gateway_url: str, fakes: multiprovider.Fakes, model: str, provider: str
) -> None:
    assert exercise(gateway_url, model) == provider
    assert getattr(fakes, provider).count() == 5 and fakes.local.count() == 0
    with client(
        gateway_url, **{"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}
    ) as c:
        assert c.chat(model="auto", messages=[{"role": "user", "content": PII}]).done
    assert fakes.local.count() == 1 and fakes.cloud_received() == 5


# -- embeddings ------------------------------------------------------------------------------


def test_embed_and_the_older_embeddings(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        batch = c.embed(model="auto", input=["first text", "second text"])
        one = c.embed(model="bge-m3", input="one text")
        old = c.embeddings(model="auto", prompt="first text")
    assert len(batch.embeddings) == 2 and len(batch.embeddings[0]) == 8
    assert batch.model == "bge-m3" and batch.prompt_eval_count and batch.prompt_eval_count > 0
    assert len(one.embeddings) == 1
    assert list(old.embedding) == list(batch.embeddings[0])
    assert tiers.local.count("/api/embed") == 3 and tiers.cloud_received() == 0


# -- the model list --------------------------------------------------------------------------


def test_tags_show_and_version(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        names = [m.model for m in c.list().models]
        shown = c.show("gpt-4o")
        embedder = c.show("bge-m3")
        with pytest.raises(ollama.ResponseError) as missing:
            c.show("llama9")
    assert names == ["auto", "llama3.2:3b", "bge-m3", "gpt-oss:120b", "gpt-4o", "gpt-4o-mini"]
    assert shown.capabilities == ["completion", "tools"]
    assert shown.modelinfo == {
        "tiergate.provider": "openai",
        "tiergate.tier": 3,
        "tiergate.on_premises": False,
    }
    assert embedder.capabilities == ["embedding"]
    assert missing.value.status_code == 404 and "llama9" in missing.value.error
    with client(url) as c:
        assert c.ps().models == []
    version = httpx.get(url + "/api/version", timeout=10)
    assert version.status_code == 200 and version.json()["version"]


# -- hints and privacy -----------------------------------------------------------------------


def test_hints_from_headers_and_the_body_object(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url, **{"X-Tiergate-Quality": "high"}) as c:
        c.chat(model="auto", messages=[{"role": "user", "content": "Draft a plan"}])
    assert tiers.cloud.count("/api/chat") == 1
    response = post(
        url,
        "/api/chat",
        {"model": "auto", "stream": False, "messages": [{"role": "user", "content": "Design it"}],
         "tiergate": {"quality": "critical", "complexity": "high"}},
    )  # fmt: skip
    assert response.headers["x-tiergate-provider"] == "openai"
    assert response.headers["x-tiergate-rule"] == "critical"
    assert "tiergate" not in tiers.openai.received[0].body


@pytest.mark.parametrize("stream", [False, True])
def test_pii_through_api_chat_never_reaches_a_cloud_fake(
    gateway: Start, tiers: Tiers, stream: bool
) -> None:
    url = gateway()
    with client(url, **{"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}) as c:
        reply = c.chat(model="auto", messages=[{"role": "user", "content": PII}], stream=stream)
        if stream:
            reply = list(reply)[-1]
        assert reply.done
        generated = c.generate(model="auto", prompt=PII, system="be kind")
        assert generated.done
        c.embed(model="auto", input=["fine", PII])
        with pytest.raises(ollama.ResponseError) as denied:
            c.chat(model="gpt-4o", messages=[{"role": "user", "content": PII}])
    assert denied.value.status_code == 403 and "pii" in denied.value.error
    assert tiers.cloud_received() == 0
    assert tiers.local.count() == 3
    assert any(PII in str(r.body) for r in tiers.local.received)


def test_pii_in_a_tool_result_keeps_the_next_turn_local(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    messages: list[Any] = [
        {"role": "user", "content": "Who is the customer?"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "lookup", "arguments": {}}}]},
        {"role": "tool", "tool_name": "lookup", "content": "Customer IBAN DE89 3704 0044 0532 0130 00"},
    ]  # fmt: skip
    with client(url, **{"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"}) as c:
        reply = c.chat(model="auto", messages=messages)
    assert reply.done and tiers.cloud_received() == 0 and tiers.local.count() == 1


# -- the ledger ------------------------------------------------------------------------------


def ledger(store: Path, request_id: str) -> list[tuple[Any, ...]]:
    """The request's attempt rows (provider, outcome, classification, egress, completion tokens),
    waiting up to 10 s for a stream's row, which is written as its last line leaves."""
    deadline = time.monotonic() + 10
    rows: list[tuple[Any, ...]] = []
    while not rows and time.monotonic() < deadline:
        with sqlite3.connect(store) as conn:
            rows = conn.execute(
                "SELECT provider, outcome, classification, egress, completion_tokens "
                "FROM attempts WHERE request_id = ? ORDER BY attempt",
                (request_id,),
            ).fetchall()
        time.sleep(0.02)
    return rows


def test_every_ollama_request_is_on_the_ledger(gateway: Start, tmp_path: Path) -> None:
    url = gateway()
    store = tmp_path / "ledger.db"
    pinned = post(url, "/api/chat", {"model": "gpt-4o", "stream": False,
                                     "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
    streamed = post(url, "/api/generate", {"model": "auto", "prompt": PII})
    embedded = post(url, "/api/embed", {"model": "auto", "input": "text"})
    assert float(pinned.headers["x-tiergate-cost-usd"]) > 0
    assert ledger(store, pinned.headers["x-tiergate-request-id"]) == [
        ("openai", "ok", "internal", 1, 12)
    ]
    assert ledger(store, streamed.headers["x-tiergate-request-id"]) == [
        ("local", "ok", "pii", 0, 12)
    ]
    assert ledger(store, embedded.headers["x-tiergate-request-id"]) == [
        ("local", "ok", "internal", 0, 0)
    ]


def test_a_client_that_leaves_mid_stream_is_settled(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway()
    tiers.local.chunk_delay_s = 0.05
    tiers.local.reply_words = 100
    with httpx.stream("POST", url + "/api/chat", timeout=10, content=orjson.dumps(
        {"model": "auto", "messages": [{"role": "user", "content": "long"}]}
    )) as response:  # fmt: skip
        next(response.iter_lines())
        request_id = response.headers["x-tiergate-request-id"]
    # Leaving the block hung up with most of the answer still to come.
    assert ledger(tmp_path / "ledger.db", request_id) == [
        ("local", "client_closed", "internal", 0, 0)
    ]
    health = httpx.get(url + "/healthz", timeout=10).json()
    assert health["providers"]["local"]["in_flight"] == 0


PII_TOOL = {"type": "function", "function": {**WEATHER["function"], "description": PII}}


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/generate", {"prompt": "Summarise", "system": PII}),
        ("/api/chat", {"messages": [{"role": "system", "content": PII},
                                    {"role": "user", "content": "hi"}]}),
        ("/api/chat", {"messages": [{"role": "user", "content": "go"},
                                    {"role": "assistant", "content": "", "tool_calls": [
                                        {"function": {"name": "mail",
                                                      "arguments": {"to": "jane.doe@example.com"}}}]},
                                    {"role": "tool", "tool_name": "mail", "content": "sent"}]}),
        ("/api/chat", {"messages": [{"role": "user", "content": "Weather?"}], "tools": [PII_TOOL]}),
        ("/api/chat", {"messages": [{"role": "user", "content": "A colour"}],
                       "format": {"type": "object", "description": PII}}),
        ("/api/embed", {"input": ["fine", PII]}),
        ("/api/embeddings", {"prompt": PII}),
    ],
)  # fmt: skip
def test_pii_in_any_field_keeps_the_request_local(
    gateway: Start, tiers: Tiers, path: str, fields: dict[str, Any]
) -> None:
    url = gateway()
    response = post(
        url, path, {"model": "auto", "stream": False, **fields},
        **{"X-Tiergate-Quality": "critical", "X-Tiergate-Complexity": "high"},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["x-tiergate-provider"] == "local"
    assert response.headers["x-tiergate-classification"] == "pii"
    assert tiers.cloud_received() == 0 and tiers.local.count() == 1


# -- errors ----------------------------------------------------------------------------------


def test_errors_come_back_in_ollamas_format(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        with pytest.raises(ollama.ResponseError) as unknown:
            c.chat(model="llama9", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(ollama.ResponseError) as bad_option:
            c.chat(
                model="auto",
                messages=[{"role": "user", "content": "hi"}],
                options={"temperature": "hot"},
            )
    assert unknown.value.status_code == 400 and "llama9" in unknown.value.error
    assert bad_option.value.status_code == 400 and "options.temperature" in bad_option.value.error
    for path, body, field in [
        ("/api/chat", {"model": "auto", "messages": "hi"}, "messages"),
        ("/api/chat", {"model": "auto", "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ("/api/chat", {"model": "auto", "format": 7, "messages": [{"role": "user", "content": "x"}]}, "format"),
        ("/api/chat", {"model": "auto", "think": "max", "messages": [{"role": "user", "content": "x"}]}, "think"),
        ("/api/generate", {"model": "auto", "prompt": 5}, "prompt"),
        ("/api/generate", {"model": "nope"}, "model"),
        ("/api/generate", {"model": "auto", "prompt": "x", "suffix": "y"}, "suffix"),
        ("/api/generate", {"model": "auto", "prompt": "x", "context": [1, 2]}, "context"),
        ("/api/embed", {"model": "auto", "input": [1, 2]}, "input"),
        ("/api/embeddings", {"model": "auto"}, "prompt"),
        ("/api/show", {}, "model"),
    ]:  # fmt: skip
        response = post(url, path, body)
        assert response.status_code == 400, (path, body)
        assert set(response.json()) == {"error"} and field in response.json()["error"], (path, body)
    not_json = httpx.post(url + "/api/chat", content=b"{nope", timeout=10)
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
    wrong = httpx.get(url + "/api/chat", timeout=10)
    assert wrong.status_code == 405 and "error" in wrong.json()
    missing = httpx.get(url + "/api/pull", timeout=10)
    assert missing.status_code == 404 and isinstance(missing.json()["error"], str)


def test_tenant_keys_apply(gateway: Start, tiers: Tiers) -> None:
    url = gateway(tenants=True)
    with client(url) as c, pytest.raises(ollama.ResponseError) as anonymous:
        c.chat(model="auto", messages=[{"role": "user", "content": "hi"}])
    assert anonymous.value.status_code == 401 and "API key" in anonymous.value.error
    clinic = {"Authorization": f"Bearer {TENANT_KEYS['clinic']}", "X-Tiergate-Quality": "critical",
              "X-Tiergate-Complexity": "high"}  # fmt: skip
    with client(url, **clinic) as c:
        assert c.chat(model="auto", messages=[{"role": "user", "content": "hi"}]).done
        assert c.list().models[0].model == "auto"
    assert tiers.local.count() == 1 and tiers.cloud_received() == 0  # local_only tenant


def test_a_broken_stream_ends_with_an_error_line(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    response = post(
        url,
        "/api/chat",
        {"model": "auto", "messages": [{"role": "user", "content": "go [[fake:cut-stream]]"}]},
    )
    parts = lines(response)
    assert "broke off" in parts[-1]["error"]
    assert not any(p.get("done") for p in parts)
    with client(url) as c, pytest.raises(ollama.ResponseError, match="broke off"):
        for _ in c.generate(model="auto", prompt="go [[fake:cut-stream]]", stream=True):
            pass


def test_every_provider_down_is_a_503_in_ollamas_format(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    response = post(
        url, "/api/chat", {"model": "auto", "stream": False,
                           "messages": [{"role": "user", "content": PII + " [[fake:fail-503]]"}]}
    )  # fmt: skip
    assert response.status_code == 503
    assert set(response.json()) == {"error"} and "local" in response.json()["error"]
    assert tiers.cloud_received() == 0


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ({"model": "m", "created": 0, "choices": [{"message": {"content": "hi"}, "finish_reason": "length"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
         {"message": {"role": "assistant", "content": "hi"}, "done_reason": "length",
          "prompt_eval_count": 3, "eval_count": 2}),
        ({"model": "m", "choices": [{"message": {"content": None, "refusal": "No."}}], "usage": "garbage"},
         {"message": {"role": "assistant", "content": "No."}, "done_reason": "stop"}),
        ({"model": "m", "choices": [{"message": {"content": None, "tool_calls": [
            {"id": "call_1", "function": {"name": "f", "arguments": "not json"}},
            {"function": {"name": "g", "arguments": "[1]"}}]}, "finish_reason": "tool_calls"}]},
         {"message": {"role": "assistant", "content": "", "tool_calls": [
             {"id": "call_1", "function": {"name": "f", "arguments": {"arguments": "not json"}}},
             {"function": {"name": "g", "arguments": {"arguments": [1]}}}]}, "done_reason": "stop"}),
        ({"model": "m", "choices": []}, {"message": {"role": "assistant", "content": ""}, "done_reason": "stop"}),
    ],
)  # fmt: skip
def test_chat_answers_table(completion: dict[str, Any], expected: dict[str, Any]) -> None:
    ticks = iter([1_000, 5_000])
    translation = ingress.Chat({"model": "auto", "messages": []}, clock=lambda: next(ticks))
    answer = translation.answer(completion)
    assert {k: answer[k] for k in expected} == expected
    assert answer["done"] is True and answer["total_duration"] == 4_000
    assert answer["created_at"].endswith("Z")


# -- fuzz: any body, never a 500, always Ollama's error format ----------------------------------

texts = st.text(max_size=30)
ollama_messages = st.lists(
    either(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["system", "user", "user", "assistant", "tool"]),
             "content": either(texts)},
            optional={
                "images": either(st.lists(st.sampled_from(["iVBORw0KGgo=", "%%%"]), max_size=2)),
                "tool_calls": either(st.lists(st.fixed_dictionaries(
                    {"function": either(st.fixed_dictionaries(
                        {"name": either(st.text(max_size=8)), "arguments": json_values}))}),
                    max_size=2)),
                "tool_name": either(st.text(max_size=8)),
                "thinking": json_values,
            },
        )
    ),
    min_size=1,
    max_size=3,
)  # fmt: skip
ollama_options = st.dictionaries(
    st.sampled_from(["temperature", "top_p", "seed", "num_predict", "stop", "top_k", "num_ctx"]),
    either(st.integers(-3, 300) | st.floats(-1, 3) | st.lists(st.text(max_size=4), max_size=2)),
    max_size=4,
)
shared = {
    "options": ollama_options,
    "format": st.sampled_from(["", "json", {"type": "object"}]),
    "stream": st.booleans(),
    "think": st.sampled_from([True, False, "low", "high", "max"]),
    "keep_alive": json_values,
    "tiergate": hint_objects,
}
chat_models = st.sampled_from(["auto", "auto", "llama3.2:3b", "gpt-4o", "no-such-model"])
embed_models = st.sampled_from(["auto", "auto", "bge-m3", "no-such-model"])
ENDPOINTS = {
    "/api/chat": bodies(
        {"model": chat_models, "messages": ollama_messages},
        {**shared, "tools": st.lists(st.just(WEATHER) | json_values, max_size=2)},
    ),
    "/api/generate": bodies(
        {"model": chat_models, "prompt": texts},
        {**shared, "system": texts, "images": st.lists(st.just("iVBORw0KGgo="), max_size=1),
         "suffix": st.just(""), "raw": st.just(False), "template": texts,
         "context": st.lists(st.integers(), max_size=2)},
    ),
    "/api/embed": bodies(
        {"model": embed_models, "input": texts | st.lists(texts, max_size=3)},
        {"dimensions": st.integers(-1, 16), "truncate": st.booleans(), "keep_alive": json_values,
         "tiergate": hint_objects},
    ),
    "/api/embeddings": bodies({"model": embed_models, "prompt": texts}, {"options": ollama_options}),
    "/api/show": bodies({"model": models}, {"name": models, "verbose": st.booleans()}),
}  # fmt: skip
TRANSLATIONS = {
    "/api/chat": ingress.Chat,
    "/api/generate": ingress.Generate,
    "/api/embed": ingress.Embed,
    "/api/embeddings": ingress.Embeddings,
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, httpx.Client]]:
    with (
        fuzz_gateway(tmp_path_factory.mktemp("fuzz") / "ledger.db") as (url, _),
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        yield url, http


def check_ollama_answer(response: httpx.Response) -> None:
    assert response.status_code != 500 and response.status_code < 600, response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and list(body) == ["error"], body
        assert isinstance(body["error"], str) and body["error"]
    elif response.headers["content-type"].startswith("application/x-ndjson"):
        parts = lines(response)
        assert parts and all(isinstance(p, dict) for p in parts)
        assert parts[-1].get("done") is True or "error" in parts[-1]
    else:
        assert isinstance(response.json(), dict)


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_fuzz_any_body_gets_an_answer_or_an_ollama_error(
    fuzzed: tuple[str, httpx.Client], path: str
) -> None:
    _, http = fuzzed

    @settings(max_examples=120, deadline=None, database=None)
    @given(body=ENDPOINTS[path], headers=hint_headers)
    def run(body: Any, headers: dict[str, str]) -> None:
        check_ollama_answer(http.post(path, content=json.dumps(body), headers=headers))

    run()


@pytest.mark.parametrize("path", list(TRANSLATIONS))
def test_fuzz_translators_raise_only_invalid_request(path: str) -> None:
    @settings(max_examples=150, deadline=None, database=None)
    @given(body=ENDPOINTS[path].filter(lambda b: isinstance(b, dict)))
    def run(body: dict[str, Any]) -> None:
        try:
            translation = TRANSLATIONS[path](body)
        except InvalidRequest as exc:
            assert exc.message and exc.status_code == 400
        else:
            assert isinstance(translation.body, dict)

    run()
