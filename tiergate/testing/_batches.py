"""OpenAI's Files and Batches API for FakeUpstream: upload a JSONL, run it as a batch, download.

- ``POST /v1/files`` (multipart: ``purpose``, ``file``) keeps the file; ``GET /v1/files/{id}/content``
  gives it (or a batch's output or error file) back.
- ``POST /v1/batches`` (``input_file_id``, ``endpoint``, ``completion_window``, ``metadata``)
  creates a batch; ``GET /v1/batches/{id}`` retrieves it and ``GET /v1/batches`` lists them.
- A batch is ``in_progress`` until ``batch_delay_s`` after its creation; the first retrieve after
  that runs every line (each line once, ever) and completes it with an output file (answers)
  and an error file (lines answered with an error status).
- Each line's behaviour comes from its own body, as for a direct request: ``[[fake:fail-503]]``
  puts that line in the error file with status 503; ``malformed``, ``drop``, ``hang`` and
  ``cut-stream`` make the line never come back (in neither file); ``no-usage`` answers without
  usage. ``batch_runs`` counts how many times each custom_id ran.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from tiergate.testing import _wire as wire
from tiergate.testing._behaviour import choose, parse_behaviour
from tiergate.testing._checks import check_chat, check_embed

if TYPE_CHECKING:
    from tiergate.testing._upstream import FakeUpstream, _Call

ENDPOINTS = ("/v1/chat/completions", "/v1/embeddings")
# Faults after which a line never comes back: it is in neither the output nor the error file.
_LOST = frozenset({"malformed", "drop", "hang", "cut-stream", "slow"})


@dataclass(slots=True)
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, Any] | None
    created_at: int
    ready_at: float
    status: str = "in_progress"
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(
        default_factory=lambda: {"total": 0, "completed": 0, "failed": 0}
    )

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "in_progress_at": self.created_at,
            "expires_at": self.created_at + 86_400,
            "completed_at": int(time.time()) if self.status == "completed" else None,
            "failed_at": None,
            "expired_at": None,
            "cancelled_at": None,
            "request_counts": dict(self.counts),
            "metadata": self.metadata,
        }


class Batches:
    """The Files and Batches state of one FakeUpstream."""

    def __init__(self, fake: FakeUpstream, *, delay_s: float) -> None:
        self.fake = fake
        self.delay_s = delay_s
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, _Batch] = {}
        self.batch_runs: Counter[str] = Counter()  # custom_id -> times it ran

    def install(self, app: web.Application, route: Any) -> None:
        """Add the endpoints; `route(protocol, endpoint)` wraps them like every other one."""
        wrap: Any = route
        app.router.add_post("/v1/files", wrap("openai", self._upload))
        app.router.add_get("/v1/files/{file_id}/content", wrap("openai", self._content))
        app.router.add_post("/v1/batches", wrap("openai", self._create))
        app.router.add_get("/v1/batches", wrap("openai", self._list))
        app.router.add_get("/v1/batches/{batch_id}", wrap("openai", self._retrieve))

    async def _upload(self, request: web.Request, call: _Call) -> web.StreamResponse:
        raw = await request.read()
        parts = _multipart(request.headers.get("Content-Type", ""), raw)
        if parts.get("purpose") != b"batch":
            return _error(400, "purpose must be 'batch'", "purpose")
        content = parts.get("file")
        if content is None:
            return _error(400, "a multipart field 'file' is required", "file")
        file_id = f"file-fake{self.fake._next_id():08d}"
        self.files[file_id] = content
        return _json(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": "batch.jsonl",
                "purpose": "batch",
            }
        )

    async def _content(self, request: web.Request, call: _Call) -> web.StreamResponse:
        content = self.files.get(request.match_info["file_id"])
        if content is None:
            return _error(404, "No such File object", "file_id")
        return web.Response(body=content, content_type="application/octet-stream")

    async def _create(self, request: web.Request, call: _Call) -> web.StreamResponse:
        body = call.body if isinstance(call.body, dict) else {}
        file_id = body.get("input_file_id")
        if file_id not in self.files:
            return _error(400, f"no file {file_id!r}", "input_file_id")
        if body.get("endpoint") not in ENDPOINTS:
            return _error(400, f"endpoint must be one of {', '.join(ENDPOINTS)}", "endpoint")
        if body.get("completion_window") != "24h":
            return _error(400, "completion_window must be '24h'", "completion_window")
        batch = _Batch(
            id=f"batch_fake{self.fake._next_id():08d}",
            input_file_id=file_id,
            endpoint=body["endpoint"],
            completion_window="24h",
            metadata=body.get("metadata"),
            created_at=int(time.time()),
            ready_at=time.monotonic() + self.delay_s,
        )
        batch.counts["total"] = sum(1 for line in self.files[file_id].splitlines() if line.strip())
        self.batches[batch.id] = batch
        return _json(batch.view())

    async def _retrieve(self, request: web.Request, call: _Call) -> web.StreamResponse:
        batch = self.batches.get(request.match_info["batch_id"])
        if batch is None:
            return _error(404, "No such Batch object", "batch_id")
        if batch.status == "in_progress" and time.monotonic() >= batch.ready_at:
            self._run(batch)
        return _json(batch.view())

    async def _list(self, request: web.Request, call: _Call) -> web.StreamResponse:
        data = [b.view() for b in reversed(self.batches.values())]
        return _json({"object": "list", "data": data, "has_more": False})

    def _run(self, batch: _Batch) -> None:
        """Every line once: its answer to the output file, or its error to the error file."""
        outputs: list[bytes] = []
        errors: list[bytes] = []
        for raw in self.files[batch.input_file_id].splitlines():
            if not raw.strip():
                continue
            line = orjson.loads(raw)
            custom_id = line.get("custom_id")
            self.batch_runs[custom_id] += 1
            request_id = f"req_fake{self.fake._next_id():08d}"
            body = line.get("body") or {}
            fault = parse_behaviour(choose("", body, self.fake.behaviour))
            kind = fault.kind if fault else "ok"
            if kind in _LOST:
                continue
            status, answer = self._answer(line.get("url", batch.endpoint), body, kind, fault)
            record = {
                "id": f"batch_req_fake{self.fake._next_id():08d}",
                "custom_id": custom_id,
                "response": {"status_code": status, "request_id": request_id, "body": answer},
                "error": None,
            }
            (outputs if status == 200 else errors).append(orjson.dumps(record))
        batch.counts["completed"], batch.counts["failed"] = len(outputs), len(errors)
        batch.output_file_id = self._keep(outputs)
        batch.error_file_id = self._keep(errors) if errors else None
        batch.status = "completed"

    def _answer(self, url: str, body: Any, kind: str, fault: Any) -> tuple[int, dict[str, Any]]:
        if kind in ("fail", "retry-after"):
            status = 429 if kind == "retry-after" else int(fault.number or 500)
            message = f"simulated HTTP {status} from fake upstream {self.fake.name!r}"
            return status, wire.error_body("openai", status, message)
        fake = self.fake
        if url == "/v1/embeddings":
            if invalid := check_embed("openai", body):
                return 400, wire.error_body("openai", 400, invalid.message, param=invalid.param)
            inputs = wire.openai_inputs(body.get("input")) or []
            payload, spent = wire.openai_embeddings(
                body["model"],
                inputs,
                body.get("dimensions") or fake.embedding_dims,
                as_base64=body.get("encoding_format") == "base64",
                usage=kind != "no-usage",
            )
            fake._credit(spent, 0)
            return 200, payload
        if invalid := check_chat("openai", body):
            return 400, wire.error_body("openai", 400, invalid.message, param=invalid.param)
        answer = wire.plan("openai", body, fault, name=fake.name, words=fake.reply_words)
        base = wire.openai_base(
            answer.model, f"chatcmpl-fake{fake._next_id():08d}", int(time.time())
        )
        completion = wire.openai_completion(answer, base, f"call_fake{fake._next_id():08d}")
        if kind == "no-usage":
            completion.pop("usage", None)
        fake._credit(answer.prompt_tokens, answer.completion_tokens)
        return 200, completion

    def _keep(self, lines: list[bytes]) -> str:
        file_id = f"file-fake{self.fake._next_id():08d}"
        self.files[file_id] = b"".join(line + b"\n" for line in lines)
        return file_id


def _multipart(content_type: str, raw: bytes) -> dict[str, bytes]:
    """Field name -> bytes of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


def _error(status: int, message: str, param: str | None = None) -> web.Response:
    return _json(wire.error_body("openai", status, message, param=param), status)


__all__ = ["Batches"]
