"""The gateway's CPU time per request, path by path: what decides both overhead targets of issue 8.

Wall-clock figures (bench_wrk.py) need a quiet machine; CPU seconds per request do not. Each
server under test runs in its own process, started the way `tiergate serve` starts it
(tiergate.httpd on uvloop, or uvicorn for an older --baseline copy; log level warning); a FakeUpstream runs in another process, and this process
drives N requests over keep-alive connections. The figure is the server process's user+system
CPU time (/proc/PID/stat) over the measured requests, divided by their number.

Paths: the free on-premises path (OpenAI and Ollama protocol), a three-tier config (local
Ollama, a paid Ollama cloud, paid OpenAI: every provider a candidate), the paid path (reserve,
call, settle), a stream, and a cache hit; and the bare pass-through proxy (bare_proxy.py).
`traced` and `sampled` are the free path with OpenTelemetry on (the `otel` extra), exporting
over OTLP/HTTP to a sink in the FakeUpstream's process (so encoding and sending count, the
collector's work does not): every request traced, and the default telemetry.sample_ratio.

    python benchmarks/bench_cpu.py [--requests 3000] [--concurrency 1] [--only free,paid]
    python benchmarks/bench_cpu.py --profile free   # cProfile of the gateway on that path
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
PROMPT = "Say something short about latency."
BASELINE = " (baseline)"

FAKE = """
import asyncio, sys
from aiohttp import web
from tiergate.testing import FakeUpstream
async def sink(request):  # an OTLP/HTTP collector that keeps nothing
    await request.read()
    return web.Response(body=b"", content_type="application/x-protobuf")
async def main():
    fake = FakeUpstream(name="bench", reply_words=12, port=int(sys.argv[1]),
                        models=("bench-model", "bench-embed"))
    await fake.astart()
    collector = web.Application()
    collector.router.add_post("/v1/traces", sink)
    runner = web.AppRunner(collector, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[2])).start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""

# The gateway as `tiergate serve --log-level warning` runs it, optionally under cProfile
# (the profile is written when SIGTERM ends the server).
SERVE = """
import cProfile, gc, os, signal, sys, time
import uvicorn
from tiergate import logs
from tiergate.cli import _load, _settle_garbage_collector
from tiergate.server import create_app
config, prices = _load(sys.argv[1])
logs.setup(sys.argv[3])
app = create_app(config, prices=prices)
app.after_start = _settle_garbage_collector  # as `tiergate serve` does
profile = cProfile.Profile() if sys.argv[4] else None
import tiergate
if os.path.exists(os.path.join(os.path.dirname(tiergate.__file__), "httpd.py")):
    from tiergate.httpd import Server  # the server `tiergate serve` runs
    server = Server(app, host="127.0.0.1", port=int(sys.argv[2]))
else:  # an older copy of tiergate (--baseline), from before it had its own server
    server = uvicorn.Server(uvicorn.Config(
        app, host="127.0.0.1", port=int(sys.argv[2]), loop="uvloop", http="httptools",
        lifespan="on", access_log=False, log_config=None, proxy_headers=False,
        server_header=False,
    ))
# The server re-raises the SIGTERM it caught once it has shut down: end through `finally`.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
gc_seconds = [0.0, 0.0, 0.0]
gc_started = [0.0]
def gc_time(phase, info):
    if phase == "start":
        gc_started[0] = time.thread_time()
    else:
        gc_seconds[info["generation"]] += time.thread_time() - gc_started[0]
if os.environ.get("BENCH_GC"):
    gc.callbacks.append(gc_time)
if os.environ.get("BENCH_GC_FREEZE"):
    gc.freeze()
if os.environ.get("BENCH_GC_THRESHOLD"):
    gc.set_threshold(*map(int, os.environ["BENCH_GC_THRESHOLD"].split(",")))
if profile is not None:
    profile.enable()
try:
    server.run()
finally:
    if os.environ.get("BENCH_GC"):
        print("gc seconds by generation", gc_seconds, gc.get_count(), len(gc.get_objects()), file=sys.stderr)
    if profile is not None:
        profile.disable()
        profile.dump_stats(sys.argv[4])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of every thread of `pid` by thread name, and "total"."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        key = "main" if task.name == str(pid) else name
        out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    out["total"] = (int(fields[11]) + int(fields[12])) / TICKS  # every thread, ended ones too
    return out


def provider(name: str, protocol: str, base: str, tier: int, *, paid: bool) -> str:
    url = base + ("/v1" if protocol == "openai" else "")
    where = (
        "on_premises: false\n    api_key: bench\n"
        "    prices: {default: {input_per_mtok: 1, output_per_mtok: 1}}\n"
        "    monthly_budget_usd: 1000000"
        if paid
        else "on_premises: true"
    )
    return (
        f"  - name: {name}\n    protocol: {protocol}\n    base_url: {url}\n    tier: {tier}\n"
        f"    {where}\n    max_concurrency: 100000\n"
        "    models: {default: bench-model, embedding: bench-embed}\n"
    )


def configs(base: str, sink: str) -> dict[str, str]:
    free = provider("local", "openai", base, 1, paid=False)
    three = (
        provider("local", "ollama", base, 1, paid=False)
        + provider("cloud", "ollama", base, 2, paid=True)
        + provider("openai", "openai", base, 3, paid=True)
    )
    return {
        "free": "providers:\n" + free,
        "ollama": "providers:\n" + provider("local", "ollama", base, 1, paid=False),
        "three": "providers:\n" + three,
        "paid": "providers:\n" + provider("openai", "openai", base, 1, paid=True),
        "stream": "providers:\n" + free,
        "cache": "providers:\n" + free + "cache: {ttl_s: 60}\n",
        "traced": "providers:\n"
        + free
        + f"telemetry: {{otlp_endpoint: {sink}, sample_ratio: 1}}\n",
        "sampled": "providers:\n" + free + f"telemetry: {{otlp_endpoint: {sink}}}\n",
    }


def body(path: str) -> bytes:
    data: dict[str, Any] = {
        "model": "auto",
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 16,
    }
    if path == "stream":
        data["stream"] = True
    if path == "cache":
        data["temperature"] = 0
    return orjson.dumps(data)


async def drive(url: str, payload: bytes, requests: int, concurrency: int, check: str) -> None:
    headers = {"content-type": "application/json"}
    queue = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for _ in queue:
                async with session.post(url, data=payload, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url}: HTTP {response.status}")
                    if check and response.headers.get("x-tiergate-cache") != check:
                        raise RuntimeError(f"{url}: x-tiergate-cache is not {check}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def wait_up(url: str, payload: bytes, deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.post(
                    url, data=payload, headers={"content-type": "application/json"}
                ) as response:
                    await response.read()
                    if response.status == 200:
                        return
                    raise RuntimeError(f"{url}: HTTP {response.status}")
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not come up") from None
                await asyncio.sleep(0.05)


def measure(
    name: str,
    argv: list[str],
    url: str,
    payload: bytes,
    args: argparse.Namespace,
    cwd: Path,
) -> dict[str, float]:
    """CPU microseconds per request of the server that `argv` starts: in total and by thread."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if name.endswith(BASELINE) and args.baseline:
        env["PYTHONPATH"] = args.baseline  # another copy of the tiergate package, first on the path
    process = subprocess.Popen(argv, cwd=cwd, env=env)
    try:
        check = "hit" if name.startswith("cache") else ""
        asyncio.run(wait_up(url, payload))
        # Unchecked: the first answer is cached in the background, so a few may still miss.
        asyncio.run(drive(url, payload, args.warmup, args.concurrency, ""))
        spy = None
        if args.py_spy:
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(process.pid), "--rate", "500",
                                    "--format", "raw", "--output", args.py_spy, "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            time.sleep(1.0)
        before = cpu_seconds(process.pid)
        asyncio.run(drive(url, payload, args.requests, args.concurrency, check))
        after = cpu_seconds(process.pid)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    return {k: (v - before.get(k, 0.0)) / args.requests * 1e6 for k, v in after.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated paths (bare,free,ollama,...)")
    parser.add_argument("--profile", default="", help="a path: write its cProfile to PATH.prof")
    parser.add_argument(
        "--baseline",
        default="",
        help="a directory holding another tiergate package: each gateway path is also measured "
        "with it, interleaved, as PATH (baseline)",
    )
    parser.add_argument("--py-spy", default="", help="sample the one path's server into FILE")
    parser.add_argument("--log-level", default="warning", help="info adds the access log line")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tiergate-cpu-"))
    fake_port, sink_port = free_port(), free_port()
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE, str(fake_port), str(sink_port)],
        stdout=subprocess.PIPE,
        cwd=tmp,
    )
    assert fake.stdout is not None
    fake.stdout.readline()
    base, sink = f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{sink_port}"
    paths = ["bare", *configs(base, sink)]
    if args.profile:
        paths = [args.profile]
    elif args.only:
        paths = [p for p in paths if p in args.only.split(",")]
    if args.baseline:
        paths = [v for p in paths for v in ((p,) if p == "bare" else (p + BASELINE, p))]
    results: dict[str, list[dict[str, float]]] = {p: [] for p in paths}
    try:
        for _ in range(args.rounds):
            for name in paths:
                path = name.removesuffix(BASELINE)
                port = free_port()
                if path == "bare":
                    argv = [sys.executable, str(HERE / "bare_proxy.py"), str(port), base + "/v1"]
                    url = f"http://127.0.0.1:{port}/"
                else:
                    config = tmp / f"{path}.yaml"
                    config.write_text(f"store: sqlite:///{path}.db\n" + configs(base, sink)[path])
                    prof = str(tmp / f"{path}.prof") if args.profile else ""
                    argv = [sys.executable, "-c", SERVE, str(config), str(port),
                            args.log_level, prof]  # fmt: skip
                    url = f"http://127.0.0.1:{port}/v1/chat/completions"
                results[name].append(measure(name, argv, url, body(path), args, tmp))
    finally:
        fake.terminate()
        fake.wait(10)

    print(f"requests={args.requests} concurrency={args.concurrency} rounds={args.rounds} "
          f"log_level={args.log_level}")  # fmt: skip
    print(
        f"{'path':>19} {'CPU us/request':>15} {'main thread':>12} {'others':>8}  all rounds (total)"
    )
    for path, rows in results.items():
        best = min(rows, key=lambda r: r["total"])
        others = ", ".join(
            f"{k} {v:.0f}" for k, v in sorted(best.items()) if k not in ("total", "main") and v >= 1
        )
        print(
            f"{path:>19} {best['total']:>15.0f} {best.get('main', 0):>12.0f} {others or '-':>8}  "
            + " ".join(f"{r['total']:.0f}" for r in rows)
        )
    if args.profile:
        import pstats

        stats = pstats.Stats(str(tmp / f"{args.profile}.prof"))
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(40)
        print(f"profile: {tmp / f'{args.profile}.prof'}")


if __name__ == "__main__":
    main()
