"""Gateway: what one running tiergate holds, and how a request becomes a routed Call.

It authenticates the caller, validates the body, reads the hints, scans the
text, classifies it and asks decide() for the candidates; the server module
does the HTTP around it and the router walks the candidates.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import time
import uuid
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import intake, telemetry
from .attempt import Services
from .budget import Budget
from .cache import ResponseCache, cacheable, open_cache
from .coalesce import Coalescer
from .config import Config, TenantConfig
from .errors import BudgetExhausted, InvalidRequest, PolicyDenied, StoreUnavailable, Unauthorized
from .hints import Classified, classify, parse_hints
from .metrics import Gauge, Metrics
from .outbound import Outbound, Request, encode_all
from .policy import Decision, Features, State, decide, never_candidates
from .pricing import PriceBook, pico_to_usd
from .reload import Generation
from .router import Call, Router, Served
from .scanner import Scanner
from .stores import Store, open_store
from .telemetry import Tracer
from .types import most_restrictive
from .upstream import Upstream

Scope = MutableMapping[str, Any]


def _usd_text(pico: int) -> bytes:
    return format(pico_to_usd(pico).normalize(), "f").encode() if pico else b"0"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    known = _LOOPBACK.get(host)
    if known is None:
        try:
            known = ipaddress.ip_address(host).is_loopback
        except ValueError:
            known = host == "localhost"
        if len(_LOOPBACK) >= 4096:
            _LOOPBACK.clear()  # many distinct callers: start over rather than grow
        _LOOPBACK[host] = known
    return known


# Callers' addresses already parsed (the same few callers ask again and again).
_LOOPBACK: dict[str, bool] = {}


@dataclass(slots=True)
class _Caller:
    tenant: TenantConfig | None
    admin: bool


class Gateway:
    """Everything one running gateway holds; made in the lifespan, gone at shutdown."""

    def __init__(self, config: Config, *, prices: PriceBook, tracer: Tracer | None = None) -> None:
        self.generation = Generation.build(config, prices)
        self.metrics = Metrics(tenants=[t.name for t in config.tenants])
        self.tracer = tracer or telemetry.build(config.telemetry)
        self.scanner = Scanner(config.privacy)
        self.upstream = Upstream()
        self.store: Store | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.budget: Budget | None = None
        self.router: Router | None = None
        self.cache: ResponseCache | None = None
        self.started = time.time()

    async def start(self) -> None:
        await self.upstream.__aenter__()
        self.store = await open_store(
            self.config.store, key=self.config.ledger_key, lease_s=self.config.store_lease_s
        )
        self.budget = Budget(config=self.config, store=self.store)
        # Reap the dead at start. A store down now (it logged why): the loop below keeps trying
        # and paid work fails closed meanwhile.
        with contextlib.suppress(StoreUnavailable):
            await self.budget.heartbeat(lease_s=self.config.store_lease_s)
        self._heartbeat = asyncio.get_running_loop().create_task(
            self.budget.run(
                heartbeat_s=self.config.store_heartbeat_s, lease_s=self.config.store_lease_s
            )
        )
        self.cache = open_cache(self.config.cache, store_url=self.config.store)
        self.router = Router(
            Services(
                upstream=self.upstream,
                budget=self.budget,
                prices=self.prices,
                metrics=self.metrics,
                tracer=self.tracer,
                cache=self.cache,
                coalescer=Coalescer(self.upstream),
            ),
            reject_over_budget=self.config.budget.on_exceeded == "reject",
        )
        self.metrics.gauges.append(
            Gauge(
                "tiergate_budget_remaining_usd", "Budget left this month, by cap.", self._remaining
            )
        )
        self.metrics.gauges.append(
            Gauge("tiergate_spend_usd", "Spent and held this month, by cap.", self._used)
        )
        self.metrics.gauges.append(
            Gauge("tiergate_in_flight", "Upstream calls in flight, by provider.", self._in_flight)
        )
        self.metrics.gauges.append(
            Gauge(
                "tiergate_breaker_open", "1 while a provider's breaker is open, else 0.", self._open
            )
        )
        self.metrics.gauges.append(
            Gauge(
                "tiergate_ledger_rows_refused",
                "Ledger rows the store refused for good since start (logged budget.settle_refused).",
                lambda: {(): self.budget.refused_rows if self.budget else 0},
            )
        )

    async def stop(self) -> None:
        self.scanner.close()
        if self.cache is not None:
            await self.cache.close()
        if self.budget is not None:
            await self.budget.close()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        if self.store is not None:
            await self.store.close()
        await self.upstream.__aexit__(None, None, None)
        await self.tracer.close()

    def _remaining(self) -> dict[tuple[tuple[str, str], ...], Decimal]:
        assert self.budget is not None
        return {(("cap", k),): pico_to_usd(v) for k, v in self.budget.snapshot(None).items()}

    def _used(self) -> dict[tuple[tuple[str, str], ...], Decimal]:
        assert self.budget is not None
        return {(("cap", k),): pico_to_usd(v) for k, v in self.budget.usage().items()}

    def _in_flight(self) -> dict[tuple[tuple[str, str], ...], float]:
        assert self.router is not None
        return {(("provider", k),): float(v) for k, v in self.router.in_flight.items()}

    def _open(self) -> dict[tuple[tuple[str, str], ...], int]:
        assert self.router is not None
        now, router = self.router.monotonic(), self.router
        return {(("provider", p.name),): int(router.breaker(p.name).is_open(now))
                for p in self.config.providers}  # fmt: skip

    # -- the config in force: one Generation, swapped whole by a reload (SIGHUP) -------------

    @property
    def config(self) -> Config:
        return self.generation.config

    @property
    def prices(self) -> PriceBook:
        return self.generation.prices

    @property
    def pins(self) -> Mapping[str, str]:
        return self.generation.pins

    @property
    def down(self) -> frozenset[str]:
        return self.generation.down

    @property
    def tenant_hashes(self) -> tuple[tuple[bytes, TenantConfig], ...]:
        return self.generation.tenant_hashes

    @property
    def admin_hash(self) -> bytes | None:
        return self.generation.admin_hash

    def apply(self, generation: Generation) -> None:
        """Put a reloaded config in force; a request already routed keeps the one it started with."""
        self.generation = generation
        config = generation.config
        self.metrics.tenants = frozenset(t.name for t in config.tenants)  # the label values
        if self.router is not None:
            self.router.services.prices = generation.prices
            self.router.reject_over_budget = config.budget.on_exceeded == "reject"
        if self.budget is not None:
            self.budget.configure(config)

    # -- who is calling ----------------------------------------------------------------------

    def authenticate(self, scope: Scope, headers: dict[str, str]) -> _Caller:
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        digest = hashlib.sha256(key.encode()).digest() if key else b""
        admin = bool(digest and self.admin_hash and hmac.compare_digest(digest, self.admin_hash))
        found: TenantConfig | None = None
        for known, tenant in self.tenant_hashes:  # compare with every tenant: constant time
            if digest and hmac.compare_digest(digest, known):
                found = tenant
        if found or admin:
            return _Caller(found, admin)
        client = scope.get("client")
        if not self.tenant_hashes and is_loopback(client[0] if client else None):
            return _Caller(None, self.admin_hash is None)
        if not key:
            raise Unauthorized("Missing API key: send Authorization: Bearer <tenant key>.")
        raise Unauthorized(
            "Unknown API key: check the key, or create one with `tiergate keys new`."
        )

    # -- requests ----------------------------------------------------------------------------

    async def prepare(
        self,
        body: dict[str, Any],
        headers: dict[str, str],
        caller: _Caller,
        *,
        endpoint: str,
        request_id: str | None = None,
        native: Mapping[str, Any] | None = None,
    ) -> Call:
        """`native`: a Responses request's own body, for providers with responses_api."""
        # One generation throughout, though a reload may land during the scan's await.
        generation = self.generation
        hints = parse_hints(
            headers,
            body.pop("tiergate", None),
            task="embedding" if endpoint == "embeddings" else None,
        )
        if endpoint == "embeddings":
            intake.check_embeddings(body)
            max_tokens = None
        else:
            intake.check_chat(body)
            max_tokens = intake.max_tokens(body)
        model = intake.model_name(body)
        pinned = None
        if model != "auto":
            pinned = generation.pins.get(model)
            if pinned is None:
                raise InvalidRequest(
                    f'model {model!r} is not served here; use "auto" or one of: {", ".join(generation.pins)}',
                    param="model",
                )
        request = Request(
            endpoint=endpoint,
            body=body,
            task=hints.task,
            stream=endpoint == "chat" and bool(body.get("stream")),
            max_tokens=max_tokens,
            pinned=pinned,
            pinned_model=model if pinned else None,
            native=native,
        )
        # Providers decide() drops before reading their request are neither encoded nor scanned.
        known = generation.config.tenant(caller.tenant.name) if caller.tenant else None
        skip = never_candidates(generation.config, known, generation.down)
        if pinned in skip:
            skip = skip - {pinned}
        outbound = encode_all(generation.config, request, skip=skip)
        detected, kinds = await self.scan(outbound, request)
        tenant = caller.tenant
        classified = classify(
            declared=hints.classification,
            floor=tenant.classification_floor if tenant else None,
            detected=detected,
            detected_kinds=kinds,
        )
        keep_local = bool(
            tenant and tenant.require_label and hints.classification not in ("public", "internal")
        )
        if keep_local and classified.source == "default":
            classified = Classified(classified.classification, "require_label")
        features = Features(
            classification=classified.classification,
            task=hints.task,
            quality=hints.quality,
            complexity=hints.complexity,
            batch_size=hints.batch_size,
            outbound=outbound,
            choices=body.get("n") or 1,
            tenant=tenant.name if tenant else None,
            pinned=pinned,
            pinned_model=model if pinned else None,
            keep_local=keep_local,
        )
        assert self.budget is not None and self.router is not None
        state = State(
            in_flight=self.router.in_flight,
            remaining=self.budget.snapshot(features.tenant),
            down=generation.down,
            budget_unreachable=self.budget.unreachable,
        )
        decision = decide(features, generation.config, state, generation.prices, explain=False)
        self._refuse_if_empty(decision, features, model)
        options = body.get("stream_options") or {}
        cacheable = self.cache is not None and self.cache_allows(endpoint, body)
        control = headers.get("cache-control", "").lower()
        return Call(
            request_id=request_id or "chatcmpl-" + uuid.uuid4().hex[:24],
            endpoint=endpoint,
            body=body,
            outbound=outbound,
            decision=decision,
            classified=classified,
            tenant=features.tenant,
            created=int(time.time()),
            stream=request.stream,
            include_usage=bool(options.get("include_usage")),
            sensitive=keep_local or classified.classification in self.config.privacy.sensitive,
            cache_read=cacheable and "no-cache" not in control and "no-store" not in control,
            cache_write=cacheable and "no-store" not in control,
        )

    def cache_allows(self, endpoint: str, body: Mapping[str, Any]) -> bool:
        return cacheable(self.config.cache, endpoint, body)

    async def scan(
        self, outbound: Mapping[str, Outbound], request: Request
    ) -> tuple[str | None, tuple[str, ...]]:
        """The detector's finding on everything that would be sent, and what unscannable parts
        (images, audio, files) count as. A large body is scanned in a worker process, so the
        event loop keeps answering other requests meanwhile."""
        privacy = self.config.privacy
        finding = await self.scanner.scan(outbound, request) if privacy.detect else None
        detected = finding.classification if finding else None
        kinds = finding.kinds if finding else ()
        has_media = request.media()[0] > 0
        if has_media and privacy.unscannable:
            detected = most_restrictive(detected, privacy.unscannable)
            kinds = (*kinds, "unscannable_content")
        return detected, kinds

    def _refuse_if_empty(self, decision: Decision, features: Features, model: str) -> None:
        if decision.rule == "budget" and self.config.budget.on_exceeded == "reject":
            assert self.budget is not None
            name, bound = max(
                decision.over_budget.items(), key=lambda item: self.config.provider(item[0]).tier
            )
            short = self.budget.cap_short(name, features.tenant, bound)  # bound: pico-dollars
            raise BudgetExhausted(
                short.message if short else "The budget cannot cover this request.",
                resets_at=short.resets_at if short else None,
            )
        if decision.candidates:
            return
        pinned = features.outbound.get(features.pinned) if features.pinned else None
        if pinned is not None and pinned.unsupported:
            raise InvalidRequest(
                f"model {model!r} (provider {features.pinned!r}) cannot serve this request: "
                f'{pinned.unsupported}. Use another model, or "auto".',
                param="model",
            )
        why = sorted(set(decision.removed.values()))
        if features.pinned and features.pinned in decision.removed:
            rule = decision.removed[features.pinned]
            reason = {
                "policy": "your tenant's policy does not allow this provider",
                "sensitive": f"the request is classified {features.classification} and "
                f"{features.pinned!r} is not on premises",
                "budget": "its budget cannot cover this request",
            }[rule]
            raise PolicyDenied(
                f"model {model!r} (provider {features.pinned!r}) may not serve this request: {reason}. "
                'Use model "auto" to let tiergate choose an allowed provider.',
                param="model",
            )
        if why and set(why) <= {"policy", "sensitive"}:
            raise PolicyDenied(
                f"No provider may serve this request: the data is classified {features.classification} "
                "and the policy leaves no allowed provider."
            )

    # -- responses ---------------------------------------------------------------------------

    def headers_for(
        self, call: Call, served: Served, *, cost_pico: int | None = None
    ) -> list[tuple[bytes, bytes]]:
        candidate = served.candidate
        cost = served.cost_pico if cost_pico is None else cost_pico
        headers = [
            (b"x-tiergate-request-id", call.request_id.encode()),
            (b"x-tiergate-provider", candidate.name.encode()),
            (b"x-tiergate-model", candidate.model.encode()),
            (b"x-tiergate-tier", str(candidate.provider.tier).encode()),
            (b"x-tiergate-rule", served.rule.encode()),
            (b"x-tiergate-cost-usd", _usd_text(cost)),
            (b"x-tiergate-attempts", ",".join(served.attempts).encode()),
            (b"x-tiergate-cache", served.cache.encode()),
            (b"x-tiergate-classification", call.classified.classification.encode()),
        ]
        if served.ledger_pending:
            headers.append((b"x-tiergate-ledger", b"pending"))
        return headers
