"""The HTTP endpoints of Ollama's API and the Responses API, for the server's route table.

Endpoints that produce an answer run the server's own request flow (`complete`, i.e.
App._complete) with a Translation; the rest answer from the configuration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from tiergate import intake
from tiergate.errors import BodyTooLarge, InvalidRequest
from tiergate.ingress import Translate, ollama, ollama_models, responses

if TYPE_CHECKING:
    from tiergate.gateway import Gateway

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

# /v1/responses/{id}, /v1/responses/{id}/cancel, /v1/responses/{id}/input_items, ...
STORED_RESPONSE = "/v1/responses/{id}"


class Complete(Protocol):
    def __call__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        endpoint: str,
        translate: Translate | None = None,
    ) -> Awaitable[None]: ...


def routes(complete: Complete, gateway: Gateway) -> dict[tuple[str, str], Handler]:
    """(method, path) -> handler for every ingress endpoint."""

    def translated(endpoint: str, translate: Translate) -> Handler:
        return partial(complete, endpoint=endpoint, translate=translate)

    def loading(kind: str, translate: Translate) -> Handler:
        """/api/chat without messages and /api/generate without a prompt ask Ollama to load
        (or with keep_alive 0, unload) a model. Nothing is loaded here, so they are answered
        at once; every other body goes on to the request flow."""

        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            gateway.authenticate(scope, _headers(scope))
            raw = await _read_body(receive, gateway.config.server.max_body_bytes)
            if raw is None:
                return
            body = intake.parse_json(raw)
            reply = ollama_models.load_reply(body, kind, gateway.pins)
            if reply is not None:
                await _reply(send, reply)
                return
            await complete(scope, _replay(raw, receive), send, endpoint="chat", translate=translate)

        return handle

    async def tags(scope: Scope, receive: Receive, send: Send) -> None:
        gateway.authenticate(scope, _headers(scope))
        await _reply(send, ollama_models.tags(gateway.config, gateway.pins, gateway.started))

    async def show(scope: Scope, receive: Receive, send: Send) -> None:
        gateway.authenticate(scope, _headers(scope))
        raw = await _read_body(receive, gateway.config.server.max_body_bytes)
        if raw is not None:
            body = intake.parse_json(raw)
            await _reply(send, ollama_models.show(body, gateway.config, gateway.pins))

    async def version(scope: Scope, receive: Receive, send: Send) -> None:
        await _reply(send, ollama_models.version())

    async def running(scope: Scope, receive: Receive, send: Send) -> None:
        gateway.authenticate(scope, _headers(scope))
        await _reply(send, {"models": []})  # providers keep their own models loaded

    async def stored(scope: Scope, receive: Receive, send: Send) -> None:
        gateway.authenticate(scope, _headers(scope))
        raise InvalidRequest(responses.NO_STATE, param="response_id")

    return {
        ("POST", "/api/chat"): loading("chat", ollama.Chat),
        ("POST", "/api/generate"): loading("generate", ollama.Generate),
        ("POST", "/api/embed"): translated("embeddings", ollama.Embed),
        ("POST", "/api/embeddings"): translated("embeddings", ollama.Embeddings),
        ("GET", "/api/tags"): tags,
        ("POST", "/api/show"): show,
        ("GET", "/api/version"): version,
        ("GET", "/api/ps"): running,
        ("POST", "/v1/responses"): translated("chat", responses.Responses),
        ("GET", STORED_RESPONSE): stored,
        ("POST", STORED_RESPONSE): stored,
        ("DELETE", STORED_RESPONSE): stored,
    }


def route_path(path: str) -> str:
    """The route-table path for a request path (every stored-response path is one route)."""
    if path.startswith("/v1/responses/"):
        return STORED_RESPONSE
    return path


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body; None when the client hung up before sending it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(
                f"The request body is larger than {limit} bytes (server.max_body_bytes)."
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive() that gives the body already read, then whatever the client sends next."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return again


async def _reply(send: Send, payload: dict[str, Any]) -> None:
    body = orjson.dumps(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
