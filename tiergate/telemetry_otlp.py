"""OTLP/HTTP export of finished spans: protobuf written here, posted in batches from one thread.

The SDK's exporter builds a protobuf object per span, attribute and value and serialises
them (~110 µs a span on the 2-core bench machine, in a thread that competes with the
event loop for the GIL and the core). Here a span's fields are written straight as
protobuf wire bytes, and a group of attributes seen before (a provider's facts, an
outcome) reuses its bytes: ~8 µs a span. The output is byte for byte what the SDK's
`encode_spans` makes of the same spans as ReadableSpans (a test holds the two side by
side).

The batching is the SDK BatchSpanProcessor's: a span waits at most 5 s, or until 512 are
queued; past 2048 queued, new spans are dropped and counted. Each batch is one
ExportTraceServiceRequest POSTed with `content-type: application/x-protobuf`; 429, 502,
503, 504 and connection errors are retried with backoff (honouring Retry-After) within
`telemetry.timeout_s`, as the SDK's exporter does.
"""

from __future__ import annotations

import atexit
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from struct import Struct
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import requests
    from opentelemetry.trace import TraceState

log = logging.getLogger(__name__)

SCHEDULE_DELAY_S = 5.0
MAX_QUEUE = 2048
MAX_BATCH = 512
SLICE = 8  # spans encoded (~70 µs) between two chances for the event loop to take the GIL
RETRYABLE = frozenset({429, 502, 503, 504})
MAX_TRIES = 6

# A span's attributes in groups, each a flat (key, value, key, value, ...) tuple. Groups
# recur (a provider's attempt facts, an outcome), so the encoder writes each distinct group
# once and reuses its bytes. Values are str or int; a key never takes a bool or a float (True
# == 1 and 1.0 == 1, so a reused group could otherwise carry the other type).
Attributes = Sequence[tuple[Any, ...]]


class Parent(Protocol):
    """A span's parent: the caller's SpanContext (remote) or the request span (local)."""

    @property
    def span_id(self) -> int: ...

    @property
    def is_remote(self) -> bool: ...


class Finished(Protocol):
    """A finished span as the export reads it: it no longer changes, so any thread may read it."""

    trace_id: int
    span_id: int
    start: int
    end: int

    @property
    def parent(self) -> Parent | None: ...

    @property
    def trace_state(self) -> TraceState | None: ...

    def describe(self) -> tuple[str, int, Attributes, str | None]:
        """(name, kind as OTLP numbers it: 2 server, 3 client, attribute groups, error or None)."""
        ...


# -- protobuf wire format ------------------------------------------------------------------

_TIMES = Struct("<BQBQ").pack  # start_time_unix_nano (7), end_time_unix_nano (8): fixed64
_FIXED32 = Struct("<I").pack
_DOUBLE = Struct("<d").pack
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200  # SpanFlags
_FLAGS = b"\x85\x01"  # Span.flags (16), fixed32
# An empty Status (15) for an unset one, as the SDK writes it, then the flags.
_TAIL = {False: b"\x7a\x00" + _FLAGS + _FIXED32(_HAS_IS_REMOTE),
         True: b"\x7a\x00" + _FLAGS + _FIXED32(_HAS_IS_REMOTE | _IS_REMOTE)}  # fmt: skip


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field whose tag (field number << 3 | 2) fits one byte."""
    return bytes((tag,)) + _varint(len(payload)) + payload


def _any_value(value: Any) -> bytes:
    """AnyValue, for the types the SDK's encoder accepts."""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return _field(0x0A, value.encode())
    if isinstance(value, int):
        return b"\x18" + _varint(value & 0xFFFFFFFFFFFFFFFF)  # int64: two's complement
    if isinstance(value, float):
        return b"\x21" + _DOUBLE(value)
    if isinstance(value, bytes):
        return _field(0x3A, value)
    if isinstance(value, Sequence):
        return _field(0x2A, b"".join(_field(0x0A, _any_value(v)) for v in value))
    if isinstance(value, Mapping):
        return _field(0x32, b"".join(_field(0x0A, _key_value(str(k), v)) for k, v in value.items()))
    raise TypeError(f"attribute value of type {type(value).__name__}")


def _key_value(key: str, value: Any) -> bytes:
    return _field(0x0A, key.encode()) + _field(0x12, _any_value(value))


def _attribute(key: str, value: Any) -> bytes:
    """A Span.attributes (9) field: KeyValue{key, value}; short strings written in one go."""
    k = key.encode()
    if type(value) is str:
        v = value.encode()
        if len(k) + len(v) < 122:  # every length below fits one byte
            return b"".join((bytes((0x4A, len(k) + len(v) + 6, 0x0A, len(k))), k,
                             bytes((0x12, len(v) + 2, 0x0A, len(v))), v))  # fmt: skip
    return _field(0x4A, _key_value(key, value))


def encode_resource(attributes: Mapping[str, Any]) -> bytes:
    """A Resource message (its attributes, field 1)."""
    return b"".join(_field(0x0A, _key_value(k, v)) for k, v in attributes.items())


def encode_scope(name: str, version: str | None = None) -> bytes:
    """An InstrumentationScope message."""
    out = _field(0x0A, name.encode()) if name else b""
    return out + _field(0x12, version.encode()) if version else out


class Encoder:
    """Writes ExportTraceServiceRequest bytes for one resource and one instrumentation scope."""

    # A group led by one of these keys is new every time: never kept for reuse.
    UNIQUE = frozenset({"tiergate.request_id"})
    MAX_KEPT = 4096  # encodings kept at most; then forgotten and rebuilt as they come again

    def __init__(self, *, resource: bytes, scope: bytes) -> None:
        self._resource = _field(0x0A, resource)  # ResourceSpans.resource
        self._scope = _field(0x0A, scope)  # ScopeSpans.scope
        self._kept: dict[tuple[Any, ...], bytes] = {}  # attribute group -> its KeyValue fields
        self._names: dict[tuple[str, int], bytes] = {}  # (name, kind) -> their fields

    def request(self, spans: Sequence[Finished]) -> bytes:
        """The whole request body: one ResourceSpans with one ScopeSpans holding `spans`."""
        return self.wrap(b"".join([self.span(s) for s in spans]))

    def wrap(self, spans: bytes) -> bytes:
        """The request body around spans already encoded (by span(), one after another)."""
        return _field(0x0A, self._resource + _field(0x12, self._scope + spans))

    def span(self, span: Finished) -> bytes:
        """One Span as a ScopeSpans.spans field, in field-number order as protobuf writes it."""
        name, kind, groups, error = span.describe()
        parts = [b"\x0a\x10", span.trace_id.to_bytes(16, "big"), b"\x12\x08",
                 span.span_id.to_bytes(8, "big")]  # fmt: skip
        if span.trace_state:
            parts.append(
                _field(0x1A, ",".join(f"{k}={v}" for k, v in span.trace_state.items()).encode())
            )
        parent = span.parent
        remote = False
        if parent is not None:
            parts += (b"\x22\x08", parent.span_id.to_bytes(8, "big"))
            remote = parent.is_remote
        head = self._names.get((name, kind))
        if head is None:
            if len(self._names) >= self.MAX_KEPT:
                self._names.clear()
            head = self._names[name, kind] = _field(0x2A, name.encode()) + b"\x30" + _varint(kind)
        parts += (head, _TIMES(0x39, span.start, 0x41, span.end))
        kept = self._kept
        for group in groups:
            encoded = kept.get(group)
            if encoded is None:
                pairs = zip(group[::2], group[1::2], strict=True)
                encoded = b"".join([_attribute(k, v) for k, v in pairs])
                if group[0] not in self.UNIQUE:
                    if len(kept) >= self.MAX_KEPT:
                        kept.clear()
                    kept[group] = encoded
            parts.append(encoded)
        if error is None:
            parts.append(_TAIL[remote])
        else:  # Status{message: error, code: STATUS_CODE_ERROR}, then the flags
            flags = _HAS_IS_REMOTE | _IS_REMOTE if remote else _HAS_IS_REMOTE
            parts += (
                _field(0x7A, _field(0x12, error.encode()) + b"\x18\x02"),
                _FLAGS,
                _FIXED32(flags),
            )
        return _field(0x12, b"".join(parts))


# -- the export thread ---------------------------------------------------------------------


class OtlpExporter:
    """Queues finished spans (O(1) on the event loop) and posts them in batches from one thread."""

    def __init__(
        self,
        *,
        endpoint: str,
        headers: Mapping[str, str],
        timeout_s: float,
        encoder: Encoder,
        max_queue: int = MAX_QUEUE,
    ) -> None:
        self.endpoint = endpoint
        self.max_queue = max_queue
        self._headers = {"content-type": "application/x-protobuf", **headers}
        self._timeout_s = timeout_s
        self._encoder = encoder
        self._queue: deque[Finished] = deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._flushes = 0  # flush requests made; the thread answers each by emptying the queue
        self._flushed = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._session: requests.Session | None = None
        self.dropped = 0  # spans that found the queue full
        import requests  # here, not in the thread's first export: ~50 ms of CPU

        self._requests = requests

    def put(self, span: Finished) -> None:
        """Queue a finished span; called on the event loop, so it only appends."""
        queue = self._queue
        if len(queue) >= self.max_queue:
            self.dropped += 1
            return
        queue.append(span)
        if self._thread is None:
            self._start()
        elif len(queue) == MAX_BATCH:
            self._wake.set()

    def _start(self) -> None:
        """The export thread, started by the first span (so a process that forks first has it)."""
        with self._idle:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name="tiergate-otlp", daemon=True)
            self._thread.start()
        atexit.register(self.shutdown)  # as the SDK's provider does: what is queued goes out

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(SCHEDULE_DELAY_S)
            self._wake.clear()
            with self._idle:  # read before draining: what was queued before the ask goes out
                asked, stopping = self._flushes, self._stopping
            if stopping or asked > self._flushed:
                self._drain(len(self._queue))  # everything queued now
            else:  # a full batch (woken), or the delay is up: at least one batch
                self._drain(0 if woken else 1)
            with self._idle:
                self._flushed = asked
                self._idle.notify_all()
            if stopping:
                return

    def _drain(self, take: int) -> None:
        """Export `take` spans (in batches of up to MAX_BATCH), then only full batches.

        A batch is never posted just because spans arrived while the last one was out: at a
        steady rate that would post a few spans at a time, each post costing ~1 ms of CPU.
        """
        queue = self._queue
        while queue and (take > 0 or len(queue) >= MAX_BATCH):
            batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
            take -= len(batch)
            # This thread's boundary, like the server's error handler: whatever goes wrong
            # with one batch is logged and the thread goes on, or every later span is lost.
            try:
                self.post(self._encode(batch), len(batch))
            except Exception:
                log.exception("otlp: %d spans not exported to %s", len(batch), self.endpoint)

    def _encode(self, batch: list[Finished]) -> bytes:
        """The batch's request body, yielding the GIL every few spans.

        The event loop waits for the GIL while this thread holds it (up to the 5 ms switch
        interval), so the encoding goes in slices of SLICE spans with the loop let in between.
        """
        span, encoded = self._encoder.span, []
        for start in range(0, len(batch), SLICE):
            encoded += [span(s) for s in batch[start : start + SLICE]]
            time.sleep(0)  # releases the GIL: a waiting event loop takes it now
        return self._encoder.wrap(b"".join(encoded))

    def post(self, body: bytes, count: int) -> None:
        """POST one encoded batch, retrying what the OTLP/HTTP spec calls retryable."""
        requests = self._requests
        if self._session is None:
            self._session = requests.Session()
        deadline = time.monotonic() + self._timeout_s
        problem = "timed out"
        for attempt in range(MAX_TRIES):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            retry_after: float | None = None
            try:
                response = self._session.post(
                    self.endpoint, data=body, headers=self._headers, timeout=remaining
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.ok:
                    return
                problem = f"HTTP {response.status_code}"
                if response.status_code not in RETRYABLE:
                    break
                retry_after = _seconds(response.headers.get("retry-after"))
            delay = (
                retry_after if retry_after is not None else 2**attempt * random.uniform(0.8, 1.2)
            )
            if time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
        log.warning("otlp: %d spans not exported to %s (%s)", count, self.endpoint, problem)

    def force_flush(self, timeout_s: float = 30.0) -> bool:
        """Export everything queued now; blocks (never call it on the event loop)."""
        self._start()  # a no-op once it runs
        with self._idle:
            if self._stopping and not self._thread_alive():
                return not self._queue
            self._flushes += 1
            asked = self._flushes
            self._wake.set()
            return self._idle.wait_for(lambda: self._flushed >= asked, timeout_s)

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """A last export, then the thread ends; spans finished later are not exported."""
        with self._idle:
            self._stopping = True
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            atexit.unregister(self.shutdown)
        if self._session is not None:
            self._session.close()

    def _thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds (the delay-seconds form; a date is treated as absent)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


__all__ = ["Encoder", "Finished", "OtlpExporter", "encode_resource", "encode_scope"]
