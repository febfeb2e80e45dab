"""`tiergate check --probe`: ask each provider a cheap question (list your models) and say who answered.

No prompt is sent anywhere: the probe is a GET of the provider's model list
(Ollama `/api/tags`, OpenAI `/models`) with the provider's own auth headers, so
it also tells a wrong key (401/403) from a dead host. Every provider is probed
at once, each within the timeout.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from . import protocols
from .config import Config, ProviderConfig

# protocol -> the model list under the provider's base_url (openai's base_url includes /v1)
PATHS = {"ollama": "/api/tags", "openai": "/models"}


@dataclass(frozen=True, slots=True)
class Answer:
    provider: str
    ok: bool
    detail: str  # "HTTP 200 in 12 ms", "no answer within 5s", "cannot connect", ...


async def _probe_one(
    session: aiohttp.ClientSession, provider: ProviderConfig, timeout_s: float
) -> Answer:
    path = PATHS.get(provider.protocol)
    if path is None:
        return Answer(provider.name, False, f"no probe for protocol {provider.protocol!r}")
    if not provider.has_key:
        return Answer(provider.name, False, "not probed: api_key is empty")
    headers = {"Accept": "application/json", **protocols.get(provider.protocol).headers(provider)}
    started = time.perf_counter()
    try:
        async with session.get(
            provider.base_url + path,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as response:
            await response.read()
            status = response.status
    except TimeoutError:
        return Answer(provider.name, False, f"no answer within {timeout_s:g}s")
    except aiohttp.ClientConnectorError:
        return Answer(provider.name, False, f"cannot connect to {_shown(provider.base_url)}")
    except aiohttp.ClientError as exc:
        return Answer(
            provider.name, False, f"{type(exc).__name__} from {_shown(provider.base_url)}"
        )
    ms = (time.perf_counter() - started) * 1000
    if status == 200:
        return Answer(provider.name, True, f"answered HTTP 200 in {ms:.0f} ms")
    why = {401: " (the api_key was refused)", 403: " (the api_key may not list models)"}
    return Answer(provider.name, False, f"answered HTTP {status}{why.get(status, '')}")


def _shown(url: str) -> str:
    """The URL without anything that could be a credential (user:pass@, ?key=)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}"


async def probe(config: Config, timeout_s: float) -> list[Answer]:
    async with aiohttp.ClientSession() as session:
        return list(
            await asyncio.gather(*(_probe_one(session, p, timeout_s) for p in config.providers))
        )
