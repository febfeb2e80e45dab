"""Transitional: the micro-dollar attempt row that callers not yet on pico-dollars still build.

The ledger itself lives behind the Store interface (tiergate.stores: one
SQLite file or PostgreSQL); Budget.settle()/record() accept this record and
convert it exactly (1 micro = 10**6 pico). Remove this module once nothing
imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stores.sqlite import day_of, month_of, utcnow


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One upstream attempt in micro-dollars: never the prompt or the answer."""

    request_id: str
    attempt: int
    tenant: str | None
    provider: str
    model: str
    tier: int
    rule: str
    classification: str
    classification_source: str
    egress: bool
    prompt_tokens: int
    completion_tokens: int
    cost_micros: int
    reserved_micros: int
    latency_ms: float
    outcome: str
    usage_missing: bool = False
    cache: str = "bypass"
    status: int | None = None
    endpoint: str = "chat"


__all__ = ["AttemptRecord", "day_of", "month_of", "utcnow"]
