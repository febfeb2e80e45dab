"""A real gateway in front of three FakeUpstreams speaking three protocols: a local Ollama
(tier 1), Anthropic's Messages API (tier 2) and an Azure OpenAI resource (tier 3).

Shared by test_protocol_anthropic.py and test_protocol_azure.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from tiergate.config import Config, parse_config
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

from .conftest import sdk

ANTHROPIC_KEY = "sk-ant-fake-key"
AZURE_KEY = "azure-fake-key"
CLAUDE = "claude-haiku-4-5"  # priced by the bundled genai-prices table
AZURE_CHAT = "prod-gpt4o"  # deployment names: priced in the config
AZURE_EMBED = "prod-embed"
AZURE_PRICE = (5, 15)  # USD per million input, output tokens

CONFIG = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {local}
    tier: 1
    on_premises: true
    max_concurrency: 64
    models: {{default: "llama3.2:3b", embedding: bge-m3}}
    timeout_s: 5
  - name: anthropic
    protocol: anthropic
    base_url: {anthropic}
    api_key: {anthropic_key}
    tier: 2
    models: {{default: {claude}}}
    max_output_tokens: 256
    monthly_budget_usd: {anthropic_budget}
    timeout_s: 5
  - name: azure
    protocol: azure
    base_url: {azure}
    api_key: {azure_key}
    api_version: {api_version}
    tier: 3
    models: {{default: {azure_chat}, embedding: {azure_embed}}}
    prices: {{default: {{input_per_mtok: {azure_in}, output_per_mtok: {azure_out}}}}}
    max_output_tokens: 256
    monthly_budget_usd: 50
    timeout_s: 5
budget: {{monthly_total_usd: 100}}
privacy: {{detect: true}}
"""


@dataclass
class Fakes:
    local: FakeUpstream
    anthropic: FakeUpstream
    azure: FakeUpstream

    def cloud_received(self) -> int:
        return self.anthropic.count() + self.azure.count()


def make_config(
    fakes: Fakes, store: Path, *, api_version: str = "2024-10-21", anthropic_budget: float = 50
) -> Config:
    text = CONFIG.format(
        store=store,
        local=fakes.local.url,
        anthropic=fakes.anthropic.url,
        anthropic_key=ANTHROPIC_KEY,
        anthropic_budget=anthropic_budget,
        claude=CLAUDE,
        azure=fakes.azure.url,
        azure_key=AZURE_KEY,
        api_version=api_version,
        azure_chat=AZURE_CHAT,
        azure_embed=AZURE_EMBED,
        azure_in=AZURE_PRICE[0],
        azure_out=AZURE_PRICE[1],
    )
    return parse_config(text, env={})


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with ExitStack() as stack:
        yield Fakes(
            local=stack.enter_context(FakeUpstream(name="local")),
            anthropic=stack.enter_context(FakeUpstream(name="anthropic")),
            azure=stack.enter_context(FakeUpstream(name="azure")),
        )


@pytest.fixture
def gateway_url(fakes: Fakes, tmp_path: Path) -> Iterator[str]:
    with BackgroundServer(create_app(make_config(fakes, tmp_path / "ledger.db"))) as server:
        yield server.url


def client(url: str) -> openai.OpenAI:
    return sdk(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=10)


def hints(**values: Any) -> dict[str, Any]:
    return {"tiergate": values}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
