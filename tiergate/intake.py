"""Validates a caller's OpenAI request body; every problem is a 400 that names the field and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from .errors import InvalidRequest

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
# A message with a string content, one of these roles and only these keys needs no other check.
_PLAIN_ROLES = ("user", "system", "assistant", "developer")  # a tuple: a role may be unhashable
_PLAIN_KEYS = frozenset({"role", "content"})
_NUMBERS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
}


def parse_json(raw: bytes) -> dict[str, Any]:
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid JSON ({exc.msg} at position {exc.pos}); send a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequest(
            f"The request body must be a JSON object, not a {type(body).__name__}."
        )
    return body


def _int(body: dict[str, Any], key: str, *, minimum: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidRequest(f"{key} must be an integer >= {minimum} (got {value!r})", param=key)
    return value


def model_name(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(
            'model is required: a configured model name, or "auto" to let tiergate route',
            param="model",
        )
    return model


def check_chat(body: dict[str, Any]) -> None:
    """Types of the fields tiergate reads or translates; the rest passes through to OpenAI providers."""
    model_name(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest(
            'messages is required: a non-empty list like [{"role": "user", "content": "Hello"}]',
            param="messages",
        )
    for i, message in enumerate(messages):
        if (
            type(message) is dict
            and message.get("role") in _PLAIN_ROLES
            and type(message.get("content")) is str
            and message.keys() <= _PLAIN_KEYS
        ):
            continue  # the usual message, {"role": "user", "content": "..."}: nothing to check
        _check_message(message, f"messages[{i}]")
    # Most requests set one or two of the optional fields, if any: only those are checked,
    # in a fixed order (the first problem named does not depend on the body's key order).
    present = body.keys() & _OPTIONAL
    for key in sorted(present, key=_ORDER.__getitem__) if len(present) > 1 else present:
        value = body[key]
        if value is not None:
            _OPTIONAL[key](key, value)


def _check_stream(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidRequest(f"stream must be true or false (got {value!r})", param=key)


def _number(low: float, high: float) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            raise InvalidRequest(
                f"{key} must be a number from {low:g} to {high:g} (got {value!r})", param=key
            )

    return check


def _integer(minimum: int) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidRequest(
                f"{key} must be an integer >= {minimum} (got {value!r})", param=key
            )

    return check


def _check_stop(key: str, value: Any) -> None:
    if not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(s, str) for s in value))
    ):
        raise InvalidRequest("stop must be a string or a list of strings", param=key)


def _check_tools(key: str, value: Any) -> None:
    if not (isinstance(value, list) and all(isinstance(t, dict) for t in value)):
        raise InvalidRequest("tools must be a list of tool objects", param=key)


def _check_response_format(key: str, value: Any) -> None:
    if not (
        isinstance(value, dict) and value.get("type") in ("text", "json_object", "json_schema")
    ):
        raise InvalidRequest(
            'response_format must be {"type": "text" | "json_object" | "json_schema", ...}',
            param=key,
        )


def _check_stream_options(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidRequest(
            'stream_options must be an object like {"include_usage": true}', param=key
        )


# Fields that change what a call costs in ways a per-token price does not cover. Passing them on
# would let a caller spend past a cap, so they are refused with the fix named.
_STANDARD_TIERS = ("auto", "default")


def _check_service_tier(key: str, value: Any) -> None:
    if value not in _STANDARD_TIERS:
        raise InvalidRequest(
            f"service_tier {value!r} is billed at a different rate than tiergate reserves for; "
            'leave it out or use "auto"',
            param=key,
        )


def _check_modalities(key: str, value: Any) -> None:
    if not isinstance(value, list) or any(m != "text" for m in value):
        raise InvalidRequest(
            'modalities may only be ["text"]: audio output is billed per second, which tiergate '
            "cannot reserve for",
            param=key,
        )


def _refuse_unpriced(key: str, value: Any) -> None:
    raise InvalidRequest(
        f"{key} is billed outside the per-token price tiergate reserves for; remove it", param=key
    )


# Each optional field tiergate reads, translates or refuses, and its check (of a value that is
# not null); the rest passes through to OpenAI providers.
_OPTIONAL: dict[str, Callable[[str, Any], None]] = {
    "stream": _check_stream,
    **{key: _number(low, high) for key, (low, high) in _NUMBERS.items()},
    "max_tokens": _integer(1),
    "max_completion_tokens": _integer(1),
    "n": _integer(1),
    "seed": _integer(-(2**63)),
    "stop": _check_stop,
    "tools": _check_tools,
    "response_format": _check_response_format,
    "stream_options": _check_stream_options,
    "service_tier": _check_service_tier,
    "modalities": _check_modalities,
    "audio": _refuse_unpriced,
    "web_search_options": _refuse_unpriced,
}
_ORDER = {key: i for i, key in enumerate(_OPTIONAL)}


def _check_message(message: Any, where: str) -> None:
    """One entry of `messages`, at `where` (messages[i])."""
    if not isinstance(message, dict):
        raise InvalidRequest(f"{where} must be an object with role and content", param=where)
    role = message.get("role")
    if role not in ROLES:
        raise InvalidRequest(
            f"{where}.role must be one of: {', '.join(ROLES)} (got {role!r})",
            param=f"{where}.role",
        )
    content = message.get("content")
    if content is None and not message.get("tool_calls") and role != "assistant":
        raise InvalidRequest(f"{where}.content is required", param=f"{where}.content")
    if content is not None and not isinstance(content, (str, list)):
        raise InvalidRequest(
            f"{where}.content must be a string or a list of content parts",
            param=f"{where}.content",
        )
    if isinstance(content, list):
        for j, part in enumerate(content):
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise InvalidRequest(
                    f'{where}.content[{j}] must be a part like {{"type": "text", "text": "..."}}',
                    param=f"{where}.content[{j}]",
                )
            file = part.get("file")
            if isinstance(file, dict) and file.get("file_id") and not file.get("file_data"):
                raise InvalidRequest(
                    f"{where}.content[{j}].file.file_id names a file tiergate cannot see, so "
                    "it can neither be scanned nor bounded in cost; send file.file_data instead",
                    param=f"{where}.content[{j}].file.file_id",
                )
            if part["type"] == "text" and not isinstance(part.get("text"), str):
                raise InvalidRequest(
                    f"{where}.content[{j}].text must be a string",
                    param=f"{where}.content[{j}].text",
                )
    name = message.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidRequest(f"{where}.name must be a string", param=f"{where}.name")
    calls = message.get("tool_calls")
    if calls is not None:
        _check_tool_calls(calls, f"{where}.tool_calls")


def _check_tool_calls(calls: Any, where: str) -> None:
    shape = '{"id": "call_1", "type": "function", "function": {"name": "...", "arguments": "{}"}}'
    if not isinstance(calls, list):
        raise InvalidRequest(f"{where} must be a list of tool calls like {shape}", param=where)
    for k, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(
                f"{where}[{k}] must be a tool call like {shape}", param=f"{where}[{k}]"
            )
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, (str, dict)):
            raise InvalidRequest(
                f"{where}[{k}].function.arguments must be a JSON string",
                param=f"{where}[{k}].function.arguments",
            )


def max_tokens(body: dict[str, Any]) -> int | None:
    value = body.get("max_completion_tokens")
    return value if value is not None else body.get("max_tokens")


def check_embeddings(body: dict[str, Any]) -> list[str]:
    """The inputs as strings. Token-id arrays are refused: they cannot be scanned for sensitive data."""
    model_name(body)
    value = body.get("input")
    if isinstance(value, str):
        inputs = [value]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        inputs = value
    else:
        raise InvalidRequest(
            "input must be a non-empty string or list of strings (token-id arrays are not accepted: "
            "tiergate must be able to scan the text)",
            param="input",
        )
    if any(not v for v in inputs):
        raise InvalidRequest("input must not contain empty strings", param="input")
    _int(body, "dimensions", minimum=1)
    encoding = body.get("encoding_format")
    if encoding is not None and encoding not in ("float", "base64"):
        raise InvalidRequest(
            f'encoding_format must be "float" or "base64" (got {encoding!r})',
            param="encoding_format",
        )
    return inputs
