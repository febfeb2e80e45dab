"""`tiergate batch run` as a subprocess against the fake tiers: privacy first, batch prices exact in
the ledger, and a kill -9 mid-run that resumes without running any line twice."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import openai
import orjson
import pytest

from tiergate.config import parse_config
from tiergate.errors import ConfigError
from tiergate.testing import FakeUpstream

from .conftest import BASE, Tiers
from .serving import wait_for

LINES = 200
MARK = re.compile(r"\[line-(\d+)\]")
# gpt-4o at 2.5 / 10 USD per Mtok (the test config); the Batch API default is half of it.
BATCH_INPUT_PICO, BATCH_OUTPUT_PICO = 1_250_000, 5_000_000


def write_config(tiers: Tiers, tmp_path: Path, **extra: Any) -> Path:
    text = BASE.format(
        store=tmp_path / "ledger.db",
        local=tiers.local.url,
        cloud=tiers.cloud.url,
        openai=tiers.openai.openai_base_url,
        cloud_budget=120,
        openai_budget=80,
        on_exceeded="fallback",
        breaker_failures=3,
        breaker_cooldown_s=30,
        openai_input=2.5,
        openai_output=10,
        total_budget=200,
        daily_alert="null",
        local_concurrency=64,
    )
    data = parse_config(text, env={}).model_dump(mode="json")
    data["providers"][2]["batch_api"] = True
    data["store_lease_s"] = extra.get("lease_s", 10.0)
    if extra.get("store"):
        data["store"] = extra["store"]
    data["store_heartbeat_s"] = min(1.0, data["store_lease_s"] / 4)
    path = tmp_path / "tiergate.yaml"
    path.write_bytes(orjson.dumps(data))
    return path


def line(i: int) -> dict[str, Any]:
    """Every 4th line carries an e-mail address and asks for the best tier: it must stay local.
    Others: critical work (tier 3, the batch API), high quality (tier 2), default (tier 1), and
    some embeddings (tier 1)."""
    kind = i % 4
    if i % 10 == 7:
        return {
            "custom_id": f"c{i}",
            "method": "POST",
            "url": "/v1/embeddings",
            "body": {"model": "auto", "input": [f"[line-{i}] vector me"]},
        }
    text = f"[line-{i}] Summarise item {i} of the quarterly plan."
    hints: dict[str, str] = {}
    if kind == 0:
        text = f"[line-{i}] Write to jane.roe{i}@example.org about her claim."
        hints = {"quality": "critical", "complexity": "high"}
    elif kind == 1:
        hints = {"quality": "critical", "complexity": "high"}
    elif kind == 2:
        hints = {"quality": "high"}
    body: dict[str, Any] = {
        "model": "auto",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 64,
    }
    if hints:
        body["tiergate"] = hints
    return {"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}


def write_input(tmp_path: Path) -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line(i)) + b"\n" for i in range(LINES)))
    return path


def command(config: Path, requests: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "tiergate.cli", "batch", "run", str(requests), "--out", str(out),
        "--config", str(config), "--poll-interval", "0.05", "--concurrency", "8",
    ]  # fmt: skip


def results(out: Path) -> list[dict[str, Any]]:
    return [orjson.loads(text) for text in out.read_bytes().splitlines()]


def marks(fake: FakeUpstream) -> Counter[int]:
    """How many times each line reached this fake directly (batch uploads excluded)."""
    seen: Counter[int] = Counter()
    for received in fake.received:
        if received.path.startswith(("/v1/files", "/v1/batches")):
            continue
        seen.update(int(m) for m in MARK.findall(received.raw.decode()))
    return seen


def ledger(tmp_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        return conn.execute(
            "SELECT request_id, provider, prompt_tokens, completion_tokens, cost_pico, outcome "
            "FROM attempts"
        ).fetchall()


@pytest.fixture
def batch_tiers() -> Any:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="cloud") as cloud,
        FakeUpstream(name="openai", batch_delay_s=0.3) as openai,
    ):
        yield Tiers(local=local, cloud=cloud, openai=openai)


def test_a_mixed_batch_keeps_sensitive_lines_local_and_prices_batch_lines_exactly(
    batch_tiers: Tiers, tmp_path: Path
) -> None:
    tiers = batch_tiers
    config, requests, out = (
        write_config(tiers, tmp_path),
        write_input(tmp_path),
        tmp_path / "out.jsonl",
    )
    done = subprocess.run(command(config, requests, out), capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    got = results(out)
    assert [r["custom_id"] for r in got] == [f"c{i}" for i in range(LINES)]
    assert all(r["response"]["status_code"] == 200 for r in got), got
    by_id = {r["custom_id"]: r for r in got}

    # Privacy: no sensitive line reached a cloud fake, in any request or uploaded file.
    for fake in (tiers.cloud, tiers.openai):
        for received in fake.received:
            assert b"@example.org" not in received.raw
    sensitive = [i for i in range(LINES) if i % 4 == 0 and i % 10 != 7]
    assert {by_id[f"c{i}"]["tiergate"]["provider"] for i in sensitive} == {"local"}
    assert {by_id[f"c{i}"]["tiergate"]["rule"] for i in sensitive} == {"sensitive"}

    # Tier-3 lines went through the Batch API, once each, and nothing else went to OpenAI.
    batch_lines = [i for i in range(LINES) if i % 4 == 1 and i % 10 != 7]
    assert {by_id[f"c{i}"]["tiergate"]["provider"] for i in batch_lines} == {"openai"}
    assert all(by_id[f"c{i}"]["tiergate"]["batch_api"] for i in batch_lines)
    assert tiers.openai.count("/v1/chat/completions") == 0
    assert tiers.openai.count("/v1/batches") == 1
    assert tiers.openai.batches.batch_runs == Counter({f"c{i}": 1 for i in batch_lines})
    high = [i for i in range(LINES) if i % 4 == 2 and i % 10 != 7]
    assert {by_id[f"c{i}"]["tiergate"]["provider"] for i in high} == {"ollama_cloud"}

    # The ledger: one row per line, batch lines at exactly the batch price.
    rows = ledger(tmp_path)
    assert len(rows) == LINES
    openai_rows = [r for r in rows if r[1] == "openai"]
    assert len(openai_rows) == len(batch_lines)
    for _, _, prompt, completion, cost, outcome in openai_rows:
        assert outcome == "ok"
        assert cost == prompt * BATCH_INPUT_PICO + completion * BATCH_OUTPUT_PICO
    billed = tiers.openai.billed_tokens
    assert sum(r[2] for r in openai_rows) == billed[0]
    assert sum(r[3] for r in openai_rows) == billed[1]
    batch_pico = sum(r[4] for r in openai_rows)
    normal_pico = billed[0] * 2 * BATCH_INPUT_PICO + billed[1] * 2 * BATCH_OUTPUT_PICO
    assert batch_pico * 2 == normal_pico
    assert sum(int(by_id[f"c{i}"]["tiergate"]["cost_pico"]) for i in batch_lines) == batch_pico
    assert f"[{'#' * 30}] {LINES}/{LINES} done" in done.stderr.decode()  # the progress bar
    summary = done.stdout.decode()
    assert f"{len(batch_lines)} through provider batch APIs" in summary
    print(
        f"\n{len(batch_lines)} batch-API lines: ${batch_pico / 10**12:.6f} at the batch price, "
        f"${normal_pico / 10**12:.6f} at the normal price"
    )


def test_kill_9_mid_run_then_resume_runs_no_line_twice(tmp_path: Path) -> None:
    with (
        FakeUpstream(name="local", latency_s=0.05) as local,
        FakeUpstream(name="cloud", latency_s=0.05) as cloud,
        FakeUpstream(name="openai", batch_delay_s=3600) as openai,
    ):
        tiers = Tiers(local=local, cloud=cloud, openai=openai)
        config, requests, out = (
            write_config(tiers, tmp_path, lease_s=1.0),
            write_input(tmp_path),
            tmp_path / "out.jsonl",
        )
        state = tmp_path / "out.jsonl.state"
        log = (tmp_path / "first.log").open("wb")
        first = subprocess.Popen(command(config, requests, out), stdout=log, stderr=log)

        def progressed() -> bool:
            if first.poll() is not None:
                raise AssertionError("the run ended before it was killed")
            if not state.exists():
                return False
            try:
                with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as conn:
                    counts = dict(
                        conn.execute(
                            "SELECT status, COUNT(*) FROM lines GROUP BY status"
                        ).fetchall()
                    )
            except sqlite3.OperationalError:
                return False
            return counts.get("submitted", 0) > 0 and counts.get("done", 0) >= 40

        wait_for("the first run to submit its batch and finish 40 lines", progressed, timeout_s=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        log.close()
        assert not out.exists()
        before = marks(local) + marks(cloud)
        assert openai.batches.batch_runs == Counter()  # the batch has not run yet
        for batch in openai.batches.batches.values():
            batch.ready_at = 0.0  # it completes while nobody is polling
        time.sleep(2.0)  # past the killed run's store lease: a resume that comes late

        second = subprocess.run(command(config, requests, out), capture_output=True, timeout=120)
        assert second.returncode == 0, second.stderr.decode()

        got = results(out)
        assert [r["custom_id"] for r in got] == [f"c{i}" for i in range(LINES)]
        interrupted = [
            r["custom_id"] for r in got if (r["error"] or {}).get("code") == "interrupted"
        ]
        assert len(interrupted) <= 8  # at most the lines in flight when it died
        assert all(
            r["response"]["status_code"] == 200 for r in got if r["custom_id"] not in interrupted
        )
        # No line ran twice: per fake, and per line across the fakes.
        direct = marks(local) + marks(cloud) + marks(openai)
        assert max(direct.values()) == 1
        assert max(openai.batches.batch_runs.values()) == 1
        assert openai.count("/v1/batches") == 1  # the batch was created once, polled again after
        for r in got:
            if r["custom_id"] not in interrupted and not r["tiergate"].get("batch_api"):
                assert direct[int(r["custom_id"][1:])] == 1
        assert before <= direct
        print(
            f"\nkilled after {sum(before.values())} direct lines; resumed: "
            f"{second.stdout.decode().strip()!r}; {len(interrupted)} interrupted"
        )
        # Batch lines, submitted by the killed run, were settled by the resumed one at the batch
        # price: their reservations belong to the run, not to the dead process, so the resume
        # (after the lease) did not reap them. The dead process's direct calls were reaped.
        everything = ledger(tmp_path)
        rows = [r for r in everything if r[1] == "openai"]
        assert len(rows) == len([r for r in got if r["tiergate"].get("batch_api")])
        assert all(r[5] == "ok" for r in rows)
        for _, _, prompt, completion, cost, _ in rows:
            assert cost == prompt * BATCH_INPUT_PICO + completion * BATCH_OUTPUT_PICO
        lost = [r for r in everything if r[5] == "lost"]
        assert {r[1] for r in lost} <= {"ollama_cloud"}  # paid calls in flight at the kill
        assert len(lost) <= len(interrupted)

        # Asked to, a third run runs the interrupted lines again, and only them.
        third = subprocess.run(
            [*command(config, requests, out), "--rerun-interrupted"],
            capture_output=True,
            timeout=120,
        )
        assert third.returncode == 0, third.stderr.decode()
        again = results(out)
        assert all(r["response"]["status_code"] == 200 for r in again)
        after = marks(local) + marks(cloud) + marks(openai)
        assert {i for i in after if after[i] != direct[i]} <= {int(c[1:]) for c in interrupted}


def test_a_bad_input_file_exits_2_naming_the_line(tiers: Tiers, tmp_path: Path) -> None:
    config = write_config(tiers, tmp_path)
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(orjson.dumps(line(1)) + b"\n" + orjson.dumps(line(1)) + b"\n")
    done = subprocess.run(
        command(config, requests, tmp_path / "out.jsonl"), capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert "requests.jsonl:2: custom_id 'c1' repeats line 1" in done.stderr.decode()
    assert tiers.cloud_received() == 0 and tiers.local.count() == 0


def test_a_bad_line_gets_a_400_in_its_result_and_the_others_run(
    tiers: Tiers, tmp_path: Path
) -> None:
    config = write_config(tiers, tmp_path)
    requests = tmp_path / "requests.jsonl"
    bad = [
        {"custom_id": "a", "method": "POST", "url": "/v1/completions", "body": {}},
        {"custom_id": "b", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "auto", "messages": "hi"}},
        {"custom_id": "c", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True}},
        line(3),
    ]  # fmt: skip
    requests.write_bytes(b"".join(orjson.dumps(b) + b"\n" for b in bad))
    out = tmp_path / "out.jsonl"
    done = subprocess.run(command(config, requests, out), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    got = {r["custom_id"]: r for r in results(out)}
    for custom_id, param in (("a", "url"), ("b", "messages"), ("c", "body.stream")):
        response = got[custom_id]["response"]
        assert response["status_code"] == 400
        assert response["body"]["error"]["param"] == param
    assert got["c3"]["response"]["status_code"] == 200


def test_batch_api_needs_the_openai_protocol(tiers: Tiers, tmp_path: Path) -> None:
    data = orjson.loads(write_config(tiers, tmp_path).read_bytes())
    data["providers"][1]["batch_api"] = True
    with pytest.raises(ConfigError) as caught:
        parse_config(orjson.dumps(data).decode(), env={})
    assert "providers[1]" in str(caught.value) and "batch_api" in str(caught.value)


def test_a_batch_line_that_never_comes_back_is_charged_in_full_an_error_line_nothing(
    batch_tiers: Tiers, tmp_path: Path
) -> None:
    tiers = batch_tiers
    config = write_config(tiers, tmp_path)
    texts = {
        "ok": "Plan the week.",
        "lost": "Plan it [[fake:drop]]",
        "err": "Plan [[fake:fail-503]]",
    }
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(
        b"".join(
            orjson.dumps(
                {"custom_id": name, "method": "POST", "url": "/v1/chat/completions",
                 "body": {"model": "auto", "messages": [{"role": "user", "content": text}],
                          "max_tokens": 16,
                          "tiergate": {"quality": "critical", "complexity": "high"}}}
            )
            + b"\n"
            for name, text in texts.items()
        )
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    done = subprocess.run(command(config, requests, out), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    got = {r["custom_id"]: r for r in results(out)}
    assert got["ok"]["response"]["status_code"] == 200
    assert got["lost"]["response"] is None
    assert got["lost"]["error"]["code"] == "batch_line_lost"
    # The 503 line fell back down the tiers like a failed attempt (and failed there too: the
    # directive travels with it).
    assert got["err"]["response"]["status_code"] == 503
    assert got["err"]["response"]["body"]["error"]["code"] == "llm_unavailable"
    assert "ollama_cloud" in got["err"]["response"]["body"]["error"]["message"]
    assert tiers.cloud.count("/api/chat") == 1 and tiers.local.count("/api/chat") == 1
    assert tiers.openai.count("/v1/chat/completions") == 0  # not the batch provider again
    with sqlite3.connect(tmp_path / "ledger.db") as conn:
        rows = dict(
            conn.execute(
                "SELECT outcome, cost_pico - reserved_pico FROM attempts WHERE provider = 'openai'"
            ).fetchall()
        )
        costs = dict(
            conn.execute(
                "SELECT outcome, cost_pico FROM attempts WHERE provider = 'openai'"
            ).fetchall()
        )
    assert rows["lost"] == 0 and costs["lost"] > 0  # the whole reservation
    assert costs["unavailable"] == 0  # an HTTP error status is not billed
    assert costs["ok"] > 0
    assert got["lost"]["tiergate"]["cost_pico"] == costs["lost"]


@pytest.mark.parametrize("created_before_death", [False, True])
def test_a_run_killed_between_reserving_and_submitting_resumes_without_a_second_batch(
    tmp_path: Path, created_before_death: bool
) -> None:
    """Killed while its batch was being created: the resumed run looks the batch up by its
    metadata and adopts it if the provider has it, else creates it; never two."""
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="cloud") as cloud,
        FakeUpstream(name="openai", latency_s=1.5, batch_delay_s=0.1) as openai_fake,
    ):
        tiers = Tiers(local=local, cloud=cloud, openai=openai_fake)
        config, out = write_config(tiers, tmp_path), tmp_path / "out.jsonl"
        requests = tmp_path / "requests.jsonl"
        requests.write_bytes(b"".join(orjson.dumps(line(i)) + b"\n" for i in range(12)))
        state = tmp_path / "out.jsonl.state"
        log = (tmp_path / "first.log").open("wb")
        first = subprocess.Popen(command(config, requests, out), stdout=log, stderr=log)

        def reserved() -> list[tuple[str, str, bytes]]:
            if first.poll() is not None:
                raise AssertionError("the run ended before it was killed")
            if not state.exists():
                return []
            try:
                with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as conn:
                    return conn.execute(
                        "SELECT custom_id, chunk, plan FROM lines WHERE status = 'reserved'"
                    ).fetchall()
            except sqlite3.OperationalError:
                return []

        wait_for("the first run to reserve its batch lines", lambda: bool(reserved()), timeout_s=60)
        rows = reserved()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        log.close()
        if created_before_death:
            # The create reached the provider; the run died before writing the batch id down.
            client = openai.OpenAI(base_url=openai_fake.openai_base_url, api_key="k")
            content = b"".join(
                orjson.dumps(
                    {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
                     "body": orjson.loads(plan)["body"]}
                ) + b"\n"
                for cid, _, plan in rows
            )  # fmt: skip
            uploaded = client.files.create(file=("b.jsonl", content), purpose="batch")
            client.batches.create(
                input_file_id=uploaded.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"tiergate_chunk": rows[0][1]},
            )
        done = subprocess.run(command(config, requests, out), capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        created = [
            r for r in openai_fake.received if r.path == "/v1/batches" and r.method == "POST"
        ]
        assert len(created) == 1
        ids = {cid for cid, _, _ in rows}
        assert openai_fake.batches.batch_runs == Counter(dict.fromkeys(ids, 1))
        got = {r["custom_id"]: r for r in results(out)}
        for cid in ids:
            assert got[cid]["response"]["status_code"] == 200
            assert got[cid]["tiergate"]["batch_api"] is True


def test_a_second_run_on_the_same_output_while_the_first_runs_exits_2(tmp_path: Path) -> None:
    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="cloud") as cloud,
        FakeUpstream(name="openai", batch_delay_s=3600) as openai_fake,
    ):
        tiers = Tiers(local=local, cloud=cloud, openai=openai_fake)
        config, out = write_config(tiers, tmp_path), tmp_path / "out.jsonl"
        requests = tmp_path / "requests.jsonl"
        requests.write_bytes(b"".join(orjson.dumps(line(i)) + b"\n" for i in range(8)))
        log = (tmp_path / "first.log").open("wb")
        first = subprocess.Popen(command(config, requests, out), stdout=log, stderr=log)
        try:
            wait_for(
                "the first run to submit its batch",
                lambda: openai_fake.count("/v1/batches") > 0,
                timeout_s=60,
            )
            second = subprocess.run(command(config, requests, out), capture_output=True, timeout=60)
            assert second.returncode == 2
            assert "another `tiergate batch run` is working on" in second.stderr.decode()
            for batch in openai_fake.batches.batches.values():
                batch.ready_at = 0.0  # now let the first run's batch complete
            assert first.wait(timeout=60) == 0
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
            log.close()
        assert len(results(out)) == 8
        assert max(openai_fake.batches.batch_runs.values()) == 1


def test_kill_9_and_a_late_resume_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """The same on a PostgreSQL store: the resumed run settles the dead run's batch lines at the
    batch price (they are the run's, not the dead process's), and the ledger's chain verifies."""
    with (
        FakeUpstream(name="local", latency_s=0.05) as local,
        FakeUpstream(name="cloud", latency_s=0.05) as cloud,
        FakeUpstream(name="openai", batch_delay_s=3600) as openai_fake,
    ):
        tiers = Tiers(local=local, cloud=cloud, openai=openai_fake)
        config = write_config(tiers, tmp_path, lease_s=1.0, store=pg_url)
        requests, out = tmp_path / "requests.jsonl", tmp_path / "out.jsonl"
        requests.write_bytes(b"".join(orjson.dumps(line(i)) + b"\n" for i in range(60)))
        log = (tmp_path / "first.log").open("wb")
        first = subprocess.Popen(command(config, requests, out), stdout=log, stderr=log)
        try:
            wait_for(
                "the first run to submit its batch",
                lambda: openai_fake.count("/v1/batches") > 0,
                timeout_s=60,
            )
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
            log.close()
        for batch in openai_fake.batches.batches.values():
            batch.ready_at = 0.0
        time.sleep(2.0)  # past the killed run's store lease
        done = subprocess.run(command(config, requests, out), capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        got = results(out)
        batched = [r for r in got if r["tiergate"].get("batch_api")]
        assert batched and all(r["response"]["status_code"] == 200 for r in batched)
        assert max(openai_fake.batches.batch_runs.values()) == 1

        async def rows() -> list[Any]:
            conn = await asyncpg.connect(pg_url)
            try:
                return list(
                    await conn.fetch(
                        "SELECT prompt_tokens, completion_tokens, cost_pico, outcome "
                        "FROM tiergate.attempts WHERE provider = 'openai'"
                    )
                )
            finally:
                await conn.close()

        found = asyncio.run(rows())
        assert len(found) == len(batched)
        for prompt, completion, cost, outcome in found:
            assert outcome == "ok"
            assert cost == prompt * BATCH_INPUT_PICO + completion * BATCH_OUTPUT_PICO
    verify = subprocess.run(
        [sys.executable, "-m", "tiergate.cli", "audit", "--verify", "--config", str(config)],
        capture_output=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stdout.decode() + verify.stderr.decode()
