"""FakeUpstream: per-request behaviour, faults and streaming on top of the loopback server."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from tiergate.testing import _anthropic as anthropic_wire
from tiergate.testing import _azure as azure_wire
from tiergate.testing import _responses as responses_wire
from tiergate.testing import _wire as wire
from tiergate.testing._batches import Batches
from tiergate.testing._behaviour import ALLOWED, BEHAVIOUR_HEADER, Fault, choose, parse_behaviour
from tiergate.testing._checks import Invalid, check_chat, check_embed
from tiergate.testing._loopback import LoopbackServer
from tiergate.testing._wire import Protocol

Endpoint = Callable[[web.Request, "_Call"], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_DEFAULT_SLOW_S = 2.0
_CUT_AFTER_CHUNKS = 2
_MALFORMED = b'{"id": "truncated", "choices": [{"message": '
BILLING_HEADER = "x-fake-billing"


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
class _Call:
    protocol: Protocol
    body: Any
    fault: Fault
    streaming: bool
    halt: asyncio.Event
    started_ns: int
    prompt_bytes: int | None = None  # billing by bytes: the prompt tokens to report


class FakeUpstream(LoopbackServer):
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
        api_keys: Iterable[str] | None = None,
        billing: str = "words",
        batch_delay_s: float = 0.2,
    ) -> None:
        super().__init__(name=name, port=port)
        # Like a real provider: with keys set, a request presenting another key gets a 401.
        # Reassign it at run time to rotate keys.
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        self.rejected_keys = 0
        # "bytes": a chat answer reports one prompt token per byte of the request body received
        # (per request: header x-fake-billing), so a reservation that bounds less shows up.
        self.billing = billing
        self.latency_s = latency_s
        self.chunk_delay_s = chunk_delay_s
        self.reply_words = reply_words
        self.embedding_dims = embedding_dims
        self.behaviour = behaviour
        self.models = tuple(models)
        self.received: list[Received] = []
        self.served_prompt_tokens = 0
        self.served_completion_tokens = 0
        self._lock = threading.Lock()
        self._sequence = 0
        # OpenAI's Files and Batches API; a batch completes batch_delay_s after its creation.
        self.batches = Batches(self, delay_s=batch_delay_s)

    @property
    def behaviour(self) -> str:
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: str) -> None:
        if parse_behaviour(value) is None:
            raise ValueError(f"unknown fake behaviour {value!r}; {ALLOWED}")
        self._behaviour = value

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

    def _application(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/chat", self._route("ollama", self._ollama_chat, chat=True))
        app.router.add_post("/api/embed", self._route("ollama", self._ollama_embed))
        app.router.add_get("/api/tags", self._route("ollama", self._ollama_tags))
        app.router.add_get("/api/version", self._route("ollama", self._ollama_version))
        app.router.add_post(
            "/v1/chat/completions", self._route("openai", self._openai_chat, chat=True)
        )
        app.router.add_post(
            "/v1/responses", self._route("openai", self._openai_responses, chat=True)
        )
        app.router.add_post("/v1/embeddings", self._route("openai", self._openai_embed))
        app.router.add_get("/v1/models", self._route("openai", self._openai_models))
        app.router.add_post(
            "/v1/messages", self._route("anthropic", self._anthropic_messages, chat=True)
        )
        deployment = "/openai/deployments/{deployment}"
        app.router.add_post(
            f"{deployment}/chat/completions", self._route("openai", self._azure_chat, chat=True)
        )
        app.router.add_post(f"{deployment}/embeddings", self._route("openai", self._azure_embed))
        app.router.add_get("/openai/models", self._route("openai", self._azure_models))
        self.batches.install(app, self._route)
        return app

    def _route(self, protocol: Protocol, endpoint: Endpoint, *, chat: bool = False) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            started_ns = time.perf_counter_ns()
            raw = await request.read()
            body = _loads(raw)
            chosen = choose(request.headers.get(BEHAVIOUR_HEADER, ""), body, self._behaviour)
            headers = {k.lower(): v for k, v in request.headers.items()}
            seen = Received(request.path, request.method, headers, body, raw, chosen)
            with self._lock:
                self.received.append(seen)
            if self.api_keys is not None and _presented_key(headers) not in self.api_keys:
                with self._lock:
                    self.rejected_keys += 1
                return _error(protocol, 401, f"fake upstream {self.name!r}: invalid API key")
            fault = parse_behaviour(chosen)
            if fault is None:
                return _error(protocol, 400, f"unknown fake behaviour {chosen!r}; {ALLOWED}")
            streaming = (
                chat and isinstance(body, dict) and bool(body.get("stream", protocol == "ollama"))
            )
            by_bytes = headers.get(BILLING_HEADER, self.billing) == "bytes"
            call = _Call(
                protocol, body, fault, streaming, self._halt, started_ns,
                len(raw) if by_bytes else None,
            )  # fmt: skip
            if await _pause(self.latency_s, call.halt):
                return _drop(request)
            early = await self._apply_fault(request, call)
            return early if early is not None else await endpoint(request, call)

        return handle

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
        if kind == "drop":  # the request arrived; the connection closes without an answer
            return _drop(request)
        if kind == "cut-stream" and not call.streaming:
            return _drop(request)
        if kind == "malformed" and not call.streaming:
            return web.Response(body=_MALFORMED, content_type="application/json")
        return None

    def _plan(self, call: _Call) -> wire.Answer:
        answer = wire.plan(
            call.protocol, call.body, call.fault, name=self.name, words=self.reply_words
        )
        if call.prompt_bytes is not None:
            answer = replace(answer, prompt_tokens=call.prompt_bytes)
        return answer

    @property
    def billed_tokens(self) -> tuple[int, int]:
        """(prompt, completion) tokens this fake billed: the usage it reported, added up."""
        with self._lock:
            return self.served_prompt_tokens, self.served_completion_tokens

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
        answer: wire.Answer,
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
                garbage = b"data: {not json\n\n" if call.protocol != "ollama" else b"{not json\n"
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
        if invalid := check_chat(call.protocol, call.body):
            return _invalid(call.protocol, invalid)
        answer = self._plan(call)
        created = _rfc3339()

        def final(message: dict[str, Any]) -> dict[str, Any]:
            total_ns = time.perf_counter_ns() - call.started_ns
            return wire.ollama_final(answer, message, created_at=_rfc3339(), total_ns=total_ns)

        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(final(wire.ollama_message(answer)))
        frames = wire.ollama_frames(answer, created_at=created)

        def tail() -> list[bytes]:
            last = final({"role": "assistant", "content": ""})
            return [orjson.dumps(last, option=orjson.OPT_APPEND_NEWLINE)]

        return await self._stream(request, call, answer, "application/x-ndjson", frames, tail)

    async def _ollama_embed(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if invalid := check_embed(call.protocol, body):
            return _invalid(call.protocol, invalid)
        raw_input = body.get("input", [])
        inputs = [raw_input] if isinstance(raw_input, str) else raw_input
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            return _error(
                "ollama", 400, "invalid input type: expected a string or a list of strings"
            )
        payload, spent = wire.ollama_embeddings(
            body["model"],
            inputs,
            body.get("dimensions") or self.embedding_dims,
            total_ns=time.perf_counter_ns() - call.started_ns,
            usage=call.fault.kind != "no-usage",
        )
        self._credit(spent, 0)
        return _json(payload)

    async def _ollama_tags(self, request: web.Request, call: _Call) -> web.StreamResponse:
        return _json(wire.ollama_tags(self.models))

    async def _ollama_version(self, request: web.Request, call: _Call) -> web.StreamResponse:
        return _json({"version": "0.12.6"})

    async def _openai_chat(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if invalid := check_chat(call.protocol, body):
            return _invalid(call.protocol, invalid)
        answer = self._plan(call)
        completion_id = f"chatcmpl-fake{self._next_id():08d}"
        base = wire.openai_base(answer.model, completion_id, int(time.time()))
        call_id = f"call_fake{self._next_id():08d}"
        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(wire.openai_completion(answer, base, call_id))
        options = body.get("stream_options")
        include_usage = bool(options and options.get("include_usage"))
        frames, tail = wire.openai_stream(answer, base, call_id, include_usage=include_usage)
        return await self._stream(request, call, answer, "text/event-stream", frames, lambda: tail)

    async def _openai_responses(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if invalid := responses_wire.check(call.body):
            return _invalid(call.protocol, invalid)
        answer = self._plan(replace(call, body=responses_wire.as_chat(call.body)))
        shapes = responses_wire.Shapes(
            answer, call.body, number=self._next_id(), created=int(time.time())
        )
        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(shapes.response())
        frames, tail = shapes.events()
        return await self._stream(request, call, answer, "text/event-stream", frames, lambda: tail)

    async def _openai_embed(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body
        if invalid := check_embed(call.protocol, body):
            return _invalid(call.protocol, invalid)
        inputs = wire.openai_inputs(body.get("input"))
        if inputs is None:
            return _error("openai", 400, "'input' is a required property", param="input")
        payload, spent = wire.openai_embeddings(
            body["model"],
            inputs,
            body.get("dimensions") or self.embedding_dims,
            as_base64=body.get("encoding_format") == "base64",
            usage=call.fault.kind != "no-usage",
        )
        self._credit(spent, 0)
        return _json(payload)

    async def _openai_models(self, request: web.Request, call: _Call) -> web.StreamResponse:
        return _json(wire.openai_models(self.models, self.name))

    async def _anthropic_messages(self, request: web.Request, call: _Call) -> web.StreamResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if refused := anthropic_wire.check_headers(headers):
            return _error("anthropic", *refused)
        if invalid := anthropic_wire.check_messages(call.body):
            return _invalid("anthropic", invalid)
        answer = anthropic_wire.plan(call.body, call.fault, name=self.name, words=self.reply_words)
        message_id = f"msg_fake{self._next_id():08d}"
        tool_id = f"toolu_fake{self._next_id():08d}"
        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(anthropic_wire.message(answer, message_id, tool_id))
        frames, tail = anthropic_wire.events(answer, message_id, tool_id)
        return await self._stream(request, call, answer, "text/event-stream", frames, lambda: tail)

    async def _azure_chat(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if refused := _azure_refusal(request):
            return refused
        call = _deployed(call, request.match_info["deployment"])
        if invalid := check_chat("openai", call.body):
            return _invalid("openai", invalid)
        answer = self._plan(call)
        base = wire.openai_base(
            answer.model, f"chatcmpl-fake{self._next_id():08d}", int(time.time())
        )
        call_id = f"call_fake{self._next_id():08d}"
        if not call.streaming:
            self._credit(answer.prompt_tokens, answer.completion_tokens)
            return _json(azure_wire.annotate(wire.openai_completion(answer, base, call_id)))
        options = call.body.get("stream_options")
        include_usage = bool(options and options.get("include_usage"))
        frames, tail = wire.openai_stream(answer, base, call_id, include_usage=include_usage)
        frames = azure_wire.stream_frames(frames)
        return await self._stream(request, call, answer, "text/event-stream", frames, lambda: tail)

    async def _azure_embed(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if refused := _azure_refusal(request):
            return refused
        return await self._openai_embed(request, _deployed(call, request.match_info["deployment"]))

    async def _azure_models(self, request: web.Request, call: _Call) -> web.StreamResponse:
        if refused := _azure_refusal(request):
            return refused
        return _json(wire.openai_models(self.models, self.name))


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
    protocol: Protocol,
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
) -> web.Response:
    return _json(wire.error_body(protocol, status, message, param=param, code=code), status)


def _invalid(protocol: Protocol, invalid: Invalid) -> web.Response:
    return _error(protocol, 400, invalid.message, param=invalid.param, code=invalid.code)


def _azure_refusal(request: web.Request) -> web.Response | None:
    """Azure's answer to a request without its api-key header or a valid api-version query."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    status, refusal = azure_wire.check_access(headers, request.query.get("api-version"))
    return _json(refusal, status) if status != 200 else None


def _deployed(call: _Call, deployment: str) -> _Call:
    """An Azure call as the OpenAI endpoints read it: the deployment is the model, unless the
    body names one (the recorded request keeps the body as it was sent)."""
    if not isinstance(call.body, dict) or call.body.get("model"):
        return call
    return replace(call, body={**call.body, "model": deployment})


def _presented_key(headers: dict[str, str]) -> str:
    """The key a request presents: a bearer token (OpenAI, Ollama), x-api-key or api-key."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key") or headers.get("api-key") or ""


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
