"""Structured JSON log lines. Callers pass facts in `extra`; prompts, answers and keys are never logged.

What keeps data out: a record's exception is logged as its type and where it
was raised, never its message (exception text quotes request data and upstream
answers); a record that carries an exception keeps only the first line of its
message, because libraries (asyncio's "Task exception was never retrieved")
append reprs that quote that text; and uncaught exceptions and warnings go
through the same formatter instead of printing tracebacks.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType
from typing import Any

import orjson

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of msg with ANSI colours
}

log = logging.getLogger("tiergate")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        failed = record.exc_info is not None and record.exc_info[0] is not None
        if failed:
            message = message.split("\n", 1)[0]
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if failed:
            assert record.exc_info is not None
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
