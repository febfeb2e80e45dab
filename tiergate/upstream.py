"""HTTP to providers over one shared aiohttp session; the one place transport errors become UpstreamErrors.

Every request is the exact bytes the gateway scanned and counted (tiergate.outbound). Every
failure is translated here, with what it means for money: a connection that never opened
cost nothing; an HTTP error status is the provider refusing (not billed); anything else once
the request was sent (a timeout, a dropped connection, an answer too large or unreadable) may
have been billed, so it is marked `billable` and the attempt is charged its reservation.
Answers are read within explicit limits, so no upstream can make the gateway buffer without end.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp
import orjson

from . import http1
from .config import ProviderConfig
from .errors import (
    UpstreamError,
    UpstreamMalformed,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from .protocols import get as get_protocol

# Statuses that say the request itself is wrong: another provider would refuse it too.
REQUEST_FAULTS = frozenset({400, 413, 422})
MAX_ERROR_BODY = 2048
# The largest whole answer and the longest streamed line tiergate reads from a provider.
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 4 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_LARGE_BODY = 512 * 1024
# aiohttp raises these (besides ClientError) from a response it cannot parse, e.g. LineTooLong.
_TRANSPORT_ERRORS = (
    http1.HttpError,
    TimeoutError,
    aiohttp.ClientError,
    aiohttp.http_exceptions.HttpProcessingError,
    OSError,
    ValueError,
)


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare from LLM APIs; the breaker's cool-down covers it
    return max(0.0, seconds)


def _target(provider: ProviderConfig, path: str, model: str) -> tuple[str, dict[str, str]]:
    """The URL and headers of a request: the provider's protocol owns its URL and auth."""
    wire = get_protocol(provider.protocol)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return wire.url(provider, path, model=model), {**headers, **wire.headers(provider)}


# (host, port, request head) of a plain-HTTP target, or None: aiohttp serves it (TLS, or a
# header value that cannot be written as it is).
_Fast = tuple[str, int, bytes] | None
_MAX_TARGETS = 1024


def _fast_target(url: str, headers: dict[str, str]) -> _Fast:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    lines = [f"POST {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
             f"Host: {parts.netloc.rpartition('@')[2]}", "Accept-Encoding: gzip, deflate",
             "Connection: keep-alive", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    text = "\r\n".join(lines) + "\r\n"
    if any(c in line for line in lines for c in "\r\n\0") or not text.isascii():
        return None
    return parts.hostname, parts.port or 80, text.encode()


def _status_error(
    provider: ProviderConfig, status: int, body: bytes, retry_after: str | None
) -> UpstreamError:
    message = get_protocol(provider.protocol).error_message(body[:MAX_ERROR_BODY])
    text = f"provider {provider.name!r} answered HTTP {status}: {message}"
    if status in REQUEST_FAULTS:
        return UpstreamRejected(text, provider=provider.name, status=status)
    if status == 408:
        return UpstreamTimeout(text, provider=provider.name, status=status)
    return UpstreamUnavailable(
        text, provider=provider.name, status=status, retry_after_s=parse_retry_after(retry_after)
    )


def _transport_error(provider: ProviderConfig, exc: BaseException, *, sent: bool) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, http1.ConnectFailed):
        return UpstreamUnavailable(f"cannot connect to {provider.base_url}", provider=provider.name)
    if isinstance(exc, http1.Malformed):
        return UpstreamMalformed(
            f"unreadable answer ({str(exc)[:300]})", provider=provider.name, billable=True
        )
    if isinstance(exc, http1.HttpError):
        return UpstreamUnavailable(str(exc)[:300], provider=provider.name, billable=True)
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamTimeout(
            f"no answer within {provider.timeout_s:g}s", provider=provider.name, billable=sent
        )
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return UpstreamUnavailable(f"cannot connect to {provider.base_url}", provider=provider.name)
    text = f"{type(exc).__name__}: {exc}".rstrip(": ")[:300]
    if isinstance(exc, aiohttp.http_exceptions.HttpProcessingError | ValueError):
        return UpstreamMalformed(
            f"unreadable answer ({text})", provider=provider.name, billable=sent
        )
    return UpstreamUnavailable(text, provider=provider.name, billable=sent)


class Stream:
    """An upstream streaming answer whose status was 200; iterate lines, then close()."""

    def __init__(
        self, provider: ProviderConfig, chunks: AsyncIterator[bytes], close: Callable[[], None]
    ) -> None:
        self._provider = provider
        self._chunks = chunks
        self._close = close

    async def lines(self) -> AsyncIterator[bytes]:
        """Non-empty lines, stripped; a line longer than MAX_LINE_BYTES is a malformed answer."""
        pending: list[bytes] = []
        pending_size = 0
        try:
            async for chunk in self._chunks:
                start = 0
                while (end := chunk.find(b"\n", start)) != -1:
                    line = (b"".join(pending) + chunk[start:end]).strip()
                    pending.clear()
                    pending_size = 0
                    start = end + 1
                    if line:
                        yield line
                if start < len(chunk):
                    pending.append(chunk[start:])
                    pending_size += len(chunk) - start
                if pending_size > MAX_LINE_BYTES:
                    raise UpstreamMalformed(
                        f"a streamed line longer than {MAX_LINE_BYTES} bytes",
                        provider=self._provider.name,
                        billable=True,
                    )
        except _TRANSPORT_ERRORS as exc:
            raise _transport_error(self._provider, exc, sent=True) from None
        last = b"".join(pending).strip()
        if last:
            yield last

    def close(self) -> None:
        self._close()


async def _timed(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """`chunks`, each awaited for at most `seconds` (a stream's read timeout)."""
    iterator = aiter(chunks)
    while True:
        with http1.Deadline(seconds):
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                return
        yield chunk


class Upstream:
    """Posts JSON to providers. One connection pool for all of them, kept alive."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool = http1.Pool()
        self._targets: dict[tuple[int, str, str], tuple[ProviderConfig, _Fast]] = {}

    async def __aenter__(self) -> Upstream:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            json_serialize=lambda o: orjson.dumps(o).decode(),
            auto_decompress=True,
            max_line_size=MAX_LINE_BYTES,
            max_field_size=MAX_LINE_BYTES,
        )
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.close()
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use Upstream as an async context manager"
        return self._session

    def _fast(self, provider: ProviderConfig, path: str, model: str) -> _Fast:
        key = (id(provider), path, model)
        known = self._targets.get(key)
        if known is not None and known[0] is provider:
            return known[1]
        if len(self._targets) >= _MAX_TARGETS:
            self._targets.clear()  # a reload left old providers behind
        fast = _fast_target(*_target(provider, path, model))
        self._targets[key] = (provider, fast)
        return fast

    async def post(
        self, provider: ProviderConfig, path: str, payload: bytes, *, model: str
    ) -> bytes:
        """The answer body of a 200; any other outcome raises an UpstreamError."""
        fast = self._fast(provider, path, model)
        if fast is not None:
            return await self._post_fast(provider, fast, payload)
        timeout = aiohttp.ClientTimeout(
            total=provider.timeout_s, sock_connect=provider.connect_timeout_s
        )
        url, headers = _target(provider, path, model)
        sent = False
        try:
            async with self.session.post(
                url, data=_body(payload), headers=headers, timeout=timeout
            ) as response:
                sent = True
                if response.status != 200:
                    body = await response.content.read(MAX_ERROR_BODY)
                    raise _status_error(
                        provider, response.status, body, response.headers.get("Retry-After")
                    )
                return await _read_limited(provider, response)
        except UpstreamError:
            raise
        except _TRANSPORT_ERRORS as exc:
            # Connected and then failed: the request went out (aiohttp writes it before reading).
            raise _transport_error(provider, exc, sent=sent or _was_sent(exc)) from None

    async def _post_fast(
        self, provider: ProviderConfig, target: tuple[str, int, bytes], payload: bytes
    ) -> bytes:
        host, port, head = target
        sent = False
        response: http1.Response | None = None
        try:
            with http1.Deadline(provider.timeout_s):
                conn = self._pool.idle(host, port) or await self._pool.connect(
                    host, port, provider.connect_timeout_s
                )
                sent = True
                response = await self._pool.send(conn, head, payload)
                if response.status != 200:
                    raise _status_error(
                        provider, response.status, await _error_body(response),
                        response.headers.get("retry-after"),
                    )  # fmt: skip
                declared = response.content_length
                if declared is not None and declared > MAX_ANSWER_BYTES:
                    raise _too_large(provider, declared)
                return await response.read(MAX_ANSWER_BYTES)
        except UpstreamError:
            raise
        except _TRANSPORT_ERRORS as exc:
            raise _transport_error(provider, exc, sent=sent) from None
        finally:
            if response is not None:
                response.release()

    async def _open_fast(
        self, provider: ProviderConfig, target: tuple[str, int, bytes], payload: bytes
    ) -> Stream:
        host, port, head = target
        sent = False
        try:
            with http1.Deadline(provider.timeout_s):
                conn = await self._pool.connect(host, port, provider.connect_timeout_s)
                sent = True
                response = await self._pool.send(conn, head, payload)
        except _TRANSPORT_ERRORS as exc:
            raise _transport_error(provider, exc, sent=sent) from None
        if response.status != 200:
            read = asyncio.wait_for(_error_body(response), provider.timeout_s)
            raise await _refusal(
                provider, response.status, response.headers, read, response.release
            )
        return Stream(provider, _timed(response.chunks(), provider.timeout_s), response.release)

    async def open_stream(
        self, provider: ProviderConfig, path: str, payload: bytes, *, model: str
    ) -> Stream:
        fast = self._fast(provider, path, model)
        if fast is not None:
            return await self._open_fast(provider, fast, payload)
        # A stream may run long: bound the wait for each read, not the whole answer.
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=provider.connect_timeout_s, sock_read=provider.timeout_s
        )
        url, headers = _target(provider, path, model)
        try:
            response = await self.session.post(
                url, data=_body(payload), headers=headers, timeout=timeout
            )
        except _TRANSPORT_ERRORS as exc:
            raise _transport_error(provider, exc, sent=_was_sent(exc)) from None
        if response.status != 200:
            read = response.content.read(MAX_ERROR_BODY)
            raise await _refusal(provider, response.status, response.headers, read, response.close)
        return Stream(provider, response.content.iter_chunked(_READ_CHUNK), response.close)


async def _refusal(
    provider: ProviderConfig,
    status: int,
    headers: Mapping[str, str],
    read: Awaitable[bytes],
    close: Callable[[], None],
) -> UpstreamError:
    """The error a stream's non-200 answer stands for, from the start of its body (then closed)."""
    try:
        body = await read
    except _TRANSPORT_ERRORS:
        body = b""
    finally:
        close()
    return _status_error(provider, status, body, headers.get("retry-after"))


def _body(payload: bytes) -> bytes | io.BytesIO:
    # aiohttp writes a large bytes body in one go (and warns); a file-like one goes in chunks.
    return io.BytesIO(payload) if len(payload) > _LARGE_BODY else payload


def _was_sent(exc: BaseException) -> bool:
    """Whether a failure before the response came after the request may have reached the provider."""
    return not isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def _too_large(provider: ProviderConfig, declared: int) -> UpstreamMalformed:
    return UpstreamMalformed(
        f"an answer of {declared} bytes (tiergate reads at most {MAX_ANSWER_BYTES})",
        provider=provider.name,
        billable=True,
    )


async def _error_body(response: http1.Response) -> bytes:
    """The first MAX_ERROR_BODY bytes of a refusal (the rest is not read; the connection closes)."""
    parts: list[bytes] = []
    size = 0
    async for chunk in response.chunks():
        parts.append(chunk)
        size += len(chunk)
        if size >= MAX_ERROR_BODY:
            break
    return b"".join(parts)[:MAX_ERROR_BODY]


async def _read_limited(provider: ProviderConfig, response: aiohttp.ClientResponse) -> bytes:
    declared = response.content_length
    if declared is not None and declared > MAX_ANSWER_BYTES:
        raise _too_large(provider, declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise UpstreamMalformed(
                f"an answer over {MAX_ANSWER_BYTES} bytes", provider=provider.name, billable=True
            )
        chunks.append(chunk)
    return b"".join(chunks)
