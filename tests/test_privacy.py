"""Sensitive data never leaves the premises, labelled or not: the corpus through the real server.

Every prompt asks for critical quality and high complexity, so only the
privacy guard keeps it local. The proof is the cloud fakes' own record of what
they received.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import openai
import orjson
import pytest

from .conftest import Start, Tiers

CORPUS = Path(__file__).parent / "corpus"
ROWS = [
    json.loads(line) for line in (CORPUS / "detect.jsonl").read_text().splitlines() if line.strip()
]
POSITIVES = [r["text"] for r in ROWS if r["kinds"]]
NEGATIVES = [r["text"] for r in ROWS if not r["kinds"]]
CRITICAL = {"quality": "critical", "complexity": "high"}


def cloud_saw(tiers: Tiers, text: str) -> bool:
    needle = orjson.dumps(text)[1:-1]  # as it would appear inside a JSON body
    return any(
        needle in r.raw or text.encode() in r.raw
        for f in (tiers.cloud, tiers.openai)
        for r in f.received
    )


async def send_all(
    url: str, bodies: list[dict[str, Any]], path: str = "/v1/chat/completions"
) -> list[tuple[int, dict[str, str], bytes]]:
    async with aiohttp.ClientSession() as session:
        semaphore = asyncio.Semaphore(16)

        async def one(body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
            async with semaphore, session.post(url + path, json=body) as response:
                return response.status, dict(response.headers), await response.read()

        return await asyncio.gather(*(one(b) for b in bodies))


def chat_body(text: str, *, stream: bool = False, where: str = "user") -> dict[str, Any]:
    if where == "system":
        messages = [{"role": "system", "content": text}, {"role": "user", "content": "Go on."}]
    elif where == "history":
        messages = [
            {"role": "user", "content": "Remember this."},
            {"role": "assistant", "content": text},
            {"role": "user", "content": "Now summarise."},
        ]
    elif where == "tool":
        messages = [
            {"role": "user", "content": "Look it up."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": text},
        ]
    elif where == "parts":
        messages = [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Read:"}, {"type": "text", "text": text}],
            }
        ]
    else:
        messages = [{"role": "user", "content": text}]
    return {
        "model": "auto",
        "messages": messages,
        "stream": stream,
        "max_tokens": 8,
        "tiergate": CRITICAL,
    }


def test_every_positive_stays_local_and_the_cloud_saw_none(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    results = asyncio.run(send_all(url, [chat_body(t) for t in POSITIVES]))
    assert len(POSITIVES) >= 240
    for text, (status, headers, _) in zip(POSITIVES, results, strict=True):
        assert status == 200, text
        assert headers["x-tiergate-provider"] == "local", text
        assert headers["x-tiergate-rule"] == "sensitive", text
    assert tiers.cloud_received() == 0
    assert not any(cloud_saw(tiers, t) for t in POSITIVES)


def test_clean_prompts_still_reach_the_cloud(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    results = asyncio.run(send_all(url, [chat_body(t) for t in NEGATIVES]))
    providers = [h["x-tiergate-provider"] for _, h, _ in results]
    assert providers.count("openai") == len(NEGATIVES)
    assert tiers.openai.count() == len(NEGATIVES)


@pytest.mark.parametrize("where", ["system", "history", "tool", "parts"])
def test_every_message_is_scanned(gateway: Start, tiers: Tiers, where: str) -> None:
    url = gateway()
    sample = POSITIVES[::9]
    results = asyncio.run(send_all(url, [chat_body(t, where=where) for t in sample]))
    assert {h["x-tiergate-provider"] for _, h, _ in results} == {"local"}
    assert tiers.cloud_received() == 0


def test_streams_stay_local(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    results = asyncio.run(send_all(url, [chat_body(t, stream=True) for t in POSITIVES[::3]]))
    for status, headers, body in results:
        assert status == 200 and headers["x-tiergate-provider"] == "local"
        assert body.endswith(b"data: [DONE]\n\n")
    assert tiers.cloud_received() == 0


def test_embeddings_stay_local(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    bodies = [
        {"model": "auto", "input": ["a clean line", t], "tiergate": CRITICAL}
        for t in POSITIVES[::2]
    ]
    results = asyncio.run(send_all(url, bodies, "/v1/embeddings"))
    assert {(s, h["x-tiergate-provider"]) for s, h, _ in results} == {(200, "local")}
    assert tiers.cloud_received() == 0


def test_with_the_local_tier_failing_it_is_503_never_the_cloud(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    tiers.local.kill()
    sample = POSITIVES[::4]
    chats = asyncio.run(send_all(url, [chat_body(t) for t in sample]))
    streams = asyncio.run(send_all(url, [chat_body(t, stream=True) for t in sample[:20]]))
    embeds = asyncio.run(
        send_all(
            url,
            [{"model": "auto", "input": t, "tiergate": CRITICAL} for t in sample[:20]],
            "/v1/embeddings",
        )
    )
    for status, _, body in chats + streams + embeds:
        assert status == 503
        assert orjson.loads(body)["error"]["code"] == "llm_unavailable"
    assert tiers.cloud_received() == 0


def test_local_failing_mid_request_with_a_5xx_does_not_fall_to_the_cloud(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway()
    tiers.local.behaviour = "fail-500"
    status, _, _ = asyncio.run(
        send_all(url, [chat_body("Patient MRN: 00123456 needs a follow-up")])
    )[0]
    assert status == 503
    assert tiers.cloud_received() == 0


def test_a_pinned_cloud_model_with_detected_pii_is_denied(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with (
        openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as c,
        pytest.raises(openai.PermissionDeniedError),
    ):
        c.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "card 4111 1111 1111 1111"}]
        )
    assert tiers.cloud_received() == 0


def test_the_classification_header_names_the_detected_class(gateway: Start) -> None:
    url = gateway()
    status, headers, _ = asyncio.run(
        send_all(url, [chat_body("key sk-proj-abc123DEF456ghi789JKL012mno345")])
    )[0]
    assert status == 200
    assert headers["x-tiergate-classification"] == "confidential"


IMAGE = {
    "type": "image_url",
    "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="},
}


def test_an_image_cannot_be_scanned_so_it_stays_local(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    body = chat_body("What is in this picture?")
    body["messages"][0]["content"] = [{"type": "text", "text": "What is in this picture?"}, IMAGE]
    status, headers, _ = asyncio.run(send_all(url, [body]))[0]
    assert status == 200
    assert (headers["x-tiergate-provider"], headers["x-tiergate-rule"]) == ("local", "sensitive")
    assert headers["x-tiergate-classification"] == "confidential"
    assert tiers.cloud_received() == 0
    assert tiers.local.received[-1].body["messages"][0][
        "images"
    ]  # the image went to the local model


def test_pii_inside_tool_definitions_is_found(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    body = chat_body("Send the report.")
    body["tools"] = [
        {
            "type": "function",
            "function": {
                "name": "send_mail",
                "description": "Mail the report to dr.ruth.baker@stmarys-hospital.org",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    status, headers, _ = asyncio.run(send_all(url, [body]))[0]
    assert status == 200 and headers["x-tiergate-provider"] == "local"
    assert tiers.cloud_received() == 0


def test_a_team_may_let_images_out_and_the_reservation_covers_them(
    tiers: Tiers, tmp_path: Path
) -> None:
    import sqlite3

    from tiergate.config import parse_config
    from tiergate.server import BackgroundServer, create_app

    from .conftest import make_config

    data = orjson.loads(make_config(tiers, tmp_path / "ledger.db").model_dump_json())
    data["privacy"]["unscannable"] = None
    config = parse_config(orjson.dumps(data).decode(), env={})
    body = chat_body("What is in this picture?")
    body["messages"][0]["content"] = [{"type": "text", "text": "Describe it."}, IMAGE]
    with BackgroundServer(create_app(config)) as server:
        status, headers, _ = asyncio.run(send_all(server.url, [body]))[0]
    assert status == 200 and headers["x-tiergate-provider"] == "openai"
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        [(reserved,)] = conn.execute(
            "SELECT reserved_pico FROM attempts WHERE provider = 'openai'"
        ).fetchall()
    # an image's worst case at gpt-4o's input price (pico-USD), not its few bytes
    assert reserved >= 50_000 * 2.5 * 10**6
