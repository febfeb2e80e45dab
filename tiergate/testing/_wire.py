"""What the fake answers, in each protocol's shape: token accounting and payload builders.

Pure: no I/O and no clock (callers pass timestamps and durations in), so every
answer follows from the request, the chosen fault and the instance's settings.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import orjson

if TYPE_CHECKING:
    from tiergate.testing._behaviour import Fault

Protocol = Literal["ollama", "openai", "anthropic"]

_JSON_OPEN, _JSON_CLOSE = '{"reply": "', '"}'
_PLACEHOLDERS: dict[str, Any] = {
    "string": "fake",
    "integer": 1,
    "number": 1.0,
    "boolean": True,
    "array": [],
    "object": {},
}
# (type, code) per status, as api.openai.com labels them.
_OPENAI_ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True, slots=True)
class Answer:
    """One planned chat answer, before either protocol shapes it."""

    model: str
    pieces: tuple[str, ...]  # content chunks as streamed: one token each
    tool_call: tuple[str, dict[str, Any]] | None
    finish: str  # OpenAI finish_reason; Ollama's done_reason is "length" or "stop"
    prompt_tokens: int
    completion_tokens: int
    usage: bool

    @property
    def content(self) -> str:
        return "".join(self.pieces)


def error_body(
    protocol: Protocol,
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """The error body each protocol sends: Ollama's bare string, OpenAI's and Anthropic's objects."""
    if protocol == "ollama":
        return {"error": message}
    if protocol == "anthropic":
        from tiergate.testing._anthropic import error_body as anthropic_error  # imports this

        return anthropic_error(status, message)
    kind, default_code = _OPENAI_ERRORS.get(status, ("server_error", None))
    return {
        "error": {"message": message, "type": kind, "param": param, "code": code or default_code}
    }


def text(content: Any) -> str:
    """A message's text: the string itself, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def texts(body: Any) -> list[str]:
    """Every text in a request: message contents, or embeddings inputs."""
    if not isinstance(body, dict):
        return []
    if isinstance(messages := body.get("messages"), list):
        return [text(m.get("content")) for m in messages if isinstance(m, dict)]
    raw_input = body.get("input")
    items = raw_input if isinstance(raw_input, list) else [raw_input]
    # Strings (embeddings, a Responses input), or Responses input items' contents.
    return [item if isinstance(item, str) else text(item.get("content"))
            for item in items if isinstance(item, str | dict)]  # fmt: skip


def tokens(content: str) -> int:
    return math.ceil(len(content.encode()) / 4)


def plan(
    protocol: Protocol, body: dict[str, Any], fault: Fault, *, name: str, words: int
) -> Answer:
    """Plan the answer to a checked chat request: a tool call, or ``words`` words of text."""
    if protocol == "ollama":
        options = body.get("options") or {}
        cap = options.get("num_predict")
        json_mode, allow_tools = bool(body.get("format")), True
    else:
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        response_format = body.get("response_format")
        json_mode = isinstance(response_format, dict) and response_format.get("type") in (
            "json_object",
            "json_schema",
        )
        allow_tools = body.get("tool_choice") != "none"
    usage = fault.kind != "no-usage"
    messages = body["messages"]
    prompt_tokens = 3 + sum(tokens(text(m.get("content"))) + 3 for m in messages)
    tools = body.get("tools")
    last_role = messages[-1].get("role") if messages else None
    if allow_tools and tools and last_role != "tool":
        tool_name, arguments = _tool_call(tools[0])
        spent = tokens(tool_name) + tokens(orjson.dumps(arguments).decode())
        return Answer(
            body["model"], (), (tool_name, arguments), "tool_calls", prompt_tokens, spent, usage
        )
    count = int(fault.number or 0) if fault.kind == "words" else words
    reply = _words(name, count)
    finish = "stop"
    if isinstance(cap, int) and 0 <= cap < len(reply):
        reply, finish = reply[:cap], "length"
    pieces = [word if i == 0 else f" {word}" for i, word in enumerate(reply)]
    if fault.kind == "long" and pieces:  # one token of N bytes: a line that long on the wire
        pieces[0] = "x" * int(fault.number or 0)
    if json_mode:  # the words become one JSON string, still one token per chunk
        pieces = pieces or [""]
        pieces[0] = _JSON_OPEN + pieces[0]
        pieces[-1] += _JSON_CLOSE
    return Answer(body["model"], tuple(pieces), None, finish, prompt_tokens, len(reply), usage)


def openai_base(model: str, completion_id: str, created: int) -> dict[str, Any]:
    """The fields every chat.completion and chat.completion.chunk carries."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_fake",
        "service_tier": "default",
    }


def openai_completion(answer: Answer, base: dict[str, Any], call_id: str) -> dict[str, Any]:
    tool_name = _tool_name(answer)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if tool_name else answer.content,
        "refusal": None,
        "annotations": [],
    }
    if tool_name:
        function = {"name": tool_name, "arguments": _arguments(answer)}
        message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
    choice = {"index": 0, "message": message, "logprobs": None}
    payload = {**base, "choices": [{**choice, "finish_reason": answer.finish}]}
    if answer.usage:
        payload["usage"] = _openai_usage(answer)
    return payload


def openai_stream(
    answer: Answer, base: dict[str, Any], call_id: str, *, include_usage: bool
) -> tuple[list[bytes], list[bytes]]:
    """Server-sent events: the frames, then the tail only a complete answer gets."""
    base = {**base, "object": "chat.completion.chunk"}
    if include_usage:
        base["usage"] = None

    def frame(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"

    frames = [frame({"role": "assistant", "content": "", "refusal": None})]
    frames += [frame({"content": piece}) for piece in answer.pieces]
    if tool_name := _tool_name(answer):  # like OpenAI: the call's name first, then its arguments
        header = {"index": 0, "id": call_id, "type": "function"}
        function = {"name": tool_name, "arguments": ""}
        frames.append(frame({"tool_calls": [{**header, "function": function}]}))
        function = {"arguments": _arguments(answer)}
        frames.append(frame({"tool_calls": [{"index": 0, "function": function}]}))
    tail = [frame({}, answer.finish)]
    if include_usage and answer.usage:
        usage = {**base, "choices": [], "usage": _openai_usage(answer)}
        tail.append(b"data: " + orjson.dumps(usage) + b"\n\n")
    tail.append(b"data: [DONE]\n\n")
    return frames, tail


def ollama_message(answer: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.tool_call is not None:
        name, arguments = answer.tool_call
        message["tool_calls"] = [{"function": {"name": name, "arguments": arguments}}]
    return message


def ollama_final(
    answer: Answer, message: dict[str, Any], *, created_at: str, total_ns: int
) -> dict[str, Any]:
    """The last (or only) object of an /api/chat answer: done, with timings and counts."""
    timings = {
        "total_duration": total_ns,
        "load_duration": 0,
        "prompt_eval_duration": total_ns // 10,
    }
    timings["eval_duration"] = total_ns - timings["prompt_eval_duration"]
    if answer.usage:
        timings["prompt_eval_count"] = answer.prompt_tokens
        timings["eval_count"] = answer.completion_tokens
    return {
        "model": answer.model,
        "created_at": created_at,
        "message": message,
        "done": True,
        "done_reason": "length" if answer.finish == "length" else "stop",
        **timings,
    }


def ollama_frames(answer: Answer, *, created_at: str) -> list[bytes]:
    """NDJSON lines before the final one: a tool call in one chunk, text one token per chunk."""
    deltas = (
        [ollama_message(answer)]
        if answer.tool_call is not None
        else [{"role": "assistant", "content": piece} for piece in answer.pieces]
    )
    return [
        orjson.dumps(
            {"model": answer.model, "created_at": created_at, "message": delta, "done": False},
            option=orjson.OPT_APPEND_NEWLINE,
        )
        for delta in deltas
    ]


def ollama_embeddings(
    model: str, inputs: Sequence[str], dims: int, *, total_ns: int, usage: bool
) -> tuple[dict[str, Any], int]:
    """The /api/embed payload and the tokens it bills."""
    spent = sum(tokens(item) for item in inputs)
    payload: dict[str, Any] = {
        "model": model,
        "embeddings": [_vector(item, dims) for item in inputs],
        "total_duration": total_ns,
        "load_duration": 0,
    }
    if usage:
        payload["prompt_eval_count"] = spent
    return payload, spent


def openai_inputs(value: Any) -> list[tuple[str, int]] | None:
    """Each input's text (token arrays rendered as text) and its token count; None if invalid."""
    if isinstance(value, str) or (isinstance(value, list) and value and isinstance(value[0], int)):
        value = [value]
    if not isinstance(value, list) or not value:
        return None
    inputs = []
    for item in value:
        if isinstance(item, str):
            inputs.append((item, tokens(item)))
        elif isinstance(item, list) and all(isinstance(t, int) for t in item):
            inputs.append((" ".join(map(str, item)), len(item)))
        else:
            return None
    return inputs


def openai_embeddings(
    model: str, inputs: Sequence[tuple[str, int]], dims: int, *, as_base64: bool, usage: bool
) -> tuple[dict[str, Any], int]:
    """The /v1/embeddings payload and the tokens it bills."""
    data = []
    for index, (item, _) in enumerate(inputs):
        vector = _vector(item, dims)
        embedding: Any = (
            base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
        )
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    spent = sum(count for _, count in inputs)
    payload: dict[str, Any] = {"object": "list", "data": data, "model": model}
    if usage:
        payload["usage"] = {"prompt_tokens": spent, "total_tokens": spent}
    return payload, spent


def ollama_tags(models: Sequence[str]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": model,
                "model": model,
                "modified_at": "2025-01-01T00:00:00Z",
                "size": 1_000_000,
                "digest": hashlib.sha256(model.encode()).hexdigest(),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "fake",
                    "families": ["fake"],
                    "parameter_size": "1B",
                    "quantization_level": "Q4_0",
                },
            }
            for model in models
        ]
    }


def openai_models(models: Sequence[str], owner: str) -> dict[str, Any]:
    data = [{"id": m, "object": "model", "created": 0, "owned_by": owner} for m in models]
    return {"object": "list", "data": data}


def _words(name: str, count: int) -> list[str]:
    words = ["simulated", "reply", "from", name]
    return (words + [f"word{i}" for i in range(len(words) + 1, count + 1)])[: max(count, 0)]


def _tool_call(tool: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Call the first tool with a placeholder for each required parameter."""
    function = tool.get("function") or {}
    schema = function.get("parameters") or {}
    properties = schema.get("properties") or {}
    arguments = {}
    for name in schema.get("required") or []:
        spec = properties.get(name) or {}
        kind = spec.get("type")
        kind = next((k for k in kind if k != "null"), "") if isinstance(kind, list) else kind
        arguments[name] = (
            spec["enum"][0] if spec.get("enum") else _PLACEHOLDERS.get(str(kind), "fake")
        )
    return str(function.get("name", "tool")), arguments


def _tool_name(answer: Answer) -> str:
    return answer.tool_call[0] if answer.tool_call is not None else ""


def _arguments(answer: Answer) -> str:
    return orjson.dumps(answer.tool_call[1]).decode() if answer.tool_call else ""


def _vector(item: str, dims: int) -> list[float]:
    """A unit vector from a hash of the text, rounded to float32 so base64 and floats agree."""
    raw = hashlib.shake_256(item.encode()).digest(4 * dims)
    values = [u / 2**31 - 1.0 for u in struct.unpack(f"<{dims}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return list(struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *(v / norm for v in values))))


def _openai_usage(answer: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
