"""OpenAI's Responses API served by tiergate: POST /v1/responses to chat completions and back.

Every provider is served through chat, so the same translation, privacy scan and money
bound apply whichever tier answers. Requests: `input` (a string, or message,
function_call and function_call_output items) and `instructions` become messages;
function tools, tool_choice, max_output_tokens, temperature, top_p, `text.format` and
`reasoning.effort` become their chat names. Built-in tools (web_search, file_search, ...)
are billed per call by OpenAI and no other tier has them: a 400 naming tools[i]. The
gateway keeps no conversation state, so previous_response_id, conversation, stored
prompts, background mode, item references and reading a response back are 400s;
`store` is accepted and every response says `"store": false`. Reasoning items in the
input are dropped: chat cannot carry them back to a model.

Answers: a `response` object whose id is the request id (resp_ + the same hex as
x-tiergate-request-id), output items for the text and each tool call, usage in input /
output tokens, status incomplete when max_output_tokens cut it. Streams carry the typed
events in OpenAI's order; a stream that breaks ends with `error` and `response.failed`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import orjson

from tiergate.errors import InvalidRequest
from tiergate.ingress import field, sse_events

SSE = b"text/event-stream; charset=utf-8"
NO_STATE = (
    "tiergate keeps no conversation state: it stores no responses to read back or continue. "
    "Send the whole conversation in `input` instead (earlier output items included)."
)
_STATEFUL = {
    "previous_response_id": NO_STATE,
    "conversation": NO_STATE,
    "prompt": "stored prompt templates live in OpenAI's account; send the prompt text in input",
}
_ROLES = ("user", "assistant", "system", "developer")
_TOOL_CHOICES = ("auto", "none", "required")
# Request fields echoed in the response object, as OpenAI does.
_ECHO = ("instructions", "max_output_tokens", "temperature", "top_p", "metadata", "user")


# -- requests ------------------------------------------------------------------------------


def chat_request(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI chat body for a Responses body."""
    for key, why in _STATEFUL.items():
        if body.get(key) is not None:
            raise InvalidRequest(f"{key} is not supported: {why}", param=key)
    if field(body, "background", (bool,), "true or false"):
        raise InvalidRequest(
            "background is not supported: " + NO_STATE + " Use stream=true for long answers.",
            param="background",
        )
    field(body, "store", (bool,), "true or false")
    out: dict[str, Any] = {"model": body.get("model")}
    messages = []
    instructions = field(body, "instructions", (str,), "a string")
    if instructions:
        messages.append({"role": "system", "content": instructions})
    messages += _messages(body.get("input"))
    if not messages:
        raise InvalidRequest(
            "input has nothing to answer: it holds only reasoning items; add a message",
            param="input",
        )
    out["messages"] = messages
    tools = field(body, "tools", (list,), "a list of function tools")
    if tools:
        out["tools"] = [_tool(tool, i) for i, tool in enumerate(tools)]
    choice = _tool_choice(body.get("tool_choice"))
    if choice is not None:
        out["tool_choice"] = choice
    parallel = field(body, "parallel_tool_calls", (bool,), "true or false")
    if parallel is not None and tools:
        out["parallel_tool_calls"] = parallel
    limit = field(body, "max_output_tokens", (int,), "an integer >= 1")
    if limit is not None:
        if limit < 1:
            raise InvalidRequest(
                f"max_output_tokens must be an integer >= 1 (got {limit})",
                param="max_output_tokens",
            )
        out["max_tokens"] = limit
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]  # chat's names and ranges: intake checks them
    response_format = _text_format(body.get("text"))
    if response_format is not None:
        out["response_format"] = response_format
    reasoning = field(body, "reasoning", (dict,), "an object")
    effort = field(reasoning or {}, "effort", (str,), "a string", where="reasoning.")
    if effort:
        out["reasoning_effort"] = effort
    tier = body.get("service_tier")
    if tier is not None:
        out["service_tier"] = tier  # intake refuses tiers billed at another rate
    stream = field(body, "stream", (bool,), "true or false")
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    if "tiergate" in body:
        out["tiergate"] = body["tiergate"]
    return out


def _messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise InvalidRequest(
            'input is required: a string, or a list of items like {"role": "user", "content": "..."}',
            param="input",
        )
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where} must be an object (an input item)", param=where)
        kind = item.get("type", "message")
        if kind == "message":
            out.append(_message(item, where))
        elif kind == "function_call":
            call = _function_call(item, where)
            last = out[-1] if out else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)
            else:
                out.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            call_id = field(item, "call_id", (str,), "a string", where=where + ".")
            if not call_id:
                raise InvalidRequest(f"{where}.call_id is required", param=f"{where}.call_id")
            output = item.get("output")
            text = output if isinstance(output, str) else _text_of(output, f"{where}.output")
            out.append({"role": "tool", "tool_call_id": call_id, "content": text})
        elif kind == "reasoning":
            continue
        elif kind == "item_reference":
            raise InvalidRequest(
                f"{where}: item references are not supported: {NO_STATE}", param=where
            )
        else:
            raise InvalidRequest(
                f"{where}.type {kind!r} is not supported: send message, function_call or "
                "function_call_output items",
                param=f"{where}.type",
            )
    return out


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in _ROLES:
        raise InvalidRequest(
            f"{where}.role must be one of: {', '.join(_ROLES)} (got {role!r:.80})",
            param=f"{where}.role",
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise InvalidRequest(
            f"{where}.content must be a string or a list of content parts",
            param=f"{where}.content",
        )
    if role == "assistant":  # chat's assistant messages carry text only
        return {"role": role, "content": _text_of(content, f"{where}.content")}
    return {
        "role": role,
        "content": [_part(part, f"{where}.content[{j}]") for j, part in enumerate(content)],
    }


def _part(part: Any, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text"):
        text = field(part, "text", (str,), "a string", where=where + ".")
        return {"type": "text", "text": text or ""}
    if kind == "input_image":
        url = field(part, "image_url", (str,), "a URL or data: URL", where=where + ".")
        if not url:
            raise InvalidRequest(
                f"{where}.image_url is required (file_id needs OpenAI's file store)",
                param=f"{where}.image_url",
            )
        image: dict[str, Any] = {"url": url}
        if isinstance(part.get("detail"), str):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        data = field(part, "file_data", (str,), "a data: URL", where=where + ".")
        if not data:
            raise InvalidRequest(
                f"{where}.file_data is required (file_id and file_url need OpenAI's file store)",
                param=f"{where}.file_data",
            )
        file = {"file_data": data}
        if isinstance(part.get("filename"), str):
            file["filename"] = part["filename"]
        return {"type": "file", "file": file}
    if kind == "input_audio":
        audio = field(part, "input_audio", (dict,), "an object", where=where + ".")
        if not audio or not isinstance(audio.get("data"), str):
            raise InvalidRequest(
                f'{where}.input_audio must be {{"data": "<base64>", "format": "wav"}}',
                param=f"{where}.input_audio",
            )
        return {
            "type": "input_audio",
            "input_audio": {"data": audio["data"], "format": audio.get("format")},
        }
    raise InvalidRequest(
        f"{where} must be a content part of type input_text, input_image, input_file or input_audio",
        param=where,
    )


def _text_of(parts: Any, where: str) -> str:
    """The text of a list of text parts (assistant history, function outputs)."""
    if not isinstance(parts, list):
        raise InvalidRequest(f"{where} must be a string or a list of text parts", param=where)
    texts = []
    for j, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        key = "refusal" if kind == "refusal" else "text"
        text = part.get(key) if isinstance(part, dict) else None
        if kind not in ("input_text", "output_text", "refusal") or not isinstance(text, str):
            raise InvalidRequest(
                f'{where}[{j}] must be a text part like {{"type": "output_text", "text": "..."}}',
                param=f"{where}[{j}]",
            )
        texts.append(text)
    return "".join(texts)


def _function_call(item: dict[str, Any], where: str) -> dict[str, Any]:
    call_id = field(item, "call_id", (str,), "a string", where=where + ".")
    name = field(item, "name", (str,), "a string", where=where + ".")
    arguments = field(item, "arguments", (str,), "a JSON string", where=where + ".")
    if not call_id or not name:
        missing = "call_id" if not call_id else "name"
        raise InvalidRequest(f"{where}.{missing} is required", param=f"{where}.{missing}")
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments or "{}"},
    }


def _tool(tool: Any, i: int) -> dict[str, Any]:
    where = f"tools[{i}]"
    kind = tool.get("type") if isinstance(tool, dict) else None
    if kind != "function":
        raise InvalidRequest(
            f"{where}.type {kind!r} is not supported: built-in tools are billed per call by OpenAI, "
            "which tiergate cannot reserve for, and no other tier has them. Send function tools "
            '({"type": "function", "name": ..., "parameters": {...}}) and run the tool yourself.',
            param=f"{where}.type",
        )
    name = field(tool, "name", (str,), "a string", where=where + ".")
    if not name:
        raise InvalidRequest(f"{where}.name is required", param=f"{where}.name")
    function: dict[str, Any] = {"name": name}
    for key, kinds, shape in (
        ("description", (str,), "a string"),
        ("parameters", (dict,), "a JSON schema object"),
        ("strict", (bool,), "true or false"),
    ):
        value = field(tool, key, kinds, shape, where=where + ".")
        if value is not None:
            function[key] = value
    return {"type": "function", "function": function}


def _tool_choice(value: Any) -> Any:
    if value is None or value in _TOOL_CHOICES:
        return value
    if (
        isinstance(value, dict)
        and value.get("type") == "function"
        and isinstance(value.get("name"), str)
    ):
        return {"type": "function", "function": {"name": value["name"]}}
    raise InvalidRequest(
        'tool_choice must be "auto", "none", "required" or {"type": "function", "name": "..."}',
        param="tool_choice",
    )


def _text_format(text: Any) -> dict[str, Any] | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        raise InvalidRequest(
            'text must be an object like {"format": {"type": "text"}}', param="text"
        )
    fmt = text.get("format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        assert isinstance(fmt, dict)
        name = field(fmt, "name", (str,), "a string", where="text.format.")
        schema = field(fmt, "schema", (dict,), "a JSON schema object", where="text.format.")
        if not name or schema is None:
            missing = "name" if not name else "schema"
            raise InvalidRequest(
                f"text.format.{missing} is required", param=f"text.format.{missing}"
            )
        spec: dict[str, Any] = {"name": name, "schema": schema}
        for key in ("description", "strict"):
            if fmt.get(key) is not None:
                spec[key] = fmt[key]
        return {"type": "json_schema", "json_schema": spec}
    raise InvalidRequest(
        'text.format.type must be "text", "json_object" or "json_schema"', param="text.format.type"
    )


# -- answers -------------------------------------------------------------------------------


def response_id(chat_id: Any) -> str:
    """resp_ + the hex of the gateway's request id, so it matches x-tiergate-request-id."""
    if isinstance(chat_id, str) and chat_id.startswith("chatcmpl-"):
        return "resp_" + chat_id.removeprefix("chatcmpl-")
    return "resp_" + uuid.uuid4().hex[:24]


def usage_object(usage: Any) -> dict[str, Any] | None:
    if not isinstance(usage, dict):
        return None
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
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


class Responses:
    """POST /v1/responses, for one request."""

    stream_type = SSE

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = chat_request(body)
        self._request = body
        self._tools = [tool for tool in body.get("tools") or () if isinstance(tool, dict)]

    def _shell(self, rid: str, created: Any, model: Any, status: str) -> dict[str, Any]:
        """The response object around the output, echoing the request as OpenAI does."""
        request = self._request
        text = request.get("text") if isinstance(request.get("text"), dict) else None
        shell: dict[str, Any] = {
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
            "tools": self._tools,
            "text": text or {"format": {"type": "text"}},
            "reasoning": request.get("reasoning"),
            "store": False,
            "previous_response_id": None,
            "truncation": "disabled",
            "usage": None,
        }
        for key in _ECHO:
            shell[key] = request.get(key)
        return shell

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        rid = response_id(response.get("id"))
        suffix = rid.removeprefix("resp_")
        choice = response["choices"][0]
        message = choice.get("message") or {}
        status, incomplete = _status(choice.get("finish_reason"))
        out = self._shell(rid, response.get("created"), response.get("model"), status)
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

    async def relay(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        typed = _Stream(self)
        # Read to the router's end (it settles the attempt there); closing early closes it too.
        async with aclosing(sse_events(events)) as stream:
            async for event in stream:
                if not typed.finished:
                    for out in typed.feed(event):
                        yield _frame(out)
        if not typed.finished:
            for out in typed.feed({"error": {"message": "The answer ended early; retry."}}):
                yield _frame(out)


def _frame(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


class _Stream:
    """Turns chat chunks into the Responses API's typed events, in OpenAI's order."""

    def __init__(self, owner: Responses) -> None:
        self._owner = owner
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
            self._shell = self._owner._shell(
                rid, chunk_.get("created"), chunk_.get("model"), "in_progress"
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
