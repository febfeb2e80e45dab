"""OpenAI's Responses API as the fake speaks it (POST /v1/responses): checks, answers, typed events.

Pure, like _wire: a request is checked the way api.openai.com checks it (an unknown
top-level parameter, a missing input or a max_output_tokens under 16 is a 400), read as the
chat request the shared planner (_wire.plan) answers, and shaped as a response object or as
OpenAI's typed events: response.created, response.in_progress, per output item
output_item.added, content_part.added, the deltas, their .done events and output_item.done,
then response.completed (response.incomplete when max_output_tokens cut it) with the usage.
"""

from __future__ import annotations

from typing import Any

import orjson

from tiergate.testing._checks import Invalid
from tiergate.testing._wire import Answer, text

# The request fields api.openai.com takes; any other is "Unknown parameter".
PARAMETERS = frozenset({
    "access_programs", "background", "background_options", "context_management",
    "conversation", "image", "include", "input", "instructions", "max_output_tokens",
    "max_tool_calls", "metadata", "model", "moderation", "parallel_tool_calls",
    "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_options",
    "prompt_cache_retention", "reasoning", "safety_identifier", "service_tier", "store",
    "stream", "stream_options", "temperature", "text", "tool_choice", "tools", "top_logprobs",
    "top_p", "truncation", "user",
})  # fmt: skip
MIN_OUTPUT_TOKENS = 16


def check(body: Any) -> Invalid | None:
    """None when a Responses request can be answered, else the 400 OpenAI would send."""
    if type(body) is not dict:
        return Invalid("the request body is not a JSON object")
    unknown = sorted(set(body) - PARAMETERS)
    if unknown:
        return Invalid(f"Unknown parameter: '{unknown[0]}'.", unknown[0], "unknown_parameter")
    if type(body.get("model")) is not str or not body["model"]:
        return Invalid("Missing required parameter: 'model'.", "model")
    value = body.get("input")
    if not (type(value) is str or (type(value) is list and value)):
        return Invalid("Missing required parameter: 'input'.", "input")
    if type(value) is list and not all(type(item) is dict for item in value):
        return Invalid("Invalid type for 'input': expected a list of objects.", "input")
    limit = body.get("max_output_tokens")
    if limit is not None and (type(limit) is not int or limit < MIN_OUTPUT_TOKENS):
        return Invalid(
            f"Invalid 'max_output_tokens': integer below minimum value. Expected a value >= "
            f"{MIN_OUTPUT_TOKENS}, but got {limit!r} instead.",
            "max_output_tokens",
            "integer_below_min_value",
        )
    for key, kind in (("stream", bool), ("tools", list), ("store", bool)):
        if body.get(key) is not None and type(body[key]) is not kind:
            return Invalid(f"Invalid type for '{key}'.", key, "invalid_type")
    return None


def as_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The chat request the planner answers: the same texts, tools, cap and format."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    value = body["input"]
    for item in [{"role": "user", "content": value}] if isinstance(value, str) else value:
        kind = item.get("type", "message")
        if kind == "function_call_output":
            output = item.get("output")
            messages.append({"role": "tool", "content": text(output) or str(output or "")})
        elif kind == "function_call":
            messages.append({"role": "assistant", "content": ""})
        elif kind == "message":
            messages.append({"role": item.get("role"), "content": text(item.get("content"))})
    tools = [
        {"type": "function", "function": tool}
        for tool in body.get("tools") or ()
        if isinstance(tool, dict) and tool.get("type") == "function"
    ]
    fmt = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    chat: dict[str, Any] = {"model": body["model"], "messages": messages, "tools": tools}
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        chat["response_format"] = {"type": fmt["type"]}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("tool_choice") == "none":
        chat["tool_choice"] = "none"
    return chat


class Shapes:
    """One answer's response object and events, under the ids the fake gave it."""

    def __init__(self, answer: Answer, body: dict[str, Any], *, number: int, created: int) -> None:
        self.answer = answer
        self.body = body
        self.id = f"resp_fake{number:08d}"
        self.created = created
        self.status = "incomplete" if answer.finish == "length" else "completed"
        self._message = f"msg_fake{number:08d}"
        self._call = (f"fc_fake{number:08d}", f"call_fake{number:08d}")
        self._sequence = 0

    def response(self, status: str | None = None, *, final: bool = True) -> dict[str, Any]:
        body = self.body
        status = status or self.status
        text_config = body.get("text") if isinstance(body.get("text"), dict) else None
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"}
            if final and status == "incomplete"
            else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": self.answer.model,
            "output": self._items("completed" if status == "completed" else status)
            if final
            else [],
            "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": body.get("store") is not False,
            "temperature": body.get("temperature", 1.0),
            "text": text_config or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice") or "auto",
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": self._usage() if final else None,
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    def _items(self, status: str) -> list[dict[str, Any]]:
        answer = self.answer
        if answer.tool_call is not None:
            return [self._function(status, orjson.dumps(answer.tool_call[1]).decode())]
        return [self._text_message(status, answer.content)]

    def _text_message(self, status: str, content: str | None) -> dict[str, Any]:
        parts = [] if content is None else [_part(content)]
        return {
            "type": "message",
            "id": self._message,
            "status": status,
            "role": "assistant",
            "content": parts,
        }

    def _function(self, status: str, arguments: str) -> dict[str, Any]:
        assert self.answer.tool_call is not None
        item_id, call_id = self._call
        return {
            "type": "function_call",
            "id": item_id,
            "call_id": call_id,
            "name": self.answer.tool_call[0],
            "arguments": arguments,
            "status": status,
        }

    def _usage(self) -> dict[str, Any] | None:
        answer = self.answer
        if not answer.usage:
            return None
        return {
            "input_tokens": answer.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": answer.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        }

    def _event(self, kind: str, **fields: Any) -> bytes:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"

    def events(self) -> tuple[list[bytes], list[bytes]]:
        """The stream's frames, and the tail only a complete answer gets (its terminal event)."""
        answer = self.answer
        frames = [
            self._event("response.created", response=self.response("in_progress", final=False)),
            self._event("response.in_progress", response=self.response("in_progress", final=False)),
        ]
        status = self.status
        if answer.tool_call is not None:
            item_id = self._call[0]
            arguments = orjson.dumps(answer.tool_call[1]).decode()
            where = {"item_id": item_id, "output_index": 0}
            frames.append(
                self._event(
                    "response.output_item.added",
                    output_index=0,
                    item=self._function("in_progress", ""),
                )
            )
            frames.append(
                self._event("response.function_call_arguments.delta", **where, delta=arguments)
            )
            frames.append(
                self._event("response.function_call_arguments.done", **where, arguments=arguments)
            )
            frames.append(
                self._event(
                    "response.output_item.done",
                    output_index=0,
                    item=self._function(status, arguments),
                )
            )
        else:
            where = {"item_id": self._message, "output_index": 0, "content_index": 0}
            frames.append(
                self._event(
                    "response.output_item.added",
                    output_index=0,
                    item=self._text_message("in_progress", None),
                )
            )
            frames.append(self._event("response.content_part.added", **where, part=_part("")))
            frames += [
                self._event("response.output_text.delta", **where, delta=piece, logprobs=[])
                for piece in answer.pieces
            ]
            frames.append(
                self._event("response.output_text.done", **where, text=answer.content, logprobs=[])
            )
            frames.append(
                self._event("response.content_part.done", **where, part=_part(answer.content))
            )
            frames.append(
                self._event(
                    "response.output_item.done",
                    output_index=0,
                    item=self._text_message(status, answer.content),
                )
            )
        kind = "response.completed" if status == "completed" else "response.incomplete"
        return frames, [self._event(kind, response=self.response())]


def _part(content: str) -> dict[str, Any]:
    return {"type": "output_text", "text": content, "annotations": [], "logprobs": []}
