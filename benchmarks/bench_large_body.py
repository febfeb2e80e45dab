"""Small requests while a huge body is being scanned: how long do they wait?

A gateway (`tiergate serve`, one process) in front of a FakeUpstream; one client sends a
3 MiB chat body (numeric rows, or log lines) again and again while another sends small
requests back to back. Prints the small requests' p50, p99 and max latency, and how long
each large request took. The scan of a large body runs in a worker process, so the event
loop keeps answering (issue 7: other requests answered within 0.5 s).

    python benchmarks/bench_large_body.py [--seconds 20] [--kind numeric|logs]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

FAKE = """
import asyncio, sys
from tiergate.testing import FakeUpstream
async def main():
    fake = FakeUpstream(name="bench", reply_words=8, port=int(sys.argv[1]))
    await fake.astart()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def large_text(kind: str, size: int) -> str:
    rows: list[str] = []
    total = n = 0
    while total < size:
        if kind == "logs":
            row = (
                f"2026-11-{n % 28 + 1:02d}T12:{n % 60:02d}:07.{n % 1000:03d}Z INFO worker-{n % 16} "
                f"GET /api/v2/orders/{n * 7919 % 10**8} 200 {n % 900 + 100}ms bytes={n * 31 % 99999}\n"
            )
        else:
            row = f"{n},{n * 7919 % 10**8},{n % 9 + 1},19.99,{(n % 9 + 1) * 20}.00\n"
        rows.append(row)
        total += len(row)
        n += 1
    return "".join(rows)


async def run(url: str, seconds: float, kind: str) -> None:
    big = orjson.dumps(
        {
            "model": "auto",
            "max_tokens": 8,
            "messages": [{"role": "user", "content": large_text(kind, 3 * 1024 * 1024)}],
        }
    )
    small = orjson.dumps(
        {"model": "auto", "max_tokens": 8, "messages": [{"role": "user", "content": "Hello."}]}
    )
    headers = {"content-type": "application/json"}
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    large: list[float] = []

    async def smalls(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            async with session.post(url, data=small, headers=headers) as r:
                await r.read()
                assert r.status == 200, r.status
            latencies.append(time.perf_counter() - t)

    async def larges(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop:
            t = time.perf_counter()
            async with session.post(url, data=io.BytesIO(big), headers=headers) as r:
                await r.read()
                assert r.status == 200, r.status
            large.append(time.perf_counter() - t)

    timeout = aiohttp.ClientTimeout(total=120)
    async with (
        aiohttp.ClientSession(timeout=timeout) as a,
        aiohttp.ClientSession(timeout=timeout) as b,
    ):
        await asyncio.gather(smalls(a), larges(b))
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(
        f"body={kind} 3 MiB, {len(large)} large requests, {len(latencies)} small ones in {seconds:g} s"
    )
    print(f"large request: {min(large):.2f}-{max(large):.2f} s each (scan in the worker included)")
    print(
        f"small requests meanwhile: p50 {pct(0.5):.1f} ms, p99 {pct(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kind", choices=["numeric", "logs"], default="numeric")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tiergate-large-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fake_port, port = free_port(), free_port()
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE, str(fake_port)], stdout=subprocess.PIPE, env=env
    )
    assert fake.stdout is not None
    fake.stdout.readline()
    config = tmp / "tiergate.yaml"
    config.write_text(
        "store: sqlite:///ledger.db\nserver: {max_body_bytes: 8388608}\nproviders:\n"
        f"  - {{name: local, protocol: openai, base_url: 'http://127.0.0.1:{fake_port}/v1', tier: 1,\n"
        "     on_premises: true, max_concurrency: 1000, models: {default: m}}\n"
    )
    gateway = subprocess.Popen(
        [sys.executable, "-m", "tiergate.cli", "serve", "--config", str(config), "--port",
         str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        asyncio.run(run(f"http://127.0.0.1:{port}/v1/chat/completions", args.seconds, args.kind))
    finally:
        gateway.terminate()
        fake.terminate()
        gateway.wait(15)
        fake.wait(10)


if __name__ == "__main__":
    main()
