"""The floor tiergate is measured against: a bare pass-through proxy.

uvicorn with uvloop and httptools, one aiohttp session, the request body forwarded as bytes
to the upstream's /v1/chat/completions and the answer returned as it came. No parsing, no
routing, no ledger. This is the floor issue 8 defines (the stack tiergate ran on then).

`--own-stack` runs the same proxy on the parts tiergate itself now uses: its HTTP server
(tiergate/httpd.py) in front and its plain-HTTP client (tiergate/http1.py) behind. Whatever
tiergate adds above that one is the cost of tiergate's own work, with no stack in between.

    python benchmarks/bare_proxy.py PORT UPSTREAM_BASE_URL [--own-stack]
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn

Scope = MutableMapping[str, Any]


async def read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def respond(
    send: Callable[[dict[str, Any]], Awaitable[None]], status: int, payload: bytes
) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(payload)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def app_for(upstream: str) -> Callable[..., Awaitable[None]]:
    session: aiohttp.ClientSession | None = None

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        nonlocal session
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    session = aiohttp.ClientSession(
                        connector=aiohttp.TCPConnector(limit=0), auto_decompress=False
                    )
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if session is not None:
                        await session.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = await read_body(receive)
        assert session is not None
        async with session.post(
            upstream + "/chat/completions",
            data=body,
            headers={"content-type": "application/json"},
        ) as response:
            payload = await response.read()
            status = response.status
        await respond(send, status, payload)

    return app


def own_stack_app(upstream: str) -> Callable[..., Awaitable[None]]:
    from urllib.parse import urlsplit

    from tiergate.http1 import Pool

    parts = urlsplit(upstream)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    pool = Pool()

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    pool.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = await read_body(receive)
        conn = await pool.connect(host, port, 5.0)
        response = await pool.send(conn, head, body)
        payload = await response.read(1 << 24)
        response.release()
        await respond(send, response.status, payload)

    return app


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    if "--own-stack" in sys.argv:
        from tiergate.httpd import Server

        sys.exit(Server(own_stack_app(upstream), port=port).run())
    uvicorn.run(
        app_for(upstream),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
