"""Print the detector's recall per kind and false-positive rate over tests/corpus/detect.jsonl.

Run ``python benchmarks/corpus_report.py``; add ``-v`` to list the misses and false positives.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from tiergate.detect import KINDS, Detector

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "detect.jsonl"


def main() -> None:
    verbose = "-v" in sys.argv[1:]
    detector = Detector()
    labelled: Counter[str] = Counter()
    found: Counter[str] = Counter()
    negatives = false_positives = 0
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        kinds = set(detector.scan([row["text"]]).kinds)
        if not row["kinds"]:
            negatives += 1
            false_positives += bool(kinds)
            if kinds and verbose:
                print(f"  false positive {sorted(kinds)}: {row['text']!r}")
        for kind in row["kinds"]:
            labelled[kind] += 1
            found[kind] += kind in kinds
            if kind not in kinds and verbose:
                print(f"  missed {kind}: {row['text']!r}")
    for kind in (k for k in KINDS if labelled[k]):  # the corpus predates some kinds
        print(
            f"{kind:15s} recall {found[kind]:3d}/{labelled[kind]:<3d} {found[kind] / labelled[kind]:7.1%}"
        )
    print(
        f"{'false positives':15s}        {false_positives:3d}/{negatives:<3d} {false_positives / negatives:7.1%}"
    )


if __name__ == "__main__":
    main()
