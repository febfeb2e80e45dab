"""tiergate's HTTP/1.1 server: an ASGI 3 server on httptools and asyncio (uvloop when installed).

It does what the gateway's app needs and nothing else: keep-alive, pipelining,
`Expect: 100-continue`, bodies of any size with read back-pressure, responses
with a length (head and body in one write) or chunked, write back-pressure for
slow readers, `http.disconnect`, the lifespan protocol, and a graceful stop on
SIGTERM/SIGINT (stop accepting, close idle connections, let requests in flight
finish, cancel what is left after the timeout, then the lifespan's shutdown; the
signal is raised again at the end so the exit status says what stopped it).

Why not uvicorn: its generic per-request work (message checks, two header regexes
per header, a keep-alive timer armed and cancelled per request, two writes per
response) cost ~40 µs of CPU a request on this stack, an eighth of a whole free
request through the gateway. This server does the same exchange in ~15
(benchmarks/bench_wrk.py and docs/perf.md have the figures).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import signal
import socket
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import FrameType
from typing import Any

import httptools

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
               Awaitable[None]]  # fmt: skip

log = logging.getLogger("tiergate.http")

# A request body buffered beyond this pauses reading until the app takes it (receive()).
HIGH_WATER = 64 * 1024
# A request line and headers longer than this get 431 (llhttp itself sets no limit).
MAX_HEAD_BYTES = 64 * 1024
KEEP_ALIVE_S = 5.0
TICK_S = 0.1  # how often the server looks at its exit flag and its clock
STARTUP_FAILED = 3  # the exit status when the app's start-up fails (as uvicorn's)

_ASGI = {"version": "3.0", "spec_version": "2.3"}
_DISCONNECT: Message = {"type": "http.disconnect"}
# Never in a header name (token characters only) / value (no control characters but tab).
_BAD_NAME = re.compile(rb'[\x00-\x20\x7f()<>@,;:\\"/\[\]?={}]')
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_STATUS = {
    code: f"HTTP/1.1 {code} {phrase}\r\n".encode()
    for code, phrase in (
        (100, "Continue"), (200, "OK"), (201, "Created"), (202, "Accepted"), (204, "No Content"),
        (206, "Partial Content"), (301, "Moved Permanently"), (302, "Found"),
        (304, "Not Modified"), (307, "Temporary Redirect"), (308, "Permanent Redirect"),
        (400, "Bad Request"), (401, "Unauthorized"), (402, "Payment Required"),
        (403, "Forbidden"), (404, "Not Found"), (405, "Method Not Allowed"),
        (406, "Not Acceptable"), (408, "Request Timeout"), (409, "Conflict"), (410, "Gone"),
        (411, "Length Required"), (413, "Content Too Large"), (415, "Unsupported Media Type"),
        (422, "Unprocessable Content"), (429, "Too Many Requests"),
        (431, "Request Header Fields Too Large"), (499, "Client Closed Request"),
        (500, "Internal Server Error"), (501, "Not Implemented"), (502, "Bad Gateway"),
        (503, "Service Unavailable"), (504, "Gateway Timeout"),
    )
}  # fmt: skip


def _status_line(status: int) -> bytes:
    line = _STATUS.get(status)
    if line is None:
        if not 100 <= status <= 999:
            raise RuntimeError(f"invalid HTTP status {status!r}")
        line = b"HTTP/1.1 %d \r\n" % status
    return line


class _Clock:
    """The `date:` header, made once a second, not once a response."""

    def __init__(self) -> None:
        self.second = 0
        self.header = b""
        self.update()

    def update(self) -> None:
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.header = b"date: " + email.utils.formatdate(now, usegmt=True).encode() + b"\r\n"


class _Request:
    """One request on a connection and its response: what receive() and send() work on."""

    __slots__ = (
        "body",
        "body_done",
        "chunked",
        "complete",
        "conn",
        "disconnected",
        "expect_continue",
        "head",
        "head_request",
        "keep_alive",
        "length_left",
        "ready",
        "scope",
        "started",
        "waiter",
    )  # fmt: skip

    def __init__(self, conn: _Connection, scope: Scope, keep_alive: bool, expect: bool) -> None:
        self.conn = conn
        self.scope = scope
        self.body = bytearray()
        self.body_done = False
        self.ready = False  # something happened since the last receive()
        self.waiter: asyncio.Future[None] | None = None
        self.expect_continue = expect
        self.keep_alive = keep_alive
        self.started = False
        self.complete = False
        self.chunked = False
        self.length_left = 0
        self.head: bytes | None = None  # a head kept back to leave with the body in one write
        self.head_request = scope["method"] == "HEAD"
        self.disconnected = False

    def wake(self) -> None:
        self.ready = True
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def run(self, app: App) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                log.error("Exception in ASGI application", exc_info=exc)
            if not self.started:
                self.conn.answer_500()
            elif not self.complete:
                self.conn.transport.close()
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
        else:
            if not self.started and not self.disconnected:
                log.error("the app returned without starting a response")
                self.conn.answer_500()
            elif not self.complete and not self.disconnected:
                log.error("the app returned without completing its response")
                self.conn.transport.close()

    async def receive(self) -> Message:
        conn = self.conn
        if self.expect_continue:
            self.expect_continue = False
            if not conn.transport.is_closing():
                conn.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if not (self.disconnected or self.complete):
            conn.resume_reading()
            if not self.ready:  # wait for body bytes, the body's end, the response's end or
                self.waiter = conn.loop.create_future()  # the client leaving
                await self.waiter
            self.ready = False
        if self.disconnected or self.complete:
            return _DISCONNECT
        body = bytes(self.body)
        self.body.clear()
        return {"type": "http.request", "body": body, "more_body": not self.body_done}

    async def send(self, message: Message) -> None:
        conn = self.conn
        if conn.write_paused and not self.disconnected:
            await conn.drain()
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
            self._start(message["status"], message.get("headers") or ())  # raises on a bad head
            self.started = True
            self.expect_continue = False
            return
        if self.complete or kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r} after the response")
        body = message.get("body", b"")
        more = message.get("more_body", False)
        head, self.head = self.head, None
        if self.head_request:
            data = body = b""
        elif self.chunked:
            data = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            if not more:
                data += b"0\r\n\r\n"
        else:
            self.length_left -= len(body)
            if self.length_left < 0:
                raise RuntimeError("the response is longer than its content-length")
            data = body
        if head is not None:
            data = head + data
        if data:
            conn.transport.write(data)
        if not more:
            if self.length_left != 0 and not self.chunked and not self.head_request:
                raise RuntimeError("the response is shorter than its content-length")
            self.complete = True
            self.wake()
            conn.finished(self)

    def _start(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        parts = [_status_line(status), self.conn.clock.header]
        names = []
        values = []
        length: int | None = None
        chunked = False
        for name, value in headers:
            names.append(name)
            values.append(value)
            lowered = name.lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = value.lower() == b"chunked"
            elif lowered == b"connection" and b"close" in value.lower():
                self.keep_alive = False
            parts += (name, b": ", value, b"\r\n")
        # One search over all names and one over all values: neither set can match across a join.
        if _BAD_NAME.search(b"".join(names)) or _BAD_VALUE.search(b"".join(values)):
            raise RuntimeError("invalid character in a response header")
        if not self.keep_alive:
            parts.append(b"connection: close\r\n")
        no_body = self.head_request or status in (204, 304) or 100 <= status < 200
        if length is not None and not chunked:
            self.length_left = 0 if no_body else length
        elif not no_body:
            if not chunked:
                parts.append(b"transfer-encoding: chunked\r\n")
            self.chunked = True
        parts.append(b"\r\n")
        head = b"".join(parts)
        if length is not None and not chunked:
            self.head = head  # an answer of known length: its head leaves with its body
        else:
            self.conn.transport.write(head)  # a stream: the caller sees the head at once


class _HeadTooLarge(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One client connection: parses requests, runs them one at a time, in order."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.app = server.app
        self.loop = server.loop
        self.clock = server.clock
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.parser = httptools.HttpRequestParser(self)
        self.client: tuple[str, int] | None = None
        self.local: tuple[str, int] | None = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.expect = False
        self.head_bytes = 0
        self.parsing: _Request | None = None  # the request whose bytes are arriving
        self.current: _Request | None = None  # the request being answered
        self.waiting: deque[_Request] = deque()  # pipelined requests behind it
        self.read_paused = False
        self.write_paused = False
        self.writable: asyncio.Future[None] | None = None
        self.idle_ticks = 0
        self.closing = False  # the server is stopping: close after the current response

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.server.connections.add(self)
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.local = (str(local[0]), int(local[1])) if isinstance(local, tuple) else None

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        for request in (self.current, *self.waiting):
            if request is not None and not request.complete:
                request.disconnected = True
            if request is not None:
                request.wake()
        self.waiting.clear()
        self.write_paused = False
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.idle_ticks = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # No protocol switch here: the request is served as plain HTTP, then the
            # connection closes (what follows the head is not HTTP/1.1).
            if self.parsing is not None:
                self.parsing.keep_alive = False
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._answer(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
                    b"The request line and headers are over %d bytes." % MAX_HEAD_BYTES,
                )
                return
            log.warning("invalid HTTP request received", extra={"error": str(exc)})
            self.answer_400(b"Invalid HTTP request received.")

    def eof_received(self) -> bool | None:
        return None

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.writable is not None and not self.writable.done():
            self.writable.set_result(None)
        self.writable = None

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.expect = False
        self.head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._count(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect = True
        self.headers.append((name, value))

    def _count(self, size: int) -> None:
        self.head_bytes += size
        if self.head_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge

    def on_headers_complete(self) -> None:
        parser = self.parser
        url = httptools.parse_url(self.url)
        raw_path = url.path
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path)
        version = parser.get_http_version()
        scope: Scope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version,
            "server": self.local,
            "client": self.client,
            "scheme": "http",
            "method": parser.get_method().decode("ascii"),
            "root_path": "",
            "path": path,
            "raw_path": raw_path,
            "query_string": url.query or b"",
            "headers": self.headers,
        }
        keep_alive = parser.should_keep_alive() and not self.closing
        request = _Request(self, scope, keep_alive, self.expect)
        self.parsing = request
        if self.current is None or self.current.complete:
            self._start(request)  # the one before may still be finishing after its answer
        else:
            self.waiting.append(request)  # pipelined: it runs when the one before is answered
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        request = self.parsing
        if request is None or request.complete:
            return  # answered already: the rest of its body is read and dropped
        request.body += body
        if len(request.body) > HIGH_WATER:
            self.pause_reading()
        request.wake()

    def on_message_complete(self) -> None:
        request = self.parsing
        if request is None or request.complete:
            return
        request.body_done = True
        request.wake()

    # -- requests ----------------------------------------------------------------------------

    def _start(self, request: _Request) -> None:
        self.current = request
        task = self.loop.create_task(request.run(self.app))
        self.server.tasks.add(task)
        task.add_done_callback(self.server.tasks.discard)

    def finished(self, request: _Request) -> None:
        """The response was sent in full: close, or go on with the next request."""
        # A body the client was told to hold back (Expect: 100-continue, never invited) may
        # still come or not: the connection's next bytes are no longer certain to be a request.
        if not request.keep_alive or self.closing or request.expect_continue:
            self.transport.close()
            return
        if self.waiting:
            self._start(self.waiting.popleft())
            if not self.waiting:
                self.resume_reading()
        else:
            self.resume_reading()

    def shutdown(self) -> None:
        """The server stops: close now if idle, else after the current response."""
        self.closing = True
        if self.idle():
            self.transport.close()

    def idle(self) -> bool:
        return (self.current is None or self.current.complete) and not self.waiting

    def tick(self, keep_alive_s: float) -> None:
        """Once a second: close a keep-alive connection idle for keep_alive_s."""
        if self.idle():
            self.idle_ticks += 1
            if self.idle_ticks >= keep_alive_s:
                self.transport.close()

    def pause_reading(self) -> None:
        if not self.read_paused:
            self.read_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused and not self.waiting:
            self.read_paused = False
            self.transport.resume_reading()

    async def drain(self) -> None:
        if self.writable is None:
            self.writable = self.loop.create_future()
        await self.writable

    def answer_400(self, message: bytes) -> None:
        self._answer(b"HTTP/1.1 400 Bad Request\r\n", message)

    def answer_500(self) -> None:
        self._answer(b"HTTP/1.1 500 Internal Server Error\r\n", b"Internal Server Error")

    def _answer(self, status: bytes, body: bytes) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(
            status + self.clock.header + b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%b" % (len(body), body)
        )
        self.transport.close()


class _Lifespan:
    """The ASGI lifespan protocol: the app's start-up before serving, its shutdown after."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.started = asyncio.Event()
        self.stopped = asyncio.Event()
        self.failed = False
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> bool:
        self.task = asyncio.get_running_loop().create_task(self._main())
        await self.messages.put({"type": "lifespan.startup"})
        await self.started.wait()
        return not self.failed

    async def shutdown(self) -> None:
        if self.task is None or self.task.done():
            return
        await self.messages.put({"type": "lifespan.shutdown"})
        await self.stopped.wait()

    async def _main(self) -> None:
        scope: Scope = {"type": "lifespan", "asgi": _ASGI, "state": {}}
        try:
            await self.app(scope, self.messages.get, self._send)
        except BaseException as exc:
            if not self.started.is_set():
                self.failed = True
            log.error("Exception in the app's lifespan", exc_info=exc)
        finally:
            self.started.set()
            self.stopped.set()

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self.started.set()
        elif kind == "lifespan.startup.failed":
            self.failed = True
            log.error("Application startup failed: %s", message.get("message", ""))
            self.started.set()
        elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            if kind.endswith("failed"):
                log.error("Application shutdown failed: %s", message.get("message", ""))
            self.stopped.set()


class Server:
    """Serves an ASGI app on sockets (or host and port) until should_exit is set or a signal."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        graceful_s: float | None = None,
        keep_alive_s: float = KEEP_ALIVE_S,
        backlog: int = 2048,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.graceful_s = graceful_s
        self.keep_alive_s = keep_alive_s
        self.backlog = backlog
        self.clock = _Clock()
        self.connections: set[_Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.started = False
        self.should_exit = False
        self.force_exit = False
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self._signals: list[int] = []

    # -- in the main thread: `tiergate serve` --------------------------------------------------

    def run(self, sockets: list[socket.socket] | None = None) -> int:
        """Serve until a stop signal; the exit status (STARTUP_FAILED if the app would not
        start). A stop signal is raised again once everything stopped, with its default
        action back, as servers do so that a supervisor sees how the process ended."""
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self._signalled)
        try:
            started = _run(self.serve(sockets))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        for signum in reversed(self._signals):
            signal.raise_signal(signum)
        return 0 if started else STARTUP_FAILED

    def _signalled(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl-C: stop waiting for requests in flight
        else:
            self.should_exit = True
        self._signals.append(sig)

    # -- anywhere --------------------------------------------------------------------------------

    async def serve(self, sockets: list[socket.socket] | None = None) -> bool:
        """Start the app, serve until should_exit, stop; False if the app failed to start."""
        self.loop = asyncio.get_running_loop()
        lifespan = _Lifespan(self.app)
        if not await lifespan.startup():
            log.error("Application startup failed. Exiting.")
            return False
        log.info("Application startup complete.")
        try:
            servers = await self._listen(sockets)
        except OSError as exc:
            log.error("cannot listen: %s", exc)
            await lifespan.shutdown()
            return False
        self.started = True
        try:
            await self._main_loop()
        finally:
            await self._stop(servers)
            await lifespan.shutdown()
            log.info("Application shutdown complete.")
        return True

    async def _listen(self, sockets: list[socket.socket] | None) -> list[asyncio.Server]:
        loop = self.loop

        def factory() -> _Connection:
            return _Connection(self)

        if sockets:
            servers = [
                await loop.create_server(factory, sock=sock, backlog=self.backlog)
                for sock in sockets
            ]
        else:
            servers = [
                await loop.create_server(
                    factory, host=self.host, port=self.port, backlog=self.backlog,
                    reuse_address=True,
                )
            ]  # fmt: skip
        for server in servers:
            for sock in server.sockets:
                name = sock.getsockname()
                log.info("tiergate serving on http://%s:%d (Ctrl+C stops it)", *name[:2])
        return servers

    async def _main_loop(self) -> None:
        ticks_per_second = round(1 / TICK_S)
        count = 0
        while not self.should_exit:
            await asyncio.sleep(TICK_S)
            count += 1
            if count % ticks_per_second == 0:
                self.clock.update()
                for conn in list(self.connections):
                    conn.tick(self.keep_alive_s)

    async def _stop(self, servers: list[asyncio.Server]) -> None:
        log.info("Shutting down")
        for server in servers:
            server.close()
        for conn in list(self.connections):
            conn.shutdown()
        deadline = None if self.graceful_s is None else self.loop.time() + self.graceful_s
        while (self.connections or self.tasks) and not self.force_exit:
            if deadline is not None and self.loop.time() >= deadline:
                break
            await asyncio.sleep(TICK_S)
        if self.tasks:
            log.warning(
                "cancelling %d request(s) still running after the graceful timeout",
                len(self.tasks),
            )
            for task in list(self.tasks):
                task.cancel()
            await asyncio.wait(list(self.tasks), timeout=5)
        for conn in list(self.connections):
            conn.transport.close()


def _run(coroutine: Awaitable[bool]) -> bool:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    return uvloop.run(coroutine)  # type: ignore[arg-type]
