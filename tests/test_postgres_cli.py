"""`tiergate check | migrate | spend | audit` on a PostgreSQL store, as an operator runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from .serving import free_port

CONFIG = """
store: {store}
providers:
  - name: local
    protocol: ollama
    base_url: http://127.0.0.1:9
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:3b"}}
"""


def tiergate(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiergate.cli", *args, "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
        env={"TIERGATE_LEDGER_KEY": "cli-test-key", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def with_password(url: str) -> str:
    return url.replace("postgres@", "postgres:s3cret-pw@", 1)  # trust auth: any password works


def test_check_and_migrate_report_the_schema_and_never_print_the_password(
    pg_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "tiergate.yaml"
    config.write_text(CONFIG.format(store=with_password(pg_url)))
    shown = pg_url.replace("postgres@", "postgres:***@", 1)

    before = tiergate(config, "check")
    assert before.returncode == 0, before.stderr
    assert f"store {shown}" in before.stdout
    assert (
        "store: not created yet (`tiergate serve` or `tiergate migrate` creates it)"
        in before.stdout
    )

    migrated = tiergate(config, "migrate")
    assert (migrated.returncode, migrated.stdout) == (0, f"{shown}: schema version 2\n")
    again = tiergate(config, "migrate")
    assert again.stdout == f"{shown}: schema version 2\n"

    after = tiergate(config, "check")
    assert "store: schema version 2 of 2" in after.stdout

    spend = tiergate(config, "spend", "--json")
    assert orjson.loads(spend.stdout)["total"]["requests"] == 0
    audit = tiergate(config, "audit", "--verify")
    assert "chain OK: 0 rows verified (keyed) in 0 chains" in audit.stdout
    for done in (before, migrated, after, spend, audit):
        assert "s3cret-pw" not in done.stdout + done.stderr


def test_check_names_an_unreachable_store_and_fails(tmp_path: Path) -> None:
    config = tmp_path / "tiergate.yaml"
    port = free_port()  # nothing listens there
    config.write_text(CONFIG.format(store=f"postgresql://tiergate:s3cret-pw@127.0.0.1:{port}/db"))
    done = tiergate(config, "check")
    assert done.returncode == 1
    assert f"cannot connect to the store at postgresql://tiergate:***@127.0.0.1:{port}/db" in (
        done.stderr
    )
    assert "s3cret-pw" not in done.stdout + done.stderr
