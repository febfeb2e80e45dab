"""Ollama protocol: translate OpenAI chat/embeddings requests to Ollama's native /api/* and back.

Requests: sampling parameters move into `options` (the reserved max tokens become
`num_predict`), response_format becomes `format`, tool-call arguments become JSON objects,
`tool` messages name their tool (Ollama matches results by name, not id), list content is
flattened to text plus base64 `images`. OpenAI parameters Ollama has no equivalent for
(n, logprobs, user, tool_choice other than "none", ...) are dropped, and requests it cannot
express at all raise UntranslatableRequest so the router can try another provider.

Answers: usage comes from prompt_eval_count / eval_count (Ollama omits a count that is zero;
a reply with neither count has no usage), tool calls get OpenAI ids (the upstream's if it
sent one, else derived from the request id, so a replay yields the same ids), and the
model's separate `thinking` text is not returned: OpenAI's chat API has no field for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from tiergate.protocols import (
    ChunkWriter,
    MalformedResponse,
    UntranslatableRequest,
    describe_error,
    floats_to_base64,
    parse_object,
    printable_prefix,
    raise_if_error,
    usage_object,
)
from tiergate.types import Usage

if TYPE_CHECKING:
    from tiergate.config import ProviderConfig

CHAT_PATH = "/api/chat"
EMBED_PATH = "/api/embed"

# OpenAI parameters whose name and meaning are the same in Ollama's options.
_OPTIONS = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty")


def encode_chat(
    body: Mapping[str, Any], *, model: str, max_tokens: int, stream: bool
) -> dict[str, Any]:
    """The /api/chat body for an OpenAI chat-completions body."""
    options: dict[str, Any] = {"num_predict": max_tokens}
    for key in _OPTIONS:
        value = body.get(key)
        if value is not None:
            options[key] = value
    stop = body.get("stop")
    if isinstance(stop, str):
        options["stop"] = [stop]
    elif stop:
        options["stop"] = list(stop)
    # Ollama streams unless told otherwise, so `stream` is always explicit.
    out: dict[str, Any] = {
        "model": model,
        "messages": _encode_messages(body.get("messages") or ()),
        "stream": stream,
        "options": options,
    }
    format_ = _encode_format(body.get("response_format"))
    if format_ is not None:
        out["format"] = format_
    tools = body.get("tools")
    # Ollama cannot force or forbid a tool call; withholding the tools is how "none" is kept.
    if tools and body.get("tool_choice") != "none":
        out["tools"] = tools
    return out


def decode_chat(
    payload: bytes, *, model: str, request_id: str, created: int
) -> tuple[dict[str, Any], Usage | None]:
    """A chat.completion from a non-streamed /api/chat reply. Without usage from the
    upstream, the response has no `usage` key (the SDK allows that)."""
    obj = parse_object(payload)
    raise_if_error(obj)
    message = obj.get("message")
    if not isinstance(message, dict):
        raise MalformedResponse(f"chat reply has no message: {printable_prefix(payload)}")
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise MalformedResponse(f"chat reply content is not text: {printable_prefix(payload)}")
    calls = _decode_tool_calls(message.get("tool_calls"), request_id, 0)
    answer: dict[str, Any] = {
        "role": "assistant",
        # OpenAI sends null content alongside tool calls rather than "".
        "content": None if calls and not content else content,
        "refusal": None,
    }
    if calls:
        answer["tool_calls"] = calls
    response: dict[str, Any] = {
        "id": request_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": answer,
                "logprobs": None,
                "finish_reason": _finish_reason(obj.get("done_reason"), bool(calls)),
            }
        ],
    }
    usage = _usage(obj)
    if usage is not None:
        response["usage"] = usage_object(usage)
    return response, usage


class ChatStream(ChunkWriter):
    """Translates one /api/chat NDJSON stream, line by line, into OpenAI chunks.

    feed() takes one line and returns the chunks to send on: the first carries
    delta.role "assistant"; lines with neither text nor tool calls (e.g. only `thinking`)
    produce none; the `done: true` line produces the finish_reason chunk and, only if the
    caller asked for usage, a last `choices: []` usage chunk (other chunks then carry
    `usage: None`, as OpenAI's do). `usage` is captured either way; `done` turns true on
    the `done: true` line, so a body that ends before it was cut short.
    """

    def __init__(self, *, model: str, request_id: str, created: int, include_usage: bool) -> None:
        super().__init__(
            model=model, request_id=request_id, created=created, include_usage=include_usage
        )
        self._tool_calls = 0
        self.done = False
        self.usage: Usage | None = None

    def feed(self, line: bytes) -> list[dict[str, Any]]:
        line = line.strip()
        if not line:
            return []
        if self.done:
            raise MalformedResponse(f"data after the final line: {printable_prefix(line)}")
        obj = parse_object(line)
        raise_if_error(obj)
        finished = obj.get("done")
        if not isinstance(finished, bool):
            raise MalformedResponse(f"stream line has no done flag: {printable_prefix(line)}")
        chunks = []
        message = obj.get("message")
        if message is not None:
            if not isinstance(message, dict):
                raise MalformedResponse(f"stream line has a bad message: {printable_prefix(line)}")
            content = message.get("content") or ""
            if not isinstance(content, str):
                raise MalformedResponse(f"stream content is not text: {printable_prefix(line)}")
            delta: dict[str, Any] = {"content": content} if content else {}
            calls = _decode_tool_calls(
                message.get("tool_calls"), self._request_id, self._tool_calls
            )
            if calls:
                # Ollama sends each call whole, so one delta carries id, name and arguments.
                delta["tool_calls"] = [
                    {"index": self._tool_calls + i, **call} for i, call in enumerate(calls)
                ]
                self._tool_calls += len(calls)
            if delta:
                chunks.append(self._chunk(delta, None))
        if finished:
            self.done = True
            self.usage = _usage(obj)
            reason = _finish_reason(obj.get("done_reason"), self._tool_calls > 0)
            chunks.append(self._chunk({}, reason))
            if self._include_usage and self.usage is not None:
                chunks.append({**self._head(), "choices": [], "usage": usage_object(self.usage)})
        return chunks


def encode_embed(body: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """The /api/embed body. encoding_format is applied by decode_embed, not sent."""
    text = body.get("input")
    if not (
        isinstance(text, str) or (isinstance(text, list) and all(isinstance(t, str) for t in text))
    ):
        raise UntranslatableRequest(
            "Ollama embeds text only: send 'input' as a string or a list of strings, "
            "not token ids (or route the request to an OpenAI provider)"
        )
    out: dict[str, Any] = {"model": model, "input": text}
    dimensions = body.get("dimensions")
    if dimensions is not None:
        out["dimensions"] = dimensions
    return out


def decode_embed(
    payload: bytes, *, model: str, encoding_format: str | None
) -> tuple[dict[str, Any], Usage | None]:
    """An OpenAI embeddings list from an /api/embed reply; base64 vectors are little-endian
    float32, which the openai SDK requests by default. The SDK requires `usage`, so it is
    zeros when Ollama sent no count (the returned Usage is then None)."""
    obj = parse_object(payload)
    raise_if_error(obj)
    vectors = obj.get("embeddings")
    if not isinstance(vectors, list) or not all(isinstance(v, list) for v in vectors):
        raise MalformedResponse(f"embed reply has no embeddings: {printable_prefix(payload)}")
    b64 = encoding_format == "base64"
    data = [
        {"object": "embedding", "index": i, "embedding": floats_to_base64(v) if b64 else v}
        for i, v in enumerate(vectors)
    ]
    usage = _usage(obj)
    tokens = usage.prompt_tokens if usage else 0
    response = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return response, usage


def error_message(payload: bytes) -> str:
    """The human-readable message in an Ollama error body ({"error": "..."})."""
    return describe_error(payload)


def headers(provider: ProviderConfig) -> dict[str, str]:
    """A hosted Ollama (ollama.com) takes the key as a bearer token; a local daemon needs none."""
    return {"Authorization": f"Bearer {provider.api_key}"} if provider.api_key else {}


def url(provider: ProviderConfig, path: str, *, model: str) -> str:
    """The base_url names the API root; the model travels in the body."""
    return provider.base_url + path


def tool_call_id(request_id: str, index: int) -> str:
    """The OpenAI id of a request's index-th tool call, the same on every replay."""
    digest = hashlib.blake2b(f"{request_id}:{index}".encode(), digest_size=12).hexdigest()
    return f"call_{digest}"


def _encode_messages(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    tool_names: dict[str, str] = {}  # tool_call_id -> function name, from assistant history
    for message in messages:
        role = message.get("role")
        content, images = _encode_content(message.get("content"))
        if role == "developer":
            role = "system"  # OpenAI's newer name for the system role
        encoded: dict[str, Any] = {"role": role, "content": content}
        if images:
            encoded["images"] = images
        calls = message.get("tool_calls")
        if calls:
            encoded["tool_calls"] = [_encode_tool_call(call, tool_names) for call in calls]
        if role in ("tool", "function"):
            # Ollama's templates pair a result with its call by tool name.
            encoded["role"] = "tool"
            name = tool_names.get(message.get("tool_call_id") or "") or message.get("name")
            if name:
                encoded["tool_name"] = name
        out.append(encoded)
    return out


def _encode_content(content: Any) -> tuple[str, list[str]]:
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    texts: list[str] = []
    images: list[str] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            texts.append(part.get("text") or "")
        elif kind == "refusal":
            texts.append(part.get("refusal") or "")
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            images.append(_image_data(url))
        else:
            raise UntranslatableRequest(f"Ollama cannot take {kind!r} content parts")
    return "\n".join(texts), images


def _image_data(url: Any) -> str:
    # Fetching a remote image here would be I/O (and a data-egress decision); only inline
    # base64 images can be translated.
    if isinstance(url, str) and url.startswith("data:"):
        header, _, data = url.partition(",")
        if header.endswith(";base64") and data:
            return data
    raise UntranslatableRequest(
        "Ollama needs images inline: send image_url.url as a data:<mime>;base64,<data> URL"
    )


def _encode_tool_call(call: Mapping[str, Any], tool_names: dict[str, str]) -> dict[str, Any]:
    function = call.get("function") or {}
    name = function.get("name")
    arguments = function.get("arguments")
    # OpenAI carries arguments as a JSON string, Ollama as an object.
    if isinstance(arguments, str):
        try:
            arguments = orjson.loads(arguments) if arguments.strip() else {}
        except orjson.JSONDecodeError:
            arguments = None
    elif arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        raise UntranslatableRequest(
            f"tool call {call.get('id')!r}: Ollama needs arguments that are a JSON object"
        )
    call_id = call.get("id")
    if isinstance(call_id, str) and isinstance(name, str):
        tool_names[call_id] = name
    return {"function": {"name": name, "arguments": arguments}}


def _encode_format(response_format: Any) -> Any:
    if not isinstance(response_format, Mapping):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return schema if isinstance(schema, Mapping) else "json"
    return None


def _decode_tool_calls(raw: Any, request_id: str, first_index: int) -> list[dict[str, Any]]:
    if not raw:
        return []
    if not isinstance(raw, list):
        raise MalformedResponse(f"tool_calls is not a list: {raw!r:.200}")
    calls = []
    for index, call in enumerate(raw, first_index):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise MalformedResponse(f"tool call has no function name: {call!r:.200}")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = orjson.dumps(arguments if arguments is not None else {}).decode()
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = tool_call_id(request_id, index)
        name = function["name"]
        calls.append(
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
        )
    return calls


def _finish_reason(done_reason: Any, called_tools: bool) -> str:
    # Ollama reports "stop" after tool calls; OpenAI says "tool_calls" unless cut off.
    if done_reason == "length":
        return "length"
    return "tool_calls" if called_tools else "stop"


def _usage(obj: dict[str, Any]) -> Usage | None:
    prompt = obj.get("prompt_eval_count")
    completion = obj.get("eval_count")
    if prompt is None and completion is None:
        return None
    # Go's omitempty drops a zero count, so a missing one next to a present one means 0.
    prompt = prompt or 0
    completion = completion or 0
    if type(prompt) is not int or type(completion) is not int:
        raise MalformedResponse(f"unreadable token counts: {prompt!r}, {completion!r}")
    return Usage(prompt, completion)
