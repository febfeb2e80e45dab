"""Generate the held-out corpus.

API
    generate(seed, per_kind=150) -> list[Sample]
        POSITIVES ONLY: `per_kind` samples of kind "health_heldout" (need "hipaa") and
        `per_kind` of kind "dob_heldout" (need "pii"); family "plain", source "heldout".
    generate_negatives(seed, n=600) -> list[Sample]
        NEGATIVES ONLY: family "negative", kind/need None, source "heldout".
    generate_all(seed, per_kind=150, negatives=600) -> list[Sample]
        Both of the above.

Deterministic for a seed (random.Random(seed) plus Faker instances seeded from it).

    python -m tests.corpus_heldout.generate --show 5 [--seed 1]
"""

from __future__ import annotations

import argparse
from collections import Counter

from tests.corpus_apart.generate import Sample
from tests.corpus_heldout.dob import DOB
from tests.corpus_heldout.health import HEALTH_EN
from tests.corpus_heldout.health_native import HEALTH_NATIVE
from tests.corpus_heldout.negatives import NEGATIVES
from tests.corpus_heldout.people import Writer

HEALTH = HEALTH_EN + HEALTH_NATIVE
KINDS = {"health_heldout": ("hipaa", HEALTH), "dob_heldout": ("pii", DOB)}
SOURCE = "heldout"


def _positives(w: Writer, kind: str, n: int) -> list[Sample]:
    need, templates = KINDS[kind]
    out = []
    for _ in range(n):
        name, locales, fn = w.choice(templates)
        locale = w.choice(locales)
        text, variant = fn(w, locale)
        out.append(
            Sample(
                texts=(text,),
                family="plain",
                kind=kind,
                need=need,
                locale=locale,
                template=f"{kind}/{name}",
                variant=variant,
                source=SOURCE,
            )
        )
    return out


def generate(seed: int, per_kind: int = 150) -> list[Sample]:
    """Positives only: per_kind health_heldout samples, then per_kind dob_heldout samples."""
    w = Writer(seed)
    return _positives(w, "health_heldout", per_kind) + _positives(w, "dob_heldout", per_kind)


def generate_negatives(seed: int, n: int = 600) -> list[Sample]:
    """Negatives only (family "negative", kind and need None)."""
    w = Writer(seed * 7919 + 17)
    fns = [fn for fn, _ in NEGATIVES]
    weights = [weight for _, weight in NEGATIVES]
    out = []
    for _ in range(n):
        fn = w.rng.choices(fns, weights)[0]
        text, variant, locale = fn(w)
        out.append(
            Sample(
                texts=(text,),
                family="negative",
                kind=None,
                need=None,
                locale=locale,
                template=f"negative_heldout/{fn.__name__}",
                variant=variant,
                source=SOURCE,
            )
        )
    return out


def generate_all(seed: int, per_kind: int = 150, negatives: int = 600) -> list[Sample]:
    return generate(seed, per_kind) + generate_negatives(seed, negatives)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--show", type=int, default=5, help="samples to print per kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stats", action="store_true", help="print template/locale/variant counts")
    args = ap.parse_args(argv)
    samples = generate_all(args.seed)
    groups: dict[str, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.kind or "negative", []).append(s)
    for kind, items in groups.items():
        print(f"===== {kind}: {len(items)} samples =====")
        for s in items[: args.show]:
            print(f"--- {s.template} [{s.variant}] {s.locale} need={s.need}")
            print(s.texts[0])
        if args.stats:
            print("templates:", len({s.template for s in items}))
            print("locales:", dict(Counter(s.locale for s in items)))
            print("variants:", dict(Counter(s.variant for s in items)))
        print()


if __name__ == "__main__":
    main()
