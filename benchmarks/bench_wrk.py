"""tiergate against a bare pass-through proxy and the upstream itself, measured with wrk in one run.

Each server under test is pinned to core 0 and measured alone; the upstream and wrk share
core 1. The upstream is `lean_upstream.py` (canned answers, ~10x cheaper than FakeUpstream, so
that on a 2-core machine `--workers 2` is not starved by its own load); `--upstream fake` uses
tiergate's FakeUpstream instead. For every target: req/s at c=16 and p50 latency at c=1 (wrk's own figures). The
targets of issue 8 are ratios within this one run:

- tiergate's req/s at c=16 >= 60% of the bare proxy's;
- tiergate's added p50 at c=1 (over direct) <= the bare proxy's added p50 + 0.3 ms;
- `--workers 2` >= 1.7x one worker's req/s (with --workers), measured at c=64 with wrk
  unpinned: two workers need more requests in flight than one to stay busy.

This machine's speed drifts by up to 2x between minutes, and a round measures the bare proxy
and tiergate some 15 s apart. So the c=16 ratio is also measured in paired windows: the bare
proxy and tiergate run side by side (both pinned to core 0, one loaded at a time) and take
turns at c=16 for --window-seconds each, --windows times; each window's pair is a few seconds
apart and the median of the pairs' ratios is the figure least moved by the drift. After each
c=16 window the same target runs at c=1 as long, so the c=1 target is paired the same way. With
--workers, `serve --pin` and `--workers 2 --pin` (and the unpinned pair) take turns the same
way at c=64.

    python benchmarks/bench_wrk.py [--seconds 5] [--rounds 3] [--windows 12] [--workers] [--upstream lean|fake]
    python benchmarks/bench_wrk.py --rounds 1 --windows 0 --workers --workers-windows 40 --only workers
                                   # the --workers pairs alone (with the round's direct and bare figures)
"""

from __future__ import annotations

import argparse
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BODY = (
    '{"model": "auto", "messages": [{"role": "user", "content": '
    '"Say something short about latency."}], "max_tokens": 16}'
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
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
OWN = "bare proxy, own stack"
ONE_PINNED = "serve --pin, c=64"
ONE = "serve, c=64"
TWO_UNPINNED = "--workers 2, c=64"
TWO = "--workers 2 --pin, c=64"
WORKERS = (ONE_PINNED, ONE, TWO_UNPINNED, TWO)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: int | None) -> Callable[[], None] | None:
    if core is None or not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {core})


def cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU of every thread of `process` so far (0 for none)."""
    if process is None:
        return 0.0
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(
    url: str, script: Path, connections: int, seconds: float, core: int | None = 1
) -> tuple[float, float]:
    """(req/s, p50 ms) as wrk reports them."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(script),
    ]
    out = subprocess.run(
        ["taskset", "-c", str(core), *command, url]
        if core is not None and (os.cpu_count() or 1) > 1
        else [*command, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    if re.search(r"Non-2xx or 3xx responses", out):
        raise RuntimeError(f"{url}: errors under load:\n{out}")
    return rps, float(value) * _UNITS[unit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--windows", type=int, default=12, help="paired c=16 windows (0: none)")
    parser.add_argument("--window-seconds", type=float, default=2)
    parser.add_argument("--workers", action="store_true", help="also measure serve --workers 2")
    parser.add_argument(
        "--workers-windows", type=int, help="paired c=64 windows for --workers (default: --windows)"
    )
    parser.add_argument(
        "--traced",
        action="store_true",
        help="also measure the free path with OpenTelemetry on (the otel extra, default ratio)",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated targets: direct,bare,free,paid,cache"
    )
    parser.add_argument(
        "--upstream",
        choices=("lean", "fake"),
        default="lean",
        help="lean: canned answers on httptools (~10x cheaper); fake: tiergate's FakeUpstream",
    )
    args = parser.parse_args()
    workers_windows = args.windows if args.workers_windows is None else args.workers_windows

    tmp = Path(tempfile.mkdtemp(prefix="tiergate-wrk-"))
    script = tmp / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = '{BODY}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    # The same request at temperature 0: cacheable, so every request after the first is a hit.
    cached_script = tmp / "post-cached.lua"
    cached_script.write_text(
        script.read_text().replace('"max_tokens": 16}', '"max_tokens": 16, "temperature": 0}')
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    fake_port = free_port()
    upstream_argv = (
        [sys.executable, str(HERE / "lean_upstream.py")]
        if args.upstream == "lean"
        else [sys.executable, "-c", FAKE]
    )
    fake = subprocess.Popen(
        [*upstream_argv, str(fake_port)],
        stdout=subprocess.PIPE,
        env=env,
        preexec_fn=pinned(1),
    )
    assert fake.stdout is not None
    fake.stdout.readline()
    upstream = f"http://127.0.0.1:{fake_port}/v1"

    def config(paid: bool, cached: bool = False, traced: bool = False) -> Path:
        where = (
            "on_premises: false\n    api_key: bench\n"
            "    prices: {default: {input_per_mtok: 1, output_per_mtok: 1}}\n"
            "    monthly_budget_usd: 1000000"
            if paid
            else "on_premises: true"
        )
        name = (
            ("paid" if paid else "free")
            + ("-cached" if cached else "")
            + ("-traced" if traced else "")
        )
        path = tmp / f"tiergate-{name}.yaml"
        path.write_text(
            f"store: sqlite:///ledger-{name}.db\n"
            "providers:\n  - name: upstream\n    protocol: openai\n"
            f"    base_url: {upstream}\n    tier: 1\n    {where}\n"
            "    max_concurrency: 100000\n    models: {default: bench-model}\n"
            + ("cache: {ttl_s: 3600}\n" if cached else "")
            # The lean upstream answers the OTLP export too (200, body ignored by the exporter).
            + (f"telemetry: {{otlp_endpoint: {upstream[:-3]}}}\n" if traced else "")
        )
        return path

    def tiergate(
        paid: bool, workers: int = 1, cached: bool = False, traced: bool = False, pin: bool = False
    ) -> list[str]:
        command = [
            sys.executable, "-m", "tiergate.cli", "serve", "--config",
            str(config(paid, cached, traced)), "--log-level", "warning",
        ]  # fmt: skip
        command += ["--pin"] if pin else []
        return [*command, "--workers", str(workers)] if workers > 1 else command

    targets: dict[str, tuple[list[str] | None, int | None]] = {
        "direct": (None, None),
        "bare proxy": ([sys.executable, str(HERE / "bare_proxy.py"), "{port}", upstream], 0),
        # The same proxy on tiergate's own server and client: what tiergate's work costs alone.
        OWN: ([sys.executable, str(HERE / "bare_proxy.py"), "{port}", upstream, "--own-stack"], 0),
        "tiergate free": (tiergate(False), 0),
    }
    if args.traced:  # next to the free path it adds to, both near the bare proxy in time
        targets["tiergate free, traced"] = (tiergate(False, traced=True), 0)
    targets["tiergate paid"] = (tiergate(True), 0)
    targets["tiergate paid, cache hit"] = (tiergate(True, cached=True), 0)
    if args.workers:
        # Capacity on two cores: c=64 so that each of two workers has enough requests in
        # flight (at c=16 each sees ~8 and idles between them), wrk unpinned as the servers.
        targets[ONE_PINNED] = (tiergate(False, pin=True), None)
        targets[ONE] = (tiergate(False), None)
        targets[TWO_UNPINNED] = (tiergate(False, 2), None)
        targets[TWO] = (tiergate(False, 2, pin=True), None)

    if args.only:
        wanted = {"direct", "bare proxy", OWN, *args.only.split(",")}  # the ratios need these
        short = {"bare": "bare proxy", "free": "tiergate free", "paid": "tiergate paid",
                 "cache": "tiergate paid, cache hit"}  # fmt: skip
        wanted = {short.get(w, w) for w in wanted}
        targets = {n: t for n, t in targets.items() if n in wanted
                   or n in WORKERS or n.endswith("traced")}  # fmt: skip
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    try:
        for _ in range(args.rounds):
            for name, (command, core) in targets.items():
                if command is None:
                    url = f"{upstream}/chat/completions"
                    process = None
                else:
                    process, url = start(command, env, tmp, core)
                body = cached_script if "cache hit" in name else script
                try:
                    if name in WORKERS:
                        wrk(url, body, 64, 1, core=None)
                        rps64, _ = wrk(url, body, 64, args.seconds, core=None)
                        results[name].append((rps64, float("nan"), 0.0))
                        continue
                    wrk(url, body, 16, 1)  # warm-up (and, for the cache, the one miss)
                    before = cpu_seconds(process)
                    rps16, _ = wrk(url, body, 16, args.seconds)
                    # The server's CPU per request at c=16 (every thread): the machine's speed
                    # drifts between rounds far less in CPU time than in req/s.
                    cpu_us = 1e6 * (cpu_seconds(process) - before) / (rps16 * args.seconds)
                    _, p50 = wrk(url, body, 1, args.seconds)
                    results[name].append((rps16, p50, cpu_us))
                finally:
                    if process is not None:
                        process.terminate()
                        process.wait(15)
        windows = paired_windows(
            {name: targets[name][0] for name in targets if name in PAIRED},
            env, tmp, script, args.windows, args.window_seconds, latency=True,
        )  # fmt: skip
        worker_windows = paired_windows(
            {name: targets[name][0] for name in targets if name in WORKERS},
            env, tmp, script, workers_windows, args.window_seconds, connections=64, core=None,
        )  # fmt: skip
    finally:
        fake.terminate()
        fake.wait(10)

    med = {
        name: (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
        for name, rows in results.items()
    }
    cpu = {name: statistics.median(r[2] for r in rows) for name, rows in results.items()}
    print(f"rounds={args.rounds} seconds={args.seconds} cores={os.cpu_count()}")
    print(
        f"{'target':>28} {'req/s c=16':>11} {'p50 c=1 ms':>11} {'added p50':>10} {'CPU us/req':>11}"
    )
    direct_p50 = med["direct"][1]
    for name, (rps, p50) in med.items():
        shown = f"{cpu[name]:>11.0f}" if cpu[name] > 0 else f"{'':>11}"
        print(f"{name:>28} {rps:>11.0f} {p50:>11.3f} {p50 - direct_p50:>+10.3f} {shown}")
    bare = med["bare proxy"]
    for name in ("tiergate free", "tiergate free, traced", "tiergate paid",
                 "tiergate paid, cache hit"):  # fmt: skip
        if name not in med:
            continue
        rps, p50 = med[name]
        # Paired within each round too (the box drifts between rounds, less within one).
        pairs = list(zip(results[name], results["bare proxy"], strict=True))
        ratios = sorted(round(100 * t[0] / b[0]) for t, b in pairs)
        added = sorted(round(t[1] - b[1], 3) for t, b in pairs)
        print(
            f"{name}: {100 * rps / bare[0]:.0f}% of the bare proxy's req/s at c=16 (target >= 60%); "
            f"adds {p50 - bare[1]:+.3f} ms p50 at c=1 over the bare proxy (target <= +0.3 ms); "
            f"round by round: {ratios} %, {added} ms"
        )
        cpu_ratios = sorted(round(100 * b[2] / t[2]) for t, b in pairs)
        print(
            f"  CPU per request at c=16: {cpu[name]:.0f} us against the bare proxy's "
            f"{cpu['bare proxy']:.0f} us: a saturated core serves {100 * cpu['bare proxy'] / cpu[name]:.0f}% "
            f"of the bare proxy's req/s; round by round: {cpu_ratios} %"
        )
        own = list(zip(results[name], results[OWN], strict=True))
        print(
            f"  against the bare proxy on tiergate's own server and client: "
            f"{100 * rps / med[OWN][0]:.0f}% of its req/s, {p50 - med[OWN][1]:+.3f} ms p50; "
            f"round by round: {sorted(round(100 * t[0] / b[0]) for t, b in own)} %"
        )
    report_windows(windows, args.window_seconds)
    if worker_windows.get(TWO):
        print(f"paired windows at c=64: {workers_windows} x {args.window_seconds:g} s each")
        for two_name, one_name in ((TWO, ONE_PINNED), (TWO_UNPINNED, ONE)):
            pairs = zip(worker_windows[two_name], worker_windows[one_name], strict=True)
            ratios = sorted(round(t[0] / o[0], 2) for t, o in pairs)
            print(
                f"  {two_name} / {one_name}: median {statistics.median(ratios):.2f}x "
                f"(target >= 1.7x), pairs {ratios}"
            )
    if args.workers:
        pinned_one, one, two_unpinned, two = (med[name][0] for name in WORKERS)
        print(
            f"--workers 2 --pin: {two / pinned_one:.2f}x `serve --pin` (one worker on one core), "
            f"{two / one:.2f}x `serve` (one worker, unpinned) (target >= 1.7x); "
            f"unpinned --workers 2: {two_unpinned / one:.2f}x `serve`"
        )


PAIRED = ("bare proxy", OWN, "tiergate free", "tiergate free, traced")


def start(
    command: list[str], env: dict[str, str], cwd: Path, core: int | None
) -> tuple[subprocess.Popen[bytes], str]:
    """A server under test on a free port, and the URL to load it on."""
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in command]
    if "tiergate.cli" in argv:
        argv += ["--port", str(port)]
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, preexec_fn=pinned(core), stdout=subprocess.DEVNULL
    )
    wait_port(port)
    path = "/" if "bare_proxy" in " ".join(argv) else "/v1/chat/completions"
    return process, f"http://127.0.0.1:{port}{path}"


def paired_windows(
    commands: dict[str, list[str] | None],
    env: dict[str, str],
    cwd: Path,
    script: Path,
    windows: int,
    seconds: float,
    *,
    connections: int = 16,
    core: int | None = 0,
    latency: bool = False,
) -> dict[str, list[tuple[float, float, float]]]:
    """(req/s, CPU us a request, p50 ms at c=1 or nan) per target and window, the targets
    running side by side.

    core 0: each server pinned there, wrk on core 1; None: nothing pinned by this function
    (`--pin` pins workers itself) and wrk unpinned too. latency: after each window, the same
    target at c=1 for as long, so the c=1 target is paired in time too."""
    found: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    if windows <= 0:
        return found
    wrk_core = None if core is None else 1
    running: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for name, command in commands.items():
            assert command is not None
            running[name] = start(command, env, cwd, core)
            wrk(running[name][1], script, connections, 1, core=wrk_core)  # warm-up
        names = list(running)
        for window in range(windows):
            # Every other window in reverse: no target always goes first after a pause.
            for name in names if window % 2 == 0 else names[::-1]:
                process, url = running[name]
                before = cpu_seconds(process)
                rps, _ = wrk(url, script, connections, seconds, core=wrk_core)
                cpu_us = 1e6 * (cpu_seconds(process) - before) / (rps * seconds)
                p50 = wrk(url, script, 1, seconds, core=wrk_core)[1] if latency else float("nan")
                found[name].append((rps, cpu_us, p50))
    finally:
        for process, _ in running.values():
            process.terminate()
            process.wait(15)
    return found


def report_windows(found: dict[str, list[tuple[float, float, float]]], seconds: float) -> None:
    bare = found.get("bare proxy") or []
    if not bare:
        return
    print(f"paired windows at c=16: {len(bare)} x {seconds:g} s each, the targets side by side")
    for name, rows in found.items():
        rps = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        line = f"{name:>28} {rps:>11.0f} req/s {cpu:>6.0f} us/req"
        if name != "bare proxy":
            ratios = sorted(round(100 * t[0] / b[0]) for t, b in zip(rows, bare, strict=True))
            target = "; target >= 60%" if name.startswith("tiergate") else ""
            line += (
                f"   {statistics.median(ratios):.0f}% of the bare proxy (median of the pairs"
                f"{target}), pairs {ratios}"
            )
        print(line)
    if not any(math.isnan(r[2]) for r in bare):
        print(f"paired windows at c=1: added p50 over the bare proxy, {seconds:g} s each")
        for name, rows in found.items():
            if name == "bare proxy":
                continue
            added = sorted(round(t[2] - b[2], 3) for t, b in zip(rows, bare, strict=True))
            target = "; target <= +0.3 ms" if name.startswith("tiergate") else ""
            print(
                f"{name:>28} {statistics.median(added):+.3f} ms (median of the pairs{target}),"
                f" pairs {added}"
            )


if __name__ == "__main__":
    main()
