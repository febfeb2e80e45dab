"""Ingress: the APIs callers speak besides OpenAI chat (Ollama's, OpenAI's Responses), in and out.

A Translation turns one caller request into the OpenAI chat or embeddings body that the
gateway then handles exactly like a /v1 request — the same validation, hints, privacy
scan, rules, budget, ledger and x-tiergate-* headers, in App._complete — and turns the
answer (a chat.completion, an embeddings list, or the router's SSE stream) back into the
caller's format. Nothing here routes or scans: a field a translator leaves out of the
OpenAI body is sent nowhere, and one it puts in is scanned like any other.

Translators build the OpenAI body from the fields they know, never by copying the
caller's object, because OpenAI-protocol providers receive the body as it is. A Responses
request also carries its own body (`native`, built the same way) for providers that serve
the Responses API themselves (responses_api); it is encoded, scanned and counted beside the
chat body, and their answers come back already in the caller's format.
Every problem with a caller's body is an InvalidRequest naming the field as the caller
spelled it; errors leave in the caller's format (error_body).

Modules: `ollama` (Ollama's /api/chat, /api/generate, /api/embed(dings)), `ollama_models`
(/api/tags, /api/show, /api/version), `responses` (POST /v1/responses requests),
`responses_events` (its response objects and stream events), `routes` (the endpoints).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, MutableMapping
from contextlib import aclosing
from typing import Any, Protocol

import orjson

from tiergate.errors import InvalidRequest, TiergateError

Scope = MutableMapping[str, Any]


class Translation(Protocol):
    """One caller request in a foreign API, and how its answer goes back."""

    body: dict[str, Any]  # the OpenAI chat or embeddings body to route
    stream_type: bytes  # the content type of a streamed answer

    @property
    def native(self) -> Mapping[str, Any] | None:
        """The caller's own body, for providers that speak the caller's API (a Responses body
        for responses_api providers); None: every provider gets `body`. Its answers reach
        answer() and relay() as that API's objects."""
        ...

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        """The caller's answer for the gateway's OpenAI answer."""
        ...

    def relay(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The caller's stream for the router's SSE stream (chunks, then [DONE] or an error)."""
        ...


Translate = Callable[[dict[str, Any]], Translation]


def error_body(path: str, exc: TiergateError) -> bytes:
    """An error in the format of the API the caller spoke: Ollama's {"error": "..."} under
    /api/, OpenAI's envelope everywhere else (the Responses API uses it too)."""
    if path.startswith("/api/"):
        return orjson.dumps({"error": exc.message})
    return orjson.dumps(exc.envelope())


async def sse_events(
    events: AsyncIterator[bytes],
) -> AsyncGenerator[dict[str, Any] | None, None]:
    """The router's SSE stream as objects: each chunk, an {"error": ...} object when the
    stream broke, and None for the final [DONE]. Closing this closes the router's stream,
    which settles the attempt."""
    pending = b""
    async with aclosing(events) as pieces:  # type: ignore[type-var]
        async for piece in pieces:
            if (
                not pending
                and piece.startswith(b"data: ")
                and piece.find(b"\n\n") == len(piece) - 2
            ):
                data = piece[6:-2]  # the router's shape: one event per piece
                yield None if data == b"[DONE]" else orjson.loads(data)
                continue
            pending += piece
            while b"\n\n" in pending:
                event, pending = pending.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    if not line.startswith(b"data:"):
                        continue
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        yield None
                        continue
                    yield orjson.loads(data)


def field(
    obj: dict[str, Any], key: str, kinds: tuple[type, ...], shape: str, *, where: str = ""
) -> Any:
    """obj[key] when it is absent, null or one of `kinds`; else a 400 naming the field
    (`where` is its path, e.g. "options.", "input[2]."). A bool is not a number here."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool)):
        return value
    raise InvalidRequest(f"{where}{key} must be {shape} (got {value!r:.80})", param=where + key)


def number(obj: dict[str, Any], key: str, low: float, high: float, *, where: str = "") -> Any:
    """A number within [low, high], or None when absent; else a 400 naming the field."""
    value = field(obj, key, (int, float), f"a number from {low:g} to {high:g}", where=where)
    if value is not None and not low <= value <= high:
        raise InvalidRequest(
            f"{where}{key} must be a number from {low:g} to {high:g} (got {value!r})",
            param=where + key,
        )
    return value


def tokens(usage: Any, key: str) -> int:
    """A token count from an OpenAI usage object; 0 when absent or not a count."""
    value = usage.get(key) if isinstance(usage, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
