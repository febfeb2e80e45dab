"""The gateway end to end: the official openai SDK in front, FakeUpstream tiers behind, real HTTP in between."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import openai
import orjson
import pytest

from .conftest import Start, Tiers, sdk


def client(url: str, key: str = "unused") -> openai.OpenAI:
    return sdk(base_url=url + "/v1", api_key=key, max_retries=0, timeout=10)


def chat(
    url: str, text: str = "Hello there", *, key: str = "unused", **hints: Any
) -> tuple[Any, dict[str, str]]:
    extra: dict[str, Any] = {"tiergate": hints} if hints else {}
    model = extra.get("tiergate", {}).pop("model", "auto")
    with client(url, key) as c:
        raw = c.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": text}], extra_body=extra or None
        )
        return raw.parse(), dict(raw.headers)


def post(
    url: str, path: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async def go() -> tuple[int, dict[str, Any], dict[str, str]]:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url + path,
                data=data,
                headers={"content-type": "application/json", **(headers or {})},
            ) as response,
        ):
            return response.status, orjson.loads(await response.read()), dict(response.headers)

    return asyncio.run(go())


# -- the official SDK drives it ---------------------------------------------------------------


def test_sync_sdk_gets_a_complete_response_from_the_local_tier(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    completion, headers = chat(url, "Summarise this paragraph.")
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    assert completion.model == "llama3.2:3b"
    assert headers["x-tiergate-provider"] == "local"
    assert headers["x-tiergate-rule"] == "default"
    assert headers["x-tiergate-tier"] == "1"
    assert headers["x-tiergate-cost-usd"] == "0"
    assert headers["x-tiergate-attempts"] == "local"
    assert headers["x-tiergate-request-id"] == completion.id
    assert tiers.local.count("/api/chat") == 1
    assert tiers.cloud_received() == 0


def test_async_sdk(gateway: Start, tiers: Tiers) -> None:
    url = gateway()

    async def go() -> list[str]:
        async with openai.AsyncOpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as c:
            results = await asyncio.gather(
                *[
                    c.chat.completions.create(
                        model="auto",
                        messages=[{"role": "user", "content": f"question {i}"}],
                        extra_body={"tiergate": {"quality": "high"}},
                    )
                    for i in range(8)
                ]
            )
        return [r.choices[0].message.content or "" for r in results]

    answers = asyncio.run(go())
    assert len(answers) == 8 and all(answers)
    assert tiers.cloud.count("/api/chat") == 8


def test_streaming_sdk_with_usage(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        stream = c.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "Stream me something"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
        )
        chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert len(text.split()) == 12  # the fake's reply_words, one word per chunk
    finishes = [
        ch.choices[0].finish_reason for ch in chunks if ch.choices and ch.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 12
    assert tiers.openai.count("/v1/chat/completions") == 1


def test_stream_without_usage_hides_it_and_uses_the_stream_helper(gateway: Start) -> None:
    url = gateway()
    with (
        client(url) as c,
        c.chat.completions.stream(
            model="auto", messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        final = stream.get_final_completion()
    assert final.choices[0].message.content
    assert final.usage is None


def test_embeddings_default_base64_and_float(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        raw = c.embeddings.with_raw_response.create(model="auto", input=["alpha", "beta"])
        result = raw.parse()
        floats = c.embeddings.create(model="bge-m3", input="alpha", encoding_format="float")
    assert [len(d.embedding) for d in result.data] == [8, 8]
    assert result.data[0].embedding == floats.data[0].embedding
    assert raw.headers["x-tiergate-rule"] == "embedding"
    assert raw.headers["x-tiergate-provider"] == "local"
    assert tiers.local.count("/api/embed") == 2


# -- routing, end to end: provider reached AND the rule header ----------------------------------


@pytest.mark.parametrize(
    ("hints", "provider", "rule"),
    [
        ({}, "local", "default"),
        ({"quality": "high"}, "ollama_cloud", "quality_or_batch"),
        ({"batch_size": 11}, "ollama_cloud", "quality_or_batch"),
        ({"quality": "critical", "complexity": "high"}, "openai", "critical"),
        (
            {"quality": "critical", "complexity": "high", "classification": "pii"},
            "local",
            "sensitive",
        ),
        (
            {"quality": "critical", "complexity": "high", "classification": "legal"},
            "local",
            "sensitive",
        ),
        ({"batch_size": 50, "classification": "pii"}, "local", "sensitive"),
        ({"task": "extraction", "quality": "critical", "complexity": "high"}, "openai", "critical"),
    ],
)
def test_rules_end_to_end(
    gateway: Start, tiers: Tiers, hints: dict[str, Any], provider: str, rule: str
) -> None:
    url = gateway()
    _, headers = chat(url, "Please help with this task.", **hints)
    assert (headers["x-tiergate-provider"], headers["x-tiergate-rule"]) == (provider, rule)
    if provider == "local":
        assert tiers.cloud_received() == 0


def test_hints_from_headers_and_body_wins(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Tiergate-Quality": "high"},
        )
        assert raw.headers["x-tiergate-provider"] == "ollama_cloud"
        raw = c.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"X-Tiergate-Quality": "high"},
            extra_body={"tiergate": {"quality": "standard"}},
        )
        assert raw.headers["x-tiergate-provider"] == "local"
    # the hints never travel upstream
    assert all("tiergate" not in (r.body or {}) for f in tiers.all for r in f.received)


def test_embedding_with_pii_stays_local(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    status, _, headers = post(
        url,
        "/v1/embeddings",
        {
            "model": "auto",
            "input": "call me",
            "tiergate": {"classification": "pii", "quality": "critical"},
        },
    )
    assert status == 200 and headers["x-tiergate-provider"] == "local"
    assert headers["x-tiergate-rule"] == "embedding"
    assert tiers.cloud_received() == 0


def test_a_pinned_cloud_model_with_pii_is_denied_not_detoured(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c, pytest.raises(openai.PermissionDeniedError) as caught:
        c.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"tiergate": {"classification": "pii"}},
        )
    assert caught.value.status_code == 403
    assert caught.value.code == "policy_denied"
    assert "gpt-4o" in caught.value.message
    assert tiers.cloud_received() == 0 and tiers.local.count() == 0


def test_a_pinned_model_goes_to_its_provider(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    completion, headers = chat(url, "hi", model="gpt-4o-mini")
    assert completion.model == "gpt-4o-mini"
    assert (headers["x-tiergate-provider"], headers["x-tiergate-rule"]) == ("openai", "pinned")
    assert float(headers["x-tiergate-cost-usd"]) > 0


def test_cloud_providers_get_their_own_key_and_local_gets_none(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    chat(url, "a")
    chat(url, "b", quality="high")
    chat(url, "c", quality="critical", complexity="high")
    assert "authorization" not in tiers.local.received[-1].headers
    assert tiers.cloud.received[-1].headers["authorization"] == "Bearer cloud-secret-key"
    assert tiers.openai.received[-1].headers["authorization"] == "Bearer openai-secret-key"


def test_parameters_are_translated_for_ollama(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with client(url) as c:
        c.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "json please"}],
            temperature=0.3,
            top_p=0.9,
            max_tokens=5,
            stop=["END"],
            seed=7,
            response_format={"type": "json_object"},
        )
    sent = tiers.local.received[-1].body
    assert sent["options"] == {
        "temperature": 0.3,
        "top_p": 0.9,
        "num_predict": 5,
        "stop": ["END"],
        "seed": 7,
    }
    assert sent["format"] == "json"


def test_the_reserved_max_tokens_is_sent_upstream(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    chat(url, "go", quality="critical", complexity="high")
    assert tiers.openai.received[-1].body["max_tokens"] == 256  # the provider's max_output_tokens


def test_tools_round_trip_through_ollama(gateway: Start) -> None:
    url = gateway()
    tools = [
        {
            "type": "function",
            "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    with client(url) as c:
        result = c.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "use it"}], tools=tools
        )  # type: ignore[list-item]
    call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "lookup"  # type: ignore[union-attr]
    assert isinstance(orjson.loads(call.function.arguments), dict)  # type: ignore[union-attr]
    assert result.choices[0].finish_reason == "tool_calls"


# -- faults ---------------------------------------------------------------------------------


def test_openai_killed_mid_run_critical_work_falls_to_ollama_cloud(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    _, before = chat(url, "first", quality="critical", complexity="high")
    assert before["x-tiergate-provider"] == "openai"
    tiers.openai.kill()
    _, after = chat(url, "second", quality="critical", complexity="high")
    assert after["x-tiergate-provider"] == "ollama_cloud"
    assert after["x-tiergate-attempts"] == "openai,ollama_cloud"
    assert after["x-tiergate-rule"] == "critical"


def test_local_down_with_pii_is_503_and_the_cloud_got_nothing(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.local.kill()
    status, body, _ = post(
        url,
        "/v1/chat/completions",
        {
            "model": "auto",
            "messages": [{"role": "user", "content": "My SSN is 123-45-6789"}],
            "tiergate": {"quality": "critical", "complexity": "high"},
        },
    )
    assert status == 503
    assert body["error"]["code"] == "llm_unavailable"
    assert "local" in body["error"]["message"]
    assert tiers.cloud_received() == 0


def test_every_tier_down_is_503_llm_unavailable_listing_attempts(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    for fake in tiers.all:
        fake.kill()
    with client(url) as c, pytest.raises(openai.InternalServerError) as caught:
        c.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "anyone?"}],
            extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
        )
    assert caught.value.status_code == 503
    assert caught.value.code == "llm_unavailable"
    for name in ("openai", "ollama_cloud", "local"):
        assert name in caught.value.message


def test_a_5xx_falls_back_and_the_attempts_header_says_so(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.cloud.behaviour = "fail-502"
    _, headers = chat(url, "x", quality="high")
    assert headers["x-tiergate-attempts"] == "ollama_cloud,local"
    assert headers["x-tiergate-provider"] == "local"


def test_a_timeout_falls_back(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.cloud.behaviour = "hang"
    _, headers = chat(url, "x", quality="high")  # ollama_cloud timeout_s is 2
    assert headers["x-tiergate-attempts"] == "ollama_cloud,local"


def test_retry_after_is_honoured_by_the_last_resort(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    status, _, _ = post(
        url,
        "/v1/chat/completions",
        {"model": "auto", "messages": [{"role": "user", "content": "hi [[fake:retry-after-1]]"}]},
    )
    # local is the only candidate: it said come back in 1 s, and the second try hits the same fault
    assert status == 503
    assert tiers.local.count("/api/chat") == 2


def test_a_429_moves_on_and_the_provider_rests_for_its_retry_after(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    tiers.openai.behaviour = "retry-after-30"
    _, first = chat(url, "x", quality="critical", complexity="high")
    assert first["x-tiergate-attempts"] == "openai,ollama_cloud"
    tiers.openai.behaviour = "ok"
    _, second = chat(url, "y", quality="critical", complexity="high")
    assert (
        second["x-tiergate-attempts"] == "ollama_cloud"
    )  # skipped while it asked to be left alone
    assert tiers.openai.count("/v1/chat/completions") == 1


def test_circuit_breaker_skips_a_failing_provider_but_not_the_last_resort(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway(breaker_failures=2, breaker_cooldown_s=60)
    tiers.openai.behaviour = "fail-500"
    for _ in range(2):
        chat(url, "x", quality="critical", complexity="high")
    assert tiers.openai.count() == 2
    _, headers = chat(url, "x", quality="critical", complexity="high")
    assert tiers.openai.count() == 2
    assert headers["x-tiergate-attempts"] == "ollama_cloud"
    # pinned: openai is the only (last) candidate, so the breaker does not stop it
    tiers.openai.behaviour = "ok"
    _, pinned = chat(url, "x", model="gpt-4o")
    assert pinned["x-tiergate-provider"] == "openai"


def test_a_stream_cut_midway_ends_with_an_error_event(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.local.behaviour = "cut-stream"

    async def go() -> bytes:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url + "/v1/chat/completions",
                json={
                    "model": "auto",
                    "stream": True,
                    "messages": [{"role": "user", "content": "long story"}],
                },
            ) as response,
        ):
            assert response.status == 200
            return await response.read()

    body = asyncio.run(go())
    events = [line[6:] for line in body.split(b"\n") if line.startswith(b"data: ")]
    assert events[-1] != b"[DONE]"
    last = orjson.loads(events[-1])
    assert last["error"]["code"] == "stream_interrupted"
    assert any(b'"content"' in e for e in events[:-1])  # it did stream something first
    # the SDK does not mistake it for a clean finish
    with client(url) as c, pytest.raises(openai.APIError):
        for _ in c.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "again"}], stream=True
        ):
            pass


def test_a_stream_fails_over_before_its_first_byte(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.cloud.behaviour = "fail-503"
    with client(url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_body={"tiergate": {"quality": "high"}},
        )
        text = "".join(ch.choices[0].delta.content or "" for ch in raw.parse() if ch.choices)
    assert raw.headers["x-tiergate-attempts"] == "ollama_cloud,local"
    assert text


def test_a_malformed_answer_falls_back(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    tiers.cloud.behaviour = "malformed"
    _, headers = chat(url, "x", quality="high")
    assert headers["x-tiergate-attempts"] == "ollama_cloud,local"


# -- bad input: a clear 4xx in OpenAI's envelope, never a 500 --------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b"{not json", 400, None),
        (b"[1, 2]", 400, None),
        (b"", 400, None),
        ({"model": "auto"}, 400, "messages"),
        ({"model": "auto", "messages": []}, 400, "messages"),
        ({"model": "auto", "messages": "hi"}, 400, "messages"),
        (
            {"model": "auto", "messages": [{"role": "robot", "content": "x"}]},
            400,
            "messages[0].role",
        ),
        (
            {"model": "auto", "messages": [{"role": "user", "content": 5}]},
            400,
            "messages[0].content",
        ),
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "model"),
        ({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}, 400, "model"),
        (
            {"model": "auto", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
            400,
            "temperature",
        ),
        (
            {"model": "auto", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1},
            400,
            "max_tokens",
        ),
        (
            {"model": "auto", "messages": [{"role": "user", "content": "x"}], "stream": "yes"},
            400,
            "stream",
        ),
        (
            {
                "model": "auto",
                "messages": [{"role": "user", "content": "x"}],
                "tiergate": {"quality": "ultra"},
            },
            400,
            "tiergate.quality",
        ),
        (
            {
                "model": "auto",
                "messages": [{"role": "user", "content": "x"}],
                "tiergate": {"colour": "red"},
            },
            400,
            "tiergate.colour",
        ),
        (
            {
                "model": "auto",
                "messages": [{"role": "user", "content": "x"}],
                "tiergate": {"batch_size": 0},
            },
            400,
            "tiergate.batch_size",
        ),
        (
            {"model": "auto", "messages": [{"role": "user", "content": "x"}], "tiergate": "high"},
            400,
            "tiergate",
        ),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    gateway: Start, tiers: Tiers, body: Any, status: int, param: str | None
) -> None:
    url = gateway()
    code, payload, _ = post(url, "/v1/chat/completions", body)
    assert code == status
    error = payload["error"]
    assert error["code"] == "invalid_request"
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"] and "Traceback" not in error["message"]
    assert sum(f.count() for f in tiers.all) == 0


def test_unknown_hint_header_value_lists_the_allowed_ones(gateway: Start) -> None:
    url = gateway()
    code, payload, _ = post(
        url,
        "/v1/chat/completions",
        {"model": "auto", "messages": [{"role": "user", "content": "x"}]},
        headers={"X-Tiergate-Classification": "secret"},
    )
    assert code == 400
    assert payload["error"]["param"] == "x-tiergate-classification"
    assert "public, internal, confidential, pii, hipaa, legal" in payload["error"]["message"]


def test_an_oversized_body_is_413(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    big = {"model": "auto", "messages": [{"role": "user", "content": "x" * 70_000}]}
    code, payload, _ = post(url, "/v1/chat/completions", big)
    assert code == 413
    assert "max_body_bytes" in payload["error"]["message"]
    assert tiers.local.count() == 0


def test_unknown_path_and_method(gateway: Start) -> None:
    url = gateway()
    code, payload, _ = post(url, "/v1/completions-typo", {})
    assert code == 404 and payload["error"]["code"] == "not_found"


def test_token_array_embeddings_are_refused(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    code, payload, _ = post(url, "/v1/embeddings", {"model": "auto", "input": [[1, 2, 3]]})
    assert code == 400 and payload["error"]["param"] == "input"


# -- the other endpoints ------------------------------------------------------------------------


def test_models_lists_auto_and_every_configured_model(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        ids = [m.id for m in c.models.list()]
    assert ids == ["auto", "llama3.2:3b", "bge-m3", "gpt-oss:120b", "gpt-4o", "gpt-4o-mini"]


def test_healthz_and_metrics(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    chat(url, "one")
    tiers.openai.kill()
    chat(url, "two", quality="critical", complexity="high")

    async def get(path: str) -> tuple[int, bytes]:
        async with aiohttp.ClientSession() as s, s.get(url + path) as r:
            return r.status, await r.read()

    status, health = asyncio.run(get("/healthz"))
    assert status == 200
    providers = orjson.loads(health)["providers"]
    assert set(providers) == {"local", "ollama_cloud", "openai"}
    assert providers["openai"]["consecutive_failures"] == 1
    status, metrics = asyncio.run(get("/metrics"))
    text = metrics.decode()
    assert (
        'tiergate_requests_total{provider="local",tier="1",rule="default",outcome="ok",tenant="none"} 1'
        in text
    )
    assert (
        'tiergate_requests_total{provider="ollama_cloud",tier="2",rule="critical",outcome="ok",tenant="none"} 1'
        in text
    )
    assert 'tiergate_fallbacks_total{from_provider="openai",reason="unavailable"} 1' in text
    assert "tiergate_request_duration_seconds_bucket" in text


WEIRD: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**30,
    "",
    "x",
    "\u0000",
    [],
    [1],
    [None],
    {},
    {"a": {}},
]
CHAT_FIELDS = [
    "model",
    "messages",
    "stream",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "n",
    "stop",
    "seed",
    "tools",
    "tool_choice",
    "response_format",
    "stream_options",
    "tiergate",
    "user",
]
MESSAGE_FIELDS = ["role", "content", "tool_calls", "name", "tool_call_id"]


def test_no_body_shape_makes_it_answer_500(gateway: Start) -> None:
    url = gateway()

    def variants() -> list[tuple[str, dict[str, Any]]]:
        out = []
        for hints in ({}, {"quality": "critical", "complexity": "high"}):
            for field in CHAT_FIELDS:
                for value in WEIRD:
                    body: dict[str, Any] = {
                        "model": "auto",
                        "messages": [{"role": "user", "content": "hi"}],
                    }
                    body["tiergate"] = dict(hints)
                    body[field] = value
                    out.append(("/v1/chat/completions", body))
            for field in MESSAGE_FIELDS:
                for value in WEIRD:
                    message: dict[str, Any] = {"role": "user", "content": "hi", field: value}
                    out.append(
                        (
                            "/v1/chat/completions",
                            {"model": "auto", "messages": [message], "tiergate": dict(hints)},
                        )
                    )
        for field in ("model", "input", "encoding_format", "dimensions", "tiergate"):
            for value in WEIRD:
                out.append(("/v1/embeddings", {"model": "auto", "input": "hi", field: value}))
        return out

    async def go() -> list[tuple[int, bytes]]:
        async with aiohttp.ClientSession() as session:
            results = []
            for path, body in variants():
                async with session.post(
                    url + path, data=json.dumps(body), headers={"content-type": "application/json"}
                ) as r:
                    results.append((r.status, await r.read()))
            return results

    results = asyncio.run(go())
    assert len(results) > 500
    for status, raw in results:
        assert status < 500 or status == 503, raw
        if status != 200 and not raw.startswith(b"data:"):
            error = orjson.loads(raw)["error"]
            assert error["message"] and error["code"]


def test_a_saturated_local_tier_spills_over_but_sensitive_data_waits_its_turn(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway(local_concurrency=2)
    tiers.local.latency_s = 0.3

    async def go(text: str) -> list[dict[str, str]]:
        async with aiohttp.ClientSession() as session:

            async def one(i: int) -> dict[str, str]:
                await asyncio.sleep(0.02 * i)  # the first two fill tier 1 before the rest arrive
                body = {"model": "auto", "messages": [{"role": "user", "content": f"{text} {i}"}]}
                async with session.post(url + "/v1/chat/completions", json=body) as r:
                    await r.read()
                    return dict(r.headers)

            return await asyncio.gather(*(one(i) for i in range(6)))

    plain = asyncio.run(go("Summarise item"))
    routed = [(h["x-tiergate-provider"], h["x-tiergate-rule"]) for h in plain]
    assert routed[:2] == [("local", "default")] * 2
    assert ("ollama_cloud", "spillover") in routed[2:]
    sensitive = asyncio.run(go("Email ann@corp.example about item"))
    assert {(h["x-tiergate-provider"], h["x-tiergate-rule"]) for h in sensitive} == {
        ("local", "default")
    }


def test_a_client_that_leaves_mid_stream_is_still_settled(
    gateway: Start, tiers: Tiers, tmp_path: Any
) -> None:
    import sqlite3
    import time

    url = gateway()
    tiers.local.chunk_delay_s = 0.05
    tiers.local.reply_words = 100

    async def leave_early() -> str:
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                url + "/v1/chat/completions",
                json={
                    "model": "auto",
                    "stream": True,
                    "messages": [{"role": "user", "content": "long"}],
                },
            )
            await response.content.readline()
            request_id = response.headers["x-tiergate-request-id"]
            response.close()  # hang up with most of the answer still to come
            return request_id

    request_id = asyncio.run(leave_early())
    deadline = time.monotonic() + 10
    rows: list[Any] = []
    while time.monotonic() < deadline and not rows:
        with sqlite3.connect(tmp_path / "ledger.db") as conn:
            rows = conn.execute(
                "SELECT outcome FROM attempts WHERE request_id = ?", (request_id,)
            ).fetchall()
        time.sleep(0.05)
    assert rows == [("client_closed",)]
    _, health, _ = post_get(url, "/healthz")
    assert health["providers"]["local"]["in_flight"] == 0


def post_get(url: str, path: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    async def go() -> tuple[int, dict[str, Any], dict[str, str]]:
        async with aiohttp.ClientSession() as s, s.get(url + path) as r:
            return r.status, orjson.loads(await r.read()), dict(r.headers)

    return asyncio.run(go())


def test_models_retrieve_and_wrong_methods(gateway: Start) -> None:
    url = gateway()
    with client(url) as c:
        assert c.models.retrieve("llama3.2:3b").owned_by == "local"
        assert c.models.retrieve("auto").owned_by == "tiergate"
        with pytest.raises(openai.NotFoundError):
            c.models.retrieve("no-such-model")
    status, payload, _ = post(url, "/v1/models", {})
    assert status == 405 and payload["error"]["code"] == "invalid_request"
