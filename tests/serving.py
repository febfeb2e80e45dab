"""`tiergate serve` as a subprocess for tests: start it, signal it, read its JSON log."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

START_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(what: str, ready: Callable[[], bool], *, timeout_s: float = 15.0) -> None:
    """Poll until ready() is true; fail the test, naming what, after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(0.02)


class Serve:
    """One `tiergate serve --config PATH`; stdout and stderr both go to `log`."""

    def __init__(
        self, config: Path, log: Path, *, level: str = "info", extra: tuple[str, ...] = ()
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tiergate.cli", "serve", "--config", str(config),
             "--port", str(self.port), "--log-level", level, *extra],
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + START_S
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=1).raise_for_status()
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the gateway did not start:\n" + log.read_text()) from None
                time.sleep(0.05)

    def signal(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def entries(self, **facts: Any) -> list[dict[str, Any]]:
        """The log's JSON lines that have all of `facts` (every line must be JSON)."""
        out = []
        for line in self.log.read_text().splitlines():
            if not line.strip():
                continue
            entry = orjson.loads(line)
            if facts.items() <= entry.items():
                out.append(entry)
        return out

    def wait_logged(self, count: int, *, timeout_s: float = 15.0, **facts: Any) -> None:
        wait_for(
            f"{count} log line(s) with {facts}",
            lambda: len(self.entries(**facts)) >= count,
            timeout_s=timeout_s,
        )

    def stop(self, *, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._out.close()
