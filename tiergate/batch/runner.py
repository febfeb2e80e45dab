"""`tiergate batch run`: an OpenAI batch input file through the gateway's rules, resumable.

Every line becomes a Call through the same `Gateway.prepare` as an HTTP request (validation,
the privacy scan of everything that would be sent, decide()), so a batch line goes nowhere a
request could not. Then:

- a line whose first candidate has `batch_api: true` goes through that provider's Files and
  Batches API: its reservation (at the batch price bound) is made and written to the run's
  state before the batch is created; it is settled from the output file's usage at the batch
  price, charged nothing when it comes back as an HTTP error, and charged in full when it
  never comes back;
- every other line runs through the router like any request, `concurrency` at a time.

State (tiergate.batch.state) lets an interrupted run resume: done lines are kept, submitted
batches are polled again (never created twice: a batch carries its chunk id in its metadata,
so one created just before the run died is found and adopted), a retryable batch failure
falls back to the next candidates through the router, and a line that was in flight on the
normal path when the run died is reported as interrupted, not run a second time (its outcome
is unknown; re-running it could run and charge it twice). Batch-API reservations belong to
the run (store owner `tiergate-batch:<run id>`), not to a process, so a resumed run settles
them from the provider's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from ..budget import Budget
from ..config import Config
from ..errors import InvalidRequest, StoreUnavailable, TiergateError, UpstreamError
from ..gateway import Gateway, _Caller
from ..pricing import TokenPrice, bound_pico, build, cost_pico
from ..router import Call
from ..stores import AttemptRecord, Reservation, open_store
from . import results
from .progress import Progress
from .remote import ENDED, BatchAPI, batch_price
from .state import Line, RunState

ENDPOINTS = {"/v1/chat/completions": "chat", "/v1/embeddings": "embeddings"}
MAX_LINES_PER_BATCH = 50_000  # OpenAI's limit per batch
CHUNK_KEY = "tiergate_chunk"


class BatchFileError(InvalidRequest):
    """The input file cannot be run (not JSONL, a custom_id missing or repeated)."""


@dataclass(frozen=True, slots=True)
class Options:
    input: Path
    output: Path
    concurrency: int = 8
    poll_s: float = 10.0
    tenant: str | None = None
    progress: bool = True
    # Run again the lines whose outcome an interrupted run lost (they may then run twice).
    rerun_interrupted: bool = False


@dataclass(slots=True)
class Summary:
    """What a run did; money in pico-dollars."""

    lines: int = 0
    resumed: int = 0  # lines already done when this run started
    via_batch: int = 0
    via_gateway: int = 0
    failed: int = 0
    cost_pico: int = 0
    batch_cost_pico: int = 0  # what the batch-API lines cost ...
    batch_normal_pico: int = 0  # ... and what they would have cost at the normal price
    outcomes: dict[str, int] = field(default_factory=dict)


def read_input(path: Path) -> tuple[list[dict[str, Any]], str]:
    """The lines of an OpenAI batch input file and the file's sha256."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BatchFileError(f"cannot read {path}: {exc.strerror}") from None
    lines: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(raw.splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise BatchFileError(f"{path}:{number}: not a JSON object") from None
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        if not isinstance(custom_id, str) or not custom_id:
            raise BatchFileError(f"{path}:{number}: custom_id must be a non-empty string")
        if custom_id in seen:
            raise BatchFileError(
                f"{path}:{number}: custom_id {custom_id!r} repeats line {seen[custom_id]}; "
                "each line needs its own"
            )
        seen[custom_id] = number
        lines.append(line)
    return lines, hashlib.sha256(raw).hexdigest()


async def run(config: Config, options: Options) -> Summary:
    lines, fingerprint = read_input(options.input)
    tenant = config.tenant(options.tenant) if options.tenant else None
    if options.tenant and tenant is None:
        raise BatchFileError(f"--tenant: no tenant named {options.tenant!r} in the config")
    state_path = options.output.with_name(options.output.name + ".state")
    try:
        state = await RunState.open(
            state_path, fingerprint=fingerprint, ids=[line["custom_id"] for line in lines]
        )
    except ValueError as exc:
        raise BatchFileError(str(exc)) from None
    try:
        # Batch-API reservations belong to this run, across resumes: a resumed run settles them
        # itself instead of reaping them as a dead process's (see _held). Its lease is renewed
        # before the gateway starts, since the gateway's start reaps expired owners.
        async with _held(config, await state.run_id()) as budget:
            gateway = Gateway(config, prices=build(config))
            await gateway.start()
            try:
                job = _Job(gateway, budget, state, lines, options, _Caller(tenant, admin=False))
                summary = await job.run()
            finally:
                await gateway.stop()
        rows = await state.lines()
        await asyncio.to_thread(
            results.write_output, options.output, [row.result or {} for row in rows]
        )
        return summary
    finally:
        await state.close()


def _was_interrupted(row: Line) -> bool:
    return (
        row.status == "done"
        and ((row.result or {}).get("error") or {}).get("code") == "interrupted"
    )


@contextlib.asynccontextmanager
async def _held(config: Config, run_id: str) -> AsyncIterator[Budget]:
    """A Budget whose store owner is this run (`tiergate-batch:<run id>`), heartbeating while
    the run lives. Its open reservations are reaped (charged in full) only if the run stays
    dead past the store lease while another process uses the store; a resumed run, the same
    owner, settles them from the provider's output instead."""
    store = await open_store(
        config.store,
        owner=f"tiergate-batch:{run_id}",
        key=config.ledger_key,
        lease_s=config.store_lease_s,
    )
    budget = Budget(config=config, store=store)
    try:
        await budget.heartbeat(lease_s=config.store_lease_s)  # renews this owner's lease first
    except BaseException:
        await store.close()
        raise
    beat = asyncio.create_task(
        budget.run(heartbeat_s=config.store_heartbeat_s, lease_s=config.store_lease_s)
    )
    try:
        yield budget
    finally:
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
        await budget.close()
        await store.close()


class _Job:
    def __init__(
        self,
        gateway: Gateway,
        budget: Budget,
        state: RunState,
        lines: list[dict[str, Any]],
        options: Options,
        caller: _Caller,
    ) -> None:
        self.gateway = gateway
        self.budget = budget  # batch-API reservations
        self.state = state
        self.lines = lines
        self.options = options
        self.caller = caller
        self.summary = Summary(lines=len(lines))
        self.progress = Progress(len(lines), enabled=options.progress)
        self.pool = asyncio.Semaphore(options.concurrency)

    async def run(self) -> Summary:
        rows = await self.state.lines()
        tasks: list[asyncio.Task[None]] = []
        interrupted: dict[int, dict[str, Any]] = {}
        chunks: dict[str, list[Line]] = defaultdict(list)
        pending: list[Line] = []
        if self.options.rerun_interrupted:
            again = [row for row in rows if row.status == "running" or _was_interrupted(row)]
            await self.state.reset([row.idx for row in again])
            rows = await self.state.lines()
        for row in rows:
            if row.status == "done":
                self.summary.resumed += 1
                self._count(row.result or {})
            elif row.status == "running":
                interrupted[row.idx] = results.interrupted(row.custom_id)
            elif row.status in ("reserved", "submitted"):
                chunks[row.chunk or ""].append(row)
            else:
                pending.append(row)
        if interrupted:
            await self._finish(interrupted)
        for chunk, members in chunks.items():
            tasks.append(asyncio.create_task(self._resume_chunk(chunk, members)))
        prepared = await asyncio.gather(*(self._prepare(row) for row in pending))
        batched: dict[tuple[str, str], list[tuple[Line, Call]]] = defaultdict(list)
        for row, call in zip(pending, prepared, strict=True):
            if call is None:
                continue
            first = call.decision.candidates[0] if call.decision.candidates else None
            if first is not None and first.provider.batch_api:
                batched[(first.name, self.lines[row.idx]["url"])].append((row, call))
            else:
                tasks.append(asyncio.create_task(self._direct(row, call)))
        for (provider, url), routed in batched.items():
            for start in range(0, len(routed), MAX_LINES_PER_BATCH):
                part = routed[start : start + MAX_LINES_PER_BATCH]
                tasks.append(asyncio.create_task(self._submit(provider, url, part)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            self.progress.close()
        return self.summary

    # -- every line ---------------------------------------------------------------------------

    async def _prepare(self, row: Line) -> Call | None:
        """The line as a routed Call, or None once its error result is written."""
        line = self.lines[row.idx]
        async with self.pool:
            try:
                endpoint = ENDPOINTS.get(line.get("url", ""))
                if line.get("method", "POST") != "POST":
                    raise InvalidRequest("method must be POST", param="method")
                if endpoint is None:
                    raise InvalidRequest(f"url must be one of {', '.join(ENDPOINTS)}", param="url")
                body = line.get("body")
                if not isinstance(body, dict):
                    raise InvalidRequest("body must be a JSON object", param="body")
                if body.get("stream"):
                    raise InvalidRequest(
                        "stream is not supported in a batch file", param="body.stream"
                    )
                return await self.gateway.prepare(
                    dict(body),
                    {},
                    self.caller,
                    endpoint=endpoint,
                    request_id="batch_req_" + uuid.uuid4().hex[:24],
                )
            except TiergateError as exc:
                await self._finish({row.idx: results.refused(row.custom_id, None, exc)})
                return None

    async def _direct(self, row: Line, call: Call) -> None:
        """A line through the router, like any request."""
        router = self.gateway.router
        assert router is not None
        async with self.pool:
            await self.state.running(row.idx)
            try:
                response, served = await router.serve(call)
                await served.durable()
            except TiergateError as exc:
                await self._finish({row.idx: results.refused(row.custom_id, call.request_id, exc)})
                return
            result = results.answered(
                row.custom_id, call.request_id, 200, response,
                provider=served.candidate.name, rule=served.rule, cost=served.cost_pico,
                batch_api=False, classification=call.classified.classification,
            )  # fmt: skip
            await self._finish({row.idx: result})

    async def _finish(self, finished: dict[int, dict[str, Any]]) -> None:
        await self.state.done(finished)
        for result in finished.values():
            self._count(result)

    def _count(self, result: dict[str, Any]) -> None:
        facts = result.get("tiergate") or {}
        response = result.get("response") or {}
        ok = response.get("status_code") == 200
        if not ok:
            self.summary.failed += 1
        elif facts.get("batch_api"):
            self.summary.via_batch += 1
        else:
            self.summary.via_gateway += 1
        self.summary.cost_pico += int(facts.get("cost_pico", 0))
        if facts.get("batch_api"):
            self.summary.batch_cost_pico += int(facts.get("cost_pico", 0))
            self.summary.batch_normal_pico += int(facts.get("normal_cost_pico", 0))
        self.progress.advance(failed=not ok)

    # -- batch-API lines ----------------------------------------------------------------------

    async def _submit(self, provider_name: str, url: str, members: list[tuple[Line, Call]]) -> None:
        """Reserve every line at the batch price bound, write that down, then create the batch."""
        gateway = self.gateway
        provider = gateway.config.provider(provider_name)
        chunk = uuid.uuid4().hex
        plans: dict[int, dict[str, Any]] = {}
        fallback: list[tuple[Line, Call]] = []
        for row, call in members:
            candidate = call.decision.candidates[0]
            normal = gateway.prices.get(candidate.name, candidate.model)
            price = batch_price(provider, candidate.model, normal)
            outbound = call.outbound[candidate.name]
            choices = call.body.get("n") or 1
            bound = bound_pico(
                outbound.prompt_tokens,
                outbound.max_tokens * choices + outbound.output_extra_tokens,
                price,
            )
            try:
                held = await self.budget.reserve(
                    request_id=call.request_id, attempt=1, provider=candidate.name,
                    tenant=call.tenant, pico=bound,
                )  # fmt: skip
            except StoreUnavailable:
                held = None
            if not isinstance(held, Reservation):
                fallback.append((row, call))  # the caps cannot take it: the normal path decides
                continue
            plans[row.idx] = {
                "custom_id": row.custom_id,
                "request_id": call.request_id,
                "provider": candidate.name,
                "model": candidate.model,
                "tier": candidate.provider.tier,
                "egress": not candidate.provider.on_premises,
                "rule": call.decision.rule,
                "classification": call.classified.classification,
                "classification_source": call.classified.source,
                "endpoint": call.endpoint,
                "tenant": call.tenant,
                "reservation": [held.id, held.pico, held.month],
                "price": _price_fields(price),
                "normal_price": _price_fields(normal),
                "url": url,
                "body": dict(outbound.body or {}),
                "submitted_at": time.time(),
            }
        # A line the caps cannot take at the batch price goes the normal way (the router decides).
        direct = [self._direct(row, call) for row, call in fallback]
        if not plans:
            await asyncio.gather(*direct)
            return
        await self.state.reserved(chunk, plans)
        rows = [
            Line(idx, p["custom_id"], "reserved", chunk, None, p, None) for idx, p in plans.items()
        ]
        await asyncio.gather(self._send_chunk(provider_name, chunk, rows), *direct)

    async def _send_chunk(self, provider_name: str, chunk: str, rows: list[Line]) -> None:
        api = self._api(provider_name)
        url = (rows[0].plan or {})["url"]
        content = b"".join(
            orjson.dumps(
                {
                    "custom_id": r.custom_id,
                    "method": "POST",
                    "url": url,
                    "body": (r.plan or {})["body"],
                }
            )
            + b"\n"
            for r in rows
        )
        try:
            file_id = await api.upload(content)
            batch = await api.create(file_id, url, {CHUNK_KEY: chunk})
        except UpstreamError as exc:
            await self._settle_chunk(rows, {}, exc)
            return
        await self.state.submitted(chunk, str(batch["id"]))
        await self._poll(provider_name, str(batch["id"]), rows)

    async def _resume_chunk(self, chunk: str, rows: list[Line]) -> None:
        plan = rows[0].plan or {}
        provider_name = plan["provider"]
        batch_id = rows[0].batch_id
        if batch_id is None:
            # Reserved, and maybe created before the run died: look for it before sending again.
            try:
                found = await self._api(provider_name).find(CHUNK_KEY, chunk)
            except UpstreamError as exc:
                await self._settle_chunk(rows, {}, exc)
                return
            if found is None:
                await self._send_chunk(provider_name, chunk, rows)
                return
            batch_id = str(found["id"])
            await self.state.submitted(chunk, batch_id)
        await self._poll(provider_name, batch_id, rows)

    async def _poll(self, provider_name: str, batch_id: str, rows: list[Line]) -> None:
        api = self._api(provider_name)
        self.progress.waiting(len(rows))
        while True:
            try:
                batch = await api.retrieve(batch_id)
            except UpstreamError:
                batch = {}  # a blip: ask again next time
            if batch.get("status") in ENDED:
                break
            await asyncio.sleep(self.options.poll_s)
        self.progress.waiting(-len(rows))
        records: dict[str, dict[str, Any]] = {}
        for key in ("output_file_id", "error_file_id"):
            if batch.get(key):
                try:
                    content = await api.content(batch[key])
                except UpstreamError:
                    continue  # those lines count as never come back: charged in full
                for text in content.splitlines():
                    try:
                        record = orjson.loads(text)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(record, dict) and isinstance(record.get("custom_id"), str):
                        records[record["custom_id"]] = record
        await self._settle_chunk(rows, records, None)

    async def _settle_chunk(
        self,
        rows: list[Line],
        records: dict[str, dict[str, Any]],
        failure: UpstreamError | None,
    ) -> None:
        """Each line's row at the batch price; its result."""
        budget = self.budget
        settled: dict[int, dict[str, Any]] = {}
        retry: dict[int, tuple[Line, str]] = {}
        for row in rows:
            plan = row.plan or {}
            rid, pico, month = plan["reservation"]
            reservation = Reservation(
                rid, plan["request_id"], 1, plan["provider"], plan["tenant"], pico, month
            )
            record = records.get(row.custom_id)
            response = record.get("response") if record else None
            status = response.get("status_code") if isinstance(response, dict) else None
            body = response.get("body") if isinstance(response, dict) else None
            usage = results.usage_of(body) if status == 200 else None
            price, normal = _price(plan["price"]), _price(plan["normal_price"])
            if failure is not None and not failure.billable:
                outcome, cost, charge = failure.kind, 0, False  # nothing was submitted
            elif status == 200:
                outcome, charge = "ok", True
                cost = cost_pico(usage, price) if usage else pico
            elif isinstance(status, int):
                outcome, cost, charge = "rejected" if status < 500 else "unavailable", 0, False
            else:
                outcome, cost, charge = "lost", pico, True  # never came back: charged in full
            facts = AttemptRecord(
                request_id=plan["request_id"], attempt=1, tenant=plan["tenant"],
                provider=plan["provider"], model=plan["model"], tier=plan["tier"],
                rule=plan["rule"], classification=plan["classification"],
                classification_source=plan["classification_source"],
                egress=plan["egress"],
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                cost_pico=cost, reserved_pico=pico,
                latency_ms=(time.time() - plan["submitted_at"]) * 1000.0,
                outcome=outcome, usage_missing=charge and usage is None,
                status=status if isinstance(status, int) and status != 200 else None,
                endpoint=plan["endpoint"],
            )  # fmt: skip
            await budget.settle(reservation, facts)
            where = {
                "provider": plan["provider"], "rule": plan["rule"], "cost": cost,
                "classification": plan["classification"],
            }  # fmt: skip
            if status == 200 and isinstance(body, dict):
                settled[row.idx] = results.answered(
                    row.custom_id, plan["request_id"], 200, body, batch_api=True,
                    normal_cost=cost_pico(usage, normal) if usage else pico, **where,
                )  # fmt: skip
            elif isinstance(status, int):
                settled[row.idx] = results.answered(
                    row.custom_id, plan["request_id"], status,
                    body if isinstance(body, dict) else {}, batch_api=True, normal_cost=0, **where,
                )  # fmt: skip
            else:
                code = "batch_submit_failed" if failure else "batch_line_lost"
                why = failure.message if failure else "the provider's batch never returned it"
                settled[row.idx] = results.lost(
                    row.custom_id, plan["request_id"], code, why, **where
                )
            unsent = failure is not None and not failure.billable and failure.retryable
            if status == 429 or (isinstance(status, int) and status >= 500) or unsent:
                retry[row.idx] = (row, plan["provider"])  # like a failed attempt: fall back
        await self._finish({i: r for i, r in settled.items() if i not in retry})
        await asyncio.gather(
            *(self._fall_back(row, skip, settled[i]) for i, (row, skip) in retry.items())
        )

    async def _fall_back(self, row: Line, skip: str, failed: dict[str, Any]) -> None:
        """A batch line that failed retryably, or was never submitted: the next candidates,
        through the router (the batch provider's own real-time API is not tried again)."""
        call = await self._prepare(row)
        if call is None:
            return
        rest = tuple(c for c in call.decision.candidates if c.name != skip)
        if not rest:
            await self._finish({row.idx: failed})
            return
        await self._direct(row, replace(call, decision=replace(call.decision, candidates=rest)))

    def _api(self, provider_name: str) -> BatchAPI:
        return BatchAPI(self.gateway.upstream.session, self.gateway.config.provider(provider_name))


def _price_fields(price: TokenPrice) -> list[Any]:
    return [price.input_pico, price.output_pico, price.source, [list(t) for t in price.tiers]]


def _price(fields: list[Any]) -> TokenPrice:
    return TokenPrice(fields[0], fields[1], fields[2], tuple(tuple(t) for t in fields[3]))


__all__ = ["BatchFileError", "Options", "Summary", "read_input", "run"]
