"""FakeUpstream: a real loopback HTTP server that speaks the Ollama and OpenAI wire formats for tests.

One instance answers both protocols on one port: Ollama's native API under ``/api/*``
(``url`` is its base_url) and the OpenAI API under ``/v1/*`` (``openai_base_url``).
The official ``ollama`` and ``openai`` clients parse its answers, sync and streaming.

Each request's behaviour is chosen, first match wins, from: the ``x-fake-behaviour``
header; the last ``[[fake:BEHAVIOUR]]`` directive in the request's text (message
contents or embeddings input; the last one, because chat histories carry earlier
turns); a model named ``fake:BEHAVIOUR``; the instance's ``behaviour``. Behaviours:
``ok``, ``slow`` / ``slow-<seconds>``, ``fail-<status>``, ``retry-after-<seconds>``,
``hang``, ``cut-stream``, ``malformed``, ``no-usage`` and ``words-<n>``.

Token accounting is deliberately simple so tests can predict it: one token per
reply word; a prompt costs ceil(utf8_bytes / 4) + 3 per message, plus 3; an
embeddings input costs ceil(utf8_bytes / 4). ``served_prompt_tokens`` and
``served_completion_tokens`` are the upstream's own ledger: they grow only for
answers sent in full. A cut stream, a hang, a failure or a malformed body adds
nothing; a ``no-usage`` answer still adds what it served, because a real provider
bills tokens whether or not the response says so.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import math
import re
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from aiohttp import web

__all__ = ["BEHAVIOUR_HEADER", "FakeUpstream", "Fault", "Received", "parse_behaviour"]

BEHAVIOUR_HEADER = "x-fake-behaviour"

Protocol = Literal["ollama", "openai"]
Endpoint = Callable[[web.Request, "_Call"], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DIRECTIVE = re.compile(r"\[\[fake:([A-Za-z0-9_.\-]+)\]\]")
_BEHAVIOUR = re.compile(
    r"(?P<kind>ok|hang|cut-stream|malformed|no-usage)"
    r"|slow(?:-(?P<slow>\d+(?:\.\d+)?))?"
    r"|fail-(?P<fail>[45]\d\d)"
    r"|retry-after-(?P<retry>\d+)"
    r"|words-(?P<words>\d+)"
)
_DEFAULT_SLOW_S = 2.0
_CUT_AFTER_CHUNKS = 2
_MALFORMED = b'{"id": "truncated", "choices": [{"message": '
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
class Received:
    """One request as the fake upstream saw it, recorded before its behaviour applied."""

    path: str
    method: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    behaviour: str


@dataclass(frozen=True, slots=True)
class Fault:
    """A parsed behaviour: ``kind`` plus its number (seconds, status or words), if any."""

    kind: str
    number: float | None = None


def parse_behaviour(text: str) -> Fault | None:
    """Parse a behaviour name such as ``fail-503``; None when it is not one."""
    match = _BEHAVIOUR.fullmatch(text.strip())
    if match is None:
        return None
    for kind in ("slow", "fail", "retry", "words"):
        if (value := match.group(kind)) is not None:
            return Fault({"retry": "retry-after"}.get(kind, kind), float(value))
    return Fault(match.group("kind") or "slow")


@dataclass(frozen=True, slots=True)
class _Call:
    protocol: Protocol
    body: Any
    fault: Fault
    streaming: bool
    halt: asyncio.Event
    started_ns: int


@dataclass(frozen=True, slots=True)
class _Answer:
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


class FakeUpstream:
    """A loopback Ollama + OpenAI server whose faults are chosen per request."""

    def __init__(
        self,
        *,
        name: str = "fake",
        latency_s: float = 0.0,
        chunk_delay_s: float = 0.0,
        reply_words: int = 12,
        embedding_dims: int = 8,
        behaviour: str = "ok",
        port: int = 0,
        models: Sequence[str] = ("fake-chat", "fake-embed"),
    ) -> None:
        self.name = name
        self.latency_s = latency_s
        self.chunk_delay_s = chunk_delay_s
        self.reply_words = reply_words
        self.embedding_dims = embedding_dims
        self.behaviour = behaviour
        self.models = tuple(models)
        self.received: list[Received] = []
        self.served_prompt_tokens = 0
        self.served_completion_tokens = 0
        self._port = port
        self._lock = threading.Lock()
        self._sequence = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._relisten: asyncio.Task[None] | None = None
        self._halt = asyncio.Event()
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None

    @property
    def behaviour(self) -> str:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        if parse_behaviour(value) is None:
            raise ValueError(f"unknown fake behaviour {value!r}; {_ALLOWED}")
        self._behaviour = value

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeUpstream has no port yet: call start() or astart() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.received if path is None or r.path == path)

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.served_prompt_tokens = 0
            self.served_completion_tokens = 0

    def start(self) -> FakeUpstream:
        """Serve from a background thread with its own event loop; returns once listening."""
        if self._thread is not None or self._runner is not None:
            raise RuntimeError("FakeUpstream is already running")
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._thread_main(ready),), name=f"FakeUpstream-{self.name}"
        )
        self._thread.daemon = True
        self._thread.start()
        try:
            ready.result()
        except BaseException:
            self._thread.join()
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Close every connection (hung ones included) and join the thread."""
        thread, loop, stop = self._thread, self._loop, self._thread_stop
        if thread is None or loop is None or stop is None:
            return
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        self._thread = None

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def astart(self) -> FakeUpstream:
        """Serve inside the caller's running event loop (no thread, no loop hop)."""
        if self._runner is not None:
            raise RuntimeError("FakeUpstream is already running")
        self._loop = asyncio.get_running_loop()
        self._halt = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/chat", self._route("ollama", self._ollama_chat, chat=True))
        app.router.add_post("/api/embed", self._route("ollama", self._ollama_embed))
        app.router.add_get("/api/tags", self._route("ollama", self._ollama_tags))
        app.router.add_get("/api/version", self._route("ollama", self._ollama_version))
        app.router.add_post(
            "/v1/chat/completions", self._route("openai", self._openai_chat, chat=True)
        )
        app.router.add_post("/v1/embeddings", self._route("openai", self._openai_embed))
        app.router.add_get("/v1/models", self._route("openai", self._openai_models))
        # handler_cancellation lets a hung or slow handler end when its client gives up.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        self._runner = runner
        try:
            await self._serve(self._bind(), self._halt)
        except BaseException:
            await self.astop()
            raise
        return self

    async def astop(self) -> None:
        runner = self._runner
        if runner is None:
            return
        self._kill()
        if self._relisten is not None:
            await self._relisten
            self._relisten = None
        self._runner = None
        await runner.cleanup()

    async def __aenter__(self) -> FakeUpstream:
        return await self.astart()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.astop()

    def kill(self) -> None:
        """Simulate an outage: stop listening (connections are refused) and drop open ones."""
        loop = self._running_loop()
        if self._thread is None:
            self._kill()
        else:
            asyncio.run_coroutine_threadsafe(self.akill(), loop).result()

    def revive(self) -> None:
        """Listen again on the same port after kill()."""
        loop = self._running_loop()
        if self._thread is not None:
            asyncio.run_coroutine_threadsafe(self.arevive(), loop).result()
        elif self._server is None and (self._relisten is None or self._relisten.done()):
            # Called from inside the loop, so it cannot wait; the socket listens from
            # here on and clients queue until the task starts accepting.
            self._halt = asyncio.Event()
            self._relisten = loop.create_task(self._serve(self._bind(), self._halt))

    async def akill(self) -> None:
        self._kill()

    async def arevive(self) -> None:
        if self._server is None:
            self._halt = asyncio.Event()
            await self._serve(self._bind(), self._halt)

    async def _thread_main(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            await self.astart()
        except BaseException as exc:
            ready.set_exception(exc)
            return
        self._thread_stop = asyncio.Event()
        ready.set_result(None)
        await self._thread_stop.wait()
        await self.astop()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None or self._runner is None:
            raise RuntimeError("FakeUpstream is not running: call start() or astart() first")
        return self._loop

    def _bind(self) -> socket.socket:
        sock = socket.create_server(("127.0.0.1", self._port), backlog=1024)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        return sock

    async def _serve(self, sock: socket.socket, halt: asyncio.Event) -> None:
        assert self._loop is not None and self._runner is not None
        assert self._runner.server is not None
        server = await self._loop.create_server(self._runner.server, sock=sock)
        if halt.is_set():  # killed or stopped while the listener was starting
            server.close()
        else:
            self._server = server

    def _kill(self) -> None:
        self._halt.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        server = self._runner.server if self._runner is not None else None
        for connection in server.connections if server is not None else ():
            if (transport := connection.transport) is not None:
                # shutdown() sends the FIN now; abort() alone waits for the next loop turn,
                # and a client could still pick the dead connection from its pool.
                with contextlib.suppress(OSError):
                    transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
                transport.abort()

    def _route(self, protocol: Protocol, endpoint: Endpoint, *, chat: bool = False) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            started_ns = time.perf_counter_ns()
            raw = await request.read()
            body = _loads(raw)
            chosen = self._choose(request, body)
            headers = {k.lower(): v for k, v in request.headers.items()}
            seen = Received(request.path, request.method, headers, body, raw, chosen)
            with self._lock:
                self.received.append(seen)
            fault = parse_behaviour(chosen)
            if fault is None:
                return _error(protocol, 400, f"unknown fake behaviour {chosen!r}; {_ALLOWED}")
            streaming = (
                chat and isinstance(body, dict) and bool(body.get("stream", protocol == "ollama"))
            )
            call = _Call(protocol, body, fault, streaming, self._halt, started_ns)
            if await _pause(self.latency_s, call.halt):
                return _drop(request)
            early = await self._apply_fault(request, call)
            return early if early is not None else await endpoint(request, call)

        return handle

    def _choose(self, request: web.Request, body: Any) -> str:
        if header := request.headers.get(BEHAVIOUR_HEADER, "").strip():
            return header
        directives = [m for text in _texts(body) for m in _DIRECTIVE.findall(text)]
        if directives:
            return str(directives[-1])
        model = body.get("model") if isinstance(body, dict) else None
        if isinstance(model, str) and model.startswith("fake:") and parse_behaviour(model[5:]):
            return model[5:]
        return self._behaviour

    async def _apply_fault(self, request: web.Request, call: _Call) -> web.StreamResponse | None:
        kind, number = call.fault.kind, call.fault.number
        if kind == "slow":
            slow_s = _DEFAULT_SLOW_S if number is None else number
            return _drop(request) if await _pause(slow_s, call.halt) else None
        if kind in ("fail", "retry-after"):
            status = 429 if kind == "retry-after" else int(number or 500)
            response = _error(
                call.protocol, status, f"simulated HTTP {status} from fake upstream {self.name!r}"
            )
            if kind == "retry-after":
                response.headers["Retry-After"] = str(int(number or 0))
            return response
        if kind == "hang":
            await _pause(math.inf, call.halt)
            return _drop(request)
        if kind == "cut-stream" and not call.streaming:
            return _drop(request)
        if kind == "malformed" and not call.streaming:
            return web.Response(body=_MALFORMED, content_type="application/json")
        return None

    def _plan(self, call: _Call, cap: Any, *, json_mode: bool, allow_tools: bool) -> _Answer:
        body: dict[str, Any] = call.body
        messages = body["messages"]
        prompt_tokens = 3 + sum(
            _tokens(_text(m.get("content"))) + 3 for m in messages if isinstance(m, dict)
        )
        tools = body.get("tools")
        last_role = (
            messages[-1].get("role") if messages and isinstance(messages[-1], dict) else None
        )
        if allow_tools and isinstance(tools, list) and tools and last_role != "tool":
            name, arguments = _tool_call(tools[0])
            spent = _tokens(name) + _tokens(orjson.dumps(arguments).decode())
            return _Answer(
                body["model"], (), (name, arguments), "tool_calls", prompt_tokens, spent,
                call.fault.kind != "no-usage",
            )  # fmt: skip
        count = int(call.fault.number or 0) if call.fault.kind == "words" else self.reply_words
        words = _words(self.name, count)
        finish = "stop"
        if isinstance(cap, int) and 0 <= cap < len(words):
            words, finish = words[:cap], "length"
        pieces = [word if i == 0 else f" {word}" for i, word in enumerate(words)]
        if json_mode:  # the words become one JSON string, still one token per chunk
            pieces = pieces or [""]
            pieces[0] = _JSON_OPEN + pieces[0]
            pieces[-1] += _JSON_CLOSE
        return _Answer(
            body["model"], tuple(pieces), None, finish, prompt_tokens, len(words),
            call.fault.kind != "no-usage",
        )  # fmt: skip

    def _credit(self, prompt_tokens: int, completion_tokens: int) -> None:
        with self._lock:
            self.served_prompt_tokens += prompt_tokens
            self.served_completion_tokens += completion_tokens

    def _next_id(self) -> int:
        with self._lock:
            self._sequence += 1
            return self._sequence

    async def _stream(
        self,
        request: web.Request,
        call: _Call,
        answer: _Answer,
        content_type: str,
        frames: list[bytes],
        tail: Callable[[], list[bytes]],
    ) -> web.StreamResponse:
        """Send frames one by one; ``tail()`` is what only a complete answer gets."""
        response = web.StreamResponse(headers={"Content-Type": content_type})
        credited = complete = False
        try:
            await response.prepare(request)
            if call.fault.kind == "malformed":
                garbage = b"data: {not json\n\n" if call.protocol == "openai" else b"{not json\n"
                await response.write(garbage)
                return response
            cut = call.fault.kind == "cut-stream"
            for index, frame in enumerate(frames[: _CUT_AFTER_CHUNKS + 1] if cut else frames):
                if index and await _pause(self.chunk_delay_s, call.halt):
                    return _drop(request, response)
                await response.write(frame)
            if cut or await _pause(self.chunk_delay_s, call.halt):
                return _drop(request, response)
            # Credited before the last bytes leave, so a client that has read the whole
            # answer always finds the counters updated.
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            credited = True
            for frame in tail():
                await response.write(frame)
            complete = True
        except ConnectionError:
            pass  # the client left; aiohttp treats the failed final write as a disconnect
        finally:
            if credited and not complete:  # also when the client's leaving cancelled us
                self._credit(-answer.prompt_tokens, -answer.completion_tokens)
        return response

    async def _ollama_chat(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if invalid := _invalid_chat(call.protocol, body):
            return invalid
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        cap = options.get("num_predict")
        answer = self._plan(call, cap, json_mode=bool(body.get("format")), allow_tools=True)
        created = _rfc3339()
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if answer.tool_call is not None:
            name, arguments = answer.tool_call
            message["tool_calls"] = [{"function": {"name": name, "arguments": arguments}}]

        def final(message: dict[str, Any]) -> dict[str, Any]:
            return {
                "model": answer.model,
                "created_at": _rfc3339(),
                "message": message,
                "done": True,
                "done_reason": "length" if answer.finish == "length" else "stop",
                **_ollama_timings(call.started_ns, answer),
            }

        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(final(message))
        # Ollama streams tool calls as one message chunk, and text one token per chunk.
        deltas = (
            [message]
            if answer.tool_call is not None
            else [{"role": "assistant", "content": piece} for piece in answer.pieces]
        )
        frames = [
            orjson.dumps(
                {"model": answer.model, "created_at": created, "message": delta, "done": False},
                option=orjson.OPT_APPEND_NEWLINE,
            )
            for delta in deltas
        ]

        def tail() -> list[bytes]:
            last = final({"role": "assistant", "content": ""})
            return [orjson.dumps(last, option=orjson.OPT_APPEND_NEWLINE)]

        return await self._stream(request, call, answer, "application/x-ndjson", frames, tail)

    async def _ollama_embed(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if not isinstance(body, dict) or not body.get("model"):
            return _error("ollama", 400, "model is required")
        raw_input = body.get("input", [])
        inputs = [raw_input] if isinstance(raw_input, str) else raw_input
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            return _error(
                "ollama", 400, "invalid input type: expected a string or a list of strings"
            )
        dims = body.get("dimensions") or self.embedding_dims
        tokens = sum(_tokens(text) for text in inputs)
        payload: dict[str, Any] = {
            "model": body["model"],
            "embeddings": [_vector(text, dims) for text in inputs],
            "total_duration": time.perf_counter_ns() - call.started_ns,
            "load_duration": 0,
        }
        if call.fault.kind != "no-usage":
            payload["prompt_eval_count"] = tokens
        self._credit(tokens, 0)
        return _json(payload)

    async def _ollama_tags(self, request: web.Request, call: _Call) -> web.StreamResponse:
        models = [
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
            for model in self.models
        ]
        return _json({"models": models})

    async def _ollama_version(self, request: web.Request, call: _Call) -> web.StreamResponse:
        return _json({"version": "0.12.6"})

    async def _openai_chat(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if invalid := _invalid_chat(call.protocol, body):
            return invalid
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        response_format = body.get("response_format")
        json_mode = isinstance(response_format, dict) and response_format.get("type") in (
            "json_object",
            "json_schema",
        )
        allow_tools = body.get("tool_choice") != "none"
        answer = self._plan(call, cap, json_mode=json_mode, allow_tools=allow_tools)
        base: dict[str, Any] = {
            "id": f"chatcmpl-fake{self._next_id():08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": answer.model,
            "system_fingerprint": "fp_fake",
            "service_tier": "default",
        }
        call_id, tool_name, arguments = f"call_fake{self._next_id():08d}", "", ""
        if answer.tool_call is not None:
            tool_name, arguments = answer.tool_call[0], orjson.dumps(answer.tool_call[1]).decode()
        usage = _openai_usage(answer)
        if not call.streaming:
            message: dict[str, Any] = {
                "role": "assistant",
                "content": None if tool_name else answer.content,
                "refusal": None,
                "annotations": [],
            }
            if tool_name:
                function = {"name": tool_name, "arguments": arguments}
                message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
            choice = {"index": 0, "message": message, "logprobs": None}
            payload = {**base, "choices": [{**choice, "finish_reason": answer.finish}]}
            if answer.usage:
                payload["usage"] = usage
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(payload)

        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        base["object"] = "chat.completion.chunk"
        if include_usage:
            base["usage"] = None

        def frame(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return b"data: " + orjson.dumps({**base, "choices": [choice]}) + b"\n\n"

        frames = [frame({"role": "assistant", "content": "", "refusal": None})]
        frames += [frame({"content": piece}) for piece in answer.pieces]
        if tool_name:  # like OpenAI: the call's name first, then its arguments
            header = {"index": 0, "id": call_id, "type": "function"}
            function = {"name": tool_name, "arguments": ""}
            frames.append(frame({"tool_calls": [{**header, "function": function}]}))
            function = {"arguments": arguments}
            frames.append(frame({"tool_calls": [{"index": 0, "function": function}]}))
        tail = [frame({}, answer.finish)]
        if include_usage and answer.usage:
            tail.append(b"data: " + orjson.dumps({**base, "choices": [], "usage": usage}) + b"\n\n")
        tail.append(b"data: [DONE]\n\n")
        return await self._stream(request, call, answer, "text/event-stream", frames, lambda: tail)

    async def _openai_embed(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if not isinstance(body, dict) or not body.get("model"):
            return _error("openai", 400, "you must provide a model parameter", param="model")
        inputs = _openai_inputs(body.get("input"))
        if inputs is None:
            return _error("openai", 400, "'input' is a required property", param="input")
        dims = body.get("dimensions") or self.embedding_dims
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, (text, _) in enumerate(inputs):
            vector = _vector(text, dims)
            embedding: Any = (
                base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        tokens = sum(count for _, count in inputs)
        payload: dict[str, Any] = {"object": "list", "data": data, "model": body["model"]}
        if call.fault.kind != "no-usage":
            payload["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        self._credit(tokens, 0)
        return _json(payload)

    async def _openai_models(self, request: web.Request, call: _Call) -> web.StreamResponse:
        data = [
            {"id": m, "object": "model", "created": 0, "owned_by": self.name} for m in self.models
        ]
        return _json({"object": "list", "data": data})


_ALLOWED = (
    "expected ok, slow, slow-<seconds>, fail-<status>, retry-after-<seconds>, hang, "
    "cut-stream, malformed, no-usage or words-<n>"
)


async def _pause(seconds: float, halt: asyncio.Event) -> bool:
    """Sleep, but wake early when the server halts; True means it halted."""
    if halt.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        await asyncio.wait_for(halt.wait(), None if math.isinf(seconds) else seconds)
    except TimeoutError:
        return False
    return True


def _drop(request: web.Request, response: web.StreamResponse | None = None) -> web.StreamResponse:
    """Close the connection without (finishing) an answer.

    aiohttp then fails to write the returned response, which it treats as a quiet
    client disconnect rather than a handler error.
    """
    if request.transport is not None:
        request.transport.abort()
    return response if response is not None else web.Response()


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


def _error(
    protocol: Protocol, status: int, message: str, *, param: str | None = None
) -> web.Response:
    if protocol == "ollama":
        return _json({"error": message}, status)
    kind, code = _OPENAI_ERRORS.get(status, ("server_error", None))
    return _json(
        {"error": {"message": message, "type": kind, "param": param, "code": code}}, status
    )


def _invalid_chat(protocol: Protocol, body: Any) -> web.Response | None:
    if not isinstance(body, dict):
        return _error(protocol, 400, "the request body is not a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        message = (
            "model is required" if protocol == "ollama" else "you must provide a model parameter"
        )
        return _error(protocol, 400, message, param="model")
    if not isinstance(body.get("messages"), list):
        return _error(protocol, 400, "Missing required parameter: 'messages'.", param="messages")
    return None


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _texts(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    if isinstance(messages := body.get("messages"), list):
        return [_text(m.get("content")) for m in messages if isinstance(m, dict)]
    raw_input = body.get("input")
    items = raw_input if isinstance(raw_input, list) else [raw_input]
    return [item for item in items if isinstance(item, str)]


def _tokens(text: str) -> int:
    return math.ceil(len(text.encode()) / 4)


def _words(name: str, count: int) -> list[str]:
    words = ["simulated", "reply", "from", name]
    return (words + [f"word{i}" for i in range(len(words) + 1, count + 1)])[: max(count, 0)]


def _tool_call(tool: Any) -> tuple[str, dict[str, Any]]:
    """Call the first tool with a placeholder for each required parameter."""
    function = tool.get("function", {}) if isinstance(tool, dict) else {}
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


def _vector(text: str, dims: int) -> list[float]:
    """A unit vector from a hash of the text, rounded to float32 so base64 and floats agree."""
    raw = hashlib.shake_256(text.encode()).digest(4 * dims)
    values = [u / 2**31 - 1.0 for u in struct.unpack(f"<{dims}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return list(struct.unpack(f"<{dims}f", struct.pack(f"<{dims}f", *(v / norm for v in values))))


def _openai_inputs(value: Any) -> list[tuple[str, int]] | None:
    """Each input's text (token arrays rendered as text) and its token count."""
    if isinstance(value, str) or (isinstance(value, list) and value and isinstance(value[0], int)):
        value = [value]
    if not isinstance(value, list) or not value:
        return None
    inputs = []
    for item in value:
        if isinstance(item, str):
            inputs.append((item, _tokens(item)))
        elif isinstance(item, list) and all(isinstance(t, int) for t in item):
            inputs.append((" ".join(map(str, item)), len(item)))
        else:
            return None
    return inputs


def _openai_usage(answer: _Answer) -> dict[str, Any]:
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


def _ollama_timings(started_ns: int, answer: _Answer) -> dict[str, int]:
    total = time.perf_counter_ns() - started_ns
    timings = {"total_duration": total, "load_duration": 0, "prompt_eval_duration": total // 10}
    timings["eval_duration"] = total - timings["prompt_eval_duration"]
    if answer.usage:
        timings["prompt_eval_count"] = answer.prompt_tokens
        timings["eval_count"] = answer.completion_tokens
    return timings


def _rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
