"""OpenAI's Responses API served by tiergate: POST /v1/responses to chat completions and back.

Providers are served through chat, so the same translation, privacy scan and money bound
apply whichever tier answers. Requests: `input` (a string, or message,
function_call and function_call_output items) and `instructions` become messages;
function tools, tool_choice, max_output_tokens, temperature, top_p, `text.format` and
`reasoning.effort` become their chat names. Built-in tools (web_search, file_search, ...)
are billed per call by OpenAI and no other tier has them: a 400 naming tools[i]. The
gateway keeps no conversation state, so previous_response_id, conversation, stored
prompts, background mode, item references and reading a response back are 400s;
`store` is accepted and every response says `"store": false`. Reasoning items in the
input are dropped: chat cannot carry them back to a model.

Providers with `responses_api: true` (openai protocol) are sent the Responses body itself
(native_request: the fields tiergate knows, after the same checks and 400s; the model, the
output tokens reserved for and `store: false` are set per provider) and answer in this API;
their answers and events go back as they are. A fallback from such a provider to another
tier is translated as usual, so the caller always gets the Responses format.

Answers and stream events are built in responses_events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from tiergate.errors import InvalidRequest
from tiergate.ingress import field, sse_events
from tiergate.ingress.responses_events import EventStream, Passed, frame, response_object

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
# What a responses_api provider is sent, as the caller sent it: the fields chat_request checks,
# and those that change neither the price nor any state. Others (unknown ones, options whose
# price tiergate cannot bound, like prompt_cache_options or context_management) are left
# out, as the chat translation leaves them out.
_NATIVE = (
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
    "max_output_tokens", "max_tool_calls", "temperature", "top_p", "top_logprobs", "text",
    "reasoning", "include", "truncation", "metadata", "user", "safety_identifier",
    "prompt_cache_key", "service_tier", "stream", "stream_options",
)  # fmt: skip
_TOOL_CHOICES = ("auto", "none", "required")


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
    if body.get("service_tier") not in (None, "auto", "default"):
        raise InvalidRequest(
            f"service_tier {body['service_tier']!r:.40} is billed at a different rate than "
            'tiergate reserves for; leave it out or use "auto"',
            param="service_tier",
        )
    stream = field(body, "stream", (bool,), "true or false")
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    if "tiergate" in body:
        out["tiergate"] = body["tiergate"]
    return out


def native_request(body: dict[str, Any]) -> dict[str, Any]:
    """The Responses body for providers with responses_api (after chat_request accepted it):
    the caller's known fields, hints removed; protocols.openai_responses sets the model, the
    output tokens reserved for and `store: false`."""
    return {key: body[key] for key in _NATIVE if key in body}


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
            f"{where}.type {kind!r:.40} is not supported: send function tools "
            '({"type": "function", "name": ..., "parameters": {...}}) and run the tool yourself. '
            "Built-in tools (web_search, file_search, ...) are billed per call by OpenAI, which "
            "tiergate cannot reserve for, and no other tier has them.",
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


class Responses:
    """POST /v1/responses, for one request."""

    stream_type = SSE

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = chat_request(body)
        self.native = native_request(body)
        self._request = body

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        if response.get("object") == "response":
            return response  # a responses_api provider's own answer
        return response_object(self._request, response)

    async def relay(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        typed = EventStream(self._request)
        passed: Passed | None = None  # a responses_api provider's own events
        # Read to the router's end (it settles the attempt there); closing early closes it too.
        async with aclosing(sse_events(events)) as stream:
            async for event in stream:
                if passed is None and _typed(event):
                    passed = Passed()
                if passed is not None:
                    if passed.finished or event is None:
                        continue  # after its terminal event; the router's [DONE]
                    if _typed(event):
                        yield frame(passed.feed(event))
                    else:  # the router's error: the stream broke off
                        for out in passed.fail(event.get("error")):
                            yield frame(out)
                elif not typed.finished:
                    for out in typed.feed(event):
                        yield frame(out)
        if passed is not None and not passed.finished:
            for out in passed.fail({"message": "The answer ended early; retry."}):
                yield frame(out)
        elif passed is None and not typed.finished:
            for out in typed.feed({"error": {"message": "The answer ended early; retry."}}):
                yield frame(out)


def _typed(event: dict[str, Any] | None) -> bool:
    """A Responses event (from a responses_api provider), not a chat chunk (every decoder
    marks those chat.completion.chunk) nor the router's error object."""
    return (
        event is not None
        and isinstance(event.get("type"), str)
        and event.get("object") != "chat.completion.chunk"
    )
