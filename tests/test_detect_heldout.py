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
# Set at 13:30 UTC on 2 December 2026, detector at the commit that added this file. Before
# that day's changes the same seed gave health 73% (109/150), birth dates 81% (121/150).
RECALL_FLOOR = {"health_heldout": 0.73, "dob_heldout": 0.85}  # measured 0.78, 0.90
# Share of the 600 look-alikes that get any classification: measured 0.232 (139/600), most
# of it public figures' birth dates, anonymous case vignettes and ICD-10 explainers, which a
# privacy-first gateway keeps local rather than risk; a ceiling against it growing.
FP_CEILING = 0.26


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
