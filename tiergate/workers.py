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
# The CPUs a pinned gateway was allowed before it pinned itself: its scan worker process
# (spawned, so it would inherit the one core) spreads back over them.
SCAN_CPUS_ENV = "TIERGATE_SCAN_CPUS"


def pin(index: int) -> int:
    """Pin this process (and every thread it starts from now on) to one allowed CPU, the
    index-th (wrapping); the CPU. A serving process's event loop and its ledger thread then
    hand the GIL to each other on one core: across cores each hand-off is a cross-CPU wake-up,
    which cost ~13% of req/s on the 2-core VM we measure on (benchmarks/bench_wrk.py)."""
    if not hasattr(os, "sched_setaffinity"):
        raise OSError("--pin needs Linux (sched_setaffinity)")
    allowed = sorted(os.sched_getaffinity(0))
    os.environ.setdefault(SCAN_CPUS_ENV, ",".join(map(str, allowed)))
    core = allowed[index % len(allowed)]
    os.sched_setaffinity(0, {core})
    return core


def unpin_scan_worker() -> None:
    """In the scan worker process: the CPUs its pinned gateway had before pinning."""
    cpus = os.environ.get(SCAN_CPUS_ENV)
    if cpus and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError, ValueError):
            os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})


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


def supervise(
    serve: Callable[[socket.socket], None],
    host: str,
    port: int,
    workers: int,
    *,
    pinned: bool = False,
) -> int:
    """Run `serve(its own listening socket)` in `workers` forked children, each pinned to its
    own CPU when `pinned` (a replacement takes the dead child's); the exit code."""
    reserved = bind(host, port, listen=False)
    port = reserved.getsockname()[1]  # port 0: the one the kernel picked, for every child
    children: dict[int, tuple[float, int]] = {}
    stopping = False
    code = 0

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            status = 1
            try:
                reserved.close()
                if pinned:
                    pin(index)
                serve(bind(host, port, listen=True))
                status = 0
            finally:
                os._exit(status)
        children[pid] = (time.monotonic(), index)

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if signum != signal.SIGHUP:
            stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # it just exited
                os.kill(pid, signum)

    for index in range(workers):
        spawn(index)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started, index = children.pop(pid, (time.monotonic(), 0))
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
        spawn(index)
    reserved.close()
    return code


__all__ = ["SCAN_CPUS_ENV", "bind", "pin", "supervise", "unpin_scan_worker"]
