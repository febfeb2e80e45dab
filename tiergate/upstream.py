"""HTTP to providers over one shared aiohttp session; the one place transport errors become UpstreamErrors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp
import orjson

from .config import ProviderConfig
from .errors import UpstreamError, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable

# Statuses that say the request itself is wrong: another provider would refuse it too.
REQUEST_FAULTS = frozenset({400, 413, 422})
MAX_ERROR_BODY = 2048


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare from LLM APIs; the breaker's cool-down covers it
    return max(0.0, seconds)


def _headers(provider: ProviderConfig) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if provider.api_key:
        headers["Authorization"] = f"Bearer {provider.api_key}"
    return headers


def _status_error(
    provider: ProviderConfig, status: int, body: bytes, retry_after: str | None
) -> UpstreamError:
    from .protocols import get as get_protocol

    message = get_protocol(provider.protocol).error_message(body[:MAX_ERROR_BODY])
    text = f"provider {provider.name!r} answered HTTP {status}: {message}"
    if status in REQUEST_FAULTS:
        return UpstreamRejected(text, provider=provider.name, status=status)
    if status == 408:
        return UpstreamTimeout(text, provider=provider.name, status=status)
    return UpstreamUnavailable(
        text, provider=provider.name, status=status, retry_after_s=parse_retry_after(retry_after)
    )


def _transport_error(provider: ProviderConfig, exc: BaseException) -> UpstreamError:
    if isinstance(exc, asyncio.TimeoutError):
        return UpstreamTimeout(f"no answer within {provider.timeout_s:g}s", provider=provider.name)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamUnavailable(f"cannot connect to {provider.base_url}", provider=provider.name)
    return UpstreamUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": "), provider=provider.name)


class Stream:
    """An upstream streaming answer whose status was 200; iterate lines, then close()."""

    def __init__(self, provider: ProviderConfig, response: aiohttp.ClientResponse) -> None:
        self._provider = provider
        self._response = response

    async def lines(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while True:
                line = await content.readline()
                if not line:
                    return
                line = line.strip()
                if line:
                    yield line
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(self._provider, exc) from None

    def close(self) -> None:
        self._response.close()


class Upstream:
    """Posts JSON to providers. One connection pool for all of them, kept alive."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Upstream:
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            json_serialize=lambda o: orjson.dumps(o).decode(),
            auto_decompress=True,
        )
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use Upstream as an async context manager"
        return self._session

    async def post(self, provider: ProviderConfig, path: str, body: dict[str, Any]) -> bytes:
        timeout = aiohttp.ClientTimeout(
            total=provider.timeout_s, sock_connect=provider.connect_timeout_s
        )
        try:
            async with self.session.post(
                provider.base_url + path,
                data=orjson.dumps(body),
                headers=_headers(provider),
                timeout=timeout,
            ) as response:
                payload = await response.read()
                if response.status != 200:
                    raise _status_error(
                        provider, response.status, payload, response.headers.get("Retry-After")
                    )
                return payload
        except UpstreamError:
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(provider, exc) from None

    async def open_stream(
        self, provider: ProviderConfig, path: str, body: dict[str, Any]
    ) -> Stream:
        # A stream may run long: bound the wait for each read, not the whole answer.
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=provider.connect_timeout_s, sock_read=provider.timeout_s
        )
        try:
            response = await self.session.post(
                provider.base_url + path,
                data=orjson.dumps(body),
                headers=_headers(provider),
                timeout=timeout,
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(provider, exc) from None
        if response.status != 200:
            try:
                payload = await response.read()
            except (TimeoutError, aiohttp.ClientError):
                payload = b""
            finally:
                response.close()
            raise _status_error(
                provider, response.status, payload, response.headers.get("Retry-After")
            )
        return Stream(provider, response)
