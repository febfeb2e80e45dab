"""Build the fresh corpus: positives (health_fresh, identity_fresh) and negatives.

python -m tests.corpus_fresh.generate --show 3
"""

from __future__ import annotations

import argparse
from collections import Counter

from tests.corpus_apart.generate import Sample
from tests.corpus_fresh import health, identity, negatives
from tests.corpus_fresh.base import LOCALES, T, W

KINDS: dict[str, tuple[str, list[T]]] = {
    "health_fresh": ("hipaa", health.TEMPLATES),
    "identity_fresh": ("pii", identity.TEMPLATES),
}
MAX_CHARS = 600


def _spread(w: W, templates: list[T], n: int) -> list[T]:
    """n templates, each used about equally often, in a seeded order."""
    out: list[T] = []
    while len(out) < n:
        batch = list(templates)
        w.rng.shuffle(batch)
        out.extend(batch)
    return out[:n]


def _sample(w: W, t: T, family: str, kind: str | None, need: str | None) -> Sample:
    text = t.fn(w).strip()
    return Sample(
        texts=(text,),
        family=family,
        kind=kind,
        need=need,
        locale=LOCALES[t.lang],
        template=f"fresh/{t.name}" if t.lang == "en" else f"fresh/{t.name}_{t.lang}",
        variant=t.variant,
        source="fresh",
    )


def generate(seed: int, per_kind: int = 120) -> list[Sample]:
    """Positives: per_kind samples of each kind, spread over that kind's templates."""
    w = W(seed)
    out: list[Sample] = []
    for kind, (need, templates) in KINDS.items():
        for t in _spread(w, templates, per_kind):
            out.append(_sample(w, t, "plain", kind, need))
    return out


def generate_negatives(seed: int, n: int = 500) -> list[Sample]:
    """Negatives: text with no personal data, which must get no classification."""
    w = W(seed ^ 0x5EED)
    return [_sample(w, t, "negative", None, None) for t in _spread(w, negatives.TEMPLATES, n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show", type=int, default=3, help="samples to print per kind")
    args = ap.parse_args()
    samples = generate(args.seed) + generate_negatives(args.seed)
    shown: Counter[str] = Counter()
    for s in samples:
        key = s.kind or "negative"
        if shown[key] >= args.show:
            continue
        shown[key] += 1
        print(f"--- {key} {s.template} {s.locale} {s.variant}")
        print(s.texts[0])
    counts = Counter(s.kind or "negative" for s in samples)
    print("---", dict(counts))


if __name__ == "__main__":
    main()
