"""Logs are JSON lines that never hold prompts, answers, provider keys or tenant keys.

The real `tiergate serve` runs as a subprocess at debug level in front of three
FakeUpstreams, and every path that can log is driven through it: chats and
streams with PII and a secret in the prompt, embeddings, fallbacks, a provider
killed, a cut stream, an upstream error that echoes the prompt, 401s, bad JSON,
a 413, an unexpected error and a daily spend alert whose webhook is down.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.serving import wait_for
from tiergate.config import parse_config
from tiergate.logs import JsonFormatter
from tiergate.server import create_app
from tiergate.testing import FakeUpstream

EMAIL = "jane.roe@mercy-clinic.com"
SSN = "536-22-8451"
CARD = "4111 1111 1111 1111"
PROMPT_SECRET = "sk-proj-PROMPTSECRETzq81Lx0Vb7Nd4Rt2Wm9Kc"
PROMPT_WORDS = "plum-velvet-orchestra"  # in every prompt: any prompt text in a log shows up
ECHO = "canary-prompt-echo-5521"  # the cloud fake quotes this back in its 400 error
ANSWER = "simulated reply from"  # every FakeUpstream answer starts so
CLOUD_KEY = "sk-proj-KNOWNSECRETcloud7Hq2Zr9Lm4Xv1Tb8"
OPENAI_KEY = "sk-proj-KNOWNSECRETopenai3Fd6Yk0Pw5Ns2Jc"
TENANT_KEY = "tg-KNOWNTENANTKEY-4f9b2c7d1e8a6b3c"
ADMIN_KEY = "tg-KNOWNADMINKEY-9e2d5a8c1f4b7d0e"
WRONG_KEYS = ("tg-wrong-key-77x1q", "sk-proj-WRONGKEYSECRETuV3mQ8rT1yB6nH4")
WEBHOOK_TOKEN = "WEBHOOKTOKENxq3Zl9Kd2"

PII_PROMPT = f"{EMAIL} wrote about {PROMPT_WORDS}: SSN {SSN}, card {CARD}, key {PROMPT_SECRET}."
CLEAN_PROMPT = f"Write a careful essay about {PROMPT_WORDS} and the history of tea."
CRITICAL = {"quality": "critical", "complexity": "high"}
NEVER_LOGGED = (
    EMAIL,
    SSN,
    CARD,
    CARD.replace(" ", ""),
    PROMPT_SECRET,
    PROMPT_WORDS,
    ECHO,
    ANSWER,
    CLOUD_KEY,
    OPENAI_KEY,
    TENANT_KEY,
    ADMIN_KEY,
    *WRONG_KEYS,
    WEBHOOK_TOKEN,
)


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Fakes:
    local: FakeUpstream
    cloud: FakeUpstream
    openai: FakeUpstream


def write_config(path: Path, fakes: Fakes, store: Path) -> None:
    # Nothing listens on the webhook's port: the alert's delivery fails and says so.
    webhook = f"http://127.0.0.1:{free_port()}/hooks/{WEBHOOK_TOKEN}"
    path.write_text(f"""
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {fakes.local.url}
    tier: 1
    on_premises: true
    models: {{default: "llama3.2:3b", embedding: bge-m3}}
    timeout_s: 2
  - name: ollama_cloud
    protocol: ollama
    base_url: {fakes.cloud.url}
    api_key: {CLOUD_KEY}
    tier: 2
    models: {{default: "gpt-oss:120b"}}
    prices: {{default: {{input_per_mtok: 1.0, output_per_mtok: 1.0}}}}
    timeout_s: 2
  - name: openai
    protocol: openai
    base_url: {fakes.openai.openai_base_url}
    api_key: {OPENAI_KEY}
    tier: 3
    models: {{default: gpt-4o}}
    timeout_s: 2
    breaker_failures: 100
budget: {{daily_alert_usd: 0.000001, alert_webhook: "{webhook}"}}
privacy: {{detect: true}}
server: {{max_body_bytes: 4096}}
admin_api_key_sha256: "{sha(ADMIN_KEY)}"
tenants:
  - {{name: acme, api_key_sha256: "{sha(TENANT_KEY)}", mode: multi_cloud}}
""")


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with ExitStack() as stack:
        yield Fakes(
            local=stack.enter_context(FakeUpstream(name="local")),
            cloud=stack.enter_context(FakeUpstream(name="cloud")),
            openai=stack.enter_context(FakeUpstream(name="openai")),
        )


class Served:
    """`tiergate serve` as a subprocess; stdout and stderr both go to one log file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tiergate.cli", "serve", "--config", str(config),
             "--port", str(self.port), "--log-level", "debug"],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=1).raise_for_status()
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the gateway did not start:\n" + log.read_text()) from None
                time.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._out.close()
        return code


def chat(text: str, *, stream: bool = False, **hints: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "auto", "messages": [{"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
    if hints:
        body["tiergate"] = hints
    return body


def entries(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            pytest.fail(f"a log line is not JSON: {line[:200]!r}")
        assert isinstance(entry, dict), line
        assert {"ts", "level", "logger", "msg"} <= entry.keys(), line
        parsed.append(entry)
    return parsed


def test_a_run_through_every_logging_path_leaves_no_data_and_no_key_in_the_log(
    fakes: Fakes, tmp_path: Path
) -> None:
    config, log = tmp_path / "tiergate.yaml", tmp_path / "serve.log"
    write_config(config, fakes, tmp_path / "ledger.db")
    server = Served(config, log)
    seen: dict[str, httpx.Response] = {}
    try:
        auth = {"authorization": f"Bearer {TENANT_KEY}"}
        with httpx.Client(base_url=server.url, headers=auth, timeout=15) as client:

            def post(name: str, body: Any, path: str = "/v1/chat/completions", **kw: Any) -> None:
                if isinstance(body, bytes):
                    kw["content"] = body
                    kw.setdefault("headers", {})["content-type"] = "application/json"
                else:
                    kw["json"] = body
                seen[name] = client.post(path, **kw)

            post("pii", chat(PII_PROMPT, **CRITICAL))
            post("pii_stream", chat(PII_PROMPT, stream=True, **CRITICAL))
            post("clean", chat(CLEAN_PROMPT, **CRITICAL))  # paid: fires the daily alert
            post("clean_stream", chat(CLEAN_PROMPT, stream=True, **CRITICAL))
            post("embed", {"model": "auto", "input": [PII_PROMPT, CLEAN_PROMPT]}, "/v1/embeddings")
            fakes.openai.behaviour = "fail-500"
            post("fallback", chat(CLEAN_PROMPT, **CRITICAL))
            fakes.openai.behaviour = "ok"
            post("all_fail", chat(CLEAN_PROMPT + " [[fake:fail-500]]", **CRITICAL))
            post("cut", chat(CLEAN_PROMPT + " [[fake:cut-stream]]", stream=True, **CRITICAL))
            post("pii_cut", chat(PII_PROMPT + " [[fake:cut-stream]]", stream=True, **CRITICAL))
            post("echo", chat(f"{CLEAN_PROMPT} [[fake:{ECHO}]]", **CRITICAL))
            post("pii_echo", chat(f"{PII_PROMPT} [[fake:{ECHO}]]", **CRITICAL))
            for i, key in enumerate(("", *WRONG_KEYS)):
                post(
                    f"401_{i}", chat(PII_PROMPT), headers={"authorization": f"Bearer {key}".strip()}
                )
            post("bad_json", f'{{"model": "auto", "messages": [{{"content": "{PII_PROMPT}'.encode())
            post("too_large", chat(PII_PROMPT * 40))
            post(
                "odd_tool_call",  # not a dict: reaches the protocol encoder (an unexpected error today)
                {
                    "model": "auto",
                    "messages": [
                        {"role": "assistant", "content": None, "tool_calls": [PII_PROMPT]},
                        {"role": "user", "content": PII_PROMPT},
                    ],
                },
            )
            fakes.openai.stop()  # killed: connections are refused
            post("killed", chat(CLEAN_PROMPT, **CRITICAL))
            post("killed_stream", chat(CLEAN_PROMPT, stream=True, **CRITICAL))
        # The daily alert is checked by the store's heartbeat (once a second), not per request.
        wait_for("the daily alerts and their webhook's failure", lambda: _alerted(log) == ALERTED)
    finally:
        code = server.stop()
    text = log.read_text()
    assert code in (0, -signal.SIGTERM), text  # the server re-raises the signal once it is done

    # The requests did what the test means them to do.
    def status(name: str) -> int:
        return seen[name].status_code

    def served_by(name: str) -> str:
        return seen[name].headers.get("x-tiergate-provider", "")

    assert [status(n) for n in ("pii", "pii_stream", "clean", "clean_stream", "embed")] == [200] * 5
    assert served_by("pii") == served_by("pii_stream") == served_by("embed") == "local"
    assert served_by("clean") == served_by("clean_stream") == "openai"
    assert status("fallback") == 200 and seen["fallback"].headers["x-tiergate-attempts"] == (
        "openai,ollama_cloud"
    )
    assert status("all_fail") == 503
    assert status("cut") == status("pii_cut") == 200
    assert "stream_interrupted" in seen["cut"].text and "stream_interrupted" in seen["pii_cut"].text
    for name in ("echo", "pii_echo"):  # the upstream's 400, passed on: the client may see the echo
        assert status(name) in (400, 502) and ECHO in seen[name].text
    assert [status(f"401_{i}") for i in range(3)] == [401] * 3
    assert (status("bad_json"), status("too_large")) == (400, 413)
    assert status("killed") == status("killed_stream") == 200
    assert served_by("killed") == served_by("killed_stream") == "ollama_cloud"

    # Every line is JSON with the four fields, and none holds data or a key.
    logged = entries(text)
    for needle in NEVER_LOGGED:
        assert needle not in text, f"{needle!r} is in the log"
    assert "Bearer" not in text and "authorization" not in text.lower()

    # The paths did log, as facts.
    def lines(**facts: Any) -> list[dict[str, Any]]:
        return [e for e in logged if facts.items() <= e.items()]

    failed = lines(event="upstream.attempt_failed", level="warning")
    fallback_id = seen["fallback"].headers["x-tiergate-request-id"]
    assert lines(
        event="upstream.attempt_failed", request_id=fallback_id, attempt=1,
        provider="openai", kind="unavailable", status=500,
    )  # fmt: skip
    assert {(e["provider"], e["kind"]) for e in failed} >= {
        ("openai", "unavailable"),  # 500, then the killed provider's refused connections
        ("ollama_cloud", "unavailable"),
        ("local", "unavailable"),
        ("openai", "cut"),
        ("local", "cut"),
        ("openai", "rejected"),  # the 400 that echoed the prompt
        ("local", "rejected"),
    }
    assert all(set(e) <= {"ts", "level", "logger", "msg", "event", "request_id", "attempt",
                          "provider", "model", "kind", "status"} for e in failed)  # fmt: skip
    assert len(lines(event="upstream.attempt_failed", kind="unavailable", status=None)) >= 2
    alert = lines(event="tiergate.daily_spend_alert", level="warning")
    crossed = [scope for a in alert for scope in a["crossed"]]
    assert sorted(crossed) == sorted(ALERTED)  # once a day per scope (a heartbeat may group them)
    assert lines(event="budget.webhook_failed", error="ClientConnectorError")
    if status("odd_tool_call") == 500:
        assert lines(msg="unexpected error", level="error", path="/v1/chat/completions")
    else:  # once intake refuses it, it is a 400 like any other invalid request
        assert status("odd_tool_call") == 400
    assert lines(logger="tiergate.http", msg="Application startup complete.")
    assert not [e for e in logged if "color_message" in e]


ALERTED = ("provider:ollama_cloud", "provider:openai", "total")


def _alerted(log: Path) -> tuple[str, ...]:
    """The scopes alerted so far, once the webhook's failure for the last alert is logged too."""
    found = [orjson.loads(line) for line in log.read_text().splitlines() if "alert" in line]
    scopes = [
        s for e in found if e.get("event") == "tiergate.daily_spend_alert" for s in e["crossed"]
    ]
    failures = [e for e in found if e.get("event") == "budget.webhook_failed"]
    alerts = [e for e in found if e.get("event") == "tiergate.daily_spend_alert"]
    return tuple(sorted(scopes)) if len(failures) >= len(alerts) else ()


def test_the_formatter_keeps_exception_text_out() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tiergate.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"upstream said: {PII_PROMPT}")
        except ValueError as exc:
            logger.error("unexpected error", exc_info=True, extra={"path": "/v1/x"})
            # asyncio's handler puts the failed task's repr, with the exception's text, in the message.
            logger.error(
                f"Task exception was never retrieved\nfuture: <Task {exc!r}>", exc_info=exc
            )
        logger.warning("plain %s", "fact", extra={"provider": "openai", "status": 500})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for needle in (EMAIL, SSN, PROMPT_SECRET, PROMPT_WORDS):
        assert needle not in out
    first, second, third = entries(out)
    assert first["msg"] == "unexpected error" and first["path"] == "/v1/x"
    assert first["error"] == "ValueError" and first["where"][-1].startswith("test_logs.py:")
    assert second["msg"] == "Task exception was never retrieved"
    assert third == {**third, "msg": "plain fact", "level": "warning", "status": 500}
    assert "error" not in third


def test_an_unexpected_error_is_logged_without_its_text_and_answered_500() -> None:
    # An ASGI server whose receive() fails with request data in its message: the App's one
    # `except Exception` must answer 500 and log the type and place, not the text.
    config = parse_config(
        "providers: [{name: local, protocol: ollama, base_url: 'http://127.0.0.1:9', tier: 1, "
        "on_premises: true, models: {default: m}}]\nstore: 'sqlite://:memory:'",
        env={},
    )
    app = create_app(config)
    sent: list[dict[str, Any]] = []
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    server_log = logging.getLogger("tiergate.server")
    server_log.addHandler(handler)

    async def receive() -> dict[str, Any]:
        raise RuntimeError(f"connection broke while reading {PII_PROMPT}")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions",
                 "headers": [], "client": ("127.0.0.1", 5000), "query_string": b""}  # fmt: skip
        await app(scope, receive, send)

    try:
        asyncio.run(run())
    finally:
        server_log.removeHandler(handler)
    assert sent[0]["status"] == 500
    assert b"unexpected error" in sent[1]["body"] and PROMPT_WORDS.encode() not in sent[1]["body"]
    (entry,) = entries(stream.getvalue())
    assert entry["error"] == "RuntimeError" and entry["msg"] == "unexpected error"
    assert PROMPT_WORDS not in stream.getvalue()


BAD_CONFIG = """
providers:
  - name: local
    protocol: ollama
    base_url: "htps://admin:{url_token}@ollama.internal:11434"
    tier: 1
    on_premises: true
    models: {{default: m}}
  - name: openai
    protocol: openai
    base_url: https://api.openai.com/v1
    api_key: [{list_secret}]
    tier: 3
    models: {{default: gpt-4o}}
  - name: cloud
    protocol: ollama
    base_url: https://ollama.com
    api_key: {{value: {dict_secret}}}
    apikey: {typo_secret}
    tier: 2
    models: {{default: "gpt-oss:120b"}}
tenants:
  - {{name: acme, api_key_sha256: "{raw_tenant_key}"}}
admin_api_key_sha256: "{raw_admin_key}"
"""


def test_a_config_error_names_the_keys_and_prints_no_secret(tmp_path: Path) -> None:
    secrets = {
        "url_token": "URLTOKENsecret42",
        "list_secret": "sk-proj-LISTSECRETa1b2c3d4e5f6g7h8",
        "dict_secret": "sk-proj-DICTSECRETa1b2c3d4e5f6g7h8",
        "typo_secret": "sk-proj-TYPOSECRETa1b2c3d4e5f6g7h8",
        "raw_tenant_key": TENANT_KEY,
        "raw_admin_key": ADMIN_KEY,
    }
    path = tmp_path / "tiergate.yaml"
    path.write_text(BAD_CONFIG.format(**secrets))
    for command in ("check", "serve"):
        done = subprocess.run(
            [sys.executable, "-m", "tiergate.cli", command, "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2, done.stderr
        output = done.stdout + done.stderr
        for secret in secrets.values():
            assert secret not in output, f"{secret!r} printed by `tiergate {command}`"
        for where in ("providers[0].base_url", "providers[1].api_key", "providers[2].api_key",
                      "providers[2].apikey", "tenants[0].api_key_sha256", "admin_api_key_sha256"):  # fmt: skip
            assert where in done.stderr, (where, done.stderr)
        assert "htps://ollama.internal:11434" in done.stderr  # the URL's mistake stays visible


def test_uncaught_exceptions_and_warnings_become_json_lines_without_their_text() -> None:
    script = (
        "import threading, warnings\n"
        "from tiergate import logs\n"
        "logs.setup('debug')\n"
        "warnings.warn('deprecated call')\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='worker')\n"
        "t.start(); t.join()\n"
        f"raise RuntimeError({PII_PROMPT!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert PROMPT_WORDS not in done.stderr and EMAIL not in done.stderr
    warned, in_thread, uncaught = entries(done.stderr)
    assert warned["logger"] == "py.warnings" and "deprecated call" in warned["msg"]
    assert in_thread == {**in_thread, "error": "ZeroDivisionError", "in_thread": "worker"}
    assert uncaught == {**uncaught, "level": "critical", "error": "RuntimeError"}


def test_the_formatter_takes_exc_info_false_and_an_empty_tuple() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tiergate.test_logs.exc_info")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("no exception here", exc_info=False)
        record = logger.makeRecord(logger.name, logging.WARNING, "x", 1, "empty", (), None)
        record.exc_info = ()  # type: ignore[assignment]  # some libraries pass this
        handler.handle(record)
    finally:
        logger.removeHandler(handler)
    first, second = entries(stream.getvalue())
    assert first["msg"] == "no exception here" and "error" not in first
    assert second["msg"] == "empty" and "error" not in second


def test_the_500_answer_carries_a_request_id_and_gets_an_access_line() -> None:
    config = parse_config(
        "providers: [{name: local, protocol: ollama, base_url: 'http://127.0.0.1:9', tier: 1, "
        "on_premises: true, models: {default: m}}]\nstore: 'sqlite://:memory:'",
        env={},
    )
    app = create_app(config)
    sent: list[dict[str, Any]] = []
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("tiergate.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)

    async def receive() -> dict[str, Any]:
        raise RuntimeError("connection broke")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions",
                 "headers": [], "client": ("127.0.0.1", 5000), "query_string": b""}  # fmt: skip
        await app(scope, receive, send)

    try:
        asyncio.run(run())
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    assert sent[0]["status"] == 500
    request_id = dict(sent[0]["headers"])[b"x-tiergate-request-id"].decode()
    (line,) = entries(stream.getvalue())
    assert line == {**line, "event": "http.request", "request_id": request_id, "status": 500}


def test_an_endpoint_may_send_its_headers_as_any_iterable() -> None:
    """The exchange reads the response's headers twice (its facts, then whether the request id
    is there): headers given as a generator must still all reach the client, id added."""
    from tiergate.exchange import REQUEST_ID, handle
    from tiergate.shutdown import Shutdown

    sent: list[dict[str, Any]] = []

    async def dispatch(scope: dict[str, Any], receive: Any, send: Any) -> None:
        head = ((b"content-type", b"application/json"), (b"x-tiergate-rule", b"default"))
        await send({"type": "http.response.start", "status": 200, "headers": iter(head)})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    asyncio.run(handle(dispatch, scope, receive, send, shutdown=Shutdown(1.0)))
    names = [name for name, _ in sent[0]["headers"]]
    assert names == [b"content-type", b"x-tiergate-rule", REQUEST_ID]
    exchange = scope["tiergate.exchange"]
    assert (exchange.status, exchange.rule, exchange.content_type) == (
        200,
        "default",
        b"application/json",
    )
