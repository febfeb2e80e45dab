"""A small HTTP/1.1 client for plain-HTTP providers (an on-premises Ollama, a LAN vLLM): the hot path.

aiohttp costs ~120 µs of CPU per request on top of the bytes it moves (request and response
objects, header multidicts, timers, payload registry); this client writes one prebuilt request
head plus the body and feeds the answer to httptools' C parser, at ~25 µs. It does only what
the gateway needs: POST with a known length, keep-alive connections pooled per host, answers
read whole (within a limit) or streamed chunk by chunk, `Content-Encoding: gzip/deflate`
decoded. TLS providers (the clouds, where a request takes hundreds of milliseconds anyway) keep
using aiohttp.

Failures are exceptions of this module, each saying whether the request may have reached the
server (`sent`), so that upstream.py can decide what it costs.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import cast

import httptools

# A streamed answer buffered beyond this pauses reading from the socket until it is consumed.
_HIGH_WATER = 1024 * 1024
_IDLE_PER_HOST = 64
_ONE_WRITE = 64 * 1024


class HttpError(Exception):
    """A transport failure. `sent`: the request may have reached the server."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class ConnectFailed(HttpError):
    """No connection was made: nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, sent=False)


class Disconnected(HttpError):
    """The connection closed or failed after the request was written."""


class Malformed(HttpError):
    """The answer is not HTTP/1.1 that can be read (or is over a limit)."""


class Deadline:
    """`with Deadline(seconds):` in a task: what `async with asyncio.timeout(seconds):` does, for
    a third of its CPU (it runs on every upstream request). At the deadline the task is
    cancelled; leaving the block turns that cancellation into TimeoutError. A cancellation
    from outside (the caller left) stays a CancelledError, even when both happen: as in
    asyncio.timeout, `uncancel()` tells whether any request but ours is pending."""

    __slots__ = ("_cancelling", "_expired", "_handle", "_seconds", "_task")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._expired = False

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadline must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._handle = task.get_loop().call_later(self._seconds, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._handle.cancel()
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and et is asyncio.CancelledError
        ):
            raise TimeoutError from ev


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self, pool: Pool, key: tuple[str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.error: HttpError | None = None
        self.headers_done: asyncio.Future[None] | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self._name = b""
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.readable: asyncio.Future[None] | None = None
        self.paused = False
        self.got_bytes = False
        self.keep_alive = True

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's does not subclass it

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(Malformed("the provider asked to upgrade the connection", sent=True))
        except httptools.HttpParserError as exc:
            self._fail(Malformed(f"unreadable HTTP answer ({exc})", sent=True))

    def eof_received(self) -> bool | None:
        return False  # let connection_lost follow

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        delimited_by_close = "content-length" not in self.headers and (
            "transfer-encoding" not in self.headers
        )
        if self.status and not self.complete and exc is None and delimited_by_close:
            self.complete = True  # an answer without a length ends with the connection
            self.keep_alive = False
            self._wake()
        if not self.complete:
            detail = f": {exc}" if exc else ""
            self._fail(Disconnected(f"the provider closed the connection{detail}", sent=True))

    # -- httptools callbacks -------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        if self.headers_done is not None and not self.headers_done.done():
            self.headers_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # -- requests ------------------------------------------------------------------------------

    def _fail(self, error: HttpError) -> None:
        if self.error is None:
            self.error = error
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        if self.headers_done is not None and not self.headers_done.done():
            self.headers_done.set_exception(error)
            self.headers_done.exception()  # retrieved: the caller may be gone already
        self._wake()

    def _wake(self) -> None:
        if self.readable is not None and not self.readable.done():
            self.readable.set_result(None)

    def reset(self) -> None:
        # The parser carries on to the next answer of a keep-alive connection by itself.
        self.status = 0
        self.headers = {}
        self.chunks.clear()
        self.buffered = 0
        self.complete = False
        self.got_bytes = False
        self.error = None

    def take_all(self) -> bytes:
        """The whole buffered body at once (once the answer is complete)."""
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.buffered = 0
        if self.paused and self.transport:
            self.paused = False
            self.transport.resume_reading()
        return body

    async def next_chunk(self) -> bytes | None:
        """The next piece of the body as received (decoded later), None at its end."""
        while True:
            if self.chunks:
                chunk = self.chunks.popleft()
                self.buffered -= len(chunk)
                if self.paused and self.buffered <= _HIGH_WATER // 2 and self.transport:
                    self.paused = False
                    self.transport.resume_reading()
                return chunk
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            self.readable = asyncio.get_running_loop().create_future()
            await self.readable
            self.readable = None


class Response:
    """An answer whose head has arrived. Read its body once (read() or chunks()), then release()."""

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.status = conn.status
        self.headers = conn.headers
        self._decoder: zlib._Decompress | None = None
        encoding = conn.headers.get("content-encoding")
        if encoding is not None:  # most answers have none
            encoding = encoding.strip().lower()
            if encoding in ("gzip", "x-gzip", "deflate"):
                self._decoder = zlib.decompressobj(wbits=47)
            elif encoding not in ("identity", ""):
                raise Malformed(
                    f"an answer in an unsupported Content-Encoding {encoding!r}", sent=True
                )
        self._released = False

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, decoded, as it arrives."""
        conn = self._conn
        while (chunk := await conn.next_chunk()) is not None:
            if self._decoder is not None:
                try:
                    chunk = self._decoder.decompress(chunk)
                except zlib.error as exc:
                    raise Malformed(
                        f"an undecodable compressed answer ({exc})", sent=True
                    ) from None
            if chunk:
                yield chunk

    async def read(self, limit: int) -> bytes:
        """The whole body; Malformed once it passes `limit` bytes."""
        conn = self._conn
        if conn.complete and self._decoder is None:
            # All of it came with the head (a short answer usually does): no chunk-by-chunk wait.
            if conn.buffered > limit:
                raise Malformed(f"an answer over {limit} bytes", sent=True)
            return conn.take_all()
        parts: list[bytes] = []
        size = 0
        async for chunk in self.chunks():
            size += len(chunk)
            if size > limit:
                raise Malformed(f"an answer over {limit} bytes", sent=True)
            parts.append(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def release(self) -> None:
        """Give the connection back for reuse if its answer was read to the end, else close it."""
        if self._released:
            return
        self._released = True
        self._conn.pool.give_back(self._conn)


class Pool:
    """Keep-alive connections per (host, port)."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._all: set[_Connection] = set()

    def idle(self, host: str, port: int) -> _Connection | None:
        """An idle keep-alive connection to host:port, if one is open: no await needed."""
        idle = self._idle.get((host, port))
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                conn.reset()
                return conn
            self._all.discard(conn)
        return None

    async def connect(self, host: str, port: int, timeout: float) -> _Connection:
        """An idle keep-alive connection to host:port, or a new one (ConnectFailed if none)."""
        return self.idle(host, port) or await self._open(host, port, timeout)

    async def send(self, conn: _Connection, head: bytes, body: bytes) -> Response:
        """Write `head` (request line and headers, without Content-Length) and `body` on `conn`;
        wait for the answer's head. The caller bounds the wait (Deadline)."""
        conn.headers_done = asyncio.get_running_loop().create_future()
        assert conn.transport is not None
        length = b"Content-Length: %d\r\n\r\n" % len(body)
        if len(body) <= _ONE_WRITE:
            conn.transport.write(head + length + body)  # one syscall for the usual request
        else:
            conn.transport.write(head + length)
            conn.transport.write(body)
        try:
            await conn.headers_done
            return Response(conn)
        except BaseException:
            self.discard(conn)
            raise

    async def _open(self, host: str, port: int, connect_timeout: float) -> _Connection:
        key = (host, port)
        loop = asyncio.get_running_loop()
        try:
            with Deadline(connect_timeout):
                _, conn = await loop.create_connection(lambda: _Connection(self, key), host, port)
        except TimeoutError:
            raise ConnectFailed(
                f"no connection to {host}:{port} within {connect_timeout:g}s"
            ) from None
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {host}:{port}: {exc}") from None
        self._all.add(conn)
        return conn

    def give_back(self, conn: _Connection) -> None:
        if conn.complete and conn.keep_alive and not conn.closed and not conn.chunks:
            idle = self._idle.get(conn.key)
            if idle is None:
                idle = self._idle[conn.key] = []
            if len(idle) < _IDLE_PER_HOST:
                idle.append(conn)
                return
        self.discard(conn)

    def discard(self, conn: _Connection) -> None:
        conn.closed = True
        if conn.transport is not None:
            conn.transport.close()
        self._all.discard(conn)

    def close(self) -> None:
        for conn in list(self._all):
            self.discard(conn)
        self._idle.clear()


__all__ = [
    "ConnectFailed",
    "Deadline",
    "Disconnected",
    "HttpError",
    "Malformed",
    "Pool",
    "Response",
]
