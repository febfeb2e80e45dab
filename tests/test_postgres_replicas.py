"""Gateway replicas on one PostgreSQL, through the real `tiergate serve` and the official openai SDK.

Issue 9's promises, judged by the upstream's own bill (a FakeUpstream in
byte-billing mode): two replicas hold one $0.01 cap between them and the
ledger equals the bill to the pico; a replica killed with -9 mid-burst leaves
the other answering and its holds reaped once its lease has passed; and a
PostgreSQL stopped mid-run sends paid work to the free tier, keeps answering
free work, and loses no row when it comes back.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tiergate.testing import FakeUpstream

from .pg import PostgresCluster, find_bin_dir
from .serving import Serve, wait_for
from .test_processes import (
    CAP_USD,
    CONFIG,
    PICO_PER_TOKEN,
    Outcome,
    ask,
    burst,
    client,
    pico,
)

LEDGER_KEY = "replica-test-ledger-key"


@dataclass
class Replicas:
    config: Path
    url: str
    local: FakeUpstream
    openai: FakeUpstream
    tmp: Path

    def serve(self, name: str) -> Serve:
        return Serve(self.config, self.tmp / f"{name}.log", level="warning")

    def ledger(self, sql: str) -> list[tuple[Any, ...]]:
        async def fetch() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(self.url, timeout=10)
            try:
                return [tuple(r) for r in await conn.fetch(sql, timeout=10)]
            finally:
                await conn.close()

        return asyncio.run(fetch())

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tiergate.cli", *args, "--config", str(self.config)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    def spent(self) -> tuple[int, int]:
        """(spent, reserved) pico at openai, as `tiergate spend --json` reads the store."""
        import orjson

        done = self.cli("spend", "--json")
        assert done.returncode == 0, done.stderr
        line = orjson.loads(done.stdout)["providers"]["openai"]
        return pico(line["spent_usd"]), pico(line["reserved_usd"])

    def bill_pico(self) -> int:
        prompt, completion = self.openai.billed_tokens
        return (prompt + completion) * PICO_PER_TOKEN

    def verified(self) -> str:
        done = self.cli("audit", "--verify")
        return done.stdout + done.stderr


def write_config(
    tmp: Path, url: str, local: FakeUpstream, paid: FakeUpstream, lease_s: float
) -> Path:
    (tmp / "ledger.key").write_text(LEDGER_KEY)
    text = CONFIG.replace(
        "store: sqlite:///ledger.db", f"store: {url}\nledger_key_file: ledger.key"
    )
    path = tmp / "tiergate.yaml"
    path.write_text(
        text.format(local=local.url, openai=paid.openai_base_url, cap=CAP_USD, lease_s=lease_s)
    )
    return path


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path) -> Iterator[Replicas]:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes") as paid,
    ):
        config = write_config(tmp_path, pg_url, local, paid, lease_s=10)
        yield Replicas(config, pg_url, local, paid, tmp_path)


def test_two_replicas_hold_one_cap_and_the_ledger_equals_the_upstream_bill(
    replicas: Replicas,
) -> None:
    a, b = replicas.serve("a"), replicas.serve("b")
    try:
        outcomes = asyncio.run(burst([a.url, b.url], 300, 32))
    finally:
        a.stop()
        b.stop()
    cap, bill = pico(CAP_USD), replicas.bill_pico()
    assert {o.status for o in outcomes} == {200}  # over the cap, work falls back to the free tier
    served = [o.provider for o in outcomes]
    assert 0 < served.count("openai") < 300
    assert served.count("openai") + served.count("local") == 300
    assert bill <= cap, f"the upstream billed {bill} pico against a cap of {cap}"
    assert bill >= cap * 8 // 10, f"the upstream billed only {bill} pico of {cap}"
    assert replicas.spent() == (bill, 0)  # the ledger equals the bill, to the pico
    assert replicas.ledger(
        "SELECT sum(cost_pico), count(DISTINCT chain) FROM tiergate.attempts "
        "WHERE provider = 'openai'"
    ) == [(bill, 2)]  # fmt: skip
    assert "chain OK" in replicas.verified()


@pytest.mark.parametrize("options", ["", "?budget_slice_usd=0.001"], ids=["exact", "slices"])
def test_kill_9_one_replica_the_other_answers_and_the_dead_ones_holds_are_reaped(
    pg_url: str, tmp_path: Path, options: str
) -> None:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes", latency_s=0.02) as paid,
    ):
        config = write_config(tmp_path, pg_url + options, local, paid, 1)
        replicas = Replicas(config, pg_url, local, paid, tmp_path)
        survivor, victim = replicas.serve("survivor"), replicas.serve("victim")
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
            assert {o.status for o in outcomes[0::2]} == {200}  # the survivor kept answering
            assert any(o.status is None for o in outcomes[1::2])  # killed mid-burst
            # The survivor's heartbeat reaps the victim's holds once its lease (1 s) has passed:
            # its reservations, its slices and its owner row go in one transaction. (No open
            # reservation alone is not enough: with slices, the victim may hold money in a
            # slice with no reservation open against it.)
            wait_for(
                "the dead replica's reservations and slices to be reaped",
                lambda: (
                    replicas.ledger(
                        "SELECT (SELECT count(*) FROM tiergate.reservations WHERE state = 'open'),"
                        " (SELECT count(*) FROM tiergate.owners)"
                    )
                    == [(0, 1)]
                ),
            )
        finally:
            survivor.stop()
            victim.stop()
        answered = {o.request_id for o in outcomes if o.status == 200}
        in_ledger = {
            r[0]
            for r in replicas.ledger(
                "SELECT request_id FROM tiergate.attempts WHERE outcome = 'ok'"
            )
        }
        assert answered <= in_ledger
        lost = replicas.ledger(
            "SELECT usage_missing, cost_pico - reserved_pico, reservation_id IS NOT NULL "
            "FROM tiergate.attempts WHERE outcome = 'lost'"
        )
        assert set(lost) <= {(True, 0, True)}  # charged in full, flagged, tied to its hold
        spent, reserved = replicas.spent()
        assert reserved == 0
        assert spent >= replicas.bill_pico()
        # Nothing stays held: the dead one's holds (and slices) were reaped, the survivor's
        # slices went back when it stopped.
        assert replicas.ledger(
            "SELECT sum(held_pico), max(spent_pico) FILTER (WHERE scope = 'provider:openai') "
            "FROM tiergate.totals"
        ) == [(0, spent)]  # fmt: skip
        assert "chain OK" in replicas.verified()


# -- PostgreSQL goes away mid-run ------------------------------------------------------------


@pytest.fixture
def own_postgres(postgres: PostgresCluster) -> Iterator[PostgresCluster]:
    """A PostgreSQL of this test's own to stop and start, committing durably (the session's
    one, with synchronous_commit off, may lose its last commits when stopped -m immediate)."""
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir, durable_commits=True)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def health(url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(url + "/healthz", timeout=5).json()
    return body


def test_postgresql_stopped_mid_run_paid_work_goes_local_free_work_is_answered_nothing_is_lost(
    own_postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = own_postgres.database("outage")
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes") as paid,
    ):
        replicas = Replicas(
            write_config(tmp_path, url, local, paid, 10), url, local, paid, tmp_path
        )
        gateway = replicas.serve("gateway")
        try:
            before = asyncio.run(burst([gateway.url], 10, 4))
            assert {(o.status, o.provider) for o in before} == {(200, "openai")}
            assert health(gateway.url)["store"] == {"url": url, "healthy": True}

            own_postgres.stop("immediate")
            wait_for(
                "the store to be reported down", lambda: not health(gateway.url)["store"]["healthy"]
            )
            assert health(gateway.url)["status"] == "degraded"
            during = asyncio.run(burst([gateway.url], 40, 8))  # critical work: would go to openai
            assert {(o.status, o.provider) for o in during} == {(200, "local")}
            openai_calls = paid.count()

            own_postgres.start()
            wait_for(
                "the store to be back",
                lambda: health(gateway.url)["store"]["healthy"],
                timeout_s=30,
            )
            answered = {o.request_id for o in before + during}
            wait_for(
                "every answered request's row to be written",
                lambda: (
                    answered
                    <= {r[0] for r in replicas.ledger("SELECT request_id FROM tiergate.attempts")}
                ),
                timeout_s=30,
            )
            after = asyncio.run(burst([gateway.url], 5, 5))
            assert {(o.status, o.provider) for o in after} == {(200, "openai")}
        finally:
            gateway.stop()
        assert paid.count() == openai_calls + 5  # nothing paid went out while the store was down
        assert replicas.spent() == (replicas.bill_pico(), 0)
        rows = replicas.ledger(
            "SELECT provider, count(*) FROM tiergate.attempts GROUP BY 1 ORDER BY 1"
        )
        assert rows == [("local", 40), ("openai", 15)]
        assert "chain OK" in replicas.verified()


def test_a_replica_started_while_postgresql_is_down_serves_free_work_and_catches_up(
    own_postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = own_postgres.database("late")  # created, never migrated
    own_postgres.stop("fast")
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes") as paid,
    ):
        replicas = Replicas(
            write_config(tmp_path, url, local, paid, 10), url, local, paid, tmp_path
        )
        gateway = replicas.serve("gateway")  # starts: the store is only unreachable, not wrong
        try:
            assert health(gateway.url)["store"] == {"url": url, "healthy": False}
            during = asyncio.run(burst([gateway.url], 12, 4))
            assert {(o.status, o.provider) for o in during} == {(200, "local")}
            own_postgres.start()
            wait_for(
                "the store to be reached and migrated",
                lambda: health(gateway.url)["store"]["healthy"],
                timeout_s=30,
            )
            answered = {o.request_id for o in during}
            wait_for(
                "the rows answered while it was down to be written",
                lambda: (
                    answered
                    <= {r[0] for r in replicas.ledger("SELECT request_id FROM tiergate.attempts")}
                ),
                timeout_s=30,
            )
            after = asyncio.run(burst([gateway.url], 3, 3))
            assert {(o.status, o.provider) for o in after} == {(200, "openai")}
        finally:
            gateway.stop()
        assert replicas.spent() == (replicas.bill_pico(), 0)
        assert "chain OK: 15 rows verified (keyed) in 1 chains" in replicas.verified()
        assert gateway.entries(event="store.unreachable_at_start")


def test_a_wrong_password_is_an_error_at_start_not_an_outage(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    """Unreachable is weathered; misconfigured is not: serve refuses to start, naming the store."""
    postgres.psql("DO $$ BEGIN CREATE ROLE strict LOGIN PASSWORD 'right'; "
                  "EXCEPTION WHEN duplicate_object THEN NULL; END $$")  # fmt: skip
    hba = postgres.data / "pg_hba.conf"
    if "strict" not in hba.read_text():
        text = hba.read_text()
        hba.write_text("host all strict 127.0.0.1/32 scram-sha-256\n" + text)
        postgres.psql("SELECT pg_reload_conf()")
    url = f"postgresql://strict:pw-9f3kq@127.0.0.1:{postgres.port}/postgres"  # not its password
    with FakeUpstream(name="local") as local, FakeUpstream(name="openai") as paid:
        config = write_config(tmp_path, url, local, paid, 10)
        with pytest.raises(RuntimeError, match="the gateway did not start") as failed:
            Serve(config, tmp_path / "gateway.log", level="warning")
    shown = f"postgresql://strict:***@127.0.0.1:{postgres.port}/postgres"
    assert f"cannot connect to the store at {shown}: password authentication failed" in str(
        failed.value
    )
    assert "pw-9f3kq" not in (tmp_path / "gateway.log").read_text()


def test_two_replicas_with_budget_slices_hold_the_cap_and_the_ledger_equals_the_bill(
    pg_url: str, tmp_path: Path
) -> None:
    """The same cap test with leased slices ($0.001 each; docs/budget-slices.md)."""
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", billing="bytes") as paid,
    ):
        url = pg_url + "?budget_slice_usd=0.001"
        replicas = Replicas(write_config(tmp_path, url, local, paid, 10), pg_url, local, paid,
                            tmp_path)  # fmt: skip
        a, b = replicas.serve("a"), replicas.serve("b")
        try:
            outcomes = asyncio.run(burst([a.url, b.url], 300, 32))
        finally:
            a.stop()
            b.stop()
        cap, bill = pico(CAP_USD), replicas.bill_pico()
        assert {o.status for o in outcomes} == {200}
        assert 0 < sum(1 for o in outcomes if o.provider == "openai") < 300
        assert bill <= cap, f"the upstream billed {bill} pico against a cap of {cap}"
        assert bill >= cap * 8 // 10, f"the upstream billed only {bill} pico of {cap}"
        assert replicas.spent() == (bill, 0)
        sliced = replicas.ledger(
            "SELECT count(DISTINCT slice_id), count(*) FILTER (WHERE slice_id IS NULL) "
            "FROM tiergate.reservations WHERE provider = 'openai'"
        )
        assert sliced[0][0] >= 2  # reservations went into slices (the last ones may go exact)
        # every slice was given back at shutdown: the running totals hold nothing
        assert replicas.ledger(
            "SELECT sum(held_pico), max(spent_pico) FILTER (WHERE scope = 'provider:openai') "
            "FROM tiergate.totals"
        ) == [(0, bill)]  # fmt: skip
        assert "chain OK" in replicas.verified()
