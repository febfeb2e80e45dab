"""The free path's cost in instructions and bytecodes: figures this noisy machine cannot move.

Wall clock and CPU seconds on the shared 2-core box drift by up to 2x between minutes, so a
change worth 5% cannot be seen in them. Counted work can. The gateway's ASGI app runs in this
process (its lifespan, the ledger writer thread, the real upstream client), driven by 16
concurrent requests straight into the app, against `lean_upstream.py` in another process.
Only the HTTP server in front of the app is left out; `bench_wrk.py` measures it whole.

    python benchmarks/bench_instructions.py                 # instructions a request (valgrind)
    python benchmarks/bench_instructions.py --opcodes       # bytecodes a request, per function
    python benchmarks/bench_instructions.py --config traced.yaml ...   # another configuration
    python benchmarks/bench_instructions.py --neighbour     # a second gateway on the same ledger

--neighbour runs another `tiergate serve` on the same configuration (so the same SQLite
ledger) under wrk at c=4 while the requests are measured: what a second worker costs this
one in instructions (the SQLite locks and page-cache refreshes its commits cause).

Instructions: the process runs under valgrind's callgrind with collection off, switched on
for the measured requests only (callgrind_control), all threads; repeatable to ~0.2%.
Bytecodes: sys.settrace with opcode events counts every bytecode each function executes
during the measured requests (all threads), which shows where the instructions go.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from bench_wrk import free_port, wait_port

HERE = Path(__file__).resolve().parent
BODY = (
    b'{"model": "auto", "messages": [{"role": "user", "content": '
    b'"Say something short about latency."}], "max_tokens": 16}'
)
CONCURRENCY = 16
CONFIG = """store: sqlite:///{ledger}
providers:
  - name: upstream
    protocol: openai
    base_url: http://127.0.0.1:{port}/v1
    tier: 1
    on_premises: true
    max_concurrency: 100000
    models: {{default: bench-model}}
"""


class Opcodes:
    """Bytecodes executed per function while switched on (every thread)."""

    def __init__(self) -> None:
        self.on = False
        self.counts: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()

    def install(self) -> None:
        sys.settrace(self._trace)
        threading.settrace(self._trace)

    def _trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not self.on:
            return None
        frame.f_trace_opcodes = True
        code = frame.f_code
        where = code.co_filename.replace(str(HERE.parent) + "/", "")
        key = f"{where}:{code.co_firstlineno} {code.co_qualname}"
        self.calls[key] += 1
        counts = self.counts

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                counts[key] += 1
            return local

        return local

    def report(self, requests: int, top: int) -> None:
        total = sum(self.counts.values())
        print(f"bytecodes a request: {total / requests:.0f}")
        print(f"{'bytecodes':>10} {'calls':>6}  function (per request)")
        for key, count in self.counts.most_common(top):
            print(f"{count / requests:>10.1f} {self.calls[key] / requests:>6.1f}  {key}")


async def drive(config_path: Path, requests: int, opcodes: Opcodes | None) -> None:
    from tiergate.cli import _load
    from tiergate.server import create_app

    config, prices = _load(str(config_path))
    app = create_app(config, prices=prices)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
               (b"content-length", str(len(BODY)).encode())]  # fmt: skip

    async def one() -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/v1/chat/completions",
            "raw_path": b"/v1/chat/completions", "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080),
        }  # fmt: skip
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": BODY, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        if statuses != [200]:
            raise RuntimeError(f"the gateway answered {statuses}")

    async def burst(count: int) -> None:
        async def worker(n: int) -> None:
            for _ in range(n):
                await one()

        await asyncio.gather(*(worker(count // CONCURRENCY) for _ in range(CONCURRENCY)))

    await burst(20 * CONCURRENCY)  # warm: connections, caches, label tuples
    callgrind = shutil.which("callgrind_control")
    if opcodes is not None:
        opcodes.on = True
    elif callgrind:
        subprocess.run([callgrind, "-i", "on", str(os.getpid())], capture_output=True, check=False)
    await burst(requests)
    if opcodes is not None:
        opcodes.on = False
    elif callgrind:
        subprocess.run([callgrind, "-i", "off", str(os.getpid())], capture_output=True, check=False)
    await inbox.put({"type": "lifespan.shutdown"})
    await outbox.get()
    await lifespan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--opcodes", action="store_true", help="bytecodes per function")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--config", help="a tiergate.yaml (default: one free provider)")
    parser.add_argument(
        "--neighbour", action="store_true", help="a second gateway on the same ledger, loaded"
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    requests = args.requests - args.requests % CONCURRENCY

    if args.inside:  # the measured process (under valgrind, or tracing itself)
        import uvloop

        opcodes = Opcodes() if args.opcodes else None
        if opcodes is not None:
            opcodes.install()
        uvloop.run(drive(Path(args.config), requests, opcodes))
        if opcodes is not None:
            opcodes.report(requests, args.top)
        return

    tmp = Path(tempfile.mkdtemp(prefix="tiergate-instr-"))
    neighbours: list[subprocess.Popen[bytes]] = []
    port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(HERE / "lean_upstream.py"), str(port)], stdout=subprocess.PIPE
    )
    try:
        assert upstream.stdout is not None
        upstream.stdout.readline()
        config = Path(args.config) if args.config else tmp / "tiergate.yaml"
        if not args.config:
            config.write_text(CONFIG.format(ledger=tmp / "ledger.db", port=port))
        if args.neighbour:
            neighbours = _neighbour(config, tmp)
        inside = [sys.executable, __file__, "--inside", "--config", str(config),
                  "--requests", str(requests), "--top", str(args.top)]  # fmt: skip
        if args.opcodes:
            subprocess.run([*inside, "--opcodes"], check=True, cwd=tmp)
            return
        if not shutil.which("valgrind"):
            raise SystemExit("valgrind is not installed (apt-get install valgrind)")
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
             f"--callgrind-out-file={tmp / 'callgrind.out'}", *inside],
            capture_output=True, text=True, check=True, cwd=tmp,
        ).stderr  # fmt: skip
        found = re.search(r"Collected : (\d+)", out)
        if found is None:
            raise SystemExit(f"no count in valgrind's output:\n{out[-2000:]}")
        print(f"{int(found.group(1)) / requests:,.0f} instructions a request "
              f"({requests} requests, c={CONCURRENCY}, every thread)")  # fmt: skip
        print(f"callgrind profile: {tmp / 'callgrind.out'} (callgrind_annotate)")
    finally:
        for process in (*neighbours, upstream):
            process.terminate()
            process.wait(10)


def _neighbour(config: Path, tmp: Path) -> list[subprocess.Popen[bytes]]:
    """Another gateway on `config` (its ledger too) and wrk at c=4 against it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tiergate.cli", "serve", "--config", str(config),
         "--port", str(port), "--log-level", "warning"],
        cwd=tmp, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_port(port)
    script = tmp / "neighbour.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = '{BODY.decode()}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    load = subprocess.Popen(
        ["wrk", "-t1", "-c4", "-d3600s", "-s", str(script),
         f"http://127.0.0.1:{port}/v1/chat/completions"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return [load, server]


if __name__ == "__main__":
    main()
