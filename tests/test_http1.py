"""The plain-HTTP upstream client (tiergate/http1.py) against raw loopback servers that answer
in every shape HTTP/1.1 allows, and break in the ways real servers break.

Each server is a real asyncio TCP server on a loopback port writing bytes we choose, so the
client sees exactly what a misbehaving provider would send.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Awaitable, Callable

import pytest

from tiergate.config import ProviderConfig
from tiergate.errors import (
    UpstreamMalformed,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from tiergate.http1 import Deadline, Malformed, Pool
from tiergate.upstream import MAX_ERROR_BODY, Upstream, _fast_target

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
ANSWER = b'{"ok": true}'


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


def response(body: bytes, *extra: bytes, status: bytes = b"200 OK") -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n%s" % (status, headers, len(body), body)


class Server:
    """A loopback server running `handler` for each connection; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    def provider(self, **extra: object) -> ProviderConfig:
        return ProviderConfig.model_validate(
            {"name": "raw", "protocol": "openai", "tier": 1, "models": {"default": "m"},
             "base_url": f"http://127.0.0.1:{self.port}/v1", "api_key": "sk-test", **extra}
        )  # fmt: skip


def serve_forever(answer: bytes) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(answer)
            await writer.drain()

    return handler


async def post(server: Server, payload: bytes = b"{}", **extra: object) -> bytes:
    async with Upstream() as upstream:
        return await upstream.post(
            server.provider(**extra), "/chat/completions", payload, model="m"
        )


def test_a_request_carries_its_body_key_and_length() -> None:
    seen: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(response(ANSWER))
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            assert await post(server, b'{"a": "\xc3\xa9"}') == ANSWER

    asyncio.run(main())
    head, body = seen[0]
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer sk-test\r\n" in head
    assert b"\r\nContent-Length: 11\r\n" in head
    assert body == b'{"a": "\xc3\xa9"}'


def test_keep_alive_reuses_one_connection_and_replaces_one_the_server_closed() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(3):  # three answers, then the server closes the idle connection
            await read_request(reader)
            writer.write(response(ANSWER))
            await writer.drain()

    async def main() -> None:
        async with Server(handler) as server, Upstream() as upstream:
            provider = server.provider()
            for _ in range(3):
                assert (
                    await upstream.post(provider, "/chat/completions", b"{}", model="m") == ANSWER
                )
            assert server.connections == 1
            await asyncio.sleep(0.05)  # the close reaches the client while the connection idles
            assert await upstream.post(provider, "/chat/completions", b"{}", model="m") == ANSWER
            assert server.connections == 2

    asyncio.run(main())


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(response(gzip.compress(ANSWER), b"Content-Encoding: gzip"), id="gzip"),
        pytest.param(response(zlib.compress(ANSWER), b"Content-Encoding: deflate"), id="deflate"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'5\r\n{"ok"\r\n7\r\n: true}\r\n0\r\n\r\n',
            id="chunked",
        ),
    ],
)
def test_answers_in_every_framing_and_encoding_read_the_same(answer: bytes) -> None:
    async def main() -> None:
        async with Server(serve_forever(answer)) as server:
            assert await post(server) == ANSWER

    asyncio.run(main())


def test_an_answer_ended_by_closing_the_connection_is_read_whole() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + ANSWER)
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            assert await post(server) == ANSWER

    asyncio.run(main())


def test_a_refusal_is_read_only_so_far_and_an_unfinished_one_is_not_reused() -> None:
    # The refusal says a megabyte follows but sends 8 KB and stalls: the caller hears the
    # refusal from its first bytes, and that connection is never used again.
    partial = b'{"error": {"message": "' + b"x" * (4 * MAX_ERROR_BODY)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 1000000\r\n\r\n" + partial)
        await writer.drain()
        await read_request(reader)  # a reused connection would be answered nothing here

    async def main() -> None:
        async with Server(handler) as server, Upstream() as upstream:
            provider = server.provider(timeout_s=5)
            for _ in range(2):
                with pytest.raises(UpstreamRejected, match="HTTP 400") as caught:
                    await upstream.post(provider, "/chat/completions", b"{}", model="m")
                assert not caught.value.billable
            assert server.connections == 2

    asyncio.run(asyncio.wait_for(main(), 10))


@pytest.mark.parametrize(
    ("answer", "expected", "match"),
    [
        pytest.param(b"NOT HTTP AT ALL\r\n\r\n", UpstreamMalformed, "unreadable", id="garbage"),
        pytest.param(
            response(ANSWER, b"Content-Encoding: br"),
            UpstreamMalformed,
            "Content-Encoding",
            id="brotli",
        ),
        pytest.param(
            response(b"not gzip at all", b"Content-Encoding: gzip"),
            UpstreamMalformed,
            "compressed",
            id="bad-gzip",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + ANSWER,
            UpstreamUnavailable,
            "closed the connection",
            id="short-body",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
            UpstreamMalformed,
            "99999999999 bytes",
            id="declared-too-large",
        ),
    ],
)
def test_a_broken_answer_is_a_billable_upstream_error(
    answer: bytes, expected: type[Exception], match: str
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server:
            with pytest.raises(expected, match=match) as caught:
                await post(server)
            assert getattr(caught.value, "billable", None) is True

    asyncio.run(main())


def test_no_server_is_unavailable_and_not_billable() -> None:
    async def main() -> None:
        async with Server(serve_forever(b"")) as server:
            provider = server.provider()
        async with Upstream() as upstream:  # the port is closed now
            with pytest.raises(UpstreamUnavailable, match="cannot connect") as caught:
                await upstream.post(provider, "/chat/completions", b"{}", model="m")
            assert not caught.value.billable

    asyncio.run(main())


def test_a_silent_server_times_out_billable_and_the_stream_read_timeout_holds() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\ndata: \r\n")
        await writer.drain()
        await asyncio.sleep(5)

    async def main() -> None:
        async with Server(handler) as server, Upstream() as upstream:
            provider = server.provider(timeout_s=0.2)
            with pytest.raises(UpstreamTimeout) as caught:
                await upstream.post(provider, "/chat/completions", b"{}", model="m")
            assert caught.value.billable
            stream = await upstream.open_stream(provider, "/chat/completions", b"{}", model="m")
            with pytest.raises(UpstreamTimeout):
                async for _ in stream.lines():
                    pass
            stream.close()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_a_long_stream_arrives_whole_and_in_order() -> None:
    lines = [b"data: " + str(i).encode() * 50 for i in range(20_000)]  # ~2 MB

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        payload = b"\n".join(lines) + b"\n"
        writer.write(response(payload))
        await writer.drain()

    async def main() -> None:
        async with Server(handler) as server, Upstream() as upstream:
            stream = await upstream.open_stream(
                server.provider(), "/chat/completions", b"{}", model="m"
            )
            got = [line async for line in stream.lines()]
            stream.close()
            assert got == lines

    asyncio.run(asyncio.wait_for(main(), 30))


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer a\r\nX-Injected: 1"}, {"X-Key": "caf\u00e9"}, {"X": "a\nb"}],
)
def test_a_header_that_cannot_be_written_as_is_never_takes_the_fast_path(
    headers: dict[str, str],
) -> None:
    assert _fast_target("http://127.0.0.1:1/v1/chat/completions", headers) is None


def test_https_and_plain_targets() -> None:
    assert _fast_target("https://api.openai.com/v1/chat/completions", {}) is None
    host, port, head = _fast_target("http://user@localhost:11434/api/chat?x=1", {"A": "b"}) or (
        "",
        0,
        b"",
    )
    assert (host, port) == ("localhost", 11434)
    assert head.startswith(b"POST /api/chat?x=1 HTTP/1.1\r\nHost: localhost:11434\r\n")
    assert head.endswith(b"A: b\r\n")


def test_a_caller_leaving_mid_request_is_a_cancellation_not_an_upstream_timeout() -> None:
    got_request = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        got_request.set()
        await asyncio.sleep(5)

    async def main() -> None:
        async with Server(handler) as server, Upstream() as upstream:
            call = asyncio.ensure_future(
                upstream.post(server.provider(), "/chat/completions", b"{}", model="m")
            )
            await got_request.wait()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call

    asyncio.run(asyncio.wait_for(main(), 10))


def test_a_deadline_is_a_timeout_error_and_leaves_nothing_pending() -> None:
    async def main() -> None:
        with pytest.raises(TimeoutError), Deadline(0.01):
            await asyncio.Event().wait()
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        with Deadline(5):  # a block that ends in time is untouched, and so is the task
            await asyncio.sleep(0)
        assert task.cancelling() == 0

    asyncio.run(asyncio.wait_for(main(), 10))


def test_a_cancellation_from_outside_stays_one_even_when_the_deadline_also_passed() -> None:
    async def main() -> None:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def inside() -> None:
            with Deadline(0.01):
                await gate

        task = asyncio.ensure_future(inside())
        await asyncio.sleep(0)  # the task is inside its deadline, waiting
        time.sleep(0.05)  # blocks the loop on purpose: the deadline is due, nothing ran yet
        # This step and the due deadline's callback both run before the task resumes (in
        # either order): both cancel it, and it must see the outer cancellation, not a timeout.
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(main(), 10))


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b'5\r\n{"ok"\r\n',
    b"7\r\n: true}\r\n0\r\n\r\n",
)


def serve_in_pieces(pieces: tuple[bytes, ...]) -> Handler:
    """Each answer written piece by piece, with a pause between: read before it is complete."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.02)

    return handler


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(serve_forever(response(ANSWER)), id="length"),
        pytest.param(serve_forever(b"".join(CHUNKED)), id="chunked"),
        pytest.param(serve_in_pieces(CHUNKED), id="chunked-in-pieces"),
    ],
)
def test_an_answer_over_the_read_limit_is_malformed_however_it_arrives(handler: Handler) -> None:
    async def ask(pool: Pool, port: int, limit: int) -> bytes:
        conn = await pool.connect("127.0.0.1", port, 5.0)
        answer = await pool.send(conn, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"{}")
        try:
            return await answer.read(limit)
        finally:
            answer.release()

    async def main() -> None:
        pool = Pool()
        try:
            async with Server(handler) as server:
                with pytest.raises(Malformed, match="over 11 bytes"):
                    await ask(pool, server.port, len(ANSWER) - 1)
                assert await ask(pool, server.port, len(ANSWER)) == ANSWER
                assert await ask(pool, server.port, len(ANSWER)) == ANSWER
        finally:
            pool.close()

    asyncio.run(asyncio.wait_for(main(), 10))
