"""The floor tiergate is measured against: a bare pass-through proxy on the same stack.

uvicorn with uvloop and httptools, one aiohttp session, the request body forwarded as bytes
to the upstream's /v1/chat/completions and the answer returned as it came. No parsing, no
routing, no ledger: whatever tiergate adds above this is tiergate's own cost.

    python benchmarks/bare_proxy.py PORT UPSTREAM_BASE_URL
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import aiohttp
import uvicorn

Scope = MutableMapping[str, Any]


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
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        assert session is not None
        async with session.post(
            upstream + "/chat/completions",
            data=body,
            headers={"content-type": "application/json"},
        ) as response:
            payload = await response.read()
            status = response.status
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    uvicorn.run(
        app_for(upstream),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
