"""A cap is a cap: hundreds of concurrent requests, cut streams and kill -9, measured by the upstream's own count."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import openai
import orjson
import pytest

from tiergate import reports

from .conftest import Start, Tiers, make_config

# Integer prices, so that the upstream's token count times the price is exact to the micro-dollar.
PRICES = {"openai_input": 2, "openai_output": 8}
CRITICAL = {"quality": "critical", "complexity": "high"}


def body(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "model": "auto",
        "messages": [{"role": "user", "content": f"Question number {i:04d} about budgets."}],
        "max_tokens": 16,
        "tiergate": CRITICAL,
        **extra,
    }


async def burst(
    url: str, count: int, concurrency: int, **extra: Any
) -> list[tuple[int, dict[str, str], bytes]]:
    semaphore = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession() as session:

        async def one(i: int) -> tuple[int, dict[str, str], bytes]:
            async with (
                semaphore,
                session.post(url + "/v1/chat/completions", json=body(i, **extra)) as r,
            ):
                return r.status, dict(r.headers), await r.read()

        return await asyncio.gather(*(one(i) for i in range(count)))


def upstream_micros(fake: Any, input_per_mtok: int, output_per_mtok: int) -> int:
    # USD per million tokens == micro-dollars per token
    return (
        fake.served_prompt_tokens * input_per_mtok + fake.served_completion_tokens * output_per_mtok
    )


def ledger_rows(store: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(store) as conn:
        return conn.execute(sql, args).fetchall()


def micros(report_usd: float) -> int:
    return int((Decimal(str(report_usd)) * 1_000_000).to_integral_value())


def test_hundreds_of_concurrent_requests_never_overshoot_and_use_the_cap(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    # Each request may cost at most (the bytes openai receives + 16 framing + 128 template
    # overhead) * $2 + 16 * $8 micro-USD; it really costs 15 * 2 + 12 * 8 = 126.
    cap = 10_000
    url = gateway(openai_budget=Decimal(cap) / 1_000_000, **PRICES)
    results = asyncio.run(burst(url, 400, 64))
    # Reservations held by the burst turn some away while room is still settling; a few more
    # requests one at a time show that the cap admits work until less than a worst case is left.
    results += asyncio.run(burst(url, 20, 1))

    assert [status for status, _, _ in results] == [200] * 420  # every request answered
    served = [h["x-tiergate-provider"] for _, h, _ in results]
    by_openai = served.count("openai")
    assert by_openai + served.count("ollama_cloud") == 420  # the rest by the lower tier
    assert {
        h["x-tiergate-rule"] for _, h, _ in results if h["x-tiergate-provider"] == "ollama_cloud"
    } == {"budget"}

    spent = upstream_micros(tiers.openai, **{"input_per_mtok": 2, "output_per_mtok": 8})
    worst = max((len(r.raw) + 16 + 128) * 2 + 16 * 8 for r in tiers.openai.received)
    assert spent <= cap  # by the upstream's own count of what it served
    assert cap - spent < worst  # the cap was used: not even one more worst case would have fit
    assert by_openai > 50

    report = reports.spend(parse_config_for(tmp_path, tiers, cap), str(tmp_path / "ledger.db"))
    assert (
        micros(report["providers"]["openai"]["spent_usd"]) == spent
    )  # the ledger agrees to the micro-dollar
    assert micros(report["providers"]["ollama_cloud"]["spent_usd"]) == upstream_micros(
        tiers.cloud, 1, 1
    )
    assert report["providers"]["openai"]["reserved_usd"] == 0
    headers_total = sum(Decimal(h["x-tiergate-cost-usd"]) for _, h, _ in results)
    assert headers_total * 1_000_000 == spent + upstream_micros(tiers.cloud, 1, 1)


def parse_config_for(tmp_path: Path, tiers: Tiers, cap: int) -> Any:
    return make_config(
        tiers, tmp_path / "ledger.db", openai_budget=Decimal(cap) / 1_000_000, **PRICES
    )


def test_the_total_cap_binds_across_providers(gateway: Start, tiers: Tiers) -> None:
    url = gateway(total_budget="0.002", **PRICES)
    results = asyncio.run(burst(url, 120, 32))
    assert {s for s, _, _ in results} == {200}
    paid = upstream_micros(tiers.openai, 2, 8) + upstream_micros(tiers.cloud, 1, 1)
    assert paid <= 2_000
    assert "local" in {h["x-tiergate-provider"] for _, h, _ in results}


def test_reject_mode_answers_429_naming_the_cap_and_its_reset(gateway: Start, tiers: Tiers) -> None:
    url = gateway(openai_budget="0.0001", on_exceeded="reject", **PRICES)
    with (
        openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0) as c,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        c.chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": "hi"}],
            max_tokens=16,
            extra_body={"tiergate": CRITICAL},
        )
    assert caught.value.code == "budget_exhausted"
    message = caught.value.message
    assert "openai" in message and "resets" in message
    assert tiers.cloud_received() == 0 and tiers.local.count() == 0


def test_a_stream_cut_midway_is_charged_its_whole_reservation(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway(**PRICES)
    tiers.openai.behaviour = "cut-stream"
    results = asyncio.run(burst(url, 1, 1, stream=True))
    status, headers, raw = results[0]
    assert status == 200 and b"stream_interrupted" in raw and not raw.endswith(b"[DONE]\n\n")
    [(cost, reserved, missing, outcome)] = ledger_rows(
        tmp_path / "ledger.db",
        "SELECT cost_pico, reserved_pico, usage_missing, outcome FROM attempts WHERE request_id = ?",
        headers["x-tiergate-request-id"],
    )
    assert (missing, outcome) == (1, "cut")
    assert cost == reserved > 0


def test_a_paid_stream_is_settled_from_reported_usage(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway(**PRICES)
    results = asyncio.run(burst(url, 5, 5, stream=True))
    assert all(raw.endswith(b"data: [DONE]\n\n") for _, _, raw in results)
    spent = upstream_micros(tiers.openai, 2, 8)
    [(total,)] = ledger_rows(
        tmp_path / "ledger.db", "SELECT SUM(cost_pico) FROM attempts WHERE provider = 'openai'"
    )
    assert total == spent * 10**6 > 0  # exact: pico-dollars, no rounding per attempt


def test_metrics_show_spend_and_remaining_budget(gateway: Start) -> None:
    url = gateway(**PRICES)
    asyncio.run(burst(url, 3, 3))

    async def scrape() -> str:
        async with aiohttp.ClientSession() as s, s.get(url + "/metrics") as r:
            return (await r.read()).decode()

    text = asyncio.run(scrape())
    assert 'tiergate_spend_usd{cap="provider:openai"}' in text
    assert 'tiergate_budget_remaining_usd{cap="provider:openai"}' in text
    assert 'tiergate_budget_remaining_usd{cap="total"}' in text


# -- kill -9 ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(config: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tiergate.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the gateway did not start")


@pytest.mark.slow
def test_kill_9_mid_burst_loses_no_answered_request_and_spend_never_drops(
    tiers: Tiers, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.db"
    config = make_config(tiers, store, **PRICES)
    path = tmp_path / "tiergate.yaml"
    path.write_text(config_yaml(tiers, store))
    tiers.openai.latency_s = 0.01
    port = free_port()
    gateway = serve(path, port)
    url = f"http://127.0.0.1:{port}"
    answered: list[str] = []

    async def drive() -> None:
        async with aiohttp.ClientSession() as session:

            async def one(i: int) -> None:
                try:
                    async with session.post(url + "/v1/chat/completions", json=body(i)) as r:
                        await r.read()
                        if r.status == 200:
                            answered.append(r.headers["x-tiergate-request-id"])
                except aiohttp.ClientError:
                    pass  # killed under it

            tasks = [asyncio.create_task(one(i)) for i in range(300)]
            while len(answered) < 60:
                await asyncio.sleep(0.005)
            os.kill(gateway.pid, signal.SIGKILL)
            await asyncio.gather(*tasks)

    try:
        asyncio.run(drive())
    finally:
        gateway.kill()
        gateway.wait()
    assert 60 <= len(answered) < 300  # killed mid-burst
    served = upstream_micros(tiers.openai, 2, 8)

    restarted = serve(path, port)
    try:
        # The dead process's lease (1 s) runs out; then its open reservations are charged.
        deadline = time.monotonic() + 15
        report = reports.spend(config, str(store))
        while report["providers"]["openai"]["reserved_usd"] != 0:
            assert time.monotonic() < deadline, "the dead process's reservations were not reaped"
            time.sleep(0.2)
            report = reports.spend(config, str(store))
    finally:
        restarted.terminate()
        restarted.wait(10)
    in_ledger = {row[0] for row in ledger_rows(store, "SELECT request_id FROM attempts")}
    assert set(answered) <= in_ledger
    assert micros(report["providers"]["openai"]["spent_usd"]) >= served
    assert report["providers"]["openai"]["reserved_usd"] == 0
    # reservations that were open at the kill are charged in full and flagged
    lost = ledger_rows(
        store,
        "SELECT usage_missing, cost_pico - reserved_pico FROM attempts WHERE outcome = 'lost'",
    )
    assert set(lost) <= {(1, 0)}
    ok, detail = reports.verify(store)
    assert ok, detail


def config_yaml(tiers: Tiers, store: Path) -> str:
    from .conftest import BASE

    return (
        BASE.format(
            store=store,
            local=tiers.local.url,
            cloud=tiers.cloud.url,
            openai=tiers.openai.openai_base_url,
            cloud_budget=120,
            openai_budget=80,
            on_exceeded="fallback",
            breaker_failures=3,
            breaker_cooldown_s=30,
            openai_input=2,
            openai_output=8,
            total_budget=200,
            daily_alert="null",
            local_concurrency=64,
        )
        + "store_lease_s: 1\nstore_heartbeat_s: 0.2\n"
    )


def test_spend_json_shape_through_http_equals_the_cli(
    gateway: Start, tiers: Tiers, tmp_path: Path
) -> None:
    url = gateway(**PRICES)
    asyncio.run(burst(url, 4, 4))

    async def fetch() -> dict[str, Any]:
        async with aiohttp.ClientSession() as s, s.get(url + "/v1/tiergate/spend") as r:
            assert r.status == 200
            result: dict[str, Any] = orjson.loads(await r.read())
            return result

    over_http = asyncio.run(fetch())
    assert set(over_http) >= {"month", "providers", "total", "projection_usd"}
    assert set(over_http["providers"]["openai"]) == {
        "spent_usd",
        "reserved_usd",
        "budget_usd",
        "requests",
    }
    assert over_http["providers"]["openai"]["requests"] == 4
    assert micros(over_http["providers"]["openai"]["spent_usd"]) == upstream_micros(
        tiers.openai, 2, 8
    )
