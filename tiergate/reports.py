"""Spend and audit reports read from the ledger file: JSON-ready dicts for machines, tables for people.

Reports open the SQLite file read-only, so they run beside a serving gateway
(WAL lets readers and the writer proceed together). Money is summed in integer
micro-dollars and turned into USD (a JSON number, 6 decimals) only here.

Counting: a provider's `requests` are the attempts sent to it; `total.requests`,
a tenant's and a day's are distinct request ids (a request that fell back from
openai to ollama_cloud is one request, and one attempt at each). `reserved_usd`
is money held by open reservations: attempts in flight, or lost in a crash and
not yet reconciled. The projection extends spent + reserved at the burn rate
so far to the end of the month.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from .budget import project
from .config import Config
from .errors import StoreUnavailable
from .ledger import ATTEMPT_COLUMNS, GENESIS, MIGRATIONS, chain_hash, month_of, utcnow
from .pricing import usd
from .types import CLASSIFICATIONS

By = Literal["provider", "tenant", "day"]
NO_TENANT = "(none)"  # tenant names cannot contain parentheses, so this never collides


def spend(
    config: Config,
    store_path: str | Path | None = None,
    month: str | None = None,
    by: By = "provider",
    *,
    tenant: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Month-to-date spend against budgets (see the module docstring for what is counted).

    Always has "month", "providers" (every configured provider), "total" and
    "projection_usd"; "tenants" with by="tenant", "days" with by="day". With
    `tenant`, only that tenant's rows count, "total" carries its budget and
    "tenants" holds it alone: what a tenant may see of its own spend.
    """
    if by not in ("provider", "tenant", "day"):
        raise ValueError(f"by must be provider, tenant or day, not {by!r}")
    now = now or utcnow()
    month = month or month_of(now)
    scope, args = ("AND tenant = ?", (month, tenant)) if tenant else ("", (month,))
    spent: dict[str, int] = defaultdict(int)
    attempts: dict[str, int] = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    tenant_rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # spent, held, requests
    days: dict[str, list[int]] = {}
    requests = 0
    with _reader(store_path or config.store_path) as conn:
        if conn is not None:
            q = f"FROM attempts WHERE month = ? {scope}"
            for provider, micros, n in conn.execute(
                f"SELECT provider, SUM(cost_micros), COUNT(*) {q} GROUP BY provider", args
            ):
                spent[provider], attempts[provider] = int(micros), int(n)
            requests = conn.execute(f"SELECT COUNT(DISTINCT request_id) {q}", args).fetchone()[0]
            r = f"FROM reservations WHERE state = 'open' AND month = ? {scope}"
            for provider, micros in conn.execute(
                f"SELECT provider, SUM(micros) {r} GROUP BY provider", args
            ):
                held[provider] = int(micros)
            if by == "tenant" or tenant:
                for name, micros, n in conn.execute(
                    f"SELECT tenant, SUM(cost_micros), COUNT(DISTINCT request_id) {q} "
                    "GROUP BY tenant",
                    args,
                ):
                    tenant_rows[name or NO_TENANT][0] = int(micros)
                    tenant_rows[name or NO_TENANT][2] = int(n)
                for name, micros in conn.execute(
                    f"SELECT tenant, SUM(micros) {r} GROUP BY tenant", args
                ):
                    tenant_rows[name or NO_TENANT][1] = int(micros)
            if by == "day":
                days = {
                    day: [int(micros), int(n)]
                    for day, micros, n in conn.execute(
                        f"SELECT substr(ts, 1, 10), SUM(cost_micros), COUNT(DISTINCT request_id) "
                        f"{q} GROUP BY 1 ORDER BY 1",
                        args,
                    )
                }

    names = [p.name for p in config.providers] + sorted(
        set(spent) - {p.name for p in config.providers}
    )
    budgets = {p.name: p.monthly_budget_usd for p in config.providers}
    report: dict[str, Any] = {
        "month": month,
        "providers": {
            name: _line(spent[name], held[name], budgets.get(name), attempts[name])
            for name in names
        },
    }
    total_budget = config.budget.monthly_total_usd
    if tenant:
        t = config.tenant(tenant)
        total_budget = t.monthly_budget_usd if t else None
    total_spent, total_held = sum(spent.values()), sum(held.values())
    report["total"] = _line(total_spent, total_held, total_budget, requests)
    report["projection_usd"] = _usd(project(total_spent + total_held, month, now))
    if by == "tenant" or tenant:
        wanted = [tenant] if tenant else [t.name for t in config.tenants]
        wanted += sorted(set(tenant_rows) - set(wanted)) if not tenant else []
        report["tenants"] = {
            name: _line(
                tenant_rows[name][0],
                tenant_rows[name][1],
                (t.monthly_budget_usd if (t := config.tenant(name)) else None),
                tenant_rows[name][2],
            )
            for name in wanted
        }
    if by == "day":
        report["days"] = {d: {"spent_usd": _usd(m), "requests": n} for d, (m, n) in days.items()}
    return report


def format_spend(report: dict[str, Any]) -> str:
    """A readable table of a spend() report, for the CLI."""
    head = ["", "spent USD", "reserved USD", "budget USD", "used", "requests"]

    def row(name: str, line: dict[str, Any]) -> list[str]:
        budget = line["budget_usd"]
        committed = Decimal(str(line["spent_usd"])) + Decimal(str(line["reserved_usd"]))
        used = f"{committed / Decimal(str(budget)):.1%}" if budget else "-"
        return [name, f"{line['spent_usd']:.6f}", f"{line['reserved_usd']:.6f}",
                "-" if budget is None else f"{budget:.2f}", used, str(line["requests"])]  # fmt: skip

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
        rows += [
            [d, f"{v['spent_usd']:.6f}", str(v["requests"])] for d, v in report["days"].items()
        ]
        blocks += [_table(rows), ""]
    blocks.append(f"Projected month-end spend at the current rate: ${report['projection_usd']:.2f}")
    return "\n".join(blocks)


def audit(
    config: Config, store_path: str | Path | None = None, month: str | None = None
) -> dict[str, Any]:
    """Requests per classification and how many left the premises; month=None is all time.

    A violation is a sensitive classification that reached a provider off the
    premises that does not list it in allowed_classifications. "ok" is False
    when there is any.
    """
    where, args = ("WHERE month = ?", (month,)) if month else ("", ())
    counts: dict[str, dict[str, Any]] = {
        c: {"requests": 0, "egress": 0, "sensitive": c in config.privacy.sensitive}
        for c in CLASSIFICATIONS
    }
    sources: dict[str, int] = {}
    violations: list[dict[str, Any]] = []
    allowed = {p.name: p.allowed_classifications for p in config.providers}
    with _reader(store_path or config.store_path) as conn:
        if conn is not None:
            for cls, n, out in conn.execute(
                "SELECT classification, COUNT(DISTINCT request_id), "
                f"COUNT(DISTINCT CASE WHEN egress THEN request_id END) FROM attempts {where} "
                "GROUP BY classification",
                args,
            ):
                entry = counts.setdefault(cls, {"requests": 0, "egress": 0, "sensitive": False})
                entry["requests"], entry["egress"] = int(n), int(out)
            for source, n in conn.execute(
                f"SELECT classification_source, COUNT(DISTINCT request_id) FROM attempts {where} "
                "GROUP BY 1 ORDER BY 2 DESC",
                args,
            ):
                sources[source] = int(n)
            for cls, provider, n in conn.execute(
                f"SELECT classification, provider, COUNT(*) FROM attempts {where} "
                f"{'AND' if where else 'WHERE'} egress GROUP BY 1, 2",
                args,
            ):
                if cls in config.privacy.sensitive and cls not in allowed.get(provider, ()):
                    violations.append(
                        {"classification": cls, "provider": provider, "attempts": int(n)}
                    )
    return {"month": month, "classifications": counts, "sources": sources,
            "violations": violations, "ok": not violations}  # fmt: skip


def format_audit(report: dict[str, Any], verified: tuple[bool, str] | None = None) -> str:
    """A readable audit() report, with the chain check's result when one was run."""
    rows = [["classification", "sensitive", "requests", "egress"]]
    for cls, c in report["classifications"].items():
        rows.append([cls, "yes" if c["sensitive"] else "no", str(c["requests"]), str(c["egress"])])
    lines = [f"Audit for {report['month'] or 'all time'}", "", _table(rows), ""]
    if report["sources"]:
        lines += [
            _table(
                [
                    ["classified by", "requests"],
                    *([s, str(n)] for s, n in report["sources"].items()),
                ]
            ),
            "",
        ]
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


def verify(store_path: str | Path) -> tuple[bool, str]:
    """Recompute the ledger's hash chain: (ok, detail). A missing ledger is not ok."""
    with _reader(store_path) as conn:
        if conn is None:
            return False, f"no ledger at {store_path}"
        return _check_chain(conn)


def _check_chain(conn: sqlite3.Connection) -> tuple[bool, str]:
    """Walk every attempt row in id order and recompute the chain; (ok, what was found)."""
    prev, rows, last_id = GENESIS, 0, 0
    cursor = conn.execute(f"SELECT {', '.join(ATTEMPT_COLUMNS)}, hash FROM attempts ORDER BY id")
    for row in cursor:
        values, stored = tuple(row[:-1]), row[-1]
        rows += 1
        if chain_hash(prev, values) != stored:
            return False, (
                f"row id {values[0]} (request {values[3]}) does not match the chain: it was "
                f"edited, or a row before it was deleted or inserted"
            )
        prev, last_id = stored, values[0]
    head = conn.execute("SELECT last_id, last_hash FROM chain_head WHERE k = 0").fetchone()
    if head is None or tuple(head) != (last_id, prev):
        return False, (
            f"the chain head (row id {head[0] if head else None}) does not match the last row "
            f"(id {last_id}): rows were deleted from or added at the end"
        )
    return True, f"{rows} rows verified; head {prev[:16]}"


@contextmanager
def _reader(path: str | Path) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection, or None when the file does not exist yet (nothing spent)."""
    path = str(path)
    if path == ":memory:" or not Path(path).exists():
        yield None
        return
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot read the ledger at {path}: {exc}") from None
    try:
        if not 1 <= version <= len(MIGRATIONS):
            raise StoreUnavailable(
                f"{path} is not a tiergate ledger this version can read "
                f"(schema {version}, known 1..{len(MIGRATIONS)})"
            )
        yield conn
    finally:
        conn.close()


def _line(spent: int, held: int, budget: Decimal | None, requests: int) -> dict[str, Any]:
    return {"spent_usd": _usd(spent), "reserved_usd": _usd(held), "budget_usd": _budget(budget),
            "requests": requests}  # fmt: skip


def _usd(micros: int) -> float:
    return float(round(usd(micros), 6))


def _budget(amount: Decimal | None) -> int | float | None:
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


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


__all__ = ["audit", "format_audit", "format_spend", "spend", "verify"]
