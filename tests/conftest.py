"""Shared fixtures: three FakeUpstream tiers and a real gateway on loopback in front of them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from tiergate.config import Config, parse_config
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

from .pg import pg_url, postgres  # noqa: F401  (fixtures: a real PostgreSQL, a database per test)

TENANT_KEYS = {
    "clinic": "tg-clinic-key",
    "studio": "tg-studio-key",
    "acme": "tg-acme-key",
    "tiny": "tg-tiny-key",
}
ADMIN_KEY = "tg-admin-key"


_CLIENTS: list[openai.OpenAI] = []


def sdk(base_url: str, api_key: str = "unused", **options: Any) -> openai.OpenAI:
    """The official openai client, closed when the test ends: no pooled socket is left for the
    garbage collector to report (pytest turns that warning into an error)."""
    client = openai.OpenAI(base_url=base_url, api_key=api_key, **options)
    _CLIENTS.append(client)
    return client


@pytest.fixture(autouse=True)
def _close_sdk_clients() -> Iterator[None]:
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Tiers:
    local: FakeUpstream
    cloud: FakeUpstream
    openai: FakeUpstream

    @property
    def all(self) -> tuple[FakeUpstream, FakeUpstream, FakeUpstream]:
        return (self.local, self.cloud, self.openai)

    def cloud_received(self) -> int:
        return self.cloud.count() + self.openai.count()


BASE = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {local}
    tier: 1
    on_premises: true
    max_concurrency: {local_concurrency}
    models: {{default: "llama3.2:3b", embedding: bge-m3}}
    timeout_s: 2
  - name: ollama_cloud
    protocol: ollama
    base_url: {cloud}
    api_key: cloud-secret-key
    tier: 2
    models: {{default: "gpt-oss:120b"}}
    prices: {{default: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}
    monthly_budget_usd: {cloud_budget}
    max_output_tokens: 256
    timeout_s: 2
  - name: openai
    protocol: openai
    base_url: {openai}
    api_key: openai-secret-key
    tier: 3
    models: {{default: gpt-4o, extraction: gpt-4o-mini}}
    monthly_budget_usd: {openai_budget}
    max_output_tokens: 256
    timeout_s: 2
    breaker_failures: {breaker_failures}
    breaker_cooldown_s: {breaker_cooldown_s}
    prices: {{default: {{input_per_mtok: {openai_input}, output_per_mtok: {openai_output}}}}}
budget: {{monthly_total_usd: {total_budget}, on_exceeded: {on_exceeded}, daily_alert_usd: {daily_alert}}}
privacy: {{detect: true}}
server: {{max_body_bytes: 65536}}
"""

TENANTS = f"""
admin_api_key_sha256: "{sha(ADMIN_KEY)}"
tenants:
  - {{name: clinic, api_key_sha256: "{sha(TENANT_KEYS["clinic"])}", mode: local_only, monthly_budget_usd: 20}}
  - {{name: studio, api_key_sha256: "{sha(TENANT_KEYS["studio"])}", mode: local_ollama}}
  - {{name: acme, api_key_sha256: "{sha(TENANT_KEYS["acme"])}", mode: multi_cloud, monthly_budget_usd: 5}}
  - {{name: tiny, api_key_sha256: "{sha(TENANT_KEYS["tiny"])}", mode: multi_cloud, monthly_budget_usd: 0.0005}}
"""


def make_config(tiers: Tiers, store: Path, *, tenants: bool = False, **options: object) -> Config:
    values: dict[str, object] = {
        "cloud_budget": 120,
        "openai_budget": 80,
        "on_exceeded": "fallback",
        "breaker_failures": 3,
        "breaker_cooldown_s": 30,
        "openai_input": 2.5,  # gpt-4o's list price, USD per million tokens
        "openai_output": 10,
        "total_budget": 200,
        "daily_alert": "null",
        "local_concurrency": 64,
    }
    values.update(options)
    text = BASE.format(
        store=store,
        local=tiers.local.url,
        cloud=tiers.cloud.url,
        openai=tiers.openai.openai_base_url,
        **values,
    )
    return parse_config(text + (TENANTS if tenants else ""), env={})


@pytest.fixture
def tiers() -> Iterator[Tiers]:
    with ExitStack() as stack:
        yield Tiers(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
        )


Start = Callable[..., str]


@pytest.fixture
def gateway(tiers: Tiers, tmp_path: Path) -> Iterator[Start]:
    """start(**options) -> the base URL of a real gateway in front of the three tiers."""
    with ExitStack() as stack:

        def start(**options: object) -> str:
            config = make_config(tiers, tmp_path / "ledger.db", **options)
            server = stack.enter_context(BackgroundServer(create_app(config)))
            return server.url

        yield start
