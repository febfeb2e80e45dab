"""Identifiers that hold digits: phones, national IDs, cards, IBANs, IPv4, MACs, addresses, doses.

One compiled pass finds every place worth a closer look, and every alternative of
it starts with a digit, so sre skips prose in C and a year or a count in a
sentence costs nothing. Python then judges each candidate:

- checksums where they exist (Luhn, mod-97, national check digits via
  python-stdnum), and a specific shape where they don't: a number written the
  way phones are written in some country counts as a phone even if its range is
  unassigned or fictional (555); dotted versions, OIDs, dates, decimals and
  order numbers are not phone-shaped.
- bare digit runs that could be anything (a 9-digit SSN, a passport number)
  need a context word just before them.
- a token that mixes letters and digits (an IBAN without spaces, a vendor key,
  a base64 blob) is cut out whole and handed to the token checks, which include
  decoding it and scanning what it says.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import lru_cache

from stdnum import iban, luhn
from stdnum.be import nn as be_nn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.cn import ric
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.in_ import aadhaar, pan
from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.mx import curp
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.tr import tckimlik
from stdnum.us import ein, itin, ssn
from stdnum.za import idnr as za_idnr

from . import credentials, health, markers
from .addresses import (
    GERMANIC_SUFFIXES,
    POSTAL_STREET,
    address_at,
    east_asian_address_at,
    indian_pin_at,
    japanese_block_address,
    postcode_at,
    street_before,
)
from .normalize import decode_token
from .phones import (
    BARE_NOT_PHONE,
    NOT_PHONE,
    PHONE_STRONG,
    PHONE_WEAK,
    UNIT_AFTER,
    among_numbers,
    international_phone,
    named_local_phone,
    phone_shape,
)

Hit = tuple[str, str]

# Every alternative starts at the first digit of a number (or a digit right after a
# letter), so sre skips prose in C and tries a sentence's few numbers once each.
_MAIN = re.compile(
    r"\d(?<!\d\d)"
    # Most numbers in prose are short and followed by a word: "in 1997 we", "116 cases (81%)".
    # A digit right after a letter starts a token ("gb82 west ...", a lower-case IBAN) regardless.
    r"(?:(?<=[A-Za-z]\d)|(?<=[로길가리] \d)|(?<=지하\d)|(?!\d{0,3}(?:%|\s(?!mg\b|mcg\b|mmol|iu\b|rue\b|calle\b|via\b|"
    r"avenida\b|rua\b)[a-z])))"
    r"(?:"
    r"(?P<num>(?:[ ).\-/(]{0,3}\d){5,}+)"
    r"|(?P<ip>\d{0,2}(?:\.\d{1,3}){3})"
    r"|(?P<tok>(?<=[A-Za-z_\-]\d))"
    r"|(?P<dose>\d{0,4}(?:[.,]\d{1,3})? ?(?:mg|mcg|µg|mmol|iu)\b|\d{0,2}/\d{2,3}\b)"
    r"|(?P<addr>\d{0,4}[A-Za-z]?,?[ \n](?:[A-ZÀ-ÖØ-Þ]|rue|calle|via|avenida|rua|boulevard|avenue|"
    r"chemin|allée|impasse|place|quai|viale|piazza|corso|vicolo|travessa|ulica|ul\.|plac|"
    r"\d{4,5},? [^\W\d_]|\d\d-\d{3} [^\W\d_]|\d{4} ?[A-Z]{2}\b)"
    r"|(?P<east>\d{0,3}(?:丁目|番地|番|号)|(?<=[로길가리] \d)|(?<=[로길가리]\d)|(?<=지하\d))"
    r"|(?<=[eg.zmrtnj] \d)(?:"
    + "|".join(
        f"(?<={re.escape(suffix)} \\d)"
        for suffix in {*GERMANIC_SUFFIXES, *(s.capitalize() for s in GERMANIC_SUFFIXES)}
    )
    + r")\d{0,3}[a-z]?\b"
    r"|(?:(?<=, [A-Z]{2} \d)|(?<=, [A-Z]{2}, \d)|(?<=, [A-Z]{3} \d)|(?<=, [A-Z]{3}, \d)"
    r"|(?<=, CAMP \d)|(?<=, CHIS \d)|(?<=, CHIH \d)|(?<=, COAH \d)|(?<=, CDMX \d)"
    r"|(?<=, MICH \d)|(?<=, QROO \d)|(?<=, TAMPS \d)|(?<=, TLAX \d)|(?<=PO A[AEP] \d))"
    r"\d{3,4}(?:-\d{4})?\b)"
    r")"
)
_BLOOD_PRESSURE_BEFORE = re.compile(r"\b(?:bp|blood pressure)\b\W{0,4}(?:(?:of|was|is)\W{1,3})?\Z")
_DATE = re.compile(
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})(?: \d{1,2})?"
)
_DECIMAL = re.compile(r"\d+\.\d+")
_TIMEZONE_TAIL = re.compile(r" [-+](?:0\d|1[0-4])[0-5]\d\Z")
_IPV4_CIDR = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3})(?:/\d{1,2})?")
_PUNCTUATED = re.compile(r"[-()+./]")
_GROUP_SEPARATOR = re.compile(r"[^0-9]+")
_EXTENSION = re.compile(r"(?i) ?(?:x|ext\.?|extension|#) ?\d{1,6}(?![\w])")
# Issuer prefixes of every card scheme in use: Visa (4), Mastercard (51-55, 2221-2720),
# Mir (2200-2204), JCB (2131, 1800, 35), Amex and Diners (3), Discover, UnionPay, Maestro,
# RuPay, Verve and Elo (5, 6), UnionPay and RuPay (81, 82), Troy (9792).
_CARD_IIN = re.compile(r"[2-6]|1800|8[12]|9792")
_CARD_CONTEXT = re.compile(
    r"\b(?:card|cc|visa|mastercard|amex|uatp|airplus|credit|debit|pan|cartão|tarjeta|carte|karte|kort|"
    r"kartennummer|kreditkarte|cardnumber|card_number|card-number)\b"
)
# After a card word, the digits of a card however they are cut: pairs, '_', one group per line,
# markdown table cells ("| 4243 | 0230 | ...").
_CARD_WORD = re.compile(r"card")
_LOOSE_CARD = re.compile(r"\d(?:[ \t\n|_.:\-]{1,5}\d{1,6}|\d){11,18}")

# Context words that must come shortly before an otherwise ambiguous number.
_CONTEXT_WINDOW = 48
_ID_WORDS = {
    "ssn": r"ssn|social security(?: number| no\.?)?|soc\.? sec\.?",
    "itin": r"itin",
    "ein": r"ein|employer identification(?: number)?|fein",
    "tin": r"tin|tax ?id|tax identification(?: number)?|tax number|taxpayer id|tax file(?: number)?",
    # "sin" is Spanish for "without" and Sinaloa's abbreviation: only "SIN:", "SIN #", "SIN no."
    "sin": r"sin(?=\s?(?:#|:|no\b|nr\b|number))|social insurance(?: number)?",
    "bsn": r"bsn|burgerservicenummer|sofinummer",
    "idnr": r"steuer-?id|steuerliche identifikationsnummer|identifikationsnummer|idnr",
    "aadhaar": r"aadhaa?r(?: card| no\.?| number)?|aadhar|uidai|uid|आधार(?: संख्या| नंबर| कार्ड)?",
    "social": r"rentenversicherungs-?nummer|sozialversicherungs-?nummer|versicherungsnummer|"
    r"rv-?nummer|rv-?nr|sv-?nummer|sv-?nr|rvnr|svnr|nuss|nss|imss|seguridad social|"
    r"número de afiliación|numero de afiliacion|sécurité sociale|securite sociale|"
    r"previdenza sociale|segurança social|seguranca social|pis/pasep|pasep|"
    r"numer ubezpieczenia",
    "rg": r"rg|registro geral|carteira de identidade|cédula de identidade|cedula de identidade",
    "nir": r"nir|insee|sécurité sociale|securite sociale|numéro de sécu",
    "pesel": r"pesel",
    "generic": r"passport|passeport|reisepass|pasaporte|passaporto|paspoort|"
    r"driver'?s? ?licen[cs]e|driving licen[cs]e|licen[cs]e (?:no|number|#)|dl ?(?:no|number|#)|"
    r"führerschein|permis de conduire|licencia de conducir|carteira de motorista|"
    r"national id|national identity|id number|id no|id card|id#|identity (?:card|number|no)|"
    r"identification number|citizen id|personal id|personalausweis(?:nummer)?|ausweis(?:nummer)?|"
    r"reisepass(?:nummer)?|reisepass-nr|passnummer|pass-nr|paspoortnummer|numer paszportu|"
    r"número de pasaporte|numero de pasaporte|numéro de passeport|numero di passaporto|"
    r"número do passaporte|旅券番号|旅券|パスポート番号|パスポート|护照号码|护照号|护照|"
    r"여권번호|여권|पासपोर्ट(?: संख्या| नंबर)?|"
    r"cni|dowód osobisty|"
    r"numer dowodu|carta d'identità|carta d'identita|documento de identidad|"
    r"identiteitskaart|identiteitsbewijs|personalausweisnummer|"
    r"dni|nie|cédula|cedula|curp|rfc|rut|nric|hkid|emirates id|"
    r"resident registration|rrn|주민등록번호|身份证|cpf|nif|nin|bvn|codice fiscale|"
    r"nino|national insurance|ni number|personnummer|henkilötunnus|my ?number|"
    r"rijksregisternummer|rijksregister|registre national|nationaal nummer|insz|niss|"
    r"マイナンバー|個人番号|voter id|ssnit|tfn|medicare card|health card|ohip",
    "medical": r"mrn|medical record(?: number| no\.?| num| #)?|med\.? rec\.?|patient (?:id|"
    r"identifier|number|no\.?|#)|chart (?:number|no\.?|#)|hospital (?:number|no\.?|id)|"
    r"nhs(?: number| no\.?)?|medicare|mbi|beneficiary|member id|insurance (?:id|number|no\.?)|"
    r"policy (?:number|no\.?|#)|health ?plan (?:id|number)",
}
# One flat alternation (each branch starts with a literal, which sre checks first), then
# the kind is read off the words it matched.
_ID_CONTEXT = re.compile(
    r"\b(?:" + "|".join(_ID_WORDS.values()) + r")(?![a-z0-9])[^0-9a-z]{0,12}"
    r"(?:(?:is|was|number|no|num|nr|nº|n°|card|nummer|numer|numero|número|numéro|de|del|da|do|"
    r"der|des|di|la|le)(?![a-z0-9])[^0-9a-z]{0,6})*\Z"
)
_ID_KIND = tuple(
    (kind, re.compile(f"(?:{words})(?![a-z0-9])")) for kind, words in _ID_WORDS.items()
)
_VERSION = re.compile(
    r"\b(?:v|ver|versions?|builds?|releases?|firmware|kernel|sections?|chapters?|clauses?|steps?|"
    r"tables?|figures?|fig|rules?|items?|paragraphs?|python|oid|snmp|§)\W*"
    r"(?:(?:to|of|is|at|from)\W+)?(?:[\d.]+\W+(?:and|or|to)?\W*)*\Z"
)


def scan(text: str, sink: list[str]) -> Iterator[Hit]:
    """Every hit the digit pass finds; decoded token text goes to ``sink`` to be scanned too."""
    if "=" in text:
        _padded_base64(text, sink)
    if "<" in text and "<<" in text:
        yield from _machine_readable_zones(text)
    if (
        not text.isascii()
        and ("区" in text or "市" in text or "町" in text or "村" in text)
        and (address := japanese_block_address(text))
    ):
        yield "street_address", address
    pos = 0
    while m := _MAIN.search(text, pos):
        pos = m.end()
        group = m.lastgroup
        if group == "num":
            pos, hits = _number(text, m.start(), m.end(), sink)
            yield from hits
        elif group == "ip":
            yield from _ipv4_span(text, m.start(), m.end())
        elif group == "tok":
            start, end = _token_bounds(text, m.start())
            pos = max(pos, end)
            yield from _token(text, start, end, sink)
        elif group == "dose":
            window = text[max(0, m.start() - 80) : m.end() + 40].lower()
            slash = "/" in m.group()
            if (slash and _BLOOD_PRESSURE_BEFORE.search(window, 0, min(80, m.start()))) or (
                not slash and markers.health_context(window)
            ):
                yield "health", m.group()
            elif address := address_at(text, m.start()):
                yield "street_address", address  # "Sauerplatz 30/64", not a blood pressure
        elif group == "addr":
            east = m.group("east") is not None
            if address := _east_asian(text, m) if east else address_at(text, m.start()):
                yield "street_address", address


def loose_cards(text: str, lowered: str) -> Iterator[Hit]:
    """Card digits cut in any way, within a few characters after a card word."""
    for word in _CARD_WORD.finditer(lowered):
        if (
            word.start()
            and lowered[word.start() - 1].isalpha()
            and (lowered[max(0, word.start() - 6) : word.start()] not in ("master", "credit"))
        ):
            continue  # "discard", "wildcard"
        m = _LOOSE_CARD.search(text, word.end(), word.end() + 120)
        if not m or m.start() - word.end() > 40:
            continue
        digits = "".join(c for c in m.group() if c.isdigit())
        for n in (19, 18, 17, 16, 15, 14, 13):
            card = digits[:n]
            if len(card) == n and luhn.is_valid(card) and _CARD_IIN.match(card):
                yield "payment_card", m.group()
                return


# A passport's or ID card's machine-readable zone: a run of capitals, digits and '<' fillers.
_MRZ = re.compile(r"[A-Z0-9<]{30,}")


def _machine_readable_zones(text: str) -> Iterator[Hit]:
    for m in _MRZ.finditer(text):
        line = m.group()
        if "<<" in line and sum(c != "<" for c in line) >= 10 and line[:1] != "<":
            yield "national_id", line
            return


# Base64 without a digit escapes the digit pass; its '=' padding gives it away.
_PADDING = re.compile(r"={1,2}(?![A-Za-z0-9+/=])")


def _padded_base64(text: str, sink: list[str]) -> None:
    for m in _PADDING.finditer(text):
        start, _ = _token_bounds(text, m.start())
        token = text[start : m.end()]
        if len(token) >= 16 and not _DIGIT.search(token) and (decoded := decode_token(token)):
            sink.append(decoded)


def _east_asian(text: str, m: re.Match[str]) -> str | None:
    if m.group().isdigit():  # a number right after a Korean road name (로, 길, 가)
        return text[max(0, m.start() - 12) : m.end() + 4]
    return east_asian_address_at(text, m.start())


def _glued(text: str, i: int, step: int) -> bool:
    """True if the character at i (and the one beyond it, for a separator) glues a number to a token."""
    if not 0 <= i < len(text):
        return False
    c = text[i]
    if c.isalnum() or c in "_$€£":
        return True
    j = i + step
    return c in "-./" and 0 <= j < len(text) and text[j].isalnum()


def _number(text: str, start: int, end: int, sink: list[str]) -> tuple[int, list[Hit]]:
    """Judge a run of digits and separators; returns where scanning resumes and the hits."""
    if (
        (rvnr := _RVNR.match(text, start))
        and not _glued(text, start - 1, -1)
        and not _near(_VERSION, text[max(0, start - _CONTEXT_WINDOW) : start].lower())
    ):
        return rvnr.end(), [("national_id", rvnr.group())]  # "12 150385 M 123"
    if end - start == 6 and text[start - 1 : start] == "-" and indian_pin_at(text, start, end):
        return end, [("street_address", text[start:end])]  # "Nandyal-833788"
    lead = text[start - 1] if start and text[start - 1] in "+(" else ""
    left = start - len(lead)
    ext = _EXTENSION.match(text, end)
    if text[end : end + 3] == ":AA" and (key := credentials.VENDOR_KEY.match(text, start)):
        return key.end(), [("credential", key.group())]  # a Telegram bot token
    if _glued(text, left - 1, -1) or (not ext and _glued(text, end, 1)):
        t_start, t_end = _token_bounds(text, start)
        return max(end, t_end), list(_token(text, t_start, t_end, sink))
    span = lead + text[start:end]
    if end - start >= 16 and span.isdigit() and (decoded := decode_token(span)):
        sink.append(decoded)  # hex of ASCII digits and spaces is all digits
    before = text[max(0, left - _CONTEXT_WINDOW) : left].lower()
    if before.endswith(" ") and (nino := _spaced_nino(text, left, end)):
        return end, [("national_id", nino)]
    after = text[end : end + 12]
    kind = _classify(span, before, after, bool(ext))
    if kind:
        return end, [(kind, span)]
    if named_local_phone(span, text[max(0, left - 24) : left]) and not _near(NOT_PHONE, before):
        return end, [("phone", span)]
    if postcode_at(text, start, text[start:end], text[max(0, left - _CONTEXT_WINDOW) : left]):
        return end, [("street_address", span)]
    if (
        _HOUSE_THEN_POSTCODE.fullmatch(span)
        and street_before(text, start)
        and (address := address_at(text, start))
    ):
        return end, [("street_address", address)]  # "Seifertstr. 0 27681 Altentreptow"
    # A run can swallow neighbouring numbers ("call 415 555 2671 24/7", table rows):
    # try windows of up to five space-separated parts holding 7 to 19 digits.
    parts = span.split(" ")
    if len(parts) < 2:
        return end, []
    sizes = [sum(c.isdigit() for c in part) for part in parts]
    # In a long row of space-separated numbers, digits fall into phone shapes by chance:
    # there only a window written with phone or card punctuation counts.
    table = len(parts) > 8
    offset = 0
    for i, part in enumerate(parts):
        if i:
            offset += len(parts[i - 1]) + 1
        if sizes[i] < 2 and part[:1] not in "+(":
            continue
        ends, total = [], 0
        for k in range(i, min(len(parts), i + 5)):
            total += sizes[k]
            if total > 19:
                break
            if total >= 7 and (i, k + 1) != (0, len(parts)):
                ends.append(k)
        for k in reversed(ends):  # the longest window first: a card before its first half
            window = " ".join(parts[i : k + 1])
            if table and not _PUNCTUATED.search(window):
                continue
            # Deep in a run, the words before are all digits: one shared (cached) context.
            w_before = (before + span[:offset].lower())[-_CONTEXT_WINDOW:] if offset < 64 else ""
            w_after = " " + parts[k + 1] if k + 1 < len(parts) else after
            kind = _classify(window, w_before, w_after, bool(ext) and k + 1 == len(parts))
            if kind:
                return end, [(kind, window)]
    return end, []


# Pure in its arguments; rows of a table or a log repeat the same number in the same words.
@lru_cache(maxsize=4096)
def _classify(span: str, before: str, after: str, has_extension: bool) -> str | None:
    groups = [g for g in _GROUP_SEPARATOR.split(span) if g]
    digits = "".join(groups)
    n = len(digits)
    if ip := _IPV4_CIDR.fullmatch(span):
        return _ipv4(ip.group(1), before)
    if _DATE.fullmatch(span):
        return "date_of_birth" if _near(_BIRTH, before) else None
    if _DECIMAL.fullmatch(span.lstrip("+(")) or _TIMEZONE_TAIL.search(span):
        if n == 9 and (_id_context(before) or ("",))[0] in ("ein", "tin", "ssn", "itin"):
            return "national_id"  # "employer identification number 12.3456789"
        return None  # a decimal, or "19 2010 -0700" from a date line
    if (len(groups) == 1 and n >= 10 and digits in _COUNTING_UP) or _is_range(span, groups):
        return None  # "0123456789", "60000-64999"
    if n > 19:
        return None
    if span[0] == "+":
        return "phone" if international_phone(span, digits, groups) else None
    if span.startswith("00") and not span.startswith("000"):
        if national := _national_id(span, digits, groups, before):
            return national
        return "phone" if international_phone(span, digits, groups) else None
    if n == 18 and len(groups) == 1 and _CN_RIC_SHAPE.fullmatch(digits):
        return "national_id"
    if n == 12 and _aadhaar(span, digits, groups, before):
        return "national_id"  # before cards: an Aadhaar can pass Luhn too
    if 12 <= n <= 19 and _card_shape(groups) and luhn.is_valid(digits):
        bare_timestamp = len(groups) == 1 and digits[0] == "1" and n == 13
        if _CARD_IIN.match(digits) and (n >= 13 or digits[0] in "56") and not bare_timestamp:
            return "payment_card"
        if _near(_CARD_CONTEXT, before):
            return "payment_card"
    if national := _national_id(span, digits, groups, before):
        return national
    if _near(NOT_PHONE, before) or _near(_VERSION, before):
        return None
    if 7 <= n <= 15 and _near(PHONE_STRONG, before):
        return "phone"
    shaped = phone_shape(span, digits, groups)
    if shaped and len(groups) == 1:
        if _near(BARE_NOT_PHONE, before):
            return None  # "pipeline 4410234567", "revenue_cents: 4410234567"
        if among_numbers(before, after):
            return None  # a list or a row of numbers: seeds, ids, amounts
    if shaped and (len(groups) > 1 or not UNIT_AFTER.match(after)):
        return "phone"
    if (has_extension or _near(PHONE_WEAK, before)) and len(groups) > 1 and 7 <= n <= 13:
        return "phone"
    if len(groups) == 3 and n == 9 and sin.is_valid(digits):
        return "national_id"  # Canadian SIN, 3-3-3 (after the phones written the same way)
    return None


_BIRTH = markers.BIRTH_CONTEXT


# The context a number sits in is read from the few words before it. The same window
# recurs in tables and logs, so each answer is remembered.
@lru_cache(maxsize=4096)
def _near(pattern: re.Pattern[str], before: str) -> bool:
    return pattern.search(before) is not None


@lru_cache(maxsize=4096)
def _id_context(before: str) -> tuple[str, str] | None:
    """Which kind of ID the words just before a value announce, and those words."""
    m = _ID_CONTEXT.search(before)
    if not m:
        return None
    said = m.group()
    return next(((kind, said) for kind, words in _ID_KIND if words.match(said)), None)


_COUNTING_UP = "01234567890123456789"


def _is_range(span: str, groups: list[str]) -> bool:
    """Two equal-length numbers joined by a dash, the second larger: "60000-64999", "2019-2024"."""
    return (
        len(groups) == 2
        and len(groups[0]) == len(groups[1])
        and "-" in span
        and int(groups[1]) > int(groups[0])
    )


def _ipv4(span: str, before: str) -> str | None:
    octets = span.split(".")
    if any(int(o) > 255 for o in octets) or _near(_VERSION, before):
        return None
    try:
        address = ipaddress.IPv4Address(".".join(str(int(o)) for o in octets))
    except ValueError:
        return None
    return "ip_address" if address.is_global and not address.is_multicast else None


def _ipv4_span(text: str, start: int, end: int) -> Iterator[Hit]:
    if _glued(text, start - 1, -1) or _glued(text, end, 1):
        return
    span = text[start:end]
    if _ipv4(span, text[max(0, start - _CONTEXT_WINDOW) : start].lower()):
        yield "ip_address", span


def _aadhaar(span: str, digits: str, groups: list[str], before: str) -> bool:
    """An Aadhaar number: any 12 digits after its name, or written 4-4-4 with a valid
    Verhoeff check digit and a first digit from 2 to 9 (as UIDAI issues them)."""
    if len(groups) not in (1, 3):
        return False
    if len(groups) == 3 and tuple(map(len, groups)) != (4, 4, 4):
        return False
    if (_id_context(before) or ("",))[0] in ("aadhaar", "generic"):
        return True
    if len(groups) != 3 or digits[0] in "01":
        return False
    # Cards are written in fours to 16 digits; 4-4-4 is how an Aadhaar is printed.
    # Faker and some test suites make Luhn-valid ones; a Luhn-valid 4-4-4 was never a card.
    return aadhaar.is_valid(digits) or (luhn.is_valid(digits) and not _near(_CARD_CONTEXT, before))


def _card_shape(groups: list[str]) -> bool:
    if len(groups) == 1:
        return True
    return len(groups) <= 5 and all(3 <= len(g) <= 6 for g in groups[:-1])


def _national_id(span: str, digits: str, groups: list[str], before: str) -> str | None:
    n = len(digits)
    shape = tuple(len(g) for g in groups)
    if n == 9 and shape == (3, 2, 4) and (ssn.is_valid(digits) or itin.is_valid(digits)):
        return "national_id"
    if shape == (2, 7) and "-" in span and ein.is_valid(digits):
        return "national_id"
    if shape == (3, 3, 3, 2) and "-" in span and cpf.is_valid(digits):
        return "national_id"
    if shape == (2, 3, 3, 1) and _RG_SHAPE.fullmatch(span):
        return "national_id"  # Brazilian RG as issued: 12.345.678-9
    if shape == (4, 2, 3) and span[4] in ". " and bsn.is_valid(digits):
        return "national_id"  # Dutch BSN as printed: 1234.56.782
    if (
        shape == (2, 2, 2, 3, 2)
        and _BE_NN_SHAPE.fullmatch(span)
        and be_nn.is_valid(digits)
        and not _near(_VERSION, before)
    ):
        return "national_id"  # Belgian national number as printed: 85.07.30-489.57
    if shape == (6, 7) and "-" in span and rrn.is_valid(digits):
        return "national_id"
    if shape == (6, 7) and "-" in span and _RRN_SHAPE.fullmatch(span):
        return "national_id"  # Korean RRN: birth date and a sex digit, check digit or not
    if shape in ((6, 4), (8, 4)) and span[-5] in "-+" and personnummer.is_valid(digits):
        return "national_id"
    if n == 15 and (len(groups) == 1 or shape[0] == 1) and nir.is_valid(digits):
        return "national_id"
    if len(groups) == 1:
        if n == 13 and za_idnr.is_valid(digits):
            return "national_id"
        if n == 11 and (
            cpf.is_valid(digits) or pesel.is_valid(digits) or tckimlik.is_valid(digits)
        ):
            return "national_id"
    if n == 18 and len(groups) == 1 and (ric.is_valid(digits) or _CN_RIC_SHAPE.fullmatch(digits)):
        return "national_id"
    name, said = _id_context(before) or (None, "")
    if not name or not 5 <= n <= 20:
        return None
    # Announced ("SSN", "passport no.", "MRN"), any number of a plausible length counts:
    # check digits only decide for numbers that come without a word before them.
    if name == "medical":
        return None if "nhs" in said and not nhs.is_valid(digits) else "medical_record"
    if (name == "aadhaar" and n != 12) or (name == "rg" and not 7 <= n <= 10):
        return None  # "uid=100000" is a Unix user; an RG has 8 or 9 digits and a check
    if name in ("ssn", "itin") and n == 9 and not (ssn.is_valid(digits) or itin.is_valid(digits)):
        return None  # a US number in a range never issued ("SSN 000-12-3456")
    return "national_id"


_RG_SHAPE = re.compile(r"\d{2}\.\d{3}\.\d{3}-\d")
_BE_NN_SHAPE = re.compile(r"\d\d[. ]?\d\d[. ]?\d\d[-. ]?\d{3}[. ]?\d\d")
_RG_TOKEN = re.compile(r"\d{2}\.\d{3}\.\d{3}-[\dXx]")
# German pension insurance number: area, birth date DDMMYY, initial, serial and check digit.
_RVNR = re.compile(r"\d{2} ?(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d ?[A-Z] ?\d{3}(?![\w])")
_SPACED_NINO = re.compile(r"[A-Z]{2} (\d{2} ?\d{2} ?\d{2}) ?[A-Z]\b")


_DATE6 = r"\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_RRN_SHAPE = re.compile(_DATE6 + r"-[1-8]\d{6}")
# Chinese resident ID: region, birth date (19xx/20xx), sequence, check digit (or X).
_CN_RIC_SHAPE = re.compile(r"[1-9]\d{5}(?:19|20)" + _DATE6 + r"\d{3}[\dX]")


def _spaced_nino(text: str, left: int, end: int) -> str | None:
    m = _SPACED_NINO.match(text, max(0, left - 3))
    if m and m.start(1) == left and m.end(1) == end:
        return m.group()
    return None


def _nino_prefix_ok(compact: str) -> bool:
    return compact[0] not in "DFIQUV" and compact[1] not in "DFIOQUV"


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.~")
_TOKEN_RIGHT = re.compile(r"[A-Za-z0-9_\-+/=.~]*")
_TOKEN_REACH = 4096


def _token_bounds(text: str, pos: int) -> tuple[int, int]:
    start = pos
    limit = max(0, pos - _TOKEN_REACH)
    while start > limit and text[start - 1] in _TOKEN_CHARS:
        start -= 1
    right = _TOKEN_RIGHT.match(text, pos)
    end = right.end() if right else pos
    while end > start and text[end - 1] in ".-+/~":
        end -= 1
    while start < end and text[start] in ".-+/=~":
        start += 1
    return start, end


_IBAN_COMPACT = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_IBAN_SPACED = re.compile(r"[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{1,4}){3,9}")
_NINO = re.compile(r"[A-Z]{2}\d{6}[A-Z]")
_NIE_DNI = re.compile(r"[XYZ]?-?\d{7,8}-?[A-Z]")
_CF = re.compile(r"[A-Z]{6}[0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]")
_CURP = re.compile(r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d")
_PAN = re.compile(r"[A-Z]{3}[PCHABGJLFT][A-Z]\d{4}[A-Z]")
_CN_RIC = re.compile(r"\d{17}[\dX]")
_MBI = re.compile(
    r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}"
)
_MAC = re.compile(
    r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"
)
_ICD10 = re.compile(r"[A-TV-Z]\d[0-9AB]\.[0-9A-TV-Z]{1,4}")
# Words that make a dotted code a diagnosis only with a person near: "Explain ICD-10 code
# C50.9" is a question about the code, "Smith, J. - ICD-10 C50.9" is someone's.
_ICD_TOPIC = re.compile(r"icd|code[sd]?\b|condition|clinical|medical|clinic|hospital")
_ICD_CONTEXT = re.compile(
    r"diagn[oó]s|\bdx\b|patient|paciente|assessment|impression|follow[- ]?up|"
    r"problem list|befund|chart (?:says|shows|notes|lists)|'s chart|claim|member|doctor|physician|"
    r"\bcid\b|\bcie\b|\bcim\b|kod choroby|rozpoznanie|"
    r"所見|診断|诊断|진단|निदान"
)
# A three-character ICD-10 category ("I10", "B20") is a code only right after clinical
# wording on its own line: "Assessment: B20", "Diagnosis/treatment: I10", "chart says F32".
_ICD10_CATEGORY = re.compile(r"[A-TV-Z]\d[0-9AB]")
_ICD_CATEGORY_BEFORE = re.compile(
    r"(?:\b(?:icd|cie|cim|cid)(?:-?10)?(?:-cm)?|diagn[oó]s\w*|\bdx|assessment|impression|"
    r"problem list|befund|"
    r"所見|診断|诊断|진단|निदान|(?:chart|notes?|records?|letter)\s+(?:says|said|mentions|"
    r"mentioned|lists|listed|shows|showed|states|stated))"
    r"(?:/[^\W\d_]+|\s+codes?|\s+\(icd-?10\))?\s*[:\-]?\s*\Z"
)
_UK_POSTCODE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?")
_STATE_BEFORE = re.compile(r", [a-z]{2} \Z")
_ADDRESS_LINE_END = re.compile(r"(?:\n|, |[A-Z][a-z]+,? )\Z")
_CA_POSTCODE = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[A-Z]")
_CA_POSTCODE_COMPACT = re.compile(r"[ABCEGHJ-NPRSTVXY]\d[A-Z]\d[A-Z]\d")
_CA_INWARD = re.compile(r" ?\d[A-Z]\d\b")
_UK_INWARD = re.compile(r" \d[ABD-HJLNP-UW-Z]{2}\b")
_ANALYTE_TOKENS = frozenset({"hba1c", "a1c", "spo2", "cd4", "b12", "vitd", "t4", "t3", "o2"})
_ANALYTE_VALUE = re.compile(
    r"\W{0,6}(?:[a-z]+\W{1,4}){0,4}?\d+(?:\.\d+)?\s*(?:%|mg|mmol|ng|pg|iu|u/l|g/dl)?"
)


_HOUSE_THEN_POSTCODE = re.compile(r"\d{1,4} (?:\d{4,5}|\d{2}-\d{3})")
_HOUSE_RANGE = re.compile(r"\d{1,4}-\d{1,4}")
_PART_SPLIT = re.compile(r"=(?=[^=])|/")


# "SSN_123-45-6789", "phone_4155550123": a name joined to its value by '_' (a field name).
_NAMED_NUMBER = re.compile(r"([A-Za-z]{2,24})_(\d[\d\-.]{4,24})")


def _token(text: str, start: int, end: int, sink: list[str]) -> Iterator[Hit]:
    token = text[start:end]
    before = text[max(0, start - _CONTEXT_WINDOW) : start]
    if "_" in token and (named := _NAMED_NUMBER.fullmatch(token)):
        context = (before + " " + named.group(1)).lower().replace("_", " ") + " "
        if kind := _classify(named.group(2), context[-_CONTEXT_WINDOW:], "", False):
            yield kind, named.group(2)
            return
    if _HOUSE_RANGE.fullmatch(token) and (address := address_at(text, start)):
        yield "street_address", address  # "Agathe-Harloff-Ring 5-7, 95896 Husum"
        return
    if len(token) < 5:
        yield from _token_part(text, start, token, before.lower(), sink)
        return
    if len(token) >= 16:
        for key in credentials.vendor_keys(token, before):
            yield "credential", key
        jwt_at = token.find("eyJ")
        if jwt_at >= 0 and credentials.jwt(token[jwt_at:]):
            yield "credential", token[jwt_at:]
    lowered_before = before.lower()
    if "=" not in token[:-2] and "/" not in token:
        yield from _token_part(text, start, token.strip("._-=+~"), lowered_before, sink)
        return
    # KEY=value and path/like/tokens: judge each part, the last with the name as context.
    parts = [p for p in _PART_SPLIT.split(token) if p]
    for i, part in enumerate(parts):
        core = part.strip("._-=+~")
        if core:
            context = lowered_before + " ".join(parts[:i]).lower()
            yield from _token_part(text, start + token.find(part), core, context, sink)
    decoded = decode_token(token.strip("._-~"))
    if decoded:
        sink.append(decoded)


_DIGIT = re.compile(r"\d")
# Tokens every log is full of: a UUID, an ISO timestamp's date, a version-like v2.3.
_ORDINARY = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\d{4}-\d\d-\d\d[T_ ]?[\d.:]*Z?|[vV]\d{1,3}(?:\.\d{1,4}){0,3}"
)


def _token_part(text: str, start: int, core: str, before: str, sink: list[str]) -> Iterator[Hit]:
    if not _DIGIT.search(core):
        if len(core) >= 16 and (decoded := decode_token(core)):
            sink.append(decoded)
        return
    if _ORDINARY.fullmatch(core):
        if credentials.random_token_near_key_word(core, before):
            yield "credential", core  # a UUID after "api key" is a key (Heroku's are UUIDs)
        return
    upper = core.upper()
    if _IBAN_COMPACT.fullmatch(upper) and _iban_ok(upper):
        yield "iban", core
        return
    if upper[:2].isalpha() and upper[2:4].isdigit():
        spaced = _IBAN_SPACED.match(text, start)
        if spaced and (found := _spaced_iban(spaced.group())):
            yield "iban", found
            return
    if len(core) < 5:
        yield from _short_token(text, start, core)
        return
    if core.isupper() or core.isdigit() or core[:-1].isdigit():
        if _NINO.fullmatch(core) and (core[-1] in "ABCD" or _nino_prefix_ok(core)):
            yield "national_id", core
            return
        if _NIE_DNI.fullmatch(core) and (
            (core[0] in "XYZ" and nie.is_valid(core.replace("-", "")))
            or (core[0].isdigit() and dni.is_valid(core.replace("-", "")))
        ):
            yield "national_id", core
            return
        if _CF.fullmatch(core) and codicefiscale.is_valid(core):
            yield "national_id", core
            return
        if _CURP.fullmatch(core) and curp.is_valid(core):
            yield "national_id", core
            return
        if _PAN.fullmatch(core) and pan.is_valid(core):
            yield "national_id", core
            return
        if _CN_RIC.fullmatch(core) and (ric.is_valid(core) or _CN_RIC_SHAPE.fullmatch(core)):
            yield "national_id", core
            return
        if _RVNR.fullmatch(core):
            yield "national_id", core
            return
        if _MBI.fullmatch(core):
            yield "medical_record", core
            return
        if _ICD10.fullmatch(core):
            # A record's label may stand a line's width before: "Diagnóstico principal:
            # trastorno de ansiedad generalizada (F41.1)".
            window = text[max(0, start - 100) : start + 80].lower()
            if _ICD_CONTEXT.search(window) or (
                _ICD_TOPIC.search(window) and health.person_near(text, start)
            ):
                yield "health", core
                return
    if core.lower() in _ANALYTE_TOKENS and _ANALYTE_VALUE.match(text, start + len(core)):
        yield "health", core
        return
    if _RG_TOKEN.fullmatch(core):
        yield "national_id", core  # "12.345.678-X"
        return
    if len(core) == 16 and _CF.fullmatch(upper) and codicefiscale.is_valid(upper):
        yield "national_id", core  # a codice fiscale typed in lower case
        return
    if _CA_POSTCODE_COMPACT.fullmatch(core) and _STATE_BEFORE.search(before):
        yield "street_address", core  # "Regina, SK S4P3Y2"
        return
    if _MAC.fullmatch(core):
        if core.replace("-", "").replace(".", "").strip("0fF"):
            yield "mac_address", core
        return
    if 5 <= len(core) <= 24:
        name = (_id_context(before) or (None, ""))[0]
        if name in ("generic", "medical", "tin", "social", "rg"):
            yield ("medical_record" if name == "medical" else "national_id"), core
            return
    if credentials.random_token_near_key_word(core, before):
        yield "credential", core
        return
    if len(core) >= 12:
        decoded = decode_token(core)
        if decoded:
            sink.append(decoded)


def _iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 in one int, checked before stdnum's fuller (and slower) validation."""
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1 and iban.is_valid(compact)


def _short_token(text: str, start: int, core: str) -> Iterator[Hit]:
    """Tokens of two to four characters: a UK postcode's first half, a lab test's name."""
    if (
        _UK_POSTCODE.fullmatch(core)
        and _UK_INWARD.match(text, start + len(core))
        and (
            POSTAL_STREET.search(text, max(0, start - 60), start)
            or _ADDRESS_LINE_END.search(text, max(0, start - 40), start)
        )
    ):
        yield "street_address", core  # "London SW1A 1AA", "Port Maxfort\nS6G 2QE"
    elif _CA_POSTCODE.fullmatch(core) and _CA_INWARD.match(text, start + len(core)):
        yield "street_address", core
    elif (core.lower() in _ANALYTE_TOKENS and _ANALYTE_VALUE.match(text, start + len(core))) or (
        _ICD10_CATEGORY.fullmatch(core.rstrip(".,;)"))
        and (before := _ICD_CATEGORY_BEFORE.search(text[max(0, start - 60) : start].lower()))
        and (
            not before.group().startswith(("icd", "cie", "cim", "cid"))
            or health.person_near(text, start)
        )
    ):
        yield "health", core


def _spaced_iban(found: str) -> str | None:
    """A greedy run may include a trailing group or word; IBAN lengths are fixed per country."""
    groups = re.split(r"[ \-]", found)
    for k in range(len(groups), 0, -1):
        candidate = "".join(groups[:k]).upper()
        if _iban_ok(candidate):
            return " ".join(groups[:k])
    return None
