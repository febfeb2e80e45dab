"""SIGHUP reloads the config under load: keys rotate with no failed request; a broken file is refused.

A real `tiergate serve` runs in front of FakeUpstreams; the OpenAI fake checks
the key it is sent (like the real one, it answers 401 to any other). A bounded
loop of requests with the official openai SDK (no retries, one kept-alive
connection) runs while the provider key (read from a secret file) and the
tenant key rotate, and while a broken config is refused.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import openai
import pytest

from tests.serving import Serve, wait_for
from tiergate.testing import FakeUpstream

PROVIDER_KEYS = ("sk-fake-provider-key-A-1a2b3c", "sk-fake-provider-key-B-4d5e6f")
TENANT_KEYS = ("tg-tenant-key-old-7g8h9i", "tg-tenant-key-new-0j1k2l")
MAX_REQUESTS = 5000  # the load loop's bound; it normally stops long before
CRITICAL = {"tiergate": {"quality": "critical", "complexity": "high"}}


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def write_config(
    path: Path,
    *,
    local: FakeUpstream,
    openai_fake: FakeUpstream,
    tenant_key: str,
    previous_keys: tuple[str, ...] = (),
    price_in: float = 2.5,
) -> None:
    previous = ", ".join(f'"{sha(k)}"' for k in previous_keys)
    path.write_text(f"""
store: sqlite:///{path.parent / "ledger.db"}
providers:
  - name: local
    protocol: ollama
    base_url: {local.url}
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:3b"}}
  - name: openai
    protocol: openai
    base_url: {openai_fake.openai_base_url}
    api_key_file: openai.key
    tier: 3
    models: {{default: gpt-4o}}
    prices: {{default: {{input_per_mtok: {price_in}, output_per_mtok: 10}}}}
    breaker_failures: 1000
tenants:
  - {{name: acme, api_key_sha256: "{sha(tenant_key)}", previous_api_key_sha256: [{previous}]}}
""")


@dataclass
class Load:
    """Requests in a loop from one thread until stopped; every failure is kept."""

    url: str
    key: str
    done: list[tuple[str, str]] = field(default_factory=list)  # (tenant key, provider)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        clients: dict[str, openai.OpenAI] = {}
        try:
            for i in range(MAX_REQUESTS):
                if self.stop.is_set():
                    return
                key = self.key
                if key not in clients:
                    clients[key] = openai.OpenAI(
                        base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=20
                    )
                try:
                    raw = clients[key].chat.completions.with_raw_response.create(
                        model="auto",
                        messages=[{"role": "user", "content": f"Plan step {i} of the rollout."}],
                        extra_body=CRITICAL,
                    )
                    raw.parse()
                except openai.APIError as exc:
                    self.failures.append(f"request {i} with {key[:12]}: {exc!r}")
                    continue
                provider = raw.headers["x-tiergate-provider"]
                if provider != "openai":  # a refused provider key would fall back: a failure too
                    self.failures.append(f"request {i} served by {provider}")
                self.done.append((key, provider))
        finally:
            for client in clients.values():
                client.close()

    def served_with(self, key: str) -> int:
        return sum(1 for k, _ in list(self.done) if k == key)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeUpstream, FakeUpstream]]:
    with ExitStack() as stack:
        local = stack.enter_context(FakeUpstream(name="local"))
        cloud = stack.enter_context(FakeUpstream(name="openai", api_keys=PROVIDER_KEYS[:1]))
        yield local, cloud


def presented(fake: FakeUpstream, key: str) -> int:
    return sum(1 for r in list(fake.received) if r.headers.get("authorization") == f"Bearer {key}")


def test_sighup_rotates_the_provider_key_and_a_tenant_key_under_load_and_refuses_a_broken_config(
    fakes: tuple[FakeUpstream, FakeUpstream], tmp_path: Path
) -> None:
    local, cloud = fakes
    config, key_file = tmp_path / "tiergate.yaml", tmp_path / "openai.key"
    key_file.write_text(PROVIDER_KEYS[0] + "\n")  # as secret files usually end
    write_config(config, local=local, openai_fake=cloud, tenant_key=TENANT_KEYS[0])
    server = Serve(config, tmp_path / "serve.log")
    load = Load(server.url, TENANT_KEYS[0])
    worker = threading.Thread(target=load.run, name="load")
    old_key, new_key = TENANT_KEYS
    try:
        worker.start()
        wait_for("requests with the first keys", lambda: load.served_with(old_key) >= 20)
        cost_before = _cost(server.url, old_key)

        # 1. The provider accepts both keys; the new config uses the new provider key, a new
        #    tenant key, the old tenant key as previous, and a higher price.
        cloud.api_keys = frozenset(PROVIDER_KEYS)
        key_file.write_text(PROVIDER_KEYS[1] + "\n")
        write_config(
            config, local=local, openai_fake=cloud, tenant_key=new_key,
            previous_keys=(old_key,), price_in=5.0,
        )  # fmt: skip
        server.signal(signal.SIGHUP)
        server.wait_logged(1, event="config.reloaded")
        wait_for("the new provider key upstream", lambda: presented(cloud, PROVIDER_KEYS[1]) > 0)
        cloud.api_keys = frozenset(PROVIDER_KEYS[1:])  # the old provider key is revoked
        seen_old = presented(cloud, PROVIDER_KEYS[0])
        load.key = new_key  # clients move to the new tenant key
        wait_for("requests with the new tenant key", lambda: load.served_with(new_key) >= 20)
        assert presented(cloud, PROVIDER_KEYS[0]) == seen_old  # nothing used it after revoking
        assert _cost(server.url, new_key) > cost_before  # the new price

        # 2. The old tenant key is dropped.
        write_config(config, local=local, openai_fake=cloud, tenant_key=new_key, price_in=5.0)
        server.signal(signal.SIGHUP)
        server.wait_logged(2, event="config.reloaded")
        refused = httpx.post(
            server.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {old_key}"},
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
        assert refused.status_code == 401, refused.text

        # 3. A broken config is refused; the running one keeps serving.
        config.write_text(config.read_text().replace("tier: 3", "tier: 7"))
        key_file.unlink()
        served = load.served_with(new_key)
        server.signal(signal.SIGHUP)
        server.wait_logged(1, event="config.reload_refused")
        wait_for(
            "requests after the refused reload", lambda: load.served_with(new_key) >= served + 20
        )
    finally:
        load.stop.set()
        worker.join(timeout=30)
        code = server.stop()
    assert not worker.is_alive()
    assert code == -signal.SIGTERM, server.log.read_text()[-2000:]
    assert load.failures == []
    assert cloud.rejected_keys == 0  # no request ever reached the provider with a revoked key
    assert len(load.done) >= 60
    (refusal,) = server.entries(event="config.reload_refused")
    problems = " ".join(refusal["problems"])
    assert "providers[1].tier" in problems and "openai.key" in problems
    assert PROVIDER_KEYS[1] not in server.log.read_text()


def _cost(url: str, key: str) -> float:
    answer = httpx.post(
        url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": "auto", "messages": [{"role": "user", "content": "price me"}], **CRITICAL},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-tiergate-provider"] == "openai"
    return float(answer.headers["x-tiergate-cost-usd"])


def test_a_reload_that_changes_the_store_keeps_the_running_one_and_says_a_restart_is_needed(
    fakes: tuple[FakeUpstream, FakeUpstream], tmp_path: Path
) -> None:
    local, cloud = fakes
    config = tmp_path / "tiergate.yaml"
    (tmp_path / "openai.key").write_text(PROVIDER_KEYS[0])
    write_config(config, local=local, openai_fake=cloud, tenant_key=TENANT_KEYS[0])
    server = Serve(config, tmp_path / "serve.log")
    try:
        moved = config.read_text().replace("ledger.db", "other.db")
        config.write_text(moved.replace("tiergate.yaml", ""))
        server.signal(signal.SIGHUP)
        server.wait_logged(1, event="config.reloaded")
        answer = httpx.post(
            server.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {TENANT_KEYS[0]}"},
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    finally:
        server.stop()
    (warning,) = server.entries(event="config.restart_needed")
    assert warning["keys"] == ["store"]
    assert not (tmp_path / "other.db").exists()


def test_sighup_applies_a_lowered_cap_at_once_and_a_raised_one_too(
    fakes: tuple[FakeUpstream, FakeUpstream], tmp_path: Path
) -> None:
    local, cloud = fakes
    config = tmp_path / "tiergate.yaml"
    (tmp_path / "openai.key").write_text(PROVIDER_KEYS[0])
    key = TENANT_KEYS[0]

    def write(cap_usd: str) -> None:
        write_config(config, local=local, openai_fake=cloud, tenant_key=key)
        text = config.read_text().replace(
            "previous_api_key_sha256: []", f"monthly_budget_usd: {cap_usd}"
        )
        config.write_text(text + "budget: {on_exceeded: reject}\n")

    def ask() -> httpx.Response:
        return httpx.post(
            server.url + "/v1/chat/completions",
            headers={"authorization": f"Bearer {key}"},
            json={"model": "auto", "messages": [{"role": "user", "content": "plan"}], **CRITICAL},
            timeout=10,
        )

    write("50")
    server = Serve(config, tmp_path / "serve.log")
    try:
        assert ask().status_code == 200
        write("0.000001")
        server.signal(signal.SIGHUP)
        server.wait_logged(1, event="config.reloaded")
        refused = ask()
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "budget_exhausted"
        assert "tenant 'acme'" in refused.json()["error"]["message"]
        write("50")
        server.signal(signal.SIGHUP)
        server.wait_logged(2, event="config.reloaded")
        assert ask().status_code == 200
    finally:
        server.stop()


def test_sighup_reaches_every_worker(
    fakes: tuple[FakeUpstream, FakeUpstream], tmp_path: Path
) -> None:
    local, cloud = fakes
    config = tmp_path / "tiergate.yaml"
    (tmp_path / "openai.key").write_text(PROVIDER_KEYS[0])
    old_key, new_key = TENANT_KEYS
    write_config(config, local=local, openai_fake=cloud, tenant_key=old_key)
    server = Serve(config, tmp_path / "serve.log", extra=("--workers", "2"))
    try:
        server.wait_logged(2, msg="Application startup complete.")
        write_config(config, local=local, openai_fake=cloud, tenant_key=new_key)
        server.signal(signal.SIGHUP)  # to the supervisor, which passes it on
        server.wait_logged(2, event="config.reloaded")
        # Each request on a fresh connection: whichever worker accepts it knows only the new key.
        for key, expected in [(new_key, 200), (old_key, 401)] * 5:
            answer = httpx.post(
                server.url + "/v1/chat/completions",
                headers={"authorization": f"Bearer {key}", "connection": "close"},
                json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
                timeout=10,
            )
            assert answer.status_code == expected, answer.text
    finally:
        server.stop()
    assert len(server.entries(event="config.reloaded")) == 2
