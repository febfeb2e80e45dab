"""Request checks: the 400 a real upstream sends for a missing or wrongly-typed field.

Only fields the fake reads are checked, and null always counts as absent, so a
request that passes is one the fake can answer without guessing. Types are
compared with ``type(value) in allowed``: orjson yields exactly dict, list, str,
int, float, bool and None, and a JSON boolean is no integer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tiergate.testing._wire import Protocol

MAX_DIMENSIONS = 8192

_NULL = type(None)
_INTEGER = (int, _NULL)
_BOOLEAN = (bool, _NULL)
_STRING = (str, _NULL)
_ARRAY = (list, _NULL)
_OBJECT = (dict, _NULL)
_STRING_OR_OBJECT = (str, dict, _NULL)
_KINDS = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    _NULL: "null",
}
_CHAT_FIELDS: dict[Protocol, tuple[tuple[str, tuple[type, ...]], ...]] = {
    "ollama": (
        ("stream", _BOOLEAN),
        ("options", _OBJECT),
        ("format", _STRING_OR_OBJECT),
        ("tools", _ARRAY),
    ),
    "openai": (
        ("stream", _BOOLEAN),
        ("max_tokens", _INTEGER),
        ("max_completion_tokens", _INTEGER),
        ("stream_options", _OBJECT),
        ("response_format", _OBJECT),
        ("tool_choice", _STRING_OR_OBJECT),
        ("tools", _ARRAY),
    ),
}
# Ollama takes text only; OpenAI also takes an array of content parts.
_CONTENT: dict[Protocol, tuple[type, ...]] = {"ollama": _STRING, "openai": (str, list, _NULL)}


@dataclass(frozen=True, slots=True)
class Invalid:
    """Why a request gets a 400, in the words and ``param`` the upstream would use."""

    message: str
    param: str | None = None
    code: str | None = None


def check_chat(protocol: Protocol, body: Any) -> Invalid | None:
    """None when a chat request can be answered, else why not."""
    if type(body) is not dict:
        return Invalid("the request body is not a JSON object")
    if invalid := _check_model(protocol, body.get("model")):
        return invalid
    messages = body.get("messages")
    if type(messages) is not list:
        return Invalid("Missing required parameter: 'messages'.", "messages")
    for field, allowed in _CHAT_FIELDS[protocol]:
        if type(value := body.get(field)) not in allowed:
            return _wrong_type(field, value, allowed)
    if protocol == "ollama" and body.get("options"):
        num_predict = body["options"].get("num_predict")
        if type(num_predict) not in _INTEGER:
            return _wrong_type("options.num_predict", num_predict, _INTEGER)
    content_types = _CONTENT[protocol]
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if type(message) is not dict:
            return _wrong_type(where, message, (dict,))
        if type(role := message.get("role")) not in _STRING:
            return _wrong_type(f"{where}.role", role, _STRING)
        if type(content := message.get("content")) not in content_types:
            return _wrong_type(f"{where}.content", content, content_types)
        if type(content) is list:
            for number, part in enumerate(content):
                if type(part) is not dict:
                    return _wrong_type(f"{where}.content[{number}]", part, (dict,))
    for index, tool in enumerate(body.get("tools") or ()):
        if invalid := _check_tool(f"tools[{index}]", tool):
            return invalid
    return None


def check_embed(protocol: Protocol, body: Any) -> Invalid | None:
    """None when an embeddings request's model and options are usable, else why not.

    The input is checked where it is read, since reading it is the check.
    """
    if type(body) is not dict:
        return _check_model(protocol, None)
    if invalid := _check_model(protocol, body.get("model")):
        return invalid
    dimensions = body.get("dimensions")
    if type(dimensions) not in _INTEGER:
        return _wrong_type("dimensions", dimensions, _INTEGER)
    if dimensions is not None and not 1 <= dimensions <= MAX_DIMENSIONS:
        return Invalid(
            f"Invalid 'dimensions': expected a value from 1 to {MAX_DIMENSIONS}, "
            f"but got {dimensions} instead.",
            "dimensions",
            "invalid_value",
        )
    if protocol == "openai":
        encoding_format = body.get("encoding_format")
        if type(encoding_format) not in _STRING:
            return _wrong_type("encoding_format", encoding_format, _STRING)
        if encoding_format not in (None, "float", "base64"):
            return Invalid(
                f"Invalid value for 'encoding_format': expected 'float' or 'base64', "
                f"but got {encoding_format!r} instead.",
                "encoding_format",
                "invalid_value",
            )
    return None


def _check_model(protocol: Protocol, model: Any) -> Invalid | None:
    if model is None or model == "":
        message = (
            "model is required" if protocol == "ollama" else "you must provide a model parameter"
        )
        return Invalid(message, "model")
    if type(model) is not str:
        return _wrong_type("model", model, (str,))
    return None


def _check_tool(where: str, tool: Any) -> Invalid | None:
    """A tool must be an object, and the parts of its schema the fake reads well-typed."""
    if type(tool) is not dict:
        return _wrong_type(where, tool, (dict,))
    function = tool.get("function")
    if type(function) not in _OBJECT:
        return _wrong_type(f"{where}.function", function, _OBJECT)
    if not function:
        return None
    where = f"{where}.function"
    if type(name := function.get("name")) not in _STRING:
        return _wrong_type(f"{where}.name", name, _STRING)
    schema = function.get("parameters")
    if type(schema) not in _OBJECT:
        return _wrong_type(f"{where}.parameters", schema, _OBJECT)
    if not schema:
        return None
    where = f"{where}.parameters"
    properties = schema.get("properties")
    if type(properties) not in _OBJECT:
        return _wrong_type(f"{where}.properties", properties, _OBJECT)
    for key, spec in (properties or {}).items():
        if type(spec) is not dict:
            return _wrong_type(f"{where}.properties.{key}", spec, (dict,))
        if type(enum := spec.get("enum")) not in _ARRAY:
            return _wrong_type(f"{where}.properties.{key}.enum", enum, _ARRAY)
    required = schema.get("required")
    if type(required) not in _ARRAY:
        return _wrong_type(f"{where}.required", required, _ARRAY)
    for index, key in enumerate(required or ()):
        if type(key) is not str:
            return _wrong_type(f"{where}.required[{index}]", key, (str,))
    return None


def _wrong_type(param: str, value: Any, allowed: tuple[type, ...]) -> Invalid:
    expected = " or ".join(_KINDS[kind] for kind in allowed if kind is not _NULL)
    return Invalid(
        f"Invalid type for '{param}': expected {expected}, "
        f"but got {_KINDS.get(type(value), 'a value')} instead.",
        param,
        "invalid_type",
    )
