"""Disguises: other digits, invisible characters, odd dashes and spaces, and encodings.

Each row hides a value the detector finds in plain form; it must be found in the
disguise too. Clean text in other scripts must stay clean.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

import pytest

from tiergate.detect import Detector, Finding
from tiergate.normalize import decode_token, fold

DETECTOR = Detector()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hexed(text: str) -> str:
    return binascii.hexlify(text.encode()).decode()


def digits_in(script_zero: int, text: str) -> str:
    return "".join(chr(script_zero + int(c)) if c.isdigit() else c for c in text)


DISGUISED = [
    # digits of other scripts
    ("national_id", "\uff33\uff33\uff2e " + digits_in(0xFF10, "123-45-6789")),  # all full-width
    ("national_id", digits_in(0x0660, "SSN 123-45-6789")),  # Arabic-Indic
    ("payment_card", digits_in(0x0966, "card 4111 1111 1111 1111")),  # Devanagari
    ("phone", digits_in(0xFF10, "tel 090-1234-5678")),  # full-width
    ("phone", digits_in(0x06F0, "+98 912 345 6789")),  # Extended Arabic-Indic (Persian)
    # invisible characters inside a value
    ("payment_card", "4111\u200b1111\u200b1111\u200b1111"),
    ("national_id", "SSN 123\u00ad-45\u00ad-6789"),
    ("email", "jane\u200d.doe@exam\u2060ple.com"),
    ("phone", "+1\ufeff415\u200c555\u200b0134"),
    # dashes and spaces that are not ASCII
    ("national_id", "SSN 123\u201345\u20136789"),
    ("phone", "555\u2014010\u20144477"),
    ("national_id", "SSN 123\u221245\u22126789"),
    ("payment_card", "4111\u00a01111\u00a01111\u00a01111"),
    ("phone", "+44\u200920\u20097946\u20090958"),
    ("email", "jane\uff20example.com"),
    ("email", "jane@example\u3002com"),
    # encodings, whole or in part
    ("email", "contact: " + b64("jane.doe@example.com")),
    ("email", "reply to " + b64("jane@example.com")),  # no digit in it, only '=' padding
    ("national_id", "blob=" + b64("SSN 123-45-6789")),
    ("payment_card", "payload " + hexed("card 4111111111111111")),
    ("email", "jane%40example.com"),
    ("national_id", "q=" + quote("SSN 123-45-6789", safe="")),
    ("email", "jane&#64;example.com"),
    ("email", "jane&commat;example.com"),
    ("phone", "&#43;44 20 7946 0958"),
    ("email", "jane\\x40example.com"),
    ("email", "jane\\u0040example.com"),
    ("email", b64(quote("jane@example.com", safe=""))),
    ("credential", b64("password=Hunter2Hunter2")),
]


@pytest.mark.parametrize(("kind", "text"), DISGUISED, ids=[t[:30] for _, t in DISGUISED])
def test_disguised_values_are_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


CLEAN = [
    "東京で会議があります。よろしくお願いします。",
    "مرحبا، كيف حالك اليوم؟",
    digits_in(0xFF10, "2024") + "年の計画",
    "Version " + digits_in(0xFF10, "2.0") + " is out",
    "naïve café déjà vu",
    "Zürich ist schön im Frühling",
    "he said \u2014 twice \u2014 that it works",
    "SGVsbG8gd29ybGQ=",  # base64 of "Hello world"
    "48656c6c6f20776f726c64",  # hex of "Hello world"
    "100%25 done",
    "Tom &amp; Jerry",
    "C:\\\\Users\\\\x\\\\file.txt",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_in_any_script_stays_clean(text: str) -> None:
    assert DETECTOR.scan([text]) == Finding(None, ())


def test_fold_leaves_ascii_as_it_is() -> None:
    text = "plain ASCII, left alone: 1-2-3"
    assert fold(text) is text


def test_fold_maps_digits_strips_invisibles_and_unifies_dashes() -> None:
    assert fold(digits_in(0x0660, "123") + "\u00ad\u2013" + digits_in(0x0660, "45")) == "123-45"
    assert fold("a\u200bb\u00a0c") == "ab c"


def test_decode_token_reads_only_readable_text() -> None:
    assert decode_token(b64("jane@example.com")) == "jane@example.com"
    assert decode_token(hexed("jane@example.com")) == "jane@example.com"
    assert decode_token("9f86d081884c7d659a2feaa0c55ad015") is None  # a hash, not text
    assert decode_token("internationalization") is None


def test_a_value_split_across_texts_is_found_in_their_join() -> None:
    """The gateway passes each string and their join; the parts alone are clean."""
    parts = ["my card is 4111 1111", "1111 1111, thanks"]
    assert DETECTOR.scan(parts) == Finding(None, ())
    assert DETECTOR.scan([*parts, " ".join(parts)]).kinds == ("payment_card",)
