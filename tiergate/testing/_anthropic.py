"""The fake's Anthropic Messages API: request checks, answer planning and payloads.

Pure, like ``_wire``: the checks are the 400s (and the 401) Anthropic sends, in its words,
so a translator that builds an invalid Messages request fails here as it would against
api.anthropic.com: a missing ``max_tokens``, a ``system`` role among the messages, an
empty text block, or a ``tool_result`` that answers no ``tool_use`` of the turn before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from tiergate.testing import _wire as wire
from tiergate.testing._checks import Invalid

if TYPE_CHECKING:
    from tiergate.testing._behaviour import Fault

VERSION_HEADER = "anthropic-version"
KEY_HEADER = "x-api-key"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
_BLOCKS = ("text", "image", "document", "tool_use", "tool_result")
_TOOL_CHOICES = ("auto", "any", "tool", "none")


def error_body(status: int, message: str) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def check_headers(headers: dict[str, str]) -> tuple[int, str] | None:
    """The 401 or 400 for a request without Anthropic's key or version header."""
    if not headers.get(KEY_HEADER):
        return 401, "x-api-key header is required"
    if not headers.get(VERSION_HEADER):
        return 400, "anthropic-version: header is required"
    return None


def check_messages(body: Any) -> Invalid | None:
    """None when a Messages request is one Anthropic would accept, else why not."""
    if type(body) is not dict:
        return Invalid("the request body is not a JSON object")
    for field in ("model", "max_tokens", "messages"):
        if body.get(field) is None:
            return Invalid(f"{field}: Field required", field)
    if type(body["model"]) is not str:
        return Invalid("model: Input should be a valid string", "model")
    if type(body["max_tokens"]) is not int or body["max_tokens"] < 1:
        return Invalid("max_tokens: Input should be a valid integer of at least 1", "max_tokens")
    if type(body["messages"]) is not list or not body["messages"]:
        return Invalid("messages: at least one message is required", "messages")
    if invalid := _check_system(body.get("system")):
        return invalid
    for key, kind in (("stream", bool), ("stop_sequences", list), ("tools", list)):
        if body.get(key) is not None and type(body[key]) is not kind:
            return Invalid(f"{key}: Input should be a valid {kind.__name__}", key)
    temperature = body.get("temperature")
    if temperature is not None and not (
        type(temperature) in (int, float) and 0 <= temperature <= 1
    ):
        return Invalid("temperature: range: 0..1", "temperature")
    if invalid := _check_tools(body.get("tools") or [], body.get("tool_choice")):
        return invalid
    previous_calls: set[str] = set()
    for index, message in enumerate(body["messages"]):
        invalid, previous_calls = _check_message(index, message, previous_calls)
        if invalid:
            return invalid
    return None


def _check_system(system: Any) -> Invalid | None:
    if system is None or type(system) is str:
        return None
    if type(system) is not list:
        return Invalid("system: Input should be a valid string or list", "system")
    for index, block in enumerate(system):
        if type(block) is not dict or block.get("type") != "text" or not block.get("text"):
            return Invalid(f"system.{index}: text content blocks must be non-empty", "system")
    return None


def _check_tools(tools: list[Any], choice: Any) -> Invalid | None:
    names = []
    for index, tool in enumerate(tools):
        where = f"tools.{index}"
        if type(tool) is not dict or type(tool.get("name")) is not str or not tool["name"]:
            return Invalid(f"{where}.name: Field required", "tools")
        schema = tool.get("input_schema")
        if type(schema) is not dict or schema.get("type") != "object":
            return Invalid(f"{where}.input_schema.type: Input should be 'object'", "tools")
        names.append(tool["name"])
    if choice is None:
        return None
    if type(choice) is not dict or choice.get("type") not in _TOOL_CHOICES:
        return Invalid("tool_choice: Input tag does not match any of auto, any, tool, none")
    if not tools:
        return Invalid("tool_choice may only be specified while providing tools.", "tool_choice")
    if choice["type"] == "tool" and choice.get("name") not in names:
        return Invalid(f"tool_choice.name: no tool named {choice.get('name')!r}", "tool_choice")
    return None


def _check_message(
    index: int, message: Any, previous_calls: set[str]
) -> tuple[Invalid | None, set[str]]:
    where = f"messages.{index}"
    if type(message) is not dict:
        return Invalid(f"{where}: Input should be a valid dictionary"), set()
    role = message.get("role")
    if role not in ("user", "assistant"):
        return Invalid(
            f"{where}: Unexpected role {role!r}. The Messages API accepts a top-level `system` "
            'parameter, not "system" as an input message role.'
        ), set()
    content = message.get("content")
    if type(content) is str:
        blocks: list[Any] = [{"type": "text", "text": content}]
    elif type(content) is list and content:
        blocks = content
    else:
        return Invalid(f"{where}: all messages must have non-empty content"), set()
    calls: set[str] = set()
    answered: set[str] = set()
    for number, block in enumerate(blocks):
        at = f"{where}.content.{number}"
        kind = block.get("type") if type(block) is dict else None
        if kind not in _BLOCKS:
            return Invalid(f"{at}: Input tag {kind!r} does not match any of {_BLOCKS}"), set()
        if kind == "text" and (type(block.get("text")) is not str or not block["text"]):
            return Invalid(f"{where}: text content blocks must be non-empty"), set()
        if kind == "tool_use":
            if role != "assistant" or type(block.get("input")) is not dict:
                return Invalid(f"{at}: tool_use needs an assistant turn and an input object"), set()
            if type(block.get("id")) is not str or type(block.get("name")) is not str:
                return Invalid(f"{at}: tool_use needs an id and a name"), set()
            calls.add(block["id"])
        if kind == "tool_result":
            call_id = block.get("tool_use_id")
            if role != "user" or call_id not in previous_calls:
                return Invalid(
                    f"{at}: unexpected `tool_use_id` found in `tool_result` blocks: {call_id}. "
                    "Each `tool_result` block must have a corresponding `tool_use` block in "
                    "the previous message."
                ), set()
            answered.add(call_id)
    if previous_calls and role == "user" and previous_calls - answered:
        missing = ", ".join(sorted(previous_calls - answered))
        return Invalid(
            f"{where}: `tool_use` ids were found without `tool_result` blocks immediately "
            f"after: {missing}. Each `tool_use` block must have a corresponding `tool_result` "
            "block in the next message."
        ), set()
    return None, calls


def plan(body: dict[str, Any], fault: Fault, *, name: str, words: int) -> wire.Answer:
    """The answer to a checked Messages request: a tool call, or ``words`` words of text.

    Accounting follows the fake's rule with the system prompt counted as one more message.
    """
    messages = body["messages"]
    system = body.get("system")
    texts = [wire.text(m.get("content")) for m in messages]
    if system is not None:
        texts.append(wire.text(system))
    prompt_tokens = 3 + sum(wire.tokens(t) + 3 for t in texts)
    usage = fault.kind != "no-usage"
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    last = messages[-1].get("content")
    answered = isinstance(last, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in last
    )
    forced = choice.get("type") in ("any", "tool")
    if tools and choice.get("type") != "none" and (forced or not answered):
        tool = next((t for t in tools if t["name"] == choice.get("name")), tools[0])
        schema = {"name": tool["name"], "parameters": tool["input_schema"]}
        tool_name, arguments = wire._tool_call({"function": schema})
        spent = wire.tokens(tool_name) + wire.tokens(orjson.dumps(arguments).decode())
        return wire.Answer(
            body["model"], (), (tool_name, arguments), "tool_use", prompt_tokens, spent, usage
        )
    count = int(fault.number or 0) if fault.kind == "words" else words
    reply = wire._words(name, count)
    finish = "end_turn"
    if len(reply) > body["max_tokens"]:
        reply, finish = reply[: body["max_tokens"]], "max_tokens"
    pieces = tuple(word if i == 0 else f" {word}" for i, word in enumerate(reply))
    return wire.Answer(body["model"], pieces, None, finish, prompt_tokens, len(reply), usage)


def message(answer: wire.Answer, message_id: str, tool_id: str) -> dict[str, Any]:
    """A whole /v1/messages answer."""
    payload = _head(answer, message_id)
    payload["content"] = _blocks(answer, tool_id)
    payload["stop_reason"] = answer.finish
    if answer.usage:
        payload["usage"] = {**_usage(answer), "output_tokens": answer.completion_tokens}
    else:
        payload.pop("usage")
    return payload


def events(answer: wire.Answer, message_id: str, tool_id: str) -> tuple[list[bytes], list[bytes]]:
    """Server-sent events: the frames, then the tail only a complete answer gets.

    The first frame holds message_start, the block's start and a ping, as one write, so a
    ``cut-stream`` fault breaks off after content has reached the client.
    """
    started = _head(answer, message_id)
    if not answer.usage:
        started.pop("usage")
    head = [_event({"type": "message_start", "message": started})]
    frames: list[bytes] = []
    if answer.tool_call is not None:
        tool_name, arguments = answer.tool_call
        block = {"type": "tool_use", "id": tool_id, "name": tool_name, "input": {}}
        head.append(_event({"type": "content_block_start", "index": 0, "content_block": block}))
        encoded = orjson.dumps(arguments).decode()
        middle = len(encoded) // 2
        for partial in ("", encoded[:middle], encoded[middle:]):
            delta = {"type": "input_json_delta", "partial_json": partial}
            frames.append(_event({"type": "content_block_delta", "index": 0, "delta": delta}))
    elif answer.pieces:
        block = {"type": "text", "text": ""}
        head.append(_event({"type": "content_block_start", "index": 0, "content_block": block}))
        for piece in answer.pieces:
            delta = {"type": "text_delta", "text": piece}
            frames.append(_event({"type": "content_block_delta", "index": 0, "delta": delta}))
    if answer.tool_call is not None or answer.pieces:
        frames.append(_event({"type": "content_block_stop", "index": 0}))
    head.append(_event({"type": "ping"}))
    final: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": answer.finish, "stop_sequence": None},
    }
    if answer.usage:
        final["usage"] = {"output_tokens": answer.completion_tokens}
    tail = [_event(final), _event({"type": "message_stop"})]
    return [b"".join(head), *frames], tail


def _head(answer: wire.Answer, message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": answer.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {**_usage(answer), "output_tokens": 1},
    }


def _usage(answer: wire.Answer) -> dict[str, Any]:
    return {
        "input_tokens": answer.prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }


def _blocks(answer: wire.Answer, tool_id: str) -> list[dict[str, Any]]:
    if answer.tool_call is not None:
        tool_name, arguments = answer.tool_call
        return [{"type": "tool_use", "id": tool_id, "name": tool_name, "input": arguments}]
    return [{"type": "text", "text": answer.content}] if answer.pieces else []


def _event(data: dict[str, Any]) -> bytes:
    kind: str = data["type"]
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"
