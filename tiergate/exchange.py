"""One HTTP exchange around whatever endpoint serves it: its id, its access-log line, its last word.

Whatever the endpoint (and whoever wrote it), every response leaves with
`x-tiergate-request-id`: the id is made once when the request arrives, the
routed call reuses it, and a response that does not carry it gets it stamped on.
When the request is over, one structured line goes to the access log. A 429
`budget_exhausted` says when to retry. And when the shutdown grace runs out,
the request still gets a proper answer (see shutdown.py).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from .errors import BudgetExhausted, TiergateError
from .ingress import error_body
from .logs import Exchange, access
from .shutdown import SHUTDOWN, Shutdown, ShuttingDown, interrupted_message, interruption

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Dispatch = Callable[[Scope, Receive, Send], Awaitable[None]]

KEY = "tiergate.exchange"  # where a handler finds the Exchange in the ASGI scope
REQUEST_ID = b"x-tiergate-request-id"
# Longer than this, a client should not sit and wait (the openai SDK honours at most 60 s):
# the 429 then also says x-should-retry: false.
WAIT_AT_MOST_S = 60


def of(scope: Scope) -> Exchange:
    """The exchange the server opened for this request."""
    exchange: Exchange = scope[KEY]
    return exchange


async def handle(dispatch: Dispatch, scope: Scope, receive: Receive, send: Send, *,
                 shutdown: Shutdown) -> None:  # fmt: skip
    exchange = Exchange.begin(scope["method"], scope["path"])
    scope[KEY] = exchange
    stamped = _stamp(send, exchange)
    task = shutdown.enter(exchange)
    try:
        if shutdown.expired:
            await _error(stamped, exchange, ShuttingDown(interrupted_message(shutdown.grace_s)))
            return
        await dispatch(scope, receive, stamped)
    except asyncio.CancelledError:
        if exchange.outcome != SHUTDOWN or task is None:
            raise
        task.uncancel()  # our own cancel: the request is answered, the server carries on
        await _last_word(stamped, exchange, shutdown.grace_s)
    finally:
        shutdown.leave(task)
        access(exchange)


def retry_headers(exc: TiergateError, now: datetime | None = None) -> list[tuple[bytes, bytes]]:
    """A 429 budget_exhausted: Retry-After (seconds until the cap resets) and, when that is
    longer than a client should wait or unknown, x-should-retry: false."""
    if not isinstance(exc, BudgetExhausted):
        return []
    if exc.resets_at is None:
        return [(b"x-should-retry", b"false")]
    seconds = max(1, math.ceil((exc.resets_at - (now or datetime.now(UTC))).total_seconds()))
    headers = [(b"retry-after", str(seconds).encode())]
    if seconds > WAIT_AT_MOST_S:
        headers.append((b"x-should-retry", b"false"))
    return headers


def _stamp(send: Send, exchange: Exchange) -> Send:
    async def stamped(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = message.get("headers") or ()
            if not isinstance(headers, list | tuple):
                headers = list(headers)  # read twice below: an iterator would be empty the 2nd time
            if not exchange.note_response(message["status"], headers):
                headers = [*headers, (REQUEST_ID, exchange.request_id.encode())]
                message = {**message, "headers": headers}
        elif kind == "http.response.body" and not message.get("more_body"):
            exchange.finished = True
        await send(message)

    return stamped


async def _last_word(send: Send, exchange: Exchange, grace_s: float) -> None:
    if exchange.finished:
        return
    if exchange.status is None:
        await _error(send, exchange, ShuttingDown(interrupted_message(grace_s)))
        return
    await send(
        {
            "type": "http.response.body",
            "body": interruption(exchange.content_type, grace_s),
            "more_body": True,
        }
    )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _error(send: Send, exchange: Exchange, exc: TiergateError) -> None:
    body = error_body(exchange.path, exc)  # in the format of the API the caller spoke
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
