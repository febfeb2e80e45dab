"""The detector on a third corpus written apart (tests/corpus_fresh), measured once: a floor under it.

Written by a helper that read neither the detector nor the other two corpora: people's health
and identities inside real LLM traffic (support chats, HR tools, claim triage, CRM exports,
KYC payloads), and look-alikes (API docs with placeholders, blank forms, drug labels,
biographies). It was scored once, after the day's tuning on the other corpora, and the
detector was not changed for it; these bounds guard against regressions only.
"""

from __future__ import annotations

import pytest

from tests.corpus_apart import score
from tests.corpus_fresh.generate import generate, generate_negatives
from tiergate.detect import Detector

SEED = 1
# Measured at 12:40 UTC on 2 December 2026: health 97/120, identity 120/120; at the start of
# that day (d9a3f4a) the same. Look-alikes flagged: 102/500 (130/500 at d9a3f4a): API docs
# and SDK readmes with placeholder people, blank forms, drug labels and statistics news.
RECALL_FLOOR = {"health_fresh": 0.76, "identity_fresh": 0.95}
FP_CEILING = 0.23


@pytest.fixture(scope="module")
def outcomes() -> list[score.Outcome]:
    found, _ = score.run(Detector(), generate(SEED) + generate_negatives(SEED))
    return found


@pytest.mark.parametrize("kind", sorted(RECALL_FLOOR))
def test_recall_floor(outcomes: list[score.Outcome], kind: str) -> None:
    chosen = [o for o in outcomes if o.sample.kind == kind]
    hits = sum(o.hit for o in chosen)
    assert len(chosen) >= 120
    assert hits / len(chosen) >= RECALL_FLOOR[kind], f"{kind}: {hits}/{len(chosen)}"


def test_false_positive_ceiling(outcomes: list[score.Outcome]) -> None:
    negatives = [o for o in outcomes if o.sample.need is None]
    flagged = sum(bool(o.classification) for o in negatives)
    assert len(negatives) >= 500
    assert flagged / len(negatives) <= FP_CEILING, f"{flagged}/{len(negatives)}"
