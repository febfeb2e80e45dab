"""The response cache: exact-match answers per provider, never across a privacy line.

The key is the tenant, the classification, the provider and the exact body that provider would
be sent (streaming flags aside): every field that changes the answer, and nothing a caller can
use to reach another tenant's or a less restricted request's entry. A lookup happens per
candidate, after the policy chose the candidates, so a hit can only come from a provider this
request could have been sent to. An entry from a sensitive request is written only to a cache
on the premises.

Backends: the ledger's SQLite file (the embedded default), Redis (`cache.store: redis://…`,
shared by replicas), and an in-process LRU in front of either. A backend that errs or is slow
is a miss, never an error: every call has a short timeout, and a failing backend rests behind
a breaker.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from .config import CacheConfig

log = logging.getLogger("tiergate.cache")

BREAKER_COOLDOWN_S = 5.0
_STREAM_KEYS = ("stream", "stream_options")


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached answer and what it cost when it was made."""

    response: dict[str, Any]
    prompt_tokens: int
    completion_tokens: int
    cost_pico: int
    fresh_until: float  # wall-clock seconds

    def fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def encode(self) -> bytes:
        return orjson.dumps(
            [self.response, self.prompt_tokens, self.completion_tokens, self.cost_pico,
             self.fresh_until]
        )  # fmt: skip

    @classmethod
    def decode(cls, raw: bytes) -> Entry | None:
        try:
            response, prompt, completion, cost, fresh_until = orjson.loads(raw)
        except (orjson.JSONDecodeError, ValueError, TypeError):
            return None
        if not isinstance(response, dict):
            return None
        return cls(response, int(prompt), int(completion), int(cost), float(fresh_until))


def key(
    *,
    tenant: str | None,
    classification: str,
    provider: str,
    endpoint: str,
    body: Mapping[str, Any],
) -> str:
    """The entry's key: who asked, how sensitive, where it would go, and exactly what."""
    canonical = {k: v for k, v in body.items() if k not in _STREAM_KEYS}
    material = orjson.dumps(
        [tenant, classification, provider, endpoint, canonical], option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(material).hexdigest()


def cacheable(config: CacheConfig, endpoint: str, body: Mapping[str, Any]) -> bool:
    """Whether the answer is the same every time: embeddings, or chat at temperature 0 and n 1."""
    if config.ttl_s <= 0:
        return False
    if endpoint == "embeddings" or config.sampled:
        return True
    return body.get("temperature") == 0 and (body.get("n") or 1) == 1


class Backend(Protocol):
    on_premises: bool
    errors: tuple[type[BaseException], ...]  # what its calls raise when it is unavailable

    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """An LRU in this process: the front of every cache, and the whole of it in tests."""

    on_premises = True
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            return None
        value, expires = found
        if time.time() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        self._entries[key] = (value, time.time() + ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def close(self) -> None:
        self._entries.clear()


class SqliteBackend:
    """A table in the ledger's SQLite file, on one thread of its own (off the event loop)."""

    on_premises = True
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS tiergate_cache (key TEXT PRIMARY KEY, value BLOB NOT NULL, "
        "expires_at REAL NOT NULL)"
    )

    def __init__(self, path: str, *, max_entries: int, busy_timeout_s: float) -> None:
        self._path = path
        self._max = max_entries
        self._busy_ms = max(1, int(busy_timeout_s * 1000))
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tiergate-cache")
        self._conn: sqlite3.Connection | None = None
        self._puts = 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            conn.execute(self._SCHEMA)
            self._conn = conn
        return self._conn

    def _get(self, key: str) -> bytes | None:
        row = (
            self._connection()
            .execute(
                "SELECT value FROM tiergate_cache WHERE key = ? AND expires_at > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return bytes(row[0]) if row else None

    def _put(self, key: str, value: bytes, ttl_s: float) -> None:
        conn = self._connection()
        now = time.time()
        conn.execute(
            "INSERT OR REPLACE INTO tiergate_cache (key, value, expires_at) VALUES (?, ?, ?)",
            (key, value, now + ttl_s),
        )
        self._puts += 1
        if self._puts % 100 == 0:  # evict now and then: the expired, then the oldest past the bound
            conn.execute("DELETE FROM tiergate_cache WHERE expires_at <= ?", (now,))
            conn.execute(
                "DELETE FROM tiergate_cache WHERE key IN (SELECT key FROM tiergate_cache "
                "ORDER BY expires_at DESC LIMIT -1 OFFSET ?)",
                (self._max,),
            )

    async def get(self, key: str) -> bytes | None:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._get, key)

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._put, key, value, ttl_s)

    async def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._thread, shut)
        self._thread.shutdown(wait=False)


class RedisBackend:
    """Redis, shared by every replica; entries expire by Redis's own TTL."""

    def __init__(self, url: str, *, on_premises: bool, timeout_s: float) -> None:
        # Imported here: redis-py pulls in OpenTelemetry when it is installed, and a gateway
        # without a Redis cache should pay for neither.
        import redis.asyncio as redis
        from redis.exceptions import RedisError

        self.errors: tuple[type[BaseException], ...] = (RedisError,)
        self.on_premises = on_premises
        self._client = redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=None
        )
        self._prefix = "tiergate:cache:"

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(self._prefix + key)
        return value.encode() if isinstance(value, str) else value

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        await self._client.set(self._prefix + key, value, px=max(1, int(ttl_s * 1000)))

    async def close(self) -> None:
        await self._client.aclose()


class ResponseCache:
    """Reads and writes entries through a backend, missing (never failing) when it cannot."""

    def __init__(self, config: CacheConfig, backend: Backend) -> None:
        self.config = config
        self._backend = backend
        self._front = MemoryBackend(min(config.max_entries, 10_000))
        self._open_until = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def on_premises(self) -> bool:
        return self._backend.on_premises

    async def get(self, key: str, *, stale_ok: bool = False) -> Entry | None:
        """A fresh entry (or, with stale_ok, one within stale_s past its ttl); None on a miss."""
        raw = await self._front.get(key)
        if raw is None:
            raw = await self._call(self._backend.get(key))
            if raw is not None:
                await self._front.put(key, raw, self.config.stale_s + self.config.ttl_s)
        entry = Entry.decode(raw) if raw is not None else None
        if entry is None:
            return None
        if entry.fresh(time.time()) or stale_ok:
            return entry
        return None

    def put(self, key: str, entry: Entry, *, sensitive: bool) -> None:
        """Store an answer in the background; a sensitive one only on the premises."""
        if sensitive and not self.on_premises:
            return
        raw = entry.encode()
        if len(raw) > self.config.max_entry_bytes:
            return
        keep_s = self.config.ttl_s + (
            self.config.stale_s if self.config.serve_stale_on_failure else 0.0
        )
        task = asyncio.get_running_loop().create_task(self._store(key, raw, keep_s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store(self, key: str, raw: bytes, keep_s: float) -> None:
        await self._front.put(key, raw, keep_s)
        await self._call(self._backend.put(key, raw, keep_s))

    async def _call(self, operation: Any) -> Any:
        if time.monotonic() < self._open_until:
            operation.close()
            return None
        errors: tuple[type[BaseException], ...] = (TimeoutError, OSError, *self._backend.errors)
        try:
            return await asyncio.wait_for(operation, self.config.timeout_s)
        except errors as exc:
            self._failed(exc)
        return None

    def _failed(self, exc: BaseException) -> None:
        self._open_until = time.monotonic() + BREAKER_COOLDOWN_S
        log.warning(
            "cache unavailable; answering without it",
            extra={"event": "cache.unavailable", "error": type(exc).__name__},
        )

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        await self._backend.close()


def open_cache(config: CacheConfig, *, store_url: str) -> ResponseCache | None:
    # (store_url is the config's store, already resolved against the config file's folder)
    """The cache a config asks for, or None when it is off (ttl_s 0)."""
    if config.ttl_s <= 0:
        return None
    backend: Backend
    if config.store is not None:
        backend = RedisBackend(
            config.store,
            on_premises=bool(config.on_premises),
            timeout_s=config.timeout_s,
        )
    elif store_url.startswith("sqlite:///") and store_url != "sqlite:///:memory:":
        backend = SqliteBackend(
            store_url.removeprefix("sqlite:///"),
            max_entries=config.max_entries,
            busy_timeout_s=config.timeout_s,
        )
    else:
        backend = MemoryBackend(config.max_entries)
    if config.on_premises is not None and config.store is None:
        backend.on_premises = config.on_premises
    return ResponseCache(config, backend)
