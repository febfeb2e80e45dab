"""Micro-batching of embeddings: concurrent small requests for one on-premises model share one call.

A provider with `embed_batch_window_ms > 0` (on premises only) gets its embedding requests
through a Coalescer. The first request opens a window; requests for the same provider and the
same upstream body apart from `input` (so the same model, dimensions, encoding) that arrive
within it join; when the window closes (or holds MAX_INPUTS inputs) one upstream call carries
every input, and each caller gets back an answer in the provider's own wire format holding
only its own vectors and its share of the reported usage. Each caller's attempt then decodes,
settles and writes its own ledger row as if it had made the call alone.

Privacy holds by construction: a request reaches the coalescer only as an attempt for a
candidate its own scan and decide() allowed, and the upstream body is built from the encoded
bodies that were scanned. A request alone in its window is sent as its own exact bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson

from .config import ProviderConfig
from .errors import UpstreamError, UpstreamMalformed, UpstreamUnavailable
from .outbound import Outbound
from .upstream import Upstream

# The most inputs one coalesced call carries; a fuller window is sent at once.
MAX_INPUTS = 256


@dataclass(slots=True)
class _Member:
    """One caller waiting in a window."""

    outbound: Outbound
    inputs: list[Any]
    weight: int  # the bytes of its inputs: its share of the reported usage
    answer: asyncio.Future[bytes]


@dataclass(slots=True)
class _Window:
    provider: ProviderConfig
    path: str
    members: list[_Member] = field(default_factory=list)
    size: int = 0
    timer: asyncio.TimerHandle | None = None


class Coalescer:
    """Joins concurrent embedding requests per (provider, body apart from input)."""

    def __init__(self, upstream: Upstream) -> None:
        self._upstream = upstream
        self._open: dict[tuple[str, bytes], _Window] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # calls in flight (held until done)

    @staticmethod
    def applies(provider: ProviderConfig) -> bool:
        return provider.on_premises and provider.embed_batch_window_ms > 0

    async def post(self, provider: ProviderConfig, path: str, outbound: Outbound) -> bytes:
        """This request's answer body, as the provider would have sent it for this request alone."""
        body = dict(outbound.body or {})
        raw = body.pop("input", None)
        inputs = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else [raw]
        key = (provider.name, orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
        loop = asyncio.get_running_loop()
        member = _Member(outbound, inputs, len(orjson.dumps(inputs)), loop.create_future())
        window = self._open.get(key)
        if window is not None and window.size + len(inputs) > MAX_INPUTS:
            self._flush(key, window)
            window = None
        if window is None:
            window = self._open[key] = _Window(provider, path)
            window.timer = loop.call_later(
                provider.embed_batch_window_ms / 1000.0, self._flush, key, window
            )
        window.members.append(member)
        window.size += len(inputs)
        if window.size >= MAX_INPUTS:
            self._flush(key, window)
        return await member.answer

    def _flush(self, key: tuple[str, bytes], window: _Window) -> None:
        if self._open.get(key) is window:
            del self._open[key]
        if window.timer is not None:
            window.timer.cancel()
            window.timer = None
        task = asyncio.get_running_loop().create_task(self._send(window))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, window: _Window) -> None:
        members = [m for m in window.members if not m.answer.done()]  # a caller may have left
        if not members:
            return
        provider = window.provider
        first = members[0].outbound
        if len(members) == 1:
            payload = first.payload
        else:
            merged = dict(first.body or {})
            merged["input"] = [item for m in members for item in m.inputs]
            payload = orjson.dumps(merged)
        try:
            answer = await self._upstream.post(provider, window.path, payload, model=first.model)
            slices = [answer] if len(members) == 1 else _split(provider, answer, members)
        except UpstreamError as exc:
            for m in members:
                if not m.answer.done():
                    m.answer.set_exception(exc)
            return
        except asyncio.CancelledError:  # the gateway is stopping: nobody is left waiting forever
            for m in members:
                if not m.answer.done():
                    m.answer.set_exception(
                        UpstreamUnavailable(
                            "the gateway stopped during the call",
                            provider=provider.name,
                            billable=True,
                        )
                    )
            raise
        for m, piece in zip(members, slices, strict=True):
            if not m.answer.done():
                m.answer.set_result(piece)


def shares(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights`, in integers that add up to exactly `total`."""
    whole = sum(weights) or len(weights)
    weights = weights if sum(weights) else [1] * len(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _split(provider: ProviderConfig, payload: bytes, members: list[_Member]) -> list[bytes]:
    """One answer body per member, in the provider's wire format."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        obj = None
    counts = [len(m.inputs) for m in members]
    weights = [m.weight for m in members]
    if provider.protocol == "ollama":
        vectors = obj.get("embeddings") if isinstance(obj, dict) else None
        if not isinstance(vectors, list) or len(vectors) != sum(counts):
            raise _malformed(provider, "embeddings", sum(counts))
        used = obj.get("prompt_eval_count")
        tokens = shares(used, weights) if isinstance(used, int) else [None] * len(members)
        out, start = [], 0
        for count, share in zip(counts, tokens, strict=True):
            piece = {**obj, "embeddings": vectors[start : start + count]}
            if share is not None:
                piece["prompt_eval_count"] = share
            out.append(orjson.dumps(piece))
            start += count
        return out
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, list) or len(data) != sum(counts):
        raise _malformed(provider, "data", sum(counts))
    ordered = sorted(data, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)
    usage = obj.get("usage")
    used = usage.get("prompt_tokens") if isinstance(usage, dict) else None
    tokens = shares(used, weights) if isinstance(used, int) else [None] * len(members)
    out, start = [], 0
    for count, share in zip(counts, tokens, strict=True):
        items = [
            {**item, "index": i} if isinstance(item, dict) else item
            for i, item in enumerate(ordered[start : start + count])
        ]
        listed: dict[str, Any] = {**obj, "data": items}
        if share is not None:
            listed["usage"] = {"prompt_tokens": share, "total_tokens": share}
        out.append(orjson.dumps(listed))
        start += count
    return out


def _malformed(provider: ProviderConfig, field_name: str, expected: int) -> UpstreamMalformed:
    return UpstreamMalformed(
        f"a coalesced embeddings answer without {expected} items in {field_name!r}",
        provider=provider.name,
        billable=True,
    )


__all__ = ["MAX_INPUTS", "Coalescer", "shares"]
