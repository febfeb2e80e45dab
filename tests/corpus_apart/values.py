"""Sensitive values for the corpus: Faker's locale providers, plus vendor key formats drawn at random."""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from faker import Faker
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.br import cpf
from stdnum.cn import ric
from stdnum.es import nie, nif
from stdnum.fr import nir
from stdnum.in_ import aadhaar, pan
from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.mx import curp, rfc
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ein, itin, ssn

LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pt_BR",
    "ja_JP",
    "hi_IN",
    "nl_NL",
    "pl_PL",
    "ko_KR",
    "zh_CN",
    "en_IN",
    "es_MX",
)


@dataclass(frozen=True)
class Value:
    """One sensitive value; `label` is the word a person would put before it ("SSN", "IBAN")."""

    text: str
    variant: str
    label: str
    checksum_ok: bool | None = None


@dataclass
class Ctx:
    """What a value maker draws from: the locale's Faker, an English Faker and a seeded RNG."""

    locale: str
    fake: Faker
    rng: random.Random
    fakers: dict[str, Faker]

    def other(self, locale: str) -> Faker:
        return self.fakers[locale]


def _valid(check: Callable[[str], bool], text: str) -> bool:
    try:
        return bool(check(text))
    except Exception:  # stdnum's validators raise on data they have no table for
        return False


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"


def email(c: Ctx) -> Value:
    pick = c.rng.randrange(5)
    if pick == 0:
        return Value(c.fake.free_email(), "free_email", "email")
    if pick == 1:
        return Value(c.fake.company_email(), "company_email", "email")
    if pick == 2:
        local, _, domain = c.fake.email().partition("@")
        return Value(f"{local}+{c.rng.choice(['news', 'billing', 'x'])}@{domain}", "plus", "email")
    if pick == 3:
        first = c.other("en_US").first_name().lower()
        last = c.other("en_US").last_name().lower()
        sub = c.rng.choice(["mail", "corp", "eu", "us"])
        return Value(f"{first}.{last}@{sub}.{c.fake.domain_name()}", "subdomain", "email")
    return Value(c.fake.email(), "email", "email")


_CALLING_CODES = {
    "en_US": "1",
    "en_GB": "44",
    "de_DE": "49",
    "fr_FR": "33",
    "es_ES": "34",
    "it_IT": "39",
    "pt_BR": "55",
    "ja_JP": "81",
    "hi_IN": "91",
    "nl_NL": "31",
    "pl_PL": "48",
    "ko_KR": "82",
    "zh_CN": "86",
    "en_IN": "91",
    "es_MX": "52",
}


def phone(c: Ctx) -> Value:
    """Faker's national formats; one in five rewritten as a caller abroad would write it (+CC)."""
    number = str(c.fake.phone_number())
    if number.startswith("+") or c.rng.random() >= 0.2:
        return Value(number, "phone_number", "phone")
    digits = "".join(ch for ch in number.split("x")[0] if ch.isdigit())
    code = _CALLING_CODES[c.locale]
    if digits.startswith("00"):
        return Value(number, "phone_number", "phone")
    if code == "1" and digits.startswith("1"):
        digits = digits[1:]
    if code != "39":
        digits = digits.lstrip("0")
    grouped = " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))
    return Value(f"+{code} {grouped}", "international", "phone")


# (variant, Faker locale that has it, Faker method, words a person writes before it, validator)
_IDS: dict[str, list[tuple[str, str, str, tuple[str, ...], Callable[[str], bool] | None]]] = {
    "en_US": [
        ("us_ssn", "en_US", "ssn", ("SSN", "Social Security number", "SS#"), ssn.is_valid),
        ("us_itin", "en_US", "itin", ("ITIN", "taxpayer ID"), itin.is_valid),
        ("us_ein", "en_US", "ein", ("EIN", "tax ID"), ein.is_valid),
    ],
    "en_GB": [("gb_nino", "en_GB", "ssn", ("NI number", "National Insurance no."), None)],
    "de_DE": [
        ("de_rvnr", "de_DE", "rvnr", ("Rentenversicherungsnummer", "SV-Nummer"), None),
        ("de_passport", "de_DE", "passport_number", ("Reisepassnummer",), None),
    ],
    "fr_FR": [("fr_nir", "fr_FR", "ssn", ("numéro de sécurité sociale", "NIR"), nir.is_valid)],
    "es_ES": [
        ("es_dni", "es_ES", "nif", ("DNI", "NIF"), nif.is_valid),
        ("es_nie", "es_ES", "nie", ("NIE",), nie.is_valid),
        ("es_nuss", "es_ES", "nuss", ("número de la Seguridad Social", "NUSS"), None),
    ],
    "it_IT": [("it_cf", "it_IT", "ssn", ("codice fiscale", "CF"), codicefiscale.is_valid)],
    "pt_BR": [
        ("br_cpf", "pt_BR", "cpf", ("CPF",), cpf.is_valid),
        ("br_rg", "pt_BR", "rg", ("RG",), None),
    ],
    "ja_JP": [("jp_passport", "ja_JP", "passport_number", ("旅券番号", "passport no."), None)],
    "hi_IN": [
        ("in_aadhaar", "en_IN", "aadhaar_id", ("आधार संख्या", "Aadhaar"), aadhaar.is_valid),
        ("in_pan", "en_IN", "pan", ("PAN",), pan.is_valid),
    ],
    "nl_NL": [("nl_bsn", "nl_NL", "ssn", ("BSN", "burgerservicenummer"), bsn.is_valid)],
    "pl_PL": [("pl_pesel", "pl_PL", "pesel", ("PESEL",), pesel.is_valid)],
    "ko_KR": [("kr_rrn", "ko_KR", "ssn", ("주민등록번호", "RRN"), rrn.is_valid)],
    "zh_CN": [("cn_ric", "zh_CN", "ssn", ("身份证号", "ID card no."), ric.is_valid)],
    "en_IN": [("in_aadhaar", "en_IN", "aadhaar_id", ("Aadhaar", "Aadhaar no."), aadhaar.is_valid)],
    "es_MX": [
        ("mx_curp", "es_MX", "curp", ("CURP",), curp.is_valid),
        ("mx_rfc", "es_MX", "rfc", ("RFC",), rfc.is_valid),
    ],
}


def _my_number(rng: random.Random) -> str:
    """Japan's Individual Number: 11 digits and a check digit (weights from the Cabinet Office spec)."""
    body = [rng.randrange(10) for _ in range(11)]
    total = sum(
        p * (n + 1 if n <= 6 else n - 5) for n, p in zip(range(1, 12), reversed(body), strict=True)
    )
    r = total % 11
    digits = "".join(map(str, body)) + str(0 if r <= 1 else 11 - r)
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}" if rng.random() < 0.5 else digits


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_NEVER = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")


def _nino(rng: random.Random, faker_value: str) -> str:
    """Faker's NINO with an issued prefix and suffix: Faker always writes ZZ, which HMRC never issues."""
    while (prefix := rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)) in _NINO_NEVER:
        pass
    body = faker_value.strip()
    return prefix + body[2:-1] + rng.choice("ABCD")


def national_id(c: Ctx) -> Value:
    """A locale's national ID from Faker, redrawn (up to 50 times) until its check digit is right,
    as a real person's is; `checksum_ok` records the rare value that still fails."""
    if c.locale == "ja_JP" and c.rng.random() < 0.5:
        return Value(
            _my_number(c.rng), "jp_my_number", c.rng.choice(["マイナンバー", "個人番号"]), True
        )
    variant, source, method, labels, check = c.rng.choice(_IDS[c.locale])
    for _ in range(50):
        text = str(getattr(c.other(source), method)())
        if check is None or _valid(check, text):
            break
    if variant == "gb_nino":
        text = _nino(c.rng, text)
    ok = _valid(check, text) if check else None
    return Value(text, variant, c.rng.choice(labels), ok)


_CARD_TYPES = (
    "visa16",
    "visa13",
    "visa19",
    "mastercard",
    "amex",
    "discover",
    "diners",
    "jcb16",
    "jcb15",
    "maestro",
)


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for s in sizes:
        if i >= len(digits):
            break
        out.append(digits[i : i + s])
        i += s
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


def payment_card(c: Ctx) -> Value:
    pick = c.rng.randrange(len(_CARD_TYPES) + 2)
    if pick < len(_CARD_TYPES):
        issuer = _CARD_TYPES[pick]
        number = c.other("en_US").credit_card_number(issuer)
    elif pick == len(_CARD_TYPES):
        issuer, number = "mir", _luhn_complete(c.rng, f"220{c.rng.randrange(5)}", 16)
    else:
        issuer, number = "unionpay", _luhn_complete(c.rng, "62" + str(c.rng.randrange(10)), 16)
    style = c.rng.choice(["plain", "spaces", "dashes", "spaces", "dashes"])
    sizes = (4, 6, 5) if len(number) == 15 and number[0] == "3" else (4, 4, 4, 4, 4)
    if style != "plain":
        number = _group(number, sizes, " " if style == "spaces" else "-")
    label = c.rng.choice(["card number", "credit card", "card", "Visa/MC", "CC#"])
    return Value(number, f"{issuer}/{style}", label, True)


_IBAN_LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_BR")


def iban(c: Ctx) -> Value:
    """The locale's IBAN; where Faker's is not a valid one (it falls back to a short GB number for
    zh_CN, en_IN, es_MX), the IBAN of a country whose customers' accounts a business would hold."""
    raw = str(c.fake.iban())
    while not std_iban.is_valid(raw):
        raw = str(c.other(c.rng.choice(_IBAN_LOCALES)).iban())
    style = c.rng.choice(["compact", "spaced", "lower", "lower_spaced"])
    text = raw
    if "spaced" in style:
        text = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    if "lower" in style:
        text = text.lower()
    return Value(text, f"{raw[:2]}/{style}", "IBAN", std_iban.is_valid(raw))


def ip_address(c: Ctx) -> Value:
    pick = c.rng.randrange(3)
    if pick == 0:
        return Value(c.fake.ipv4_public(), "ipv4", "IP")
    while True:
        addr = ipaddress.IPv6Address(c.rng.getrandbits(128) & ~(0xE000 << 112) | (0x2000 << 112))
        if addr.is_global:
            break
    if pick == 1:
        return Value(addr.exploded, "ipv6_full", "IPv6")
    words = addr.exploded.split(":")
    start = c.rng.randrange(5)
    words[start : start + 3] = ["0", "0", "0"]
    short = ipaddress.IPv6Address(":".join(words)).compressed
    return Value(short, "ipv6_compressed", "IPv6")


def mac_address(c: Ctx) -> Value:
    raw = c.fake.mac_address()
    style = c.rng.randrange(4)
    if style == 0:
        return Value(raw, "colon_lower", "MAC")
    if style == 1:
        return Value(raw.upper().replace(":", "-"), "dash_upper", "MAC")
    if style == 2:
        h = raw.replace(":", "")
        return Value(f"{h[:4]}.{h[4:8]}.{h[8:]}", "cisco_dotted", "MAC")
    return Value(raw.upper(), "colon_upper", "MAC")


_DATE_STYLES: dict[str, list[str]] = {
    "en_US": ["%m/%d/%Y", "%B %d, %Y", "%Y-%m-%d"],
    "en_GB": ["%d/%m/%Y", "%d %B %Y"],
    "de_DE": ["%d.%m.%Y"],
    "fr_FR": ["%d/%m/%Y"],
    "es_ES": ["%d/%m/%Y"],
    "it_IT": ["%d/%m/%Y"],
    "pt_BR": ["%d/%m/%Y"],
    "ja_JP": ["%Y年%m月%d日", "%Y/%m/%d"],
    "hi_IN": ["%d-%m-%Y", "%d/%m/%Y"],
    "nl_NL": ["%d-%m-%Y"],
    "pl_PL": ["%d.%m.%Y"],
    "ko_KR": ["%Y년 %m월 %d일", "%Y.%m.%d"],
    "zh_CN": ["%Y年%m月%d日", "%Y-%m-%d"],
    "en_IN": ["%d/%m/%Y", "%d-%m-%Y"],
    "es_MX": ["%d/%m/%Y"],
}


def date_of_birth(c: Ctx) -> Value:
    born: date = c.fake.date_of_birth(minimum_age=1, maximum_age=95)
    style = c.rng.choice(_DATE_STYLES[c.locale])
    return Value(born.strftime(style), style.replace("%", ""), "DOB")


def street_address(c: Ctx) -> Value:
    addr = str(c.fake.address())
    if c.rng.random() < 0.5:
        return Value(addr.replace("\n", ", "), "one_line", "address")
    return Value(addr, "multi_line", "address")


DIAGNOSES = (
    "type 2 diabetes mellitus",
    "major depressive disorder",
    "generalized anxiety disorder",
    "HIV infection",
    "stage II invasive ductal carcinoma of the left breast",
    "COPD with acute exacerbation",
    "essential hypertension",
    "focal epilepsy",
    "bipolar I disorder",
    "paranoid schizophrenia",
    "Crohn's disease",
    "chronic hepatitis C",
    "relapsing-remitting multiple sclerosis",
    "chronic kidney disease stage 3",
    "opioid use disorder",
    "atrial fibrillation",
    "rheumatoid arthritis",
    "gestational diabetes",
    "alcohol dependence",
    "early-onset Alzheimer's disease",
)
MEDICATIONS = (
    "metformin 500 mg BID",
    "lisinopril 10 mg once daily",
    "atorvastatin 40 mg at night",
    "sertraline 50 mg daily",
    "levothyroxine 75 mcg",
    "insulin glargine 22 units at bedtime",
    "amoxicillin 875 mg twice a day for 10 days",
    "prednisone 20 mg taper",
    "warfarin 5 mg, target INR 2-3",
    "methotrexate 15 mg weekly",
    "emtricitabine/tenofovir 200/300 mg",
    "lithium carbonate 300 mg TID",
    "quetiapine 100 mg qhs",
    "adalimumab 40 mg SC every other week",
    "buprenorphine/naloxone 8/2 mg SL",
    "oxycodone 5 mg q6h PRN",
    "apixaban 5 mg BID",
)
ICD10 = (
    ("E11.9", "type 2 diabetes without complications"),
    ("F32.1", "major depressive episode, moderate"),
    ("F41.1", "generalized anxiety disorder"),
    ("B20", "HIV disease"),
    ("C50.912", "malignant neoplasm of left breast"),
    ("J44.1", "COPD with exacerbation"),
    ("I10", "essential hypertension"),
    ("G40.109", "focal epilepsy"),
    ("F31.9", "bipolar disorder"),
    ("F20.0", "paranoid schizophrenia"),
    ("K50.90", "Crohn's disease"),
    ("N18.3", "CKD stage 3"),
    ("F11.20", "opioid dependence"),
    ("I48.91", "atrial fibrillation"),
    ("O24.419", "gestational diabetes"),
    ("Z21", "asymptomatic HIV status"),
)
LABS = (
    "HbA1c 8.4%",
    "eGFR 42 mL/min/1.73m2",
    "LDL 162 mg/dL",
    "TSH 7.9 mIU/L",
    "HIV viral load <20 copies/mL, CD4 412",
    "INR 3.6",
    "PSA 9.1 ng/mL",
    "troponin I 0.8 ng/mL",
    "ALT 212 U/L, AST 180 U/L",
)
PROCEDURES = (
    "laparoscopic cholecystectomy",
    "colonoscopy with polypectomy",
    "left total knee arthroplasty",
    "CABG x3",
    "right mastectomy with sentinel node biopsy",
    "cycle 3 of FOLFOX chemotherapy",
    "emergency C-section",
    "electroconvulsive therapy, session 4",
)


def health(c: Ctx) -> Value:
    pick = c.rng.randrange(5)
    if pick == 0:
        return Value(c.rng.choice(DIAGNOSES), "diagnosis", "diagnosis")
    if pick == 1:
        return Value(c.rng.choice(MEDICATIONS), "medication", "medication")
    if pick == 2:
        code, words = c.rng.choice(ICD10)
        text = code if c.rng.random() < 0.5 else f"{code} ({words})"
        return Value(text, "icd10", "ICD-10")
    if pick == 3:
        return Value(c.rng.choice(LABS), "lab", "labs")
    return Value(c.rng.choice(PROCEDURES), "procedure", "procedure")


LEGAL_MARKERS = (
    "PRIVILEGED & CONFIDENTIAL - ATTORNEY-CLIENT COMMUNICATION",
    "Attorney-client privileged",
    "ATTORNEY WORK PRODUCT - PREPARED IN ANTICIPATION OF LITIGATION",
    "Privileged and confidential: prepared at the direction of counsel",
    "This memo is protected by the attorney–client privilege",  # noqa: RUF001 - as typed
    "Subject to legal professional privilege",
    "WITHOUT PREJUDICE",
    "Legally privileged - do not forward outside the legal team",
    "Covered by the mutual non-disclosure agreement (NDA) between the parties",
    "Shared under NDA",
    "Privileged settlement communication - FRE 408",
    "Anwaltliche Korrespondenz - vertraulich und privilegiert",
)
CONFIDENTIAL_MARKERS = (
    "CONFIDENTIAL",
    "Company Confidential",
    "Internal use only - do not distribute",
    "INTERNAL ONLY",
    "Strictly confidential",
    "Not for external distribution",
    "Proprietary and confidential",
    "Confidential - do not share outside the company",
    "For internal circulation only",
    "Vertraulich - nur für den internen Gebrauch",
    "Confidentiel - diffusion interne uniquement",
    "Confidencial - solo para uso interno",
    "社外秘",
    "机密 - 仅限内部使用",
)


def legal_privilege(c: Ctx) -> Value:
    return Value(c.rng.choice(LEGAL_MARKERS), "marker", "privilege")


def confidential_marker(c: Ctx) -> Value:
    i = c.rng.randrange(len(CONFIDENTIAL_MARKERS))
    return Value(CONFIDENTIAL_MARKERS[i], "english" if i < 9 else "other_language", "marker")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _pem_body(rng: random.Random, lines: int) -> list[str]:
    blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(48 * lines))).decode()
    return [blob[i : i + 64] for i in range(0, len(blob), 64)]


def _password(c: Ctx) -> str:
    if c.rng.random() < 0.5:
        return str(c.fake.password(length=c.rng.randrange(12, 24)))
    word = c.other("en_US").word().capitalize()
    return f"{word}{c.rng.randrange(1970, 2030)}{c.rng.choice('!#$%&*')}"


def _credential(c: Ctx) -> tuple[str, str]:
    r = c.rng
    host = c.fake.domain_name()
    kind = r.choice(_CREDENTIAL_KINDS)
    if kind == "aws_access_key":
        key = "AKIA" + _rand(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        secret = _rand(r, B64, 40)
        return kind, f"aws_access_key_id = {key}\naws_secret_access_key = {secret}"
    if kind == "aws_secret_only":
        return kind, f"AWS_SECRET_ACCESS_KEY={_rand(r, B64, 40)}"
    if kind == "github_pat":
        return kind, "ghp_" + _rand(r, ALNUM, 36)
    if kind == "github_fine_grained":
        return kind, "github_pat_" + _rand(r, UPPER_ALNUM, 22) + "_" + _rand(r, ALNUM, 59)
    if kind == "gitlab_pat":
        return kind, "glpat-" + _rand(r, URLSAFE, 20)
    if kind == "slack_bot":
        return (
            kind,
            f"xoxb-{_rand(r, string.digits, 12)}-{_rand(r, string.digits, 13)}-{_rand(r, ALNUM, 24)}",
        )
    if kind == "slack_webhook":
        return kind, (
            f"https://hooks.slack.com/services/T{_rand(r, UPPER_ALNUM, 8)}/"
            f"B{_rand(r, UPPER_ALNUM, 10)}/{_rand(r, ALNUM, 24)}"
        )
    if kind == "stripe_live":
        return kind, r.choice(["sk_live_", "rk_live_"]) + _rand(r, ALNUM, r.choice([24, 99]))
    if kind == "openai":
        return kind, "sk-proj-" + _rand(r, URLSAFE, 156)
    if kind == "anthropic":
        return kind, "sk-ant-api03-" + _rand(r, URLSAFE, 93) + "AA"
    if kind == "google_api":
        return kind, "AIza" + _rand(r, URLSAFE, 35)
    if kind == "sendgrid":
        return kind, "SG." + _rand(r, URLSAFE, 22) + "." + _rand(r, URLSAFE, 43)
    if kind == "twilio":
        return (
            kind,
            f"TWILIO_ACCOUNT_SID=AC{_rand(r, HEX, 32)}\nTWILIO_AUTH_TOKEN={_rand(r, HEX, 32)}",
        )
    if kind == "npm":
        return kind, "npm_" + _rand(r, ALNUM, 36)
    if kind == "pypi":
        return kind, "pypi-AgEIcHlwaS5vcmc" + _rand(r, URLSAFE, 60)
    if kind == "mailgun":
        return kind, "key-" + _rand(r, HEX, 32)
    if kind == "shopify":
        return kind, "shpat_" + _rand(r, HEX, 32)
    if kind == "huggingface":
        return kind, "hf_" + _rand(r, string.ascii_letters, 34)
    if kind == "digitalocean":
        return kind, "dop_v1_" + _rand(r, HEX, 64)
    if kind == "azure_storage":
        return kind, (
            f"DefaultEndpointsProtocol=https;AccountName={c.other('en_US').user_name()[:20]};"
            f"AccountKey={_rand(r, B64, 86)}==;EndpointSuffix=core.windows.net"
        )
    if kind == "jwt_bearer":
        head = _b64url(b'{"alg":"HS256","typ":"JWT"}')
        body = _b64url(json.dumps({"sub": str(r.randrange(10**6)), "iat": 1716239022}).encode())
        return kind, f"Authorization: Bearer {head}.{body}.{_b64url(r.randbytes(32))}"
    if kind == "telegram_bot":
        return kind, f"{r.randrange(10**8, 10**10)}:AA{_rand(r, URLSAFE, 33)}"
    if kind == "datadog":
        return kind, f"DD_API_KEY={_rand(r, HEX, 32)}"
    if kind == "square":
        return kind, "EAAA" + _rand(r, URLSAFE, 60)
    if kind == "pem_block":
        label = r.choice(
            ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]
        )
        body = "\n".join(_pem_body(r, r.randrange(4, 12)))
        return kind, f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"
    if kind == "pem_escaped_json":
        body = "\\n".join(_pem_body(r, 8))
        account = {
            "type": "service_account",
            "project_id": f"{c.other('en_US').word()}-{r.randrange(100000, 999999)}",
            "private_key_id": _rand(r, HEX, 40),
            "private_key": "@@KEY@@",
            "client_id": str(r.randrange(10**20, 10**21)),
        }
        text = json.dumps(account, indent=2)
        key = f"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n"
        return kind, text.replace("@@KEY@@", key)
    if kind == "connection_string":
        user = c.other("en_US").user_name()
        pw = _rand(r, ALNUM, r.randrange(10, 24))
        scheme = r.choice(["postgres", "postgresql", "mysql", "mongodb+srv", "amqp", "mssql"])
        return kind, f"{scheme}://{user}:{pw}@db.{host}:{r.choice([5432, 3306, 27017, 5672])}/app"
    if kind == "redis_no_user":
        return kind, f"redis://:{_rand(r, ALNUM, 24)}@cache.{host}:6379/0"
    if kind == "ado_connection":
        return kind, f"Server=sql.{host};Database=crm;User Id=sa;Password={_password(c)};"
    if kind == "env_password":
        var = r.choice(["DB_PASSWORD", "POSTGRES_PASSWORD", "SMTP_PASSWORD", "MYSQL_ROOT_PASSWORD"])
        var = r.choice([var, "APP_SECRET", "JWT_SECRET", "API_TOKEN", "ADMIN_PASS"])
        return kind, f"{var}={_password(c)}"
    if kind == "prose_password":
        pw = _password(c)
        return kind, r.choice(
            [
                f"the password is {pw}",
                f"login: admin / pw: {pw}",
                f"Passwort lautet {pw}",
                f"le mot de passe est {pw}",
                f"use {pw} as the password for the VPN",
            ]
        )
    if kind == "basic_auth":
        user = c.other("en_US").user_name()
        token = base64.b64encode(f"{user}:{_password(c)}".encode()).decode()
        return kind, f"Authorization: Basic {token}"
    user = c.other("en_US").user_name()
    return "curl_user", f"curl -u {user}:{_password(c)} https://api.{host}/v2/export"


_CREDENTIAL_KINDS = (
    "aws_access_key",
    "aws_secret_only",
    "github_pat",
    "github_fine_grained",
    "gitlab_pat",
    "slack_bot",
    "slack_webhook",
    "stripe_live",
    "openai",
    "anthropic",
    "google_api",
    "sendgrid",
    "twilio",
    "npm",
    "pypi",
    "mailgun",
    "shopify",
    "huggingface",
    "digitalocean",
    "azure_storage",
    "jwt_bearer",
    "telegram_bot",
    "datadog",
    "square",
    "pem_block",
    "pem_escaped_json",
    "connection_string",
    "redis_no_user",
    "ado_connection",
    "env_password",
    "prose_password",
    "basic_auth",
    "curl_user",
)


def credential(c: Ctx) -> Value:
    variant, text = _credential(c)
    return Value(text, variant, "key")


MAKERS: dict[str, Callable[[Ctx], Value]] = {
    "email": email,
    "phone": phone,
    "national_id": national_id,
    "payment_card": payment_card,
    "iban": iban,
    "ip_address": ip_address,
    "mac_address": mac_address,
    "date_of_birth_with_name": date_of_birth,
    "street_address_with_name": street_address,
    "health": health,
    "legal_privilege": legal_privilege,
    "confidential_marker": confidential_marker,
    "credential": credential,
}
