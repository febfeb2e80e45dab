"""Undo the disguises a value can wear before the detector reads it.

Two steps, both linear in the input:

- ``fold``: NFKC, then every Unicode decimal digit to its ASCII digit, format
  characters (zero-width space and joiners, soft hyphen, bidi controls, tags,
  variation selectors) removed, dashes to ``-`` and separators to a space. ASCII
  text, the common case, is returned as it is without touching it.
- ``decodings``: the text again with percent-encoding, HTML entities or
  backslash escapes undone, and ``decode_token``: a base64 or hex token as the
  text it encodes, when that text is readable. The detector scans both the
  original and the decoded text, to a bounded depth.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from urllib.parse import unquote

# Planes 0 and 1 hold every decimal digit, dash and space; tags and variation
# selectors supplement live in plane 14.
_TABLE_RANGES = (range(0x80, 0x20000), range(0xE0000, 0xE0200))
_INVISIBLE_MARKS = frozenset(range(0xFE00, 0xFE10)) | frozenset(range(0xE0100, 0xE01F0))


@cache
def _fold_table() -> dict[int, str | None]:
    """Built on the first non-ASCII text (~0.1 s), so importing stays cheap."""
    table: dict[int, str | None] = {}
    for code in (c for r in _TABLE_RANGES for c in r):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Nd":
            table[code] = str(unicodedata.digit(char))
        elif category == "Cf" or code in _INVISIBLE_MARKS:
            table[code] = None
        elif category == "Pd" or code == 0x2212:  # minus sign
            table[code] = "-"
        elif category == "Zs":
            table[code] = " "
        elif category in ("Zl", "Zp"):
            table[code] = "\n"
    # Full stops that IDNA treats as dots.
    table[0x3002] = table[0xFF0E] = table[0xFF61] = "."
    return table


def fold(text: str) -> str:
    """The text as the detector should read it; ASCII comes back unchanged (the fast path)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_fold_table())


_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")


def decodings(text: str) -> Iterator[str]:
    """The text with each whole-text encoding undone, where it appears; each is a new text to scan."""
    if "%" in text and _PERCENT.search(text):
        yield unquote(text, errors="replace")
    if "&" in text and _ENTITY.search(text):
        yield html.unescape(text)
    if "\\" in text and _ESCAPE.search(text):
        yield _ESCAPE.sub(_unescape, text)
    # Lower-case letters are 61-7a: an address or a name as hex bytes holds " 6" or " 7".
    if (
        _hex_pair_gate(text)
        and (hexed := _HEX_BYTES.search(text))
        and (spelled := _hex_bytes(text, hexed))
    ):
        yield spelled


# "6c 65 6e 61 40 ...": bytes written as spaced hex pairs. Printable ASCII starts with a
# digit from 2 to 7, so the pattern starts on a digit and prose costs nothing.
_HEX_BYTES = re.compile(r"[2-7][0-9A-Fa-f]([ :-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){6,}(?![\w:-])")
_HEX_SEPARATORS = re.compile(r"[ :-]")


def _hex_pair_gate(text: str) -> bool:
    """Three spaced pairs from " 6c " or " 7a " (a lower-case letter as a hex byte) on."""
    for lead in (" 6", " 7"):
        i = text.find(lead)
        while i >= 0:
            if _HEX_PAIRS.match(text, i + 1):
                return True
            i = text.find(lead, i + 2)
    return False


_HEX_PAIRS = re.compile(r"[67][0-9A-Fa-f][ :-][0-9A-Fa-f]{2}[ :-][0-9A-Fa-f]{2}")


def _hex_bytes(text: str, first: re.Match[str]) -> str | None:
    """The text with every run of eight or more spaced hex bytes replaced by what it spells."""
    out, pos, changed = [], 0, False
    m: re.Match[str] | None = first
    while m:
        glued = m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_:-")
        decoded = (
            None if glued else _readable(binascii.unhexlify(_HEX_SEPARATORS.sub("", m.group())))
        )
        if decoded is not None:
            out.append(text[pos : m.start()])
            out.append(decoded)
            pos, changed = m.end(), True
        m = _HEX_BYTES.search(text, m.end())
    return "".join(out) + text[pos:] if changed else None


# "my SSN is five seven five three two ...": seven or more digits spelled as English words.
_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Seven random digits all 0-2 are rare: a run holds one of these, which prose seldom does.
DIGIT_NAMES = ("zero", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine)"
_DIGIT_RUN = _DIGIT_WORD + r"(?:[ ,\-]{1,3}" + _DIGIT_WORD + r"){6,}"
_DIGIT_WORDS = re.compile(r"(?i)\b" + _DIGIT_RUN + r"\b")
_DIGIT_WORDS_LOWER = re.compile(_DIGIT_RUN)
_ONE_DIGIT_WORD = re.compile(r"(?i)" + _DIGIT_WORD)
_NEXT_DIGIT_WORD = re.compile(r"[ ,\-]{1,3}" + _DIGIT_WORD)
_PREVIOUS_DIGIT_WORD = re.compile(_DIGIT_WORD + r"[ ,\-]{1,3}\Z")
_RUN_REACH = 64  # seven words of at most five letters and their separators


def spelled_digits(text: str, lowered: str, names: list[tuple[int, int, str]]) -> str | None:
    """The text with runs of seven or more digit words as digits, if it holds one.

    ``names``: where the rarer digit names (``DIGIT_NAMES``) stand in ``lowered`` (the
    lexicon's pass found them); most mentions stand alone ("four teams") and cost one match.
    """
    for start, end, _name in names:
        paired = _NEXT_DIGIT_WORD.match(lowered, end) or _PREVIOUS_DIGIT_WORD.search(
            lowered, max(0, start - 9), start
        )
        if paired and _DIGIT_WORDS_LOWER.search(
            lowered, max(0, start - _RUN_REACH), end + _RUN_REACH
        ):
            return _DIGIT_WORDS.sub(_digits_of_words, text)
    return None


def _digits_of_words(match: re.Match[str]) -> str:
    return "".join(
        str(_DIGIT_NAMES.index(w.group().lower())) for w in _ONE_DIGIT_WORD.finditer(match.group())
    )


def _unescape(match: re.Match[str]) -> str:
    code = int(match.group()[2:], 16)
    return chr(code) if code <= 0x10FFFF else ""


_BASE64 = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}|[A-Za-z0-9_-]{12,}={0,2}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2}){6,}")
# Decoded bytes count as text when nearly all of them are printable.
_PRINTABLE_SHARE = 0.9


def decode_token(token: str) -> str | None:
    """What a base64 or hex token says, if it says something readable; else None."""
    digits = token[2:] if token[:2] in ("0x", "0X") else token  # a C-style hex literal
    if len(digits) >= 12 and _HEX.fullmatch(digits):
        decoded = _readable(binascii.unhexlify(digits))
        if decoded is not None:
            return decoded
    core = token.rstrip("=")
    if len(core) < 12 or not _BASE64.fullmatch(token):
        return None
    padded = core + "=" * (-len(core) % 4)
    try:
        raw = (
            base64.urlsafe_b64decode(padded)
            if "-" in core or "_" in core
            else base64.b64decode(padded, validate=True)
        )
    except (binascii.Error, ValueError):
        return None
    return _readable(raw)


def _readable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\n\r\t" for c in text)
    return text if text and printable >= _PRINTABLE_SHARE * len(text) else None
