"""`tiergate demo`: simulated tiers, the real gateway, a mixed workload, and a table of where each request went."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from . import logs, reports
from .batch import Options, Summary
from .batch import run as run_batch
from .config import Config, parse_config
from .pricing import pico_to_usd
from .server import BackgroundServer, create_app
from .testing import FakeUpstream

CONFIG = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {local}
    tier: 1
    on_premises: true
    max_concurrency: 4
    models: {{default: "llama3.2:3b", embedding: "bge-m3"}}
  - name: ollama_cloud
    protocol: ollama
    base_url: {cloud}
    api_key: simulated-ollama-key
    tier: 2
    models: {{default: "gpt-oss:120b"}}
    prices: {{default: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}
    monthly_budget_usd: 120
    max_output_tokens: 512
  - name: openai
    protocol: openai
    base_url: {openai}
    api_key: simulated-openai-key
    tier: 3
    models: {{default: gpt-4o, extraction: gpt-4o-mini}}
    monthly_budget_usd: 80
    max_output_tokens: 512
    timeout_s: 5
    breaker_cooldown_s: 0
    batch_api: true
budget: {{monthly_total_usd: 200, daily_alert_usd: 10, on_exceeded: fallback}}
privacy: {{sensitive: [pii, hipaa, confidential, legal], detect: true}}
cache: {{ttl_s: 300}}
"""


@dataclass(frozen=True, slots=True)
class Job:
    label: str
    path: str
    body: dict[str, Any]
    outage: bool = False


def _chat(text: str, temperature: float | None = None, **hints: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "auto",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 64,
    }
    if temperature is not None:
        body["temperature"] = temperature
    if hints:
        body["tiergate"] = hints
    return body


JOBS = (
    Job("plain chat", "/v1/chat/completions", _chat("Summarise our release notes in two lines.")),
    Job(
        "extraction, high quality",
        "/v1/chat/completions",
        _chat(
            "Extract the product names from this catalogue page.", task="extraction", quality="high"
        ),
    ),
    Job(
        "critical, complex reasoning",
        "/v1/chat/completions",
        _chat("Plan a zero-downtime database migration.", quality="critical", complexity="high"),
    ),
    Job(
        "critical legal question",
        "/v1/chat/completions",
        _chat(
            "Does clause 7 of this contract survive termination?",
            classification="legal",
            quality="critical",
            complexity="high",
        ),
    ),
    Job(
        "labelled PII",
        "/v1/chat/completions",
        _chat("Draft a reply to this customer's complaint.", classification="pii", quality="high"),
    ),
    Job(
        "unlabelled PII (detected)",
        "/v1/chat/completions",
        _chat(
            "Write to jane.doe@example.org about her refund.", quality="critical", complexity="high"
        ),
    ),
    Job(
        "batch of 50, not sensitive",
        "/v1/chat/completions",
        _chat("Classify this ticket.", batch_size=50),
    ),
    Job(
        "embeddings",
        "/v1/embeddings",
        {"model": "auto", "input": ["first passage", "second passage"]},
    ),
    Job(
        "critical, cloud outage",
        "/v1/chat/completions",
        _chat(
            "Review this architecture for single points of failure.",
            quality="critical",
            complexity="high",
        ),
        outage=True,
    ),
    *(
        Job(
            f"same question, temperature 0 ({n})",
            "/v1/chat/completions",
            _chat(
                "List three risks of a big-bang release.", 0, quality="critical", complexity="high"
            ),
        )
        for n in ("1st", "2nd")
    ),
)
# `tiergate batch run` on a small file: critical lines go through the provider's Batch API.
BATCH: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "critical-1",
        "Audit this pricing model for errors.",
        {"quality": "critical", "complexity": "high"},
    ),
    (
        "critical-2",
        "Stress-test this capacity plan.",
        {"quality": "critical", "complexity": "high"},
    ),
    (
        "pii",
        "Reply to john.smith@example.org about his order.",
        {"quality": "critical", "complexity": "high"},
    ),
    ("plain", "Tag this ticket: printer jammed.", {}),
)


async def _send(session: aiohttp.ClientSession, base: str, job: Job) -> dict[str, Any]:
    started = time.perf_counter()
    async with session.post(base + job.path, data=orjson.dumps(job.body)) as response:
        await response.read()
        h = response.headers
        return {
            "request": job.label,
            "status": response.status,
            "classification": h.get("x-tiergate-classification", "-"),
            "provider": h.get("x-tiergate-provider", "-"),
            "tier": h.get("x-tiergate-tier", "-"),
            "rule": h.get("x-tiergate-rule", "-"),
            "latency_ms": (time.perf_counter() - started) * 1000,
            "attempts": h.get("x-tiergate-attempts", "-").replace(",", " > "),
            "cost_usd": h.get("x-tiergate-cost-usd", "-"),
            "cache": h.get("x-tiergate-cache", "-"),
        }


async def _workload(base: str, openai_fake: FakeUpstream, repeat: int) -> list[dict[str, Any]]:
    rows = []
    async with aiohttp.ClientSession(headers={"content-type": "application/json"}) as session:
        for job in JOBS:
            for _ in range(repeat):
                if job.outage:
                    openai_fake.kill()
                try:
                    rows.append(await _send(session, base, job))
                finally:
                    if job.outage:
                        openai_fake.revive()
    return rows


def _hit_saved(rows: list[dict[str, Any]]) -> str:
    """What the cache hit avoided: the cost of the miss that filled the entry."""
    repeated = [r for r in rows if r["request"].startswith("same question")]
    hit = any(r["cache"] == "hit" for r in repeated)
    return repeated[0]["cost_usd"] if hit and repeated else "0"


def _batch(config: Config, tmp: Path) -> tuple[list[dict[str, Any]], Summary]:
    """`tiergate batch run` on a small file, in this process, against the same store."""
    requests, out = tmp / "requests.jsonl", tmp / "results.jsonl"
    requests.write_bytes(
        b"".join(
            orjson.dumps(
                {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
                 "body": {**_chat(text), "tiergate": hints} if hints else _chat(text)}
            )
            + b"\n"
            for cid, text, hints in BATCH
        )
    )  # fmt: skip
    options = Options(input=requests, output=out, poll_s=0.05, progress=False)
    summary = asyncio.run(run_batch(config, options))
    rows = []
    for line in out.read_bytes().splitlines():
        result = orjson.loads(line)
        facts = result["tiergate"]
        rows.append(
            {
                "custom_id": result["custom_id"],
                "classification": facts.get("classification") or "-",
                "provider": facts.get("provider") or "-",
                "rule": facts.get("rule") or "-",
                "via": "batch API" if facts.get("batch_api") else "gateway",
                "cost_usd": facts.get("cost_usd", "-"),
            }
        )
    return rows, summary


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    cells = [[h for _, h in columns]] + [
        [f"{r[k]:.0f}" if k == "latency_ms" else str(r[k]) for k, _ in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(*, requests_per_kind: int = 1) -> int:
    # The table shows the simulated outage; its warning lines would only clutter it.
    logs.setup("error")
    print(
        "tiergate demo: the real gateway in front of three SIMULATED tiers (no real model is called)\n"
    )
    with (
        tempfile.TemporaryDirectory(prefix="tiergate-demo-") as tmp,
        FakeUpstream(name="simulated-local", latency_s=0.03, chunk_delay_s=0.002) as local,
        FakeUpstream(name="simulated-ollama-cloud", latency_s=0.09) as cloud,
        FakeUpstream(name="simulated-openai", latency_s=0.18) as openai_fake,
    ):
        store = Path(tmp) / "ledger.db"
        config = parse_config(
            CONFIG.format(
                store=store, local=local.url, cloud=cloud.url, openai=openai_fake.openai_base_url
            ),
            env={},
        )
        for provider, fake in zip(config.providers, (local, cloud, openai_fake), strict=True):
            where = "on premises" if provider.on_premises else "cloud"
            print(
                f"  tier {provider.tier}  {provider.name:<13} {fake.url}  (simulated {provider.protocol}, {where})"
            )
        with BackgroundServer(create_app(config)) as gateway:
            print(
                f"  gateway        {gateway.url}  (real tiergate; ledger {store.name} in a temp dir)\n"
            )
            rows = asyncio.run(_workload(gateway.url, openai_fake, requests_per_kind))
        print(
            _table(
                rows,
                [
                    ("request", "request"),
                    ("classification", "class"),
                    ("provider", "provider"),
                    ("tier", "tier"),
                    ("rule", "rule"),
                    ("latency_ms", "ms"),
                    ("attempts", "attempts"),
                    ("cost_usd", "cost USD"),
                    ("cache", "cache"),
                ],
            )
        )
        batch_rows, summary = _batch(config, Path(tmp))
        print("\n`tiergate batch run` on a file of 4 lines (simulated Batch API, half price):\n")
        print(
            _table(
                batch_rows,
                [
                    ("custom_id", "custom_id"),
                    ("classification", "class"),
                    ("provider", "provider"),
                    ("rule", "rule"),
                    ("via", "via"),
                    ("cost_usd", "cost USD"),
                ],
            )
        )
        batch_saved = pico_to_usd(summary.batch_normal_pico - summary.batch_cost_pico)
        print(
            f"\nsavings at the simulated prices: the cache hit ${_hit_saved(rows)}; the Batch API "
            f"${batch_saved.normalize():f} (${pico_to_usd(summary.batch_cost_pico).normalize():f} "
            f"instead of ${pico_to_usd(summary.batch_normal_pico).normalize():f})"
        )
        print()
        print(reports.format_spend(reports.spend(config, str(store), None)))
        failed = [r for r in rows if r["status"] != 200] + [
            r for r in batch_rows if r["provider"] == "-"
        ]
        sensitive_out = [
            r
            for r in rows + batch_rows
            if r["classification"] in config.privacy.sensitive and r["provider"] != "local"
        ]
        answered = len(rows) + len(batch_rows) - len(failed)
        print(
            f"\n{answered}/{len(rows) + len(batch_rows)} answered (batch lines included); "
            f"{len(sensitive_out)} sensitive requests left the premises. Nothing is left running."
        )
    return 0 if not failed and not sensitive_out else 1
