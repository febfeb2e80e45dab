"""A third detector corpus, written apart from tiergate's detector and from its two other corpora.

Written by a helper session asked only to write test data. Rules it worked under: it did not open
tiergate/ (the detector), tests/test_detect*.py, tests/corpus_apart/ (except generate.py for the
`Sample` dataclass and score.py for how samples are scored) or tests/corpus_heldout/; the texts
come from its own knowledge of how people and applications really write to an LLM; it never ran
the detector on this data nor scored it.

Measured once; do not tune the detector on it.

    python -m tests.corpus_fresh.generate --show 3

Read once it had been measured: on 2 December 2026 (13:10 UTC) the misses of seeds 1 and 2
were read and the detector changed for them (after a first, untouched score of health
97/120). It is tuning data now; tests/corpus_fourth is the untouched measure.
"""
