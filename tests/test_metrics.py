"""GET /metrics: exact numbers, every response counted, cuts, breaker fallbacks, money, tokens, tenants, auth."""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal

import aiohttp
import openai
import orjson
import pytest

from tiergate.metrics import Counter, Histogram, Metrics, dollars, number

from .conftest import ADMIN_KEY, TENANT_KEYS, Start, Tiers

# -- formatting (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567, "1234567"),
        (1234567.0, "1234567"),
        (10**15, "1000000000000000"),
        (0, "0"),
        (0.1, "0.1"),
        (0.000123, "0.000123"),
        (2.5e-07, "2.5e-07"),
        (1 / 3, "0.3333333333333333"),
        (float("inf"), "+Inf"),
    ],
)
def test_numbers_print_exactly(value: int | float, text: str) -> None:
    assert number(value) == text
    assert float(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("119.999876543210"), "119.99987654321"), (Decimal("1E+6"), "1000000"),
     (Decimal("0.000000000001"), "0.000000000001"), (Decimal(0), "0")],
)  # fmt: skip
def test_money_gauges_print_every_digit(value: Decimal, text: str) -> None:
    assert number(value) == text


@pytest.mark.parametrize(
    ("pico", "text"),
    [
        (0, "0"),
        (1, "0.000000000001"),
        (1_234_567, "0.000001234567"),
        (10**12, "1"),
        (1_234_567 * 10**12, "1234567"),
        (25 * 10**11, "2.5"),
    ],
)
def test_money_prints_as_exact_usd(pico: int, text: str) -> None:
    assert dollars(pico) == text
    assert Decimal(text) * 10**12 == pico


def test_a_counter_past_a_million_is_not_in_exponent_form() -> None:
    counter = Counter("c_total", "help")
    for _ in range(3):
        counter.inc((("k", "v"),), 411_523)
    counter.inc((("k", "v"),), 1234567 - 3 * 411_523)
    assert 'c_total{k="v"} 1234567' in list(counter.render())


def test_an_empty_counter_is_exported_as_zero() -> None:
    assert list(Counter("tiergate_cache_hits_total", "h").render())[-1] == (
        "tiergate_cache_hits_total 0"
    )


def test_histogram_buckets_are_cumulative_and_include_their_bound() -> None:
    histogram = Histogram("h_seconds", "help", buckets=(0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        histogram.observe((), value)
    lines = list(histogram.render())
    assert 'h_seconds_bucket{le="0.1"} 2' in lines
    assert 'h_seconds_bucket{le="1"} 4' in lines
    assert 'h_seconds_bucket{le="+Inf"} 5' in lines
    assert "h_seconds_count 5" in lines
    assert "h_seconds_sum 8.65" in lines


def test_tenant_labels_are_bounded_by_the_config() -> None:
    metrics = Metrics(tenants=["acme"])
    assert [metrics.tenant(t) for t in ("acme", "mallory", None)] == ["acme", "other", "none"]


def test_a_reload_that_adds_a_tenant_labels_its_next_requests_by_name() -> None:
    metrics = Metrics(tenants=["acme"])

    def one(tenant: str) -> None:
        metrics.attempt("local", "ok")
        metrics.usage(
            provider="local", model="m", tenant=tenant, input_tokens=3, output_tokens=2, cost_pico=5
        )
        metrics.request(provider="local", tier=1, rule="default", outcome="ok", seconds=0.01,
                        tenant=tenant, fell_back=True)  # fmt: skip

    one("beta")  # not configured yet
    metrics.tenants = frozenset({"acme", "beta"})  # what a reload does (Gateway.apply)
    one("beta")
    one("beta")
    text = metrics.render()
    assert 'tiergate_fallback_requests_total{tenant="other"} 1' in text
    assert 'tiergate_fallback_requests_total{tenant="beta"} 2' in text
    assert 'tiergate_tokens_total{provider="local",model="m",tenant="beta",kind="input"} 6' in text
    assert 'tiergate_attempts_total{provider="local",outcome="ok"} 3' in text


# -- a running gateway -----------------------------------------------------------------------------


def scrape(url: str, key: str | None = None) -> tuple[int, str]:
    async def go() -> tuple[int, str]:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        async with aiohttp.ClientSession() as s, s.get(url + "/metrics", headers=headers) as r:
            return r.status, (await r.read()).decode()

    return asyncio.run(go())


def samples(text: str) -> dict[str, str]:
    """Series (name and labels exactly as printed) -> value as printed."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            found[series] = value
    return found


def after(url: str, key: str | None, answered: int) -> dict[str, str]:
    """The samples once `answered` completion responses are counted (each is counted just after
    its last byte left, so a scrape right after the answer can precede it)."""
    deadline = time.monotonic() + 10
    while True:
        found = samples(scrape(url, key)[1])
        counted = sum(
            int(v)
            for k, v in found.items()
            if k.startswith('tiergate_responses_total{endpoint="/v1/chat/completions"')
        )
        if counted >= answered:
            assert counted == answered, found
            return found
        assert time.monotonic() < deadline, f"{counted} of {answered} responses counted"
        time.sleep(0.02)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        async with (
            aiohttp.ClientSession() as s,
            s.post(
                url + "/v1/chat/completions",
                data=body,
                headers={"content-type": "application/json", **headers},
            ) as r,
        ):
            return r.status, await r.read()

    return asyncio.run(go())


def chat(url: str, key: str, text: str, **hints: str) -> tuple[int, bytes]:
    body = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    if hints:
        body["tiergate"] = hints
    return post(url, orjson.dumps(body), {"authorization": f"Bearer {key}"})


def test_metrics_need_the_admin_key_when_tenants_exist(gateway: Start) -> None:
    url = gateway(tenants=True)
    status, text = scrape(url)
    assert status == 401
    assert orjson.loads(text)["error"]["code"] == "unauthorized"
    assert scrape(url, TENANT_KEYS["acme"])[0] == 401
    assert scrape(url, "tg-wrong")[0] == 401
    status, text = scrape(url, ADMIN_KEY)
    assert status == 200
    assert "# TYPE tiergate_requests_total counter" in text


def test_loopback_without_tenants_scrapes_without_a_key(gateway: Start) -> None:
    status, text = scrape(gateway())
    assert status == 200
    assert "# TYPE tiergate_cost_usd_total counter" in text


def test_every_response_is_counted_by_status_and_code(gateway: Start) -> None:
    url = gateway(tenants=True)
    acme, clinic = TENANT_KEYS["acme"], TENANT_KEYS["clinic"]
    assert chat(url, "tg-wrong", "hi")[0] == 401
    assert chat(url, acme, "hi", quality="superb")[0] == 400
    assert post(url, b"{", {"authorization": f"Bearer {acme}"})[0] == 400
    assert post(url, b"x" * 70_000, {"authorization": f"Bearer {acme}"})[0] == 413
    pinned = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    status, _ = post(url, orjson.dumps(pinned), {"authorization": f"Bearer {clinic}"})
    assert status == 403
    assert chat(url, acme, "hi")[0] == 200
    found = after(url, ADMIN_KEY, 6)
    route = 'endpoint="/v1/chat/completions"'
    assert found[f'tiergate_responses_total{{{route},status="401",code="unauthorized"}}'] == "1"
    assert found[f'tiergate_responses_total{{{route},status="400",code="invalid_request"}}'] == "2"
    assert found[f'tiergate_responses_total{{{route},status="413",code="invalid_request"}}'] == "1"
    assert found[f'tiergate_responses_total{{{route},status="403",code="policy_denied"}}'] == "1"
    assert found[f'tiergate_responses_total{{{route},status="200",code="ok"}}'] == "1"


def test_an_over_budget_rejection_is_counted_as_429(gateway: Start) -> None:
    url = gateway(tenants=True, on_exceeded="reject")
    status, body = chat(url, TENANT_KEYS["tiny"], "hi", quality="critical", complexity="high")
    assert status == 429, body
    found = after(url, ADMIN_KEY, 1)
    series = (
        'tiergate_responses_total{endpoint="/v1/chat/completions",status="429",'
        'code="budget_exhausted"}'
    )
    assert found[series] == "1"


def test_a_broken_stream_counts_as_cut_not_ok(gateway: Start) -> None:
    url = gateway()
    body = {
        "model": "auto",
        "stream": True,
        "messages": [{"role": "user", "content": "Tell a story [[fake:cut-stream]]"}],
    }
    status, raw = post(url, orjson.dumps(body), {})
    assert status == 200
    assert b"stream_interrupted" in raw and b"[DONE]" not in raw
    found = after(url, None, 1)
    labels = 'provider="local",tier="1",rule="default"'
    assert found[f'tiergate_requests_total{{{labels},outcome="cut",tenant="none"}}'] == "1"
    assert f'tiergate_requests_total{{{labels},outcome="ok",tenant="none"}}' not in found
    assert found['tiergate_attempts_total{provider="local",outcome="cut"}'] == "1"


def test_a_stream_observes_its_time_to_first_token(gateway: Start) -> None:
    url = gateway()
    with openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0, timeout=10) as client:
        stream = client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "count"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    found = after(url, None, 1)
    assert found['tiergate_time_to_first_token_seconds_count{provider="local"}'] == "1"
    assert found['tiergate_time_to_first_token_seconds_bucket{provider="local",le="+Inf"}'] == "1"


def test_fallbacks_past_an_open_breaker_are_counted(gateway: Start, tiers: Tiers) -> None:
    url = gateway(tenants=True, breaker_failures=1)
    tiers.openai.kill()
    acme = TENANT_KEYS["acme"]
    for _ in range(2):
        status, _ = chat(url, acme, "Plan it", quality="critical", complexity="high")
        assert status == 200
    found = after(url, ADMIN_KEY, 2)
    assert found['tiergate_fallbacks_total{from_provider="openai",reason="unavailable"}'] == "1"
    assert found['tiergate_fallbacks_total{from_provider="openai",reason="circuit_open"}'] == "1"
    assert found['tiergate_fallback_requests_total{tenant="acme"}'] == "2"
    assert found['tiergate_breaker_open{provider="openai"}'] == "1"
    assert found['tiergate_breaker_open{provider="local"}'] == "0"


def test_cost_and_tokens_per_provider_model_and_tenant(gateway: Start) -> None:
    url = gateway(tenants=True)
    acme = TENANT_KEYS["acme"]
    with openai.OpenAI(base_url=url + "/v1", api_key=acme, max_retries=0, timeout=10) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": "Extract the dates from this memo."}],
            extra_body={"tiergate": {"quality": "high"}},
        )
    completion = raw.parse()
    assert raw.headers["x-tiergate-provider"] == "ollama_cloud"
    usage = completion.usage
    assert usage is not None
    # ollama_cloud costs 1 USD per million tokens, in and out: one token is 10**6 pico-dollars.
    pico = (usage.prompt_tokens + usage.completion_tokens) * 10**6
    found = after(url, ADMIN_KEY, 1)
    base = 'provider="ollama_cloud",model="gpt-oss:120b",tenant="acme"'
    assert found[f"tiergate_cost_usd_total{{{base}}}"] == dollars(pico)
    assert Decimal(found[f"tiergate_cost_usd_total{{{base}}}"]) == Decimal(
        raw.headers["x-tiergate-cost-usd"]
    )
    assert found[f'tiergate_tokens_total{{{base},kind="input"}}'] == str(usage.prompt_tokens)
    assert found[f'tiergate_tokens_total{{{base},kind="output"}}'] == str(usage.completion_tokens)
    assert found['tiergate_spend_usd{cap="provider:ollama_cloud"}'] == dollars(pico)
    assert found['tiergate_spend_usd{cap="tenant:acme"}'] == dollars(pico)
    left = Decimal(200) - Decimal(dollars(pico))  # the total cap is 200 USD
    assert Decimal(found['tiergate_budget_remaining_usd{cap="total"}']) == left
    assert found["tiergate_cache_hits_total"] == "0"
    assert found["tiergate_cache_savings_usd_total"] == "0"


def test_tenant_labels_never_come_from_the_caller(gateway: Start) -> None:
    url = gateway(tenants=True)
    for name, key in TENANT_KEYS.items():
        if name != "tiny":
            assert chat(url, key, "hi")[0] == 200
    after(url, ADMIN_KEY, 3)
    text = scrape(url, ADMIN_KEY)[1]
    tenants = set(re.findall(r'tenant="([^"]*)"', text))
    assert tenants <= {"clinic", "studio", "acme", "tiny", "none", "other"}
    assert {"clinic", "studio", "acme"} <= tenants
