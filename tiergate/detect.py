"""Detect sensitive data in prompt text, in-process: validated PII, health identifiers, secrets.

The detector answers one question per request: which kinds of sensitive data
appear, and so how restrictive its classification must be. Nothing is sent
anywhere and the matched text is never kept or returned.

Speed: clean prose is the common case, so each pass is a compiled regex whose
first character is rare in prose (a digit, a capital, '@', ':') or is gated by
a substring test; sre then skips prose in C. Validators (checksums,
phonenumbers, ipaddress, base64/JSON) run only on the few candidate spans.

Decisions, for operators:
- IP addresses count only when globally routable (``is_global``): private,
  loopback, link-local, shared (CGNAT), reserved and documentation ranges
  (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) identify no
  one. A dotted quad after "version", "build", "release", "section", ... is a
  version or a heading, not an address.
- An address at example.com is still an e-mail address: the shape is what
  leaks, so it counts. Use ``allow`` to exempt addresses the business owns.
- Bare digit runs that could be anything (Dutch BSN, Canadian SIN, German
  Steuer-ID, Aadhaar, a 9-digit SSN, numbers in national phone format) need a
  context word just before them; distinctive formats (123-45-6789, AB123456C,
  RSSMRA85T10A562S, 123.456.789-09, +44 ...) do not.
- Connection-string and ``password=`` values that are placeholders (``***``,
  ``<password>``, ``${DB_PASS}``, the word "password") are not credentials.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.us import ssn

from tiergate.types import RESTRICTIVENESS

KINDS = (
    "email",
    "phone",
    "national_id",
    "payment_card",
    "iban",
    "ip_address",
    "medical_record",
    "credential",
)
KIND_CLASSIFICATION = {
    "email": "pii",
    "phone": "pii",
    "national_id": "pii",
    "payment_card": "pii",
    "iban": "pii",
    "ip_address": "pii",
    "medical_record": "hipaa",
    "credential": "confidential",
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

# Digits with phone/card/ID separators. Starting with a class keeps sre's fast skip.
_NUMBER = re.compile(r"[0-9+(][0-9 ().\-/]{5,}[0-9]")
_DATE = re.compile(
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?: \d{1,2})?"
)
_SIGNED_DECIMAL = re.compile(r"[+(]?\d+\.\d+")
_IPV4 = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?")
_CARD_SHAPE = re.compile(
    r"\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5}"
)
# Issuer prefixes: Visa, Mastercard (51-55, 2221-2720), Amex, Diners, JCB, Discover,
# UnionPay, Maestro. A Luhn-valid run with another prefix is an account or order number.
_CARD_IIN = re.compile(
    r"4|5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720)|3[47]|30[0-5]|3[689]|35(?:2[89]|[3-8])"
    r"|6(?:011|4[4-9]|5|2)|50(?:18|20|38)|6304|67(?:59|6[1-3])"
)
_SSN_SHAPE = re.compile(r"\d{3}([- ])\d{2}\1\d{4}")
_CPF_SHAPE = re.compile(r"\d{3}\.\d{3}\.\d{3}-\d{2}")
_NIR_SHAPE = re.compile(r"[12] \d{2} \d{2} \d{2} \d{3} \d{3} \d{2}")
_US_PHONE = re.compile(r"(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}")
# Regions tried for a national-format number that follows a phone word.
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "CA", "AU", "IE", "CH")

# Context words that must come just before an otherwise ambiguous number.
_CONTEXT_WINDOW = 48
_CONTEXT = {
    "ssn": re.compile(r"\b(?:ssn|social security)\b"),
    "sin": re.compile(r"\b(?:sin|social insurance)\b"),
    "bsn": re.compile(r"\b(?:bsn|burgerservicenummer|sofinummer)\b"),
    "idnr": re.compile(r"\b(?:steuer-?id|steuerliche identifikationsnummer|idnr|tax id)"),
    "aadhaar": re.compile(r"\b(?:aadhaa?r|uidai|uid)\b"),
    "nir": re.compile(r"\b(?:nir|insee|sécurité sociale|securite sociale|social security)\b"),
    "phone": re.compile(
        r"\b(?:phone|tel|telephone|call|mobile|cell|fax|ring|text|whatsapp|sms|contact|"
        r"telefon|handy|téléphone|portable|teléfono|telefono|cellulare|bel|reach)\b"
    ),
}
# A number right after these (or after a list that follows them) is an order, a version
# or a heading, not a phone or an address.
_NOT_PHONE = re.compile(
    r"(?:order|invoice|ref|reference|tracking|sku|part|item|ticket|account|acct|nhs|mrn|#|no\.)\W*(?:number\W*)?$"
)
_VERSION = re.compile(
    r"\b(?:v|ver|versions?|builds?|releases?|firmware|kernel|sections?|chapters?|clauses?|steps?|"
    r"tables?|figures?|fig|rules?|items?|paragraphs?|§)\W*(?:[\d.]+\W+(?:and|or|to)?\W*)*$"
)

_CAPITAL = re.compile(
    r"[A-Z](?<![A-Za-z0-9_].)(?:"
    r"(?P<iban>[A-Z][0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)"
    r"|(?P<nino>[A-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D])"
    r"|(?P<nie>-?[0-9]{7}-?[A-Z])"
    r"|(?P<cf>[A-Z]{5}[0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z])"
    r"|(?P<aws>(?:KIA|SIA)[A-Z2-7]{16})"
    r"|(?P<google>Iza[0-9A-Za-z_\-]{35})"
    r")(?![A-Za-z0-9_])"
)
# HMRC never issues these prefixes or first/second letters.
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

_EMAIL_DOMAIN = re.compile(
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24}))(?![A-Za-z0-9-])"
)
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}\Z")
# "icon@2x.png" is an asset name; these endings are file types, not top-level domains.
_FILE_ENDINGS = frozenset(
    {"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "ts", "json", "map", "pdf"}
)

_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_IPV6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])"
)

_KEY = re.compile(
    r"sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"
    r"|sk_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|rk_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{50,}"
    r"|xox[bpars]-[A-Za-z0-9-]{10,}"
    r"|glpat-[A-Za-z0-9_\-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}"
)
_JWT = re.compile(r"(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----\s+(?:[A-Za-z-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{32,}"
)
_BEARER = re.compile(r"\b[Bb]earer\s+([A-Za-z0-9\-._~+/]{16,}=*)")
_CONN = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@]+:([^\s@/]+)@[A-Za-z0-9.\-\[\]]+")
# Assignments are found from the ':' or '=' backwards: a case-blind scan of the whole
# text for the names would cost more than the rest of the detector on clean prose.
_ASSIGN_OP = re.compile(r"[:=]")
_ASSIGN_NAME = re.compile(
    r"(?i)(?<![a-z0-9])(?:password|passwort|passwd|pwd|pass|secret|client[_-]?secret|"
    r"api[_-]?key|access[_-]?token|auth[_-]?token|secret[_-]?(?:access[_-]?)?key)[\"']?\s*\Z"
)
_ASSIGN_VALUE = re.compile(r"""\s*(["']?)([^\s"',;]{6,})\1""")
_CODE = re.compile(r"[A-Za-z_][\w.]*[(\[].*|\(.*|[A-Za-z_]+(?:\.[A-Za-z_]\w*)*[):\]]*")
_AWS_SECRET = re.compile(
    r"(?i)aws.{0,24}?secret.{0,24}?(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)
_PLACEHOLDER = re.compile(
    r"(?i)\*+|x{3,}|\.{3}|<[^>]*>|\$\{?\w+\}?|\{\{?[^}]*\}\}?|%s|\[[^\]]*\]|"
    r"password|passwd|pass|secret|your[\w-]*|changeme|redacted|none|null|example\w*"
)

_MRN = re.compile(
    r"(?i)(?<![a-z])(?:mrn|med(?:ical)?\.? rec(?:ord)?\.?(?: number| no\.?| num| #|:)|"
    r"patient (?:id|identifier|number|no\.?|#)|chart (?:number|no\.?|#)|hospital (?:number|no\.?|id))"
    r"[\s:#=.-]*(?:is\s+|of\s+)?([a-z]{0,3}-?[0-9][0-9-]{3,14}[0-9])(?![a-z0-9])"
)
_MBI = re.compile(
    r"(?<![A-Za-z0-9])[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?"
    r"[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9]-?[AC-HJKMNP-RT-Y]{2}[0-9]{2}(?![A-Za-z0-9])"
)
_NHS = re.compile(r"(?i)\bnhs\b[^0-9\n]{0,24}?(\d{3}[ -]?\d{3}[ -]?\d{4})(?![0-9])")
_HEALTH_WORDS = ("mrn", "record", "patient", "chart", "hospital")


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
                for kind, candidate in self._hits(text):
                    if kind not in kinds and not (self._allow and self._allow.fullmatch(candidate)):
                        kinds.add(kind)
        if not kinds:
            return Finding(None, ())
        worst = max((self._classification[k] for k in kinds), key=RESTRICTIVENESS.__getitem__)
        return Finding(worst, tuple(sorted(kinds)))

    def _hits(self, text: str) -> Iterator[_Hit]:
        lowered = text.lower()  # only for substring gates: lower() may change offsets
        yield from _numbers(text)
        yield from _capitals(text)
        if "@" in text:
            yield from _emails(text)
        if ":" in text:
            yield from _ipv6(text)
        yield from _secrets(text, lowered)
        yield from _health(text, lowered)
        for name, pattern in self._extras:
            for m in pattern.finditer(text):
                yield name, m.group()


def _joined(text: str, i: int, step: int) -> bool:
    """True if the character at i (and the one beyond it, for a separator) glues a number to a token."""
    if not 0 <= i < len(text):
        return False
    c = text[i]
    if c.isalnum() or c in "_$€£%":
        return True
    j = i + step
    return c in "-./" and 0 <= j < len(text) and text[j].isalnum()


def _numbers(text: str) -> Iterator[_Hit]:
    for m in _NUMBER.finditer(text):
        start, end = m.span()
        span = m.group()
        if span[0] == "(" and ")" not in span:
            start, span = start + 1, span[1:]
        if _joined(text, start - 1, -1):
            continue
        before = text[max(0, start - _CONTEXT_WINDOW) : start].lower()
        if _joined(text, end, 1):
            # Spanish DNI: eight digits and a check letter, the one letter-glued number we want.
            if (
                span.isdigit()
                and len(span) == 8
                and not _joined(text, end + 1, 1)
                and dni.is_valid(span + text[end])
            ):
                yield "national_id", span + text[end]
            continue
        # A run can swallow a neighbouring number ("call 415 555 2671 24/7"): retry trimmed.
        parts = span.split(" ")
        variants = [span]
        variants += [" ".join(parts[:k]) for k in range(len(parts) - 1, max(0, len(parts) - 3), -1)]
        variants += [" ".join(parts[1:])] if len(parts) > 2 else []
        for variant in variants:
            kind = _classify_number(variant, before)
            if kind:
                yield kind, variant
                break


def _classify_number(span: str, before: str) -> str | None:
    digits = "".join(c for c in span if c.isdigit())
    n = len(digits)
    if ip := _IPV4.fullmatch(span):
        try:
            address = ipaddress.IPv4Address(ip.group(1))
        except ValueError:
            return None
        public = address.is_global and not address.is_multicast
        return "ip_address" if public and not _VERSION.search(before) else None
    if _DATE.fullmatch(span):
        return None
    if _CPF_SHAPE.fullmatch(span) and cpf.is_valid(span):
        return "national_id"
    if _SIGNED_DECIMAL.fullmatch(span):
        return None
    if span[0] == "+" or span.startswith("00"):
        return "phone" if _valid_phone("+" + span.lstrip("+0").lstrip(), None) else None
    if _CARD_SHAPE.fullmatch(span) and _CARD_IIN.match(digits) and luhn.is_valid(digits):
        return "payment_card"
    if _SSN_SHAPE.fullmatch(span) and ssn.is_valid(digits):
        return "national_id"
    if _NIR_SHAPE.fullmatch(span) and nir.is_valid(digits):
        return "national_id"
    if _national_id_in_context(digits, n, before):
        return "national_id"
    if _NOT_PHONE.search(before):
        return None
    if _US_PHONE.fullmatch(span):
        return "phone" if _valid_phone(span, "US") else None
    if 7 <= n <= 13 and _CONTEXT["phone"].search(before):
        return "phone" if any(_valid_phone(span, r) for r in _PHONE_REGIONS) else None
    return None


def _national_id_in_context(digits: str, n: int, before: str) -> bool:
    def near(name: str) -> bool:
        return _CONTEXT[name].search(before) is not None

    if n == 9:
        return (
            (near("ssn") and ssn.is_valid(digits))
            or (near("sin") and sin.is_valid(digits))
            or (near("bsn") and bsn.is_valid(digits))
        )
    if n == 11:
        return near("idnr") and idnr.is_valid(digits)
    if n == 12:
        return near("aadhaar") and aadhaar.is_valid(digits)
    if n == 15:
        return near("nir") and nir.is_valid(digits)
    return False


def _valid_phone(span: str, region: str | None) -> bool:
    try:
        number = phonenumbers.parse(span, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def _capitals(text: str) -> Iterator[_Hit]:
    for m in _CAPITAL.finditer(text):
        found = m.group()
        kind = m.lastgroup
        if kind == "iban":
            # A greedy run may include a trailing group; IBAN lengths are fixed per country.
            groups = found.split(" ")
            for k in range(len(groups), 0, -1):
                candidate = "".join(groups[:k])
                if len(candidate) >= 15 and iban.is_valid(candidate):
                    yield "iban", " ".join(groups[:k])
                    break
        elif kind == "nino":
            compact = found.replace(" ", "")
            if (
                compact[0] not in "DFIQUV"
                and compact[1] not in "DFIOQUV"
                and compact[:2] not in _NINO_BAD_PREFIX
            ):
                yield "national_id", found
        elif kind == "nie":
            if found[0] in "XYZ" and nie.is_valid(found):
                yield "national_id", found
        elif kind == "cf":
            if codicefiscale.is_valid(found):
                yield "national_id", found
        elif kind in ("aws", "google"):
            yield "credential", found


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


def _ipv6(text: str) -> Iterator[_Hit]:
    if not _IPV6_ANCHOR.search(text):
        return
    for m in _IPV6.finditer(text):
        try:
            address = ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        # Only 2000::/3 is allocated as global unicast; that also drops masks like ffff:...
        if address in _GLOBAL_UNICAST and address.is_global:
            yield "ip_address", m.group()


def _secrets(text: str, lowered: str) -> Iterator[_Hit]:
    if "-" in text or "_" in text:
        for m in _KEY.finditer(text):
            glued = m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-")
            if not glued and _random(m.group()):
                yield "credential", m.group()
    if "eyJ" in text:
        for m in _JWT.finditer(text):
            if _jwt_header(m.group(1)):
                yield "credential", m.group()
    if "PRIVATE KEY" in text:
        for m in _PEM.finditer(text):
            yield "credential", m.group()
    if "earer" in text:
        for m in _BEARER.finditer(text):
            if _random(m.group(1)):
                yield "credential", m.group(1)
    if "://" in text:
        for m in _CONN.finditer(text):
            if not _PLACEHOLDER.fullmatch(m.group(1)):
                yield "credential", m.group()
    assigns = "=" in text or ":" in text
    if assigns and any(word in lowered for word in ("pass", "pwd", "secret", "key", "token")):
        for op in _ASSIGN_OP.finditer(text):
            at = op.start()
            if not _ASSIGN_NAME.search(text, max(0, at - 32), at):
                continue
            if value_match := _ASSIGN_VALUE.match(text, at + 1):
                quoted, value = value_match.group(1), value_match.group(2)
                # Prose says "password: required" and code "passwd = getpass(prompt)": an
                # unquoted value that reads as a word, a dotted name or a call is no secret.
                if not _PLACEHOLDER.fullmatch(value) and (quoted or not _CODE.fullmatch(value)):
                    yield "credential", value
    if "aws" in lowered and "secret" in lowered:
        for m in _AWS_SECRET.finditer(text):
            if _random(m.group(1)):
                yield "credential", m.group(1)


def _random(token: str) -> bool:
    """Keys mix digits and letters; kebab-case words and repeated characters do not."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token) and "--" not in token


def _jwt_header(segment: str) -> bool:
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header


def _health(text: str, lowered: str) -> Iterator[_Hit]:
    if any(word in lowered for word in _HEALTH_WORDS):
        for m in _MRN.finditer(text):
            if 5 <= sum(c.isdigit() for c in m.group(1)) <= 12:
                yield "medical_record", m.group(1)
    if "medicare" in lowered or "mbi" in lowered or "beneficiary" in lowered:
        for m in _MBI.finditer(text):
            yield "medical_record", m.group()
    if "nhs" in lowered:
        for m in _NHS.finditer(text):
            if nhs.is_valid(m.group(1).replace(" ", "").replace("-", "")):
                yield "medical_record", m.group(1)
