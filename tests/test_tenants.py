"""Tenants: only the right callers get in, each under its own policy, budget and view of spend."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import openai
import orjson
import pytest

from .conftest import ADMIN_KEY, TENANT_KEYS, Start, Tiers


def call(
    url: str,
    key: str | None,
    path: str = "/v1/chat/completions",
    body: dict[str, Any] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    async def go() -> tuple[int, Any, dict[str, str]]:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        async with aiohttp.ClientSession() as session:
            if body is None:
                request = session.get(url + path, headers=headers)
            else:
                request = session.post(url + path, json=body, headers=headers)
            async with request as response:
                return response.status, orjson.loads(await response.read()), dict(response.headers)

    return asyncio.run(go())


def critical(text: str = "Plan the migration.") -> dict[str, Any]:
    return {
        "model": "auto",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 16,
        "tiergate": {"quality": "critical", "complexity": "high"},
    }


def test_a_local_only_tenant_asking_for_critical_quality_stays_local(
    gateway: Start, tiers: Tiers
) -> None:
    url = gateway(tenants=True)
    with openai.OpenAI(base_url=url + "/v1", api_key=TENANT_KEYS["clinic"], max_retries=0) as c:
        raw = c.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": "Plan the migration."}],
            extra_body={"tiergate": {"quality": "critical", "complexity": "high"}},
        )
    assert raw.headers["x-tiergate-provider"] == "local"
    assert raw.headers["x-tiergate-rule"] == "policy"
    assert tiers.cloud_received() == 0


def test_each_tenant_gets_its_own_mode(gateway: Start) -> None:
    url = gateway(tenants=True)
    providers = {
        name: call(url, key, body=critical())[2]["x-tiergate-provider"]
        for name, key in TENANT_KEYS.items()
    }
    assert providers == {
        "clinic": "local",
        "studio": "ollama_cloud",
        "acme": "openai",
        "tiny": "ollama_cloud",
    }


@pytest.mark.parametrize("key", [None, "tg-wrong-key", TENANT_KEYS["clinic"] + "x", ""])
def test_a_missing_or_unknown_key_is_401(gateway: Start, tiers: Tiers, key: str | None) -> None:
    url = gateway(tenants=True)
    status, body, _ = call(url, key, body=critical())
    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert sum(f.count() for f in tiers.all) == 0


def test_the_sdk_sees_an_authentication_error(gateway: Start) -> None:
    url = gateway(tenants=True)
    with (
        openai.OpenAI(base_url=url + "/v1", api_key="nope", max_retries=0) as c,
        pytest.raises(openai.AuthenticationError),
    ):
        c.models.list()


def test_a_tenant_reads_only_its_own_spend(gateway: Start) -> None:
    url = gateway(tenants=True)
    for _ in range(2):
        assert call(url, TENANT_KEYS["acme"], body=critical())[0] == 200
    assert call(url, TENANT_KEYS["studio"], body=critical())[0] == 200
    status, mine, _ = call(url, TENANT_KEYS["studio"], "/v1/tiergate/spend")
    assert status == 200
    assert set(mine["tenants"]) == {"studio"}
    assert mine["providers"]["openai"]["spent_usd"] == 0  # acme's openai spend is not visible
    assert mine["providers"]["ollama_cloud"]["requests"] == 1
    status, everyone, _ = call(url, ADMIN_KEY, "/v1/tiergate/spend")
    assert status == 200
    assert everyone["providers"]["openai"]["requests"] == 2
    assert everyone["providers"]["openai"]["spent_usd"] > 0


def test_the_admin_endpoint_needs_a_key(gateway: Start) -> None:
    url = gateway(tenants=True)
    status, body, _ = call(url, None, "/v1/tiergate/spend")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body, _ = call(url, "tg-not-admin", "/v1/tiergate/spend")
    assert status == 401


def test_a_tenant_budget_binds_that_tenant_only(gateway: Start, tiers: Tiers) -> None:
    # critical() may cost up to 16 output tokens of gpt-4o plus (19 + 16 + 128) prompt tokens,
    # $0.000568; tiny's $0.0005 cannot cover that (ollama_cloud's $0.000179 it can), acme's $5 can.
    url = gateway(tenants=True)
    status, _, headers = call(url, TENANT_KEYS["tiny"], body=critical())
    assert status == 200
    assert (headers["x-tiergate-provider"], headers["x-tiergate-rule"]) == (
        "ollama_cloud",
        "budget",
    )
    status, _, headers = call(url, TENANT_KEYS["acme"], body=critical())
    assert (headers["x-tiergate-provider"], headers["x-tiergate-rule"]) == ("openai", "critical")


def test_a_classification_floor_keeps_a_tenant_local(
    gateway: Start, tiers: Tiers, tmp_path: Any
) -> None:
    from tiergate.config import parse_config
    from tiergate.server import BackgroundServer, create_app

    from .conftest import make_config

    config = make_config(tiers, tmp_path / "floor.db", tenants=True)
    text = config.model_dump_json()
    data = orjson.loads(text)
    data["tenants"][2]["classification_floor"] = "confidential"
    floored = parse_config(orjson.dumps(data).decode(), env={})
    with BackgroundServer(create_app(floored)) as server:
        status, _, headers = call(server.url, TENANT_KEYS["acme"], body=critical())
    assert status == 200
    assert headers["x-tiergate-provider"] == "local"
    assert headers["x-tiergate-classification"] == "confidential"
    assert tiers.cloud_received() == 0
