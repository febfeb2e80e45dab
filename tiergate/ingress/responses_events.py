"""The Responses API's answers: a response object for a chat.completion, typed events for a chat stream.

A response's id is the request id (resp_ + the same hex as x-tiergate-request-id); output
items hold the text (and a refusal) and each tool call; usage is in input / output tokens;
status is incomplete when max_output_tokens (or a content filter) cut it. Streams carry
OpenAI's typed events in its order — response.created, response.in_progress, then per
item output_item.added, content_part.added, the deltas, their .done events and
output_item.done, then response.completed (or response.incomplete). A stream that breaks
ends with `error` and `response.failed`.

A provider with responses_api answers in this format itself: its response objects and events
pass as they are (Passed), and a stream of its that breaks off ends the same way.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from tiergate.ingress import tokens

# The events that end a stream.
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
# Request fields echoed in the response object, as OpenAI does.
_ECHO = ("instructions", "max_output_tokens", "temperature", "top_p", "metadata", "user")


def response_id(chat_id: Any) -> str:
    """resp_ + the hex of the gateway's request id, so it matches x-tiergate-request-id."""
    if isinstance(chat_id, str) and chat_id.startswith("chatcmpl-"):
        return "resp_" + chat_id.removeprefix("chatcmpl-")
    return "resp_" + uuid.uuid4().hex[:24]


def usage_object(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, dict):
        return None
    prompt = tokens(usage, "prompt_tokens")
    completion = tokens(usage, "completion_tokens")
    cached = tokens(usage.get("prompt_tokens_details"), "cached_tokens")
    reasoning = tokens(usage.get("completion_tokens_details"), "reasoning_tokens")
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt + completion,
    }


def _status(finish_reason: Any) -> tuple[str, dict[str, Any] | None]:
    if finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _call_item(item_id: str, call: dict[str, Any], status: str) -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.get("id") or item_id,
        "name": function.get("name") or "",
        "arguments": function.get("arguments") or "",
        "status": status,
    }


def shell(
    request: dict[str, Any], rid: str, created: Any, model: Any, status: str
) -> dict[str, Any]:
    """The response object around the output, echoing the request as OpenAI does."""
    text = request.get("text") if isinstance(request.get("text"), dict) else None
    tools = request.get("tools")
    tools = tools if isinstance(tools, list) else []
    out: dict[str, Any] = {
        "id": rid,
        "object": "response",
        "created_at": created if isinstance(created, int) else int(time.time()),
        "status": status,
        "model": model,
        "output": [],
        "error": None,
        "incomplete_details": None,
        "parallel_tool_calls": request.get("parallel_tool_calls") is not False,
        "tool_choice": request.get("tool_choice") or "auto",
        "tools": [tool for tool in tools if isinstance(tool, dict)],
        "text": text or {"format": {"type": "text"}},
        "reasoning": request.get("reasoning"),
        "store": False,
        "previous_response_id": None,
        "truncation": "disabled",
        "usage": None,
    }
    for key in _ECHO:
        out[key] = request.get(key)
    return out


def response_object(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The response object for a chat.completion."""
    rid = response_id(response.get("id"))
    suffix = rid.removeprefix("resp_")
    choice = (response.get("choices") or [{}])[0]  # the router guarantees one; be sure
    message = choice.get("message") or {}
    status, incomplete = _status(choice.get("finish_reason"))
    out = shell(request, rid, response.get("created"), response.get("model"), status)
    content = []
    if message.get("content"):
        content.append(_text_part(message["content"]))
    if message.get("refusal"):
        content.append({"type": "refusal", "refusal": message["refusal"]})
    if content:
        out["output"].append(
            {
                "type": "message",
                "id": f"msg_{suffix}",
                "role": "assistant",
                "status": status,
                "content": content,
            }
        )
    for k, call in enumerate(message.get("tool_calls") or ()):
        out["output"].append(_call_item(f"fc_{suffix}_{k}", call, "completed"))
    out["incomplete_details"] = incomplete
    out["usage"] = usage_object(response.get("usage"))
    return out


def frame(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


class EventStream:
    """Turns chat chunks into the Responses API's typed events, in OpenAI's order."""

    def __init__(self, request: dict[str, Any]) -> None:
        self._request = request
        self._sequence = 0
        self.finished = False
        self._shell: dict[str, Any] | None = None
        self._suffix = ""
        self._items: list[dict[str, Any]] = []  # by output_index
        self._message: int | None = None  # output_index of the message item
        self._calls: dict[int, int] = {}  # chat tool-call index -> output_index
        self._finish: Any = None
        self._usage: Any = None

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def feed(self, chunk: dict[str, Any] | None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if self._shell is None:
            chunk_ = chunk or {}
            rid = response_id(chunk_.get("id"))
            self._suffix = rid.removeprefix("resp_")
            self._shell = shell(
                self._request, rid, chunk_.get("created"), chunk_.get("model"), "in_progress"
            )
            events.append(self._event("response.created", response=dict(self._shell)))
            events.append(self._event("response.in_progress", response=dict(self._shell)))
        if chunk is None:
            return events + self._complete()
        if "error" in chunk:
            return events + self._fail(chunk["error"])
        if chunk.get("usage"):
            self._usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            for key, kind in (("content", "output_text"), ("refusal", "refusal")):
                if delta.get(key):
                    events += self._text(kind, delta[key])
            for piece in delta.get("tool_calls") or ():
                events += self._call(piece)
            self._finish = choice.get("finish_reason") or self._finish
        return events

    def _text(self, kind: str, text: str) -> list[dict[str, Any]]:
        """A text or refusal delta: opens the message item and its part on first use."""
        events = []
        if self._message is None:
            self._message = len(self._items)
            item: dict[str, Any] = {
                "type": "message",
                "id": f"msg_{self._suffix}",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            }
            self._items.append(item)
            events.append(
                self._event(
                    "response.output_item.added",
                    output_index=self._message,
                    item=dict(item, content=[]),
                )
            )
        item = self._items[self._message]
        key = "text" if kind == "output_text" else "refusal"
        where = {"item_id": item["id"], "output_index": self._message}
        index = next((i for i, p in enumerate(item["content"]) if p["type"] == kind), None)
        if index is None:
            index = len(item["content"])
            part = _text_part("") if kind == "output_text" else {"type": kind, key: ""}
            item["content"].append(part)
            events.append(
                self._event(
                    "response.content_part.added", **where, content_index=index, part=dict(part)
                )
            )
        item["content"][index][key] += text
        extra: dict[str, Any] = {"logprobs": []} if kind == "output_text" else {}
        events.append(
            self._event(f"response.{kind}.delta", **where, content_index=index, delta=text, **extra)
        )
        return events

    def _call(self, piece: dict[str, Any]) -> list[dict[str, Any]]:
        events = []
        index = piece.get("index", 0)
        function = piece.get("function") or {}
        if index not in self._calls:
            self._calls[index] = len(self._items)
            item = _call_item(
                f"fc_{self._suffix}_{len(self._calls) - 1}",
                {"id": piece.get("id"), "function": {"name": function.get("name")}},
                "in_progress",
            )
            self._items.append(item)
            events.append(
                self._event(
                    "response.output_item.added", output_index=self._calls[index], item=dict(item)
                )
            )
        output_index = self._calls[index]
        item = self._items[output_index]
        if function.get("name") and not item["name"]:
            item["name"] = function["name"]
        fragment = function.get("arguments") or ""
        if fragment:
            item["arguments"] += fragment
            events.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=output_index,
                    delta=fragment,
                )
            )
        return events

    def _close_items(self, status: str) -> list[dict[str, Any]]:
        events = []
        for index, item in enumerate(self._items):
            item["status"] = status
            if item["type"] == "message":
                where = {"item_id": item["id"], "output_index": index}
                for j, part in enumerate(item["content"]):
                    if part["type"] == "output_text":
                        done = self._event(
                            "response.output_text.done",
                            **where,
                            content_index=j,
                            text=part["text"],
                            logprobs=[],
                        )
                    else:
                        done = self._event(
                            "response.refusal.done",
                            **where,
                            content_index=j,
                            refusal=part["refusal"],
                        )
                    events.append(done)
                    events.append(
                        self._event(
                            "response.content_part.done", **where, content_index=j, part=dict(part)
                        )
                    )
            else:
                events.append(
                    self._event(
                        "response.function_call_arguments.done",
                        item_id=item["id"],
                        output_index=index,
                        name=item["name"],
                        arguments=item["arguments"],
                    )
                )
            events.append(
                self._event(
                    "response.output_item.done",
                    output_index=index,
                    item=orjson.loads(orjson.dumps(item)),
                )
            )
        return events

    def _complete(self) -> list[dict[str, Any]]:
        assert self._shell is not None
        self.finished = True
        status, incomplete = _status(self._finish)
        events = self._close_items(status)
        final = dict(
            self._shell,
            status=status,
            output=self._items,
            incomplete_details=incomplete,
            usage=usage_object(self._usage),
        )
        kind = "response.completed" if status == "completed" else "response.incomplete"
        events.append(self._event(kind, response=final))
        return events

    def _fail(self, error: Any) -> list[dict[str, Any]]:
        assert self._shell is not None
        self.finished = True
        error = error if isinstance(error, dict) else {"message": str(error)}
        message = error.get("message") or "The stream broke off; retry the request."
        code = error.get("code") or "stream_interrupted"
        final = dict(
            self._shell,
            status="failed",
            output=self._items,
            error={"code": "server_error", "message": message},
        )
        return [
            self._event("error", code=code, message=message, param=None),
            self._event("response.failed", response=final),
        ]


class Passed:
    """A stream a responses_api provider sent in the Responses format: its events pass as they
    are. What it keeps is for ending it itself if it breaks off."""

    def __init__(self) -> None:
        self.response: dict[str, Any] = {}  # the latest response object seen
        self.sequence = 0  # the next sequence number
        self.finished = False

    def feed(self, event: dict[str, Any]) -> dict[str, Any]:
        if isinstance(event.get("response"), dict):
            self.response = event["response"]
        number = event.get("sequence_number")
        if isinstance(number, int):
            self.sequence = number + 1
        self.finished = self.finished or event.get("type") in TERMINAL
        return event

    def fail(self, error: Any) -> list[dict[str, Any]]:
        """`error` then `response.failed`, as a translated stream ends when it breaks off."""
        self.finished = True
        sequence = self.sequence
        error = error if isinstance(error, dict) else {"message": str(error)}
        message = error.get("message") or "The stream broke off; retry the request."
        code = error.get("code") or "stream_interrupted"
        final = dict(
            self.response, status="failed", error={"code": "server_error", "message": message}
        )
        return [
        {"type": "error", "sequence_number": sequence, "code": code, "message": message,
         "param": None},
        {"type": "response.failed", "sequence_number": sequence + 1, "response": final},
    ]  # fmt: skip
