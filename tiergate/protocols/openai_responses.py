"""OpenAI's Responses API as a wire format, for openai providers with `responses_api: true`.

POST /v1/responses reaches such a provider as the caller's own Responses body (the fields
tiergate knows, see tiergate.ingress.responses) instead of a chat translation. This module
has the shape of every protocol (WireProtocol), so the attempt pipeline sends, decodes,
relays and settles it like any other: here the "chat" path is POST /responses, requests are
Responses bodies, answers are response objects and a stream's lines are its typed events.
Answers and events go back as the provider sent them; only the usage is read, from the
answer's `usage` or the terminal event's response (response.completed, .incomplete or
.failed). Auth, URLs, embeddings and error bodies are openai's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tiergate.protocols import (
    MalformedResponse,
    error_text,
    parse_object,
    printable_prefix,
    raise_if_error,
)
from tiergate.protocols import openai as _openai
from tiergate.types import Usage

CHAT_PATH = "/responses"
EMBED_PATH = _openai.EMBED_PATH
# The events that end a Responses stream; each carries the whole response, usage included.
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})

encode_embed = _openai.encode_embed
decode_embed = _openai.decode_embed
error_message = _openai.error_message
headers = _openai.headers
url = _openai.url


def encode_chat(
    body: Mapping[str, Any], *, model: str, max_tokens: int, stream: bool
) -> dict[str, Any]:
    """The upstream Responses body: the caller's, with the routed model, the output tokens
    reserved for, `store: false` (the gateway keeps no state, nor lets the provider keep it)
    and streaming as asked."""
    out = dict(body)
    out["model"] = model
    out["max_output_tokens"] = max_tokens
    out["store"] = False
    if stream:
        out["stream"] = True
    else:
        out.pop("stream", None)
        out.pop("stream_options", None)  # only allowed with stream: true
    return out


def items(body: Mapping[str, Any]) -> int:
    """How many messages a Responses body holds (input items and instructions), for the
    per-message framing a reservation adds."""
    value = body.get("input")
    count = len(value) if isinstance(value, list) else 1
    return count + (1 if body.get("instructions") else 0)


def decode_chat(
    payload: bytes, *, model: str, request_id: str, created: int
) -> tuple[dict[str, Any], Usage | None]:
    """The response object as the provider sent it, and its usage (None when it has none)."""
    obj = parse_object(payload)
    raise_if_error(obj)
    if obj.get("object") != "response" or not isinstance(obj.get("output"), list):
        raise MalformedResponse(f"not a response object: {printable_prefix(payload)}")
    return obj, usage(obj.get("usage"))


class ChatStream:
    """Reads a Responses stream line by line: each `data:` line is one typed event, passed on
    as sent (the `event:` lines repeat its type). `done` turns true on the terminal event,
    whose response holds the usage; an `error` event is a broken answer."""

    def __init__(self, *, model: str, request_id: str, created: int, include_usage: bool) -> None:
        self.done = False
        self.usage: Usage | None = None

    def feed(self, line: bytes) -> list[dict[str, Any]]:
        data = _openai.sse_data(line)
        if data is None:
            return []
        if data == b"[DONE]":
            return []
        if self.done:
            raise MalformedResponse(f"an event after the response ended: {printable_prefix(data)}")
        event = parse_object(data)
        kind = event.get("type")
        if not isinstance(kind, str):
            raise MalformedResponse(f"an event without a type: {printable_prefix(data)}")
        if kind == "error":
            raise MalformedResponse(
                f"upstream error: {error_text(event) or printable_prefix(data)}"
            )
        if kind in TERMINAL:
            response = event.get("response")
            if not isinstance(response, dict):
                raise MalformedResponse(f"{kind} without its response: {printable_prefix(data)}")
            self.done = True
            self.usage = usage(response.get("usage"))
        return [event]


def usage(raw: Any) -> Usage | None:
    """Usage from a Responses `usage` object. input_tokens includes the cached ones
    (input_tokens_details.cached_tokens) and output_tokens the reasoning ones
    (output_tokens_details.reasoning_tokens), so both are billed within these two counts."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise MalformedResponse(f"unreadable usage: {raw!r:.200}")
    prompt, completion = raw.get("input_tokens"), raw.get("output_tokens")
    if type(prompt) is not int or type(completion) is not int or prompt < 0 or completion < 0:
        # We bill from this: a usage object we cannot read is a broken answer, not "free".
        raise MalformedResponse(f"unreadable usage: {raw!r:.200}")
    return Usage(prompt, completion)
