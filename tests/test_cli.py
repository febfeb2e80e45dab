"""The `tiergate` command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tiergate.config import load_config, parse_config
from tiergate.errors import ConfigError


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiergate.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


GOOD = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: http://127.0.0.1:11434
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:8b", embedding: "bge-m3"}}
  - name: ollama_cloud
    protocol: ollama
    base_url: https://ollama.com
    api_key: ${{OLLAMA_API_KEY}}
    tier: 2
    models: {{default: "gpt-oss:120b"}}
    prices: {{default: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}
    monthly_budget_usd: 120
  - name: openai
    protocol: openai
    base_url: https://api.openai.com/v1
    api_key: ${{OPENAI_API_KEY:-sk-from-default}}
    tier: 3
    models: {{default: gpt-4o, extraction: gpt-4o-mini, code_generation: gpt-4o}}
    monthly_budget_usd: 80
    timeout_s: 60
budget: {{monthly_total_usd: 200, daily_alert_usd: 10, on_exceeded: fallback}}
privacy: {{sensitive: [pii, hipaa, confidential, legal], detect: true}}
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "tiergate.yaml"
    path.write_text(GOOD.format(store=tmp_path / "ledger.db"))
    return path


def test_check_accepts_the_design_example_and_reports_a_keyless_provider_as_down(
    good: Path,
) -> None:
    result = run("check", "--config", str(good), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "ollama_cloud" in result.stdout
    line = next(x for x in result.stdout.splitlines() if "ollama_cloud" in x and "tier" in x)
    assert "DOWN" in line
    openai_line = next(x for x in result.stdout.splitlines() if " openai " in x and "tier" in x)
    assert "up" in openai_line  # the ${VAR:-default} expansion gave it a key
    assert "2.5" in result.stdout  # gpt-4o's price from the bundled table


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("tier: 3", "tier: 4"), "providers[2].tier: Input should be less than or equal to 3"),
        (("tier: 3", "tier: three"), "providers[2].tier"),
        (
            ("timeout_s: 60", "timeout_s: 60\n    tiemout_s: 5"),
            "providers[2].tiemout_s: unknown key; allowed here:",
        ),
        (
            ("protocol: openai", "protocol: grpc"),
            "providers[2].protocol: Input should be 'ollama', 'openai', 'anthropic' or 'azure'",
        ),
        (("on_exceeded: fallback", "on_exceeded: explode"), "budget.on_exceeded"),
        (("default: gpt-4o,", "defualt: gpt-4o,"), "providers[2].models"),
        (("sensitive: [pii,", "sensitive: [secret, pii,"), "privacy.sensitive[0]"),
        (
            ("base_url: https://ollama.com", "base_url: ollama.com"),
            "providers[1].base_url: expected an http",
        ),
        (("name: openai", "name: local"), "providers[2].name: 'local' is used twice"),
        (
            ("models: {default: gpt-4o,", "models: {default: my-private-model,"),
            "no price for model 'my-private-model'",
        ),
    ],
)
def test_check_names_the_key_and_the_fix(
    good: Path, change: tuple[str, str], expected: str
) -> None:
    good.write_text(good.read_text().replace(*change, 1))
    result = run("check", "--config", str(good))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_check_on_a_missing_file_and_on_broken_yaml(tmp_path: Path) -> None:
    result = run("check", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "cannot read the config file" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("providers: [\n  - name: x\n")
    result = run("check", "--config", str(broken))
    assert result.returncode == 2 and "not valid YAML at line" in result.stderr


def test_env_expansion_cannot_inject_structure() -> None:
    config = parse_config(
        GOOD.format(store="/tmp/x.db"),
        env={"OLLAMA_API_KEY": "k\nproviders: []", "OPENAI_API_KEY": ""},
    )
    assert config.provider("ollama_cloud").api_key == "k\nproviders: []"
    assert config.provider("openai").api_key == "sk-from-default"  # empty counts as unset for :-
    assert len(config.providers) == 3


def test_a_config_error_never_echoes_a_secret(good: Path) -> None:
    good.write_text(
        good.read_text().replace(
            "api_key: ${OPENAI_API_KEY:-sk-from-default}", "api_key: [sk-live-SECRET123]"
        )
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(good.read_text(), env={})
    assert "providers[2].api_key" in str(caught.value)
    assert "SECRET123" not in str(caught.value)


def test_tenant_references_are_checked() -> None:
    text = (
        GOOD.format(store="/tmp/x.db")
        + f"""
tenants:
  - {{name: clinic, api_key_sha256: "{"a" * 64}", mode: local_only, allowed_providers: [local, nowhere]}}
"""
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert "tenants[0].allowed_providers[1]: no provider named 'nowhere'" in str(caught.value)


CRITICAL = ("--quality", "critical", "--complexity", "high")


def test_route_prints_the_decision_and_trace_without_calling_anyone(good: Path) -> None:
    result = run(
        "route",
        "--config",
        str(good),
        "--prompt",
        "Email jane@corp.example about the contract",
        "--quality",
        "critical",
        "--complexity",
        "high",
    )
    assert result.returncode == 0, result.stderr
    assert "classification: pii (detector:email)" in result.stdout
    assert "rule:           sensitive" in result.stdout
    assert "openai: removed as sensitive" in result.stdout
    result = run(
        "route", "--config", str(good), "--prompt", "Plan a migration", *CRITICAL, "--json"
    )
    assert '"rule": "critical"' in result.stdout
    assert '"provider": "openai"' in result.stdout


def test_keys_new_prints_a_key_and_its_hash(tmp_path: Path) -> None:
    result = run("keys", "new", "--tenant", "clinic")
    assert result.returncode == 0
    key = result.stdout.split("): ", 1)[1].split()[0]
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert f"api_key_sha256: {digest}" in result.stdout
    again = run("keys", "new", "--tenant", "clinic")
    assert again.stdout.split("): ", 1)[1].split()[0] != key


def test_serve_refuses_a_public_address_without_tenants(good: Path) -> None:
    result = run("serve", "--config", str(good), "--host", "0.0.0.0", timeout=30)
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_demo_runs_end_to_end_and_leaves_nothing_running() -> None:
    result = run("demo", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "SIMULATED" in out
    assert "openai > ollama_cloud" in out  # the outage fell back
    assert "0 sensitive requests left the premises" in out
    for rule in ("default", "quality_or_batch", "critical", "sensitive", "embedding"):
        assert rule in out
    assert re.search(r"same question, temperature 0 \(2nd\).* 0 +hit", out)  # the cache hit
    assert re.search(r"critical-1 .* openai .* batch API", out)  # the batch file run
    assert "savings at the simulated prices" in out


def test_route_consults_the_budgets(good: Path) -> None:
    good.write_text(good.read_text().replace("monthly_budget_usd: 80", "monthly_budget_usd: 0"))
    result = run("route", "--config", str(good), "--prompt", "Plan a migration", *CRITICAL)
    assert result.returncode == 0, result.stderr
    assert "rule:           budget" in result.stdout
    assert "openai: removed by budget, provider:openai has 0 pico-USD left" in result.stdout


def test_the_shipped_example_config_passes_check() -> None:
    example = Path(__file__).parent.parent / "examples" / "tiergate.yaml"
    result = run("check", "--config", str(example), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "openai" in result.stdout and "DOWN" in result.stdout  # no keys in this environment


def test_a_long_string_in_the_wrong_place_is_described_not_echoed(good: Path) -> None:
    good.write_text(
        good.read_text().replace("tier: 3", "tier: sk-proj-PASTEDINTHEWRONGPLACE0123456789", 1)
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(good.read_text(), env={})
    assert "providers[2].tier" in str(caught.value)
    assert "PASTED" not in str(caught.value)
    assert "39-character string" in str(caught.value)


def test_version_and_bare_tiergate_prints_help() -> None:
    from tiergate import __version__

    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"tiergate {__version__}"
    bare = run()
    assert bare.returncode == 0, bare.stderr  # documented: bare `tiergate` is a request for help
    assert bare.stdout.startswith("usage: tiergate")
    for command in ("serve", "check", "route", "spend", "audit", "keys", "demo"):
        assert command in bare.stdout
    assert bare.stderr == ""


FILE_SECRET = "sk-proj-FROMAFILEq8Zr2Lm5Xv1Tb7Hc"


def test_secrets_come_from_files_with_the_trailing_newline_dropped(good: Path) -> None:
    secrets_dir = good.parent / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "openai").write_text(FILE_SECRET + "\n")
    (secrets_dir / "ollama").write_text("ollama-key-from-file\r\n")
    text = good.read_text().replace(
        "api_key: ${OPENAI_API_KEY:-sk-from-default}", "api_key_file: secrets/openai"
    )
    text = text.replace("${OLLAMA_API_KEY}", "${file:" + str(secrets_dir / "ollama") + "}")
    good.write_text(text)
    config = load_config(good, env={})
    assert config.provider("openai").api_key == FILE_SECRET  # relative to the config file
    assert config.provider("ollama_cloud").api_key == "ollama-key-from-file"
    result = run("check", "--config", str(good), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "DOWN" not in result.stdout  # both cloud providers have their keys now
    assert FILE_SECRET not in result.stdout + result.stderr


def test_a_value_from_a_file_is_never_expanded_again_nor_echoed(good: Path) -> None:
    (good.parent / "tier").write_text("${OPENAI_API_KEY} " + FILE_SECRET)
    good.write_text(good.read_text().replace("tier: 3", "tier: ${file:tier}"))
    with pytest.raises(ConfigError) as caught:
        load_config(good, env={"OPENAI_API_KEY": "sk-env-SECRET"})
    assert "providers[2].tier: the value read from a secret file is not valid here" in str(
        caught.value
    )
    assert FILE_SECRET not in str(caught.value) and "sk-env-SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("api_key: ${OPENAI_API_KEY:-sk-from-default}", "api_key_file: /run/secrets/absent"),
            "providers[2].api_key_file: cannot read the secret file /run/secrets/absent "
            "(No such file or directory)",
        ),
        (
            ("${OLLAMA_API_KEY}", "${file:/run/secrets/absent-too}"),
            "providers[1].api_key: cannot read the secret file /run/secrets/absent-too",
        ),
        (
            ("api_key: ${OPENAI_API_KEY:-sk-from-default}", "api_key: x\n    api_key_file: y"),
            "providers[2].api_key_file: set api_key or api_key_file, not both",
        ),
    ],
)
def test_an_unreadable_secret_file_names_the_key_and_the_path(
    good: Path, change: tuple[str, str], expected: str
) -> None:
    good.write_text(good.read_text().replace(*change))
    good.write_text(good.read_text().replace("tier: 3", "tier: 9"))  # reported along with it
    result = run("check", "--config", str(good))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "providers[2].tier" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_probe_asks_each_provider_for_its_models_and_sends_no_prompt(
    tmp_path: Path,
) -> None:
    from tests.serving import free_port
    from tiergate.testing import FakeUpstream

    with (
        FakeUpstream(name="local") as local,
        FakeUpstream(name="openai", api_keys=["sk-probe-good"]) as cloud,
    ):
        path = tmp_path / "tiergate.yaml"

        def write(openai_key: str, dead_url: str | None) -> None:
            dead = (
                f"""
  - name: gone
    protocol: ollama
    base_url: {dead_url}
    tier: 2
    api_key: k
    models: {{default: m}}
    prices: {{default: {{input_per_mtok: 1}}}}"""
                if dead_url
                else ""
            )
            path.write_text(f"""
store: sqlite:///{tmp_path / "ledger.db"}
providers:
  - name: local
    protocol: ollama
    base_url: {local.url}
    tier: 1
    on_premises: true
    models: {{default: m}}
  - name: openai
    protocol: openai
    base_url: {cloud.openai_base_url}
    api_key: {openai_key}
    tier: 3
    models: {{default: gpt-4o}}{dead}
""")

        write("sk-probe-good", None)
        result = run("check", "--config", str(path), "--probe")
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert any(line.split()[:2] == ["local", "OK"] for line in lines), result.stdout
        assert any(line.split()[:2] == ["openai", "OK"] for line in lines), result.stdout
        assert "no prompt sent" in result.stdout

        write("sk-probe-wrong", f"http://127.0.0.1:{free_port()}")
        result = run("check", "--config", str(path), "--probe", "--probe-timeout", "3")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "HTTP 401 (the api_key was refused)" in result.stdout
        assert "cannot connect to http://127.0.0.1:" in result.stdout
        assert "sk-probe" not in result.stdout + result.stderr

        requests = [*local.received, *cloud.received]
        assert {(r.method, r.path) for r in requests} == {
            ("GET", "/api/tags"),
            ("GET", "/v1/models"),
        }
        assert all(not r.raw for r in requests)  # nothing was sent but the question
        assert {r.headers.get("authorization") for r in cloud.received} == {
            "Bearer sk-probe-good",
            "Bearer sk-probe-wrong",
        }
