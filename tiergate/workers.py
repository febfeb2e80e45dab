"""`tiergate serve --workers N`: N gateway processes on one port (SO_REUSEPORT).

The parent reserves the port (bound with SO_REUSEPORT, never listening), forks
N children before it starts any thread or event loop, and each child listens
on its own SO_REUSEPORT socket, so the kernel spreads new connections across
them (one inherited socket let whichever process accepted first take every
keep-alive connection: 2319 against 526 requests under wrk). The parent only
supervises: it forwards SIGTERM/SIGINT (stop) and
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


def bind(host: str, port: int, *, listen: bool) -> socket.socket:
    """A SO_REUSEPORT socket on (host, port); the parent's only reserves the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
    return sock


def supervise(serve: Callable[[socket.socket], None], host: str, port: int, workers: int) -> int:
    """Run `serve(its own listening socket)` in `workers` forked children; the exit code."""
    reserved = bind(host, port, listen=False)
    port = reserved.getsockname()[1]  # port 0: the one the kernel picked, for every child
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
                reserved.close()
                serve(bind(host, port, listen=True))
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
    reserved.close()
    return code


__all__ = ["bind", "supervise"]
