"""Outbound requests: the body each provider would receive, encoded first, so that the privacy
scan and the money bound read exactly what is sent.

Nothing here knows a field by name. A request is encoded for every provider that could serve
it (pure: each protocol's `encode_*`), and then:

- the scan reads every key and every string or number value of every encoded body, whatever
  the field, plus the request's message texts joined end to end (so a value split across two
  messages or parts is seen whole);
- the bound counts the encoded body's own bytes: byte-level BPE never yields more tokens than
  bytes, and JSON never has fewer bytes than the strings inside it. Media payloads (images,
  audio, files) are billed per part, not per byte: their bytes are replaced by a fixed
  allowance per part.

The same bytes are what the attempt sends, so a new field, a new protocol or a new endpoint is
scanned and counted by construction. A POST /v1/responses request is encoded as its own
Responses body for providers with responses_api (protocols.openai_responses) and as chat for
the others; each body is scanned and counted as it is sent.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from .config import Config, ProviderConfig
from .pricing import MEDIA_PART_TOKENS, MESSAGE_OVERHEAD_TOKENS, REQUEST_OVERHEAD_TOKENS
from .protocols import UntranslatableRequest, WireProtocol, openai_responses
from .protocols import get as get_protocol


# Per-request records are plain slotted dataclasses, not frozen: a frozen one pays
# object.__setattr__ for each field (~0.15 µs) on every request. Nothing mutates them.
@dataclass(slots=True)
class Outbound:
    """One provider's upstream request, or why its protocol cannot express it."""

    provider: str
    model: str
    max_tokens: int  # reserved for and sent upstream (0 for embeddings)
    body: Mapping[str, Any] | None
    payload: bytes  # the exact bytes sent; b"" when unsupported
    prompt_tokens: int  # the most prompt tokens the provider can bill for reading `payload`
    # Output tokens beyond max_tokens the provider may bill: a predicted output's rejected
    # tokens are billed as completion tokens.
    output_extra_tokens: int = 0
    unsupported: str | None = None
    # The wire format of `payload` when it is not the provider's protocol's chat format:
    # RESPONSES for a Responses body sent to a provider with responses_api.
    wire: str = ""


@dataclass(slots=True)
class Request:
    """What every provider's encoding starts from."""

    endpoint: str  # "chat" | "embeddings"
    body: Mapping[str, Any]  # the caller's OpenAI body, hints removed
    task: str
    stream: bool
    max_tokens: int | None  # the caller's; None means each provider's max_output_tokens
    pinned: str | None = None
    pinned_model: str | None = None
    # POST /v1/responses: the caller's Responses body (the fields tiergate knows, hints
    # removed), sent as it is to providers with responses_api; `body` is its chat translation.
    native: Mapping[str, Any] | None = None
    _media: tuple[int, int] | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def media(self) -> tuple[int, int]:
        """media() of a chat body (encoding and the scan both ask), counted once."""
        if self._media is None:
            self._media = media(self.body) if self.endpoint == "chat" else (0, 0)
        return self._media


RESPONSES = "openai_responses"


def encode_all(
    config: Config, request: Request, *, skip: Collection[str] = ()
) -> dict[str, Outbound]:
    """The outbound request for every provider that could serve `request` (a pin: just that one).

    `skip`: providers that can never be candidates for it (policy.never_candidates): a request
    that is never sent needs neither encoding nor scanning."""
    media_tokens, media_bytes = request.media()
    messages = request.body.get("messages")
    count = len(messages) if isinstance(messages, list) else 1
    out: dict[str, Outbound] = {}
    for provider in config.providers:
        if request.pinned and provider.name != request.pinned:
            continue
        if provider.name in skip:
            continue
        model = request.pinned_model or provider.model_for(request.task)
        out[provider.name] = _encode(provider, model, request, count, media_tokens, media_bytes)
    return out


_PROTOCOLS: dict[str, WireProtocol] = {RESPONSES: openai_responses}


def protocol_of(name: str) -> WireProtocol:
    """The protocol module by name, looked up once: `protocols.get` imports by name each call."""
    found = _PROTOCOLS.get(name)
    if found is None:
        found = _PROTOCOLS[name] = get_protocol(name)
    return found


def _encode(
    provider: ProviderConfig,
    model: str,
    request: Request,
    messages: int,
    media_tokens: int,
    media_bytes: int,
) -> Outbound:
    protocol = protocol_of(provider.protocol)
    source, wire = request.body, ""
    if request.native is not None and provider.responses_api and request.endpoint == "chat":
        protocol, source, wire = openai_responses, request.native, RESPONSES
        messages = max(messages, openai_responses.items(request.native))
    max_tokens = 0
    try:
        if request.endpoint == "embeddings":
            body = protocol.encode_embed(request.body, model=model)
        else:
            max_tokens = (
                request.max_tokens if request.max_tokens is not None else provider.max_output_tokens
            )
            body = protocol.encode_chat(
                source, model=model, max_tokens=max_tokens, stream=request.stream
            )
    except UntranslatableRequest as exc:
        return Outbound(provider.name, model, max_tokens, None, b"", 0, unsupported=str(exc))
    payload = orjson.dumps(body)
    tokens = (
        max(0, len(payload) - media_bytes)
        + media_tokens
        + messages * MESSAGE_OVERHEAD_TOKENS
        + REQUEST_OVERHEAD_TOKENS
        + provider.prompt_overhead_tokens
    )
    prediction = body.get("prediction")
    extra = len(orjson.dumps(prediction)) if prediction is not None else 0
    return Outbound(provider.name, model, max_tokens, body, payload, tokens, extra, wire=wire)


def strings(value: Any) -> Iterator[str]:
    """Every key and every string or number value in a JSON value, depth first."""
    found: list[str] = []
    _walk(value, found.append)
    yield from found


def _walk(value: Any, emit: Callable[[str], object]) -> None:
    """strings()' walk with a sink instead of a generator: it runs on every request, and a
    generator's resume per item was most of its cost. Exact JSON types take the fast tests."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            emit(item)
        elif kind is dict:
            for key, inner in item.items():
                emit(key if type(key) is str else str(key))
                push(inner)
        elif kind is list or kind is tuple:
            extend(reversed(item))
        elif kind is int or kind is float:
            emit(str(item))
        elif kind is bool or item is None:
            continue
        elif isinstance(item, str):
            emit(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                emit(str(key))
                push(inner)
        elif isinstance(item, list | tuple):
            extend(reversed(item))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            emit(str(item))


def scan_texts(bodies: Iterable[Mapping[str, Any]], request: Request) -> list[str]:
    """What the detector reads: every string of every encoded body (once), and the message
    texts joined end to end."""
    seen: dict[str, None] = {}
    for body in bodies:
        _walk(body, seen.setdefault)
    texts = ["\n".join(seen)]
    pieces = _content_texts(request)
    if len(pieces) > 1:
        texts.append("".join(pieces))
    return texts


def _content_texts(request: Request) -> list[str]:
    # A list, not a generator: this runs on every request, and a generator's resumes cost more.
    body = request.body
    if request.endpoint == "embeddings":
        value = body.get("input")
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return []
    texts: list[str] = []
    for message in body.get("messages") or ():
        if type(message) is not dict and not isinstance(message, Mapping):
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    texts.append(part["text"])
    return texts


_MEDIA_FIELDS = {"image_url": "url", "input_audio": "data", "file": "file_data"}
# A PDF page is billed as its text plus an image of the page (~1.5k-3k tokens each at the
# providers that read PDFs): a file reserves this much per page, and never less than a part.
PDF_PAGE_TOKENS = 6_000
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def media(body: Mapping[str, Any]) -> tuple[int, int]:
    """Content parts that are not text (images, audio, files): the tokens they may be billed
    (MEDIA_PART_TOKENS each, a PDF per page), and the bytes of their payload strings, which
    are neither scannable nor billed by their bytes."""
    tokens = 0
    size = 0
    for message in body.get("messages") or ():
        is_mapping = type(message) is dict or isinstance(message, Mapping)
        content = message.get("content") if is_mapping else None
        if type(content) is not list:
            continue
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") == "text":
                continue
            part_tokens = MEDIA_PART_TOKENS
            for field, key in _MEDIA_FIELDS.items():
                inner = part.get(field)
                value = inner.get(key) if isinstance(inner, Mapping) else inner
                if isinstance(value, str):
                    size += len(value.encode())
                    if field == "file":
                        part_tokens = max(part_tokens, _pdf_pages(value) * PDF_PAGE_TOKENS)
            tokens += part_tokens
    return tokens, size


def _pdf_pages(data: str) -> int:
    """Pages in a base64 (or data: URL) PDF; 0 when it is not one."""
    encoded = data.split(",", 1)[1] if data.startswith("data:") else data
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (ValueError, binascii.Error):
        return 0
    return len(_PDF_PAGE.findall(raw))
