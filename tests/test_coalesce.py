"""Micro-batching of embeddings (embed_batch_window_ms): fewer upstream calls, each caller its own
vectors, its own usage share and its own ledger row; the privacy scan still runs per request."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import struct
from pathlib import Path

import openai
import orjson
import pytest

from tiergate.coalesce import shares
from tiergate.config import parse_config
from tiergate.errors import ConfigError
from tiergate.server import BackgroundServer, create_app
from tiergate.testing._wire import _vector

from .conftest import Tiers, make_config

CALLERS = 24


def start(tiers: Tiers, store: Path, window_ms: float) -> BackgroundServer:
    data = make_config(tiers, store).model_dump(mode="json")
    data["providers"][0]["embed_batch_window_ms"] = window_ms
    return BackgroundServer(create_app(parse_config(orjson.dumps(data).decode(), env={})))


async def embed_all(url: str, inputs: list[list[str]], formats: list[str]) -> list[object]:
    client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
    async with client:
        return await asyncio.gather(
            *(
                client.embeddings.with_raw_response.create(
                    model="auto",
                    input=texts,
                    encoding_format=fmt,  # type: ignore[arg-type]
                )
                for texts, fmt in zip(inputs, formats, strict=True)
            )
        )


def test_concurrent_embeddings_share_upstream_calls_and_each_caller_gets_its_own(
    tiers: Tiers, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.db"
    # Some callers send one string, some several; one carries an e-mail address (pii).
    inputs = [
        [f"caller {i} text {j} " + "x" * (i % 5) for j in range(1 + i % 3)] for i in range(CALLERS)
    ]
    inputs[7] = ["Reach me at jane.roe@example.org about the invoice."]
    formats = ["base64" if i % 2 else "float" for i in range(CALLERS)]
    with start(tiers, store, window_ms=200) as server:
        raws = asyncio.run(embed_all(server.url, inputs, formats))
    calls = tiers.local.count("/api/embed")
    assert calls < CALLERS
    assert tiers.cloud_received() == 0
    request_ids = []
    for raw, texts, fmt in zip(raws, inputs, formats, strict=True):
        headers = raw.headers  # type: ignore[attr-defined]
        assert headers["x-tiergate-provider"] == "local"
        request_ids.append(headers["x-tiergate-request-id"])
        body = orjson.loads(raw.content)  # type: ignore[attr-defined]
        assert [d["index"] for d in body["data"]] == list(range(len(texts)))
        for item, text in zip(body["data"], texts, strict=True):
            vector = item["embedding"]
            if fmt == "base64":
                vector = list(struct.unpack("<8f", base64.b64decode(vector)))
            assert vector == _vector(text, 8)
    # The pii request was scanned on its own: its classification is its own, the others' is not.
    assert raws[7].headers["x-tiergate-classification"] == "pii"  # type: ignore[attr-defined]
    assert raws[6].headers["x-tiergate-classification"] == "internal"  # type: ignore[attr-defined]
    # One ledger row per caller; their usage shares add up to what the upstream billed.
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT request_id, prompt_tokens, classification FROM attempts WHERE endpoint = 'embeddings'"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(request_ids)
    assert sum(r[1] for r in rows) == tiers.local.billed_tokens[0]
    assert all(r[1] > 0 for r in rows)
    print(f"\n{CALLERS} concurrent embedding requests took {calls} upstream call(s)")


def test_only_requests_with_the_same_provider_model_and_options_share_a_call(
    tiers: Tiers, tmp_path: Path
) -> None:
    async def send(url: str) -> None:
        client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        async with client:
            await asyncio.gather(
                *(
                    client.embeddings.create(
                        model="auto", input=[f"dims {d} text {i}"], dimensions=d
                    )
                    for i in range(6)
                    for d in (4, 8)
                )
            )

    with start(tiers, tmp_path / "ledger.db", window_ms=200) as server:
        asyncio.run(send(server.url))
    calls = [r.body for r in tiers.local.received if r.path == "/api/embed"]
    # Whatever the timing, a call never mixes requests with different options.
    for body in calls:
        assert all(text.startswith(f"dims {body['dimensions']} ") for text in body["input"])
    assert sum(len(body["input"]) for body in calls) == 12


def test_without_a_window_every_request_is_its_own_call(tiers: Tiers, tmp_path: Path) -> None:
    inputs = [[f"text {i}"] for i in range(8)]
    with start(tiers, tmp_path / "ledger.db", window_ms=0) as server:
        asyncio.run(embed_all(server.url, inputs, ["float"] * 8))
    assert tiers.local.count("/api/embed") == 8


def test_a_failed_coalesced_call_fails_every_member_alike(tiers: Tiers, tmp_path: Path) -> None:
    inputs = [[f"text {i}"] for i in range(6)]
    inputs[2] = ["text 2 [[fake:fail-503]]"]

    async def send(url: str) -> list[object]:
        client = openai.AsyncOpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        async with client:
            return await asyncio.gather(
                *(client.embeddings.create(model="auto", input=texts) for texts in inputs),
                return_exceptions=True,
            )

    with start(tiers, tmp_path / "ledger.db", window_ms=200) as server:
        outcomes = asyncio.run(send(server.url))
    failed_call = next(
        r.body["input"]
        for r in tiers.local.received
        if r.path == "/api/embed" and inputs[2][0] in r.body["input"]
    )
    for texts, outcome in zip(inputs, outcomes, strict=True):
        if texts[0] in failed_call:  # shared the failing call: failed with it
            assert isinstance(outcome, openai.InternalServerError)
            assert outcome.status_code == 503
        else:
            assert not isinstance(outcome, BaseException)
    assert tiers.cloud_received() == 0


def test_the_window_is_for_on_premises_providers_only(tiers: Tiers, tmp_path: Path) -> None:
    data = make_config(tiers, tmp_path / "ledger.db").model_dump(mode="json")
    data["providers"][1]["embed_batch_window_ms"] = 20
    with pytest.raises(ConfigError) as caught:
        parse_config(orjson.dumps(data).decode(), env={})
    assert "providers[1]" in str(caught.value)
    assert "embed_batch_window_ms" in str(caught.value)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, [1, 1], [5, 5]),
        (10, [1, 2], [3, 7]),
        (7, [1, 1, 1], [3, 2, 2]),
        (0, [3, 4], [0, 0]),
        (5, [0, 0], [3, 2]),
        (100, [10, 20, 30, 40], [10, 20, 30, 40]),
    ],
)
def test_usage_shares_add_up_exactly(total: int, weights: list[int], expected: list[int]) -> None:
    assert shares(total, weights) == expected
    assert sum(shares(total, weights)) == total
