"""The detector on data written apart from it (tests/corpus_apart): recall floors, FP ceilings.

These guard regressions; they are not the measure. The measure, with more samples and every
breakdown, is `python benchmarks/detect_accuracy.py`. Floors were set a little below what the
detector achieved on this seed when they were last raised (commit of detect.py in FLOORS_FROM);
raise them as the detector improves, never lower them to make a change pass.
"""

from __future__ import annotations

import pytest

from tests.corpus_apart import score
from tests.corpus_apart.generate import KINDS, Sizes, generate
from tiergate.detect import Detector

# ---- constants: raise these as the detector improves ---------------------------------------
SEED = 2024
SIZES = Sizes(
    per_kind=100, obfuscated_per_pair=10, split_per_kind=30, negatives=1050, real_per_source=400
)
FLOORS_FROM = "892822d"  # `git log -1 --format=%h -- tiergate/detect.py` when the floors were set
# Minimum share of plain values per kind that must get at least the kind's classification
# (measured on this seed minus about 5 points; the weaker of the committed and working-tree detector).
RECALL_FLOOR: dict[str, float] = {
    "email": 0.95,
    "phone": 0.90,
    "national_id": 0.68,
    "payment_card": 0.95,
    "iban": 0.86,
    "ip_address": 0.95,
    "mac_address": 0.94,
    "date_of_birth_with_name": 0.47,
    "street_address_with_name": 0.19,
    "health": 0.30,
    "legal_privilege": 0.64,
    "confidential_marker": 0.44,
    "credential": 0.89,
    "split": 0.11,
}
OBFUSCATED_FLOOR = 0.85  # all techniques, all kinds together
# Maximum share of negatives that get any classification, per source (measured plus about 1 point).
# The generated ceiling is high because bare 10-digit numbers in engineering text (CSV revenue
# columns, CI pipeline ids) are taken for phones; lower it when that is fixed.
FP_CEILING: dict[str, float] = {"generated": 0.08, "debian": 0.03, "python": 0.01}
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def outcomes() -> list[score.Outcome]:
    found, _ = score.run(Detector(), generate(SEED, SIZES))
    return found


def test_every_kind_has_a_floor() -> None:
    assert set(RECALL_FLOOR) == {*KINDS, "split"}


@pytest.mark.parametrize("kind", sorted(RECALL_FLOOR))
def test_recall_floor(outcomes: list[score.Outcome], kind: str) -> None:
    t = score.recall_per_kind(outcomes)[kind]
    assert t.total >= 100
    assert t.rate >= RECALL_FLOOR[kind], (
        f"{kind}: {t.hits}/{t.total} below {RECALL_FLOOR[kind]:.0%}"
    )


def test_obfuscated_floor(outcomes: list[score.Outcome]) -> None:
    chosen = score.positives(outcomes, "obfuscated")
    hits = sum(o.hit for o in chosen)
    assert len(chosen) >= 300
    assert hits / len(chosen) >= OBFUSCATED_FLOOR, f"{hits}/{len(chosen)}"


@pytest.mark.parametrize("source", sorted(FP_CEILING))
def test_false_positive_ceiling(outcomes: list[score.Outcome], source: str) -> None:
    fp, n = score.fp_rate(outcomes, source)
    assert n >= 300, f"only {n} {source} negatives were sampled"
    flagged = [o.sample.variant for o in score.negatives(outcomes, source) if o.classification]
    assert fp / n <= FP_CEILING[source], f"{source}: {fp}/{n} flagged: {flagged[:10]}"
