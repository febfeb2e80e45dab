"""The azure protocol: deployment URLs, api-key and api-version, Azure's content-filter
chunks, then the real gateway serving an Azure FakeUpstream to the official openai SDK."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tiergate.config import ConfigError, parse_config
from tiergate.protocols import azure as wire
from tiergate.protocols import get as get_protocol
from tiergate.protocols import openai as openai_wire
from tiergate.types import Usage

from . import multiprovider
from .multiprovider import (
    AZURE_CHAT,
    AZURE_EMBED,
    AZURE_KEY,
    AZURE_PRICE,
    WEATHER_TOOL,
    Fakes,
    client,
    hints,
)

fakes = multiprovider.fakes
gateway_url = multiprovider.gateway_url

FIXTURES = Path(__file__).parent / "fixtures"
RID = "chatcmpl-tg-azure"
USER = {"role": "user", "content": "Plan a zero-downtime database migration."}
CRITICAL = hints(quality="critical", complexity="high")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def provider(extra: str = "") -> Any:
    config = parse_config(
        f"""
providers:
  - {{name: az, protocol: azure, base_url: "https://contoso.openai.azure.com/", api_key: k1,
     tier: 3, models: {{default: "prod gpt/4o"}}, prices: {{default: {{input_per_mtok: 1}}}} {extra}}}
""",
        env={},
    )
    return config.providers[0]


# -- the wire ---------------------------------------------------------------------------------


def test_registered_and_bodies_are_openais() -> None:
    assert get_protocol("azure") is wire
    body = {"model": "auto", "messages": [USER], "stream": True}
    assert wire.encode_chat(body, model="d", max_tokens=9, stream=True) == openai_wire.encode_chat(
        body, model="d", max_tokens=9, stream=True
    )


@pytest.mark.parametrize(
    ("extra", "version"),
    [
        ("", "2024-10-21"),
        (", api_version: 2025-04-01-preview", "2025-04-01-preview"),
        (", api_version: 2024-06-01", "2024-06-01"),
    ],
)
def test_url_names_the_deployment_and_the_api_version(extra: str, version: str) -> None:
    az = provider(extra)
    assert wire.url(az, wire.CHAT_PATH, model="prod gpt/4o") == (
        "https://contoso.openai.azure.com/openai/deployments/prod%20gpt%2F4o/chat/completions"
        f"?api-version={version}"
    )
    assert wire.url(az, wire.EMBED_PATH, model="emb").endswith(
        f"/openai/deployments/emb/embeddings?api-version={version}"
    )


def test_the_key_goes_in_api_key_never_as_a_bearer_token() -> None:
    assert wire.headers(provider()) == {"api-key": "k1"}


def test_an_api_version_that_is_not_text_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="api_version"):
        provider(", api_version: [1]")


def test_decode_chat_keeps_the_answer_and_passes_filter_results() -> None:
    response, usage = wire.decode_chat(
        fixture("azure_chat.json"), model=AZURE_CHAT, request_id=RID, created=1
    )
    completion = ChatCompletion.model_validate(response)
    assert completion.choices[0].message.content == "Hello! How can I assist you today?"
    assert (completion.model, completion.id) == (AZURE_CHAT, RID)
    assert usage == Usage(9, 10)


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_skips_filter_only_chunks(include_usage: bool) -> None:
    stream = wire.ChatStream(
        model=AZURE_CHAT, request_id=RID, created=1, include_usage=include_usage
    )
    chunks = [
        c for line in fixture("azure_chat_stream.sse").split(b"\n") for c in stream.feed(line)
    ]
    parsed = [ChatCompletionChunk.model_validate(c) for c in chunks]
    assert stream.done and stream.usage == Usage(9, 3)
    assert all(c.choices[0].delta is not None for c in parsed if c.choices)
    assert "".join(c.choices[0].delta.content or "" for c in parsed if c.choices) == "Hello there!"
    assert parsed[0].choices[0].delta.role == "assistant"
    assert (parsed[-1].usage is not None) is include_usage


# -- through the real gateway, with the official openai SDK -----------------------------------


def cost(prompt: int, completion: int) -> Decimal:
    micros = -(-(prompt * AZURE_PRICE[0] + completion * AZURE_PRICE[1]) // 1)
    return Decimal(micros) / 1_000_000


def test_azure_serves_tier_3_at_its_deployment_with_a_config_price(
    gateway_url: str, fakes: Fakes
) -> None:
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[USER], extra_body=CRITICAL
        )
    completion = raw.parse()
    assert raw.headers["x-tiergate-provider"] == "azure"
    assert raw.headers["x-tiergate-model"] == AZURE_CHAT
    assert raw.headers["x-tiergate-rule"] == "critical"
    assert completion.choices[0].message.content
    seen = fakes.azure.received[-1]
    assert seen.path == f"/openai/deployments/{AZURE_CHAT}/chat/completions"
    assert seen.headers["api-key"] == AZURE_KEY
    assert "authorization" not in seen.headers
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        fakes.azure.served_prompt_tokens,
        fakes.azure.served_completion_tokens,
    )
    assert Decimal(raw.headers["x-tiergate-cost-usd"]) == cost(
        usage.prompt_tokens, usage.completion_tokens
    )


def test_azure_streams_with_its_filter_chunks(gateway_url: str, fakes: Fakes) -> None:
    with client(gateway_url) as c:
        chunks = list(
            c.chat.completions.create(
                model="auto",
                messages=[USER],
                stream=True,
                stream_options={"include_usage": True},
                extra_body=CRITICAL,
            )
        )
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert text.startswith("simulated reply from azure")
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == fakes.azure.served_completion_tokens


def test_tools_through_azure(gateway_url: str) -> None:
    with client(gateway_url) as c:
        completion = c.chat.completions.create(
            model="auto", messages=[USER], tools=[WEATHER_TOOL], extra_body=CRITICAL
        )
        streamed = [
            ch
            for ch in c.chat.completions.create(
                model="auto",
                messages=[USER],
                tools=[WEATHER_TOOL],
                stream=True,
                extra_body=CRITICAL,
            )
            if ch.choices
        ]
    calls = completion.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather"  # type: ignore[union-attr]
    deltas = [d for ch in streamed for d in ch.choices[0].delta.tool_calls or []]
    arguments = "".join(d.function.arguments or "" for d in deltas if d.function)
    assert orjson.loads(arguments) == {"city": "fake", "unit": "celsius"}
    assert streamed[-1].choices[0].finish_reason == "tool_calls"


def test_embeddings_pinned_to_an_azure_deployment(gateway_url: str, fakes: Fakes) -> None:
    with client(gateway_url) as c:
        raw = c.embeddings.with_raw_response.create(model=AZURE_EMBED, input=["alpha", "beta"])
    result = raw.parse()
    assert raw.headers["x-tiergate-provider"] == "azure"
    assert [len(item.embedding) for item in result.data] == [8, 8]
    assert fakes.azure.received[-1].path == f"/openai/deployments/{AZURE_EMBED}/embeddings"


def test_a_failing_azure_falls_back_down_the_tiers(gateway_url: str, fakes: Fakes) -> None:
    fakes.azure.behaviour = "fail-503"
    fakes.anthropic.behaviour = "fail-500"
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[USER], extra_body=CRITICAL
        )
    assert raw.headers["x-tiergate-attempts"] == "azure,anthropic,local"
    assert raw.headers["x-tiergate-provider"] == "local"
    assert raw.parse().choices[0].message.content


def test_a_pii_prompt_never_reaches_azure(gateway_url: str, fakes: Fakes) -> None:
    pii = {"role": "user", "content": "Card 4111 1111 1111 1111 belongs to jane.doe@example.com"}
    with client(gateway_url) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto", messages=[pii], extra_body=CRITICAL
        )
        chunks = list(
            c.chat.completions.create(
                model="auto", messages=[pii], stream=True, extra_body=CRITICAL
            )
        )
    assert raw.headers["x-tiergate-provider"] == "local"
    assert chunks
    assert fakes.cloud_received() == 0


# -- the fake itself refuses what Azure refuses -----------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {"api-key": "k"}, 404),
        ("?api-version=latest", {"api-key": "k"}, 400),
        ("?api-version=2024-10-21", {"authorization": "Bearer k"}, 401),
    ],
)
def test_the_fake_refuses_what_azure_refuses(
    fakes: Fakes, query: str, headers: dict[str, str], status: int
) -> None:
    url = f"{fakes.azure.url}/openai/deployments/{AZURE_CHAT}/chat/completions{query}"

    async def post() -> tuple[int, dict[str, Any]]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json={"messages": [USER]}, headers=headers) as response,
        ):
            return response.status, await response.json()

    got, body = asyncio.run(post())
    assert got == status
    assert body["error"]["message"]


def test_the_fake_lists_models_for_a_probe_with_the_right_key(fakes: Fakes) -> None:
    async def get(query: str, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{fakes.azure.url}/openai/models{query}", headers=headers) as r,
        ):
            return r.status

    assert asyncio.run(get("?api-version=2024-10-21", {"api-key": AZURE_KEY})) == 200
    assert asyncio.run(get("?api-version=2024-10-21", {})) == 401
