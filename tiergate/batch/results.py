"""A batch run's results: OpenAI's batch output format, plus where each line went and its cost.

One line per input line: `id`, `custom_id`, `response: {status_code, request_id, body}`, `error`
(for a line with no HTTP answer: lost in a provider batch, interrupted), and `tiergate:
{provider, rule, classification, cost_usd, batch_api, cost_pico}` (`normal_cost_pico` too for
a batch-API line: what it would have cost at the normal price).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson

from ..errors import TiergateError
from ..pricing import pico_to_usd
from ..types import Usage


def answered(
    custom_id: str,
    request_id: str,
    status: int,
    body: dict[str, Any],
    *,
    provider: str,
    rule: str,
    cost: int,
    batch_api: bool,
    classification: str,
    normal_cost: int = 0,
) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "provider": provider, "rule": rule, "cost_usd": usd_text(cost), "batch_api": batch_api,
        "classification": classification, "cost_pico": cost,
    }  # fmt: skip
    if batch_api:
        facts["normal_cost_pico"] = normal_cost
    return {
        "id": request_id,
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": request_id, "body": body},
        "error": None,
        "tiergate": facts,
    }


def refused(custom_id: str, request_id: str | None, exc: TiergateError) -> dict[str, Any]:
    rid = request_id or "batch_req_" + uuid.uuid4().hex[:24]
    return {
        "id": rid,
        "custom_id": custom_id,
        "response": {"status_code": exc.status_code, "request_id": rid, "body": exc.envelope()},
        "error": None,
        "tiergate": {"provider": None, "rule": None, "cost_usd": "0", "cost_pico": 0},
    }


def lost(
    custom_id: str,
    request_id: str,
    code: str,
    why: str,
    *,
    provider: str,
    rule: str,
    cost: int,
    classification: str,
) -> dict[str, Any]:
    charged = "charged its reservation in full" if cost else "charged nothing"
    return {
        "id": request_id,
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": f"{why}; {charged}"},
        "tiergate": {"provider": provider, "rule": rule, "cost_usd": usd_text(cost),
                     "batch_api": True, "classification": classification, "cost_pico": cost,
                     "normal_cost_pico": 0},
    }  # fmt: skip


def interrupted(custom_id: str) -> dict[str, Any]:
    return {
        "id": None,
        "custom_id": custom_id,
        "response": None,
        "error": {
            "code": "interrupted",
            "message": "the run stopped while this line was in flight; its outcome is unknown, "
            "so it was not run again (it could have been charged twice). To run it anyway, "
            "run again with --rerun-interrupted.",
        },
        "tiergate": {"provider": None, "rule": None, "cost_usd": "0", "cost_pico": 0},
    }


def usd_text(pico: int) -> str:
    return format(pico_to_usd(pico).normalize(), "f") if pico else "0"


def usage_of(body: Any) -> Usage | None:
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens", 0)
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    return Usage(prompt, completion)


def write_output(path: Path, results: list[dict[str, Any]]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in results))
    partial.replace(path)


__all__ = [
    "answered",
    "interrupted",
    "lost",
    "refused",
    "usage_of",
    "usd_text",
    "write_output",
]
