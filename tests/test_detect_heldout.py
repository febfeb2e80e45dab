"""The detector on a second corpus written apart from it (tests/corpus_heldout): floors and a ceiling.

The corpus was written by a helper that never read the detector, its tests or the first
corpus: people and their health or birth dates in 14 languages, and look-alikes (medical
questions, textbooks, public figures, release dates). Floors sit about 5 points under what
the detector did on this seed when they were set; raise them as it improves, never lower
them to let a change pass. `python benchmarks/detect_accuracy.py` prints the breakdown.
"""

from __future__ import annotations

import pytest

from tests.corpus_apart import score
from tests.corpus_heldout.generate import generate_all
from tiergate.detect import Detector

SEED = 2025  # never read while tuning (seed 11 was: see tests/corpus_heldout/__init__.py)
# Set at 12:30 UTC on 2 December 2026, detector at the commit that added this file. Before
# that day's changes the same seed gave health 73% (109/150), birth dates 81% (121/150).
RECALL_FLOOR = {"health_heldout": 0.78, "dob_heldout": 0.85}  # measured 0.827, 0.90
# Share of the 600 look-alikes that get any classification: measured 0.115 (69/600; 0.232
# before codes asked about, births before 1900, capitalised question words and "how is X
# diagnosed" questions stopped counting). What is left: anonymous case vignettes and registry
# tables with a diagnosis column (kept local on purpose: a vignette may be a real patient),
# textbook paragraphs and trial designs with doses, public figures born after 1900, medical
# questions in other languages, match reports.
FP_CEILING = 0.14


@pytest.fixture(scope="module")
def outcomes() -> list[score.Outcome]:
    found, _ = score.run(Detector(), generate_all(SEED))
    return found


@pytest.mark.parametrize("kind", sorted(RECALL_FLOOR))
def test_recall_floor(outcomes: list[score.Outcome], kind: str) -> None:
    chosen = [o for o in outcomes if o.sample.kind == kind]
    hits = sum(o.hit for o in chosen)
    assert len(chosen) >= 150
    assert hits / len(chosen) >= RECALL_FLOOR[kind], f"{kind}: {hits}/{len(chosen)}"


def test_false_positive_ceiling(outcomes: list[score.Outcome]) -> None:
    negatives = [o for o in outcomes if o.sample.need is None]
    flagged = sum(bool(o.classification) for o in negatives)
    assert len(negatives) >= 600
    assert flagged / len(negatives) <= FP_CEILING, f"{flagged}/{len(negatives)}"
