"""Operations through a real `tiergate serve`: request ids on every response, one access-log line
per request, 429 retry advice, and the shutdown grace's answers (OpenAI envelope, SSE error event)."""

from __future__ import annotations

import hashlib
import math
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.serving import Serve, wait_for
from tiergate.errors import BudgetExhausted, InvalidRequest
from tiergate.exchange import retry_headers
from tiergate.testing import FakeUpstream

from .conftest import sdk

KEYS = {"acme": "tg-ops-acme-key", "clinic": "tg-ops-clinic-key", "tiny": "tg-ops-tiny-key"}
ADMIN = "tg-ops-admin-key"
WORDS = "quartz-lantern-meadow"  # in every prompt: must never reach the log
CRITICAL = {"quality": "critical", "complexity": "high"}


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Fakes:
    local: FakeUpstream
    openai: FakeUpstream
    slow: FakeUpstream  # streams its first chunk, then waits a minute for the next


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with ExitStack() as stack:
        yield Fakes(
            local=stack.enter_context(FakeUpstream(name="local")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
            slow=stack.enter_context(FakeUpstream(name="slow", chunk_delay_s=60)),
        )


def write_config(path: Path, fakes: Fakes, *, grace_s: float = 10) -> None:
    path.write_text(f"""
store: sqlite:///{path.parent / "ledger.db"}
providers:
  - name: local
    protocol: ollama
    base_url: {fakes.local.url}
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:3b"}}
  - name: slow
    protocol: ollama
    base_url: {fakes.slow.url}
    tier: 1
    on_premises: true
    models: {{default: slow-model}}
  - name: openai
    protocol: openai
    base_url: {fakes.openai.openai_base_url}
    api_key: sk-ops-openai
    tier: 3
    models: {{default: gpt-4o}}
    max_output_tokens: 256
    breaker_failures: 100
budget: {{on_exceeded: reject}}
server: {{max_body_bytes: 4096, shutdown_grace_s: {grace_s}}}
admin_api_key_sha256: "{sha(ADMIN)}"
tenants:
  - {{name: acme, api_key_sha256: "{sha(KEYS["acme"])}"}}
  - {{name: clinic, api_key_sha256: "{sha(KEYS["clinic"])}", mode: local_only}}
  - {{name: tiny, api_key_sha256: "{sha(KEYS["tiny"])}", monthly_budget_usd: 0.000001}}
""")


def chat(text: str, **hints: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    if hints:
        body["tiergate"] = hints
    return body


def bearer(tenant: str) -> dict[str, str]:
    return {"authorization": f"Bearer {KEYS[tenant]}"}


def test_every_response_has_a_request_id_and_one_access_log_line(
    fakes: Fakes, tmp_path: Path
) -> None:
    config = tmp_path / "tiergate.yaml"
    write_config(config, fakes)
    server = Serve(config, tmp_path / "serve.log")
    seen: dict[str, httpx.Response] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=15) as http:
            seen["healthz"] = http.get("/healthz")
            seen["metrics"] = http.get("/metrics", headers={"authorization": f"Bearer {ADMIN}"})
            seen["models"] = http.get("/v1/models", headers=bearer("acme"))
            seen["404"] = http.get("/v1/nothing-here", headers=bearer("acme"))
            seen["405"] = http.get("/v1/chat/completions", headers=bearer("acme"))
            seen["400"] = http.post(
                "/v1/chat/completions",
                content=b'{"model": "auto", "messages": [',
                headers={**bearer("acme"), "content-type": "application/json"},
            )
            seen["401"] = http.post("/v1/chat/completions", json=chat(f"hello {WORDS}"))
            seen["403"] = http.post(
                "/v1/chat/completions",
                json={**chat(f"hello {WORDS}"), "model": "gpt-4o"},
                headers=bearer("clinic"),
            )
            seen["413"] = http.post(
                "/v1/chat/completions", json=chat(WORDS * 400), headers=bearer("acme")
            )
            seen["429"] = http.post(
                "/v1/chat/completions",
                json=chat(f"plan {WORDS}", **CRITICAL),
                headers=bearer("tiny"),
            )
            seen["503"] = http.post(
                "/v1/chat/completions",
                json=chat(f"plan {WORDS} [[fake:fail-500]]", **CRITICAL),
                headers=bearer("acme"),
            )
        client = sdk(base_url=server.url + "/v1", api_key=KEYS["acme"], max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": f"Plan {WORDS}"}],
            extra_body={"tiergate": CRITICAL},
        )
        completion = raw.parse()
        with client.chat.completions.with_streaming_response.create(
            model="auto",
            messages=[{"role": "user", "content": f"Plan {WORDS}"}],
            stream=True,
            extra_body={"tiergate": CRITICAL},
        ) as streamed:
            stream_id = streamed.headers["x-tiergate-request-id"]
            chunk_ids = {chunk.id for chunk in streamed.parse()}
        client.close()
    finally:
        code = server.stop()
    assert code == -signal.SIGTERM

    statuses = {name: r.status_code for name, r in seen.items()}
    assert statuses == {
        "healthz": 200, "metrics": 200, "models": 200, "404": 404, "405": 405, "400": 400,
        "401": 401, "403": 403, "413": 413, "429": 429, "503": 503,
    }  # fmt: skip
    ids = {name: r.headers["x-tiergate-request-id"] for name, r in seen.items()}
    chat_id = raw.headers["x-tiergate-request-id"]
    assert completion.id == chat_id  # the routed call uses the id the request got on arrival
    assert chunk_ids == {stream_id}
    every = [*ids.values(), chat_id, stream_id]
    assert len(set(every)) == len(every)  # one per request

    # One access-log line per request, with the facts and no text.
    lines = server.entries(event="http.request")
    ours = [e for e in lines if e["request_id"] in every]
    assert sorted(e["request_id"] for e in ours) == sorted(every)
    assert {(e["method"], e["path"]) for e in lines if e not in ours} == {("GET", "/healthz")}
    by_id = {e["request_id"]: e for e in lines}
    for name, response in seen.items():
        entry = by_id[ids[name]]
        assert entry["status"] == response.status_code
        assert entry["method"] == response.request.method
        assert entry["path"] == response.request.url.path
        assert entry["latency_ms"] >= 0
    entry = by_id[chat_id]
    assert entry == {
        **entry, "method": "POST", "path": "/v1/chat/completions", "status": 200,
        "tenant": "acme", "provider": "openai", "rule": "critical",
        "classification": "internal", "cost_usd": raw.headers["x-tiergate-cost-usd"], "outcome": "ok",
    }  # fmt: skip
    assert by_id[stream_id]["provider"] == "openai" and by_id[stream_id]["cost_usd"] != "0"
    assert by_id[ids["429"]]["tenant"] is None  # refused before a call was made
    assert [by_id[ids[n]]["outcome"] for n in ("401", "403", "429", "503", "404")] == [
        "unauthorized", "policy_denied", "budget_exhausted", "llm_unavailable", "not_found",
    ]  # fmt: skip
    assert WORDS not in server.log.read_text()


def test_a_budget_429_says_when_to_retry(fakes: Fakes, tmp_path: Path) -> None:
    config = tmp_path / "tiergate.yaml"
    write_config(config, fakes)
    server = Serve(config, tmp_path / "serve.log")
    before = datetime.now(UTC)
    try:
        client = sdk(base_url=server.url + "/v1", api_key=KEYS["tiny"], max_retries=0)
        with pytest.raises(openai.RateLimitError) as raised:
            client.chat.completions.create(
                model="auto",
                messages=[{"role": "user", "content": "a long plan"}],
                extra_body={"tiergate": CRITICAL},
            )
        client.close()
    finally:
        server.stop()
    headers = raised.value.response.headers
    assert raised.value.code == "budget_exhausted"
    after = datetime.now(UTC)
    wait = int(headers["retry-after"])  # seconds until the monthly cap resets
    resets = (before.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    assert (resets - after).total_seconds() <= wait <= math.ceil((resets - before).total_seconds())
    # The openai SDK waits at most 60 s for a Retry-After; longer, it is told not to retry.
    assert headers.get("x-should-retry") == ("false" if wait > 60 else None)


@pytest.mark.parametrize(
    ("resets_in", "expected"),
    [
        (timedelta(seconds=30), [(b"retry-after", b"30")]),
        (timedelta(seconds=29.2), [(b"retry-after", b"30")]),
        (timedelta(seconds=60), [(b"retry-after", b"60")]),
        (timedelta(days=3), [(b"retry-after", b"259200"), (b"x-should-retry", b"false")]),
        (timedelta(seconds=-5), [(b"retry-after", b"1")]),  # just reset: try again now
        (None, [(b"x-should-retry", b"false")]),  # nothing will change on its own (store down)
    ],
)
def test_retry_headers_table(resets_in: timedelta | None, expected: list[Any]) -> None:
    now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    exc = BudgetExhausted("over", resets_at=None if resets_in is None else now + resets_in)
    assert retry_headers(exc, now) == expected
    assert retry_headers(InvalidRequest("bad"), now) == []


def test_shutdown_grace_answers_a_waiting_request_503_and_ends_a_stream_with_its_error_event(
    fakes: Fakes, tmp_path: Path
) -> None:
    config = tmp_path / "tiergate.yaml"
    write_config(config, fakes, grace_s=1)
    server = Serve(config, tmp_path / "serve.log")
    outcomes: dict[str, Any] = {}
    first_chunk = threading.Event()
    client = sdk(base_url=server.url + "/v1", api_key=KEYS["acme"], max_retries=0, timeout=30)

    def waiting() -> None:  # the local fake holds it: it is still waiting at the end of the grace
        try:
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "wait [[fake:hang]]"}]
            )
        except openai.APIStatusError as exc:
            outcomes["waiting"] = exc

    def streaming() -> None:  # the slow fake sends one chunk, then nothing for a minute
        chunks = []
        try:
            for chunk in client.chat.completions.create(
                model="slow-model", messages=[{"role": "user", "content": "go"}], stream=True
            ):
                chunks.append(chunk)
                first_chunk.set()
        except openai.APIError as exc:
            outcomes["stream"] = exc
        outcomes["chunks"] = chunks

    ollama_first = threading.Event()

    def ollama_streaming() -> None:  # Ollama's own API: NDJSON, ended by an {"error"} line
        chunks = []
        try:
            for chunk in ollama.Client(host=server.url, timeout=30, headers=bearer("acme")).chat(
                model="slow-model", messages=[{"role": "user", "content": "go"}], stream=True
            ):
                chunks.append(chunk)
                ollama_first.set()
        except ollama.ResponseError as exc:
            outcomes["ollama"] = exc
        outcomes["ollama_chunks"] = chunks

    threads = [
        threading.Thread(target=waiting),
        threading.Thread(target=streaming),
        threading.Thread(target=ollama_streaming),
    ]
    try:
        for thread in threads:
            thread.start()
        wait_for("the requests upstream", lambda: fakes.local.count() + fakes.slow.count() == 3)
        wait_for(
            "the streams' first chunks", lambda: first_chunk.is_set() and ollama_first.is_set()
        )
        server.signal(signal.SIGTERM)
        for thread in threads:
            thread.join(timeout=30)
        code = server.process.wait(timeout=30)
    finally:
        server.stop()
        client.close()
    assert not any(thread.is_alive() for thread in threads)
    assert code == -signal.SIGTERM

    waited = outcomes["waiting"]
    assert waited.status_code == 503
    assert waited.body["code"] == "llm_unavailable"  # the OpenAI envelope, not a plain-text 500
    assert "shutting down" in waited.body["message"]
    assert "shutdown_grace_s" in waited.body["message"]
    assert waited.response.headers["x-tiergate-request-id"]

    cut = outcomes["stream"]
    assert isinstance(cut, openai.APIError) and "shutting down" in cut.message
    assert cut.body["code"] == "stream_interrupted"
    assert len(outcomes["chunks"]) >= 1

    assert "shutting down" in outcomes["ollama"].error and len(outcomes["ollama_chunks"]) >= 1

    expired = server.entries(event="server.grace_expired")
    assert [e["in_flight"] for e in expired] == [3]
    ended = server.entries(event="http.request", outcome="shutdown")
    assert sorted(e["status"] for e in ended) == [200, 200, 503]
