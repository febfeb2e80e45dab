"""The attempt pipeline through the real server: every exit settles once, at the right price.

Judged by the ledger's rows and the fakes' own records, never by mocking the gateway.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import openai
import pytest

from .conftest import Start, Tiers, sdk

CRITICAL = {"quality": "critical", "complexity": "high"}
PRICES = {"openai_input": 2, "openai_output": 8}


def rows(store: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store) as conn:
        return conn.execute(sql, args).fetchall()


def client(url: str) -> openai.OpenAI:
    return sdk(base_url=url + "/v1", api_key="unused", max_retries=0)


def ask(url: str, *, stream: bool = False, behaviour: str | None = None) -> Any:
    directive = f" [[fake:{behaviour}]]" if behaviour else ""  # what the upstream fake obeys
    raw = client(url).chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": "Plan the migration." + directive}],
        max_tokens=16,
        stream=stream,
        extra_body={"tiergate": CRITICAL},
    )
    parsed = raw.parse()
    chunks = list(parsed) if stream else [parsed]
    return raw.headers, chunks


def openai_row(store: Path) -> tuple[Any, ...]:
    [row] = rows(
        store,
        "SELECT outcome, usage_missing, cost_pico, reserved_pico FROM attempts "
        "WHERE provider = 'openai'",
    )
    return row


def test_a_connection_dropped_after_sending_is_charged_its_reservation(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway(**PRICES)
    tiers.openai.behaviour = "drop"
    headers, _ = ask(url)
    assert headers["x-tiergate-provider"] == "ollama_cloud"
    assert headers["x-tiergate-attempts"] == "openai,ollama_cloud"
    outcome, missing, cost, reserved = openai_row(tmp_path / "ledger.db")
    assert (outcome, missing) == ("unavailable", 1)
    assert cost == reserved > 0  # it may have been billed: charged in full


def test_a_refusal_by_status_is_not_charged(gateway: Start, tiers: Tiers, tmp_path: Path) -> None:
    url = gateway(**PRICES)
    tiers.openai.behaviour = "fail-503"
    headers, _ = ask(url)
    assert headers["x-tiergate-provider"] == "ollama_cloud"
    outcome, missing, cost, reserved = openai_row(tmp_path / "ledger.db")
    assert (outcome, missing, cost) == ("unavailable", 0, 0)
    assert reserved > 0


def test_a_two_megabyte_answer_line_is_delivered(gateway: Start, tiers: Tiers) -> None:
    url = gateway(**PRICES)
    tiers.openai.behaviour = "long-2000000"
    headers, [completion] = ask(url)
    assert headers["x-tiergate-provider"] == "openai"
    assert len(completion.choices[0].message.content) >= 2_000_000
    headers, chunks = ask(url, stream=True)
    assert headers["x-tiergate-provider"] == "openai"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text) >= 2_000_000


def test_a_streamed_line_over_the_limit_ends_the_stream_with_an_error_and_is_charged(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway(**PRICES)
    tiers.openai.behaviour = "long-5000000"  # over upstream.MAX_LINE_BYTES (4 MiB)
    with pytest.raises(openai.APIError, match="broke off"):
        ask(url, stream=True)  # the role chunk went out first: no fallback after that
    outcome, missing, cost, reserved = openai_row(tmp_path / "ledger.db")
    assert (outcome, missing) == ("cut", 1)
    assert cost == reserved > 0


def test_the_callers_own_bad_requests_do_not_open_the_breaker(gateway: Start, tiers: Tiers) -> None:
    url = gateway(breaker_failures=2, **PRICES)
    for _ in range(4):
        with pytest.raises(openai.BadRequestError):
            ask(url, behaviour="fail-400")
    headers, _ = ask(url)
    assert headers["x-tiergate-provider"] == "openai"  # still trusted, for every tenant


def test_retryable_failures_do_open_the_breaker(gateway: Start, tiers: Tiers) -> None:
    url = gateway(breaker_failures=2, **PRICES)
    tiers.openai.behaviour = "fail-503"
    for _ in range(2):
        ask(url)
    tiers.openai.behaviour = "ok"
    before = tiers.openai.count()
    headers, _ = ask(url)
    assert headers["x-tiergate-provider"] == "ollama_cloud"  # skipped during its cool-down
    assert tiers.openai.count() == before


def test_every_attempt_has_exactly_one_row(gateway: Start, tiers: Tiers, tmp_path: Path) -> None:
    url = gateway(**PRICES)
    for behaviour in ("ok", "drop", "fail-503", "malformed", "cut-stream"):
        tiers.openai.behaviour = behaviour
        for stream in (False, True):
            ask(url, stream=stream)
    ids = rows(
        tmp_path / "ledger.db",
        "SELECT request_id, attempt, COUNT(*) FROM attempts GROUP BY 1, 2 HAVING COUNT(*) > 1",
    )
    assert ids == []
    [(open_reservations,)] = rows(
        tmp_path / "ledger.db", "SELECT COUNT(*) FROM reservations WHERE state = 'open'"
    )
    assert open_reservations == 0
