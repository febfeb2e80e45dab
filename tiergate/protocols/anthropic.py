"""Anthropic protocol: OpenAI chat bodies to the Messages API (POST /v1/messages) and back.

Requests: system and developer messages move to `system` (Anthropic has no system turns,
so one in mid-conversation moves there too); tool definitions become `tools` with an
`input_schema`; an assistant's tool calls become `tool_use` blocks and `tool` messages become
`tool_result` blocks in a user turn; consecutive turns of one role merge into one; images
become image blocks (inline base64, or a URL that Anthropic fetches) and PDF files document
blocks. `max_tokens` is required and is always the reserved cap; `stop` becomes
`stop_sequences`; temperature is clamped to Anthropic's 0..1. A `response_format` asking for
JSON becomes a forced call of one internal tool whose input schema is the caller's schema,
and that call's input comes back as the message text. Parameters with no equivalent that
only tune sampling (seed, penalties) are dropped; `user` is not forwarded (it is an
identifier the privacy scan never reads). What cannot be expressed (n > 1, logprobs, audio,
OpenAI file ids, non-function tools, legacy `functions`) raises UntranslatableRequest, as do
embeddings: Anthropic has none.

Answers: text blocks join into the message content, `tool_use` blocks become tool calls with
Anthropic's ids (a caller echoes them back as `tool_call_id`), thinking blocks are not
returned (OpenAI's chat API has no field for them), stop_reason maps to finish_reason, and
usage counts prompt tokens as input + cache writes + cache reads (cache reads also reported
as `prompt_tokens_details.cached_tokens`). Streams are Anthropic's typed SSE events; the
first OpenAI chunk is produced by the first content, so an `error` event before any content
(an overloaded API) still lets the router fall back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from tiergate.protocols import (
    ChunkWriter,
    MalformedResponse,
    UntranslatableRequest,
    describe_error,
    parse_object,
    printable_prefix,
    raise_if_error,
    usage_object,
)
from tiergate.types import Usage

if TYPE_CHECKING:
    from tiergate.config import ProviderConfig

CHAT_PATH = "/v1/messages"
# Anthropic has no embeddings endpoint: encode_embed refuses before anything is posted.
EMBED_PATH = "/v1/embeddings"
API_VERSION = "2023-06-01"
# The tool a JSON response_format is forced through; its input is the answer.
JSON_TOOL = "tiergate_json_response"

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_USAGE_KEYS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)


def headers(provider: ProviderConfig) -> dict[str, str]:
    """Anthropic takes the key in ``x-api-key`` and requires ``anthropic-version``."""
    out = {"anthropic-version": provider.api_version or API_VERSION}
    if provider.api_key:
        out["x-api-key"] = provider.api_key
    return out


def url(provider: ProviderConfig, path: str, *, model: str) -> str:
    """The base_url is the API host (https://api.anthropic.com); the model is in the body."""
    return provider.base_url + path


# -- requests -------------------------------------------------------------------------------


def encode_chat(
    body: Mapping[str, Any], *, model: str, max_tokens: int, stream: bool
) -> dict[str, Any]:
    """The /v1/messages body for an OpenAI chat-completions body."""
    if (body.get("n") or 1) != 1:
        raise UntranslatableRequest("Anthropic returns one choice per request: send n = 1")
    if body.get("logprobs") or body.get("top_logprobs"):
        raise UntranslatableRequest("Anthropic does not return logprobs")
    if body.get("functions") or body.get("function_call"):
        raise UntranslatableRequest(
            "Anthropic takes tools, not the legacy 'functions': send 'tools' instead"
        )
    system, messages = _encode_messages(body.get("messages") or ())
    out: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": messages}
    if system:
        out["system"] = system
    temperature = body.get("temperature")
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        out["temperature"] = min(float(temperature), 1.0)  # OpenAI allows up to 2
    if body.get("top_p") is not None:
        out["top_p"] = body["top_p"]
    stop = body.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif stop:
        out["stop_sequences"] = list(stop)
    tools = _encode_tools(body.get("tools") or ())
    choice = _encode_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    schema = _json_schema(body.get("response_format"))
    if schema is not None:
        if tools:
            raise UntranslatableRequest(
                "Anthropic cannot combine tools with a JSON response_format: send one or the other"
            )
        tools = [{"name": JSON_TOOL, "description": "Respond with this.", "input_schema": schema}]
        choice = {"type": "tool", "name": JSON_TOOL}
    if tools:
        out["tools"] = tools
        if choice is not None:
            out["tool_choice"] = choice
    if stream:
        out["stream"] = True
    return out


def _encode_messages(
    messages: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            # Anthropic refuses empty text blocks; an empty system message says nothing anyway.
            system.extend(b for b in _content_blocks(content, index) if b.get("text"))
        elif role == "user":
            _append(turns, "user", _content_blocks(content, index))
        elif role == "assistant":
            blocks = [b for b in _content_blocks(content, index) if b.get("text") != ""]
            blocks += [_encode_tool_call(call) for call in message.get("tool_calls") or ()]
            if blocks:
                _append(turns, "assistant", blocks)
        elif role == "tool":
            result: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
            }
            if isinstance(content, str):
                result["content"] = content
            elif content:
                result["content"] = _content_blocks(content, index)
            _append(turns, "user", [result])
        else:
            raise UntranslatableRequest(
                f"messages[{index}]: Anthropic has no {role!r} messages "
                "(legacy function results need a tool_call_id: send role 'tool')"
            )
    return system, turns


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    # Anthropic alternates user and assistant turns: tool results and the user's next words,
    # for one, are a single user turn.
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _content_blocks(content: Any, index: int) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text") or ""})
        elif kind == "refusal":
            blocks.append({"type": "text", "text": part.get("refusal") or ""})
        elif kind == "image_url":
            image = part.get("image_url")
            blocks.append(_image_block(image.get("url") if isinstance(image, Mapping) else image))
        elif kind == "file":
            blocks.append(_document_block(part.get("file"), index))
        else:
            raise UntranslatableRequest(f"messages[{index}]: Anthropic cannot take {kind!r} parts")
    return blocks


def _image_block(url: Any) -> dict[str, Any]:
    if isinstance(url, str) and url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].removesuffix(";base64")
        if header.endswith(";base64") and data and media_type:
            source = {"type": "base64", "media_type": media_type, "data": data}
            return {"type": "image", "source": source}
    elif isinstance(url, str) and url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise UntranslatableRequest(
        "Anthropic needs image_url.url as a data:<mime>;base64,<data> URL or an http(s) URL"
    )


def _document_block(file: Any, index: int) -> dict[str, Any]:
    data = file.get("file_data") if isinstance(file, Mapping) else None
    prefix = "data:application/pdf;base64,"
    if isinstance(data, str) and data.startswith(prefix):
        source = {"type": "base64", "media_type": "application/pdf", "data": data[len(prefix) :]}
        return {"type": "document", "source": source}
    raise UntranslatableRequest(
        f"messages[{index}]: Anthropic takes files as inline PDFs "
        "(file.file_data = data:application/pdf;base64,...), not OpenAI file ids"
    )


def _encode_tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    # OpenAI carries arguments as a JSON string, Anthropic as an object.
    if isinstance(arguments, str):
        try:
            arguments = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            arguments = None
    elif arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise UntranslatableRequest(
            f"tool call {call.get('id')!r}: Anthropic needs arguments that are a JSON object"
        )
    return {
        "type": "tool_use",
        "id": call.get("id"),
        "name": function.get("name"),
        "input": arguments,
    }


def _encode_tools(tools: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for index, tool in enumerate(tools):
        if tool.get("type", "function") != "function":
            raise UntranslatableRequest(
                f"tools[{index}]: Anthropic takes function tools only, not {tool.get('type')!r}"
            )
        function = tool.get("function")
        if not isinstance(function, Mapping):
            function = {}  # sent without a name: Anthropic's 400 then names the field
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        encoded: dict[str, Any] = {"name": function.get("name"), "input_schema": schema}
        if function.get("description"):
            encoded["description"] = function["description"]
        out.append(encoded)
    return out


def _encode_tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None:
        encoded: dict[str, Any] | None = {"type": "auto"} if parallel is False else None
    elif choice == "none":
        return {"type": "none"}
    elif choice == "auto":
        encoded = {"type": "auto"}
    elif choice == "required":
        encoded = {"type": "any"}
    elif isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping):
        encoded = {"type": "tool", "name": choice["function"].get("name")}
    else:
        raise UntranslatableRequest(f"Anthropic cannot express tool_choice {choice!r:.80}")
    if encoded is not None and parallel is False:
        encoded["disable_parallel_tool_use"] = True
    return encoded


def _json_schema(response_format: Any) -> dict[str, Any] | None:
    """The input schema of the forced JSON tool, or None when no JSON answer is asked for."""
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if isinstance(schema, Mapping) and schema.get("type") == "object":
            return dict(schema)
        raise UntranslatableRequest(
            "Anthropic returns JSON objects only: response_format.json_schema.schema "
            'needs "type": "object"'
        )
    return None


def encode_embed(body: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    raise UntranslatableRequest("Anthropic has no embeddings API")


# -- answers --------------------------------------------------------------------------------


def decode_chat(
    payload: bytes, *, model: str, request_id: str, created: int
) -> tuple[dict[str, Any], Usage | None]:
    """A chat.completion from a /v1/messages answer."""
    obj = parse_object(payload)
    raise_if_error(obj)
    blocks = obj.get("content")
    if obj.get("type") != "message" or not isinstance(blocks, list):
        raise MalformedResponse(f"not a message: {printable_prefix(payload)}")
    texts: list[str] = []
    calls = []
    for block in blocks:
        if not isinstance(block, dict):
            raise MalformedResponse(f"content block is not an object: {block!r:.200}")
        kind = block.get("type")
        if kind == "text":
            texts.append(_text(block.get("text"), block))
        elif kind == "tool_use":
            name, call_id, arguments = _tool_use(block)
            if name == JSON_TOOL:
                texts.append(orjson.dumps(arguments).decode())
            else:
                function = {"name": name, "arguments": orjson.dumps(arguments).decode()}
                calls.append({"id": call_id, "type": "function", "function": function})
    content = "".join(texts)
    answer: dict[str, Any] = {
        "role": "assistant",
        "content": None if calls and not content else content,
        "refusal": None,
    }
    if calls:
        answer["tool_calls"] = calls
    choice = {
        "index": 0,
        "message": answer,
        "logprobs": None,
        "finish_reason": _finish_reason(obj.get("stop_reason"), bool(calls)),
    }
    response: dict[str, Any] = {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [choice],
    }
    raw_usage = obj.get("usage")
    counts = _counts(raw_usage, {}) if raw_usage is not None else None
    if counts is not None:
        response["usage"] = _usage_object(counts)
    return response, _usage(counts) if counts is not None else None


class ChatStream(ChunkWriter):
    """Translates one /v1/messages SSE stream, line by line, into OpenAI chunks.

    feed() takes one line (``event: ...``, ``data: {...}``, blank lines, comments) and
    returns the chunks to send on. The first content (text, a tool call's name, JSON-mode
    text) produces the first chunk, with delta.role "assistant"; ``message_stop`` produces
    the finish_reason chunk and, only if the caller asked for usage, a last ``choices: []``
    usage chunk (other chunks then carry ``usage: None``). Usage is collected from
    ``message_start`` and ``message_delta``. ``done`` turns true on ``message_stop``, so a
    body that ends before it was cut short; an ``error`` event raises MalformedResponse.
    """

    def __init__(self, *, model: str, request_id: str, created: int, include_usage: bool) -> None:
        super().__init__(
            model=model, request_id=request_id, created=created, include_usage=include_usage
        )
        self._calls: dict[int, int] = {}  # content block index -> OpenAI tool call index
        self._json_blocks: set[int] = set()
        self._counts: dict[str, int] | None = None
        self._stop_reason: Any = None
        self.done = False
        self.usage: Usage | None = None

    def feed(self, line: bytes) -> list[dict[str, Any]]:
        line = line.strip()
        if not line or line.startswith(b":"):
            return []
        field, _, value = line.partition(b":")
        if field in (b"event", b"id", b"retry"):
            return []  # every data object names its own type
        if field != b"data":
            raise MalformedResponse(f"not an SSE line: {printable_prefix(line)}")
        if self.done:
            raise MalformedResponse(f"data after message_stop: {printable_prefix(value)}")
        event = parse_object(value.strip())
        raise_if_error(event)
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message")
            if not isinstance(message, dict):
                raise MalformedResponse(
                    f"message_start without a message: {printable_prefix(line)}"
                )
            self._count(message.get("usage"))
            return []
        if kind == "content_block_start":
            return self._block_start(event)
        if kind == "content_block_delta":
            return self._block_delta(event)
        if kind == "message_delta":
            delta = event.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason") is not None:
                self._stop_reason = delta["stop_reason"]
            self._count(event.get("usage"))
            return []
        if kind == "message_stop":
            return self._finish()
        # ping, content_block_stop and event types added later carry nothing to translate.
        return []

    def _block_start(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index, block = event.get("index"), event.get("content_block")
        if type(index) is not int or not isinstance(block, dict):
            raise MalformedResponse(
                f"bad content_block_start: {printable_prefix(orjson.dumps(event))}"
            )
        kind = block.get("type")
        if kind == "text":
            text = _text(block.get("text"), block)
            return [self._chunk({"content": text})] if text else []
        if kind != "tool_use":
            return []  # thinking and server-side blocks are not part of an OpenAI answer
        name, call_id, arguments = _tool_use(block)
        # Streamed input arrives as input_json_delta; a block that starts with input has it all.
        initial = orjson.dumps(arguments).decode() if arguments else ""
        if name == JSON_TOOL:
            self._json_blocks.add(index)
            return [self._chunk({"content": initial})] if initial else []
        number = self._calls[index] = len(self._calls)
        function = {"name": name, "arguments": initial}
        call = {"index": number, "id": call_id, "type": "function", "function": function}
        return [self._chunk({"tool_calls": [call]})]

    def _block_delta(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        index, delta = event.get("index"), event.get("delta")
        if not isinstance(delta, dict):
            raise MalformedResponse(f"content_block_delta without a delta: {event!r:.200}")
        kind = delta.get("type")
        if kind == "text_delta":
            text = _text(delta.get("text"), delta)
            return [self._chunk({"content": text})] if text else []
        if kind != "input_json_delta":
            return []  # thinking, signature and citation deltas
        partial = delta.get("partial_json")
        if not isinstance(partial, str):
            raise MalformedResponse(f"input_json_delta without partial_json: {delta!r:.200}")
        if not partial:
            return []
        if index in self._json_blocks:
            return [self._chunk({"content": partial})]
        if index not in self._calls:
            raise MalformedResponse(f"input_json_delta for unknown block {index!r}")
        call = {"index": self._calls[index], "function": {"arguments": partial}}
        return [self._chunk({"tool_calls": [call]})]

    def _finish(self) -> list[dict[str, Any]]:
        self.done = True
        if self._counts is not None:
            self.usage = _usage(self._counts)
        reason = _finish_reason(self._stop_reason, bool(self._calls))
        chunks = [self._chunk({}, reason)]
        if self._include_usage and self._counts is not None:
            chunks.append({**self._head(), "choices": [], "usage": _usage_object(self._counts)})
        return chunks

    def _count(self, raw: Any) -> None:
        if raw is not None:
            self._counts = _counts(raw, self._counts or {})


def decode_embed(
    payload: bytes, *, model: str, encoding_format: str | None
) -> tuple[dict[str, Any], Usage | None]:
    raise MalformedResponse("Anthropic has no embeddings API")


def error_message(payload: bytes) -> str:
    """The message in an Anthropic error body ({"type": "error", "error": {"message"}})."""
    return describe_error(payload)


def _text(value: Any, where: Mapping[str, Any]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedResponse(f"text is not a string: {where!r:.200}")
    return value


def _tool_use(block: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    name, call_id, arguments = block.get("name"), block.get("id"), block.get("input")
    if not isinstance(name, str) or not isinstance(call_id, str):
        raise MalformedResponse(f"tool_use block without a name or id: {block!r:.200}")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise MalformedResponse(f"tool_use input is not an object: {block!r:.200}")
    return name, call_id, arguments


def _finish_reason(stop_reason: Any, called_tools: bool) -> str:
    reason = _STOP_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"
    # The forced JSON tool ends with "tool_use" but is an answer, not a call.
    return "stop" if reason == "tool_calls" and not called_tools else reason


def _counts(raw: Any, known: dict[str, int]) -> dict[str, int]:
    """Anthropic's token counts merged over `known`: message_delta's counts are cumulative
    and may leave out (or null) what message_start already said."""
    if not isinstance(raw, dict):
        raise MalformedResponse(f"unreadable usage: {raw!r:.200}")
    counts = dict(known)
    for key in _USAGE_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if type(value) is not int or value < 0:
            # We bill from this: a count we cannot read is a broken answer, not "free".
            raise MalformedResponse(f"unreadable usage: {raw!r:.200}")
        counts[key] = value
    if "input_tokens" not in counts and "output_tokens" not in counts:
        raise MalformedResponse(f"usage without token counts: {raw!r:.200}")
    return counts


def _usage(counts: Mapping[str, int]) -> Usage:
    prompt = (
        counts.get("input_tokens", 0)
        + counts.get("cache_creation_input_tokens", 0)
        + counts.get("cache_read_input_tokens", 0)
    )
    return Usage(prompt, counts.get("output_tokens", 0))


def _usage_object(counts: Mapping[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = usage_object(_usage(counts))
    out["prompt_tokens_details"] = {"cached_tokens": counts.get("cache_read_input_tokens", 0)}
    return out
