"""The fake's Azure OpenAI deployments: access checks and the content-filter fields Azure adds.

Azure answers in OpenAI's format, plus content-filter annotations: ``prompt_filter_results``
on a whole answer and as a first stream chunk with no choices, ``content_filter_results`` on
each choice, and (with asynchronous filtering) a chunk whose choice carries only filter
results and no ``delta``. The fake sends all of them, so a decoder that expects plain
OpenAI chunks fails here first.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

KEY_HEADER = "api-key"

_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?")
_SAFE = {"filtered": False, "severity": "safe"}
_FILTERS = {"hate": _SAFE, "self_harm": _SAFE, "sexual": _SAFE, "violence": _SAFE}


def check_access(headers: dict[str, str], api_version: str | None) -> tuple[int, dict[str, Any]]:
    """Azure's (status, error body) for a request it refuses before reading it; (200, {}) if none."""
    if not api_version:
        return 404, {"error": {"code": "404", "message": "Resource not found"}}
    if not _VERSION.fullmatch(api_version):
        message = f"Unsupported api-version {api_version!r}."
        return 400, {"error": {"code": "BadRequest", "message": message}}
    if not headers.get(KEY_HEADER):
        message = (
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure "
            "to provide a valid key for an active subscription and use a correct regional "
            "API endpoint for your resource."
        )
        return 401, {"error": {"code": "401", "message": message}}
    return 200, {}


def annotate(completion: dict[str, Any]) -> dict[str, Any]:
    """A whole chat completion with Azure's filter results added."""
    for choice in completion.get("choices", ()):
        choice["content_filter_results"] = _FILTERS
    return {"prompt_filter_results": _prompt_filter(), **completion}


def stream_frames(frames: list[bytes]) -> list[bytes]:
    """A stream's frames with Azure's opening filter chunk and an asynchronous-filter chunk."""
    opening = {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": _prompt_filter(),
    }
    filtered = {
        "choices": [
            {
                "index": 0,
                "finish_reason": None,
                "content_filter_results": _FILTERS,
                "content_filter_offsets": {
                    "check_offset": 0,
                    "start_offset": 0,
                    "end_offset": 1,
                },
            }
        ],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
    }
    # Written together with the frames they precede, so faults that count frames
    # (cut-stream) cut after the same content as on plain OpenAI.
    if len(frames) < 2:
        return [_frame(opening) + b"".join(frames) + _frame(filtered)]
    return [_frame(opening) + frames[0], _frame(filtered) + frames[1], *frames[2:]]


def _prompt_filter() -> list[dict[str, Any]]:
    return [{"prompt_index": 0, "content_filter_results": _FILTERS}]


def _frame(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"
