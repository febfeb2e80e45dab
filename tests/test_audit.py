"""`tiergate audit --verify` and `tiergate spend` as a user runs them, over a ledger the real server wrote.

A mixed workload goes through the gateway (sensitive prompts, detected or
labelled, stay on premises; clean ones reach the cloud), then the CLI reports
it from another working directory (the relative store path belongs to the
config file). The chain is keyed (TIERGATE_LEDGER_KEY): a row edited or
deleted by hand, or a head rewritten to hide deleted rows, makes
`audit --verify` fail.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from tiergate.config import load_config
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

CRITICAL = {"quality": "critical", "complexity": "high"}
KEY = "audit-test-ledger-key"
SENSITIVE = ("confidential", "pii", "hipaa", "legal")
# (prompt, label, where it must be served, its classification)
WORKLOAD = [
    ("jane.roe@mercy-clinic.com asked for her results", None, "local", "pii"),
    ("Patient SSN 536-22-8451, please draft the letter", None, "local", "pii"),
    ("Refund card 4111 1111 1111 1111 today", None, "local", "pii"),
    ("Use key sk-proj-Zq81Lx0Vb7Nd4Rt2Wm9KcPa3 to deploy", None, "local", "confidential"),
    ("Summarise the discharge notes for ward 4", "hipaa", "local", "hipaa"),
    ("Draft the settlement terms for the dispute", "legal", "local", "legal"),
    ("Explain the history of tea in three paragraphs", None, "openai", "internal"),
    ("Write a haiku about autumn leaves", "public", "openai", "public"),
    ("Compare quicksort and mergesort for linked lists", None, "openai", "internal"),
]


@dataclass
class Run:
    config: Path
    store: Path
    served: list[tuple[str, str]]  # (provider, classification) per request, from the headers
    cloud_received: tuple[int, int]  # what ollama_cloud's and openai's fakes got
    elsewhere: Path  # a working directory that is not the config's


def cli(
    *args: str, cwd: Path | None = None, key: str | None = KEY
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIERGATE_LEDGER_KEY"}
    if key is not None:
        env["TIERGATE_LEDGER_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "tiergate.cli", *args],
        capture_output=True, text=True, timeout=60, cwd=cwd, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("audit")
    store, path = tmp / "ledger.db", tmp / "tiergate.yaml"
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    with ExitStack() as stack:
        local = stack.enter_context(FakeUpstream(name="local"))
        cloud = stack.enter_context(FakeUpstream(name="cloud"))
        oai = stack.enter_context(FakeUpstream(name="openai"))
        path.write_text(f"""
store: sqlite:///ledger.db
providers:
  - {{name: local, protocol: ollama, base_url: "{local.url}", tier: 1, on_premises: true,
      models: {{default: "llama3.2:3b", embedding: bge-m3}}, timeout_s: 2}}
  - {{name: ollama_cloud, protocol: ollama, base_url: "{cloud.url}", api_key: cloud-key, tier: 2,
      models: {{default: "gpt-oss:120b"}}, monthly_budget_usd: 120, timeout_s: 2,
      prices: {{default: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}}}
  - {{name: openai, protocol: openai, base_url: "{oai.openai_base_url}", api_key: openai-key,
      tier: 3, models: {{default: gpt-4o}}, monthly_budget_usd: 80, timeout_s: 2}}
budget: {{monthly_total_usd: 200}}
privacy: {{detect: true}}
""")
        served: list[tuple[str, str]] = []
        config = load_config(path, env={"TIERGATE_LEDGER_KEY": KEY})
        assert config.store == f"sqlite:///{store}"  # relative to the config file
        with BackgroundServer(create_app(config)) as server:
            client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)

            def send(prompt: str, label: str | None) -> None:
                hints: dict[str, Any] = {**CRITICAL, **({"classification": label} if label else {})}
                response = client.chat.completions.with_raw_response.create(
                    model="auto",
                    messages=[{"role": "user", "content": prompt}],
                    extra_body={"tiergate": hints},
                )
                served.append(
                    (
                        response.headers["x-tiergate-provider"],
                        response.headers["x-tiergate-classification"],
                    )
                )

            for prompt, label, _, _ in WORKLOAD:
                send(prompt, label)
            oai.behaviour = "fail-503"  # one clean request falls back: two cloud attempts
            send("Outline a talk about sourdough starters", None)
            oai.behaviour = "ok"
            embedded = client.embeddings.with_raw_response.create(
                model="auto", input=["Call +44 20 7946 0958 about the invoice"]
            )
            served.append(
                (
                    embedded.headers["x-tiergate-provider"],
                    embedded.headers["x-tiergate-classification"],
                )
            )
        yield Run(path, store, served, (cloud.count(), oai.count()), elsewhere)


def table(output: str) -> dict[str, tuple[str, int, int]]:
    """The audit's classification table: {classification: (sensitive, requests, egress)}."""
    rows = {}
    for line in output.splitlines():
        m = re.fullmatch(r"(\w+)\s+(yes|no)\s+(\d+)\s+(\d+)", line.strip())
        if m:
            rows[m[1]] = (m[2], int(m[3]), int(m[4]))
    return rows


def test_the_workload_went_where_its_classification_allows(run: Run) -> None:
    expected = [(where, cls) for _, _, where, cls in WORKLOAD]
    assert run.served == [*expected, ("ollama_cloud", "internal"), ("local", "pii")]
    assert run.cloud_received == (1, 4)  # openai: three clean requests and the one that failed


def test_audit_verify_counts_requests_per_classification_and_egress(run: Run) -> None:
    done = cli("audit", "--config", str(run.config), "--verify", cwd=run.elsewhere)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = table(done.stdout)
    assert rows == {
        "public": ("no", 1, 1),
        "internal": ("no", 3, 3),
        "confidential": ("yes", 1, 0),
        "pii": ("yes", 4, 0),
        "hipaa": ("yes", 1, 0),
        "legal": ("yes", 1, 0),
    }
    assert all(rows[c][2] == 0 for c in SENSITIVE)
    assert "No sensitive request left the premises." in done.stdout
    assert re.search(r"^chain OK: 12 rows verified with the ledger key", done.stdout, re.M), (
        done.stdout
    )
    # What set each classification: label or detector kind, never the matched text.
    assert re.search(r"^detector:email\s+1$", done.stdout, re.M)
    assert re.search(r"^label\s+3$", done.stdout, re.M)
    assert "jane.roe" not in done.stdout and "536-22" not in done.stdout
    month = cli("audit", "--config", str(run.config), "--month", "1999-01")
    assert month.returncode == 0 and all(r[1] == 0 for r in table(month.stdout).values())
    assert not (run.elsewhere / "ledger.db").exists()  # nothing opened beside the cwd


def test_verify_needs_the_key_that_wrote_the_chain(run: Run, tmp_path: Path) -> None:
    keyless = cli("audit", "--config", str(run.config), "--verify", key=None)
    assert keyless.returncode == 1
    assert "CHAIN BROKEN" in keyless.stdout and "TIERGATE_LEDGER_KEY" in keyless.stdout
    wrong = cli("audit", "--config", str(run.config), "--verify", key="a guess")
    assert wrong.returncode == 1 and "configured key" in wrong.stdout
    # The same key from a file named in the config (relative to the config file) verifies too.
    (tmp_path / "ledger.key").write_text(KEY + "\n")
    config = tmp_path / "keyfile.yaml"
    config.write_text(
        run.config.read_text().replace(
            "store: sqlite:///ledger.db",
            f"store: sqlite:///{run.store}\nledger_key_file: ledger.key",
        )
    )
    from_file = cli("audit", "--config", str(config), "--verify", key=None)
    assert from_file.returncode == 0 and "chain OK" in from_file.stdout, from_file.stdout


def tampered(run: Run, tmp_path: Path, *statements: str) -> Path:
    """A copy of the ledger changed by hand, and a config that points at it."""
    copy = tmp_path / "tampered.db"
    source = sqlite3.connect(run.store)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.execute("DROP TRIGGER attempts_no_update")
    target.execute("DROP TRIGGER attempts_no_delete")
    for sql in statements:
        assert target.execute(sql).rowcount >= 1, sql
    target.commit()
    target.close()
    config = tmp_path / "tampered.yaml"
    config.write_text(
        run.config.read_text().replace("sqlite:///ledger.db", "sqlite:///tampered.db")
    )
    return config


HIDE_LAST = (
    "UPDATE chain_head SET last_id = last_id - 1, last_hash = "
    "(SELECT hash FROM attempts WHERE id = (SELECT MAX(id) FROM attempts))"
)
EDITS = {
    "cost": ["UPDATE attempts SET cost_pico = cost_pico - 1 "
             "WHERE id = (SELECT MIN(id) FROM attempts WHERE cost_pico > 0)"],
    "classification": ["UPDATE attempts SET classification = 'public', classification_source ="
                       " 'label' WHERE id = (SELECT MIN(id) FROM attempts WHERE "
                       "classification = 'pii')"],
    "egress": ["UPDATE attempts SET egress = 0 WHERE id = "
               "(SELECT MAX(id) FROM attempts WHERE egress)"],
    "delete_middle": ["DELETE FROM attempts WHERE id = 5"],
    "delete_last": ["DELETE FROM attempts WHERE id = (SELECT MAX(id) FROM attempts)"],
    # Deleted trailing rows with the head pointed at the new last row: only the head's MAC tells.
    "rewritten_head": ["DELETE FROM attempts WHERE id = (SELECT MAX(id) FROM attempts)", HIDE_LAST],
    "head_only": ["UPDATE chain_head SET last_hash = 'ab' || substr(last_hash, 3)"],
}  # fmt: skip
FOUND = {
    "delete_last": "rows were deleted from or added at the end",
    "head_only": "rows were deleted from or added at the end",
    "rewritten_head": "the head was rewritten",
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_row_deleted_rows_or_a_rewritten_head_break_the_chain(
    run: Run, tmp_path: Path, edit: str
) -> None:
    config = tampered(run, tmp_path, *EDITS[edit])
    done = cli("audit", "--config", str(config), "--verify")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CHAIN BROKEN" in done.stdout and "chain OK" not in done.stdout
    assert FOUND.get(edit, "does not match the chain") in done.stdout
    # Without --verify the (tampered) counts still print and the exit says nothing of the chain.
    assert cli("audit", "--config", str(config)).returncode == 0


def test_spend_json_has_the_documented_shape_and_the_table_names_every_provider(run: Run) -> None:
    done = cli("spend", "--config", str(run.config), "--json", cwd=run.elsewhere)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout, parse_float=Decimal)  # exact figures, as printed
    assert set(report) == {"month", "providers", "total", "projection_usd", "cache"}
    assert re.fullmatch(r"\d{4}-\d{2}", report["month"])
    line = {"spent_usd", "reserved_usd", "budget_usd", "requests"}
    assert list(report["providers"]) == ["local", "ollama_cloud", "openai"]
    assert all(set(v) == line for v in report["providers"].values())
    assert set(report["total"]) == line
    providers = report["providers"]
    assert [providers[p]["requests"] for p in providers] == [7, 1, 4]
    assert providers["local"]["spent_usd"] == 0 and providers["local"]["budget_usd"] is None
    assert providers["openai"]["spent_usd"] > 0 and providers["ollama_cloud"]["spent_usd"] > 0
    assert (providers["openai"]["budget_usd"], providers["ollama_cloud"]["budget_usd"]) == (80, 120)
    assert all(v["reserved_usd"] == 0 for v in providers.values())  # everything settled
    assert report["total"]["requests"] == 11 and report["total"]["budget_usd"] == 200
    assert report["total"]["spent_usd"] == (
        providers["openai"]["spent_usd"] + providers["ollama_cloud"]["spent_usd"]
    )
    assert report["projection_usd"] >= report["total"]["spent_usd"]

    plain = cli("spend", "--config", str(run.config))
    assert plain.returncode == 0, plain.stderr
    for name in ("local", "ollama_cloud", "openai", "total"):
        assert re.search(rf"^{name}\s+\d", plain.stdout, re.M), (name, plain.stdout)
    assert f"Spend for {report['month']}" in plain.stdout
