"""`tiergate serve --workers N`: N gateway processes accepting on one inherited listening socket.

The parent binds the socket, forks N children before it starts any thread or
event loop, and then only supervises: it forwards SIGTERM/SIGINT (stop) and
SIGHUP (reload) to every child, and replaces a child that died after it had
been serving a while. Each child builds its own app (its own store connection,
owner id and heartbeat), so the caps hold across them through the store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

logger = logging.getLogger("tiergate.workers")

# A child that exits sooner than this after its start is failing at start-up: stop, don't loop.
MIN_LIFETIME_S = 5.0


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def supervise(serve: Callable[[socket.socket], None], sock: socket.socket, workers: int) -> int:
    """Run `serve(sock)` in `workers` forked children until they stop; the exit code."""
    children: dict[int, float] = {}
    stopping = False
    code = 0

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            status = 1
            try:
                serve(sock)
                status = 0
            finally:
                os._exit(status)
        children[pid] = time.monotonic()

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # it just exited
                os.kill(pid, signum)

    for _ in range(workers):
        spawn()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started = children.pop(pid, time.monotonic())
        exit_code = os.waitstatus_to_exitcode(status)
        if stopping:
            continue
        if time.monotonic() - started < MIN_LIFETIME_S:
            logger.error(
                "a worker failed at start-up; stopping the others",
                extra={"event": "workers.failed", "pid": pid, "exit_code": exit_code},
            )
            code = 1
            forward(signal.SIGTERM, None)
            continue
        logger.warning(
            "a worker died; starting another",
            extra={"event": "workers.respawn", "pid": pid, "exit_code": exit_code},
        )
        spawn()
    sock.close()
    return code


__all__ = ["bind", "supervise"]
