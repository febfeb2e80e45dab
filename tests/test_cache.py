"""The response cache through the real server: hits, misses, replayed streams, and privacy lines.

Judged by the fakes' own request counts and by what each answer's headers and the ledger say.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from tiergate.config import parse_config
from tiergate.server import BackgroundServer, create_app

from .conftest import TENANT_KEYS, Tiers, make_config, sdk
from .redis_server import RedisServer, redis_server

__all__ = ["redis_server"]

CRITICAL = {"quality": "critical", "complexity": "high"}
Start = Callable[..., str]


@pytest.fixture
def cached(tiers: Tiers, tmp_path: Path) -> Iterator[Start]:
    """start(cache={...}, tenants=False) -> the URL of a gateway with a response cache."""
    with ExitStack() as stack:

        def start(*, tenants: bool = False, **cache: Any) -> str:
            data = make_config(tiers, tmp_path / "ledger.db", tenants=tenants).model_dump(
                mode="json"
            )
            data["cache"] = {"ttl_s": 60, **cache}
            config = parse_config(orjson.dumps(data).decode(), env={})
            return stack.enter_context(BackgroundServer(create_app(config))).url

        yield start


def ask(
    url: str,
    text: str = "Summarise the release notes.",
    *,
    key: str = "unused",
    stream: bool = False,
    hints: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    temperature: float | None = 0,
) -> tuple[Any, str]:
    client = sdk(base_url=url + "/v1", api_key=key, max_retries=0)
    extra: dict[str, Any] = {"tiergate": hints if hints is not None else CRITICAL}
    if temperature is not None:
        extra["temperature"] = temperature
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": text}],
        stream=stream,
        extra_body=extra,
        extra_headers=headers or {},
        max_tokens=16,
    )
    parsed = raw.parse()
    if stream:
        chunks = list(parsed)
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        content = parsed.choices[0].message.content or ""
    return raw.headers, content


def test_an_identical_request_is_a_hit_at_no_cost(
    cached: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = cached()
    first, text1 = ask(url)
    second, text2 = ask(url)
    assert (first["x-tiergate-cache"], second["x-tiergate-cache"]) == ("miss", "hit")
    assert text1 == text2 and tiers.openai.count() == 1
    assert second["x-tiergate-provider"] == "openai"
    assert second["x-tiergate-cost-usd"] == "0"
    assert first["x-tiergate-request-id"] != second["x-tiergate-request-id"]
    metrics = sdk(base_url=url, api_key="x").get("/metrics", cast_to=str)
    assert "tiergate_cache_hits_total" in metrics
    deadline = time.monotonic() + 10  # the hit's free row is group-committed after the answer
    rows: list[tuple[Any, ...]] = []
    while len(rows) < 2:
        assert time.monotonic() < deadline, rows
        time.sleep(0.05)
        with sqlite3.connect(tmp_path / "ledger.db") as conn:
            rows = conn.execute(
                "SELECT cache, cost_pico, egress FROM attempts ORDER BY id"
            ).fetchall()
    assert rows == [("miss", rows[0][1], 1), ("hit", 0, 0)]  # the hit: free, nothing left


def test_sampled_answers_are_not_cached_unless_configured(cached: Start, tiers: Tiers) -> None:
    url = cached()
    for temperature in (None, 0.7):
        headers, _ = ask(url, temperature=temperature)
        assert headers["x-tiergate-cache"] == "bypass"
        headers, _ = ask(url, temperature=temperature)
        assert headers["x-tiergate-cache"] == "bypass"
    assert tiers.openai.count() == 4


def test_a_stream_is_cached_and_replayed_as_a_stream(cached: Start, tiers: Tiers) -> None:
    url = cached()
    first, text1 = ask(url, stream=True)
    second, text2 = ask(url, stream=True)
    third, text3 = ask(url)  # the same answer as a whole
    assert [h["x-tiergate-cache"] for h in (first, second, third)] == ["miss", "hit", "hit"]
    assert text1 == text2 == text3 and tiers.openai.count() == 1


def test_entries_expire(cached: Start, tiers: Tiers) -> None:
    url = cached(ttl_s=0.3)
    ask(url)
    time.sleep(0.5)
    headers, _ = ask(url)
    assert headers["x-tiergate-cache"] == "miss" and tiers.openai.count() == 2


def test_no_hit_across_tenants(cached: Start, tiers: Tiers) -> None:
    url = cached(tenants=True)
    first, _ = ask(url, key=TENANT_KEYS["acme"])
    second, _ = ask(url, key=TENANT_KEYS["studio"], hints={"quality": "high"})
    third, _ = ask(url, key=TENANT_KEYS["acme"])
    assert (first["x-tiergate-cache"], second["x-tiergate-cache"]) == ("miss", "miss")
    assert third["x-tiergate-cache"] == "hit"


def test_a_stricter_classification_is_not_served_a_cloud_made_entry(
    cached: Start, tiers: Tiers
) -> None:
    url = cached()
    cloud, _ = ask(url)
    assert cloud["x-tiergate-provider"] == "openai"
    for label in ("confidential", "pii", "hipaa"):
        headers, _ = ask(url, hints={**CRITICAL, "classification": label})
        assert headers["x-tiergate-provider"] == "local"
        assert headers["x-tiergate-cache"] == "miss"
    assert tiers.openai.count() == 1


def test_a_sensitive_entry_never_serves_a_request_that_may_leave(
    cached: Start, tiers: Tiers
) -> None:
    url = cached()
    text = "Reply to jane.roe@example.org about the release."
    sensitive, _ = ask(url, text)
    assert (sensitive["x-tiergate-classification"], sensitive["x-tiergate-provider"]) == (
        "pii",
        "local",
    )
    relabelled, _ = ask(url, text, hints={**CRITICAL, "classification": "public"})
    assert relabelled["x-tiergate-classification"] == "pii"  # the detector still wins
    again, _ = ask(url, text)
    assert again["x-tiergate-cache"] == "hit" and again["x-tiergate-provider"] == "local"
    assert tiers.cloud_received() == 0


def test_cache_control_no_store_and_no_cache(cached: Start, tiers: Tiers) -> None:
    url = cached()
    ask(url, headers={"Cache-Control": "no-store"})
    headers, _ = ask(url)
    assert headers["x-tiergate-cache"] == "miss"  # the no-store answer was not kept
    headers, _ = ask(url, headers={"Cache-Control": "no-cache"})
    assert headers["x-tiergate-cache"] == "miss"  # not read ...
    headers, _ = ask(url)
    assert headers["x-tiergate-cache"] == "hit"  # ... but written
    assert tiers.openai.count() == 3


def test_stale_answers_when_every_provider_fails(cached: Start, tiers: Tiers) -> None:
    url = cached(ttl_s=0.3, serve_stale_on_failure=True)
    _, fresh = ask(url)
    time.sleep(0.5)
    for fake in tiers.all:
        fake.behaviour = "fail-503"
    headers, stale = ask(url)
    assert headers["x-tiergate-cache"] == "stale" and stale == fresh
    tiers.local.behaviour = "fail-503"
    with pytest.raises(openai.InternalServerError):
        ask(url, "A question never asked before.")


def test_without_stale_on_failure_an_outage_is_a_503(cached: Start, tiers: Tiers) -> None:
    url = cached(ttl_s=0.3)
    ask(url)
    time.sleep(0.5)
    for fake in tiers.all:
        fake.behaviour = "fail-503"
    with pytest.raises(openai.InternalServerError):
        ask(url)


def test_redis_shares_entries_and_an_outage_is_only_misses(
    cached: Start, tiers: Tiers, redis_server: RedisServer
) -> None:
    url = cached(store=redis_server.url)
    ask(url)
    headers, _ = ask(url, "Another question.")
    assert headers["x-tiergate-cache"] == "miss"
    assert redis_server.keys() == 2
    redis_server.stop()
    for i in range(5):
        headers, _ = ask(url, f"Question {i} while Redis is down.")
        assert headers["x-tiergate-provider"] == "openai"
        assert headers["x-tiergate-cache"] == "miss"


def test_an_off_premises_cache_never_stores_a_sensitive_answer(
    cached: Start, tiers: Tiers, redis_server: RedisServer
) -> None:
    url = cached(store=redis_server.url)
    ask(url, "Reply to jane.roe@example.org about the release.")
    ask(url, "Plan the release.")
    time.sleep(0.2)  # entries are written after the answer
    assert redis_server.keys() == 1  # only the plain one


def test_spend_reports_the_hits_and_what_they_saved(
    tiers: Tiers, tmp_path: Path, cached: Start
) -> None:
    from decimal import Decimal

    from tiergate import reports

    url = cached()
    first, _ = ask(url)
    ask(url)
    ask(url)
    deadline = time.monotonic() + 10  # hits' rows are group-committed after their answers
    data = make_config(tiers, tmp_path / "ledger.db").model_dump(mode="json")
    config = parse_config(orjson.dumps(data).decode(), env={})
    report = reports.spend(config)
    while report["cache"]["hits"] < 2:
        assert time.monotonic() < deadline, report["cache"]
        time.sleep(0.05)
        report = reports.spend(config)
    assert report["cache"]["hits"] == 2
    # each hit saved what the answer cost when it was made
    assert Decimal(report["cache"]["savings_usd"]) == 2 * Decimal(first["x-tiergate-cost-usd"])
    assert "Cache: 2 answers replayed" in reports.format_spend(report)
