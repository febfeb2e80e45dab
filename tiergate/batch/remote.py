"""A provider's Files and Batches API (OpenAI protocol), and what its batch lines cost.

Upload a JSONL with purpose=batch, create a batch over it, retrieve it until it ends, download
its output and error files. Every failure is an UpstreamError, as on the normal path. Batch
prices come from the provider's `prices` (`batch_input_per_mtok`, `batch_output_per_mtok`),
else half the normal price (OpenAI's Batch API discount).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import orjson

from ..config import Price, ProviderConfig
from ..errors import UpstreamError, UpstreamRejected, UpstreamTimeout, UpstreamUnavailable
from ..pricing import TokenPrice, from_config
from ..protocols import get as get_protocol

COMPLETION_WINDOW = "24h"
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
TIMEOUT_S = 120.0


def batch_price(provider: ProviderConfig, model: str, normal: TokenPrice) -> TokenPrice:
    """The per-token price of `model` through `provider`'s Batch API: the configured batch
    price, else half the normal one (rounded up, so a bound never falls short)."""
    configured = provider.prices.get(model) or provider.prices.get("default")
    given_in = configured.batch_input_per_mtok if configured else None
    given_out = configured.batch_output_per_mtok if configured else None
    exact = from_config(
        Price(input_per_mtok=given_in or Decimal(0), output_per_mtok=given_out or Decimal(0)),
        "batch",
    )
    return TokenPrice(
        exact.input_pico if given_in is not None else _half(normal.input_pico),
        exact.output_pico if given_out is not None else _half(normal.output_pico),
        f"batch:{normal.source}",
        tuple((start, _half(i), _half(o)) for start, i, o in normal.tiers),
    )


def _half(pico: int) -> int:
    return -(-pico // 2)


class BatchAPI:
    """One provider's Files and Batches endpoints over the gateway's HTTP session."""

    def __init__(self, session: aiohttp.ClientSession, provider: ProviderConfig) -> None:
        self.session = session
        self.provider = provider
        self._headers = get_protocol("openai").headers(provider)
        self._timeout = aiohttp.ClientTimeout(
            total=max(TIMEOUT_S, provider.timeout_s), sock_connect=provider.connect_timeout_s
        )

    async def upload(self, content: bytes) -> str:
        form = aiohttp.FormData()
        form.add_field("purpose", "batch")
        form.add_field(
            "file", content, filename="tiergate-batch.jsonl", content_type="application/jsonl"
        )
        found = await self._call("POST", "/files", data=form)
        return str(found["id"])

    async def create(self, file_id: str, endpoint: str, metadata: dict[str, str]) -> dict[str, Any]:
        body = {
            "input_file_id": file_id,
            "endpoint": endpoint,
            "completion_window": COMPLETION_WINDOW,
            "metadata": metadata,
        }
        created: dict[str, Any] = await self._call("POST", "/batches", json_body=body)
        return created

    async def retrieve(self, batch_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self._call("GET", f"/batches/{batch_id}")
        return found

    async def find(self, metadata_key: str, value: str) -> dict[str, Any] | None:
        """A recent batch whose metadata says `metadata_key: value` (one this tool created)."""
        listed = await self._call("GET", "/batches?limit=100")
        for batch in listed.get("data") or ():
            if isinstance(batch, dict) and (batch.get("metadata") or {}).get(metadata_key) == value:
                return batch
        return None

    async def content(self, file_id: str) -> bytes:
        return await self._call("GET", f"/files/{file_id}/content", raw=True)  # type: ignore[no-any-return]

    async def _call(
        self,
        method: str,
        path: str,
        *,
        data: aiohttp.FormData | None = None,
        json_body: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        provider = self.provider
        url = provider.base_url + path
        headers = dict(self._headers)
        payload: Any = data
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            payload = orjson.dumps(json_body)
        try:
            async with self.session.request(
                method, url, data=payload, headers=headers, timeout=self._timeout
            ) as response:
                body = await response.read()
                if response.status != 200:
                    raise _status_error(provider, response.status, body)
        except UpstreamError:
            raise
        except TimeoutError:
            raise UpstreamTimeout(
                f"{method} {path}: no answer in time", provider=provider.name
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamUnavailable(
                f"{method} {path}: {type(exc).__name__}", provider=provider.name
            ) from None
        if raw:
            return body
        try:
            found = orjson.loads(body)
        except orjson.JSONDecodeError:
            found = None
        if not isinstance(found, dict):
            raise UpstreamUnavailable(f"{method} {path}: not a JSON object", provider=provider.name)
        return found


def _status_error(provider: ProviderConfig, status: int, body: bytes) -> UpstreamError:
    message = get_protocol("openai").error_message(body[:2048])
    text = f"provider {provider.name!r} answered HTTP {status}: {message}"
    if 400 <= status < 500 and status not in (408, 409, 429):
        return UpstreamRejected(text, provider=provider.name, status=status)
    return UpstreamUnavailable(text, provider=provider.name, status=status)


__all__ = ["COMPLETION_WINDOW", "ENDED", "BatchAPI", "batch_price"]
