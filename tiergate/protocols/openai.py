"""OpenAI protocol: forward OpenAI bodies to an OpenAI-compatible /v1 API and normalise answers.

The caller already speaks this protocol, so requests pass through unchanged except for what
the gateway must control: the model it routed to, the max tokens it reserved budget for, and
streamed usage (forced on, because the ledger bills from it). Answers keep everything the
upstream sent; only `id`, `created` and `model` are replaced so every response the caller sees
carries the gateway's request id and the model that actually served it, whichever provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tiergate.protocols import (
    MalformedResponse,
    base64_to_floats,
    describe_error,
    floats_to_base64,
    parse_object,
    printable_prefix,
    raise_if_error,
)
from tiergate.types import Usage

if TYPE_CHECKING:
    from tiergate.config import ProviderConfig

CHAT_PATH = "/chat/completions"
EMBED_PATH = "/embeddings"


def encode_chat(
    body: Mapping[str, Any], *, model: str, max_tokens: int, stream: bool
) -> dict[str, Any]:
    """The upstream chat body: the caller's, with model, token cap and streaming enforced."""
    out = dict(body)
    out["model"] = model
    # o-series models reject max_tokens, older compatible servers ignore max_completion_tokens:
    # keep whichever key the caller chose, and never send both.
    if body.get("max_completion_tokens") is not None:
        out["max_completion_tokens"] = max_tokens
        out.pop("max_tokens", None)
    else:
        out["max_tokens"] = max_tokens
        out.pop("max_completion_tokens", None)
    if stream:
        out["stream"] = True
        options = body.get("stream_options")
        out["stream_options"] = (
            {**options, "include_usage": True}
            if isinstance(options, Mapping)
            else {"include_usage": True}
        )
    else:
        out.pop("stream", None)
        # OpenAI rejects stream_options on a non-streaming request.
        out.pop("stream_options", None)
    return out


def decode_chat(
    payload: bytes, *, model: str, request_id: str, created: int
) -> tuple[dict[str, Any], Usage | None]:
    """A chat.completion from the upstream body. Usage is None (and the response has no
    `usage`, as the SDK allows) when the upstream reported none."""
    obj = parse_object(payload)
    raise_if_error(obj)
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse(f"chat completion has no choices: {printable_prefix(payload)}")
    for choice in choices:
        if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
            raise MalformedResponse(f"chat completion choice has no message: {choice!r:.200}")
    obj["id"] = request_id
    obj["object"] = "chat.completion"
    obj["created"] = created
    obj["model"] = model
    return obj, _usage(obj.get("usage"))


class ChatStream:
    """Normalises one upstream SSE stream, line by line.

    feed() takes one line of the body (b"data: {...}", b"data: [DONE]", blank lines, comments)
    and returns the chunks to send on. The upstream always streams usage (encode_chat forces
    it); it is captured in `usage` and, only if the caller asked for it, sent as the last chunk
    (`choices: []`) when [DONE] arrives, with `usage: None` on every other chunk, as OpenAI
    does. `done` turns true only on [DONE]: a body that ends before it was cut short.
    """

    def __init__(self, *, model: str, request_id: str, created: int, include_usage: bool) -> None:
        self._model = model
        self._request_id = request_id
        self._created = created
        self._include_usage = include_usage
        self._started = False
        self._raw_usage: dict[str, Any] | None = None
        self.done = False
        self.usage: Usage | None = None

    def feed(self, line: bytes) -> list[dict[str, Any]]:
        data = sse_data(line)
        if data is None:
            return []
        if data == b"[DONE]":
            self.done = True
            if self._include_usage and self._raw_usage is not None:
                return [self._usage_chunk(self._raw_usage)]
            return []
        if self.done:
            raise MalformedResponse(f"data after [DONE]: {printable_prefix(data)}")
        chunk = parse_object(data)
        raise_if_error(chunk)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise MalformedResponse(f"stream chunk has no choices: {printable_prefix(data)}")
        raw_usage = chunk.get("usage")
        if raw_usage is not None:
            self.usage = _usage(raw_usage)
            self._raw_usage = raw_usage
        # The usage-only chunk is replayed at [DONE] so it is always last, including from
        # compatible servers that put usage on a chunk that still has choices.
        if not choices:
            return []
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("delta"), dict):
                raise MalformedResponse(f"stream choice has no delta: {choice!r:.200}")
        if not self._started:
            self._started = True
            choices[0]["delta"].setdefault("role", "assistant")
        chunk["id"] = self._request_id
        chunk["object"] = "chat.completion.chunk"
        chunk["created"] = self._created
        chunk["model"] = self._model
        if self._include_usage:
            chunk["usage"] = None
        else:
            chunk.pop("usage", None)
        return [chunk]

    def _usage_chunk(self, usage: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self._request_id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [],
            "usage": usage,
        }


def sse_data(line: bytes) -> bytes | None:
    """The payload of an SSE `data:` line; None for a comment, a blank line or another field
    (event:, id:, retry: carry nothing read here); MalformedResponse for anything else."""
    line = line.strip()
    if not line or line.startswith(b":"):
        return None
    if not line.startswith(b"data:"):
        if line.split(b":", 1)[0] in (b"event", b"id", b"retry"):
            return None
        raise MalformedResponse(f"not an SSE line: {printable_prefix(line)}")
    return line[5:].lstrip()


def encode_embed(body: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """The upstream embeddings body: the caller's (encoding_format included), model replaced."""
    out = dict(body)
    out["model"] = model
    return out


def decode_embed(
    payload: bytes, *, model: str, encoding_format: str | None
) -> tuple[dict[str, Any], Usage | None]:
    """An embeddings list in the encoding the caller asked for.

    OpenAI honours the forwarded encoding_format; some compatible servers ignore it, so each
    vector is converted if it came back in the other encoding. The SDK requires `usage`, so
    it is zeros when the upstream sent none (the returned Usage is then None)."""
    obj = parse_object(payload)
    raise_if_error(obj)
    data = obj.get("data")
    if not isinstance(data, list):
        raise MalformedResponse(f"embeddings response has no data: {printable_prefix(payload)}")
    want_base64 = encoding_format == "base64"
    for item in data:
        if not isinstance(item, dict):
            raise MalformedResponse(f"embedding item is not an object: {item!r:.200}")
        vector = item.get("embedding")
        if isinstance(vector, list):
            if want_base64:
                item["embedding"] = floats_to_base64(vector)
        elif isinstance(vector, str):
            if not want_base64:
                item["embedding"] = base64_to_floats(vector)
        else:
            raise MalformedResponse(f"embedding item has no vector: {item!r:.200}")
    obj["object"] = "list"
    obj["model"] = model
    raw_usage = obj.get("usage")
    usage = _usage(raw_usage)
    if usage is None:
        obj["usage"] = {"prompt_tokens": 0, "total_tokens": 0}
    return obj, usage


def error_message(payload: bytes) -> str:
    """The human-readable message in an upstream error body ({"error": {"message": ...}})."""
    return describe_error(payload)


def headers(provider: ProviderConfig) -> dict[str, str]:
    """OpenAI-compatible APIs take the key as a bearer token."""
    return {"Authorization": f"Bearer {provider.api_key}"} if provider.api_key else {}


def url(provider: ProviderConfig, path: str, *, model: str) -> str:
    """The base_url names the API root; the model travels in the body."""
    return provider.base_url + path


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    prompt = raw.get("prompt_tokens") if isinstance(raw, dict) else None
    # Embeddings usage has no completion_tokens; some compatible servers send null.
    completion = (raw.get("completion_tokens") or 0) if isinstance(raw, dict) else None
    if type(prompt) is not int or type(completion) is not int:
        # We bill from this: a usage object we cannot read is a broken answer, not "free".
        raise MalformedResponse(f"unreadable usage: {raw!r:.200}")
    return Usage(prompt, completion)
