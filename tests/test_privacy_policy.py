"""When in doubt, stay local: require_label, Ollama's cloud-forwarded models, and large bodies.

Judged by what the cloud fakes received.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import aiohttp
import openai
import orjson
import pytest

from tiergate.config import parse_config
from tiergate.errors import ConfigError
from tiergate.server import BackgroundServer, create_app

from .conftest import TENANT_KEYS, Tiers, make_config, sdk

CRITICAL = {"quality": "critical", "complexity": "high"}


def test_require_label_keeps_unlabelled_requests_on_premises(tiers: Tiers, tmp_path: Path) -> None:
    data = make_config(tiers, tmp_path / "l.db", tenants=True).model_dump(mode="json")
    for tenant in data["tenants"]:
        tenant["require_label"] = tenant["name"] == "acme"
    config = parse_config(orjson.dumps(data).decode(), env={})
    with BackgroundServer(create_app(config)) as server:
        acme = sdk(base_url=server.url + "/v1", api_key=TENANT_KEYS["acme"], max_retries=0)

        def ask(label: str | None) -> str:
            hints = dict(CRITICAL, **({"classification": label} if label else {}))
            raw = acme.chat.completions.with_raw_response.create(
                model="auto",
                messages=[{"role": "user", "content": "Plan the quarter."}],
                extra_body={"tiergate": hints},
            )
            raw.parse()
            return raw.headers["x-tiergate-provider"]

        assert ask(None) == "local"
        assert tiers.cloud_received() == 0
        assert ask("internal") == "openai"
        assert ask("public") == "openai"
        assert ask("confidential") == "local"


@pytest.mark.parametrize(
    "model", ["gpt-oss:120b-cloud", "qwen3-coder:480b-cloud", "deepseek:cloud"]
)
def test_an_on_premises_provider_may_not_name_a_cloud_forwarded_model(
    tmp_path: Path, model: str
) -> None:
    text = f"""
providers:
  - {{name: local, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 1,
      on_premises: true, models: {{default: "llama3.2:3b", reasoning: "{model}"}}}}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    message = str(caught.value)
    assert "providers[0]" in message and "models.reasoning" in message and "cloud" in message


def test_a_cloud_forwarded_model_on_a_cloud_provider_is_fine() -> None:
    text = """
providers:
  - {name: local, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 1,
     on_premises: true, models: {default: "llama3.2:3b"}}
  - {name: ollama_cloud, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 2,
     api_key: k, models: {default: "gpt-oss:120b-cloud"},
     prices: {default: {input_per_mtok: 1, output_per_mtok: 1}}}
"""
    assert parse_config(text, env={}).providers[1].name == "ollama_cloud"


ROW = "2026-11-{day:02d},order {n:08d},qty {q},unit 19.99,total {t}.00\n"


def numeric_table(size: int) -> str:
    rows = []
    n = 0
    total = 0
    while total < size:
        row = ROW.format(day=n % 28 + 1, n=n * 7919 % 10**8, q=n % 9 + 1, t=(n % 9 + 1) * 20)
        rows.append(row)
        total += len(row)
        n += 1
    return "".join(rows)


def test_a_three_megabyte_body_is_scanned_whole(tiers: Tiers, tmp_path: Path) -> None:
    """A body too large to scan on the event loop goes to the worker process; its finding counts."""
    data = make_config(tiers, tmp_path / "l.db").model_dump(mode="json")
    data["server"]["max_body_bytes"] = 8 * 1024 * 1024
    config = parse_config(orjson.dumps(data).decode(), env={})
    table = numeric_table(3 * 1024 * 1024)
    bodies = {
        "clean": table,
        "email_at_the_end": table + "Contact: jane.roe@example.org\n",
        "card_in_the_middle": table[: len(table) // 2]
        + "card 4111 1111 1111 1111\n"
        + table[len(table) // 2 :],
    }

    async def send(session: aiohttp.ClientSession, url: str, text: str) -> dict[str, str]:
        body = {
            "model": "auto",
            "messages": [{"role": "user", "content": text}],
            "max_tokens": 8,
            "tiergate": CRITICAL,
        }
        async with session.post(
            url + "/v1/chat/completions",
            data=io.BytesIO(orjson.dumps(body)),
            headers={"content-type": "application/json"},
        ) as response:
            await response.read()
            assert response.status == 200
            return dict(response.headers)

    async def run(url: str) -> dict[str, dict[str, str]]:
        async with aiohttp.ClientSession() as session:
            return {name: await send(session, url, text) for name, text in bodies.items()}

    with BackgroundServer(create_app(config)) as server:
        headers = asyncio.run(run(server.url))
    assert headers["clean"]["x-tiergate-provider"] == "openai"
    assert headers["email_at_the_end"]["x-tiergate-provider"] == "local"
    assert headers["card_in_the_middle"]["x-tiergate-provider"] == "local"
    assert tiers.openai.count() == 1
    assert tiers.cloud.count() == 0


def test_a_paid_ollama_provider_needs_explicit_prices() -> None:
    """A hosted Ollama's model is never priced as another vendor's model of a similar name."""
    from tiergate.pricing import build

    text = """
providers:
  - {name: local, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 1,
     on_premises: true, models: {default: "llama3.2:3b"}}
  - {name: ollama_cloud, protocol: ollama, base_url: "http://127.0.0.1:11434", tier: 2,
     api_key: k, models: {default: "gpt-4o"}}
"""
    with pytest.raises(ConfigError) as caught:
        build(parse_config(text, env={}))
    assert "providers[1].prices" in str(caught.value)
    assert "ollama protocol needs explicit prices" in str(caught.value)


def pdf(pages: int) -> str:
    import base64

    body = b"%%PDF-1.4\n1 0 obj << /Type /Pages /Count %d >> endobj\n" % pages
    body += b"".join(
        b"%d 0 obj << /Type /Page /Parent 1 0 R >> endobj\n" % (i + 2) for i in range(pages)
    )
    return "data:application/pdf;base64," + base64.b64encode(body + b"%%EOF").decode()


def test_a_pdf_reserves_per_page_and_a_file_id_is_refused(tiers: Tiers, tmp_path: Path) -> None:
    from tiergate.outbound import MEDIA_PART_TOKENS, PDF_PAGE_TOKENS, media

    def body(data: str) -> dict[str, object]:
        part = {"type": "file", "file": {"filename": "a.pdf", "file_data": data}}
        return {"messages": [{"role": "user", "content": [part]}]}

    assert media(body(pdf(1)))[0] == MEDIA_PART_TOKENS
    assert media(body(pdf(40)))[0] == 40 * PDF_PAGE_TOKENS
    config = make_config(tiers, tmp_path / "l.db")
    with BackgroundServer(create_app(config)) as server:
        client = sdk(base_url=server.url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="auto",
                messages=[
                    {"role": "user", "content": [{"type": "file", "file": {"file_id": "file-abc"}}]}
                ],
            )
    assert caught.value.body["param"] == "messages[0].content[0].file.file_id"  # type: ignore[index]
    assert sum(f.count() for f in tiers.all) == 0
