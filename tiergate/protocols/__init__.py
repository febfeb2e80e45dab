"""Wire protocols: pure translators between OpenAI's API and each provider's wire format.

Callers always speak OpenAI's API to tiergate; a provider speaks one protocol. Each protocol
module (`openai`, `ollama`, `anthropic`, `azure`) has the same shape, described by
`WireProtocol`, and does no I/O: it turns the caller's OpenAI body into the provider's request
body and the provider's answers (whole bodies or one streamed line at a time) back into OpenAI
objects, reporting the usage the provider counted so the ledger can settle it. It also owns
where a request goes and how it authenticates: `url()` and `headers()`.

    wire = protocols.get(provider.protocol)
    body = wire.encode_chat(request, model=..., max_tokens=..., stream=False)
    post(wire.url(provider, wire.CHAT_PATH, model=...), body, headers=wire.headers(provider))
    response, usage = wire.decode_chat(payload, model=..., request_id=..., created=...)
"""

from __future__ import annotations

import base64
import importlib
import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

import orjson

from tiergate.types import Usage

if TYPE_CHECKING:
    from tiergate.config import ProviderConfig

NAMES = ("ollama", "openai", "anthropic", "azure")


class MalformedResponse(ValueError):
    """An upstream answer that is not what its protocol promises (bad JSON, missing fields,
    an error object inside a stream). Not retryable on the same provider."""


class UntranslatableRequest(ValueError):
    """A valid OpenAI request that this protocol cannot express (e.g. token-id input to
    Ollama). Another provider may still serve it, so the router can skip just this one."""


class ChatStream(Protocol):
    """Translates one upstream streaming response, line by line, into OpenAI chunks."""

    done: bool
    usage: Usage | None

    def feed(self, line: bytes) -> list[dict[str, Any]]: ...


class ChatStreamFactory(Protocol):
    def __call__(
        self, *, model: str, request_id: str, created: int, include_usage: bool
    ) -> ChatStream: ...


class WireProtocol(Protocol):
    """What every module in this package provides."""

    @property
    def CHAT_PATH(self) -> str: ...

    @property
    def EMBED_PATH(self) -> str: ...

    @property
    def ChatStream(self) -> ChatStreamFactory: ...

    def encode_chat(
        self, body: Mapping[str, Any], *, model: str, max_tokens: int, stream: bool
    ) -> dict[str, Any]: ...

    def decode_chat(
        self, payload: bytes, *, model: str, request_id: str, created: int
    ) -> tuple[dict[str, Any], Usage | None]: ...

    def encode_embed(self, body: Mapping[str, Any], *, model: str) -> dict[str, Any]: ...

    def decode_embed(
        self, payload: bytes, *, model: str, encoding_format: str | None
    ) -> tuple[dict[str, Any], Usage | None]: ...

    def error_message(self, payload: bytes) -> str: ...

    def headers(self, provider: ProviderConfig) -> dict[str, str]:
        """The provider's authentication (and version) headers for every request."""
        ...

    def url(self, provider: ProviderConfig, path: str, *, model: str) -> str:
        """Where to post a request for `model` to one of this protocol's paths."""
        ...


def get(name: str) -> WireProtocol:
    """The translator module for a protocol name from the config (one of NAMES)."""
    if name not in NAMES:
        raise KeyError(f"unknown protocol {name!r}; expected one of: {', '.join(NAMES)}")
    # Imported by name so this package's __init__ never imports its own submodules at load
    # time (they import MalformedResponse from here).
    return cast(WireProtocol, importlib.import_module(f"{__name__}.{name}"))


def parse_object(payload: bytes | str) -> dict[str, Any]:
    """Upstream JSON that must be an object; anything else is a MalformedResponse."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise MalformedResponse(
            f"upstream sent invalid JSON ({exc}): {printable_prefix(payload)}"
        ) from None
    if not isinstance(obj, dict):
        raise MalformedResponse(
            f"upstream sent JSON that is not an object: {printable_prefix(payload)}"
        )
    return obj


def error_text(obj: Mapping[str, Any]) -> str | None:
    """The message in an error object: OpenAI's {"error": {"message"}}, Ollama's {"error": "..."}
    (either may sit in front of the other behind a proxy, so both accept both)."""
    error = obj.get("error")
    if isinstance(error, Mapping):
        error = error.get("message")
    if not error:
        error = obj.get("message")
    return error if isinstance(error, str) and error else None


def describe_error(payload: bytes) -> str:
    """A human-readable message from an upstream error body, else its printable prefix."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return printable_prefix(payload)
    return (error_text(obj) if isinstance(obj, dict) else None) or printable_prefix(payload)


def raise_if_error(obj: Mapping[str, Any]) -> None:
    """A 200 body or a streamed line can carry an error object instead of an answer."""
    if obj.get("error") is not None:
        message = error_text(obj) or printable_prefix(orjson.dumps(obj["error"]))
        raise MalformedResponse(f"upstream error: {message}")


class ChunkWriter:
    """Shapes OpenAI chat.completion.chunk objects for a stream translated from another format:
    the first delta carries role "assistant"; with include_usage every chunk has `usage: None`."""

    def __init__(self, *, model: str, request_id: str, created: int, include_usage: bool) -> None:
        self._model = model
        self._request_id = request_id
        self._created = created
        self._include_usage = include_usage
        self._started = False

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        if not self._started:
            self._started = True
            delta = {"role": "assistant", **delta}
        chunk = self._head()
        chunk["choices"] = [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        ]
        if self._include_usage:
            chunk["usage"] = None
        return chunk

    def _head(self) -> dict[str, Any]:
        return {
            "id": self._request_id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
        }


def usage_object(usage: Usage) -> dict[str, int]:
    """OpenAI's usage object for a chat completion."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def floats_to_base64(vector: Sequence[float]) -> str:
    """OpenAI's base64 embedding encoding: little-endian float32, base64 (what the SDK decodes)."""
    try:
        packed = array("f", vector)
    except (TypeError, OverflowError) as exc:
        raise MalformedResponse(f"embedding is not a list of numbers ({exc})") from None
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def base64_to_floats(encoded: str) -> list[float]:
    """Inverse of floats_to_base64."""
    try:
        raw = base64.b64decode(encoded, validate=True)
        packed = array("f", raw)
    except ValueError as exc:
        raise MalformedResponse(f"embedding is not base64 float32 ({exc})") from None
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


def printable_prefix(payload: bytes | str, limit: int = 200) -> str:
    """A short, single-line, printable rendering of raw bytes for error messages."""
    head = payload[:limit]
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    text = "".join(c if c.isprintable() else " " for c in text).strip()
    if len(payload) > limit:
        text += "..."
    return text or "(empty body)"


if TYPE_CHECKING:
    # mypy proves here that every module implements WireProtocol.
    from tiergate.protocols import anthropic as _anthropic
    from tiergate.protocols import azure as _azure
    from tiergate.protocols import ollama as _ollama
    from tiergate.protocols import openai as _openai

    _checked: tuple[WireProtocol, ...] = (_ollama, _openai, _anthropic, _azure)
