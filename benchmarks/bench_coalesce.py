"""Embeddings micro-batching: upstream calls and throughput with and without a window.

Run ``python benchmarks/bench_coalesce.py [--requests 2000] [--clients 32] [--window-ms 2]``.
The real gateway (in-process server) sits in front of a FakeUpstream local tier that takes
``--upstream-ms`` per call, as a GPU embedding server does per batch; N clients send small
embedding requests as fast as they are answered. Reported: upstream calls, requests per
second and p50 latency, window off vs on.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

from tiergate.config import parse_config
from tiergate.server import BackgroundServer, create_app
from tiergate.testing import FakeUpstream

CONFIG = """
store: sqlite:///{store}
providers:
  - name: local
    protocol: ollama
    base_url: {url}
    tier: 1
    on_premises: true
    max_concurrency: 1000
    models: {{default: "llama3.2:3b", embedding: bge-m3}}
    embed_batch_window_ms: {window}
"""


async def _load(url: str, requests: int, clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(requests))

    async def client(session: aiohttp.ClientSession) -> None:
        for i in queue:
            body = orjson.dumps({"model": "auto", "input": f"passage {i} about the quarterly plan"})
            started = time.perf_counter()
            async with session.post(url + "/v1/embeddings", data=body) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(time.perf_counter() - started)

    headers = {"content-type": "application/json"}
    async with aiohttp.ClientSession(headers=headers) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        return time.perf_counter() - started, latencies


def measure(window_ms: float, args: argparse.Namespace) -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeUpstream(name="local", latency_s=args.upstream_ms / 1000) as local,
    ):
        text = CONFIG.format(store=Path(tmp) / "ledger.db", url=local.url, window=window_ms)
        with BackgroundServer(create_app(parse_config(text, env={}))) as server:
            elapsed, latencies = asyncio.run(_load(server.url, args.requests, args.clients))
        calls = local.count("/api/embed")
    print(
        f"window {window_ms:>4g} ms: {args.requests} requests -> {calls} upstream calls "
        f"({args.requests / calls:.1f} per call), {args.requests / elapsed:.0f} req/s, "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--window-ms", type=float, default=2.0)
    parser.add_argument("--upstream-ms", type=float, default=5.0)
    args = parser.parse_args()
    measure(0, args)
    measure(args.window_ms, args)


if __name__ == "__main__":
    main()
