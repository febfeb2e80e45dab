"""Structured JSON log lines. Callers pass facts in `extra`; prompts, answers and keys are never logged.

What keeps data out: a record's exception is logged as its type and where it
was raised, never its message (exception text quotes request data and upstream
answers); a record that carries an exception keeps only the first line of its
message, because libraries (asyncio's "Task exception was never retrieved")
append reprs that quote that text; and uncaught exceptions and warnings go
through the same formatter instead of printing tracebacks.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import orjson

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of msg with ANSI colours (an app embedding tiergate's)
}

log = logging.getLogger("tiergate")
access_log = logging.getLogger("tiergate.access")

MAX_LOGGED_PATH = 200
FACTS = "_tiergate_facts"  # a record attribute: facts a formatter may take as they are
# Response headers the access line reads (lowered name -> what it notes).
_FROM_HEADERS = {
    b"content-type": "content_type",
    b"x-tiergate-request-id": "request_id",
    b"x-tiergate-provider": "provider",
    b"x-tiergate-rule": "rule",
    b"x-tiergate-classification": "classification",
    b"x-tiergate-cost-usd": "cost_usd",
}


class JsonFormatter(logging.Formatter):
    _cached: tuple[int, str] = (-1, "")

    def _second(self, second: int) -> str:
        if self._cached[0] != second:  # one strftime per second, not per line
            self._cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return self._cached[1]

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        # exc_info=False (or an empty tuple) is allowed by logging and means "no exception".
        failed = bool(record.exc_info) and record.exc_info[0] is not None  # type: ignore[index]
        if failed:
            message = message.split("\n", 1)[0]
        entry: dict[str, Any] = {
            "ts": f"{self._second(int(record.created))}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        facts = getattr(record, FACTS, None)
        if facts is not None:  # a record made by access(): its facts, ready
            entry.update(facts)
        else:
            for key, value in vars(record).items():
                if key not in _STANDARD and not key.startswith("_"):
                    entry[key] = value
        if failed:
            assert record.exc_info
            entry["error"], entry["where"] = describe(record.exc_info[0], record.exc_info[2])
        return orjson.dumps(entry, default=str).decode()


def describe(
    exc_type: type[BaseException] | None, tb: TracebackType | None
) -> tuple[str, list[str]]:
    """The exception's type and its last frames (file:line): never its message."""
    frames = []
    while tb is not None:
        frames.append(f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}")
        tb = tb.tb_next
    return (exc_type.__name__ if exc_type else "unknown"), frames[-3:]


class _Ids:
    """Request ids: a random prefix per process (reset in a forked child) and a counter.

    As unique as uuid4 for our purpose (no two processes share a prefix but by a 2^-48
    chance) at a fraction of its cost, which is paid on every request."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = os.urandom(6).hex()
        self.counter = itertools.count(random.getrandbits(40))


_ids = _Ids()


@dataclass(slots=True)
class Exchange:
    """One HTTP request as its access-log line tells it: facts about it, never its body."""

    request_id: str
    method: str
    path: str
    started: float  # time.perf_counter() when the request arrived
    status: int | None = None
    tenant: str | None = None
    provider: str | None = None
    rule: str | None = None
    classification: str | None = None
    cost_usd: str | None = None
    # None: answered whole; else the error code (policy_denied, ...) or how it ended (cut,
    # client_closed, shutdown).
    outcome: str | None = None
    content_type: bytes = b""
    finished: bool = False  # the last body byte was sent

    @classmethod
    def begin(cls, method: str, path: str) -> Exchange:
        """A new request: its id is made here, once, and used for everything it causes."""
        return cls(f"chatcmpl-{_ids.prefix}{next(_ids.counter):012x}", method, path,
                   time.perf_counter())  # fmt: skip

    def note_response(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """Take the status and the x-tiergate-* facts from the response's own headers; True if
        they carry the request id."""
        self.status = status
        has_id = False
        for name, value in headers:
            field = _FROM_HEADERS.get(name.lower())
            if field is None:
                continue
            if field == "content_type":
                self.content_type = value
            elif field == "request_id":
                has_id = True
            else:
                setattr(self, field, value.decode("latin-1"))
        return has_id

    def settled(self, cost_pico: int, outcome: str) -> None:
        """The final cost (pico-dollars) and outcome, known only once a stream has ended."""
        whole, fraction = divmod(cost_pico, 10**12)
        self.cost_usd = f"{whole}.{fraction:012d}".rstrip("0").rstrip(".")
        if outcome != "ok" and self.outcome is None:
            self.outcome = outcome


def access(exchange: Exchange) -> None:
    """Log one structured line for a finished request.

    It is paid on every request, so it builds its record directly (no caller lookup, no
    `extra` merging) and hands the formatter its facts ready-made."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    record = logging.LogRecord(access_log.name, logging.INFO, "", 0, "request", None, None)
    setattr(
        record,
        FACTS,
        {
            "event": "http.request",
            "request_id": exchange.request_id,
            "method": exchange.method,
            "path": exchange.path[:MAX_LOGGED_PATH],
            "status": exchange.status,
            "tenant": exchange.tenant,
            "provider": exchange.provider,
            "rule": exchange.rule,
            "classification": exchange.classification,
            "latency_ms": round((time.perf_counter() - exchange.started) * 1000.0, 3),
            "cost_usd": exchange.cost_usd,
            "outcome": exchange.outcome or "ok",
        },
    )
    access_log.handle(record)


def _uncaught(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    log.critical("uncaught exception", exc_info=(exc_type, exc, tb))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    log.critical(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        extra={"in_thread": args.thread.name if args.thread else None},
    )


def setup(level: str = "info") -> None:
    # A server logs a line per request: skip what our lines never show (the caller's file and
    # line, thread and process names), which is most of what a log call costs.
    logging._srcfile = None  # documented in logging's "Optimization" section
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
