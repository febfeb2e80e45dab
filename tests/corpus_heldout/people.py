"""Seeded people and clinical values for the held-out corpus."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from tests.corpus_heldout import pools

TODAY = date(2026, 1, 15)  # fixed, so a seed always gives the same ages

LOCALES = (
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "ja_JP",
    "zh_CN",
    "ko_KR",
    "sv_SE",
    "da_DK",
    "hi_IN",
)
# Names that plausibly turn up in English-language text anywhere.
LATIN_NAME_LOCALES = (
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "sv_SE",
    "da_DK",
)


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    female: bool
    dob: date
    locale: str  # where the name comes from
    city: str

    @property
    def lang(self) -> str:
        return self.locale.split("_")[0]

    @property
    def full(self) -> str:
        if self.lang == "ja":
            return f"{self.last} {self.first}"
        if self.lang in ("zh", "ko"):
            return f"{self.last}{self.first}"
        return f"{self.first} {self.last}"

    @property
    def age(self) -> int:
        years = TODAY.year - self.dob.year
        return years - ((TODAY.month, TODAY.day) < (self.dob.month, self.dob.day))

    @property
    def initials(self) -> str:
        return f"{self.first[0]}.{self.last[0]}."

    def title(self, lang: str) -> str:
        male, female = pools.TITLES.get(lang, ("", ""))
        return female if self.female else male

    def pron(self, lang: str = "en") -> dict[str, str]:
        """Pronouns and gendered endings for the languages that need them."""
        f = self.female
        return {
            "he": "she" if f else "he",
            "He": "She" if f else "He",
            "him": "her" if f else "him",
            "his": "her" if f else "his",
            "His": "Her" if f else "His",
            "e_fr": "e" if f else "",  # né / née
            "a_it": "a" if f else "o",  # nato / nata
            "a_es": "a" if f else "o",
            "a_pl": "a" if f else "y",  # urodzony / urodzona
            "sex": "F" if f else "M",
        }


class Writer:
    """One random stream and one Faker per locale, all derived from the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._fakers: dict[str, Faker] = {}
        self.current: Person | None = None  # the last person drawn; conditions must fit them

    def faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            fake = Faker(locale)
            fake.seed_instance(self.seed * 1009 + LOCALES.index(locale))
            self._fakers[locale] = fake
        return self._fakers[locale]

    def choice(self, seq):
        return self.rng.choice(seq)

    def person(
        self,
        locale: str,
        min_age: int = 18,
        max_age: int = 92,
        mix: bool = True,
        female: bool | None = None,
    ) -> Person:
        """A person whose name fits `locale`; English text sometimes names someone from elsewhere."""
        name_locale = locale
        if mix and locale.startswith("en_") and self.rng.random() < 0.25:
            name_locale = self.choice(LATIN_NAME_LOCALES)
        fake = self.faker(name_locale)
        female = self.rng.random() < 0.5 if female is None else female
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        age_days = self.rng.randint(min_age * 365 + 1, max_age * 365 + 200)
        dob = TODAY - timedelta(days=age_days)
        city = fake.city()
        self.current = Person(first, last, female, dob, name_locale, city)
        return self.current

    def child(self, locale: str) -> Person:
        return self.person(locale, min_age=5, max_age=15, mix=False)

    def _fits(self, text: str, variant: str = "") -> bool:
        """False for a pregnancy or sex-specific item that the current person cannot have."""
        p = self.current
        if p is None:
            return True
        obstetric = variant == "pregnancy" or any(k in text.lower() for k in pools.OBSTETRIC)
        if obstetric and (not p.female or not 18 <= p.age <= 46):
            return False
        if any(k in text.lower() for k in pools.FEMALE_ONLY) and not p.female:
            return False
        return not (any(k in text.lower() for k in pools.MALE_ONLY) and p.female)

    def date(self, d: date, locale: str) -> str:
        return pools.fmt_date(d, locale, self.rng)

    def recent(self, locale: str, back: int = 400) -> str:
        return self.date(TODAY - timedelta(days=self.rng.randint(1, back)), locale)

    def span(self, locale: str, back: int = 60) -> tuple[str, str]:
        """Two recent dates, the first no later than the second (admission, discharge)."""
        end = TODAY - timedelta(days=self.rng.randint(1, back))
        start = end - timedelta(days=self.rng.randint(1, 21))
        return self.date(start, locale), self.date(end, locale)

    def dob(self, p: Person, locale: str) -> str:
        return self.date(p.dob, locale)

    def cond(self, lang: str, variants: tuple[str, ...] = ()) -> tuple[str, str, str]:
        pool = pools.COND.get(lang, pools.COND["en"])
        if variants:
            pool = [c for c in pool if c[2] in variants] or pool
        pool = [c for c in pool if self._fits(c[1], c[2])] or pool
        return self.choice(pool)

    def drug(self, lang: str, keys: tuple[str, ...] = ()) -> tuple[str, str, str]:
        """(name in `lang`, dose, variant)."""
        key = self.choice(keys or tuple(pools.DRUG))
        name = pools.DRUG[key].get(lang, pools.DRUG[key]["en"])
        dose = self.choice(pools.DOSES[key]).replace(" units", " " + pools.UNITS.get(lang, "units"))
        return name, dose, pools.DRUG_VARIANT.get(key, "medication")

    def drug_for(self, lang: str, variant: str) -> tuple[str, str, str]:
        """A drug that fits a condition of `variant`."""
        return self.drug(lang, pools.DRUGS_FOR.get(variant, pools.DRUGS_FOR["diagnosis"]))

    def freq(self, lang: str) -> str:
        return self.choice(pools.FREQ.get(lang, pools.FREQ["en"]))

    def lab(self, lang: str) -> str:
        pool = pools.LABS.get(lang, pools.LABS["en"])
        return self.choice([x for x in pool if self._fits(x)] or pool)

    def proc(self, lang: str) -> str:
        pool = pools.PROC.get(lang, pools.PROC["en"])
        return self.choice([x for x in pool if self._fits(x)] or pool)

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randint(0, 9)) for _ in range(n))
