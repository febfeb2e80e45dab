"""Small value types shared across layers: usage, hint vocabularies, classifications."""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFICATIONS = ("public", "internal", "confidential", "pii", "hipaa", "legal")
TASKS = ("chat", "simple_query", "extraction", "reasoning", "code_generation", "embedding")
QUALITIES = ("standard", "high", "critical")
COMPLEXITIES = ("low", "medium", "high")
MODES = ("local_only", "local_ollama", "multi_cloud")
MODE_MAX_TIER = {"local_only": 1, "local_ollama": 2, "multi_cloud": 3}

# How restrictive each classification is; "the most restrictive of" takes the highest.
RESTRICTIVENESS = {
    "public": 0,
    "internal": 1,
    "confidential": 2,
    "legal": 3,
    "pii": 4,
    "hipaa": 5,
}


def most_restrictive(*classifications: str | None) -> str:
    present = [c for c in classifications if c]
    return max(present, key=RESTRICTIVENESS.__getitem__) if present else "internal"


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens a provider reported for one attempt."""

    prompt_tokens: int
    completion_tokens: int = 0
