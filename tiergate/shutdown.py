"""Graceful shutdown: SIGTERM gives requests in flight `server.shutdown_grace_s` to finish.

The server (httpd.py) stops accepting connections on SIGTERM and waits for the open
ones; left alone, after its timeout it cancels what is still running and the client gets a
plain-text 500 or a stream cut without a word. Instead, when the grace is over,
every request still in flight is cancelled *by us*, marked, and answered in its
own API's terms: a request still waiting gets the OpenAI error envelope (503
`llm_unavailable`), a stream gets the same error event a broken upstream stream
gets (`stream_interrupted`) and no `[DONE]`. The server's own timeout is set a
little longer, so these answers always leave before it cancels anything.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import orjson

from .errors import TiergateError
from .logs import Exchange

log = logging.getLogger("tiergate.shutdown")

SIGNALS = (signal.SIGTERM, signal.SIGINT)
# What the server (httpd.py) waits beyond the grace before it cancels on its own.
SERVER_MARGIN_S = 5.0
SHUTDOWN = "shutdown"

_Handler = Callable[[int, FrameType | None], Any] | int | None


class ShuttingDown(TiergateError):
    """503 for a request the gateway could not finish before it stopped."""

    status_code = 503
    code = "llm_unavailable"
    retryable = True


def interrupted_message(grace_s: float) -> str:
    return (
        f"tiergate is shutting down and this request did not finish within its "
        f"{grace_s:g}s grace (server.shutdown_grace_s); nothing more will come. Retry the request."
    )


def interruption(content_type: bytes, grace_s: float) -> bytes:
    """The last bytes of a stream cut by the shutdown, in the stream's own format."""
    message = interrupted_message(grace_s)
    if content_type.startswith(b"application/x-ndjson"):
        return orjson.dumps({"error": message}, option=orjson.OPT_APPEND_NEWLINE)  # Ollama's
    error = {
        "message": message,
        "type": "server_error",
        "param": None,
        "code": "stream_interrupted",
    }
    return b"data: " + orjson.dumps({"error": error}) + b"\n\n"


class Shutdown:
    """Knows the requests in flight and ends them well when the grace runs out."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.draining = False  # a stop signal arrived: finish what is in flight
        self.expired = False  # the grace is over: whatever is left is answered 503 now
        self._active: dict[asyncio.Task[Any], Exchange] = {}
        self._previous: dict[int, _Handler] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def install(self) -> None:
        """Listen for SIGTERM/SIGINT next to the server's own handlers (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return  # an embedded server (tests, the demo): its owner stops it
        self._loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._signalled)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._timer is not None:
            self._timer.cancel()

    def _signalled(self, sig: int, frame: FrameType | None) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.begin)
        previous = self._previous.get(sig)
        if callable(previous):
            previous(sig, frame)  # the server's own handler: stop accepting, then wait

    def begin(self) -> None:
        """Start the grace period (idempotent)."""
        if self.draining:
            return
        self.draining = True
        log.info(
            "stopping: requests in flight have their grace to finish",
            extra={"event": "server.draining", "in_flight": len(self._active),
                   "grace_s": self.grace_s},
        )  # fmt: skip
        self._timer = asyncio.get_running_loop().call_later(self.grace_s, self.expire)

    def expire(self) -> None:
        """The grace is over: cancel what is left, marked so each gets its proper answer."""
        self.expired = True
        if self._active:
            log.warning(
                "grace over: answering the requests still in flight",
                extra={"event": "server.grace_expired", "in_flight": len(self._active)},
            )
        for task, exchange in list(self._active.items()):
            exchange.outcome = SHUTDOWN
            task.cancel()

    def enter(self, exchange: Exchange) -> asyncio.Task[Any] | None:
        """Track the current request until leave(); its task is what expire() cancels."""
        task = asyncio.current_task()
        if task is not None:
            self._active[task] = exchange
        return task

    def leave(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._active.pop(task, None)
