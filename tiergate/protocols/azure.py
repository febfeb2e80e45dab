"""Azure OpenAI protocol: OpenAI's wire format, posted to a deployment with an api-key header.

Azure serves each model as a named deployment at
``{base_url}/openai/deployments/{deployment}/chat/completions?api-version=...``, so a
provider's ``models:`` values are deployment names (``models: {default: my-gpt4o}``) and
``api_version`` picks the REST version (default: the last dated GA version). Bodies and
answers are OpenAI's, encoded and decoded by the `openai` module. Two things differ on
the way back: a stream may open with a chunk that carries only ``prompt_filter_results``
(no choices, no usage; the openai decoder skips it), and with asynchronous content
filtering Azure sends choices that carry only filter results and no ``delta``, which are
dropped here before the openai decoder sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from tiergate.protocols import openai as _openai
from tiergate.protocols import parse_object

if TYPE_CHECKING:
    from tiergate.config import ProviderConfig

CHAT_PATH = _openai.CHAT_PATH
EMBED_PATH = _openai.EMBED_PATH
# The last dated GA version of Azure OpenAI's data-plane inference API.
API_VERSION = "2024-10-21"

encode_chat = _openai.encode_chat
decode_chat = _openai.decode_chat
encode_embed = _openai.encode_embed
decode_embed = _openai.decode_embed
error_message = _openai.error_message


class ChatStream(_openai.ChatStream):
    """The openai stream decoder, minus the filter-only choices of asynchronous filtering."""

    def feed(self, line: bytes) -> list[dict[str, Any]]:
        if b"content_filter_offsets" in line and line.lstrip().startswith(b"data:"):
            chunk = parse_object(line.lstrip()[5:])
            choices = chunk.get("choices")
            if isinstance(choices, list):
                kept = [c for c in choices if not (isinstance(c, dict) and "delta" not in c)]
                if not kept and chunk.get("usage") is None:
                    return []
                chunk["choices"] = kept
                line = b"data: " + orjson.dumps(chunk)
        return super().feed(line)


def headers(provider: ProviderConfig) -> dict[str, str]:
    """Azure takes a resource key in ``api-key`` (a bearer token would be an Entra ID token)."""
    return {"api-key": provider.api_key} if provider.api_key else {}


def url(provider: ProviderConfig, path: str, *, model: str) -> str:
    """The deployment's URL: ``model`` is the deployment name from the provider's ``models``."""
    version = quote(provider.api_version or API_VERSION, safe="")
    deployment = quote(model, safe="")
    return f"{provider.base_url}/openai/deployments/{deployment}{path}?api-version={version}"
