"""The fake's life cycle: serve an aiohttp app on loopback, in a thread or the caller's loop.

Also the outage switch: kill() stops listening and drops open connections, revive()
listens again on the same port.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from abc import ABC, abstractmethod
from typing import Self

from aiohttp import web


class LoopbackServer(ABC):
    """Serves ``_application()`` on 127.0.0.1; FakeUpstream supplies the application."""

    def __init__(self, *, name: str, port: int) -> None:
        self.name = name
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._relisten: asyncio.Task[None] | None = None
        # Set on kill or stop: wakes every sleeping, hung or streaming handler.
        self._halt = asyncio.Event()
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None

    @abstractmethod
    def _application(self) -> web.Application:
        """The app to serve; built afresh by each astart()."""

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeUpstream has no port yet: call start() or astart() first")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def astart(self) -> Self:
        """Serve inside the caller's running event loop (no thread, no loop hop)."""
        if self._runner is not None:
            raise RuntimeError("FakeUpstream is already running")
        self._loop = asyncio.get_running_loop()
        self._halt = asyncio.Event()
        # handler_cancellation lets a hung or slow handler end when its client gives up.
        runner = web.AppRunner(
            self._application(), access_log=None, handler_cancellation=True, shutdown_timeout=0.5
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

    async def __aenter__(self) -> Self:
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
