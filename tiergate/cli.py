"""The `tiergate` command: serve | check | route | spend | audit | keys new | batch run | demo."""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from . import __version__
from .config import Config, load_config
from .detect import Detector, ExtraPattern
from .errors import ConfigError, TiergateError
from .hints import Hints, classify
from .outbound import Request, encode_all, scan_texts
from .policy import Features, State, decide
from .pricing import PICO_PER_MICRO, PriceBook, TokenPrice, build, pico_to_usd
from .stores import PICO_PER_USD
from .types import CLASSIFICATIONS, COMPLEXITIES, QUALITIES, TASKS

DEFAULT_CONFIG = "tiergate.yaml"


def _load(path: str) -> tuple[Config, PriceBook]:
    config = load_config(path)
    return config, build(config)


def _price_text(model: str, price: TokenPrice) -> str:
    if price.is_free:
        return f"{model} (free)"
    per_mtok = [
        (Decimal(p) / PICO_PER_MICRO).normalize() for p in (price.input_pico, price.output_pico)
    ]
    return f"{model} (${per_mtok[0]:f} in / ${per_mtok[1]:f} out per Mtok, {price.source})"


def cmd_check(args: argparse.Namespace) -> int:
    config, prices = _load(args.config)
    print(
        f"{args.config}: OK — {len(config.providers)} providers, {len(config.tenants)} tenants, store {_shown(config.store)}"
    )
    print(f"  {_store_status(config)}")
    for p in config.providers:
        state = "up" if p.has_key else "DOWN: api_key is empty (set it, or the provider is skipped)"
        models = ", ".join(_price_text(m, prices.get(p.name, m)) for m in p.served_models)
        print(
            f"  tier {p.tier}  {p.name:<14} {p.protocol:<7} {'on premises' if p.on_premises else 'cloud':<12} {state}"
        )
        print(f"          models: {models}")
    return _probe(config, args.probe_timeout) if args.probe else 0


def _probe(config: Config, timeout_s: float) -> int:
    import asyncio

    from .probe import probe

    answers = asyncio.run(probe(config, timeout_s))
    print(f"probe (GET of each provider's model list; no prompt sent; {timeout_s:g}s timeout):")
    for answer in answers:
        print(f"  {answer.provider:<14} {'OK  ' if answer.ok else 'FAIL'} {answer.detail}")
    return 0 if all(a.ok for a in answers) else 1


def cmd_route(args: argparse.Namespace) -> int:
    config, prices = _load(args.config)
    hints = Hints(args.classification, args.task, args.quality, args.complexity, args.batch_size)
    pinned = None
    if args.model != "auto":
        pinned = next((p.name for p in config.providers if args.model in p.served_models), None)
        if pinned is None:
            raise ConfigError([f"--model: no provider serves {args.model!r}"])
    # The same encoding the gateway makes: what each provider would be sent is what is
    # scanned and counted.
    request = Request(
        endpoint="embeddings" if hints.task == "embedding" else "chat",
        body=(
            {"model": args.model, "input": [args.prompt]}
            if hints.task == "embedding"
            else {"model": args.model, "messages": [{"role": "user", "content": args.prompt}]}
        ),
        task=hints.task,
        stream=False,
        max_tokens=args.max_tokens,
        pinned=pinned,
        pinned_model=args.model if pinned else None,
    )
    outbound = encode_all(config, request)
    detector = Detector(
        extra_patterns=[
            ExtraPattern(p.name, p.regex, p.classification) for p in config.privacy.patterns
        ],
        allow=config.privacy.allow,
    )
    bodies = [o.body for o in outbound.values() if o.body is not None]
    finding = detector.scan(scan_texts(bodies, request)) if config.privacy.detect else None
    tenant = config.tenant(args.tenant) if args.tenant else None
    if args.tenant and tenant is None:
        raise ConfigError([f"--tenant: no tenant named {args.tenant!r} in {args.config}"])
    classified = classify(
        declared=hints.classification,
        floor=tenant.classification_floor if tenant else None,
        detected=finding.classification if finding else None,
        detected_kinds=finding.kinds if finding else (),
    )
    features = Features(
        classification=classified.classification,
        task=hints.task,
        quality=hints.quality,
        complexity=hints.complexity,
        batch_size=hints.batch_size,
        outbound=outbound,
        tenant=tenant.name if tenant else None,
        pinned=pinned,
        pinned_model=args.model if pinned else None,
    )
    state = State(
        remaining=_remaining(config, tenant.name if tenant else None),
        down=frozenset(p.name for p in config.providers if not p.has_key),
    )
    decision = decide(features, config, state, prices)
    if args.json:
        print(
            orjson.dumps(
                {
                    "rule": decision.rule,
                    "classification": classified.classification,
                    "classification_source": classified.source,
                    "candidates": [
                        {
                            "provider": c.name,
                            "tier": c.provider.tier,
                            "model": c.model,
                            "reserve_usd": str(pico_to_usd(c.bound_pico).normalize()),
                        }
                        for c in decision.candidates
                    ],
                    "trace": list(decision.trace),
                },
                option=orjson.OPT_INDENT_2,
            ).decode()
        )
        return 0
    print(f"classification: {classified.classification} ({classified.source})")
    print(f"rule:           {decision.rule}")
    order = " -> ".join(
        f"{c.name} (tier {c.provider.tier}, {c.model})" for c in decision.candidates
    )
    print(f"candidates:     {order or 'none: the request would be refused'}")
    print("trace:")
    for line in decision.trace:
        print(f"  - {line}")
    print("(dry run: no provider was called; budgets as the ledger has them, load not consulted)")
    return 0


def _remaining(config: Config, tenant: str | None) -> dict[str, int]:
    """Pico-dollars left under each cap, read from the store as it stands (nothing is written)."""
    from . import reports
    from .budget import cap_pico

    def left(line: dict[str, Any]) -> int | None:
        if line["budget_usd"] is None:
            return None
        committed = Decimal(line["spent_usd"]) + Decimal(line["reserved_usd"])
        return cap_pico(Decimal(line["budget_usd"])) - int(committed * PICO_PER_USD)

    report = reports.spend(config)
    remaining = {f"provider:{name}": left(line) for name, line in report["providers"].items()}
    remaining["total"] = left(report["total"])
    if tenant is not None:
        remaining[f"tenant:{tenant}"] = left(reports.spend(config, tenant=tenant)["total"])
    return {scope: max(0, value) for scope, value in remaining.items() if value is not None}


def _store_status(config: Config) -> str:
    """`check` opens the store (read-only: it creates nothing) and says what it found."""
    import asyncio

    from .stores import _postgres_schema, _sqlite_schema, open_store

    schema = _sqlite_schema if config.store.startswith("sqlite") else _postgres_schema
    latest = len(schema.MIGRATIONS)

    async def version() -> int:
        store = await open_store(config.store, owner="check", readonly=True)
        try:
            return await store.schema_version()
        finally:
            await store.close()

    try:
        found = asyncio.run(version())
    except TiergateError as exc:
        if "tiergate migrate" not in exc.message:
            raise
        return f"store: {exc.message}"
    if found == 0:
        return "store: not created yet (`tiergate serve` or `tiergate migrate` creates it)"
    return f"store: schema version {found} of {latest}"


def _shown(url: str) -> str:
    """A store URL fit to print: a PostgreSQL password replaced by ***."""
    if url.startswith("sqlite"):
        return url
    from .stores.postgres import hide_password

    return hide_password(url)


def cmd_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from .stores import open_store

    config = load_config(args.config)

    async def migrate() -> int:
        store = await open_store(config.store, owner="migrate", key=config.ledger_key)
        try:
            return await store.migrate()
        finally:
            await store.close()

    print(f"{_shown(config.store)}: schema version {asyncio.run(migrate())}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from . import logs
    from .gateway import is_loopback
    from .httpd import Server
    from .reload import early_sighup
    from .server import create_app
    from .shutdown import SERVER_MARGIN_S

    config, prices = _load(args.config)
    host = args.host or config.server.host
    port = args.port if args.port is not None else config.server.port
    if not config.tenants and not is_loopback(host):
        raise ConfigError(
            [
                f"--host {host}: with no tenants configured tiergate serves loopback callers only. "
                "Add tenants (tiergate keys new --tenant NAME) or bind 127.0.0.1."
            ]
        )
    logs.setup(args.log_level)
    # Our own grace (shutdown.py) answers what is left before the server's timeout would cut it.
    # The caller's address decides loopback-only access: the server never takes it from a header.
    graceful_s = config.server.shutdown_grace_s + SERVER_MARGIN_S
    if args.workers < 1:
        raise ConfigError([f"--workers: expected 1 or more processes, got {args.workers}"])
    if args.pin and not hasattr(os, "sched_setaffinity"):
        raise ConfigError(["--pin: needs Linux (sched_setaffinity); leave it out here"])
    if args.workers > 1:
        from . import workers

        def serve(sock: Any) -> None:
            early_sighup.hold()  # in the worker, before anything that takes time
            app = create_app(config, prices=prices)
            app.reload_from(args.config)
            app.after_start = _settle_garbage_collector
            code = Server(app, graceful_s=graceful_s).run(sockets=[sock])
            if code:
                raise SystemExit(code)

        return workers.supervise(serve, host, port, args.workers, pinned=args.pin)
    if args.pin:
        from .workers import pin

        pin(0)
    early_sighup.hold()
    app = create_app(config, prices=prices)
    app.reload_from(args.config)  # SIGHUP re-reads it
    app.after_start = _settle_garbage_collector  # once the lifespan has built everything
    return Server(app, host=host, port=port, graceful_s=graceful_s).run()


def _settle_garbage_collector() -> None:
    """A serving process's long-lived objects (modules, config, price book) go to the permanent
    generation, and young collections run less often: the cyclic GC cost ~50 µs a request
    re-scanning them (benchmarks/bench_cpu.py with BENCH_GC=1), ~6 µs after this. Cycles are
    still collected."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def cmd_spend(args: argparse.Namespace) -> int:
    from . import reports

    config = load_config(args.config)
    report = reports.spend(config, None, args.month, by=args.by)
    if args.json:
        print(reports.to_json(report, indent=True).decode())
    else:
        print(reports.format_spend(report))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from . import reports

    config = load_config(args.config)
    report = reports.audit(config, None, args.month)
    print(reports.format_audit(report))
    code = 0 if not report.get("violations") else 1
    if args.verify:
        ok, detail = reports.verify(config.store, key=config.ledger_key)
        print(("chain OK: " if ok else "CHAIN BROKEN: ") + detail)
        code = code or (0 if ok else 1)
    return code


def cmd_keys_new(args: argparse.Namespace) -> int:
    key = "tg-" + secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    print(f"key (shown once; give it to tenant {args.tenant!r}): {key}")
    print(f"api_key_sha256: {digest}")
    print("config:")
    print(
        f'  tenants:\n    - {{name: {args.tenant}, api_key_sha256: "{digest}", mode: multi_cloud}}'
    )
    return 0


def cmd_batch_run(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from .batch import BatchFileError, Options, run

    if args.concurrency < 1:
        print("tiergate: --concurrency must be at least 1", file=sys.stderr)
        return 2
    config = load_config(args.config)
    options = Options(
        input=Path(args.requests),
        output=Path(args.out),
        concurrency=args.concurrency,
        poll_s=args.poll_interval,
        tenant=args.tenant,
        progress=not args.quiet,
        rerun_interrupted=args.rerun_interrupted,
    )
    try:
        summary = asyncio.run(run(config, options))
    except BatchFileError as exc:
        print(f"tiergate: {exc.message}", file=sys.stderr)
        return 2
    saved = summary.batch_normal_pico - summary.batch_cost_pico
    print(
        f"{summary.lines} lines -> {args.out}: {summary.via_gateway} through the gateway, "
        f"{summary.via_batch} through provider batch APIs, {summary.failed} failed"
        + (f" ({summary.resumed} done before this run)" if summary.resumed else "")
    )
    print(
        f"cost ${pico_to_usd(summary.cost_pico).normalize():f}"
        + (f"; batch APIs saved ${pico_to_usd(saved).normalize():f}" if summary.via_batch else "")
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(requests_per_kind=args.requests)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tiergate", description="LLM execution gateway: local first, cloud when it must."
    )
    parser.add_argument("--version", action="version", version=f"tiergate {__version__}")
    # Bare `tiergate` prints this help and exits 0 (main()).
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--config",
            default=os.environ.get("TIERGATE_CONFIG", DEFAULT_CONFIG),
            help="tiergate.yaml path",
        )

    p = sub.add_parser("serve", help="run the gateway")
    with_config(p)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument(
        "--workers", type=int, default=1, help="processes serving one port (they share the store)"
    )
    p.add_argument(
        "--pin",
        action="store_true",
        help="pin each serving process to its own CPU core (Linux; faster where a thread "
        "hand-off across cores is slow, as in many VMs)",
    )
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("check", help="validate a config and open its store; exit 2 on any problem")
    with_config(p)
    p.add_argument(
        "--probe",
        action="store_true",
        help="also ask each provider for its model list (no prompt is sent); exit 1 if one fails",
    )
    p.add_argument("--probe-timeout", type=float, default=5.0, metavar="SECONDS")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("migrate", help="create the store or apply its pending schema migrations")
    with_config(p)
    p.set_defaults(run=cmd_migrate)

    p = sub.add_parser("route", help="dry-run the routing decision for a prompt")
    with_config(p)
    p.add_argument("--prompt", required=True)
    p.add_argument("--classification", choices=CLASSIFICATIONS, default=None)
    p.add_argument("--task", choices=TASKS, default="chat")
    p.add_argument("--quality", choices=QUALITIES, default="standard")
    p.add_argument("--complexity", choices=COMPLEXITIES, default="low")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--model", default="auto")
    p.add_argument("--tenant", default=None)
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--explain", action="store_true", help="(the trace is always printed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_route)

    p = sub.add_parser("spend", help="month-to-date spend against budgets")
    with_config(p)
    p.add_argument("--month", default=None, help="YYYY-MM (default: this month, UTC)")
    p.add_argument("--by", choices=["provider", "tenant", "day"], default="provider")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_spend)

    p = sub.add_parser(
        "audit", help="requests per classification and their egress; --verify the hash chain"
    )
    with_config(p)
    p.add_argument("--month", default=None)
    p.add_argument("--verify", action="store_true")
    p.set_defaults(run=cmd_audit)

    keys = sub.add_parser("keys", help="tenant keys").add_subparsers(
        dest="keys_command", required=True
    )
    p = keys.add_parser("new", help="print a fresh tenant key once, with the hash for the config")
    p.add_argument("--tenant", required=True)
    p.set_defaults(run=cmd_keys_new)

    batch = sub.add_parser("batch", help="OpenAI batch files").add_subparsers(
        dest="batch_command", required=True
    )
    p = batch.add_parser(
        "run",
        help="run an OpenAI batch input file through the gateway (provider batch APIs where "
        "routed); an interrupted run resumes",
    )
    with_config(p)
    p.add_argument("requests", help="JSONL: custom_id, method, url, body per line")
    p.add_argument("--out", required=True, help="results JSONL (OpenAI batch output format)")
    p.add_argument("--concurrency", type=int, default=8, help="lines in flight on the normal path")
    p.add_argument("--poll-interval", type=float, default=10.0, metavar="SECONDS")
    p.add_argument("--tenant", default=None, help="run as this configured tenant")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--rerun-interrupted",
        action="store_true",
        help="on resume, run again the lines an interrupted run left in flight (they may run twice)",
    )
    p.set_defaults(run=cmd_batch_run)

    p = sub.add_parser(
        "demo", help="a first look: simulated tiers, the real gateway, a mixed workload"
    )
    p.add_argument("--requests", type=int, default=1, help="requests per workload kind")
    p.set_defaults(run=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 0
    if getattr(args, "month", None):
        try:
            datetime.strptime(args.month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            print(f"tiergate: --month must look like 2026-11 (got {args.month!r})", file=sys.stderr)
            return 2
    try:
        code: int = args.run(args)
        return code
    except ConfigError as exc:
        print(f"tiergate: config error in {getattr(args, 'config', 'config')}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except TiergateError as exc:
        print(f"tiergate: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
