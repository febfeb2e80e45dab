"""How well the detector does on data written apart from it: recall per kind and false positives.

The corpus (tests/corpus_apart) is Faker values in hand-written templates across 15 locales,
the same values disguised (full-width digits, zero-width characters, base64, hex, URL and HTML
encoding, spelled-out e-mails) or split across two texts, generated engineering text with
numbers that are not personal data, and real text nobody here wrote (Debian's /usr/share/doc,
Python's own sources). Misses are shown by template and variant, never by value.

Then three more corpora, each written apart by another hand (tests/corpus_heldout and
tests/corpus_fresh, parts of which were read while tuning, and tests/corpus_fourth, never
read): recall per kind and variant, and which look-alikes get flagged.

    python benchmarks/detect_accuracy.py [--seed 7] [--per-kind 200] [--negatives 2100] [--real 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus_apart import realtext, score  # noqa: E402
from tests.corpus_apart.generate import Sample, Sizes, generate  # noqa: E402
from tests.corpus_fourth import generate as fourth  # noqa: E402
from tests.corpus_fresh import generate as fresh  # noqa: E402
from tests.corpus_heldout.generate import generate_all  # noqa: E402
from tiergate.detect import Detector  # noqa: E402


def _pct(t: score.Tally) -> str:
    return f"{100 * t.rate:5.1f}%  {t.hits:>4}/{t.total:<4}"


def _table(title: str, rows: dict[str, score.Tally], *, flagged: bool = False) -> None:
    print(f"\n{title}")
    width = max((len(k) for k in rows), default=10) + 2
    for key, t in rows.items():
        extra = (
            f"  (flagged at any class: {t.flagged}/{t.total})"
            if flagged and t.flagged != t.hits
            else ""
        )
        print(f"  {key:<{width}} {_pct(t)}{extra}")


def _matrix(obf: Sequence[score.Outcome]) -> None:
    """Hits per technique (rows) and kind (columns) of the obfuscated family."""
    kinds = sorted({o.sample.kind or "" for o in obf})
    cells = score.tally(obf, lambda o: f"{o.sample.variant}|{o.sample.kind}")
    print("\nObfuscated hits per technique x kind:")
    print(f"  {'':<20}" + "".join(f"{k[:12]:>13}" for k in kinds))
    for technique in sorted({o.sample.variant for o in obf}):
        row = []
        for kind in kinds:
            t = cells.get(f"{technique}|{kind}")
            row.append(f"{t.hits:>6}/{t.total:<6}" if t else f"{'-':>13}")
        print(f"  {technique:<20}" + "".join(row))


def _variants(plain: Sequence[score.Outcome]) -> None:
    """Per kind, hits per value variant (vendor, issuer and separators, date format...), worst first."""
    print("\nPlain values per kind and variant (worst first):")
    for kind in sorted({o.sample.kind or "" for o in plain}):
        if kind == "national_id":
            continue
        chosen = [o for o in plain if o.sample.kind == kind]
        if kind in ("phone", "street_address_with_name", "date_of_birth_with_name"):
            cells = score.tally(chosen, lambda o: f"{o.sample.locale}/{o.sample.variant}")
        else:
            cells = score.tally(chosen, lambda o: o.sample.variant)
        if all(t.hits == t.total for t in cells.values()):
            continue
        worst = sorted(cells.items(), key=lambda kv: (kv[1].rate, kv[0]))
        text = ", ".join(f"{v} {t.hits}/{t.total}" for v, t in worst)
        print(f"  {kind}: {text}")


def _misses(outcomes: Sequence[score.Outcome], per_kind: int) -> None:
    print("\nExample misses per kind (template, value variant, what the detector said):")
    by_kind: dict[str, list[score.Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.sample.need is not None and not o.hit:
            by_kind[f"{o.sample.family}:{o.sample.kind}"].append(o)
    for kind, missed in sorted(by_kind.items()):
        print(f"  {kind} ({len(missed)} missed)")
        seen = set()
        for o in missed:
            key = (o.sample.template, o.sample.variant)
            if key in seen:
                continue
            seen.add(key)
            got = o.classification or "nothing"
            print(
                f"    - {o.sample.template} [{o.sample.variant}] locale={o.sample.locale} -> {got}"
            )
            if len(seen) == per_kind:
                break


def _false_positives(outcomes: Sequence[score.Outcome], per_source: int) -> None:
    print("\nFalse positives per negative variant (generated):")
    rows = score.tally(score.negatives(outcomes, "generated"), lambda o: o.sample.variant)
    for variant, t in rows.items():
        if t.flagged:
            print(f"  {variant:<16} {t.flagged:>4}/{t.total}")
    for source in ("generated", "debian", "python"):
        flagged = [o for o in score.negatives(outcomes, source) if o.classification is not None]
        if not flagged:
            continue
        print(f"\nExample false positives ({source}):")
        for o in flagged[:per_source]:
            excerpt = " ".join(o.sample.texts[0].split())[:110]
            print(
                f"  - {o.sample.variant} -> {o.classification} {list(o.kinds)}\n      {excerpt!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--negatives", type=int, default=2100)
    parser.add_argument(
        "--real", type=int, default=1000, help="paragraphs from each real-text source"
    )
    parser.add_argument("--examples", type=int, default=4)
    parser.add_argument("--heldout-seed", type=int, default=2025)
    parser.add_argument("--fresh-seed", type=int, default=1)
    args = parser.parse_args()

    excluded = realtext.Exclusions()
    sizes = Sizes(
        per_kind=args.per_kind,
        obfuscated_per_pair=max(1, args.per_kind // 10),
        split_per_kind=max(1, args.per_kind // 5),
        negatives=args.negatives,
        real_per_source=args.real,
    )
    samples = generate(args.seed, sizes, excluded)
    outcomes, seconds = score.run(Detector(), samples, keep_going=True)
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %cI", "--", "tiergate/detect.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    head = subprocess.run(
        ["git", "log", "-1", "--format=%h", "--", "tiergate/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    commit += f" (last commit under tiergate/: {head})"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "tiergate/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        commit += " + uncommitted changes under tiergate/"
    print(
        f"detect.py at {commit or 'unknown'}; seed {args.seed}; {len(samples)} samples scanned in {seconds:.1f} s"
    )
    failed = [o for o in outcomes if o.error]
    if failed:
        print(f"\n{len(failed)} samples made scan() raise (counted as misses, never as hits):")
        for o in failed[: args.examples * 3]:
            print(f"  - {o.sample.family} {o.sample.template} [{o.sample.variant}]: {o.error}")

    _table(
        "Recall per kind (plain values; `split` = a value cut across two texts):",
        score.recall_per_kind(outcomes),
        flagged=True,
    )
    parts = score.positives(outcomes, "split")
    _table(
        "Recall on `split`, per kind of the value that was cut:",
        score.tally(parts, lambda o: o.sample.variant),
    )
    plain = score.positives(outcomes, "plain")
    _table("Recall per locale (plain values):", score.tally(plain, lambda o: o.sample.locale))
    obf = score.positives(outcomes, "obfuscated")
    _table(
        "Recall on the obfuscated family, per technique:",
        score.tally(obf, lambda o: o.sample.variant),
    )
    _table("Recall on the obfuscated family, per kind:", score.tally(obf, lambda o: o.sample.kind))
    _matrix(obf)
    ids = [o for o in plain if o.sample.kind == "national_id"]
    checks = {True: "checksum ok", False: "checksum fails", None: "no checksum"}
    _table(
        "national_id per ID type (Faker's values, redrawn until their official check digit is right):",
        score.tally(ids, lambda o: f"{o.sample.variant} ({checks[o.sample.checksum_ok]})"),
    )

    _variants(plain)

    print("\nFalse-positive rate (any classification on a negative):")
    for source in ("generated", "debian", "python"):
        fp, n = score.fp_rate(outcomes, source)
        print(f"  {source:<10} {100 * fp / n if n else 0:5.1f}%  {fp:>4}/{n}")
    print(f"  real-text lines excluded as personal data: {excluded.lines}")

    _misses(outcomes, args.examples)
    _false_positives(outcomes, args.examples)
    _corpus(
        f"Held-out corpus (tests/corpus_heldout, seed {args.heldout_seed}; seed 11 was read "
        "while tuning):",
        generate_all(args.heldout_seed),
    )
    _corpus(
        f"Fresh corpus (tests/corpus_fresh, seed {args.fresh_seed}; seeds 1 and 2 were read "
        "while tuning):",
        fresh.generate(args.fresh_seed) + fresh.generate_negatives(args.fresh_seed),
    )
    _corpus(
        f"Fourth corpus (tests/corpus_fourth, seed {args.fresh_seed}; never read while tuning):",
        fourth.generate(args.fresh_seed) + fourth.generate_negatives(args.fresh_seed),
    )


def _corpus(title: str, samples: list[Sample]) -> None:
    """Another corpus written apart: recall per kind and variant, look-alikes flagged."""
    outcomes, _ = score.run(Detector(), samples)
    print(f"\n{title}")
    positives = [o for o in outcomes if o.sample.need]
    _table("  recall per kind:", score.tally(positives, lambda o: o.sample.kind or ""))
    _table("  recall per variant:", score.tally(positives, lambda o: o.sample.variant))
    negatives = [o for o in outcomes if o.sample.need is None]
    flagged: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in negatives:
        flagged[o.sample.template][0] += bool(o.classification)
        flagged[o.sample.template][1] += 1
    total = sum(f for f, _ in flagged.values())
    print(f"\n  look-alikes flagged: {total}/{len(negatives)}")
    for template, (f, n) in sorted(flagged.items(), key=lambda kv: -kv[1][0]):
        if f:
            print(f"    {template:<36} {f:>4}/{n}")


if __name__ == "__main__":
    main()
