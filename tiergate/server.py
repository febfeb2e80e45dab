"""create_app(config) -> the ASGI app: OpenAI-compatible endpoints over the router; state lives in the lifespan."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import aclosing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from . import intake, reports
from .budget import Budget
from .config import Config, TenantConfig
from .detect import Detector, ExtraPattern
from .errors import (
    BudgetExhausted,
    InvalidRequest,
    NotFound,
    PolicyDenied,
    TiergateError,
    Unauthorized,
)
from .hints import chat_texts, classify, parse_hints, utf8_len
from .ledger import Ledger
from .metrics import Gauge, Metrics
from .policy import Decision, Features, State, decide
from .pricing import PriceBook, build, prompt_token_bound, usd
from .router import Call, Router, Served
from .upstream import Upstream

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("tiergate.server")

JSON = b"application/json"


class _ClientGone(Exception):
    pass


def _usd_text(micros: int) -> bytes:
    return format(usd(micros).normalize(), "f").encode() if micros else b"0"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass(slots=True)
class _Caller:
    tenant: TenantConfig | None
    admin: bool


class Gateway:
    """Everything one running gateway holds; made in the lifespan, gone at shutdown."""

    def __init__(self, config: Config, *, prices: PriceBook) -> None:
        self.config = config
        self.prices = prices
        self.metrics = Metrics()
        self.detector = Detector(
            extra_patterns=[
                ExtraPattern(p.name, p.regex, p.classification) for p in config.privacy.patterns
            ],
            allow=config.privacy.allow,
        )
        self.pins: dict[str, str] = {}
        for provider in config.providers:
            for model in provider.served_models:
                self.pins.setdefault(model, provider.name)
        self.down = frozenset(p.name for p in config.providers if not p.has_key)
        self.tenant_hashes = [(bytes.fromhex(t.api_key_sha256), t) for t in config.tenants]
        self.admin_hash = (
            bytes.fromhex(config.admin_api_key_sha256) if config.admin_api_key_sha256 else None
        )
        self.upstream = Upstream()
        self.ledger: Ledger | None = None
        self.budget: Budget | None = None
        self.router: Router | None = None
        self.started = time.time()

    async def start(self) -> None:
        await self.upstream.__aenter__()
        self.ledger = await Ledger.open(self.config.store_path)
        self.budget = await Budget.open(self.config, self.ledger)
        self.router = Router(
            upstream=self.upstream,
            budget=self.budget,
            prices=self.prices,
            metrics=self.metrics,
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

    async def stop(self) -> None:
        if self.budget is not None:
            await self.budget.close()
        if self.ledger is not None:
            await self.ledger.close()
        await self.upstream.__aexit__(None, None, None)

    def _remaining(self) -> dict[tuple[tuple[str, str], ...], float]:
        assert self.budget is not None
        return {(("cap", k),): float(usd(v)) for k, v in self.budget.snapshot(None).items()}

    def _used(self) -> dict[tuple[tuple[str, str], ...], float]:
        assert self.budget is not None
        return {(("cap", k),): float(usd(v)) for k, v in self.budget.usage().items()}

    def _in_flight(self) -> dict[tuple[tuple[str, str], ...], float]:
        assert self.router is not None
        return {(("provider", k),): float(v) for k, v in self.router.in_flight.items()}

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

    def prepare(
        self, body: dict[str, Any], headers: dict[str, str], caller: _Caller, *, endpoint: str
    ) -> Call:
        hints = parse_hints(
            headers,
            body.pop("tiergate", None),
            task="embedding" if endpoint == "embeddings" else None,
        )
        if endpoint == "embeddings":
            texts = intake.check_embeddings(body)
            bound = prompt_token_bound(utf8_len(texts), len(texts))
            max_tokens = None
        else:
            intake.check_chat(body)
            texts = list(chat_texts(body["messages"]))
            bound = prompt_token_bound(
                utf8_len(texts) + intake.tools_bytes(body), len(body["messages"])
            )
            max_tokens = intake.max_tokens(body)
        model = intake.model_name(body)
        pinned = None
        if model != "auto":
            pinned = self.pins.get(model)
            if pinned is None:
                raise InvalidRequest(
                    f'model {model!r} is not served here; use "auto" or one of: {", ".join(self.pins)}',
                    param="model",
                )
        finding = self.detector.scan(texts) if self.config.privacy.detect else None
        tenant = caller.tenant
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
            prompt_tokens_bound=bound,
            max_tokens=max_tokens,
            choices=body.get("n") or 1,
            tenant=tenant.name if tenant else None,
            pinned=pinned,
            pinned_model=model if pinned else None,
        )
        assert self.budget is not None and self.router is not None
        state = State(
            in_flight=self.router.in_flight,
            remaining=self.budget.snapshot(features.tenant),
            down=self.down,
            budget_unreachable=self.budget.unreachable,
        )
        decision = decide(features, self.config, state, self.prices)
        self._refuse_if_empty(decision, features, model)
        stream = bool(body.get("stream"))
        options = body.get("stream_options") or {}
        return Call(
            request_id="chatcmpl-" + uuid.uuid4().hex[:24],
            endpoint=endpoint,
            body=body,
            decision=decision,
            classified=classified,
            tenant=features.tenant,
            created=int(time.time()),
            stream=stream and endpoint == "chat",
            include_usage=bool(options.get("include_usage")),
        )

    def _refuse_if_empty(self, decision: Decision, features: Features, model: str) -> None:
        if decision.rule == "budget" and self.config.budget.on_exceeded == "reject":
            assert self.budget is not None
            name, bound = max(
                decision.over_budget.items(), key=lambda item: self.config.provider(item[0]).tier
            )
            raise BudgetExhausted(self.budget.shortfall(name, features.tenant, bound))
        if decision.candidates:
            return
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
        self, call: Call, served: Served, *, cost_micros: int | None = None
    ) -> list[tuple[bytes, bytes]]:
        candidate = served.candidate
        cost = served.cost_micros if cost_micros is None else cost_micros
        return [
            (b"x-tiergate-request-id", call.request_id.encode()),
            (b"x-tiergate-provider", candidate.name.encode()),
            (b"x-tiergate-model", candidate.model.encode()),
            (b"x-tiergate-tier", str(candidate.provider.tier).encode()),
            (b"x-tiergate-rule", served.rule.encode()),
            (b"x-tiergate-cost-usd", _usd_text(cost)),
            (b"x-tiergate-attempts", ",".join(served.attempts).encode()),
            (b"x-tiergate-cache", b"bypass"),
            (b"x-tiergate-classification", call.classified.classification.encode()),
        ]


def create_app(config: Config, *, prices: PriceBook | None = None) -> App:
    return App(config, prices=prices or build(config))


class App:
    """The ASGI application. A tiny hand-written router: five endpoints do not need a framework."""

    def __init__(self, config: Config, *, prices: PriceBook) -> None:
        self.config = config
        self.gateway = Gateway(config, prices=prices)
        self.routes: dict[tuple[str, str], Callable[[Scope, Receive, Send], Awaitable[None]]] = {
            ("POST", "/v1/chat/completions"): self.chat,
            ("POST", "/v1/embeddings"): self.embeddings,
            ("GET", "/v1/models"): self.models,
            ("GET", "/healthz"): self.healthz,
            ("GET", "/metrics"): self.metrics,
            ("GET", "/v1/tiergate/spend"): self.spend,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/") or "/"
        if path.startswith("/v1/") is False and path.startswith("/chat/"):
            path = "/v1" + path  # clients configured without /v1
        handler = self.routes.get((scope["method"], path))
        try:
            if handler is None:
                if any(p == path for _, p in self.routes):
                    raise InvalidRequest(f"{scope['method']} is not allowed on {path}")
                raise NotFound(
                    f"No endpoint {path}. Endpoints: {', '.join(p for _, p in self.routes)}"
                )
            await handler(scope, receive, send)
        except _ClientGone:
            return
        except TiergateError as exc:
            await _respond(send, exc.status_code, orjson.dumps(exc.envelope()))
        except Exception:  # the one place: nothing a client sends may become a traceback
            log.exception("unexpected error", extra={"path": path})
            await _respond(
                send,
                500,
                orjson.dumps(
                    TiergateError(
                        "tiergate hit an unexpected error; it is logged. Retry the request."
                    ).envelope()
                ),
            )

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.gateway.start()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.gateway.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- endpoints ---------------------------------------------------------------------------

    async def chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._complete(scope, receive, send, endpoint="chat")

    async def embeddings(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._complete(scope, receive, send, endpoint="embeddings")

    async def _complete(self, scope: Scope, receive: Receive, send: Send, *, endpoint: str) -> None:
        started = time.perf_counter()
        gateway = self.gateway
        headers = _headers(scope)
        caller = gateway.authenticate(scope, headers)
        raw = await _read_body(receive, headers, self.config.server.max_body_bytes)
        call = gateway.prepare(intake.parse_json(raw), headers, caller, endpoint=endpoint)
        assert gateway.router is not None
        outcome = "ok"
        served: Served | None = None
        try:
            if call.stream:
                body_iter, served = await gateway.router.open_stream(call)
                await _stream(
                    send,
                    receive,
                    gateway.headers_for(call, served, cost_micros=_stream_cost(call, served)),
                    body_iter,
                )
            else:
                response, served = await gateway.router.serve(call)
                await _respond(send, 200, orjson.dumps(response), gateway.headers_for(call, served))
        except TiergateError as exc:
            outcome = exc.code
            raise
        finally:
            candidate = served.candidate if served else None
            gateway.metrics.request(
                provider=candidate.name if candidate else "none",
                tier=candidate.provider.tier if candidate else "none",
                rule=served.rule if served else call.decision.rule,
                outcome=outcome,
                seconds=time.perf_counter() - started,
            )

    async def models(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.gateway.authenticate(scope, _headers(scope))
        created = int(self.gateway.started)
        data = [{"id": "auto", "object": "model", "created": created, "owned_by": "tiergate"}]
        data += [
            {"id": model, "object": "model", "created": created, "owned_by": provider}
            for model, provider in self.gateway.pins.items()
        ]
        await _respond(send, 200, orjson.dumps({"object": "list", "data": data}))

    async def healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway = self.gateway
        assert gateway.router is not None
        now = gateway.router.monotonic()
        providers = {}
        for p in self.config.providers:
            breaker = gateway.router.breaker(p.name)
            if p.name in gateway.down:
                state = "down: no api_key"
            elif breaker.is_open(now):
                state = "cooling down after failures"
            else:
                state = "up"
            providers[p.name] = {
                "tier": p.tier,
                "protocol": p.protocol,
                "on_premises": p.on_premises,
                "state": state,
                "in_flight": gateway.router.in_flight.get(p.name, 0),
                "consecutive_failures": breaker.failures,
            }
        ok = any(v["state"] == "up" for v in providers.values())
        body = {"status": "ok" if ok else "degraded", "providers": providers}
        await _respond(send, 200, orjson.dumps(body))

    async def metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = self.gateway.metrics.render().encode()
        await _respond(send, 200, text, content_type=b"text/plain; version=0.0.4; charset=utf-8")

    async def spend(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = self.gateway.authenticate(scope, _headers(scope))
        query = _query(scope)
        month = query.get("month")
        if caller.admin:
            report = await asyncio.to_thread(
                reports.spend, self.config, self.config.store_path, month
            )
        elif caller.tenant is not None:
            report = await asyncio.to_thread(
                reports.spend, self.config, self.config.store_path, month, tenant=caller.tenant.name
            )
        else:
            raise Unauthorized(
                "The spend report needs the admin key (admin_api_key_sha256) or a tenant key."
            )
        await _respond(send, 200, orjson.dumps(report, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


def _stream_cost(call: Call, served: Served) -> int:
    # Headers leave before the answer; a paid stream's header carries its upper bound (the reservation).
    return served.candidate.bound_micros if not served.candidate.provider.on_premises else 0


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    from .errors import BodyTooLarge

    declared = headers.get("content-length")
    too_large = BodyTooLarge(
        f"The request body is larger than {limit} bytes (server.max_body_bytes)."
    )
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
    *,
    content_type: bytes = JSON,
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(
    send: Send, receive: Receive, extra: list[tuple[bytes, bytes]], body: AsyncIterator[bytes]
) -> None:
    headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
        (b"x-accel-buffering", b"no"),
        *extra,
    ]
    gone = asyncio.Event()

    async def watch() -> None:
        # The body was read already: the next message can only be the client hanging up.
        while (await receive())["type"] != "http.disconnect":
            pass
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        async with aclosing(body) as pieces:  # type: ignore[type-var]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            async for piece in pieces:
                if gone.is_set():
                    return  # stop paying for an answer nobody reads; closing the body settles it
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        watcher.cancel()


class BackgroundServer:
    """Runs an ASGI app under uvicorn in a thread on a loopback port: for tests, the demo and benchmarks."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        import uvicorn

        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and without it every small response waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                http="httptools",
                lifespan="on",
                access_log=False,
                proxy_headers=False,
                log_level="warning",
            )
        )
        self._thread = threading.Thread(target=self._run, name="tiergate-server", daemon=True)

    def _run(self) -> None:
        try:
            import uvloop
        except ImportError:  # pragma: no cover - Windows
            asyncio.run(self._server.serve(sockets=[self._socket]))
        else:
            uvloop.run(self._server.serve(sockets=[self._socket]))

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start; see the log above")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
