"""The detector on three more corpora written apart from it: floors and ceilings.

- tests/corpus_heldout: people with their health or birth dates in 14 languages, and
  look-alikes (medical questions, textbooks, public figures). Seed 11's misses were read
  while tuning on 2 December 2026; seed 2025, used here, never was.
- tests/corpus_fresh: health and identities inside real LLM traffic (support chats, HR tools,
  claim triage, CRM exports, KYC payloads) and look-alikes (API docs with placeholders, blank
  forms, drug labels). Scored once after that day's tuning (health 97/120); then its seed 1
  and 2 misses were read and fixed (13:10 UTC), so it is tuning data now.
- tests/corpus_fourth: health in voice transcripts, minutes, calendars, receipts, travel
  assistance, obituary drafts; identities on boarding passes, visas, KYC chats. Written last
  and never read: the measure of how the day's rules carry to a new author's writing.

Floors sit about 5 points under what the detector did when they were set, ceilings a little
over; raise floors and lower ceilings as it improves, never the other way to let a change
pass. `python benchmarks/detect_accuracy.py` prints every breakdown.
"""

from __future__ import annotations

import pytest

from tests.corpus_apart import score
from tests.corpus_fourth import generate as fourth
from tests.corpus_fresh import generate as fresh
from tests.corpus_heldout.generate import generate_all
from tiergate.detect import Detector

# Set at 12:30-12:45 UTC on 2 December 2026. Measured then (at d9a3f4a, the start of that day):
#   heldout seed 2025: health 125/150 (109), birth dates 135/150 (121), look-alikes 69/600
#   (139): vignettes and registry tables kept local on purpose, textbook paragraphs and trial
#   designs with doses, public figures born after 1900, medical questions in other languages;
#   fresh seed 1: health 110/120 (97), identity 120/120 (120), look-alikes 102/500 (130): API
#   docs and SDK readmes with placeholder people, blank forms, drug labels, statistics news;
#   fourth seed 1: health 95/120 (94), identity 120/120 (120), look-alikes 158/400 (158):
#   fictional and historical people with illnesses, businesses' public contact details.
RECALL_FLOOR = {
    "health_heldout": 0.78,
    "dob_heldout": 0.85,
    "health_fresh": 0.86,
    "identity_fresh": 0.95,
    "health_fourth": 0.74,
    "identity_fourth": 0.95,
}
FP_CEILING = {"heldout": 0.14, "fresh": 0.23, "fourth": 0.42}


@pytest.fixture(scope="module")
def outcomes() -> list[score.Outcome]:
    samples = [
        *generate_all(2025),
        *fresh.generate(1),
        *fresh.generate_negatives(1),
        *fourth.generate(1),
        *fourth.generate_negatives(1),
    ]
    found, _ = score.run(Detector(), samples)
    return found


@pytest.mark.parametrize("kind", sorted(RECALL_FLOOR))
def test_recall_floor(outcomes: list[score.Outcome], kind: str) -> None:
    t = score.recall_per_kind(outcomes)[kind]
    assert t.total >= 120
    assert t.rate >= RECALL_FLOOR[kind], f"{kind}: {t.hits}/{t.total}"


@pytest.mark.parametrize("source", sorted(FP_CEILING))
def test_false_positive_ceiling(outcomes: list[score.Outcome], source: str) -> None:
    flagged, n = score.fp_rate(outcomes, source)
    assert n >= 400
    assert flagged / n <= FP_CEILING[source], f"{source}: {flagged}/{n}"
