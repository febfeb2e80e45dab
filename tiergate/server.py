"""create_app(config) -> the ASGI app: OpenAI-compatible endpoints over the router; state lives in the lifespan."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import aclosing
from typing import Any

import orjson

from . import intake, reports, ui
from .config import Config
from .errors import AllProvidersFailed, MethodNotAllowed, NotFound, TiergateError, Unauthorized
from .exchange import handle, of, retry_headers
from .gateway import Gateway
from .ingress import Translate, error_body
from .ingress.routes import route_path
from .ingress.routes import routes as ingress_routes
from .pricing import PriceBook, build
from .reload import Reloader
from .router import Served
from .shutdown import Shutdown
from .telemetry import Tracer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("tiergate.server")

JSON = b"application/json"
SSE = b"text/event-stream; charset=utf-8"


class _ClientGone(Exception):
    pass


def create_app(
    config: Config, *, prices: PriceBook | None = None, tracer: Tracer | None = None
) -> App:
    return App(config, prices=prices or build(config), tracer=tracer)


class App:
    """The ASGI application. A tiny hand-written router: five endpoints do not need a framework."""

    def __init__(self, config: Config, *, prices: PriceBook, tracer: Tracer | None = None) -> None:
        self.shutdown = Shutdown(config.server.shutdown_grace_s)
        self.reloader: Reloader | None = None
        # `tiergate serve` settles the garbage collector here, once start-up built everything.
        self.after_start: Callable[[], None] | None = None
        self.gateway = Gateway(config, prices=prices, tracer=tracer)
        self.routes: dict[tuple[str, str], Callable[[Scope, Receive, Send], Awaitable[None]]] = {
            ("POST", "/v1/chat/completions"): self.chat,
            ("POST", "/v1/embeddings"): self.embeddings,
            ("GET", "/v1/models"): self.models,
            ("GET", "/v1/models/{model}"): self.model,
            ("GET", "/healthz"): self.healthz,
            ("GET", "/metrics"): self.metrics,
            ("GET", "/v1/tiergate/spend"): self.spend,
        }
        self.routes.update(ui.routes(self.gateway))
        self.routes.update(ingress_routes(self._complete, self.gateway))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await handle(self._dispatch, scope, receive, send, shutdown=self.shutdown)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/") or "/"
        if path.startswith(("/chat/", "/embeddings", "/models", "/responses")):
            path = "/v1" + path  # clients configured without /v1
        if path.startswith("/v1/models/"):
            path = "/v1/models/{model}"
        path = route_path(path)
        handler = self.routes.get((scope["method"], path))
        status, code = 200, "ok"
        try:
            if handler is None:
                if any(p == path for _, p in self.routes):
                    raise MethodNotAllowed(f"{scope['method']} is not allowed on {path}")
                raise NotFound(
                    f"No endpoint {path}. Endpoints: {', '.join(p for _, p in self.routes)}"
                )
            await handler(scope, receive, send)
        except _ClientGone:
            status, code = 499, "client_closed"
            return
        except asyncio.CancelledError:  # the shutdown grace ran out: exchange.py answers it
            status, code = of(scope).status or 503, "shutdown"
            raise
        except TiergateError as exc:
            status, code = exc.status_code, exc.code
            of(scope).outcome = exc.code  # the access line says why, not just the status
            await _respond(send, exc.status_code, error_body(path, exc), retry_headers(exc))
        except Exception:  # the one place: nothing a client sends may become a traceback
            status, code = 500, "internal_error"
            log.exception("unexpected error", extra={"path": path})
            await _respond(
                send,
                500,
                error_body(
                    path,
                    TiergateError(
                        "tiergate hit an unexpected error; it is logged. Retry the request."
                    ),
                ),
            )
        finally:
            endpoint = path if handler is not None else "unknown"  # bounded: routes only
            self.gateway.metrics.response(endpoint=endpoint, status=status, code=code)

    @property
    def config(self) -> Config:
        return self.gateway.config  # the generation in force: a reload (SIGHUP) swaps it

    def reload_from(self, path: str) -> None:
        """Reload the config from `path` on SIGHUP (when the server runs in the main thread)."""
        self.reloader = Reloader(self.gateway, path)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.gateway.start()
                except (TiergateError, OSError) as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self.shutdown.install()
                if self.reloader is not None:
                    self.reloader.install()
                if self.after_start is not None:
                    self.after_start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.shutdown.uninstall()
                if self.reloader is not None:
                    self.reloader.uninstall()
                await self.gateway.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- endpoints ---------------------------------------------------------------------------

    async def chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._complete(scope, receive, send, endpoint="chat")

    async def embeddings(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._complete(scope, receive, send, endpoint="embeddings")

    async def _complete(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        endpoint: str,
        translate: Translate | None = None,
    ) -> None:
        """The request flow of every answering endpoint; `translate` serves another API
        (Ollama's, Responses) through it: its OpenAI body in, its answer back out."""
        started = time.perf_counter()
        gateway = self.gateway
        headers = _headers(scope)
        caller = gateway.authenticate(scope, headers)
        raw = await _read_body(receive, headers, self.config.server.max_body_bytes)
        body = intake.parse_json(raw)
        translation = translate(body) if translate else None
        if translation is not None:
            body = translation.body
        exchange = of(scope)
        call = await gateway.prepare(
            body,
            headers,
            caller,
            endpoint=endpoint,
            request_id=exchange.request_id,
            native=translation.native if translation else None,
        )
        exchange.tenant = call.tenant
        assert gateway.router is not None
        span = gateway.tracer.request(
            request_id=call.request_id, endpoint=endpoint,
            model=str(call.body.get("model") or "auto"), tenant=call.tenant, carrier=headers,
        )  # fmt: skip
        outcome, status, tried, ttft = "internal_error", 500, 0, None
        served: Served | None = None
        try:
            if call.stream:
                body_iter, served = await gateway.router.open_stream(call)
                ttft = time.perf_counter() - started
                await _stream(
                    send,
                    receive,
                    # Headers leave before the answer: a stream's carries its upper bound
                    # (the reservation; 0 on premises), the ledger the final cost.
                    gateway.headers_for(call, served, cost_pico=served.candidate.bound_pico),
                    translation.relay(body_iter) if translation else body_iter,
                    content_type=translation.stream_type if translation else SSE,
                )
            else:
                response, served = await gateway.router.serve(call)
                if translation is not None:
                    response = translation.answer(response)
                # A free attempt's row commits after its answer left, on its own: the store
                # retries it until it is written and flushes it when the gateway stops.
                await _respond(send, 200, orjson.dumps(response), gateway.headers_for(call, served))
            outcome, status = "ok", 200
        except TiergateError as exc:
            outcome, status = exc.code, exc.status_code
            tried = len(exc.attempts) if isinstance(exc, AllProvidersFailed) else 0
            raise
        finally:
            seconds = time.perf_counter() - started
            if served is not None:
                exchange.settled(served.cost_pico, served.outcome)
            candidate = served.candidate if served else None
            if served is not None:
                outcome = served.outcome if outcome == "ok" else outcome  # a stream may break
                tried = len(served.attempts)
            rule = served.rule if served else call.decision.rule
            gateway.metrics.request(
                provider=candidate.name if candidate else "none",
                tier=candidate.provider.tier if candidate else "none",
                rule=rule,
                outcome=outcome,
                seconds=seconds,
                tenant=call.tenant,
                ttft_seconds=ttft,
                fell_back=candidate is not call.decision.candidates[0] if candidate else tried > 1,
            )
            span.finish(
                provider=candidate.name if candidate else None,
                protocol=candidate.provider.protocol if candidate else None,
                model=candidate.model if candidate else None,
                tier=candidate.provider.tier if candidate else None,
                rule=rule, classification=call.classified.classification,
                cache=served.cache if served else "bypass",
                attempts=tried, outcome=outcome, status=status,
            )  # fmt: skip

    def _model_list(self) -> list[dict[str, Any]]:
        created = int(self.gateway.started)
        data = [{"id": "auto", "object": "model", "created": created, "owned_by": "tiergate"}]
        data += [
            {"id": model, "object": "model", "created": created, "owned_by": provider}
            for model, provider in self.gateway.pins.items()
        ]
        return data

    async def models(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.gateway.authenticate(scope, _headers(scope))
        await _respond(send, 200, orjson.dumps({"object": "list", "data": self._model_list()}))

    async def model(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.gateway.authenticate(scope, _headers(scope))
        wanted = scope["path"].split("/models/", 1)[1]
        for entry in self._model_list():
            if entry["id"] == wanted:
                await _respond(send, 200, orjson.dumps(entry))
                return
        raise NotFound(f"No model {wanted!r}; GET /v1/models lists them.", param="model")

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
        body: dict[str, object] = {"status": "ok" if ok else "degraded", "providers": providers}
        if gateway.store is not None:
            # Unhealthy: paid providers fail closed and free rows wait in memory until it is back.
            body["store"] = {"url": gateway.store.url, "healthy": gateway.store.healthy}
            if not gateway.store.healthy:
                body["status"] = "degraded"
        await _respond(send, 200, orjson.dumps(body))

    async def metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        ui.require_admin(self.gateway, scope, "/metrics", query_key=False)
        text = self.gateway.metrics.render().encode()
        await _respond(send, 200, text, content_type=b"text/plain; version=0.0.4; charset=utf-8")

    async def spend(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = self.gateway.authenticate(scope, _headers(scope))
        query = _query(scope)
        month = query.get("month")
        store = self.gateway.store
        assert store is not None  # the lifespan opened it
        if caller.admin:
            report = await reports.spend_report(self.config, store, month)
        elif caller.tenant is not None:
            report = await reports.spend_report(
                self.config, store, month, tenant=caller.tenant.name
            )
        else:
            raise Unauthorized(
                "The spend report needs the admin key (admin_api_key_sha256) or a tenant key."
            )
        await _respond(send, 200, reports.to_json(report))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        if not message.get("more_body"):
            if not chunks:
                return bytes(chunk)  # the usual request: one message (bytes() of bytes: itself)
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def _too_large(limit: int) -> TiergateError:
    from .errors import BodyTooLarge

    return BodyTooLarge(f"The request body is larger than {limit} bytes (server.max_body_bytes).")


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
    send: Send,
    receive: Receive,
    extra: list[tuple[bytes, bytes]],
    body: AsyncIterator[bytes],
    *,
    content_type: bytes = SSE,
) -> None:
    headers = [
        (b"content-type", content_type),
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
    """Runs an ASGI app on tiergate's HTTP server in a thread on a loopback port: for tests, the
    demo and benchmarks."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import socket

        from .httpd import Server

        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
        # and without it every small response waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = Server(app)
        self._thread = threading.Thread(target=self._run, name="tiergate-server", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

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
