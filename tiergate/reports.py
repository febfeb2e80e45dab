"""Spend and audit reports from the Store: JSON-ready dicts for machines, tables for people.

Reports read through the store (a read-only SQLite connection, or the
PostgreSQL pool), so they run beside serving gateways. Money arrives as
integer pico-dollars and becomes exact USD `Decimal` only here; `to_json`
writes it as an exact JSON number (no float rounding).

Counting: a provider's `requests` are the attempts sent to it; `total.requests`,
a tenant's and a day's are distinct request ids (a request that fell back from
openai to ollama_cloud is one request, and one attempt at each). `reserved_usd`
is money held by open reservations: attempts in flight, or lost with a dead
process and not yet reaped. The projection extends spent + reserved at the burn
rate so far to the end of the month.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson

from .budget import project
from .config import Config
from .pricing import build as build_prices
from .pricing import cost_pico
from .stores import PICO_PER_USD, SpendLine, SpendRows, Store, open_store, usd_text
from .stores.calendar import month_of, utcnow
from .types import CLASSIFICATIONS, Usage

T = TypeVar("T")
By = Literal["provider", "tenant", "day"]
NO_TENANT = "(none)"  # tenant names cannot contain parentheses, so this never collides


def usd(pico: int) -> Decimal:
    """Exact USD of a pico-dollar amount, without trailing zeros."""
    return (Decimal(pico) / PICO_PER_USD).normalize() if pico else Decimal(0)


async def spend_report(
    config: Config,
    store: Store,
    month: str | None = None,
    by: By = "provider",
    *,
    tenant: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Month-to-date spend against budgets (see the module docstring for what is counted).

    Always has "month", "providers" (every configured provider), "total" and
    "projection_usd" and "cache" (hits, and what they saved at today's prices); "tenants"
    with by="tenant", "days" with by="day". With
    `tenant`, only that tenant's rows count, "total" carries its budget and
    "tenants" holds it alone: what a tenant may see of its own spend.
    """
    if by not in ("provider", "tenant", "day"):
        raise ValueError(f"by must be provider, tenant or day, not {by!r}")
    now = now or utcnow()
    month = month or month_of(now)
    rows = await store.spend_rows(month=month, tenant=tenant)
    configured = [p.name for p in config.providers]
    names = configured + sorted(set(rows.providers) - set(configured))
    budgets = {p.name: p.monthly_budget_usd for p in config.providers}
    empty = SpendLine()
    report: dict[str, Any] = {
        "month": month,
        "providers": {
            name: _line(rows.providers.get(name, empty), budgets.get(name), attempts=True)
            for name in names
        },
    }
    total_budget = config.budget.monthly_total_usd
    if tenant:
        t = config.tenant(tenant)
        total_budget = t.monthly_budget_usd if t else None
    report["total"] = _line(rows.total, total_budget)
    report["projection_usd"] = usd(
        project(rows.total.spent_pico + rows.total.held_pico, month, now)
    )
    if by == "tenant" or tenant:
        found = {name or NO_TENANT: line for name, line in rows.tenants.items()}
        wanted = [tenant] if tenant else [t.name for t in config.tenants]
        wanted += sorted(set(found) - set(wanted)) if not tenant else []
        report["tenants"] = {
            name: _line(
                found.get(name, empty),
                (t.monthly_budget_usd if (t := config.tenant(name)) else None),
            )
            for name in wanted
        }
    if by == "day":
        report["days"] = {
            d: {"spent_usd": usd(line.spent_pico), "requests": line.requests}
            for d, line in rows.days.items()
        }
    report["cache"] = _cache_savings(config, rows)
    return report


def _cache_savings(config: Config, rows: SpendRows) -> dict[str, Any]:
    """Cache hits this month and what they would have cost at today's prices."""
    book = build_prices(config)
    hits = saved = 0
    for (provider, model), (n, prompt, completion) in rows.cache_hits.items():
        hits += n
        price = book.prices.get((provider, model))
        if price is not None:
            saved += cost_pico(Usage(prompt, completion), price)
    return {"hits": hits, "savings_usd": usd(saved)}


async def audit_report(config: Config, store: Store, month: str | None = None) -> dict[str, Any]:
    """Requests per classification and how many left the premises; month=None is all time.

    A violation is a sensitive classification that reached a provider off the
    premises that does not list it in allowed_classifications. "ok" is False
    when there is any.
    """
    rows = await store.audit_rows(month=month)
    counts: dict[str, dict[str, Any]] = {
        c: {"requests": 0, "egress": 0, "sensitive": c in config.privacy.sensitive}
        for c in CLASSIFICATIONS
    }
    for cls, n in rows.requests.items():
        entry = counts.setdefault(cls, {"requests": 0, "egress": 0, "sensitive": False})
        entry["requests"], entry["egress"] = n, rows.egress.get(cls, 0)
    allowed = {p.name: p.allowed_classifications for p in config.providers}
    violations = [
        {"classification": cls, "provider": provider, "attempts": n}
        for (cls, provider), n in sorted(rows.egress_attempts.items())
        if cls in config.privacy.sensitive and cls not in allowed.get(provider, ())
    ]
    return {"month": month, "classifications": counts, "sources": dict(rows.sources),
            "violations": violations, "ok": not violations}  # fmt: skip


def spend(
    config: Config,
    store: str | Path | None = None,
    month: str | None = None,
    by: By = "provider",
    *,
    tenant: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """spend_report() for synchronous callers (the CLI): opens the store read-only for it."""
    return _with_store(
        config, store, lambda s: spend_report(config, s, month, by, tenant=tenant, now=now)
    )


def audit(
    config: Config, store: str | Path | None = None, month: str | None = None
) -> dict[str, Any]:
    """audit_report() for synchronous callers (the CLI)."""
    return _with_store(config, store, lambda s: audit_report(config, s, month))


def verify(
    store: str | Path, *, key: bytes | None = None, config: Config | None = None
) -> tuple[bool, str]:
    """Recompute the ledger's (keyed) hash chain: (ok, detail). A missing ledger is not ok."""
    if config is not None and key is None:
        key = config.ledger_key
    return _run(_url(store), key, lambda s: s.verify())


def _with_store(config: Config, store: str | Path | None, fn: Callable[[Store], Awaitable[T]]) -> T:
    return _run(_url(store) if store is not None else config.store, None, fn)


def _run(url: str, key: bytes | None, fn: Callable[[Store], Awaitable[T]]) -> T:
    async def go() -> T:
        opened = await open_store(url, owner="report", key=key, readonly=True)
        try:
            return await fn(opened)
        finally:
            await opened.close()

    return asyncio.run(go())


def _url(store: str | Path) -> str:
    text = str(store)
    if "://" in text:
        return text
    return "sqlite://:memory:" if text == ":memory:" else f"sqlite:///{Path(text).absolute()}"


def to_json(report: Any, *, indent: bool = False) -> bytes:
    """JSON with every Decimal as an exact number (orjson would need floats)."""
    return _encode(report, "\n" if indent else "").encode()


def _encode(value: Any, newline: str) -> str:
    inner = newline + "  " if newline else ""
    sep = ": " if newline else ":"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dict) and value:
        items = (f"{inner}{_encode(str(k), '')}{sep}{_encode(v, inner)}" for k, v in value.items())
        return "{" + ",".join(items) + newline + "}"
    if isinstance(value, (list, tuple)) and value:
        return "[" + ",".join(f"{inner}{_encode(v, inner)}" for v in value) + newline + "]"
    return orjson.dumps(value).decode()


def format_spend(report: dict[str, Any]) -> str:
    """A readable table of a spend report, for the CLI (exact USD)."""
    head = ["", "spent USD", "reserved USD", "budget USD", "used", "requests"]

    def row(name: str, line: dict[str, Any]) -> list[str]:
        budget = line["budget_usd"]
        committed = Decimal(line["spent_usd"]) + Decimal(line["reserved_usd"])
        used = f"{committed / Decimal(budget):.1%}" if budget else "-"
        return [name, _money(line["spent_usd"]), _money(line["reserved_usd"]),
                "-" if budget is None else f"{Decimal(budget):.2f}", used,
                str(line["requests"])]  # fmt: skip

    blocks = [f"Spend for {report['month']} (month to date, UTC)", ""]
    rows = [["provider", *head[1:]]]
    rows += [row(name, line) for name, line in report["providers"].items()]
    rows += [row("total", report["total"])]
    blocks += [_table(rows, rule_before_last=True), ""]
    if "tenants" in report:
        rows = [["tenant", *head[1:]]] + [row(n, v) for n, v in report["tenants"].items()]
        blocks += [_table(rows), ""]
    if "days" in report:
        rows = [["day", "spent USD", "requests"]]
        rows += [[d, _money(v["spent_usd"]), str(v["requests"])] for d, v in report["days"].items()]
        blocks += [_table(rows), ""]
    cache = report.get("cache") or {}
    if cache.get("hits"):
        blocks.append(
            f"Cache: {cache['hits']} answer{'' if cache['hits'] == 1 else 's'} replayed, saving "
            f"${_money(cache['savings_usd'])} at the providers' prices."
        )
    blocks.append(
        f"Projected month-end spend at the current rate: ${Decimal(report['projection_usd']):.2f}"
    )
    return "\n".join(blocks)


def format_audit(report: dict[str, Any], verified: tuple[bool, str] | None = None) -> str:
    """A readable audit report, with the chain check's result when one was run."""
    rows = [["classification", "sensitive", "requests", "egress"]]
    for cls, c in report["classifications"].items():
        rows.append([cls, "yes" if c["sensitive"] else "no", str(c["requests"]), str(c["egress"])])
    lines = [f"Audit for {report['month'] or 'all time'}", "", _table(rows), ""]
    if report["sources"]:
        sources = [
            ["classified by", "requests"],
            *([s, str(n)] for s, n in report["sources"].items()),
        ]
        lines += [_table(sources), ""]
    if report["violations"]:
        lines.append("VIOLATIONS: sensitive data left the premises:")
        lines += [
            f"  {v['classification']} -> {v['provider']}: {v['attempts']} attempts"
            for v in report["violations"]
        ]
    else:
        lines.append("No sensitive request left the premises.")
    if verified is not None:
        lines.append(f"Hash chain: {'OK' if verified[0] else 'BROKEN'}: {verified[1]}")
    return "\n".join(lines)


def _money(amount: Decimal | int) -> str:
    """Exact, but at least six decimals so that columns line up for ordinary amounts."""
    text = usd_text(int(Decimal(amount) * PICO_PER_USD))
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(6, '0')}"


def _line(line: SpendLine, budget: Decimal | None, *, attempts: bool = False) -> dict[str, Any]:
    return {"spent_usd": usd(line.spent_pico), "reserved_usd": usd(line.held_pico),
            "budget_usd": None if budget is None else budget.normalize(),
            "requests": line.attempts if attempts else line.requests}  # fmt: skip


def _table(rows: list[list[str]], *, rule_before_last: bool = False) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def fmt(r: list[str]) -> str:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [fmt(r) for r in rows[1:]]
    if rule_before_last and len(body) > 1:
        body.insert(len(body) - 1, rule)
    return "\n".join([fmt(rows[0]), rule, *body])


__all__ = [
    "audit",
    "audit_report",
    "format_audit",
    "format_spend",
    "spend",
    "spend_report",
    "to_json",
    "usd",
    "verify",
]
