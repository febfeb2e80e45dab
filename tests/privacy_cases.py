# ruff: noqa: RUF001  (look-alike characters are the point of these cases)
"""Privacy cases from issue 7, written apart from the detector: real formats, valid checksums.

Every value is generated here (seeded, so the cases are the same on every run) from what the
formats' own specifications say: Luhn for cards, ISO 13616 mod-97 for IBANs, the national check
digits of identity numbers (computed, and confirmed with python-stdnum), phone numbers confirmed
valid with `phonenumbers`, vendor keys in their published shapes (prefixes, lengths, alphabets,
CRC32 checksums where the vendor has one). The detector's code and its tests were not read.

A `Case` is one prompt (`text`) and the sensitive value in it (`secret`): the value must never
appear in a cloud fake's raw body, as sent or as its digits.
"""

from __future__ import annotations

import base64
import html
import json
import random
import string
import unicodedata
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn as stdnum_luhn
from stdnum.au import tfn
from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.cn import ric
from stdnum.de import idnr
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.in_ import aadhaar, pan
from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.us import ein, itin, ssn

RNG = random.Random(20261202)
DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
B32 = UPPER + "234567"


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    text: str
    secret: str


def pick(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def until(make: Callable[[], str], valid: Callable[[str], bool]) -> str:
    for _ in range(10_000):
        value = make()
        if valid(value):
            return value
    raise AssertionError("no valid value generated")


def digits_of(text: str) -> str:
    """Every Unicode decimal digit, as ASCII: the digits-only form of a value."""
    return "".join(
        str(unicodedata.decimal(c)) for c in text if unicodedata.decimal(c, None) is not None
    )


# -- payment cards ----------------------------------------------------------------------------


def luhn_card(prefix: str, length: int) -> str:
    body = prefix + pick(DIGITS, length - len(prefix) - 1)
    return body + stdnum_luhn.calc_check_digit(body)


def group(number: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        if i >= len(number):
            break
        out.append(number[i : i + size])
        i += size
    if i < len(number):
        out.append(number[i:])
    return sep.join(out)


CARD_ISSUERS: list[tuple[str, str, int]] = [
    ("visa", "4" + pick("0123456789", 5), 16),
    ("visa19", "4" + pick(DIGITS, 5), 19),
    ("mastercard51", "51" + pick(DIGITS, 4), 16),
    ("mastercard55", "55" + pick(DIGITS, 4), 16),
    ("mastercard2221", "2221" + pick(DIGITS, 2), 16),
    ("mastercard2720", "2720" + pick(DIGITS, 2), 16),
    ("amex34", "34" + pick(DIGITS, 4), 15),
    ("amex37", "37" + pick(DIGITS, 4), 15),
    ("discover6011", "6011" + pick(DIGITS, 2), 16),
    ("discover644", "644" + pick(DIGITS, 3), 16),
    ("discover65", "65" + pick(DIGITS, 4), 16),
    ("diners36", "36" + pick(DIGITS, 4), 14),
    ("diners300", "300" + pick(DIGITS, 3), 14),
    ("jcb", "3530" + pick(DIGITS, 2), 16),
    ("jcb3589", "3589" + pick(DIGITS, 2), 16),
    ("unionpay16", "62" + pick(DIGITS, 4), 16),
    ("unionpay19", "6212" + pick(DIGITS, 2), 19),
    ("maestro6759", "6759" + pick(DIGITS, 2), 16),
    ("maestro5018", "5018" + pick(DIGITS, 2), 19),
    ("mir2200", "2200" + pick(DIGITS, 2), 16),
    ("mir2201", "2201" + pick(DIGITS, 2), 16),
    ("mir2202", "2202" + pick(DIGITS, 2), 16),
    ("mir2203", "2203" + pick(DIGITS, 2), 16),
    ("mir2204", "2204" + pick(DIGITS, 2), 16),
    ("rupay60", "6070" + pick(DIGITS, 2), 16),
    ("rupay508", "5085" + pick(DIGITS, 2), 16),
    ("elo", "636368", 16),
    ("hipercard", "606282", 16),
    ("troy", "9792" + pick(DIGITS, 2), 16),
    ("verve", "506099", 16),
    ("dankort", "5019" + pick(DIGITS, 2), 16),
    ("uatp", "1" + pick(DIGITS, 5), 15),
    ("bccard", "9400" + pick(DIGITS, 2), 16),
]


def card_cases() -> list[Case]:
    cases = []
    templates = [
        "Please charge my card {v}, exp 09/28.",
        "Kartennummer: {v} (gültig bis 11/27)",
        "número de tarjeta {v}",
        "carte bancaire {v} - merci",
        "{v} is the card on file for the renewal",
        "payment details: {v} 04/29 cvv 381",
    ]
    for i, (issuer, prefix, length) in enumerate(CARD_ISSUERS):
        number = luhn_card(prefix, length)
        sizes = (
            (4, 6, 5)
            if length == 15 and issuer.startswith("amex")
            else (4, 6, 4)
            if length == 14
            else (4, 4, 4, 4)
        )
        sep = [" ", "-", "", ".", " "][i % 5]
        value = group(number, sizes, sep)
        cases.append(
            Case(
                f"card-{issuer}-{['space', 'dash', 'bare', 'dots', 'space'][i % 5]}",
                "card",
                templates[i % len(templates)].format(v=value),
                value,
            )
        )
    # separators the issue names: dots, mixed, and a few more people type
    visa = luhn_card("4" + pick(DIGITS, 5), 16)
    master = luhn_card("53" + pick(DIGITS, 4), 16)
    mir = luhn_card("2202" + pick(DIGITS, 2), 16)
    amex = luhn_card("37" + pick(DIGITS, 4), 15)
    for name, value in [
        ("visa-dots", group(visa, (4, 4, 4, 4), ".")),
        ("visa-mixed", f"{visa[:4]} {visa[4:8]}-{visa[8:12]}.{visa[12:]}"),
        ("master-slashes", group(master, (4, 4, 4, 4), "/")),
        ("master-double-space", group(master, (4, 4, 4, 4), "  ")),
        ("master-spaced-dashes", group(master, (4, 4, 4, 4), " - ")),
        ("mir-underscores", group(mir, (4, 4, 4, 4), "_")),
        ("mir-nbsp", group(mir, (4, 4, 4, 4), "\u00a0")),
        ("amex-mixed", f"{amex[:4]}.{amex[4:10]} {amex[10:]}"),
        ("visa-pairs", group(visa, (2,) * 8, " ")),
    ]:
        cases.append(Case(f"card-sep-{name}", "card", f"card number {value}", value))
    cases.append(Case("card-no-word-bare", "card", f"ok, use {visa} for it", visa))
    return cases


# -- IBAN ------------------------------------------------------------------------------------


def iban_from(country: str, bban: str) -> str:
    moved = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in moved))
    check = 98 - number % 97
    value = f"{country}{check:02d}{bban}"
    assert stdnum_iban.is_valid(value), value
    return value


def _fr_bban() -> str:
    bank, branch, account = pick(DIGITS, 5), pick(DIGITS, 5), pick(DIGITS, 11)
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    return f"{bank}{branch}{account}{key:02d}"


def _es_bban() -> str:
    from stdnum.es import ccc

    bank, branch, account = pick(DIGITS, 4), pick(DIGITS, 4), pick(DIGITS, 10)
    return bank + branch + ccc.calc_check_digits(bank + branch + "00" + account) + account


def _be_bban() -> str:
    body = pick(DIGITS, 10)
    check = int(body) % 97 or 97
    return f"{body}{check:02d}"


def _no_bban() -> str:
    from stdnum.no import kontonr

    return until(lambda: pick(DIGITS, 11), kontonr.is_valid)


IBAN_BBANS: dict[str, Callable[[], str]] = {
    "DE": lambda: pick(DIGITS, 18),
    "GB": lambda: RNG.choice(["NWBK", "BARC", "HBUK", "LOYD", "MIDL"]) + pick(DIGITS, 14),
    "FR": _fr_bban,
    "ES": _es_bban,
    "NL": lambda: RNG.choice(["ABNA", "INGB", "RABO", "TRIO"]) + pick(DIGITS, 10),
    "BE": _be_bban,
    "CH": lambda: pick(DIGITS, 5) + pick(DIGITS, 12),
    "AT": lambda: pick(DIGITS, 16),
    "PL": lambda: pick(DIGITS, 24),
    "IE": lambda: RNG.choice(["AIBK", "BOFI"]) + pick(DIGITS, 14),
    "NO": _no_bban,
    "BR": lambda: pick(DIGITS, 23) + "C" + pick(ALNUM.upper(), 1),
    "SA": lambda: pick(DIGITS, 2) + pick(DIGITS, 18),
    "AE": lambda: pick(DIGITS, 19),
    "TR": lambda: pick(DIGITS, 5) + "0" + pick(DIGITS, 16),
}


def iban_cases() -> list[Case]:
    cases = []
    styles = ["print", "compact", "lower", "lower-print", "dashes", "mixed-case"]
    for i, (country, make) in enumerate(IBAN_BBANS.items()):
        value = iban_from(country, make())
        style = styles[i % len(styles)]
        if style == "print":
            shown = group(value, (4,) * 9, " ")
        elif style == "compact":
            shown = value
        elif style == "lower":
            shown = value.lower()
        elif style == "lower-print":
            shown = group(value.lower(), (4,) * 9, " ")
        elif style == "dashes":
            shown = group(value, (4,) * 9, "-")
        else:
            shown = "".join(c.lower() if j % 2 else c for j, c in enumerate(value))
        cases.append(
            Case(
                f"iban-{country}-{style}",
                "iban",
                f"Bitte überweisen Sie an {shown}."
                if i % 2
                else f"wire the refund to {shown} please",
                shown,
            )
        )
    de = iban_from("DE", pick(DIGITS, 18))
    cases.append(
        Case(
            "iban-DE-no-word-lower-spaced",
            "iban",
            f"{group(de.lower(), (4,) * 6, ' ')} (Kontoinhaberin M. Vogel)",
            group(de.lower(), (4,) * 6, " "),
        )
    )
    return cases


# -- US tax and social security numbers -------------------------------------------------------


def ssn_value() -> str:
    return until(
        lambda: pick("12345678", 1) + pick(DIGITS, 8), lambda v: ssn.is_valid(v) and v[:3] != "666"
    )


def itin_value() -> str:
    return until(lambda: "9" + pick(DIGITS, 8), itin.is_valid)


def ein_value() -> str:
    return until(lambda: pick(DIGITS, 9), ein.is_valid)


def us_id_cases() -> list[Case]:
    cases = []
    for sep, name in [
        (".", "dots"),
        ("/", "slashes"),
        (" ", "spaces"),
        ("-", "dashes"),
        ("", "bare"),
        ("\u2013", "endash"),
        (" - ", "spaced-dashes"),
    ]:
        v = ssn_value()
        shown = f"{v[:3]}{sep}{v[3:5]}{sep}{v[5:]}"
        cases.append(Case(f"ssn-{name}", "ssn", f"My SSN is {shown}", shown))
    v = ssn_value()
    cases.append(
        Case(
            "ssn-social-security-words",
            "ssn",
            f"social security no. {v[:3]}.{v[3:5]}.{v[5:]} for the W-2",
            f"{v[:3]}.{v[3:5]}.{v[5:]}",
        )
    )
    v = ssn_value()
    cases.append(
        Case(
            "ssn-shape-only",
            "ssn",
            f"Dana Whitfield {v[:3]}-{v[3:5]}-{v[5:]} applied on Monday.",
            f"{v[:3]}-{v[3:5]}-{v[5:]}",
        )
    )
    v = ssn_value()
    cases.append(
        Case(
            "ssn-last-form-field",
            "ssn",
            f"Name: Carl Jensen\nSoc Sec #: {v[:3]}/{v[3:5]}/{v[5:]}\n",
            f"{v[:3]}/{v[3:5]}/{v[5:]}",
        )
    )
    for sep, name in [("-", "dashes"), (" ", "spaces"), (".", "dots"), ("", "bare")]:
        v = itin_value()
        shown = f"{v[:3]}{sep}{v[3:5]}{sep}{v[5:]}"
        cases.append(
            Case(
                f"itin-{name}",
                "itin",
                f"ITIN {shown} (individual taxpayer identification number)",
                shown,
            )
        )
    for sep, name in [("-", "dash"), (" ", "space"), ("", "bare"), (".", "dot")]:
        v = ein_value()
        shown = f"{v[:2]}{sep}{v[2:]}"
        cases.append(
            Case(
                f"ein-{name}",
                "ein",
                f"Our EIN: {shown}"
                if sep != "."
                else f"federal tax ID (employer identification number) {shown}",
                shown,
            )
        )
    return cases


# -- national IDs, passports, driving licences (by context) -----------------------------------


def icao_check(field: str) -> str:
    weights = (7, 3, 1)
    total = 0
    for i, c in enumerate(field):
        value = int(c) if c.isdigit() else (ord(c) - 55 if c.isalpha() else 0)
        total += value * weights[i % 3]
    return str(total % 10)


def my_number() -> str:
    body = pick(DIGITS, 11)
    total = sum(int(body[10 - i]) * (i + 2 if i < 6 else i - 4) for i in range(11))
    rest = total % 11
    return body + ("0" if rest <= 1 else str(11 - rest))


def national_id_cases() -> list[Case]:
    dni_body = pick(DIGITS, 8)
    dni_v = dni_body + dni.calc_check_digit(dni_body)
    cf_body = "RSSMRA85T10A562"
    cf_v = cf_body + codicefiscale.calc_check_digit(cf_body)
    cf2_body = "BNCGLI92E45F205"
    cf2_v = cf2_body + codicefiscale.calc_check_digit(cf2_body)
    nir_body = "2" + "87" + "03" + "75" + "115" + pick(DIGITS, 3)
    nir_v = nir_body + nir.calc_check_digits(nir_body)
    ric_body = "110105" + "19870314" + pick(DIGITS, 3)
    ric_v = ric_body + ric.calc_check_digit(ric_body)
    rrn_body = "870314" + "2" + pick(DIGITS, 5)
    rrn_v = rrn_body + rrn.calc_check_digit(rrn_body)
    pesel_body = "87031" + "4" + pick(DIGITS, 4)
    pesel_v = pesel_body + pesel.calc_check_digit(pesel_body)
    cpf_v = until(lambda: pick(DIGITS, 11), cpf.is_valid)
    aadhaar_v = until(lambda: pick("23456789", 1) + pick(DIGITS, 11), aadhaar.is_valid)
    pan_v = until(
        lambda: pick(UPPER, 3) + "P" + pick(UPPER, 1) + pick(DIGITS, 4) + pick(UPPER, 1),
        pan.is_valid,
    )
    bsn_v = until(lambda: pick(DIGITS, 9), bsn.is_valid)
    sin_v = until(lambda: pick("12345679", 1) + pick(DIGITS, 8), sin.is_valid)
    tfn_v = until(lambda: pick(DIGITS, 9), tfn.is_valid)
    idnr_v = until(lambda: pick("123456789", 1) + pick(DIGITS, 10), idnr.is_valid)
    pn_v = until(lambda: "8707" + pick(DIGITS, 6), personnummer.is_valid)
    mn_v = my_number()
    de_ausweis_body = pick("CFGHJKLMNPRTVWXYZ", 1) + pick("CFGHJKLMNPRTVWXYZ0123456789", 8)
    de_ausweis = de_ausweis_body + icao_check(de_ausweis_body)
    us_passport = pick("123456789", 1) + pick(DIGITS, 8)
    us_passport_new = "A" + pick(DIGITS, 8)
    uk_passport = pick("123456789", 1) + pick(DIGITS, 8)
    in_passport = pick("JKLMNPRSTUVWZ", 1) + pick(DIGITS, 7)
    uk_dl = "MORGA" + "753116" + "SM9IJ"
    ca_dl = "D" + pick(DIGITS, 7)
    ny_dl = pick(DIGITS, 3) + " " + pick(DIGITS, 3) + " " + pick(DIGITS, 3)
    nino = RNG.choice(["JG", "AB", "CE", "PR", "ZX"]) + pick(DIGITS, 6) + RNG.choice("ABCD")
    mrn = pick(DIGITS, 8)
    doc, dob, expiry, personal = (
        pick(UPPER, 1) + pick(DIGITS, 7) + pick(UPPER, 1),
        "740812",
        "310415",
        "ZE184226B<<<<<",
    )
    mrz_core = f"{doc}{icao_check(doc)}UTO{dob}{icao_check(dob)}F{expiry}{icao_check(expiry)}{personal}{icao_check(personal)}"
    composite = mrz_core[0:10] + mrz_core[13:20] + mrz_core[21:43]
    mrz = mrz_core + icao_check(composite)
    rows = [
        ("id-es-dni", f"DNI {dni_v} — titular: Lucía Ortega", dni_v),
        (
            "id-es-dni-no-word",
            f"Lucía Ortega Ruiz, {dni_v[:8]}-{dni_v[8]}, Calle Mayor",
            f"{dni_v[:8]}-{dni_v[8]}",
        ),
        ("id-it-codice-fiscale", f"codice fiscale: {cf_v}", cf_v),
        ("id-it-codice-fiscale-lower", f"il mio cf è {cf2_v.lower()}", cf2_v.lower()),
        (
            "id-fr-nir",
            f"numéro de sécurité sociale : {nir_v[0]} {nir_v[1:3]} {nir_v[3:5]} {nir_v[5:7]} {nir_v[7:10]} {nir_v[10:13]} {nir_v[13:]}",
            f"{nir_v[0]} {nir_v[1:3]} {nir_v[3:5]} {nir_v[5:7]} {nir_v[7:10]} {nir_v[10:13]} {nir_v[13:]}",
        ),
        ("id-cn-resident", f"身份证号码：{ric_v}", ric_v),
        ("id-kr-rrn", f"주민등록번호 {rrn_v[:6]}-{rrn_v[6:]}", f"{rrn_v[:6]}-{rrn_v[6:]}"),
        ("id-pl-pesel", f"PESEL: {pesel_v}", pesel_v),
        (
            "id-br-cpf",
            f"CPF {cpf_v[:3]}.{cpf_v[3:6]}.{cpf_v[6:9]}-{cpf_v[9:]}",
            f"{cpf_v[:3]}.{cpf_v[3:6]}.{cpf_v[6:9]}-{cpf_v[9:]}",
        ),
        ("id-br-cpf-bare", f"meu cpf é {cpf_v}", cpf_v),
        (
            "id-in-aadhaar",
            f"Aadhaar no. {aadhaar_v[:4]} {aadhaar_v[4:8]} {aadhaar_v[8:]}",
            f"{aadhaar_v[:4]} {aadhaar_v[4:8]} {aadhaar_v[8:]}",
        ),
        ("id-in-pan", f"PAN card {pan_v}", pan_v),
        ("id-nl-bsn", f"BSN-nummer {bsn_v}", bsn_v),
        (
            "id-ca-sin",
            f"SIN: {sin_v[:3]} {sin_v[3:6]} {sin_v[6:]}",
            f"{sin_v[:3]} {sin_v[3:6]} {sin_v[6:]}",
        ),
        (
            "id-au-tfn",
            f"my tax file number is {tfn_v[:3]} {tfn_v[3:6]} {tfn_v[6:]}",
            f"{tfn_v[:3]} {tfn_v[3:6]} {tfn_v[6:]}",
        ),
        (
            "id-de-steuer-id",
            f"Steuer-ID: {idnr_v[:2]} {idnr_v[2:5]} {idnr_v[5:8]} {idnr_v[8:]}",
            f"{idnr_v[:2]} {idnr_v[2:5]} {idnr_v[5:8]} {idnr_v[8:]}",
        ),
        ("id-se-personnummer", f"personnummer {pn_v[:6]}-{pn_v[6:]}", f"{pn_v[:6]}-{pn_v[6:]}"),
        (
            "id-jp-my-number",
            f"マイナンバー: {mn_v[:4]} {mn_v[4:8]} {mn_v[8:]}",
            f"{mn_v[:4]} {mn_v[4:8]} {mn_v[8:]}",
        ),
        (
            "id-uk-nino",
            f"National Insurance number {nino[:2]} {nino[2:4]} {nino[4:6]} {nino[6:8]} {nino[8]}",
            f"{nino[:2]} {nino[2:4]} {nino[4:6]} {nino[6:8]} {nino[8]}",
        ),
        ("id-de-personalausweis", f"Personalausweisnummer {de_ausweis}", de_ausweis),
        ("passport-us", f"passport number {us_passport}, expires 2031", us_passport),
        ("passport-us-next-gen", f"Passport No: {us_passport_new}", us_passport_new),
        ("passport-uk", f"her UK passport is {uk_passport}", uk_passport),
        ("passport-in", f"Passport no. {in_passport} issued at Mumbai", in_passport),
        ("passport-mrz", f"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n{mrz}", mrz[:28]),
        ("dl-uk", f"driving licence number {uk_dl}", uk_dl),
        ("dl-california", f"CA driver's license {ca_dl}", ca_dl),
        ("dl-new-york", f"DL# {ny_dl} (NY)", ny_dl),
        ("mrn", f"Patient MRN {mrn}, admitted via ED", mrn),
    ]
    return [Case(i, "national_id", t, s) for i, t, s in rows]


# -- phones ----------------------------------------------------------------------------------

# region, a random national significant number (digits) -> valid per phonenumbers, and how
# people write it nationally (context in the local language; some with no phone word at all)
PHONE_PLANS: list[tuple[str, Callable[[], str], str]] = [
    (
        "US",
        lambda: (
            pick("2345789", 1)
            + pick("01", 1)
            + pick("2345689", 1)
            + pick("2345689", 1)
            + pick(DIGITS, 6)
        ),
        "Reach Tom at {n} after 5.",
    ),
    ("CA", lambda: "604" + pick("2345689", 1) + pick(DIGITS, 6), "Cabinet: {n}"),
    ("GB", lambda: "20" + "7" + pick("1234", 1) + pick(DIGITS, 6), "Ring the office on {n}."),
    ("GB", lambda: "7" + pick("45789", 1) + pick(DIGITS, 8), "mob {n}"),
    (
        "DE",
        lambda: "30" + pick("2345689", 1) + pick(DIGITS, 7),
        "Frau Weber, {n}, wegen des Termins.",
    ),
    ("DE", lambda: "15" + pick("12", 1) + pick(DIGITS, 8), "Handy: {n}"),
    ("FR", lambda: "1" + pick("2345", 1) + pick(DIGITS, 7), "Appelez M. Dubois au {n}"),
    ("FR", lambda: "6" + pick(DIGITS, 8), "Julie {n}"),
    ("JP", lambda: "3" + pick("3456", 1) + pick(DIGITS, 7), "山田太郎 {n}"),
    ("JP", lambda: "90" + pick("123456789", 1) + pick(DIGITS, 7), "携帯 {n} までご連絡ください"),
    ("BR", lambda: "11" + "9" + pick("6789", 1) + pick(DIGITS, 7), "Fala com a Ana: {n}"),
    ("BR", lambda: "21" + pick("2345", 1) + pick(DIGITS, 7), "Escritório Rio {n}"),
    ("IN", lambda: pick("6789", 1) + pick(DIGITS, 9), "Rahul Verma {n}"),
    ("IN", lambda: "11" + pick("2345", 1) + pick(DIGITS, 7), "Delhi office: {n}"),
    ("CN", lambda: "13" + pick("56789", 1) + pick(DIGITS, 8), "王芳 {n}"),
    ("AU", lambda: "2" + "9" + pick("2345678", 1) + pick(DIGITS, 6), "Sydney desk {n}"),
    ("AU", lambda: "4" + pick("0123", 1) + pick(DIGITS, 7), "text me {n}"),
    ("MX", lambda: "55" + pick("1234567", 1) + pick(DIGITS, 7), "Marcela Ruiz {n}"),
    ("ES", lambda: "91" + pick("2345", 1) + pick(DIGITS, 6), "Oficina de Madrid, {n}"),
    ("ES", lambda: "6" + pick("0123456789", 1) + pick(DIGITS, 7), "Javier {n}"),
    ("IT", lambda: "06" + pick("2345689", 1) + pick(DIGITS, 7), "Studio Rossi {n}"),
    ("IT", lambda: "3" + pick("2345", 1) + pick(DIGITS, 8), "cell. {n}"),
    ("NL", lambda: "20" + pick("2345678", 1) + pick(DIGITS, 6), "Kantoor Amsterdam {n}"),
    ("NL", lambda: "6" + pick("12345", 1) + pick(DIGITS, 7), "Sanne {n}"),
    ("RU", lambda: "495" + pick("2345689", 1) + pick(DIGITS, 6), "Ольга Петрова {n}"),
    ("RU", lambda: "9" + pick("12", 1) + pick(DIGITS, 8), "моб. {n}"),
    ("KR", lambda: "10" + pick("2345689", 1) + pick(DIGITS, 7), "김민수 {n}"),
    ("ZA", lambda: "21" + pick("4", 1) + pick(DIGITS, 6), "Cape Town office {n}"),
    ("NG", lambda: "803" + pick(DIGITS, 7), "Chinedu {n}"),
    ("TR", lambda: "53" + pick("2345", 1) + pick(DIGITS, 7), "Ayşe Yılmaz {n}"),
    ("PL", lambda: "5" + pick("0137", 1) + pick(DIGITS, 7), "Pani Kowalska {n}"),
    ("SE", lambda: "8" + pick("2345678", 1) + pick(DIGITS, 7), "Kontor {n}"),
    ("CH", lambda: "44" + pick("2345", 1) + pick(DIGITS, 6), "Büro Zürich {n}"),
    ("AR", lambda: "11" + pick("45", 1) + pick(DIGITS, 7), "Lucas {n}"),
    ("ID", lambda: "812" + pick(DIGITS, 8), "Budi {n}"),
    ("PH", lambda: "917" + pick(DIGITS, 7), "Maria Santos {n}"),
    ("SG", lambda: pick("89", 1) + pick(DIGITS, 7), "Wei Ling {n}"),
    ("AE", lambda: "50" + pick(DIGITS, 7), "Omar {n}"),
    ("IL", lambda: "5" + pick("02345", 1) + pick(DIGITS, 7), "Noa {n}"),
    ("EG", lambda: "10" + pick(DIGITS, 8), "Ahmed {n}"),
]


def phone_number(region: str, make: Callable[[], str]) -> phonenumbers.PhoneNumber:
    def valid(nsn: str) -> bool:
        number = (
            phonenumbers.parse(nsn, region)
            if region != "RU"
            else phonenumbers.parse("8" + nsn, region)
        )
        return (
            phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) == region
        )

    nsn = until(make, valid)
    return phonenumbers.parse(nsn if region != "RU" else "8" + nsn, region)


def phone_cases() -> list[Case]:
    cases = []
    seen: dict[str, int] = {}
    for region, make, template in PHONE_PLANS:
        number = phone_number(region, make)
        n = seen[region] = seen.get(region, 0) + 1
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        cases.append(
            Case(f"phone-{region}{n}-national", "phone", template.format(n=national), national)
        )
        cases.append(
            Case(f"phone-{region}{n}-international", "phone", f"{international}", international)
        )
        if n == 1:
            zero_zero = f"00{number.country_code} " + international.split(" ", 1)[1]
            cases.append(Case(f"phone-{region}-00-prefix", "phone", f"call {zero_zero}", zero_zero))
    # the shapes the issue names
    us = phone_number("US", PHONE_PLANS[0][1])
    nsn = phonenumbers.national_significant_number(us)
    gb = phone_number("GB", PHONE_PLANS[2][1])
    gb_nsn = phonenumbers.national_significant_number(gb)
    de = phone_number("DE", PHONE_PLANS[4][1])
    de_nsn = phonenumbers.national_significant_number(de)
    fict = [
        "555-01" + pick(DIGITS, 2),
        "555-01" + pick(DIGITS, 2),
        "900" + pick(DIGITS, 3),
        "0" + pick(DIGITS, 3),
        pick("15", 1) + pick(DIGITS, 2),
        pick("2345689", 1) + pick(DIGITS, 2) + "-" + pick(DIGITS, 4),
    ]
    rows = [
        (
            "phone-ext-x",
            f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]} x2049",
            f"({nsn[:3]}) {nsn[3:6]}-{nsn[6:]} x2049",
        ),
        (
            "phone-ext-word",
            f"call {nsn[:3]}-{nsn[3:6]}-{nsn[6:]} ext. 311",
            f"{nsn[:3]}-{nsn[3:6]}-{nsn[6:]} ext. 311",
        ),
        (
            "phone-ext-hash",
            f"+1 {nsn[:3]} {nsn[3:6]} {nsn[6:]} #88",
            f"+1 {nsn[:3]} {nsn[3:6]} {nsn[6:]} #88",
        ),
        (
            "phone-ext-rfc3966",
            f"tel:+1-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]};ext=42",
            f"+1-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
        ),
        (
            "phone-ext-de-durchwahl",
            f"Zentrale +49 {de_nsn[:2]} {de_nsn[2:]}-217",
            f"+49 {de_nsn[:2]} {de_nsn[2:]}-217",
        ),
        (
            "phone-ext-gb",
            f"+44 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]} extension 4410",
            f"+44 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
        ),
        (
            "phone-001-prefix",
            f"001-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
            f"001-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
        ),
        (
            "phone-001-prefix-ext",
            f"Phone: 001-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}x5521",
            f"001-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}x5521",
        ),
        (
            "phone-011-exit-code",
            f"from the US dial 011 44 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
            f"011 44 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
        ),
        (
            "phone-0044-prefix",
            f"0044 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
            f"0044 {gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
        ),
        (
            "phone-plus44-zero-in-parens",
            f"+44 (0){gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
            f"+44 (0){gb_nsn[:2]} {gb_nsn[2:6]} {gb_nsn[6:]}",
        ),
        ("phone-bare-ten-digits", f"Kim Park {nsn}", nsn),
        ("phone-bare-ten-digits-sentence", f"I think it's {nsn} but double check", nsn),
        (
            "phone-one-prefixed",
            f"1-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
            f"1-{nsn[:3]}-{nsn[3:6]}-{nsn[6:]}",
        ),
        ("phone-dots", f"{nsn[:3]}.{nsn[3:6]}.{nsn[6:]}", f"{nsn[:3]}.{nsn[3:6]}.{nsn[6:]}"),
        ("phone-fictional-555-01xx", f"call me at (212) {fict[0]}", f"(212) {fict[0]}"),
        ("phone-fictional-555-shape", f"Dial 415-{fict[1]} tonight", f"415-{fict[1]}"),
        ("phone-uk-drama-mobile", f"+44 7700 {fict[2]}", f"7700 {fict[2]}"),
        ("phone-uk-drama-landline", f"Tel. 0113 496 {fict[3]}", f"0113 496 {fict[3]}"),
        ("phone-au-fictional", f"0491 570 {fict[4]}", f"0491 570 {fict[4]}"),
        ("phone-unassigned-area-code", f"phone: (999) {fict[5]}", f"(999) {fict[5]}"),
    ]
    jp = "0" + phonenumbers.national_significant_number(phone_number("JP", PHONE_PLANS[9][1]))
    in_mobile = phonenumbers.national_significant_number(phone_number("IN", PHONE_PLANS[12][1]))
    br_mobile = phonenumbers.national_significant_number(phone_number("BR", PHONE_PLANS[10][1]))
    se_mobile = "70" + pick(DIGITS, 7)
    rows += [
        ("phone-jp-no-hyphens", f"連絡先 {jp}", jp),
        (
            "phone-in-plus91-dashes",
            f"+91-{in_mobile[:5]}-{in_mobile[5:]}",
            f"{in_mobile[:5]}-{in_mobile[5:]}",
        ),
        (
            "phone-br-plus55-parens",
            f"+55 ({br_mobile[:2]}) {br_mobile[2:7]}-{br_mobile[7:]}",
            f"{br_mobile[2:7]}-{br_mobile[7:]}",
        ),
        (
            "phone-vcard",
            f"BEGIN:VCARD\nFN:Eva Lind\nTEL;TYPE=cell:+46 {se_mobile[:2]} {se_mobile[2:5]} {se_mobile[5:7]} {se_mobile[7:]}\nEND:VCARD",
            f"{se_mobile[2:5]} {se_mobile[5:7]} {se_mobile[7:]}",
        ),
        (
            "phone-json-field",
            json.dumps({"name": "Eva Lind", "mobile": f"+46{se_mobile}"}),
            f"+46{se_mobile}",
        ),
    ]
    cases += [Case(case_id, "phone", text, secret) for case_id, text, secret in rows]
    return cases


# -- e-mail, network ---------------------------------------------------------------------------


def email_cases() -> list[Case]:
    rows = [
        (
            "email-spelled-at-dot",
            "write to jane dot roe at example dot org",
            "jane dot roe at example dot org",
        ),
        (
            "email-paren-at",
            "mail: m.kowalski (at) poczta-firmowa (dot) pl",
            "m.kowalski (at) poczta-firmowa (dot) pl",
        ),
        (
            "email-bracket-at",
            "contact j.smith[at]acme-widgets[dot]com",
            "j.smith[at]acme-widgets[dot]com",
        ),
        ("email-caps-AT-DOT", "reply to lena.fischer AT gmx DOT de", "lena.fischer AT gmx DOT de"),
        ("email-curly-at", "priya.n{at}outlook{dot}com", "priya.n{at}outlook{dot}com"),
        ("email-spaced-symbols", "send it to tom.baker @ proton.me", "tom.baker @ proton.me"),
        (
            "email-idn-domain",
            "Kontakt: jürgen.müller@bücherstube-köln.de",
            "jürgen.müller@bücherstube-köln.de",
        ),
        (
            "email-idn-punycode",
            "Kontakt: info.mueller@xn--bcherstube-kln-7ob.de",
            "info.mueller@xn--bcherstube-kln-7ob.de",
        ),
        ("email-cjk", "用户邮箱 张伟@例子.中国", "张伟@例子.中国"),
        (
            "email-plus-subaddress",
            "use rosa.delgado+billing@fastmail.fm",
            "rosa.delgado+billing@fastmail.fm",
        ),
        ("email-fullwidth-at", "kenji.sato＠example.co.jp", "kenji.sato＠example.co.jp"),
        (
            "email-mailto-link",
            '<a href="mailto:olivia.chen@northwind-health.com">mail</a>',
            "olivia.chen@northwind-health.com",
        ),
        (
            "email-arobase-fr",
            "adresse : claire.martin arobase orange point fr",
            "claire.martin arobase orange point fr",
        ),
    ]
    return [Case(i, "email", t, s) for i, t, s in rows]


def network_cases() -> list[Case]:
    rows = [
        (
            "ipv6-full",
            "client 2a02:8108:1dc0:4e2c:b1f4:9e2a:61c3:0f17 logged in as mkoch",
            "2a02:8108:1dc0:4e2c:b1f4:9e2a:61c3:0f17",
        ),
        (
            "ipv6-compressed",
            "the laptop at 2a01:4f8:c17:b8f::2 belongs to Priya",
            "2a01:4f8:c17:b8f::2",
        ),
        ("ipv6-link-local-zone", "fe80::1c2b:3dff:fe4e:5f60%en0", "fe80::1c2b:3dff:fe4e:5f60"),
        ("ipv6-mapped-v4", "remote_addr=::ffff:81.174.22.9", "81.174.22.9"),
        ("mac-colons", "device 3C:22:FB:7A:91:0E is Anna's iPhone", "3C:22:FB:7A:91:0E"),
        ("mac-dashes-lower", "MAC 3c-22-fb-7a-91-0e", "3c-22-fb-7a-91-0e"),
        ("mac-cisco-dots", "mac address 3c22.fb7a.910e on port Gi1/0/14", "3c22.fb7a.910e"),
        ("ipv4-leading-zeros", "home IP 081.174.022.009", "081.174.022.009"),
        ("ipv4-plain-user", "user jdoe connected from 81.174.22.9", "81.174.22.9"),
        ("ipv4-x-forwarded-for", "X-Forwarded-For: 93.184.216.34, 10.0.0.2", "93.184.216.34"),
    ]
    return [Case(i, "network", t, s) for i, t, s in rows]


# -- people, health, legal, confidentiality markers --------------------------------------------


def context_cases() -> list[Case]:
    rows = [
        # date of birth next to a person
        (
            "dob-en",
            "Maria Schneider, born 14 March 1987, joined the team in 2019.",
            "14 March 1987",
        ),
        ("dob-us-slash", "DOB: 03/14/1987 — John Carter", "03/14/1987"),
        ("dob-iso-form", "Name: Kenji Watanabe; Date of birth: 1979-11-02", "1979-11-02"),
        ("dob-de", "Herr Lukas Braun, geb. 02.11.1979 in Kassel", "02.11.1979"),
        ("dob-fr", "Mme Camille Laurent, née le 5 juin 1991", "5 juin 1991"),
        ("dob-es", "Sofía Navarro, fecha de nacimiento 23/08/1994", "23/08/1994"),
        ("dob-jp", "佐藤花子（1990年4月12日生まれ）", "1990年4月12日"),
        # street address
        (
            "address-us",
            "I live at 742 Evergreen Terrace, Springfield, OR 97477.",
            "742 Evergreen Terrace",
        ),
        (
            "address-us-apt",
            "ship to Dana Lee, 1180 Pine St Apt 4B, Seattle, WA 98101-2244",
            "1180 Pine St Apt 4B",
        ),
        ("address-uk", "Flat 3, 27 Kingsley Road, Leeds LS6 2AB", "27 Kingsley Road"),
        ("address-de", "Anschrift: Hauptstraße 12, 10115 Berlin", "Hauptstraße 12"),
        ("address-fr", "domicile : 18 rue des Lilas, 69003 Lyon", "18 rue des Lilas"),
        (
            "address-br",
            "Rua Augusta, 1508 - apto 42, Consolação, São Paulo - SP, 01304-001",
            "Rua Augusta, 1508",
        ),
        ("address-jp", "住所：東京都世田谷区北沢2-14-7 メゾン北沢203", "北沢2-14-7"),
        (
            "address-in",
            "Flat 12B, Sea View Apartments, 34 Marine Drive, Mumbai 400020",
            "34 Marine Drive",
        ),
        # health near a patient -> hipaa
        (
            "health-diagnosis",
            "The patient was diagnosed with type 2 diabetes mellitus last spring.",
            "type 2 diabetes mellitus",
        ),
        (
            "health-diagnosis-dx",
            "Pt: R. Alvarez. Dx: major depressive disorder, recurrent, moderate.",
            "major depressive disorder",
        ),
        ("health-hiv", "Mr. Osei's HIV viral load is undetectable since March.", "HIV viral load"),
        (
            "health-medication-dose",
            "Patient takes metformin 500 mg twice daily and lisinopril 10 mg once daily.",
            "metformin 500 mg",
        ),
        (
            "health-prescription-sig",
            "Rx: atorvastatin 20mg PO qHS #90, refills 3 — for Ellen Park",
            "atorvastatin 20mg",
        ),
        (
            "health-procedure",
            "My mother is scheduled for a laparoscopic cholecystectomy on Friday.",
            "laparoscopic cholecystectomy",
        ),
        ("health-icd10", "Claim for patient 4471: ICD-10 E11.65, I10", "E11.65"),
        ("health-icd10-bare-codes", "Assessment: F32.1; Z79.4; E78.5", "F32.1"),
        (
            "health-lab-values",
            "Patient labs today: HbA1c 8.4%, eGFR 52 mL/min/1.73m2, LDL 162 mg/dL",
            "HbA1c 8.4%",
        ),
        (
            "health-german",
            "Die Patientin leidet an Brustkrebs (Mammakarzinom), Chemotherapie seit Mai.",
            "Mammakarzinom",
        ),
        (
            "health-pregnancy",
            "Sarah told HR she is 14 weeks pregnant and has gestational diabetes.",
            "gestational diabetes",
        ),
        # privilege and NDA -> legal
        (
            "legal-attorney-client",
            "ATTORNEY-CLIENT PRIVILEGED: our counsel's view on the merger.",
            "ATTORNEY-CLIENT PRIVILEGED",
        ),
        (
            "legal-attorney-client-lower",
            "this email is attorney–client privileged, do not forward",
            "attorney–client privileged",
        ),
        (
            "legal-work-product",
            "Privileged & Confidential — Attorney Work Product",
            "Attorney Work Product",
        ),
        (
            "legal-without-prejudice",
            "WITHOUT PREJUDICE — settlement proposal for case 2:24-cv-01187",
            "WITHOUT PREJUDICE",
        ),
        (
            "legal-nda",
            "This is covered by the NDA we signed with Northwind; summarise the term sheet.",
            "covered by the NDA",
        ),
        (
            "legal-nda-german",
            "Vertraulich gemäß Geheimhaltungsvereinbarung (NDA) vom 3. Mai",
            "Geheimhaltungsvereinbarung",
        ),
        (
            "legal-privileged-communication",
            "Subject to legal professional privilege. Draft advice on the dismissal.",
            "legal professional privilege",
        ),
        # confidentiality markers -> confidential
        (
            "marker-confidential-do-not-distribute",
            "CONFIDENTIAL - DO NOT DISTRIBUTE. Q3 layoffs plan.",
            "DO NOT DISTRIBUTE",
        ),
        (
            "marker-internal-only",
            "Internal only: the pricing for the Contoso renewal.",
            "Internal only",
        ),
        (
            "marker-for-internal-use",
            "For internal use only — draft org chart",
            "For internal use only",
        ),
        (
            "marker-strictly-confidential",
            "Strictly confidential: acquisition target list",
            "Strictly confidential",
        ),
        (
            "marker-proprietary",
            "Proprietary and Confidential. Not for external distribution.",
            "Not for external distribution",
        ),
        (
            "marker-do-not-forward",
            "Please do not forward outside the leadership team.",
            "do not forward",
        ),
        (
            "marker-german-vertraulich",
            "STRENG VERTRAULICH – nur für den internen Gebrauch",
            "STRENG VERTRAULICH",
        ),
    ]
    kinds = {
        "dob": "person",
        "address": "person",
        "health": "health",
        "legal": "legal",
        "marker": "confidential",
    }
    return [Case(i, kinds[i.split("-")[0]], t, s) for i, t, s in rows]


# -- secrets ---------------------------------------------------------------------------------


BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = BASE62[r] + out
    return out.rjust(width, "0")


def crc_token(prefix: str, n: int = 30) -> str:
    """GitHub / npm style: random base62 + CRC32 of it in 6 base62 digits."""
    body = pick(ALNUM, n)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def pem_body(header: str, lines: int) -> str:
    text = header + pick(ALNUM + "+/", 64 * lines - len(header) - 4) + pick(ALNUM, 2) + "=="
    return "\n".join(text[i : i + 64] for i in range(0, len(text), 64))


RSA_PKCS8 = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ"
RSA_PKCS1 = "MIIEowIBAAKCAQEA"
OPENSSH = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACA"
EC_KEY = "MHcCAQEEI"


def secret_cases() -> list[Case]:
    snowflake = str(RNG.randrange(10**17, 10**18 * 2))
    pkcs8 = pem_body(RSA_PKCS8, 24)
    sa_key = "-----BEGIN PRIVATE KEY-----\n" + pkcs8 + "\n-----END PRIVATE KEY-----\n"
    sa_json = json.dumps(
        {
            "type": "service_account",
            "project_id": "acme-analytics-prod",
            "private_key_id": pick(HEX, 40),
            "private_key": sa_key,
            "client_email": "etl-runner@acme-analytics-prod.iam.gserviceaccount.com",
            "client_id": pick(DIGITS, 21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
        },
        indent=2,
    )
    atlassian_body = "ATATT3xFfGF0" + pick(URLSAFE, 171)
    keys: list[tuple[str, str, str]] = [
        ("aws-access-key-id", "AKIA" + pick(B32, 16), "the deploy user key is {k}"),
        ("aws-temp-key-id", "ASIA" + pick(B32, 16), "{k}"),
        ("aws-secret-key-assignment", pick(ALNUM + "/+", 40), "aws_secret_access_key = {k}"),
        (
            "github-classic-pat",
            crc_token("ghp_"),
            "git clone https://{k}@github.com/acme/infra.git",
        ),
        ("github-oauth", crc_token("gho_"), "token {k}"),
        ("github-app-server", crc_token("ghs_"), "{k}"),
        (
            "github-fine-grained",
            "github_pat_11" + pick(UPPER + DIGITS, 20) + "_" + pick(ALNUM, 59),
            "{k}",
        ),
        (
            "slack-bot",
            f"xoxb-{pick(DIGITS, 11)}-{pick(DIGITS, 13)}-{pick(ALNUM, 24)}",
            "SLACK: {k}",
        ),
        (
            "slack-user",
            f"xoxp-{pick(DIGITS, 11)}-{pick(DIGITS, 11)}-{pick(DIGITS, 13)}-{pick(HEX, 32)}",
            "{k}",
        ),
        (
            "slack-webhook",
            f"https://hooks.slack.com/services/T{pick(UPPER + DIGITS, 10)}/B{pick(UPPER + DIGITS, 10)}/{pick(ALNUM, 24)}",
            "post alerts to {k}",
        ),
        ("stripe-secret-live", "sk_live_" + pick(ALNUM, 99), "{k}"),
        ("stripe-restricted", "rk_live_" + pick(ALNUM, 24), "use {k} for reporting"),
        ("stripe-webhook-secret", "whsec_" + pick(ALNUM, 32), "{k}"),
        ("openai-project", "sk-proj-" + pick(URLSAFE, 74) + "T3BlbkFJ" + pick(URLSAFE, 74), "{k}"),
        ("openai-legacy", "sk-" + pick(ALNUM, 20) + "T3BlbkFJ" + pick(ALNUM, 20), "{k}"),
        (
            "openai-service-account",
            "sk-svcacct-" + pick(URLSAFE, 74) + "T3BlbkFJ" + pick(URLSAFE, 74),
            "{k}",
        ),
        ("anthropic", "sk-ant-api03-" + pick(URLSAFE, 93) + "AA", "{k}"),
        ("anthropic-admin", "sk-ant-admin01-" + pick(URLSAFE, 93) + "AA", "{k}"),
        (
            "huggingface",
            "hf_" + pick(string.ascii_letters, 34),
            "from_pretrained(..., token='{k}')",
        ),
        ("npm", crc_token("npm_"), "//registry.npmjs.org/:_authToken={k}"),
        ("pypi", "pypi-AgEIcHlwaS5vcmcCJ" + pick(URLSAFE, 150), "password = {k}"),
        ("gitlab-pat", "glpat-" + pick(URLSAFE, 20), "{k}"),
        ("sendgrid", f"SG.{pick(URLSAFE, 22)}.{pick(URLSAFE, 43)}", "{k}"),
        (
            "twilio-account-sid",
            "AC" + pick(HEX, 32),
            "Twilio account {k}, auth token " + pick(HEX, 32),
        ),
        ("twilio-api-key-sid", "SK" + pick(HEX, 32), "twilio key {k}"),
        ("shopify-admin", "shpat_" + pick(HEX, 32), "{k}"),
        ("shopify-shared-secret", "shpss_" + pick(HEX, 32), "{k}"),
        ("meta-access-token", "EAAB" + pick(ALNUM, 180), "graph api: {k}"),
        ("square-access-token", "EAAA" + pick(URLSAFE, 60), "{k}"),
        ("square-oauth-secret", "sq0csp-" + pick(URLSAFE, 43), "{k}"),
        ("mailgun", "key-" + pick(HEX, 32), "api:{k}"),
        ("databricks", "dapi" + pick(HEX, 32), "{k}"),
        ("digitalocean", "dop_v1_" + pick(HEX, 64), "{k}"),
        (
            "discord-bot",
            b64(snowflake.encode()).rstrip("=") + "." + pick(URLSAFE, 6) + "." + pick(URLSAFE, 38),
            "Bot {k}",
        ),
        (
            "telegram-bot",
            f"{RNG.randrange(10**9, 8 * 10**9)}:AA{pick(URLSAFE, 33)}",
            "https://api.telegram.org/bot{k}/sendMessage",
        ),
        ("atlassian", atlassian_body + "=" + f"{zlib.crc32(atlassian_body.encode()):08X}", "{k}"),
        ("okta", "00" + pick(URLSAFE, 40), "Authorization: SSWS {k}"),
        ("vault-service", "hvs.CAESI" + pick(URLSAFE, 86), "VAULT_TOKEN {k}"),
        ("vault-batch", "hvb.AAAAAQ" + pick(URLSAFE, 130), "{k}"),
        ("google-api-key", "AIza" + pick(URLSAFE, 35), "maps key {k}"),
        (
            "azure-storage-conn",
            f"DefaultEndpointsProtocol=https;AccountName=acmeprodlogs;AccountKey={b64(RNG.randbytes(64))};EndpointSuffix=core.windows.net",
            "{k}",
        ),
        (
            "azure-ad-client-secret",
            pick(ALNUM, 3) + "8Q~" + pick(ALNUM + "_~.-", 34),
            "client secret {k}",
        ),
        (
            "azure-sas",
            f"https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=sco&sp=rwdlac&se=2026-12-31T00:00:00Z&sig={urllib.parse.quote(b64(RNG.randbytes(32)))}",
            "{k}",
        ),
        ("linear", "lin_api_" + pick(ALNUM, 40), "{k}"),
        ("notion", "ntn_" + pick(DIGITS, 11) + pick(ALNUM, 35), "{k}"),
        ("postman", f"PMAK-{pick(HEX, 24)}-{pick(HEX, 34)}", "{k}"),
        ("doppler", "dp.pt." + pick(ALNUM, 43), "{k}"),
        ("supabase", "sbp_" + pick(HEX, 40), "{k}"),
        ("grafana-service-account", f"glsa_{pick(ALNUM, 32)}_{pick(HEX, 8)}", "{k}"),
        ("new-relic", "NRAK-" + pick(UPPER + DIGITS, 27), "{k}"),
        (
            "sentry-dsn",
            f"https://{pick(HEX, 32)}@o{pick(DIGITS, 6)}.ingest.sentry.io/{pick(DIGITS, 7)}",
            "SENTRY {k}",
        ),
        ("pulumi", "pul-" + pick(HEX, 40), "{k}"),
        ("terraform-cloud", f"{pick(ALNUM, 14)}.atlasv1.{pick(ALNUM, 67)}", "{k}"),
        ("figma", "figd_" + pick(URLSAFE, 40), "{k}"),
        ("dropbox", "sl.B" + pick(URLSAFE, 135), "{k}"),
        ("alibaba", "LTAI5t" + pick(ALNUM, 18), "{k}"),
        ("tencent", "AKID" + pick(ALNUM, 32), "{k}"),
        (
            "age-secret-key",
            "AGE-SECRET-KEY-1" + pick("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".upper(), 58),
            "{k}",
        ),
        ("cloudflare-origin-ca", f"v1.0-{pick(HEX, 24)}-{pick(HEX, 146)}", "{k}"),
        ("mapbox-secret", "sk.eyJ1Ijoi" + pick(URLSAFE, 40) + "." + pick(URLSAFE, 22), "{k}"),
        (
            "jwt-bearer",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            + b64(
                json.dumps(
                    {"sub": "user-8812", "email": "r.mehta@contoso.com", "exp": 1893456000}
                ).encode()
            )
            .rstrip("=")
            .replace("+", "-")
            .replace("/", "_")
            + "."
            + pick(URLSAFE, 43),
            "Authorization: Bearer {k}",
        ),
    ]
    cases = [
        Case(f"key-{name}", "secret", template.format(k=key), key) for name, key, template in keys
    ]
    pem_rsa = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        + pem_body(RSA_PKCS1, 24)
        + "\n-----END RSA PRIVATE KEY-----"
    )
    pem_ssh = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + pem_body(OPENSSH, 6)
        + "\n-----END OPENSSH PRIVATE KEY-----"
    )
    pem_ec = (
        "-----BEGIN EC PRIVATE KEY-----\n" + pem_body(EC_KEY, 2) + "\n-----END EC PRIVATE KEY-----"
    )
    pem_enc = (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + pem_body("MIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQI", 24)
        + "\n-----END ENCRYPTED PRIVATE KEY-----"
    )
    pgp = (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
        + pem_body("lQOYBGV", 12)
        + "\n="
        + pick(ALNUM, 4)
        + "\n-----END PGP PRIVATE KEY BLOCK-----"
    )
    escaped_pkcs8 = pem_body(RSA_PKCS8, 24)
    escaped = (
        "-----BEGIN PRIVATE KEY-----\\n"
        + escaped_pkcs8.replace("\n", "\\n")
        + "\\n-----END PRIVATE KEY-----\\n"
    )
    rows = [
        ("pem-rsa", f"here is the deploy key:\n{pem_rsa}", pem_rsa.split("\n")[1]),
        ("pem-openssh", pem_ssh, pem_ssh.split("\n")[1]),
        ("pem-ec", pem_ec, pem_ec.split("\n")[1]),
        ("pem-encrypted-pkcs8", pem_enc, pem_enc.split("\n")[1]),
        ("pem-pgp", pgp, pgp.split("\n")[2]),
        ("pem-escaped-in-json-string", '{"key": "' + escaped + '"}', escaped_pkcs8.split("\n")[1]),
        ("pem-escaped-env", f'PRIVATE_KEY="{escaped}"', escaped_pkcs8.split("\n")[2]),
        ("gcp-service-account-json", f"Why does this fail?\n{sa_json}", pkcs8.split("\n")[3]),
        (
            "gcp-service-account-json-compact",
            json.dumps(json.loads(sa_json), separators=(",", ":")),
            pkcs8.split("\n")[3],
        ),
        # connection strings with or without a user
        (
            "conn-postgres",
            "DATABASE_URL postgresql://app_user:Wq7pL9xRt2@db.internal:5432/orders",
            "Wq7pL9xRt2",
        ),
        (
            "conn-redis-no-user",
            "cache at redis://:s3cr3tRedisPw9@cache.internal:6379/0",
            "s3cr3tRedisPw9",
        ),
        (
            "conn-rediss-default-user",
            "rediss://default:Tq8Vz2Lm4Kp@eu1-redis.upstash.io:6379",
            "Tq8Vz2Lm4Kp",
        ),
        (
            "conn-mongodb-srv",
            "mongodb+srv://svc-reporting:Pa55w0rd%21x@cluster0.a1b2c.mongodb.net/prod?retryWrites=true",
            "Pa55w0rd%21x",
        ),
        ("conn-mysql", "mysql://root:hunter2Passw0rd@10.0.0.5:3306/app", "hunter2Passw0rd"),
        ("conn-amqp", "amqp://guest:Zx9vQ2wE7r@rabbit:5672/", "Zx9vQ2wE7r"),
        (
            "conn-ado-net",
            "Server=tcp:acme.database.windows.net,1433;Initial Catalog=prod;User ID=sqladmin;Password=Xk3$mP9q!w;Encrypt=True;",
            "Xk3$mP9q!w",
        ),
        (
            "conn-jdbc-query",
            "jdbc:postgresql://db:5432/app?user=app&password=N0tS0Secret42",
            "N0tS0Secret42",
        ),
        (
            "conn-url-credentials",
            "curl https://deploy:gh7Kx2Pq9Lm@artifacts.acme.io/releases/",
            "gh7Kx2Pq9Lm",
        ),
        ("conn-postgres-no-user", "postgres://:Hv7Rt2Qm9Zx@10.1.2.3/analytics", "Hv7Rt2Qm9Zx"),
        # *_PASSWORD= / *_SECRET= / *_TOKEN= assignments
        ("assign-pgpassword", "PGPASSWORD=Vb8nQ2rT5y psql -h db -U admin", "Vb8nQ2rT5y"),
        ("assign-export-mysql-root", "export MYSQL_ROOT_PASSWORD='Jk4!mR8#pQ'", "Jk4!mR8#pQ"),
        (
            "assign-django-secret",
            "DJANGO_SECRET_KEY=django-insecure-8f$k2m!q9x@v7w#r3t6y1u0p",
            "8f$k2m!q9x@v7w#r3t6y1u0p",
        ),
        ("assign-jwt-secret", "JWT_SECRET=Lq3Zt8Vn2Rx7Wm5Kp9", "Lq3Zt8Vn2Rx7Wm5Kp9"),
        (
            "assign-api-token-yaml",
            "api_token: 7f3a9c1e5b8d2f6a0c4e9b1d",
            "7f3a9c1e5b8d2f6a0c4e9b1d",
        ),
        (
            "assign-client-secret-json",
            '{"client_id": "web-app", "client_secret": "Qm9vYmFyQmF6UXV4MTIz"}',
            "Qm9vYmFyQmF6UXV4MTIz",
        ),
        (
            "assign-db-password-yaml",
            "database:\n  host: db.internal\n  password: Tr4ck!ng-Bl0ck-77\n",
            "Tr4ck!ng-Bl0ck-77",
        ),
        (
            "assign-netrc",
            "machine api.example-cloud.com login ops password Mn6Bv4Cx2Zl8",
            "Mn6Bv4Cx2Zl8",
        ),
        (
            "assign-docker-auth",
            '{"auths": {"registry.acme.io": {"auth": "' + b64(b"ci-bot:Rk9Lm2Pq7Wz4") + '"}}}',
            b64(b"ci-bot:Rk9Lm2Pq7Wz4"),
        ),
        (
            "assign-k8s-secret-data",
            "apiVersion: v1\nkind: Secret\ndata:\n  DB_PASSWORD: " + b64(b"Yt5Ur3Ew1Qz9") + "\n",
            b64(b"Yt5Ur3Ew1Qz9"),
        ),
        ("assign-datadog", "DD_API_KEY=" + pick(HEX, 32), ""),
        # passwords stated in prose
        ("prose-password-is", "The password is Kp7!rT2#wQ for the staging box.", "Kp7!rT2#wQ"),
        (
            "prose-my-password",
            "my password's Blue-Harbor-42! if you need to log in",
            "Blue-Harbor-42!",
        ),
        ("prose-german", "Das Passwort lautet Sommer2024!Berg", "Sommer2024!Berg"),
        ("prose-french", "le mot de passe est Soleil#8821x", "Soleil#8821x"),
        ("prose-spanish", "La contraseña es Girasol!73zq", "Girasol!73zq"),
        ("prose-login-slash", "login: admin / Adm1n@2024xyz", "Adm1n@2024xyz"),
        (
            "prose-pw-colon",
            "wifi pw: correct-horse-battery-staple-9",
            "correct-horse-battery-staple-9",
        ),
        (
            "prose-passphrase",
            "the passphrase for the key is 'tangerine lighthouse 1987'",
            "tangerine lighthouse 1987",
        ),
        # Basic auth, bearer and key words next to high-entropy tokens
        (
            "basic-auth-header",
            "Authorization: Basic " + b64(b"admin:S3cr3tPass!"),
            b64(b"admin:S3cr3tPass!"),
        ),
        ("basic-auth-curl-u", "curl -u deploy:Wx7Kq2Lm9Pz https://ci.acme.io/api", "Wx7Kq2Lm9Pz"),
        ("entropy-api-key-hex", f"api key: {pick(HEX, 32)}", ""),
        ("entropy-token-eq", f"token={pick(ALNUM, 32)}", ""),
        ("entropy-x-api-key-header", f"X-API-Key: {pick(ALNUM, 40)}", ""),
        ("entropy-secret-b64", f"secret: {b64(RNG.randbytes(30))}", ""),
        ("entropy-bearer-opaque", f"Authorization: Bearer {pick(URLSAFE, 48)}", ""),
        ("entropy-access-token-quoted", f'"access_token": "{pick(ALNUM, 44)}"', ""),
    ]
    for case_id, text, secret in rows:
        cases.append(
            Case(case_id, "secret", text, secret or text.split()[-1].split("=")[-1].strip('"'))
        )
    return cases


# -- obfuscation -----------------------------------------------------------------------------

FULLWIDTH = str.maketrans({c: chr(0xFF10 + int(c)) for c in DIGITS})
ARABIC_INDIC = str.maketrans({c: chr(0x0660 + int(c)) for c in DIGITS})
EXT_ARABIC_INDIC = str.maketrans({c: chr(0x06F0 + int(c)) for c in DIGITS})
DEVANAGARI = str.maketrans({c: chr(0x0966 + int(c)) for c in DIGITS})
MATH_BOLD = str.maketrans({c: chr(0x1D7CE + int(c)) for c in DIGITS})


def interleave(text: str, mark: str) -> str:
    return mark.join(text)


def obfuscation_cases() -> list[Case]:
    card = luhn_card("4" + pick(DIGITS, 5), 16)
    card2 = luhn_card("5" + pick("12345", 1) + pick(DIGITS, 4), 16)
    s = ssn_value()
    ssn_shown = f"{s[:3]}-{s[3:5]}-{s[5:]}"
    phone = phone_number("US", PHONE_PLANS[0][1])
    p = phonenumbers.national_significant_number(phone)
    phone_shown = f"({p[:3]}) {p[3:6]}-{p[6:]}"
    email = "harriet.okafor@lagos-clinic.ng"
    aws = "AKIA" + pick(B32, 16)
    iban = iban_from("DE", pick(DIGITS, 18))
    rows = [
        (
            "fullwidth-card",
            f"card {group(card, (4,) * 4, ' ').translate(FULLWIDTH)}",
            group(card, (4,) * 4, " ").translate(FULLWIDTH),
        ),
        ("fullwidth-ssn", f"SSN {ssn_shown.translate(FULLWIDTH)}", ssn_shown.translate(FULLWIDTH)),
        (
            "fullwidth-phone",
            f"電話 {phone_shown.translate(FULLWIDTH)}",
            phone_shown.translate(FULLWIDTH),
        ),
        (
            "fullwidth-email",
            "ｈａｒｒｉｅｔ．ｏｋａｆｏｒ＠ｌａｇｏｓ－ｃｌｉｎｉｃ．ｎｇ",
            "ｈａｒｒｉｅｔ．ｏｋａｆｏｒ＠ｌａｇｏｓ－ｃｌｉｎｉｃ．ｎｇ",
        ),
        (
            "arabic-indic-card",
            f"رقم البطاقة {card2.translate(ARABIC_INDIC)}",
            card2.translate(ARABIC_INDIC),
        ),
        ("arabic-indic-phone", f"هاتف +1 {p.translate(ARABIC_INDIC)}", p.translate(ARABIC_INDIC)),
        (
            "persian-digits-card",
            f"کارت {group(card, (4,) * 4, ' ').translate(EXT_ARABIC_INDIC)}",
            group(card, (4,) * 4, " ").translate(EXT_ARABIC_INDIC),
        ),
        (
            "devanagari-ssn",
            f"SSN {ssn_shown.translate(DEVANAGARI)}",
            ssn_shown.translate(DEVANAGARI),
        ),
        ("math-bold-card", f"card {card.translate(MATH_BOLD)}", card.translate(MATH_BOLD)),
        (
            "zero-width-space-card",
            f"card {interleave(card, chr(0x200B))}",
            interleave(card, chr(0x200B)),
        ),
        (
            "zero-width-joiner-ssn",
            f"SSN {interleave(ssn_shown, chr(0x200D))}",
            interleave(ssn_shown, chr(0x200D)),
        ),
        (
            "word-joiner-phone",
            f"call {interleave(phone_shown, chr(0x2060))}",
            interleave(phone_shown, chr(0x2060)),
        ),
        ("bom-inside-iban", f"IBAN {interleave(iban, chr(0xFEFF))}", interleave(iban, chr(0xFEFF))),
        ("soft-hyphen-card", f"card {interleave(card, chr(0xAD))}", interleave(card, chr(0xAD))),
        (
            "soft-hyphen-ssn",
            f"SSN {s[:3]}\u00ad{s[3:5]}\u00ad{s[5:]}",
            f"{s[:3]}\u00ad{s[3:5]}\u00ad{s[5:]}",
        ),
        (
            "zero-width-email",
            f"mail {interleave(email, chr(0x200C))}",
            interleave(email, chr(0x200C)),
        ),
        (
            "non-breaking-hyphen-ssn",
            f"SSN {s[:3]}\u2011{s[3:5]}\u2011{s[5:]}",
            f"{s[:3]}\u2011{s[3:5]}\u2011{s[5:]}",
        ),
        (
            "minus-sign-phone",
            f"tel {p[:3]}\u2212{p[3:6]}\u2212{p[6:]}",
            f"{p[:3]}\u2212{p[3:6]}\u2212{p[6:]}",
        ),
        (
            "thin-spaces-card",
            f"card {group(card, (4,) * 4, chr(0x2009))}",
            group(card, (4,) * 4, chr(0x2009)),
        ),
        (
            "ideographic-space-phone",
            f"電話番号 {p[:3]}\u3000{p[3:6]}\u3000{p[6:]}",
            f"{p[:3]}\u3000{p[3:6]}\u3000{p[6:]}",
        ),
        (
            "base64-ssn",
            "decode this: " + b64(f"SSN {ssn_shown}".encode()),
            b64(f"SSN {ssn_shown}".encode()),
        ),
        (
            "base64-card",
            "payload=" + b64(f"card={card}&exp=0928".encode()),
            b64(f"card={card}&exp=0928".encode()),
        ),
        ("base64-email", "user: " + b64(email.encode()), b64(email.encode())),
        (
            "base64-aws-key",
            "creds " + b64(f"{aws}:{pick(ALNUM, 40)}".encode()),
            b64(f"{aws}:".encode())[:24],
        ),
        (
            "base64url-json",
            "state="
            + base64.urlsafe_b64encode(json.dumps({"email": email, "phone": phone_shown}).encode())
            .decode()
            .rstrip("="),
            base64.urlsafe_b64encode(
                json.dumps({"email": email, "phone": phone_shown}).encode()
            ).decode()[:40],
        ),
        ("hex-email", "hex: " + email.encode().hex(), email.encode().hex()),
        ("hex-card", "0x" + f"card {card}".encode().hex(), f"card {card}".encode().hex()),
        (
            "hex-escaped-ssn",
            "".join(f"\\x{b:02x}" for b in f"SSN {ssn_shown}".encode()),
            "".join(f"\\x{b:02x}" for b in f"SSN {ssn_shown}".encode()),
        ),
        (
            "url-encoded-email",
            "https://crm.example/search?q=" + urllib.parse.quote(email, safe=""),
            urllib.parse.quote(email, safe=""),
        ),
        (
            "url-encoded-all-card",
            "".join(f"%{b:02X}" for b in f"card {card}".encode()),
            "".join(f"%{b:02X}" for b in f"card {card}".encode()),
        ),
        (
            "url-encoded-ssn-form",
            f"ssn={s[:3]}%2D{s[3:5]}%2D{s[5:]}&name=Carl%20Jensen",
            f"{s[:3]}%2D{s[3:5]}%2D{s[5:]}",
        ),
        (
            "html-decimal-card",
            "card " + "".join(f"&#{ord(c)};" for c in card),
            "".join(f"&#{ord(c)};" for c in card),
        ),
        (
            "html-hex-ssn",
            "SSN " + "".join(f"&#x{ord(c):x};" for c in ssn_shown),
            "".join(f"&#x{ord(c):x};" for c in ssn_shown),
        ),
        (
            "html-named-email",
            html.escape(email).replace("@", "&commat;").replace(".", "&period;"),
            html.escape(email).replace("@", "&commat;").replace(".", "&period;"),
        ),
        ("html-at-entity-email", email.replace("@", "&#64;"), email.replace("@", "&#64;")),
        (
            "unicode-escape-ssn",
            "".join(f"\\u{ord(c):04x}" for c in f"SSN {ssn_shown}"),
            "".join(f"\\u{ord(c):04x}" for c in f"SSN {ssn_shown}"),
        ),
        (
            "spelled-digits-ssn",
            "my SSN is "
            + " ".join(
                ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][
                    int(d)
                ]
                for d in s
            ),
            " ".join(
                ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][
                    int(d)
                ]
                for d in s
            ),
        ),
    ]
    return [Case(f"obf-{i}", "obfuscation", t, sec) for i, t, sec in rows]


# -- hard negatives: must reach the cloud -----------------------------------------------------


def isbn13(body12: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


NEGATIVES: list[Case] = [
    Case(i, "negative", t, s)
    for i, t, s in [
        ("neg-ring-buffer", "Give the ring buffer 65536 slots and reach 99.9% hit rate.", "65536"),
        (
            "neg-reach-rows",
            "We expect to reach 2,147,483,647 rows by Q4, then shard.",
            "2,147,483,647",
        ),
        (
            "neg-cell-value",
            "The cell E7 holds 18446744073709551615 after the overflow.",
            "18446744073709551615",
        ),
        (
            "neg-call-count",
            "We call the API 250000 times per day; reach out if that is too much.",
            "250000",
        ),
        (
            "neg-ring-topology",
            "Token ring 802.5 frames carried 4096 bytes; a cell in ATM is 53 bytes.",
            "802.5",
        ),
        (
            "neg-dotnet-version",
            "Could not load System.Runtime, Version=4.0.30319.42000, Culture=neutral.",
            "4.0.30319.42000",
        ),
        (
            "neg-assembly-qualified",
            "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089",
            "b77a5c561934e089",
        ),
        (
            "neg-file-version",
            "FileVersion 10.0.19041.3636 (WinBuild.160101.0800)",
            "10.0.19041.3636",
        ),
        (
            "neg-chrome-version",
            "User-Agent: Mozilla/5.0 Chrome/122.0.6261.94 Safari/537.36",
            "122.0.6261.94",
        ),
        ("neg-semver-list", "bump numpy 1.26.4 -> 2.0.2, pandas 2.2.3, protobuf 4.25.3", "1.26.4"),
        ("neg-snmp-oid", "snmpget -v2c -c public host 1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.3.0"),
        (
            "neg-snmp-oid-enterprise",
            "OID 1.3.6.1.4.1.2021.10.1.3.1 is the 1-minute load average",
            "1.3.6.1.4.1.2021.10.1.3.1",
        ),
        (
            "neg-snmp-oid-iftable",
            "ifInOctets is .1.3.6.1.2.1.2.2.1.10.2 on the uplink",
            ".1.3.6.1.2.1.2.2.1.10.2",
        ),
        (
            "neg-x509-oid",
            "signatureAlgorithm 1.2.840.113549.1.1.11 (sha256WithRSAEncryption)",
            "1.2.840.113549.1.1.11",
        ),
        (
            "neg-git-sha",
            "fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b",
            "3f786850e387550fdab836ed7e6dc881de23001b",
        ),
        (
            "neg-sha256",
            "sha256sum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty.txt",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("neg-md5", "md5 d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"),
        (
            "neg-docker-digest",
            "image: python@sha256:9a5c1bd7bbee8ea9e5a4ee3f1c62a9ac3b0e8f1a7e5d2c4b6a8f0e1d3c5b7a9f",
            "9a5c1bd7bbee8ea9e5a4ee3f1c62a9ac3b0e8f1a7e5d2c4b6a8f0e1d3c5b7a9f",
        ),
        ("neg-short-sha", "see abc1234 and 9fceb02 in the changelog", "9fceb02"),
        (
            "neg-uuid",
            "request 550e8400-e29b-41d4-a716-446655440000 timed out",
            "550e8400-e29b-41d4-a716-446655440000",
        ),
        (
            "neg-uuid-upper-list",
            "IDs: 6F9619FF-8B86-D011-B42D-00C04FC964FF, 7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        ),
        (
            "neg-iso-timestamp",
            "2024-03-14T09:26:53.589793Z worker-3 finished job 88231",
            "2024-03-14T09:26:53.589793Z",
        ),
        ("neg-epoch-seconds", 'ts=1710408413 level=info msg="cache warmed"', "1710408413"),
        ("neg-epoch-millis", "created_at: 1710408413589", "1710408413589"),
        (
            "neg-syslog-line",
            "Mar 14 09:26:53 web01 sshd[21873]: Connection closed by bastion.internal port 51522",
            "21873",
        ),
        (
            "neg-isbn13",
            f"ISBN {isbn13('978013110362')} is K&R, 2nd edition",
            isbn13("978013110362"),
        ),
        ("neg-isbn13-dashed", "ISBN 978-0-13-110362-7 (paperback)", "978-0-13-110362-7"),
        ("neg-isbn10", "ISBN-10: 0-13-110362-8", "0-13-110362-8"),
        ("neg-order-amazon", "Order #112-4567890-1234567 shipped yesterday", "112-4567890-1234567"),
        ("neg-order-number", "order number 100045678, 3 items, total $149.90", "100045678"),
        ("neg-invoice", "Invoice INV-2024-000123 is due on 2024-04-30", "INV-2024-000123"),
        ("neg-po-number", "PO 4500012345 covers the license renewal", "4500012345"),
        ("neg-ups-tracking", "tracking 1Z999AA10123456784 (UPS ground)", "1Z999AA10123456784"),
        ("neg-ean13", "EAN 4006381333931 is the barcode on the box", "4006381333931"),
        ("neg-cve", "patch CVE-2024-3094 (xz) and CVE-2021-44228", "CVE-2024-3094"),
        ("neg-hresult", "HRESULT 0x80070005 (E_ACCESSDENIED) at line 12345", "0x80070005"),
        ("neg-price-table", "SKU-88123  qty 12  unit 1,299.00  total 15,588.00", "15,588.00"),
        (
            "neg-ip-private-range",
            "The service listens on 127.0.0.1:8080 and 0.0.0.0:9090",
            "127.0.0.1",
        ),
        (
            "neg-python-traceback",
            'File "/usr/lib/python3.12/asyncio/base_events.py", line 691, in run_until_complete',
            "line 691",
        ),
        (
            "neg-math-constants",
            "pi = 3.14159265358979323846, e = 2.71828182845904523536",
            "3.14159265358979323846",
        ),
        ("neg-port-list", "open ports: 22, 80, 443, 5432, 6379, 8080, 9200", "5432"),
        ("neg-dimensions", "The panel is 1920x1080 at 144 Hz, 27 inch, 2560x1440 alt", "2560x1440"),
        ("neg-date-range", "Sprint 2024-03-04 to 2024-03-15, velocity 42", "2024-03-04"),
        (
            "neg-lorem-password-policy",
            "Passwords must be at least 12 characters and rotated every 90 days.",
            "12 characters",
        ),
        (
            "neg-token-count",
            "The model has a 128000 token context window and costs $2.50 per million tokens.",
            "128000",
        ),
        (
            "neg-api-key-docs",
            "Set the API key in the OPENAI_API_KEY environment variable; never commit it.",
            "OPENAI_API_KEY",
        ),
        (
            "neg-confidence-interval",
            "95% confidence interval 0.8123-0.9345, p < 0.001",
            "0.8123-0.9345",
        ),
    ]
]


POSITIVES: list[Case] = (
    card_cases()
    + iban_cases()
    + us_id_cases()
    + national_id_cases()
    + phone_cases()
    + email_cases()
    + network_cases()
    + context_cases()
    + secret_cases()
    + obfuscation_cases()
)


def needles(secret: str) -> list[bytes]:
    """The forms in which a value would show up in a JSON body: as sent, JSON-escaped, digits only."""
    out = {
        secret.encode(),
        json.dumps(secret)[1:-1].encode(),
        json.dumps(secret, ensure_ascii=False)[1:-1].encode(),
    }
    digits = digits_of(secret)
    if len(digits) >= 7:
        out.add(digits.encode())
    return sorted(n for n in out if len(n) >= 4)


def split_values() -> dict[str, str]:
    """A value for the split-across-messages and split-across-parts cases."""
    card = luhn_card("4" + pick(DIGITS, 5), 16)
    p = phonenumbers.national_significant_number(phone_number("US", PHONE_PLANS[0][1]))
    s = ssn_value()
    return {
        "card": group(card, (4,) * 4, " "),
        "iban": group(iban_from("GB", "NWBK" + pick(DIGITS, 14)), (4,) * 6, " "),
        "phone": f"+1 {p[:3]} {p[3:6]} {p[6:]}",
        "ssn": f"{s[:3]}-{s[3:5]}-{s[5:]}",
        "email": "benedikt.hoffmann@posteo.de",
    }


SPLITS = split_values()


def field_values() -> dict[str, str]:
    s = ssn_value()
    ssn_text = f"SSN {s[:3]}-{s[3:5]}-{s[5:]}"
    return {
        "ssn": ssn_text,
        "email": "amara.nwosu@proton.me",
        # the same SSN in full-width digits: normalisation must apply to every field too
        "ssn_fullwidth": ssn_text.translate(FULLWIDTH),
    }


FIELD_VALUES = field_values()


# -- added after the first run (generated last, so the values above stay the same) -------------


def later_cases() -> list[Case]:
    card = luhn_card("4" + pick(DIGITS, 5), 16)
    p = phonenumbers.national_significant_number(phone_number("US", PHONE_PLANS[0][1]))
    tls_key = (
        "-----BEGIN PRIVATE KEY-----\n" + pem_body(RSA_PKCS8, 8) + "\n-----END PRIVATE KEY-----\n"
    )
    tls_b64 = b64(tls_key.encode())
    rows = [
        (
            "card-sep-newlines",
            "card",
            "card:\n" + "\n".join(group(card, (4,) * 4, " ").split()),
            card[4:8] + "\n" + card[8:12],
        ),
        (
            "card-markdown-table",
            "card",
            "| field | value |\n|---|---|\n| card | "
            + " | ".join(group(card, (4,) * 4, " ").split())
            + " |",
            " | ".join(group(card, (4,) * 4, " ").split()),
        ),
        (
            "phone-us-seven-digit-local",
            "phone",
            f"call me at {p[3:6]}-{p[6:]} after lunch",
            f"{p[3:6]}-{p[6:]}",
        ),
        (
            "secret-k8s-tls-key-base64",
            "secret",
            f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: {tls_b64}\n",
            tls_b64[:60],
        ),
        (
            "secret-pgpass-line",
            "secret",
            "~/.pgpass:\ndb.internal:5432:orders:app_user:Wq7pL9xRt2zz",
            "Wq7pL9xRt2zz",
        ),
        (
            "secret-docker-login-p",
            "secret",
            "docker login -u ci-bot -p Rk9Lm2Pq7Wz4x registry.acme.io",
            "Rk9Lm2Pq7Wz4x",
        ),
        ("secret-mysql-p-flag", "secret", "mysql -h db -uroot -pJk4mR8pQz2 app", "Jk4mR8pQz2"),
        (
            "secret-aws-credentials-file",
            "secret",
            "[default]\naws_access_key_id = AKIA"
            + pick(B32, 16)
            + "\naws_secret_access_key = "
            + (aws_secret := pick(ALNUM + "/+", 40))
            + "\n",
            aws_secret,
        ),
    ]
    return [Case(i, c, t, s) for i, c, t, s in rows]


LATER_NEGATIVES: list[Case] = [
    Case(i, "negative", t, s)
    for i, t, s in [
        (
            "neg-memory-addresses",
            "segfault at 00007f3a2c1e4b80 ip 000055d4c3a2b1f0 sp 00007ffd5e8a9c40 error 4 in libc.so.6",
            "00007f3a2c1e4b80",
        ),
        (
            "neg-firmware-four-part",
            "Upgrade the switch firmware from 7.0.3.1 to 9.3.10.2 tonight.",
            "9.3.10.2",
        ),
        (
            "neg-weak-words-small-numbers",
            "Call the function 3 times, reach 100% coverage, and give each cell 12 rows.",
            "100%",
        ),
        ("neg-statistics", "n=1532, mean 41.2, sd 12.7, 95% CI 38.1-44.3, p=0.004", "n=1532"),
        ("neg-born-project", "Python 3 was born on 3 December 2008.", "3 December 2008"),
        (
            "neg-diagnosed-pod",
            "The SRE diagnosed the pod with an OOMKilled condition and prescribed 512 MiB more memory.",
            "OOMKilled",
        ),
        (
            "neg-privilege-escalation",
            "CVE-2021-3156 is a privilege escalation in sudo; patch to 1.9.5p2.",
            "privilege escalation",
        ),
        (
            "neg-internal-helper",
            "This is an internal helper; call the public API instead.",
            "internal helper",
        ),
        (
            "neg-mit-license",
            "Permission is hereby granted, free of charge, to any person obtaining a copy of this software.",
            "free of charge",
        ),
    ]
]

POSITIVES += later_cases()
NEGATIVES += LATER_NEGATIVES


# Hard negatives from real text that ships on this machine and that nobody here wrote: comments in
# the installed Python packages and Debian changelogs (/usr/share/doc/*/changelog.Debian.gz).
REAL_TEXT_NEGATIVES: list[Case] = [
    Case(f"neg-real-{i}", "negative", text, secret)
    for i, (text, secret) in enumerate(
        [
            (
                "    # seeds = [2718183590, 2470619828, 1694705158, 3001036531, 2401251497]",
                "2718183590",
            ),
            ("    # bug 123769+127259: non-greedy backtracking bug", "123769+127259"),
            (
                "    # Fixed by: 2cddd5958689bdecdcd89b91ac9aaf6ce0e4f6b8",
                "2cddd5958689bdecdcd89b91ac9aaf6ce0e4f6b8",
            ),
            (
                "        # Zaikun 20211011, 20211111: Is it guaranteed for stage 2 that iact[nact-1] = mcon when",
                "20211011",
            ),
            (
                "        # Check if current cidr block doesn't fall within the 10.0.0.0/8 block, excluding 10.0.0.0/16 and 10.1.0.0/16.",
                "10.1.0.0/16",
            ),
            ("        # y = c(1.41186073, 0.49775975, 0.08275588, 0.24086388,", "1.41186073"),
            ('        #assert_equal(fval.item(), [-999, -12345678.9, b"???"])', "-12345678.9"),
            ("        # Check accuracy issues reported in gh-14753 and gh-155110", "gh-155110"),
            ("  * Regenerate the control file. Closes: #942783.", "#942783"),
            ("ncurses (6.1+20190713-2) unstable; urgency=medium", "6.1+20190713-2"),
            ("  * debian/patches/CVE-2024-6345.patch: Fix CVE-2024-6345.", "CVE-2024-6345"),
            (
                "  * Make autopkgtests cross-test-friendly (Steve Langasek). LP: #1861467.",
                "#1861467",
            ),
            ("    possibly incorrect results (CVE-2021-20305) (Closes: #985652).", "#985652"),
            ("mesa (22.0.1-1) experimental; urgency=medium", "22.0.1-1"),
        ]
    )
]

NEGATIVES += REAL_TEXT_NEGATIVES


# -- held out: fresh wording and values, written at 01:25 UTC after the detector was fitted to
# the cases above (its commits name them). These measure what the detector does on data it
# has not been shown.


def held_out_cases() -> list[Case]:
    from stdnum.be import nn
    from stdnum.cl import rut
    from stdnum.dk import cpr
    from stdnum.fi import hetu
    from stdnum.il import idnr as il_idnr
    from stdnum.no import fodselsnummer
    from stdnum.pt import nif
    from stdnum.tr import tckimlik
    from stdnum.za import idnr as za_idnr

    visa = luhn_card("4" + pick(DIGITS, 5), 16)
    uatp = luhn_card("1" + pick(DIGITS, 5), 15)
    s = ssn_value()
    iban_fr = iban_from("FR", _fr_bban())
    hetu_v = until(
        lambda: (
            "1310"
            + pick("5678", 1)
            + pick(DIGITS, 1)
            + "-"
            + pick(DIGITS, 3)
            + pick("0123456789ABCDEFHJKLMNPRSTUVWXY", 1)
        ),
        hetu.is_valid,
    )
    cpr_v = until(
        lambda: "0707" + pick("6789", 1) + pick(DIGITS, 1) + pick(DIGITS, 4), cpr.is_valid
    )
    fnr_v = until(lambda: "0106" + pick("89", 1) + pick(DIGITS, 6), fodselsnummer.is_valid)
    nn_v = until(lambda: "85" + "07" + "30" + pick(DIGITS, 5), nn.is_valid)
    nif_v = until(lambda: pick("12", 1) + pick(DIGITS, 8), nif.is_valid)
    rut_v = until(lambda: pick("12", 1) + pick(DIGITS, 7) + pick(DIGITS + "K", 1), rut.is_valid)
    tck_v = until(lambda: pick("123456789", 1) + pick(DIGITS, 10), tckimlik.is_valid)
    il_v = until(lambda: pick(DIGITS, 9), il_idnr.is_valid)
    za_v = until(
        lambda: "880714" + pick("05", 1) + pick(DIGITS, 3) + "08" + pick(DIGITS, 1),
        za_idnr.is_valid,
    )
    hk = "9" + pick(DIGITS, 3) + " " + pick(DIGITS, 4)
    nz = phonenumbers.format_number(
        phone_number("NZ", lambda: "21" + pick(DIGITS, 7)), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    dk_phone = (
        f"{pick('2345', 1)}{pick(DIGITS, 1)} {pick(DIGITS, 2)} {pick(DIGITS, 2)} {pick(DIGITS, 2)}"
    )
    rows = [
        ("ho-card-csv-pan-column", "card", f"name,pan,exp\nJ. Doe,{visa},09/28", visa),
        ("ho-card-uatp-word", "card", f"UATP {uatp} for the corporate travel account", uatp),
        ("ho-ssn-single-digits-spaced", "ssn", "SSN " + " ".join(s), " ".join(s)),
        (
            "ho-ssn-arabic-indic-words",
            "ssn",
            f"social security number {s[:3]}-{s[3:5]}-{s[5:]}".translate(ARABIC_INDIC),
            f"{s[:3]}-{s[3:5]}-{s[5:]}".translate(ARABIC_INDIC),
        ),
        (
            "ho-iban-fullwidth",
            "iban",
            "IBAN " + group(iban_fr, (4,) * 7, " ").translate(FULLWIDTH),
            group(iban_fr, (4,) * 7, " ").translate(FULLWIDTH),
        ),
        ("ho-id-fi-hetu", "national_id", f"henkilötunnus {hetu_v}", hetu_v),
        (
            "ho-id-dk-cpr",
            "national_id",
            f"CPR-nr. {cpr_v[:6]}-{cpr_v[6:]}",
            f"{cpr_v[:6]}-{cpr_v[6:]}",
        ),
        ("ho-id-no-fodselsnummer", "national_id", f"fødselsnummer {fnr_v}", fnr_v),
        (
            "ho-id-be-rijksregister",
            "national_id",
            f"rijksregisternummer {nn_v[:2]}.{nn_v[2:4]}.{nn_v[4:6]}-{nn_v[6:9]}.{nn_v[9:]}",
            f"{nn_v[:2]}.{nn_v[2:4]}.{nn_v[4:6]}-{nn_v[6:9]}.{nn_v[9:]}",
        ),
        ("ho-id-pt-nif", "national_id", f"NIF {nif_v}", nif_v),
        (
            "ho-id-cl-rut",
            "national_id",
            f"RUT {int(rut_v[:-1]):,}".replace(",", ".") + f"-{rut_v[-1]}",
            f"{int(rut_v[:-1]):,}".replace(",", ".") + f"-{rut_v[-1]}",
        ),
        ("ho-id-tr-tckimlik", "national_id", f"T.C. Kimlik No: {tck_v}", tck_v),
        ("ho-id-il-teudat-zehut", "national_id", f"מספר תעודת זהות {il_v}", il_v),
        ("ho-id-za-identity", "national_id", f"SA ID number {za_v}", za_v),
        ("ho-phone-hk", "phone", f"陳大文 {hk}", hk),
        ("ho-phone-nz-mobile", "phone", f"Aroha {nz}", nz),
        ("ho-phone-dk-words", "phone", f"ring til mig på {dk_phone}", dk_phone),
        (
            "ho-email-dot-at-local",
            "email",
            "priya (dot) nair (at) infosys (dot) com",
            "priya (dot) nair (at) infosys (dot) com",
        ),
        (
            "ho-email-at-only-spelled",
            "email",
            "send it to jsmith AT contoso.com",
            "jsmith AT contoso.com",
        ),
        (
            "ho-email-punkt-de",
            "email",
            "meine Adresse: k.wagner (at) web (punkt) de",
            "k.wagner (at) web (punkt) de",
        ),
        (
            "ho-health-sertraline",
            "health",
            "She's on sertraline 100mg daily for her anxiety, per Dr. Patel.",
            "sertraline 100mg",
        ),
        (
            "ho-health-de-rezept",
            "health",
            "Rezept für Frau Kaya: Ibuprofen 600 mg dreimal täglich",
            "Ibuprofen 600 mg",
        ),
        (
            "ho-health-colonoscopy",
            "health",
            "My dad has his colonoscopy next Tuesday, the polyp biopsy results come after.",
            "colonoscopy",
        ),
        (
            "ho-health-abbreviations",
            "health",
            "Mr. Lee: T2DM, HTN, CKD stage 3b, on insulin glargine 20 units nightly",
            "CKD stage 3b",
        ),
        (
            "ho-health-a1c",
            "health",
            "my A1c came back at 9.1% and my doctor wants to add Ozempic",
            "A1c came back at 9.1%",
        ),
        (
            "ho-legal-direction-of-counsel",
            "legal",
            "Privileged: prepared at the direction of counsel for the pending litigation.",
            "at the direction of counsel",
        ),
        (
            "ho-legal-fre-408",
            "legal",
            "Confidential settlement communication — FRE 408. Our offer is $1.2M.",
            "FRE 408",
        ),
        (
            "ho-legal-mutual-nda",
            "legal",
            "Per our mutual non-disclosure agreement, here are Acme's unreleased margins.",
            "mutual non-disclosure agreement",
        ),
        (
            "ho-marker-company-confidential",
            "confidential",
            "Company Confidential — Restricted. Board deck draft v3.",
            "Company Confidential",
        ),
        (
            "ho-marker-not-for-distribution",
            "confidential",
            "NOT FOR DISTRIBUTION: 2026 hiring freeze list",
            "NOT FOR DISTRIBUTION",
        ),
        (
            "ho-marker-french",
            "confidential",
            "Confidentiel – ne pas diffuser. Plan social 2026.",
            "ne pas diffuser",
        ),
        ("ho-key-github-user-to-server", "secret", crc_token("ghu_"), ""),
        (
            "ho-key-slack-app",
            "secret",
            f"xapp-1-A{pick(UPPER + DIGITS, 10)}-{pick(DIGITS, 13)}-{pick(HEX, 64)}",
            "",
        ),
        ("ho-key-gitlab-runner", "secret", "glrt-" + pick(URLSAFE, 20), ""),
        ("ho-key-stripe-test", "secret", "sk_test_" + pick(ALNUM, 99), ""),
        ("ho-key-square-access", "secret", "sq0atp-" + pick(URLSAFE, 22), ""),
        ("ho-key-google-oauth-access", "secret", "ya29.a0" + pick(URLSAFE, 150), ""),
        ("ho-key-google-client-secret", "secret", "GOCSPX-" + pick(URLSAFE, 28), ""),
        ("ho-key-replicate", "secret", "r8_" + pick(ALNUM, 37), ""),
        ("ho-key-groq", "secret", "gsk_" + pick(ALNUM, 52), ""),
        ("ho-key-openrouter", "secret", "sk-or-v1-" + pick(HEX, 64), ""),
        ("ho-key-langsmith", "secret", f"lsv2_pt_{pick(HEX, 32)}_{pick(HEX, 10)}", ""),
        ("ho-key-docker-hub", "secret", "dckr_pat_" + pick(URLSAFE, 27), ""),
        ("ho-key-rubygems", "secret", "rubygems_" + pick(HEX, 48), ""),
        ("ho-key-nuget", "secret", "oy2" + pick(LOWER + DIGITS, 43), ""),
        ("ho-key-heroku", "secret", "HRKU-AA" + pick(URLSAFE, 58), ""),
        ("ho-key-nvidia", "secret", "nvapi-" + pick(URLSAFE, 64), ""),
        ("ho-key-tavily", "secret", "tvly-" + pick(ALNUM, 32), ""),
        ("ho-pw-pass-eq", "secret", "pass = 'Xk93!mqLz'", "Xk93!mqLz"),
        (
            "ho-pw-creds-pair",
            "secret",
            "use the creds admin:Winter2025!Fjord to get in",
            "Winter2025!Fjord",
        ),
        ("ho-pw-kennwort", "secret", "Kennwort: Blaubeere#2291", "Blaubeere#2291"),
        ("ho-pw-senha", "secret", "a senha do wifi é Cajueiro@8812", "Cajueiro@8812"),
        ("ho-pw-russian", "secret", "пароль: Zvezda_5519!", "Zvezda_5519!"),
        (
            "ho-obf-hex-bytes-spaced",
            "obfuscation",
            " ".join(f"{b:02x}" for b in b"lena.vogt@t-online.de"),
            " ".join(f"{b:02x}" for b in b"lena.vogt@t-online.de"),
        ),
        (
            "ho-obf-html-entities-phone",
            "obfuscation",
            "tel: " + "".join(f"&#{ord(c)};" for c in "+49 170 3318842"),
            "".join(f"&#{ord(c)};" for c in "+49 170 3318842"),
        ),
        (
            "ho-obf-percent-phone",
            "obfuscation",
            "callback=%2B44%207911%20123456",
            "%2B44%207911%20123456",
        ),
    ]
    return [Case(i, c, t, sec or t) for i, c, t, sec in rows]


HELD_OUT: list[Case] = held_out_cases()

HELD_OUT_NEGATIVES: list[Case] = [
    Case(i, "negative", t, s)
    for i, t, s in [
        ("ho-neg-room-numbers", "Meet in room 1204 on floor 12 of building 4411.", "building 4411"),
        ("ho-neg-pci-ids", "GPU 0x10DE:0x2684 (NVIDIA AD102) on PCI 0000:01:00.0", "0x10DE:0x2684"),
        ("ho-neg-windows-build", "Build 22631.3296 (Windows 11 23H2) fixes it.", "22631.3296"),
        ("ho-neg-city-coordinates", "Berlin city centre is at 52.520008, 13.404954.", "52.520008"),
        ("ho-neg-windows-error", "Update failed with error 0x800F0922, retrying.", "0x800F0922"),
        ("ho-neg-imo-ship", "The vessel IMO 9074729 docked at berth 14.", "IMO 9074729"),
        ("ho-neg-issn-doi", "ISSN 0317-8471, DOI 10.1000/182", "0317-8471"),
        (
            "ho-neg-invoice-amounts",
            "Invoice total 4,111.11 for 1111 units at 3.70 each.",
            "4,111.11",
        ),
        (
            "ho-neg-kubernetes-log",
            "I0314 09:26:53.589793   21873 kubelet.go:2425] SyncLoop (PLEG): pod-7c9e6679 event",
            "kubelet.go:2425",
        ),
        (
            "ho-neg-git-log",
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (HEAD -> main, tag: v2.41.0)",
            "v2.41.0",
        ),
    ]
]
