"""Several `tiergate serve` processes on one SQLite ledger, driven with the official openai SDK.

What DESIGN.md §5-6 promise when a deployment runs more than one process: a
second process never books the first one's live reservations as lost, every
cap holds across processes (judged by the upstream's own bill, which a
FakeUpstream in byte-billing mode keeps), a killed process's reservations are
reaped once its lease expires and nothing answered is missing from the ledger,
and a ledger locked by someone else delays rows, never answers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import openai
import orjson
import pytest

from tiergate.testing import FakeUpstream

from .serving import Serve, wait_for

PICO_PER_TOKEN = 300_000  # $0.30 per million tokens, in and out
CAP_USD = "0.01"
CRITICAL = {"x-tiergate-quality": "critical", "x-tiergate-complexity": "high"}

CONFIG = """
store: sqlite:///ledger.db
store_lease_s: {lease_s}
store_heartbeat_s: 0.2
providers:
  - name: local
    protocol: ollama
    base_url: {local}
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:3b"}}
  - name: openai
    protocol: openai
    base_url: {openai}
    api_key: openai-secret-key
    tier: 3
    models: {{default: gpt-4o}}
    prices: {{default: {{input_per_mtok: 0.3, output_per_mtok: 0.3}}}}
    monthly_budget_usd: {cap}
    max_output_tokens: 32
    timeout_s: 10
budget: {{on_exceeded: fallback}}
"""


@dataclass
class Setup:
    config: Path
    local: FakeUpstream
    openai: FakeUpstream
    tmp: Path

    def serve(self, name: str) -> Serve:
        return Serve(self.config, self.tmp / f"{name}.log", level="warning")

    def ledger(self, sql: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(f"file:{self.tmp / 'ledger.db'}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def spend(self) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-m", "tiergate.cli", "spend", "--json", "--config", str(self.config)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        report: dict[str, object] = orjson.loads(done.stdout)
        return report

    def bill_pico(self) -> int:
        prompt, completion = self.openai.billed_tokens
        return (prompt + completion) * PICO_PER_TOKEN


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes") as paid,
    ):
        yield Setup(write_config(tmp_path, local, paid, lease_s=10), local, paid, tmp_path)


def write_config(tmp: Path, local: FakeUpstream, paid: FakeUpstream, *, lease_s: float) -> Path:
    path = tmp / "tiergate.yaml"
    path.write_text(
        CONFIG.format(local=local.url, openai=paid.openai_base_url, cap=CAP_USD, lease_s=lease_s)
    )
    return path


@dataclass
class Outcome:
    status: int | None  # None: the connection failed (a killed process)
    request_id: str | None = None
    provider: str | None = None


async def ask(client: openai.AsyncOpenAI, i: int) -> Outcome:
    try:
        raw = await client.chat.completions.with_raw_response.create(
            model="auto",
            messages=[{"role": "user", "content": f"request {i}: summarise the quarterly plan"}],
            max_tokens=16,
            extra_headers=CRITICAL,
        )
    except openai.APIStatusError as exc:
        return Outcome(exc.status_code, exc.response.headers.get("x-tiergate-request-id"))
    except openai.APIConnectionError:
        return Outcome(None)
    return Outcome(
        raw.status_code, raw.headers["x-tiergate-request-id"], raw.headers["x-tiergate-provider"]
    )


def client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=url + "/v1", api_key="unused", max_retries=0, timeout=30)


async def burst(urls: list[str], count: int, concurrency: int) -> list[Outcome]:
    clients = [client(u) for u in urls]
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> Outcome:
        async with gate:
            return await ask(clients[i % len(clients)], i)

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        for c in clients:
            await c.close()


def pico(amount: object) -> int:
    return int(Decimal(str(amount)) * 10**12)


def test_a_second_process_leaves_the_first_ones_live_reservations_alone(setup: Setup) -> None:
    first = setup.serve("first")
    second: Serve | None = None
    try:
        # Paid calls stay in flight while the second starts, and end before timeout_s (10).
        setup.openai.behaviour = "slow-8"

        async def scenario() -> tuple[list[Outcome], list[Outcome]]:
            in_flight = asyncio.ensure_future(burst([first.url], 8, 8))
            deadline = time.monotonic() + 15
            while setup.openai.count() < 8:
                assert time.monotonic() < deadline, "the paid requests never reached the upstream"
                await asyncio.sleep(0.02)
            nonlocal second
            second = await asyncio.to_thread(setup.serve, "second")
            held = setup.ledger("SELECT COUNT(*) FROM reservations WHERE state = 'open'")[0][0]
            assert not in_flight.done() and held == 8  # the second start did not touch them
            setup.openai.behaviour = "ok"
            later = await burst([second.url], 4, 4)
            return await in_flight, later

        answered, later = asyncio.run(scenario())
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert [o.status for o in answered + later] == [200] * 12
    assert {o.provider for o in answered} == {"openai"}
    assert setup.ledger("SELECT COUNT(*) FROM attempts WHERE outcome = 'lost'") == [(0,)]
    assert setup.ledger("SELECT COUNT(*) FROM reservations WHERE state != 'settled'") == [(0,)]
    assert setup.ledger("SELECT SUM(cost_pico) FROM attempts")[0][0] == setup.bill_pico()


def test_two_processes_hold_one_cap_and_the_ledger_equals_the_upstream_bill(
    setup: Setup,
) -> None:
    a, b = setup.serve("a"), setup.serve("b")
    try:
        outcomes = asyncio.run(burst([a.url, b.url], 300, 32))
    finally:
        a.stop()
        b.stop()
    cap = pico(CAP_USD)
    bill = setup.bill_pico()
    statuses = {o.status for o in outcomes}
    assert statuses == {200}, statuses  # over the cap, work falls back to the free tier
    paid = sum(1 for o in outcomes if o.provider == "openai")
    assert 0 < paid < 300
    assert bill <= cap, f"the upstream billed {bill} pico against a cap of {cap}"
    assert bill >= cap * 8 // 10, f"the upstream billed only {bill} pico of {cap}"
    report = setup.spend()
    providers = report["providers"]
    assert isinstance(providers, dict)
    assert pico(providers["openai"]["spent_usd"]) == bill  # exactly, to the pico
    assert pico(providers["openai"]["reserved_usd"]) == 0
    assert setup.ledger("SELECT SUM(cost_pico) FROM attempts WHERE provider = 'openai'") == [
        (bill,)
    ]


def test_kill_9_one_process_the_other_answers_and_the_dead_ones_holds_are_reaped(
    tmp_path: Path,
) -> None:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes", latency_s=0.02) as paid,
    ):
        setup = Setup(write_config(tmp_path, local, paid, lease_s=1), local, paid, tmp_path)
        survivor, victim = setup.serve("survivor"), setup.serve("victim")
        restarted: Serve | None = None
        try:

            async def scenario() -> list[Outcome]:
                clients = [client(survivor.url), client(victim.url)]
                gate = asyncio.Semaphore(16)
                done: list[Outcome] = []

                async def one(i: int) -> Outcome:
                    async with gate:
                        outcome = await ask(clients[i % 2], i)
                        done.append(outcome)
                        return outcome

                tasks = [asyncio.ensure_future(one(i)) for i in range(200)]
                deadline = time.monotonic() + 30
                while len(done) < 40:
                    assert time.monotonic() < deadline, "the burst never got going"
                    await asyncio.sleep(0.01)
                os.kill(victim.process.pid, signal.SIGKILL)
                outcomes = await asyncio.gather(*tasks)
                for c in clients:
                    await c.close()
                return outcomes

            outcomes = asyncio.run(scenario())
            victim.process.wait(10)
            to_survivor = outcomes[0::2]
            assert {o.status for o in to_survivor} == {200}  # the survivor kept answering
            assert any(o.status is None for o in outcomes[1::2])  # killed mid-burst
            # The survivor's heartbeat reaps the victim's holds once its lease has passed.
            wait_for(
                "the dead process's reservations to be reaped",
                lambda: (
                    setup.ledger("SELECT COUNT(*) FROM reservations WHERE state = 'open'") == [(0,)]
                ),
            )
            restarted = setup.serve("restarted")
        finally:
            survivor.stop()
            victim.stop()
            if restarted is not None:
                restarted.stop()
        answered = {o.request_id for o in outcomes if o.status == 200}
        rows = {r[0] for r in setup.ledger("SELECT request_id FROM attempts WHERE outcome = 'ok'")}
        assert answered <= rows
        lost = setup.ledger(
            "SELECT usage_missing, cost_pico - reserved_pico FROM attempts WHERE outcome = 'lost'"
        )
        assert set(lost) <= {(1, 0)}  # charged in full, flagged
        report = setup.spend()
        providers = report["providers"]
        assert isinstance(providers, dict)
        assert pico(providers["openai"]["reserved_usd"]) == 0
        assert pico(providers["openai"]["spent_usd"]) >= setup.bill_pico()
        verified = subprocess.run(
            [sys.executable, "-m", "tiergate.cli", "audit", "--verify", "--config",
             str(setup.config)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert "chain OK" in verified.stdout, verified.stdout + verified.stderr


async def ask_stream(url: str) -> Outcome:
    """One streamed request, read to its end; the status is 200 only for a clean finish."""
    async with (
        client(url) as c,
        c.chat.completions.with_streaming_response.create(
            model="auto",
            messages=[{"role": "user", "content": "stream: summarise the quarterly plan"}],
            max_tokens=16,
            stream=True,
            extra_headers=CRITICAL,
        ) as response,
    ):
        finishes = [
            choice.finish_reason
            async for chunk in await response.parse()
            for choice in chunk.choices
            if choice.finish_reason
        ]
        return Outcome(
            response.status_code if finishes == ["length"] or finishes == ["stop"] else 0,
            response.headers["x-tiergate-request-id"],
            response.headers["x-tiergate-provider"],
        )


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_locked_ledger_delays_the_row_never_the_answer(setup: Setup, stream: bool) -> None:
    gateway = setup.serve("gateway")
    lock = sqlite3.connect(setup.tmp / "ledger.db", isolation_level=None, timeout=30)
    try:
        setup.openai.behaviour = "slow-1"

        async def one() -> list[Outcome]:
            return [await ask_stream(gateway.url)] if stream else await burst([gateway.url], 1, 1)

        async def scenario() -> Outcome:
            pending = asyncio.ensure_future(one())
            deadline = time.monotonic() + 15
            while setup.openai.count() < 1:  # reserved (durably) and sent
                assert time.monotonic() < deadline, "the request never reached the upstream"
                await asyncio.sleep(0.01)
            lock.execute("BEGIN IMMEDIATE")  # another writer holds the ledger from here on
            return (await pending)[0]

        outcome = asyncio.run(scenario())
        assert outcome.status == 200 and outcome.provider == "openai"
        # Answered while the lock is held: the reservation is still open, no row yet.
        assert setup.ledger("SELECT state FROM reservations") == [("open",)]
        assert setup.ledger("SELECT COUNT(*) FROM attempts") == [(0,)]
        lock.execute("ROLLBACK")
        wait_for(
            "the row to be written once the lock is gone",
            lambda: setup.ledger("SELECT state FROM reservations") == [("settled",)],
        )
    finally:
        lock.close()
        gateway.stop()
    assert setup.ledger("SELECT request_id, outcome FROM attempts") == [(outcome.request_id, "ok")]
    assert setup.ledger("SELECT cost_pico FROM attempts") == [(setup.bill_pico(),)]


def test_serve_workers_runs_n_processes_on_one_port_sharing_the_store(setup: Setup) -> None:
    gateway = Serve(
        setup.config, setup.tmp / "workers.log", level="warning", extra=("--workers", "2")
    )
    try:

        def owners() -> set[str]:
            return {str(r[0]) for r in setup.ledger("SELECT owner FROM owners")}

        wait_for("both workers to take a lease", lambda: len(owners()) == 2, timeout_s=30)
        outcomes = asyncio.run(burst([gateway.url], 120, 16))
        pids = {owner.split(":")[1] for owner in owners()}
        assert len(pids) == 2 and str(gateway.process.pid) not in pids  # two children, one port
    finally:
        code = gateway.stop()
    assert code == 0
    assert {o.status for o in outcomes} == {200}
    report = setup.spend()
    providers = report["providers"]
    assert isinstance(providers, dict)
    assert pico(providers["openai"]["spent_usd"]) == setup.bill_pico() <= pico(CAP_USD)


def _children(parents: set[int]) -> dict[int, str]:
    """Processes whose parent is in `parents`: pid -> command line."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile
        if ppid in parents:
            found[int(entry.name)] = command
    return found


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_serve_workers_pin_puts_each_worker_on_its_own_core(setup: Setup) -> None:
    """`--pin`: each worker (and its ledger thread) on one allowed CPU, in turn; the scan worker
    process a pinned worker spawns for a large body gets every allowed CPU back."""
    allowed = sorted(os.sched_getaffinity(0))
    gateway = Serve(
        setup.config, setup.tmp / "pinned.log", level="warning", extra=("--workers", "2", "--pin")
    )
    url = gateway.url
    try:
        wait_for(
            "both workers to take a lease",
            lambda: len(setup.ledger("SELECT owner FROM owners")) == 2,
            timeout_s=30,
        )
        workers = set(_children({gateway.process.pid}))
        assert len(workers) == 2
        cores = sorted(sorted(os.sched_getaffinity(pid)) for pid in workers)
        assert cores == sorted([[allowed[0]], [allowed[1 % len(allowed)]]])
        for thread in Path(f"/proc/{min(workers)}/task").iterdir():  # its ledger thread too
            assert os.sched_getaffinity(int(thread.name)) == os.sched_getaffinity(min(workers))
        # A body over the inline limit is scanned in a spawned worker process.
        large = "plain words about the weather " * 3000
        answer = httpx.post(
            url + "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": large}]},
            timeout=60,
        )
        assert answer.status_code == 200
        scanners = {pid for pid, cmd in _children(workers).items() if "spawn_main" in cmd}
        assert len(scanners) == 1
        assert os.sched_getaffinity(scanners.pop()) == set(allowed)
    finally:
        code = gateway.stop()
    assert code == 0


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux's")
def test_serve_pin_puts_the_one_process_and_its_threads_on_the_first_allowed_core(
    setup: Setup,
) -> None:
    allowed = sorted(os.sched_getaffinity(0))
    gateway = Serve(setup.config, setup.tmp / "pin.log", level="warning", extra=("--pin",))
    try:
        pid = gateway.process.pid
        assert httpx.post(
            gateway.url + "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        ).status_code == 200  # fmt: skip
        threads = list(Path(f"/proc/{pid}/task").iterdir())
        assert len(threads) > 1  # the ledger writer at least
        for thread in threads:
            assert os.sched_getaffinity(int(thread.name)) == {allowed[0]}
    finally:
        gateway.stop()
