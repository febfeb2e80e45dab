"""deploy/grafana/tiergate.json: every query names a metric a running gateway exports; the paper's panels."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import openai

from .conftest import Start, Tiers

DASHBOARD = Path(__file__).parent.parent / "deploy" / "grafana" / "tiergate.json"
NAME = re.compile(r"\btiergate_[a-zA-Z0-9_]+")


def exported(url: str) -> tuple[set[str], str]:
    """Every series name a gateway's /metrics prints (histograms: _bucket, _sum, _count)."""

    async def go() -> str:
        async with aiohttp.ClientSession() as s, s.get(url + "/metrics") as r:
            assert r.status == 200
            return (await r.read()).decode()

    text = asyncio.run(go())
    names = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names, text


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return found


def by_title(title: str) -> dict[str, Any]:
    return next(p for p in panels() if p["title"] == title)


def thresholds(panel: dict[str, Any]) -> list[float]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [s["value"] for s in steps if s["value"] is not None]


def test_every_query_names_a_metric_the_gateway_exports(gateway: Start, tiers: Tiers) -> None:
    url = gateway()
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=10) as client:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
        stream = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        client.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"tiergate": {"quality": "high"}},
        )
    counted = 'tiergate_responses_total{endpoint="/v1/chat/completions",status="200",code="ok"} 3'
    deadline = time.monotonic() + 10  # the last answer is counted just after it left
    while counted not in (scraped := exported(url))[1]:
        assert time.monotonic() < deadline, scraped[1]
        time.sleep(0.02)
    names = scraped[0]
    queries = [t["expr"] for p in panels() for t in p["targets"]]
    assert len(queries) >= 5
    for query in queries:
        used = NAME.findall(query)
        assert used, f"{query!r} names no tiergate metric"
        missing = set(used) - names
        assert not missing, f"{query!r} uses {missing}, which /metrics does not export"


def test_the_strategy_papers_panels_and_lines() -> None:
    cost = by_title("Cost per provider (USD per day)")
    assert "tiergate_cost_usd_total" in cost["targets"][0]["expr"]
    assert "by (provider)" in cost["targets"][0]["expr"]

    daily = by_title("Daily cost against the $10 alert")
    assert thresholds(daily) == [10]
    assert daily["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] == "line"

    latency = by_title("Latency p95 per provider")
    assert "histogram_quantile(0.95" in latency["targets"][0]["expr"]
    assert "by (le, provider)" in latency["targets"][0]["expr"]
    assert thresholds(latency) == [0.6, 1.0]  # seconds: the 600 ms and 1000 ms lines
    assert latency["fieldConfig"]["defaults"]["unit"] == "s"

    fallback = by_title("Fallback rate")
    assert thresholds(fallback) == [0.05]
    assert fallback["fieldConfig"]["defaults"]["unit"] == "percentunit"

    tiers = by_title("Tier mix")
    assert "by (tier)" in tiers["targets"][0]["expr"]


def test_the_latency_buckets_hold_the_papers_lines_exactly() -> None:
    from tiergate.metrics import LATENCY_BUCKETS

    assert 0.6 in LATENCY_BUCKETS and 1.0 in LATENCY_BUCKETS


def test_the_dashboard_is_importable_json_with_unique_panel_ids() -> None:
    data = json.loads(DASHBOARD.read_text())
    assert data["uid"] == "tiergate"
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    for p in data["panels"]:
        assert p["datasource"]["uid"] == "${datasource}"
        assert {"x", "y", "w", "h"} <= set(p["gridPos"])
