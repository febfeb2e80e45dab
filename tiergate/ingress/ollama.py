"""Ollama's API served by tiergate: /api/chat, /api/generate, /api/embed(dings) to OpenAI and back.

Requests: `options` move to OpenAI's names (num_predict -> max_tokens; -1 and -2, Ollama's
"no limit", leave it to the provider's configured cap), `format` ("json" or a JSON schema)
becomes response_format, base64 `images` become image parts, tool calls get ids and tool
results are paired with their call by `tool_name` (Ollama pairs by name, OpenAI by id).
`think` levels become reasoning_effort; `keep_alive`, `truncate` and sampling options
OpenAI has no name for (top_k, num_ctx, repeat_penalty, ...) are ignored, as Ollama itself
ignores options a model does not use. What a chat API cannot express (`suffix`, `raw`,
`template`, `context`) is a 400 naming the field. Ollama streams unless `stream` is false.

Answers: done_reason, prompt_eval_count / eval_count from the usage, durations in
nanoseconds as tiergate saw them (it cannot see a provider's split between reading the
prompt and generating: an unstreamed answer's eval_duration is its whole time), tool
calls whole with object arguments, the served model's name, and a broken stream's last
line is {"error": "..."} as Ollama's own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from tiergate.errors import InvalidRequest
from tiergate.ingress import field, number, sse_events, tokens

NDJSON = b"application/x-ndjson"
_THINK_LEVELS = ("low", "medium", "high")
_UNSUPPORTED_GENERATE = {
    "suffix": "fill-in-the-middle has no chat equivalent",
    "template": "a prompt template is the provider's own",
    "raw": "raw prompts bypass the chat template every provider applies",
    "context": "context token ids cannot be scanned for sensitive data; resend the text",
}
_IMAGE_TYPES = {
    "iVBOR": "image/png",
    "/9j/": "image/jpeg",
    "R0lG": "image/gif",
    "UklG": "image/webp",
}
_Clock = Callable[[], int]


# -- requests ------------------------------------------------------------------------------


def chat_request(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI chat body for an /api/chat body."""
    messages = field(body, "messages", (list,), "a list of messages")
    out = _common(body)
    out["messages"] = _messages(messages) if messages is not None else None
    tools = field(body, "tools", (list,), "a list of tools")
    if tools:
        out["tools"] = _tools(tools)
    return out


def generate_request(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI chat body for an /api/generate body: the system text and the prompt."""
    for key, why in _UNSUPPORTED_GENERATE.items():
        if body.get(key) not in (None, False, "", []):
            raise InvalidRequest(
                f"{key} is not supported: {why}. tiergate serves /api/generate through chat.",
                param=key,
            )
    prompt = field(body, "prompt", (str,), "a string") or ""
    if not prompt and not body.get("images"):
        raise InvalidRequest("prompt is required: the text to answer", param="prompt")
    system = field(body, "system", (str,), "a string")
    user: dict[str, Any] = {"role": "user", "content": _content(prompt, body.get("images"), "")}
    out = _common(body)
    out["messages"] = [{"role": "system", "content": system}, user] if system else [user]
    return out


def embed_request(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI embeddings body for an /api/embed body."""
    value = body.get("input")
    if not (
        isinstance(value, str)
        or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    ):
        raise InvalidRequest("input must be a string or a list of strings", param="input")
    out: dict[str, Any] = {"model": body.get("model"), "input": value, "encoding_format": "float"}
    dimensions = field(body, "dimensions", (int,), "an integer")
    if dimensions is not None:
        out["dimensions"] = dimensions
    return _with_hints(body, out)


def embeddings_request(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI embeddings body for the older /api/embeddings body ({model, prompt})."""
    prompt = field(body, "prompt", (str,), "a string")
    if not prompt:
        raise InvalidRequest("prompt is required: the text to embed", param="prompt")
    out = {"model": body.get("model"), "input": prompt, "encoding_format": "float"}
    return _with_hints(body, out)


def _common(body: dict[str, Any]) -> dict[str, Any]:
    """Model, sampling, format, streaming and hints: what /api/chat and /api/generate share."""
    out: dict[str, Any] = {"model": body.get("model")}
    options = field(body, "options", (dict,), "an object") or {}
    where = "options."
    for key, low, high in (
        ("temperature", 0.0, 2.0),
        ("top_p", 0.0, 1.0),
        ("frequency_penalty", -2.0, 2.0),
        ("presence_penalty", -2.0, 2.0),
    ):
        value = number(options, key, low, high, where=where)
        if value is not None:
            out[key] = value
    seed = field(options, "seed", (int,), "an integer", where=where)
    if seed is not None:
        out["seed"] = seed
    limit = field(options, "num_predict", (int,), "an integer", where=where)
    if limit is not None and limit >= 0:
        if limit == 0:
            raise InvalidRequest(
                "options.num_predict must be at least 1, or -1 for no limit",
                param="options.num_predict",
            )
        out["max_tokens"] = limit
    stop = options.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if stop is not None:
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise InvalidRequest("options.stop must be a list of strings", param="options.stop")
        if stop:
            out["stop"] = stop
    response_format = _format(body.get("format"))
    if response_format is not None:
        out["response_format"] = response_format
    think = body.get("think")
    if think is not None and not isinstance(think, bool) and think not in _THINK_LEVELS:
        raise InvalidRequest(
            f"think must be true, false or one of: {', '.join(_THINK_LEVELS)} (got {think!r:.80})",
            param="think",
        )
    if isinstance(think, str):
        out["reasoning_effort"] = think
    stream = field(body, "stream", (bool,), "true or false")
    out["stream"] = stream is not False  # Ollama streams unless told otherwise
    if out["stream"]:
        out["stream_options"] = {"include_usage": True}  # eval_count comes from the usage
    return _with_hints(body, out)


def _with_hints(body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if "tiergate" in body:
        out["tiergate"] = body["tiergate"]
    return out


def _format(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    if value == "json":
        return {"type": "json_object"}
    if isinstance(value, dict):
        return {"type": "json_schema", "json_schema": {"name": "response", "schema": value}}
    raise InvalidRequest('format must be "json" or a JSON schema object', param="format")


def _messages(messages: list[Any]) -> list[dict[str, Any]]:
    """One OpenAI message per Ollama message, so a 400 about messages[i] names the caller's i."""
    out = []
    open_calls: list[tuple[str, str]] = []  # (name, id) of tool calls not yet answered
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where} must be an object with role and content", param=where)
        role = message.get("role")
        content = field(message, "content", (str,), "a string", where=where + ".")
        encoded: dict[str, Any] = {
            "role": role,
            "content": _content(content or "", message.get("images"), where + "."),
        }
        calls = field(message, "tool_calls", (list,), "a list of tool calls", where=where + ".")
        if calls:
            encoded["tool_calls"] = [
                _tool_call(call, f"{where}.tool_calls[{k}]", f"call_{i}_{k}")
                for k, call in enumerate(calls)
            ]
            if not content:
                encoded["content"] = None
            open_calls = [(c["function"]["name"], c["id"]) for c in encoded["tool_calls"]]
        if role == "tool":
            name = field(message, "tool_name", (str,), "a string", where=where + ".")
            match = next((c for c in open_calls if c[0] == name), None)
            if match is None and open_calls and name is None:
                match = open_calls[0]
            if match is not None:
                open_calls.remove(match)
            encoded["tool_call_id"] = match[1] if match else f"call_{i}"
        out.append(encoded)
    return out


def _content(text: str, images: Any, where: str) -> str | list[dict[str, Any]]:
    if images is None or images == []:
        return text
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise InvalidRequest(
            f"{where}images must be a list of base64-encoded images", param=f"{where}images"
        )
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    for image in images:
        mime = next((m for head, m in _IMAGE_TYPES.items() if image.startswith(head)), "image/png")
        parts.append({"type": "image_url", "image_url": {"url": f"data:{mime};base64,{image}"}})
    return parts


def _tool_call(call: Any, where: str, default_id: str) -> dict[str, Any]:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(
            f'{where} must be like {{"function": {{"name": "...", "arguments": {{}}}}}}',
            param=where,
        )
    arguments = function.get("arguments")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, (dict, str)):
        raise InvalidRequest(
            f"{where}.function.arguments must be an object", param=f"{where}.function.arguments"
        )
    call_id = call.get("id")
    return {
        "id": call_id if isinstance(call_id, str) and call_id else default_id,
        "type": "function",
        "function": {
            "name": function["name"],
            "arguments": arguments
            if isinstance(arguments, str)
            else orjson.dumps(arguments).decode(),
        },
    }


def _tools(tools: list[Any]) -> list[dict[str, Any]]:
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(
                f'tools[{i}] must be like {{"type": "function", "function": {{"name": "...", '
                '"parameters": {...}}}',
                param=f"tools[{i}]",
            )
    return [{"type": "function", "function": tool["function"]} for tool in tools]


# -- answers -------------------------------------------------------------------------------


def created_at(created: Any) -> str:
    """RFC 3339 in UTC, as Ollama writes it, for an OpenAI `created` (Unix seconds)."""
    return _rfc3339(created if isinstance(created, int) else 0)


@lru_cache(maxsize=256)  # a stream repeats one `created` in every line
def _rfc3339(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def done_reason(finish_reason: Any) -> str:
    # Ollama reports "stop" after tool calls too.
    return "length" if finish_reason == "length" else "stop"


def counts(usage: Any) -> dict[str, int]:
    if not isinstance(usage, dict):
        return {}
    return {
        "prompt_eval_count": tokens(usage, "prompt_tokens"),
        "eval_count": tokens(usage, "completion_tokens"),
    }


def ollama_tool_calls(calls: Any) -> list[dict[str, Any]]:
    """OpenAI tool calls as Ollama's: whole, with the arguments as an object."""
    out = []
    for call in calls or ():
        function = call.get("function") or {}
        arguments: Any = function.get("arguments") or "{}"
        if isinstance(arguments, str):
            try:
                arguments = orjson.loads(arguments)
            except orjson.JSONDecodeError:
                arguments = {"arguments": arguments}  # the model wrote no JSON; keep its text
        if not isinstance(arguments, dict):
            arguments = {"arguments": arguments}
        whole: dict[str, Any] = {"function": {"name": function.get("name"), "arguments": arguments}}
        if call.get("id"):
            whole["id"] = call["id"]  # newer Ollama versions carry it; a result may quote it
        out.append(whole)
    return out


class _Exchange:
    """What /api/chat and /api/generate share: timing, the final line, the NDJSON relay."""

    body: dict[str, Any]
    stream_type = NDJSON
    native = None  # every provider is served through chat

    def __init__(self, *, clock: _Clock) -> None:
        self._clock = clock
        self._started = clock()

    def _piece(self, text: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        choice = (response.get("choices") or [{}])[0]  # the router guarantees one; be sure
        message = choice.get("message") or {}
        text = message.get("content") or message.get("refusal") or ""
        elapsed = self._clock() - self._started
        return {
            "model": response.get("model"),
            "created_at": created_at(response.get("created")),
            **self._piece(text, ollama_tool_calls(message.get("tool_calls"))),
            "done": True,
            "done_reason": done_reason(choice.get("finish_reason")),
            "total_duration": elapsed,
            "load_duration": 0,
            **counts(response.get("usage")),
            "eval_duration": elapsed,
        }

    async def relay(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        model: Any = None
        created: Any = None
        first_token = 0
        finish: Any = None
        usage: Any = None
        done = False
        calls: dict[int, dict[str, Any]] = {}
        # Read to the router's end (it settles the attempt there); closing early closes it too.
        async with aclosing(sse_events(events)) as stream:
            async for event in stream:
                if event is None:
                    done = True
                    continue
                if "error" in event:
                    error = event["error"]
                    message = error.get("message") if isinstance(error, dict) else str(error)
                    yield orjson.dumps({"error": message}) + b"\n"
                    return
                model = event.get("model", model)
                created = event.get("created", created)
                usage = event.get("usage") or usage
                for choice in event.get("choices") or ():
                    delta = choice.get("delta") or {}
                    for piece in delta.get("tool_calls") or ():
                        first_token = first_token or self._clock()
                        call = calls.setdefault(
                            piece.get("index", 0), {"function": {"name": "", "arguments": ""}}
                        )
                        call["id"] = piece.get("id") or call.get("id")
                        function = piece.get("function") or {}
                        call["function"]["name"] += function.get("name") or ""
                        call["function"]["arguments"] += function.get("arguments") or ""
                    text = delta.get("content") or delta.get("refusal")
                    if text:
                        first_token = first_token or self._clock()
                        yield self._line(model, created, self._piece(text, []))
                    finish = choice.get("finish_reason") or finish
        if not done:
            yield orjson.dumps({"error": "The answer ended early; retry the request."}) + b"\n"
            return
        if calls:  # Ollama sends tool calls whole, in one line before the last
            whole = ollama_tool_calls([calls[k] for k in sorted(calls)])
            yield self._line(model, created, self._piece("", whole))
        now = self._clock()
        first_token = first_token or now
        yield self._line(
            model,
            created,
            {
                **self._piece("", []),
                "done": True,
                "done_reason": done_reason(finish),
                "total_duration": now - self._started,
                "load_duration": 0,
                **counts(usage),
                "prompt_eval_duration": first_token - self._started,
                "eval_duration": now - first_token,
            },
        )

    @staticmethod
    def _line(model: Any, created: Any, fields: dict[str, Any]) -> bytes:
        line = {"model": model, "created_at": created_at(created), "done": False, **fields}
        return orjson.dumps(line) + b"\n"


class Chat(_Exchange):
    """POST /api/chat."""

    def __init__(self, body: dict[str, Any], *, clock: _Clock = time.perf_counter_ns) -> None:
        super().__init__(clock=clock)
        self.body = chat_request(body)

    def _piece(self, text: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = calls
        return {"message": message}


class Generate(_Exchange):
    """POST /api/generate."""

    def __init__(self, body: dict[str, Any], *, clock: _Clock = time.perf_counter_ns) -> None:
        super().__init__(clock=clock)
        self.body = generate_request(body)

    def _piece(self, text: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
        return {"response": text}


class Embed:
    """POST /api/embed."""

    stream_type = NDJSON
    native = None

    def __init__(self, body: dict[str, Any], *, clock: _Clock = time.perf_counter_ns) -> None:
        self._clock = clock
        self._started = clock()
        self.body = embed_request(body)

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        data = sorted(response.get("data") or (), key=lambda item: item.get("index", 0))
        usage = response.get("usage") or {}
        return {
            "model": response.get("model"),
            "embeddings": [item.get("embedding") for item in data],
            "total_duration": self._clock() - self._started,
            "load_duration": 0,
            "prompt_eval_count": tokens(usage, "prompt_tokens"),
        }

    def relay(self, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        raise AssertionError("embeddings are never streamed")


class Embeddings(Embed):
    """POST /api/embeddings, Ollama's older embeddings endpoint: one prompt, one vector."""

    def __init__(self, body: dict[str, Any], *, clock: _Clock = time.perf_counter_ns) -> None:
        self._clock = clock
        self._started = clock()
        self.body = embeddings_request(body)

    def answer(self, response: dict[str, Any]) -> dict[str, Any]:
        vectors = super().answer(response)["embeddings"]
        return {"embedding": vectors[0] if vectors else []}
