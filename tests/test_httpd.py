"""tiergate's HTTP/1.1 server (tiergate/httpd.py) as a client sees it on the wire.

A small ASGI app runs on the real server on a loopback port; raw sockets send what
well-behaved and hostile clients send (pipelined requests, a held-back body, a slow
reader, garbage, a client that leaves), and httptools' own response parser reads
what comes back. The gateway's behaviour over this server is covered by every
other test that talks to a running gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httptools
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.serving import wait_for
from tiergate.httpd import STARTUP_FAILED, Server
from tiergate.server import BackgroundServer

MIB = 1024 * 1024


class Probe:
    """What the test app saw, for the test to read."""

    def __init__(self) -> None:
        self.sent = 0  # pieces of /big handed to send()
        self.finished: set[str] = set()
        self.disconnected = threading.Event()


async def app(scope: dict[str, Any], receive: Any, send: Any, probe: Probe) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/echo":
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        answer = orjson.dumps(
            {
                "len": len(body),
                "sha": hashlib.sha256(body).hexdigest(),
                "method": scope["method"],
                "path": path,
                "raw_path": scope["raw_path"].decode(),
                "query": scope["query_string"].decode(),
                "version": scope["http_version"],
                "client": scope["client"][0],
                "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
            }
        )
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(answer)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": answer})
    elif path.startswith("/pieces/"):
        count = int(path.rsplit("/", 1)[1])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(count):
            await send({"type": "http.response.body", "body": b"piece %d;" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/big":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(64 * MIB).encode())]})  # fmt: skip
        for _ in range(64):
            await send({"type": "http.response.body", "body": b"x" * MIB, "more_body": True})
            probe.sent += 1
        await send({"type": "http.response.body", "body": b""})
        probe.finished.add("big")
    elif path == "/wait-for-leave":
        while (await receive())["type"] != "http.disconnect":
            pass
        probe.disconnected.set()
    elif path == "/boom":
        raise ValueError("the app failed before answering")
    elif path == "/boom-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("the app failed mid-answer")
    elif path == "/bad-header":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-injected", b"a\r\nset-cookie: evil=1")]})  # fmt: skip
    elif path == "/silent":
        return
    else:
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-length", b"9")]})  # fmt: skip
        await send({"type": "http.response.body", "body": b"not found"})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[BackgroundServer, Probe]]:
    probe = Probe()

    async def bound(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app(scope, receive, send, probe)

    with BackgroundServer(bound) as server:
        yield server, probe


class Responses:
    """Complete HTTP responses parsed from a byte stream with httptools."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.done: list[tuple[int, dict[str, str], bytes]] = []
        self._headers: dict[str, str] = {}
        self._body = bytearray()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.done.append((self.parser.get_status_code(), self._headers, bytes(self._body)))
        self._headers, self._body = {}, bytearray()

    def feed(self, data: bytes) -> None:
        self.parser.feed_data(data)


def connect(server: BackgroundServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def read(sock: socket.socket, count: int, responses: Responses | None = None) -> Responses:
    """Read until `count` complete responses arrived (10 s per read at most)."""
    responses = responses or Responses()
    while len(responses.done) < count:
        data = sock.recv(1 << 16)
        if not data:
            break
        responses.feed(data)
    return responses


def closed(sock: socket.socket) -> bool:
    """True once the server closed the connection (EOF within the socket's timeout)."""
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                return True
    except (TimeoutError, ConnectionResetError):
        return False


def settled(value: Any, *, quiet_s: float = 0.3, timeout_s: float = 10.0) -> Any:
    """value() once it stopped changing for quiet_s; fails after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last, since = value(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = value()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
    raise AssertionError(f"still changing after {timeout_s:g}s")


def post(path: str, body: bytes, extra: bytes = b"") -> bytes:
    return b"POST %b HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%b\r\n%b" % (
        path.encode(),
        len(body),
        extra,
        body,
    )


def test_keep_alive_serves_many_requests_on_one_connection(served: Any) -> None:
    server, _ = served
    with connect(server) as sock:
        responses = Responses()
        for i in range(5):
            sock.sendall(post("/echo", b"n=%d" % i))
            read(sock, i + 1, responses)
    assert [orjson.loads(body)["len"] for _, _, body in responses.done] == [3] * 5
    assert all(status == 200 for status, _, _ in responses.done)
    assert all("date" in headers for _, headers, _ in responses.done)


def test_pipelined_requests_are_answered_in_order(served: Any) -> None:
    server, _ = served
    burst = b"".join(post("/echo", b"x" * i) for i in range(1, 31))
    burst += b"GET /pieces/3 HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(server) as sock:
        sock.sendall(burst)  # all at once: the server must not answer out of order or drop any
        responses = read(sock, 31)
    assert [orjson.loads(b)["len"] for _, _, b in responses.done[:30]] == list(range(1, 31))
    assert responses.done[30][2] == b"piece 0;piece 1;piece 2;"


def test_a_body_in_many_chunks_arrives_whole_and_in_order(served: Any) -> None:
    server, _ = served
    body = bytes(range(256)) * (5 * 4096)  # 5 MiB, more than the read high-water mark
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in
                       (body[i : i + 70_001] for i in range(0, len(body), 70_001)))  # fmt: skip
    with connect(server) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked + b"0\r\n\r\n"
        )  # fmt: skip
        ((status, _, answer),) = read(sock, 1).done
    assert status == 200
    assert orjson.loads(answer)["sha"] == hashlib.sha256(body).hexdigest()


def test_expect_100_continue_invites_the_body_only_when_the_app_reads_it(served: Any) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")  # fmt: skip
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        ((status, _, answer),) = read(sock, 1).done
        assert status == 200 and orjson.loads(answer)["len"] == 5
    with connect(server) as sock:  # answered without reading: no 100, and the connection closes
        sock.sendall(b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                     b"Expect: 100-continue\r\n\r\n")  # fmt: skip
        ((status, _, _),) = read(sock, 1).done
        assert status == 404
        assert closed(sock)


def test_paths_queries_and_headers_reach_the_app_as_sent(served: Any) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.sendall(b"POST /ec%68o?a=1&b=%20x HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: Value\r\n"
                     b"Content-Length: 0\r\n\r\n")  # fmt: skip
        ((_, _, answer),) = read(sock, 1).done
    seen = orjson.loads(answer)
    assert (seen["path"], seen["raw_path"], seen["query"]) == ("/echo", "/ec%68o", "a=1&b=%20x")
    assert ["x-mixed-case", "Value"] in seen["headers"]
    assert seen["client"] == "127.0.0.1" and seen["version"] == "1.1"


def test_a_response_without_a_length_is_chunked_and_a_head_request_has_no_body(
    served: Any,
) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.sendall(b"GET /pieces/4 HTTP/1.1\r\nHost: x\r\n\r\n")
        ((status, headers, body),) = read(sock, 1).done
        assert status == 200 and headers["transfer-encoding"] == "chunked"
        assert body == b"piece 0;piece 1;piece 2;piece 3;"
        sock.sendall(
            b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\nGET /pieces/1 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(1 << 16)
            assert chunk, data
            data += chunk
    first, second = data.split(b"HTTP/1.1 200 OK", 2)[1:]
    assert first.endswith(b"\r\n\r\n") and b"content-length" in first  # the head, no body
    assert second.endswith(b"8\r\npiece 0;\r\n0\r\n\r\n")


def test_http_1_0_without_keep_alive_closes_after_the_answer(served: Any) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.sendall(b"GET /pieces/1 HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in data


@pytest.mark.parametrize(
    "garbage",
    [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
     b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
     b"GET /\x00 HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"],
)  # fmt: skip
def test_malformed_requests_get_400_and_the_server_carries_on(served: Any, garbage: bytes) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.sendall(garbage)
        ((status, headers, body),) = read(sock, 1).done
        assert closed(sock)
    assert status == 400 and body == b"Invalid HTTP request received."
    assert headers["connection"] == "close"
    assert httpx.post(server.url + "/echo", content=b"ok").json()["len"] == 2


def test_a_header_flood_gets_431_not_the_servers_memory(served: Any) -> None:
    server, _ = served
    with connect(server) as sock:
        # 70 x 1000 bytes of headers, over the 64 KiB a head may have, in one piece.
        filler = b"".join(b"X-Filler-%04d: %b\r\n" % (i, b"v" * 983) for i in range(70))
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n")
        ((status, _, body),) = read(sock, 1).done
    assert status == 431 and b"65536" in body


def test_app_failures_become_a_500_or_a_cut_never_a_hang(served: Any) -> None:
    server, _ = served
    for path in ("/boom", "/silent", "/bad-header"):
        with connect(server) as sock:
            sock.sendall(b"GET %b HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            ((status, headers, body),) = read(sock, 1).done
            assert (status, body) == (500, b"Internal Server Error"), path
            assert b"evil" not in body and "set-cookie" not in headers
            assert closed(sock)
    with connect(server) as sock:  # failed after the head: the stream is cut, not completed
        sock.sendall(b"GET /boom-after-start HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
    assert b"partial" in data and not data.endswith(b"0\r\n\r\n")


def test_a_client_that_leaves_is_told_so(served: Any) -> None:
    server, probe = served
    with connect(server) as sock:
        sock.sendall(b"GET /wait-for-leave HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.05)
    assert probe.disconnected.wait(10)


def test_a_slow_reader_holds_the_writer_back_and_still_gets_every_byte(served: Any) -> None:
    server, probe = served
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        held = settled(lambda: probe.sent)
        assert held < 64, "64 MiB were buffered in the server for a client that reads nothing"
        got = 0
        while got < 64 * MIB:
            chunk = sock.recv(1 << 20)
            assert chunk
            got += len(chunk)
        # The head and the 64 MiB body, no more.
        assert got >= 64 * MIB
    wait_for("the app to finish /big", lambda: "big" in probe.finished, timeout_s=10)


def test_keep_alive_connections_close_when_idle() -> None:
    async def tiny(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app(scope, receive, send, Probe())

    server = Server(tiny, keep_alive_s=1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for("the server to start", lambda: server.started)
        with socket.create_connection(sock.getsockname(), timeout=5) as client:
            client.sendall(b"GET /pieces/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            read(client, 1)
            assert closed(client)  # within the 5 s socket timeout
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive()


def test_a_failed_start_up_is_exit_status_3() -> None:
    async def refuses(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no store"})

    assert Server(refuses, port=0).run() == STARTUP_FAILED
    assert asyncio.run(Server(refuses, port=0).serve()) is False


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda method, path, headers, body: (
                b"%b %b HTTP/1.1\r\n%b\r\n%b" % (method, path, headers, body)
            ),
            st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"G\x00T", b""]),
            st.binary(min_size=0, max_size=40),
            st.binary(max_size=120),
            st.binary(max_size=80),
        ),
    )
)
def test_fuzzed_bytes_never_hang_or_kill_the_server(served: Any, data: bytes) -> None:
    server, _ = served
    with connect(server) as sock:
        sock.settimeout(2)
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # no more from us: the server answers or closes
        received = b""
        try:
            while chunk := sock.recv(1 << 16):
                received += chunk
        except ConnectionResetError:
            pass
        except TimeoutError:
            # Only an incomplete request may stay unanswered: never a complete one.
            assert not received
    if received:
        assert received.startswith(b"HTTP/1.1 "), received[:80]
        assert b"Traceback" not in received
    assert httpx.post(server.url + "/echo", content=b"ok", timeout=5).json()["len"] == 2
