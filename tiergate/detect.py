"""Detect sensitive data in what a request would send, in-process: validated PII, health, secrets, markers.

The detector answers one question per request: which kinds of sensitive data
appear, and so how restrictive its classification must be. Nothing is sent
anywhere and the matched text is never kept or returned.

Each text is first folded (``normalize.fold``: NFKC, Unicode digits to ASCII,
invisible format characters removed) and every encoded span in it is decoded
and scanned as well (percent-encoding, HTML entities, backslash escapes, base64
and hex tokens), to a bounded depth.

The work is split by what a hit starts with, so clean prose stays cheap:

- ``identifiers``: one pass whose every alternative starts with a digit (phones,
  national IDs, cards, IBANs, IPv4, MAC, addresses, doses) and the letter-digit
  tokens it cuts out (vendor keys, IDs with letters, base64/hex), with
  ``phones`` and ``addresses`` judging those shapes;
- this module: e-mail addresses with an '@', and IPv6; ``spelled``: addresses
  written with words ("at"/"dot", "[at]", "arroba", "punkt"), from the lexicon's hits;
- ``credentials``: PEM blocks, auth headers, connection strings, assignments,
  passwords in prose;
- ``markers``: health facts, privilege and confidentiality markers and birth
  dates said in words, each family behind a substring gate.

Every pattern is linear in its input: no nested or adjacent unbounded
quantifiers that can trade characters, and the digit pass resumes after each
token it judged.

Decisions, for operators:
- IPv4 addresses count only when globally routable (private, loopback,
  documentation ranges identify no one); a dotted quad after "version",
  "build", "python", "oid" is a version. IPv6 counts except unspecified,
  loopback, multicast, documentation (2001:db8::/32) and link-local without a
  MAC-derived (EUI-64) interface id.
- An address at example.com is still an e-mail address: the shape is what
  leaks. Use ``allow`` to exempt addresses the business owns.
- A number written the way some country writes phone numbers counts as a phone
  even in an unassigned or fictional range (555); a bare ten-digit number counts
  too, unless engineering words stand just before it ("pipeline", "job",
  "revenue_cents", "PO") or it sits in a list or row of other numbers and is no
  assigned number. After a weak word ("ring", "reach", "cell") only a
  phone-shaped number counts. After "order", "invoice", "version", "isbn", ...
  none does.
- Bare digit runs that could be anything (a 9-digit SSN, a passport number)
  need a context word just before them (a JSON key counts: the gateway joins
  keys and values); after one, any 5-20 digits count, except a US SSN in a
  range never issued. Distinctive formats (123-45-6789, AB 12 34 56 C,
  123.456.789-09, 850101-1234567, +44 ...) and check-digit-valid bare numbers
  (CPF, PESEL, TC Kimlik, South African and Chinese IDs) need no word.
- In a long row of space-separated numbers (a table) only a window written
  with phone or card punctuation counts; ranges ("60000-64999"), timezone
  offsets and counting sequences are not phones.
- A birth date counts next to a birth word in 12 languages (``birth``: "DOB",
  "born", "geboren", "nato il", "生年月日", "जन्म तिथि", a birth column of a table); a
  street address by its shape (number + street name + suffix, or street +
  number + postcode + town, or ", ST 12345"), unless it follows a company
  name ("Foundation, Inc., 51 Franklin Street"); health data by a diagnosis,
  prescription, procedure, dose, lab value or ICD-10 code in clinical wording.
- Privilege markers ("attorney-client privileged", "privileged & confidential",
  "under NDA", "without prejudice", "gemäß Geheimhaltungsvereinbarung") are ``legal``; "confidential", "internal use
  only", "do not distribute" markers are ``confidential``. Mentioning the words
  ("what is confidential computing?", "explain attorney fees") is not a marker.
- Every word family (markers, birth words, the medical lexicon, spelled '@') is
  gated by one Aho-Corasick pass (``lexicon``), so words of other languages are
  looked for in ASCII text too ("vertraulich", "riservato" typed without
  accents), and the gate costs the same however many words it knows.
- Health data near a person (``health``): a condition, procedure or medicine of
  the lexicon counts with a name, title, pronoun or patient word within 160
  characters, after a clinical label ("Diagnosis:"), or in a table column
  named so; a medicine with a dose counts on its own. Words that mean other
  things too ("stroke", "surgery", "MRI") need clinical wording before them
  ("had a stroke"), and a disease as a subject of study ("the epidemiology
  of", "a dataset of") is not about anyone.
- An ID without a check digit counts after its name in the language it is
  issued in (Rentenversicherungsnummer, NUSS, RG, 旅券番号, Aadhaar, BSN), or
  by its printed shape (12 150385 M 123, 12.345.678-9, 1234.56.782 with its
  11-check, a 4-4-4 Aadhaar unless a card word precedes it).
- A card's digits cut in any way (pairs, '_', one group per line, table cells)
  count within 40 characters after the word "card" when Luhn and an issuer
  prefix agree. A "-p" value counts only in a command that names a user ("-u").
- Connection-string and ``password=`` values that are placeholders (``***``,
  ``<password>``, ``${DB_PASS}``, the word "password") are not credentials.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import credentials, identifiers, markers, spelled
from .normalize import decodings, fold, spelled_digits
from .types import RESTRICTIVENESS

KINDS = (
    "email",
    "phone",
    "national_id",
    "payment_card",
    "iban",
    "ip_address",
    "mac_address",
    "date_of_birth",
    "street_address",
    "medical_record",
    "health",
    "credential",
    "legal_privilege",
    "confidential_marker",
)
KIND_CLASSIFICATION = {
    "email": "pii",
    "phone": "pii",
    "national_id": "pii",
    "payment_card": "pii",
    "iban": "pii",
    "ip_address": "pii",
    "mac_address": "pii",
    "date_of_birth": "pii",
    "street_address": "pii",
    "medical_record": "hipaa",
    "health": "hipaa",
    "credential": "confidential",
    "legal_privilege": "legal",
    "confidential_marker": "confidential",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """What a scan found: the classification it implies and the kinds behind it, never the text."""

    classification: str | None
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExtraPattern:
    """An operator's own pattern; ``name`` becomes the kind reported when it matches."""

    name: str
    regex: str
    classification: str


_Hit = tuple[str, str]  # (kind, candidate text); the text only reaches the allow-list

# Decoded text is scanned again, and what that decodes to once more; no deeper.
_DECODE_DEPTH = 2

_EMAIL_DOMAIN = re.compile(
    r"@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+([^\W\d_]{2,24}|xn--[a-z0-9-]{2,59}))(?![\w-])"
)
_EMAIL_LOCAL = re.compile(r"[\w.%+'-]{1,64}\Z")
# "icon@2x.png" is an asset name; these endings are file types, not top-level domains.
_FILE_ENDINGS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "ts", "json", "map", "pdf"}
)
_IPV6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?"
    r"(?:%[\w.]{1,16})?(?![\w:])"
)
_IPV6_NOBODY = (
    ipaddress.IPv6Network("2001:db8::/32"),  # documentation
    ipaddress.IPv6Network("ff00::/8"),  # multicast (and masks like ffff:ffff::)
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_MAC_COLON = re.compile(r"(?<![\w:])[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![\w:])")


class Detector:
    """Scans request text for sensitive data; immutable after construction, safe to share."""

    def __init__(
        self, *, extra_patterns: Sequence[ExtraPattern] = (), allow: Sequence[str] = ()
    ) -> None:
        """``allow``: regexes; a candidate whose whole text matches one is not reported."""
        self._classification = dict(KIND_CLASSIFICATION)
        self._extras: list[tuple[str, re.Pattern[str]]] = []
        for extra in extra_patterns:
            if extra.classification not in RESTRICTIVENESS:
                raise ValueError(
                    f"extra pattern {extra.name!r}: classification {extra.classification!r} "
                    f"is not one of {', '.join(RESTRICTIVENESS)}"
                )
            if (
                self._classification.setdefault(extra.name, extra.classification)
                != extra.classification
            ):
                raise ValueError(
                    f"extra pattern {extra.name!r} reuses a built-in kind with another "
                    f"classification; use {self._classification[extra.name]!r} or rename it"
                )
            self._extras.append((extra.name, re.compile(extra.regex)))
        self._allow = re.compile("|".join(f"(?:{a})" for a in allow)) if allow else None

    def scan(self, texts: Iterable[str]) -> Finding:
        kinds: set[str] = set()
        for text in texts:
            if text:
                for kind, candidate in self._hits(text, 0):
                    if kind not in kinds and not (self._allow and self._allow.fullmatch(candidate)):
                        kinds.add(kind)
        if not kinds:
            return Finding(None, ())
        worst = max((self._classification[k] for k in kinds), key=RESTRICTIVENESS.__getitem__)
        return Finding(worst, tuple(sorted(kinds)))

    def _hits(self, text: str, depth: int) -> Iterator[_Hit]:
        # Operators' patterns see the text as sent; built-in ones the folded text.
        for name, pattern in self._extras:
            for m in pattern.finditer(text):
                yield name, m.group()
        text = fold(text)
        lowered = _lower(text)  # for substring gates and word patterns; offsets match text
        decoded: list[str] = []
        yield from identifiers.scan(text, decoded)
        if "@" in text:
            yield from _emails(text)
            if " @ " in text:
                yield from _spaced_at_emails(text)
        if ":" in text:
            yield from _colon_addresses(text)
        if "card" in lowered:
            yield from identifiers.loose_cards(text, lowered)
        stems = markers.gate_words(lowered)
        yield from credentials.scan(text, lowered, stems)
        if "email_at" in stems:
            yield from spelled.scan(text, stems["email_at"])
        yield from markers.scan(text, lowered, stems)
        if depth < _DECODE_DEPTH:
            decoded.extend(decodings(text))
            if "digit_name" in stems and (
                digits := spelled_digits(text, lowered, stems["digit_name"])
            ):
                decoded.append(digits)  # "my SSN is five seven five three ..."
            # One text for everything decoded here: thousands of small base64 tokens cost
            # one more scan, not thousands.
            inner = "\n".join(d for d in decoded if d and d != text)
            if inner:
                yield from self._hits(inner, depth + 1)


def _lower(text: str) -> str:
    """``text.lower()`` with every offset kept: a few characters ("İ") lower to two."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _emails(text: str) -> Iterator[_Hit]:
    for m in _EMAIL_DOMAIN.finditer(text):
        at = m.start()
        local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
        if not local:
            continue
        name = local.group().lstrip(".")
        start = at - len(name)
        if not name or name.endswith(".") or ".." in name:
            continue
        if m.group(2).lower() in _FILE_ENDINGS:
            continue
        prev = text[start - 1] if start else ""
        # user:pw@host is a credential URL, git@host:repo an SSH target: neither is an address.
        if prev and prev in ":/" and not text[:start].lower().endswith("mailto:"):
            continue
        if text[m.end() : m.end() + 1] == ":" and text[m.end() + 1 : m.end() + 2].strip():
            continue
        yield "email", name + m.group()


# "jane.doe @ example.com": an address with spaces around its '@'.
_SPACED_DOMAIN = re.compile(r"((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+([^\W\d_]{2,24}))(?![\w-])")


def _spaced_at_emails(text: str) -> Iterator[_Hit]:
    i = text.find(" @ ")
    while i >= 0:
        domain = _SPACED_DOMAIN.match(text, i + 3)
        local = _EMAIL_LOCAL.search(text, max(0, i - 64), i)
        if domain and local and domain.group(2).lower() not in _FILE_ENDINGS:
            name = local.group().lstrip(".")
            if name and not name.endswith("."):
                yield "email", name + "@" + domain.group(1)
        i = text.find(" @ ", i + 3)


def _colon_addresses(text: str) -> Iterator[_Hit]:
    if not _IPV6_ANCHOR.search(text):
        return
    for m in _MAC_COLON.finditer(text):
        if m.group().replace(":", "").strip("0fF"):
            yield "mac_address", m.group()
    for m in _IPV6.finditer(text):
        found = m.group().split("%")[0]
        if found.count(":") < 2 or (found.count(":") < 7 and "::" not in found):
            continue
        try:
            address = ipaddress.IPv6Address(found)
        except ValueError:
            continue
        if address.is_unspecified or address.is_loopback:
            continue
        # "::f" or "fe80::1" is a mask or a router's conventional address; global unicast,
        # unique-local and MAC-derived (EUI-64) interface ids point at a device.
        if address.is_link_local and address.packed[11:13] != b"\xff\xfe":
            continue
        if sum(1 for g in found.split(":") if g) < 3 and address not in _GLOBAL_UNICAST:
            continue
        if any(address in network for network in _IPV6_NOBODY):
            continue
        mapped = address.ipv4_mapped
        if mapped is not None and not mapped.is_global:
            continue
        yield "ip_address", found
