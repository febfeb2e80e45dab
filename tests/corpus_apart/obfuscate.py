"""The same values, disguised the way people (or their tools) disguise them.

Each technique maps a value to its disguised text, or to None where it does not apply
(digit tricks on a value without digits). `split` is not here: generate.py cuts a text in two.
"""

from __future__ import annotations

import base64
import html
import random
from collections.abc import Callable
from urllib.parse import quote

_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")


def _digits_to(value: str, zero: int) -> str | None:
    if not any(ch.isdigit() for ch in value):
        return None
    return "".join(chr(zero + int(ch)) if "0" <= ch <= "9" else ch for ch in value)


def fullwidth(value: str, rng: random.Random) -> str | None:
    """Full-width forms of every ASCII character (what a Japanese IME types)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in value)


def arabic_indic_digits(value: str, rng: random.Random) -> str | None:
    return _digits_to(value, 0x0660)


def devanagari_digits(value: str, rng: random.Random) -> str | None:
    return _digits_to(value, 0x0966)


def _insert_everywhere(value: str, rng: random.Random, chars: tuple[str, ...]) -> str | None:
    if len(value) < 4:
        return None
    out = []
    for i, ch in enumerate(value):
        out.append(ch)
        if i < len(value) - 1 and rng.random() < 0.4:
            out.append(rng.choice(chars))
    if len(out) == len(value):
        out.insert(len(value) // 2, chars[0])
    return "".join(out)


def zero_width(value: str, rng: random.Random) -> str | None:
    return _insert_everywhere(value, rng, _ZERO_WIDTH)


def soft_hyphen(value: str, rng: random.Random) -> str | None:
    return _insert_everywhere(value, rng, ("\u00ad",))


def base64_encoded(value: str, rng: random.Random) -> str | None:
    return base64.b64encode(value.encode()).decode()


def hex_encoded(value: str, rng: random.Random) -> str | None:
    return value.encode().hex()


def url_encoded(value: str, rng: random.Random) -> str | None:
    """Percent-encoding as a query string carries it; every byte where that would change nothing."""
    quoted = quote(value, safe="")
    if quoted == value:
        quoted = "".join(f"%{b:02X}" for b in value.encode())
    return quoted


def html_entities(value: str, rng: random.Random) -> str | None:
    if rng.random() < 0.5:
        return "".join(f"&#{ord(ch)};" for ch in value)
    return "".join(f"&#x{ord(ch):x};" if ch.isalnum() else html.escape(ch) for ch in value)


def spelled_email(value: str, rng: random.Random) -> str | None:
    if "@" not in value:
        return None
    at, dot = rng.choice(
        [
            (" at ", " dot "),
            (" [at] ", " [dot] "),
            ("(at)", "(dot)"),
            (" AT ", " DOT "),
            (" @ ", " . "),
        ]
    )
    local, _, domain = value.partition("@")
    return local + at + domain.replace(".", dot)


TECHNIQUES: dict[str, Callable[[str, random.Random], str | None]] = {
    "fullwidth": fullwidth,
    "arabic_indic_digits": arabic_indic_digits,
    "devanagari_digits": devanagari_digits,
    "zero_width": zero_width,
    "soft_hyphen": soft_hyphen,
    "base64": base64_encoded,
    "hex": hex_encoded,
    "url": url_encoded,
    "html_entities": html_entities,
    "spelled_email": spelled_email,
}

# The kinds whose values are disguised: the ones a person can type or paste as a token.
OBFUSCATED_KINDS = ("email", "phone", "national_id", "payment_card", "iban", "ip_address")
SPLIT_KINDS = ("email", "phone", "national_id", "payment_card", "iban")
