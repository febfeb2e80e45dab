"""Fourth detector corpus: personal health data and personal data in everyday, non-clinical text.

Written by a helper session started from the tiergate project, from its own knowledge, apart from
the detector and from the three earlier corpora. Rules it was written under:

- nothing under tiergate/, tests/test_detect*.py, tests/corpus_heldout/, tests/corpus_fresh/ or
  tests/corpus_apart/ was read, except tests/corpus_apart/generate.py (for the `Sample`
  dataclass only) and tests/corpus_apart/score.py;
- the detector was not run on this data and the data was not scored while it was written;
- values come from seeded Faker instances in hand-written templates; deterministic per seed.

Measured once; do not tune the detector on it.

    from tests.corpus_fourth.generate import generate, generate_negatives
    positives = generate(seed, per_kind=120)   # kinds health_fourth (hipaa), identity_fourth (pii)
    negatives = generate_negatives(seed, n=400)  # must get no classification
"""
