"""Two copies of tiergate, A and B, on the free path under wrk, interleaved round by round.

Each round starts `tiergate serve` from copy A, then from copy B (each pinned to core 0,
the lean upstream and wrk on core 1), drives it with wrk at c=16 and reports req/s and
the server's CPU per request (all threads, from /proc). On a shared machine whose speed
moves ±25% between minutes, the paired difference within a round is the figure to read.

    git worktree add /tmp/a REV_A; git worktree add /tmp/b REV_B
    python benchmarks/ab_wrk.py /tmp/a /tmp/b [--rounds 5] [--seconds 5]

Either side may be `bare` (bare_proxy.py, the floor issue 8 measures against) or `own`
(the same proxy on tiergate's server and client): `ab_wrk.py bare .` gives issue 8's c=16
ratio paired round by round, short rounds back to back, which the drift of this machine
disturbs least.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_wrk import BODY, free_port, pinned, wait_port, wrk

HERE = Path(__file__).resolve().parent


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of every thread


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "a", help="a directory holding a tiergate package (a worktree), or bare/own"
    )
    parser.add_argument("b", help="another one")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tiergate-ab-"))
    script = tmp / "post.lua"
    script.write_text(
        f"wrk.method = \"POST\"\nwrk.body = '{BODY}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    up_port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(HERE / "lean_upstream.py"), str(up_port)],
        stdout=subprocess.PIPE,
        preexec_fn=pinned(1),
    )
    assert upstream.stdout is not None
    upstream.stdout.readline()
    config = tmp / "free.yaml"
    config.write_text(
        "store: sqlite:///ledger.db\nproviders:\n  - name: upstream\n    protocol: openai\n"
        f"    base_url: http://127.0.0.1:{up_port}/v1\n    tier: 1\n    on_premises: true\n"
        "    max_concurrency: 100000\n    models: {default: bench-model}\n"
    )
    tick = os.sysconf("SC_CLK_TCK")
    results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    try:
        for _ in range(args.rounds):
            for side, where in (("A", args.a), ("B", args.b)):
                port = free_port()
                if where in ("bare", "own"):
                    argv = [sys.executable, str(HERE / "bare_proxy.py"), str(port),
                            f"http://127.0.0.1:{up_port}/v1"]  # fmt: skip
                    argv += ["--own-stack"] if where == "own" else []
                    env = dict(os.environ)
                else:
                    argv = [sys.executable, "-m", "tiergate.cli", "serve", "--config",
                            str(config), "--log-level", "warning", "--port", str(port)]  # fmt: skip
                    env = {**os.environ, "PYTHONPATH": str(Path(where).resolve())}
                server = subprocess.Popen(
                    argv, env=env, cwd=tmp, preexec_fn=pinned(0), stdout=subprocess.DEVNULL
                )
                try:
                    wait_port(port)
                    url = f"http://127.0.0.1:{port}/v1/chat/completions"
                    wrk(url, script, 16, 1)
                    before = cpu_ticks(server.pid)
                    rps, _ = wrk(url, script, 16, args.seconds)
                    used = (cpu_ticks(server.pid) - before) / tick
                    results[side].append((rps, 1e6 * used / max(1.0, rps * args.seconds)))
                finally:
                    server.terminate()
                    server.wait(10)
                time.sleep(0.2)
    finally:
        upstream.terminate()
    print(f"A = {args.a}\nB = {args.b}")
    print("round   A req/s   B req/s   B/A    A us/req  B us/req")
    for i, ((ra, ca), (rb, cb)) in enumerate(zip(results["A"], results["B"], strict=True)):
        print(f"{i + 1:5d} {ra:9.0f} {rb:9.0f} {rb / ra:6.2f} {ca:9.0f} {cb:9.0f}")
    ratios = [rb / ra for (ra, _), (rb, _) in zip(results["A"], results["B"], strict=True)]
    print(
        f"median B/A req/s {statistics.median(ratios):.2f}; CPU/request A "
        f"{statistics.median(c for _, c in results['A']):.0f} us, B "
        f"{statistics.median(c for _, c in results['B']):.0f} us"
    )


if __name__ == "__main__":
    main()
