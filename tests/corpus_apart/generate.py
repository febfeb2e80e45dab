"""Build the detector corpus: seeded Faker values in hand-written templates, disguised values,
values split across texts, generated hard negatives and real text nobody here wrote.

Written without reading tiergate/detect.py, its tests or its corpus: the kind names and the
classification each kind must at least get are this corpus's own.

    python -m tests.corpus_apart.generate --per-kind 5 --negatives 10 --real 5   # print a sample
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict, dataclass
from string import Template

from faker import Faker

from tests.corpus_apart import realtext
from tests.corpus_apart.negatives import NEGATIVES
from tests.corpus_apart.obfuscate import OBFUSCATED_KINDS, SPLIT_KINDS, TECHNIQUES
from tests.corpus_apart.templates import TEMPLATES, T
from tests.corpus_apart.values import LOCALES, MAKERS, Ctx, Value

# The least restrictive classification each kind must get (public < internal < confidential <
# legal < pii < hipaa). An IP or MAC address identifies a person's device: personal data.
NEED: dict[str, str] = {
    "email": "pii",
    "phone": "pii",
    "national_id": "pii",
    "payment_card": "pii",
    "iban": "pii",
    "ip_address": "pii",
    "mac_address": "pii",
    "date_of_birth_with_name": "pii",
    "street_address_with_name": "pii",
    "health": "hipaa",
    "legal_privilege": "legal",
    "confidential_marker": "confidential",
    "credential": "confidential",
}
KINDS = tuple(NEED)


@dataclass(frozen=True)
class Sample:
    """One detector input (`texts`, scanned together) and what it must or must not get.

    family: plain | obfuscated | split | negative. For positives `kind` and `need` are set; for
    negatives `source` says where the text came from (generated, debian, python).
    """

    texts: tuple[str, ...]
    family: str
    kind: str | None
    need: str | None
    locale: str
    template: str
    variant: str
    source: str = "generated"
    checksum_ok: bool | None = None


def _lang(locale: str) -> str:
    return locale.split("_")[0]


def _pick_template(rng: random.Random, kind: str, locale: str) -> T:
    templates = TEMPLATES[kind]
    local = [t for t in templates if t[1] == _lang(locale) and t[1] != "en"]
    if local and rng.random() < 0.4:
        return rng.choice(local)
    return rng.choice([t for t in templates if t[1] == "en"])


class _Writer:
    """Fills templates for one seed: one Faker per locale, all seeded from it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for i, locale in enumerate((*LOCALES, "en_IN")):
            if locale not in self.fakers:
                fake = Faker(locale)
                fake.seed_instance(seed * 1000 + i)
                self.fakers[locale] = fake

    def ctx(self, locale: str) -> Ctx:
        return Ctx(locale=locale, fake=self.fakers[locale], rng=self.rng, fakers=self.fakers)

    def render(self, template: T, locale: str, value: str, label: str) -> str:
        fake = self.fakers[locale]
        return Template(template[2]).substitute(
            v=value,
            label=label,
            name=fake.name(),
            first=fake.first_name(),
            company=fake.company(),
            city=fake.city(),
            date=fake.date_this_year().isoformat(),
            ticket=str(self.rng.randrange(10_000, 99_999)),
            n=str(self.rng.randrange(1, 9)),
        )

    def positive(self, kind: str, locale: str) -> tuple[Value, T, str]:
        value = MAKERS[kind](self.ctx(locale))
        template = _pick_template(self.rng, kind, locale)
        return value, template, self.render(template, locale, value.text, value.label)


def _split(rng: random.Random, text: str, value: str, kind: str) -> tuple[str, str] | None:
    """Cut `text` inside `value`, where a person would break a message: at a separator if any."""
    start = text.find(value)
    if start < 0 or len(value) < 6:
        return None
    if kind == "email":
        at = value.index("@")
        return text[: start + at], text[start + at :]
    seps = [i for i, ch in enumerate(value) if ch in " -./" and 2 <= i <= len(value) - 3]
    if seps:
        cut = rng.choice(seps)
        if value[cut] == " ":
            return text[: start + cut], text[start + cut + 1 :]
        return text[: start + cut + 1], text[start + cut + 1 :]
    cut = len(value) // 2 + rng.randrange(-2, 3)
    return text[: start + cut], text[start + cut :]


def positives(w: _Writer, per_kind: int) -> list[Sample]:
    out = []
    for kind in KINDS:
        for i in range(per_kind):
            locale = LOCALES[i % len(LOCALES)]
            value, template, text = w.positive(kind, locale)
            out.append(
                Sample(
                    texts=(text,),
                    family="plain",
                    kind=kind,
                    need=NEED[kind],
                    locale=locale,
                    template=f"{kind}/{template[0]}",
                    variant=value.variant,
                    checksum_ok=value.checksum_ok,
                )
            )
    return out


def obfuscated(w: _Writer, per_pair: int) -> list[Sample]:
    """Every technique on every kind it applies to, per_pair samples each."""
    out = []
    for technique, disguise in TECHNIQUES.items():
        for kind in OBFUSCATED_KINDS:
            made, tries = 0, 0
            while made < per_pair and tries < per_pair * 5:
                tries += 1
                locale = LOCALES[tries % len(LOCALES)]
                value = MAKERS[kind](w.ctx(locale))
                hidden = disguise(value.text, w.rng)
                if hidden is None:
                    continue
                template = _pick_template(w.rng, kind, locale)
                text = w.render(template, locale, hidden, value.label)
                out.append(
                    Sample(
                        texts=(text,),
                        family="obfuscated",
                        kind=kind,
                        need=NEED[kind],
                        locale=locale,
                        template=f"{kind}/{template[0]}",
                        variant=technique,
                        checksum_ok=value.checksum_ok,
                    )
                )
                made += 1
    return out


def split(w: _Writer, per_kind: int) -> list[Sample]:
    """A value cut across two texts of one request; recorded as its own kind, `split`."""
    out = []
    for kind in SPLIT_KINDS:
        made, tries = 0, 0
        while made < per_kind and tries < per_kind * 5:
            tries += 1
            locale = LOCALES[tries % len(LOCALES)]
            value, template, text = w.positive(kind, locale)
            parts = _split(w.rng, text, value.text, kind)
            if parts is None:
                continue
            out.append(
                Sample(
                    texts=parts,
                    family="split",
                    kind="split",
                    need=NEED[kind],
                    locale=locale,
                    template=f"{kind}/{template[0]}",
                    variant=kind,
                    checksum_ok=value.checksum_ok,
                )
            )
            made += 1
    return out


def generated_negatives(w: _Writer, n: int) -> list[Sample]:
    names = list(NEGATIVES)
    out = []
    for i in range(n):
        variant = names[i % len(names)]
        text = NEGATIVES[variant](w.rng)
        out.append(Sample((text,), "negative", None, None, "-", f"negative/{variant}", variant))
    return out


def real_negatives(seed: int, n: int, excluded: realtext.Exclusions) -> list[Sample]:
    out = []
    for source, files in (("debian", realtext.debian_files()), ("python", realtext.python_files())):
        rng = random.Random(f"{seed}/{source}")
        for path, text in realtext.sample(files, n, rng, excluded):
            out.append(
                Sample((text,), "negative", None, None, "-", f"{source}/{path}", path, source)
            )
    return out


@dataclass(frozen=True)
class Sizes:
    per_kind: int = 200
    obfuscated_per_pair: int = 20
    split_per_kind: int = 40
    negatives: int = 2100
    real_per_source: int = 1000


def generate(seed: int, sizes: Sizes, excluded: realtext.Exclusions | None = None) -> list[Sample]:
    """The whole corpus for one seed; the same seed and sizes give the same samples."""
    w = _Writer(seed)
    return [
        *positives(w, sizes.per_kind),
        *obfuscated(w, sizes.obfuscated_per_pair),
        *split(w, sizes.split_per_kind),
        *generated_negatives(w, sizes.negatives),
        *real_negatives(seed, sizes.real_per_source, excluded or realtext.Exclusions()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-kind", type=int, default=3)
    parser.add_argument("--negatives", type=int, default=21)
    parser.add_argument("--real", type=int, default=3)
    args = parser.parse_args()
    sizes = Sizes(
        args.per_kind, max(1, args.per_kind // 3), args.per_kind, args.negatives, args.real
    )
    for sample in generate(args.seed, sizes):
        print(json.dumps(asdict(sample), ensure_ascii=False))


if __name__ == "__main__":
    main()
