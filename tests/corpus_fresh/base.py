"""The writer every template gets: a seeded random source, seeded Faker per locale, small helpers."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker

LOCALES: dict[str, str] = {
    "en": "en_US",
    "gb": "en_GB",
    "de": "de_DE",
    "fr": "fr_FR",
    "es": "es_ES",
    "it": "it_IT",
    "nl": "nl_NL",
    "pt": "pt_BR",
    "pl": "pl_PL",
    "sv": "sv_SE",
    "ja": "ja_JP",
    "zh": "zh_CN",
    "ko": "ko_KR",
}


class W:
    """One writer per generate() call: templates draw every value from it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._fakers: dict[str, Faker] = {}

    def fake(self, lang: str) -> Faker:
        loc = LOCALES[lang]
        if loc not in self._fakers:
            f = Faker(loc)
            f.seed_instance(self.rng.randrange(2**32))
            self._fakers[loc] = f
        return self._fakers[loc]

    def pick(self, seq):  # type: ignore[no-untyped-def]
        return self.rng.choice(seq)

    def num(self, a: int, b: int) -> int:
        return self.rng.randint(a, b)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def first(self, lang: str = "en") -> str:
        return str(self.fake(lang).first_name())

    def last(self, lang: str = "en") -> str:
        return str(self.fake(lang).last_name())

    def full(self, lang: str = "en") -> str:
        f = self.fake(lang)
        if lang in ("ja", "zh", "ko"):
            return (
                f"{f.last_name()}{f.first_name()}"
                if lang != "ja"
                else f"{f.last_name()} {f.first_name()}"
            )
        return f"{f.first_name()} {f.last_name()}"

    def first_g(self, lang: str, g: str) -> str:
        f = self.fake(lang)
        return str(f.first_name_female() if g == "f" else f.first_name_male())

    def full_g(self, lang: str, g: str) -> str:
        first, last = self.first_g(lang, g), self.last(lang)
        if lang in ("zh", "ko"):
            return f"{last}{first}"
        return f"{last} {first}" if lang == "ja" else f"{first} {last}"

    def dob(self, lang: str = "en", lo: int = 18, hi: int = 85) -> dt.date:
        return self.fake(lang).date_of_birth(minimum_age=lo, maximum_age=hi)  # type: ignore[no-any-return]

    def recent(self, days: int = 120) -> dt.date:
        return dt.date(2025, 6, 1) - dt.timedelta(days=self.num(0, days))

    def email_for(self, first: str, last: str, lang: str = "en") -> str:
        dom = self.pick(
            ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"]
        )
        ascii_ok = first.isascii() and last.isascii()
        if not ascii_ok:
            return str(self.fake(lang).free_email())
        sep = self.pick([".", "_", "", "."])
        tail = self.pick(["", str(self.num(1, 99)), str(self.num(1960, 2004))])
        return f"{first.lower()}{sep}{last.lower()}{tail}@{dom}".replace(" ", "").replace("'", "")

    def user(self, first: str) -> str:
        stem = first.lower() if first.isascii() else "user"
        return self.pick(
            [
                f"{stem}{self.num(1, 999)}",
                f"{stem}_{self.pick(['runs', 'fit', 'xo', 'k', 'mtl', 'pdx'])}",
                f"{stem[:1]}{self.pick(['j', 'm', 'r', 's'])}{self.num(70, 99)}",
            ]
        )

    def phone(self, lang: str = "en") -> str:
        if lang == "en":
            return f"({self.num(201, 989)}) {self.num(200, 989)}-{self.num(1000, 9999)}"
        return str(self.fake(lang).phone_number())

    def addr(self, lang: str = "en", oneline: bool = True) -> str:
        a = str(self.fake(lang).address())
        return a.replace("\n", ", ") if oneline else a

    def emp_id(self) -> str:
        return self.pick(["E", "EMP-", "", "HR", "W"]) + str(self.num(10000, 999999))

    def mrn(self) -> str:
        return self.pick(["MRN ", "MRN-", "", "PT"]) + str(self.num(1000000, 99999999))


Template = Callable[[W], str]


@dataclass(frozen=True)
class T:
    name: str
    lang: str  # key in LOCALES
    fn: Template
    variant: str = "plain"


def registry() -> tuple[list[T], Callable[..., Callable[[Template], Template]]]:
    items: list[T] = []

    def tpl(name: str, lang: str = "en", variant: str = "plain") -> Callable[[Template], Template]:
        def deco(fn: Template) -> Template:
            items.append(T(name, lang, fn, variant))
            return fn

        return deco

    return items, tpl


def d_us(d: dt.date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def d_eu(d: dt.date, sep: str = ".") -> str:
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}"


def d_iso(d: dt.date) -> str:
    return d.isoformat()


def d_long(d: dt.date) -> str:
    return d.strftime("%B %-d, %Y")
