"""The dashboard at GET /ui: a page for people, fed by GET /ui/data.json; never prompt or answer text.

Behind the admin key when tenants exist, like /metrics. A browser cannot send
a header from its address bar, so /ui also takes `?key=`; the page keeps that
key for its own fetches and sends it as a Bearer header. The page and its script
ship in the package (tiergate/dashboard/); nothing is loaded from elsewhere.

`gather()` is the one place the dashboard's numbers come from: the store's
report methods (spend_rows, audit_rows, recent), and this process's metrics
for the fallback rate.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from .budget import project
from .errors import StoreUnavailable, Unauthorized
from .metrics import dollars
from .stores import SpendLine
from .types import CLASSIFICATIONS

if TYPE_CHECKING:
    from .gateway import Gateway

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

ASSETS = {"/ui": "index.html", "/ui/app.js": "app.js", "/ui/app.css": "app.css"}
TYPES = {"html": b"text/html; charset=utf-8", "js": b"text/javascript; charset=utf-8",
         "css": b"text/css; charset=utf-8"}  # fmt: skip
# Everything from this origin; no inline script; not framed; the key never leaves in a Referer.
SECURITY = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
     b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]  # fmt: skip
RECENT = 50  # requests listed
WINDOW = 2000  # attempts read for the mix, the latency and the list


def routes(gateway: Gateway) -> dict[tuple[str, str], Handler]:
    """The dashboard's endpoints, for the server's route table."""
    files = {
        path: (resources.files("tiergate").joinpath("dashboard", name).read_bytes(), name)
        for path, name in ASSETS.items()
    }

    def asset(path: str) -> Handler:
        body, name = files[path]
        kind = TYPES[name.rsplit(".", 1)[1]]
        etag = b'"' + hashlib.sha256(body).hexdigest()[:16].encode() + b'"'

        async def serve(scope: Scope, receive: Receive, send: Send) -> None:
            if path == "/ui":  # the page itself is for the admin; its script and style are not data
                require_admin(gateway, scope, "The dashboard", query_key=True)
            await _respond(send, body, kind, [(b"etag", etag)])

        return serve

    async def data(scope: Scope, receive: Receive, send: Send) -> None:
        require_admin(gateway, scope, "The dashboard", query_key=True)
        body = orjson.dumps(await gather(gateway))
        await _respond(send, body, b"application/json", [])

    table: dict[tuple[str, str], Handler] = {("GET", p): asset(p) for p in ASSETS}
    table[("GET", "/ui/data.json")] = data
    return table


def require_admin(gateway: Gateway, scope: Scope, what: str, *, query_key: bool) -> None:
    """Let the admin through, or anyone on loopback when no tenants exist; else 401."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if query_key and "authorization" not in headers:
        key = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get("key")
        if key:
            headers["authorization"] = f"Bearer {key}"
    how = " (as Authorization: Bearer, or ?key= in the address)" if query_key else ""
    refused = Unauthorized(
        f"{what} needs the admin key{how} when tenants are configured; "
        "set admin_api_key_sha256 (`tiergate keys new` prints a key and its hash)."
    )
    try:
        caller = gateway.authenticate(scope, headers)
    except Unauthorized:
        raise refused from None
    if gateway.config.tenants and not caller.admin:
        raise refused


async def gather(gateway: Gateway, *, now: datetime | None = None) -> dict[str, Any]:
    """Every number the dashboard shows, as one JSON-ready dict (USD as JSON numbers, for drawing).

    Spend, caps, days and privacy cover the month, from the store; mix, latency
    and the recent list cover the newest WINDOW attempts in the store (every
    process's); the fallback rate is this process's since it started, because a
    provider skipped while its breaker is open leaves no ledger row.
    """
    config, metrics, store = gateway.config, gateway.metrics, gateway.store
    if store is None:
        raise StoreUnavailable("the gateway is still starting; retry in a moment")
    now = now or datetime.now(UTC)
    month = f"{now.year:04d}-{now.month:02d}"
    spend = await store.spend_rows(month=month, tenant=None)
    audit = await store.audit_rows(month=month)
    rows = await store.recent(limit=WINDOW)

    caps: list[dict[str, Any]] = []
    for p in config.providers:
        if p.monthly_budget_usd is not None:
            line = spend.providers.get(p.name, SpendLine())
            caps.append(_cap(f"provider {p.name}", line, p.monthly_budget_usd, month, now))
    for t in config.tenants:
        if t.monthly_budget_usd is not None:
            line = spend.tenants.get(t.name, SpendLine())
            caps.append(_cap(f"tenant {t.name}", line, t.monthly_budget_usd, month, now))
    if config.budget.monthly_total_usd is not None:
        caps.append(_cap("total", spend.total, config.budget.monthly_total_usd, month, now))

    days = []
    day = datetime(now.year, now.month, 1, tzinfo=UTC)
    while day.date() <= now.date():
        key = f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        line = spend.days.get(key, SpendLine())
        days.append({"day": key, "spent_usd": _usd(line.spent_pico), "requests": line.requests})
        day += timedelta(days=1)

    requests = _requests(rows)
    tiers: dict[str, int] = {}
    rules: dict[str, int] = {}
    for r in requests:
        tiers[r["tier"]] = tiers.get(r["tier"], 0) + 1
        rules[r["rule"]] = rules.get(r["rule"], 0) + 1
    latency: dict[str, list[float]] = {}
    ttft: dict[str, list[float]] = {}
    for row in rows:
        if row["outcome"] == "ok":
            latency.setdefault(row["provider"], []).append(float(row["latency_ms"]))
            if row.get("ttft_ms") is not None:
                ttft.setdefault(row["provider"], []).append(float(row["ttft_ms"]))

    served = metrics.requests.total()
    fell_back = metrics.fell_back.total()
    sensitive = set(config.privacy.sensitive)
    allowed = {p.name: p.allowed_classifications for p in config.providers}
    classes = [
        {"classification": c, "sensitive": c in sensitive, "requests": audit.requests.get(c, 0),
         "kept_local": audit.requests.get(c, 0) - audit.egress.get(c, 0),
         "egress": audit.egress.get(c, 0)}
        for c in CLASSIFICATIONS
    ]  # fmt: skip
    violations = [
        {"classification": c, "provider": p, "attempts": n}
        for (c, p), n in sorted(audit.egress_attempts.items())
        if c in sensitive and c not in allowed.get(p, ())
    ]
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "month": month,
        "window": WINDOW,
        "process_since": datetime.fromtimestamp(metrics.started, UTC).isoformat(timespec="seconds"),
        "spend": {
            "total_usd": _usd(spend.total.spent_pico),
            "reserved_usd": _usd(spend.total.held_pico),
            "projection_usd": _usd(
                project(spend.total.spent_pico + spend.total.held_pico, month, now)
            ),
        },
        "caps": caps,
        "daily_alert_usd": None
        if config.budget.daily_alert_usd is None
        else float(config.budget.daily_alert_usd),
        "days": days,
        "tiers": dict(sorted(tiers.items())),
        "rules": dict(sorted(rules.items(), key=lambda kv: -kv[1])),
        "fallback": {
            "requests": served,
            "fell_back": fell_back,
            "rate": fell_back / served if served else 0.0,
            "target": 0.05,
        },
        "latency": {p: _percentiles(v) for p, v in sorted(latency.items())},
        "ttft": {p: _percentiles(v) for p, v in sorted(ttft.items())},
        "privacy": {
            "classifications": classes,
            "sensitive_egress": sum(c["egress"] for c in classes if c["sensitive"]),
            "violations": violations,
        },
        "recent": requests[:RECENT],
    }


def _requests(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attempt rows (newest first) grouped into requests, newest first; never any text."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["request_id"]), []).append(row)
    requests = []
    for attempts in grouped.values():
        attempts.sort(key=lambda r: int(r["attempt"]))
        last = attempts[-1]
        requests.append(
            {"at": str(last["ts"]), "tenant": last["tenant"], "provider": last["provider"],
             "tier": str(last["tier"]), "rule": last["rule"],
             "classification": last["classification"], "outcome": last["outcome"],
             "cost_usd": dollars(sum(int(r["cost_pico"]) for r in attempts)),
             "latency_ms": round(sum(float(r["latency_ms"]) for r in attempts), 1),
             "ttft_ms": None if last.get("ttft_ms") is None else round(float(last["ttft_ms"]), 1),
             "attempts": len(attempts)}
        )  # fmt: skip
    return requests


def _percentiles(samples: list[float]) -> dict[str, float | int]:
    """Nearest-rank p50 and p95, in ms."""
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return round(ordered[max(1, math.ceil(q * len(ordered))) - 1], 1)

    return {"p50_ms": rank(0.50), "p95_ms": rank(0.95), "n": len(ordered)}


def _cap(label: str, line: SpendLine, budget: Decimal, month: str, now: datetime) -> dict[str, Any]:
    committed = line.spent_pico + line.held_pico
    return {
        "label": label,
        "spent_usd": _usd(line.spent_pico),
        "reserved_usd": _usd(line.held_pico),
        "budget_usd": float(budget),
        "projection_usd": _usd(project(committed, month, now)),
    }


def _usd(pico: int) -> float:
    """For drawing only: the page plots floats; every sum above is integer pico-dollars."""
    return float(Decimal(pico).scaleb(-12))


async def _respond(
    send: Send, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               *SECURITY, *extra]  # fmt: skip
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["gather", "require_admin", "routes"]
