"""decide() as a table: every rule of DESIGN.md §2 and the interactions that matter."""

from __future__ import annotations

import pytest

from tiergate.config import parse_config
from tiergate.outbound import Outbound
from tiergate.policy import Features, State, decide, never_candidates
from tiergate.pricing import build

CONFIG = """
providers:
  - {name: local, protocol: ollama, base_url: "http://127.0.0.1:1", tier: 1, on_premises: true,
     max_concurrency: 2, models: {default: "llama3.2:3b", embedding: bge-m3}}
  - {name: ollama_cloud, protocol: ollama, base_url: "http://127.0.0.1:2", api_key: k2, tier: 2,
     models: {default: "gpt-oss:120b"}, prices: {default: {input_per_mtok: 1.0, output_per_mtok: 1.0}},
     monthly_budget_usd: 120, max_output_tokens: 1000}
  - {name: openai, protocol: openai, base_url: "http://127.0.0.1:3/v1", api_key: k3, tier: 3,
     models: {default: gpt-4o, extraction: gpt-4o-mini}, monthly_budget_usd: 80, max_output_tokens: 1000}
budget: {monthly_total_usd: 200}
tenants:
  - {name: clinic, api_key_sha256: "HASH_A", mode: local_only}
  - {name: studio, api_key_sha256: "HASH_B", mode: local_ollama}
  - {name: narrow, api_key_sha256: "HASH_C", mode: multi_cloud, allowed_providers: [local, openai]}
"""

config = parse_config(
    CONFIG.replace("HASH_A", "a" * 64).replace("HASH_B", "b" * 64).replace("HASH_C", "c" * 64),
    env={},
)
prices = build(config)


def sized(
    task: str = "chat", tokens: int = 100, max_tokens: int | None = None, model: str | None = None
) -> dict[str, Outbound]:
    """What encoding a request of `tokens` prompt tokens for every provider would give decide()."""
    return {
        p.name: Outbound(
            provider=p.name,
            model=model or p.model_for(task),
            max_tokens=0
            if task == "embedding"
            else (max_tokens if max_tokens is not None else p.max_output_tokens),
            body={},
            payload=b"",
            prompt_tokens=tokens + p.prompt_overhead_tokens,
        )
        for p in config.providers
    }


def route(state: State | None = None, **features: object) -> tuple[list[str], str]:
    features.setdefault("classification", "internal")
    features.setdefault(
        "outbound",
        sized(str(features.get("task", "chat")), model=features.get("pinned_model")),  # type: ignore[arg-type]
    )
    decision = decide(Features(**features), config, state or State(), prices)  # type: ignore[arg-type]
    return [c.name for c in decision.candidates], decision.rule


ALL = ["openai", "ollama_cloud", "local"]


@pytest.mark.parametrize(
    ("features", "expected", "rule"),
    [
        ({}, ["local"], "default"),
        ({"quality": "high"}, ["ollama_cloud", "local"], "quality_or_batch"),
        ({"batch_size": 11}, ["ollama_cloud", "local"], "quality_or_batch"),
        ({"batch_size": 10}, ["local"], "default"),
        ({"quality": "critical", "complexity": "high"}, ALL, "critical"),
        (
            {"quality": "critical", "complexity": "medium"},
            ["ollama_cloud", "local"],
            "quality_or_batch",
        ),
        (
            {"task": "embedding", "quality": "critical", "complexity": "high"},
            ["local"],
            "embedding",
        ),
        # rule 2: sensitive, declared or detected, keeps everything on premises
        (
            {"classification": "pii", "quality": "critical", "complexity": "high"},
            ["local"],
            "sensitive",
        ),
        ({"classification": "hipaa", "quality": "high"}, ["local"], "sensitive"),
        (
            {"classification": "legal", "quality": "critical", "complexity": "high"},
            ["local"],
            "sensitive",
        ),
        ({"classification": "confidential", "batch_size": 50}, ["local"], "sensitive"),
        ({"classification": "pii", "batch_size": 50}, ["local"], "sensitive"),
        ({"classification": "pii", "task": "embedding"}, ["local"], "embedding"),
        ({"classification": "pii"}, ["local"], "default"),
        (
            {"classification": "public", "quality": "critical", "complexity": "high"},
            ALL,
            "critical",
        ),
        # rule 1: tenant policy
        ({"tenant": "clinic", "quality": "critical", "complexity": "high"}, ["local"], "policy"),
        (
            {"tenant": "studio", "quality": "critical", "complexity": "high"},
            ["ollama_cloud", "local"],
            "policy",
        ),
        ({"tenant": "studio", "quality": "high"}, ["ollama_cloud", "local"], "quality_or_batch"),
        ({"tenant": "narrow", "quality": "high"}, ["local"], "policy"),
        (
            {"tenant": "narrow", "quality": "critical", "complexity": "high"},
            ["openai", "local"],
            "critical",
        ),
        (
            {
                "tenant": "clinic",
                "classification": "pii",
                "quality": "critical",
                "complexity": "high",
            },
            ["local"],
            "policy",
        ),
        # pins
        ({"pinned": "openai"}, ["openai"], "pinned"),
        ({"pinned": "openai", "classification": "pii"}, [], "sensitive"),
        ({"pinned": "ollama_cloud", "tenant": "clinic"}, [], "policy"),
    ],
)
def test_rules(features: dict[str, object], expected: list[str], rule: str) -> None:
    assert route(**features) == (expected, rule)


def test_spillover_only_when_tier1_saturated_and_not_sensitive() -> None:
    busy = State(in_flight={"local": 2})
    assert route(busy) == (["ollama_cloud", "local"], "spillover")
    assert route(State(in_flight={"local": 1})) == (["local"], "default")
    assert route(busy, classification="pii") == (["local"], "default")


def test_budget_removes_a_provider_and_names_the_rule_when_it_changed_the_outcome() -> None:
    # gpt-4o: (100 prompt + 128 template) tokens at $2.50 + 1000 output at $10 per Mtok
    # = 10_570 micro-USD at most (pico below)
    short = State(remaining={"provider:openai": 10_000 * 10**6})
    assert route(short, quality="critical", complexity="high") == (
        ["ollama_cloud", "local"],
        "budget",
    )
    assert (
        route(
            State(remaining={"provider:openai": 10_570 * 10**6}),
            quality="critical",
            complexity="high",
        )[0]
        == ALL
    )
    # openai is out of budget but the request never wanted it: the rule stays
    assert route(short, quality="high") == (["ollama_cloud", "local"], "quality_or_batch")
    # the total cap binds every paid provider
    assert route(State(remaining={"total": 0}), quality="critical", complexity="high") == (
        ["local"],
        "budget",
    )
    # a tenant cap binds that tenant only
    tenant_short = State(remaining={"tenant:narrow": 5})
    assert route(tenant_short, tenant="narrow", quality="critical", complexity="high") == (
        ["local"],
        "budget",
    )


def test_store_unreachable_fails_closed_for_paid_providers_only() -> None:
    assert route(State(budget_unreachable=True), quality="critical", complexity="high") == (
        ["local"],
        "budget",
    )


def test_a_provider_without_key_is_down_not_an_error() -> None:
    names, rule = route(State(down=frozenset({"openai"})), quality="critical", complexity="high")
    assert (names, rule) == (["ollama_cloud", "local"], "critical")


def test_the_caller_max_tokens_sizes_the_reservation() -> None:
    decision = decide(
        Features(
            classification="public",
            quality="critical",
            complexity="high",
            outbound=sized(tokens=1000, max_tokens=10),
        ),
        config,
        State(),
        prices,
    )
    openai = decision.candidates[0]
    assert (openai.name, openai.max_tokens) == ("openai", 10)
    # pico-USD: $2.50 per million prompt tokens (with 128 for the template), $10 per million output
    assert openai.bound_pico == ((1000 + 128) * 2.5 + 10 * 10) * 10**6
    assert decision.candidates[-1].bound_pico == 0  # local is free


def test_trace_explains_every_provider() -> None:
    decision = decide(
        Features(classification="pii", quality="critical", complexity="high", outbound=sized()),
        config,
        State(),
        prices,
    )
    text = "\n".join(decision.trace)
    assert "openai: removed as sensitive" in text
    assert "ollama_cloud: removed as sensitive" in text
    assert "local: kept" in text
    assert decision.removed == {"openai": "sensitive", "ollama_cloud": "sensitive"}


@pytest.mark.parametrize(
    ("tenant", "down", "never"),
    [
        (None, frozenset(), set()),
        (None, frozenset({"openai"}), {"openai"}),
        ("clinic", frozenset(), {"ollama_cloud", "openai"}),
        ("studio", frozenset(), {"openai"}),
        ("narrow", frozenset({"local"}), {"local", "ollama_cloud"}),
    ],
)
def test_never_candidates_are_what_decide_drops_before_reading_their_request(
    tenant: str | None, down: frozenset[str], never: set[str]
) -> None:
    assert never_candidates(config, config.tenant(tenant) if tenant else None, down) == never
    # decide() keeps the same candidates, with the same trace, when those were never encoded.
    outbound = sized()
    state = State(down=down)
    full = decide(Features("internal", outbound=outbound, tenant=tenant), config, state, prices)
    lean = {name: o for name, o in outbound.items() if name not in never}
    fewer = decide(Features("internal", outbound=lean, tenant=tenant), config, state, prices)
    assert fewer == full
