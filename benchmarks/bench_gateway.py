"""What tiergate adds over calling the upstream directly: req/s, p50 and p99 at concurrency 1 and 16.

The gateway runs as `tiergate serve` pinned to one core; the FakeUpstream and
this load generator share the other. Each figure is the median of --rounds
rounds, direct and through-the-gateway interleaved so that noise hits both.

    python benchmarks/bench_gateway.py [--requests 2000] [--rounds 3] [--protocol openai|ollama] [--paid]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

HERE = Path(__file__).resolve().parent
BODY = orjson.dumps(
    {
        "model": "auto",
        "messages": [{"role": "user", "content": "Say something short about latency."}],
        "max_tokens": 16,
    }
)

FAKE = """
import asyncio, sys
from tiergate.testing import FakeUpstream
async def main():
    fake = FakeUpstream(name="bench", reply_words=12, port=int(sys.argv[1]))
    await fake.astart()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(core: int) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {core})


async def wait_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.05)


async def load(url: str, requests: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"content-type": "application/json"}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for _ in queue:
                t = time.perf_counter()
                async with session.post(url, data=BODY, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        raise RuntimeError(f"{url}: HTTP {r.status}")
                latencies.append(time.perf_counter() - t)

        for _ in range(50):  # warm-up: connections, caches
            async with session.post(url, data=BODY, headers=headers) as r:
                await r.read()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--protocol", choices=["openai", "ollama"], default="openai")
    parser.add_argument(
        "--paid", action="store_true", help="a priced cloud provider: reservations on every call"
    )
    args = parser.parse_args()

    fake_port, gw_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="tiergate-bench-")
    base = f"http://127.0.0.1:{fake_port}" + ("/v1" if args.protocol == "openai" else "")
    where = (
        "on_premises: false\n    api_key: bench\n    prices: {default: {input_per_mtok: 1, output_per_mtok: 1}}"
        if args.paid
        else "on_premises: true"
    )
    config = Path(tmp) / "tiergate.yaml"
    config.write_text(
        f"""store: sqlite:///{tmp}/ledger.db
providers:
  - name: upstream
    protocol: {args.protocol}
    base_url: {base}
    tier: 1
    {where}
    max_concurrency: 1000
    models: {{default: bench-model}}
"""
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE, str(fake_port)],
        stdout=subprocess.PIPE,
        env=env,
        preexec_fn=lambda: pin(1),
    )
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tiergate.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(gw_port),
            "--log-level",
            "warning",
        ],
        env=env,
        preexec_fn=lambda: pin(0),
    )
    pin(1)
    try:
        assert fake.stdout is not None
        fake.stdout.readline()
        asyncio.run(wait_http(f"http://127.0.0.1:{gw_port}/healthz"))
        direct_url = (
            f"http://127.0.0.1:{fake_port}/v1/chat/completions"
            if args.protocol == "openai"
            else f"http://127.0.0.1:{fake_port}/api/chat"
        )
        via_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
        if args.protocol == "ollama":
            global BODY
            direct_body = orjson.dumps(
                {
                    "model": "bench-model",
                    "stream": False,
                    "messages": [{"role": "user", "content": "Say something short about latency."}],
                    "options": {"num_predict": 16},
                }
            )
        print(
            f"protocol={args.protocol} paid={args.paid} requests={args.requests} rounds={args.rounds} cores={os.cpu_count()}"
        )
        print(f"{'concurrency':>11} {'target':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for concurrency in (1, 16):
            results: dict[str, list[tuple[float, float, float]]] = {"direct": [], "gateway": []}
            for _ in range(args.rounds):
                for label, url in (("direct", direct_url), ("gateway", via_url)):
                    if args.protocol == "ollama" and label == "direct":
                        saved, BODY = BODY, direct_body
                        rps, lat = asyncio.run(load(url, args.requests, concurrency))
                        BODY = saved
                    else:
                        rps, lat = asyncio.run(load(url, args.requests, concurrency))
                    results[label].append((rps, pct(lat, 0.5) * 1000, pct(lat, 0.99) * 1000))
            medians = {}
            for label, rows in results.items():
                rps = statistics.median(r[0] for r in rows)
                p50 = statistics.median(r[1] for r in rows)
                p99 = statistics.median(r[2] for r in rows)
                medians[label] = (rps, p50, p99)
                print(f"{concurrency:>11} {label:>8} {rps:>9.0f} {p50:>8.3f} {p99:>8.3f}")
            d, g = medians["direct"], medians["gateway"]
            print(
                f"{concurrency:>11} {'added':>8}  p50 +{g[1] - d[1]:.3f} ms, p99 +{g[2] - d[2]:.3f} ms, "
                f"throughput {100 * g[0] / d[0]:.0f}% of direct"
            )
    finally:
        gateway.terminate()
        fake.terminate()
        gateway.wait(10)
        fake.wait(10)


if __name__ == "__main__":
    main()
