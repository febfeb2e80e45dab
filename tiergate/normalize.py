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
