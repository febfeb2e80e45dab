"""Regenerate the detector's labelled corpus (detect.jsonl) with valid check digits.

Run ``python tests/corpus/make_corpus.py`` from the repository root. The seed is
fixed, so the output only changes when this script does. Check digits come from
python-stdnum, Luhn and mod-97, never from tiergate itself.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from stdnum import iban, luhn, verhoeff
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

OUT = Path(__file__).with_name("detect.jsonl")
R = random.Random(20240607)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
FIRST = [
    "anna",
    "li.wei",
    "j.smith",
    "maria",
    "ole",
    "priya",
    "tom_k",
    "zoe+news",
    "k.dubois",
    "hans",
]
DOMAINS = [
    "acme.co.uk",
    "example.com",
    "mail.berlin.de",
    "orange.fr",
    "startup.io",
    "uni-heidelberg.de",
    "gmail.com",
    "corp.example.org",
    "yahoo.co.jp",
    "hospital.nhs.uk",
    "tiergate.dev",
]


def digits(n: int) -> str:
    return "".join(R.choice("0123456789") for _ in range(n))


def until(make: Callable[[], str], ok: Callable[[str], bool]) -> str:
    while True:
        value = make()
        if ok(value):
            return value


def group(value: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(value[i : i + size])
        i += size
    return sep.join(out)


def emails() -> list[str]:
    templates = [
        "Please reply to {} by Friday.",
        "Contact: {}",
        "cc <{}> on the thread",
        "Mail {} the invoice.",
        '{{"user": "{}", "role": "admin"}}',
        "mailto:{}",
        "Her address is {}, not the old one.",
        "Von: {} Betreff: Rechnung",
        "Écrivez à {} pour toute question.",
        "forwarded from {} at 10:42",
    ]
    out = []
    for i in range(36):
        address = (
            f"{R.choice(FIRST)}{R.choice(['', '', str(R.randint(1, 99))])}@{R.choice(DOMAINS)}"
        )
        out.append(templates[i % len(templates)].format(address.upper() if i % 9 == 8 else address))
    return out


PHONE_REGIONS = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU", "JP", "BR", "CA", "IE", "CH"]


def phone_number(region: str) -> phonenumbers.PhoneNumber:
    kind = R.choice([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE])
    example = phonenumbers.example_number_for_type(region, kind)
    national = str(example.national_number)
    while True:
        candidate = national[:-4] + digits(4)
        number = phonenumbers.parse("+" + str(example.country_code) + candidate, None)
        if phonenumbers.is_valid_number(number):
            return number


def phones() -> list[str]:
    out = []
    intl = [
        "Call me on {} after six.",
        "Tel.: {}",
        "Our Berlin office: {}",
        "WhatsApp {} if urgent",
        "Téléphone : {}",
        "reach the desk at {}.",
    ]
    for i, region in enumerate(PHONE_REGIONS * 2):
        text = phonenumbers.format_number(
            phone_number(region), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        if i % 5 == 4:
            text = "00" + text[1:]
        out.append(intl[i % len(intl)].format(text))
    us = [
        "({a}) {b}-{c}",
        "{a}-{b}-{c}",
        "{a}.{b}.{c}",
        "+1 {a} {b} {c}",
        "1-{a}-{b}-{c}",
        "+1 ({a}) {b}-{c}",
    ]
    for i in range(12):
        n = str(phone_number("US").national_number)
        text = us[i % len(us)].format(a=n[:3], b=n[3:6], c=n[6:])
        out.append(
            R.choice(
                ["Call {} to reschedule.", "My cell is {}.", "Fax: {}", "He left {} as a callback."]
            ).format(text)
        )
    for region, words in [
        ("GB", "Ring me on {}"),
        ("DE", "Telefon {}"),
        ("FR", "mon portable : {}"),
        ("GB", "phone {}"),
        ("DE", "tel. {}"),
        ("IT", "cellulare {}"),
    ]:
        text = phonenumbers.format_number(
            phone_number(region), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        out.append(words.format(text))
    return out


def national_ids() -> list[str]:
    out = []
    for i in range(6):
        area = until(lambda: digits(3), lambda a: a not in ("000", "666") and a[0] != "9")
        value = (
            area
            + until(lambda: digits(2), lambda g: g != "00")
            + until(lambda: digits(4), lambda s: s != "0000")
        )
        if ssn.is_valid(value):
            out.append(
                [
                    f"SSN {value[:3]}-{value[3:5]}-{value[5:]} on file.",
                    f"Employee SSN: {value}",
                    f"his social security number is {value[:3]} {value[3:5]} {value[5:]}",
                ][i % 3]
            )
    for i in range(4):
        letters = until(
            lambda: R.choice("ABCEGHJKLMNOPRSTWXYZ") + R.choice("ABCEGHJKLMNPRSTWXYZ"),
            lambda p: p not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"),
        )
        d = digits(6)
        out.append(
            [
                f"NI number {letters}{d}{R.choice('ABCD')}",
                f"National Insurance: {letters} {d[:2]} {d[2:4]} {d[4:]} {R.choice('ABCD')}",
            ][i % 2]
        )
    for _ in range(4):
        base = until(lambda: str(R.randint(1, 9)) + digits(9), lambda b: len(set(b)) in (8, 9))
        value = next((base + c for c in "0123456789" if idnr.is_valid(base + c)), None)
        if value:
            out.append(f"Steuer-ID: {value[:2]} {value[2:5]} {value[5:8]} {value[8:]}")
    for i in range(4):
        body = (
            R.choice("12")
            + digits(2)
            + f"{R.randint(1, 12):02d}"
            + f"{R.randint(1, 95):02d}"
            + digits(6)
        )
        value = body + nir.calc_check_digits(body)
        out.append(
            [
                f"NIR {value}",
                f"Numéro de sécurité sociale : {group(value, [1, 2, 2, 2, 3, 3, 2], ' ')}",
            ][i % 2]
        )
    for _ in range(3):
        d = digits(8)
        out.append(f"DNI {d}{dni.calc_check_digit(d)} del titular")
    for _ in range(2):
        d = R.choice("XYZ") + digits(7)
        out.append(f"NIE: {d}{nie.calc_check_digit(d)}")
    for name in ["RSSMRA", "BNCGPP", "VRDLCU"]:
        body = f"{name}{R.randint(50, 99)}{R.choice('ABCDEHLMPRST')}{R.randint(1, 28):02d}{R.choice('ABFGHL')}{digits(3)}"
        out.append(f"Codice fiscale: {body}{codicefiscale.calc_check_digit(body)}")
    for _ in range(3):
        value = until(lambda: digits(9), bsn.is_valid)
        out.append(f"Mijn BSN is {value}.")
    for _ in range(3):
        value = until(lambda: str(R.randint(1, 7)) + digits(8), sin.is_valid)
        out.append(f"SIN: {value[:3]} {value[3:6]} {value[6:]}")
    for _ in range(3):
        body = str(R.randint(2, 9)) + digits(10)
        value = body + verhoeff.calc_check_digit(body)
        if aadhaar.is_valid(value):
            out.append(f"Aadhaar no. {group(value, [4, 4, 4], ' ')}")
    for _ in range(3):
        body = digits(9)
        value = body + cpf._calc_check_digits(body)
        out.append(f"CPF {value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}")
    return out


CARD_PREFIXES = [
    ("4", 16),
    ("4", 13),
    ("4", 19),
    ("51", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
    ("36", 14),
    ("62", 16),
]


def cards() -> list[str]:
    out = []
    templates = [
        "Card: {}",
        "paid with {} exp 09/27",
        "Visa ending... actually the full number is {}",
        "Kreditkarte {} gültig bis 11/26",
        "card_number={}",
        "Charge {} for the renewal.",
    ]
    for i in range(34):
        prefix, length = CARD_PREFIXES[i % len(CARD_PREFIXES)]
        body = prefix + digits(length - len(prefix) - 1)
        value = body + luhn.calc_check_digit(body)
        if length == 15:
            text = group(value, [4, 6, 5], R.choice([" ", "-", ""]))
        elif length == 16:
            text = group(value, [4, 4, 4, 4], R.choice([" ", "-", ""]))
        else:
            text = value
        out.append(templates[i % len(templates)].format(text))
    return out


IBAN_FORMATS = {
    "DE": "18n",
    "GB": "4a14n",
    "NL": "4a10n",
    "FR": "23n",
    "ES": "20n",
    "IT": "1a22n",
    "BE": "12n",
    "CH": "17n",
    "AT": "16n",
    "PL": "24n",
    "IE": "4a14n",
    "SE": "20n",
}


def iban_value(country: str) -> str:
    spec = IBAN_FORMATS[country]
    letters = int(spec[0]) if spec.endswith("n") and "a" in spec else 0
    numbers = int(spec.split("a")[-1][:-1]) if "a" in spec else int(spec[:-1])

    def make() -> str:
        bban = "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(letters)) + digits(
            numbers
        )
        return country + iban.calc_check_digits(country + "00" + bban) + bban

    return until(make, iban.is_valid)


def ibans() -> list[str]:
    out = []
    templates = [
        "IBAN: {}",
        "Bitte überweisen Sie auf {} bis Ende des Monats.",
        "pay into {} (ref 2291)",
        "Virement sur le compte {}",
        "account {} at the Dublin branch",
    ]
    for i in range(36):
        value = iban_value(list(IBAN_FORMATS)[i % len(IBAN_FORMATS)])
        text = iban.format(value) if i % 2 else value
        out.append(templates[i % len(templates)].format(text))
    return out


def ips() -> list[str]:
    out = []
    templates = [
        "Failed login from {} at 03:12 UTC.",
        "server IP: {}",
        "block {} in the firewall",
        "GET /admin 403 client={}",
        "Her home router is {}.",
    ]
    for i in range(24):
        address = until(
            lambda: ".".join(str(R.randint(1, 223)) for _ in range(4)),
            lambda a: ipaddress.ip_address(a).is_global,
        )
        out.append(templates[i % len(templates)].format(address + ("/32" if i == 7 else "")))
    for i, v6 in enumerate(
        [
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "2a00:1450:4009:81f::200e",
            "2a03:2880:f12f:83:face:b00c:0:25de",
            "2620:fe::fe",
            "2400:cb00:2048:1::c629:d7a2",
            "2a01:4f8:c17:b8f::2",
            "2001:67c:2e8:22::c100:68b",
        ]
    ):
        out.append([f"IPv6 client [{v6}]:443 reset", f"AAAA record points to {v6}."][i % 2])
    return out


def medical() -> list[str]:
    out = []
    templates = [
        "MRN: {}",
        "Patient MRN {} admitted 03/14.",
        "medical record number {}",
        "Patient ID: {}",
        "chart no. {} reviewed by Dr. Osei",
        "Hospital number {}, ward 7B",
        "Pt. MRN#{} - allergies: penicillin",
    ]
    for i in range(24):
        value = [digits(8), digits(7), "00" + digits(6), "P-" + digits(7), digits(10)][i % 5]
        out.append(templates[i % len(templates)].format(value))
    mbi_letters = "ACDEFGHJKMNPQRTUVWXY"
    for i in range(6):
        mbi = (
            str(R.randint(1, 9))
            + R.choice(mbi_letters)
            + R.choice(mbi_letters + "0123456789")
            + digits(1)
            + R.choice(mbi_letters)
            + R.choice(mbi_letters + "0123456789")
            + digits(1)
            + R.choice(mbi_letters)
            + R.choice(mbi_letters)
            + digits(2)
        )
        text = f"{mbi[:4]}-{mbi[4:7]}-{mbi[7:]}" if i % 2 else mbi
        out.append(f"Medicare MBI {text} verified")
    for _ in range(4):
        value = until(lambda: digits(10), nhs.is_valid)
        out.append(f"NHS number {value[:3]} {value[3:6]} {value[6:]}")
    return out


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(n: int, alphabet: str = ALNUM) -> str:
    return until(
        lambda: "".join(R.choice(alphabet) for _ in range(n)),
        lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t),
    )


def credentials() -> list[str]:
    jwt = (
        b64(b'{"alg":"HS256","typ":"JWT"}')
        + "."
        + b64(b'{"sub":"1234567890","iat":1516239022}')
        + "."
        + token(43)
    )
    pem_body = "\n".join(token(64, ALNUM + "+/") for _ in range(3))
    return [
        f"OPENAI_API_KEY=sk-{token(48)}",
        f"use key sk-proj-{token(64)} for the eval",
        f"export ANTHROPIC_API_KEY=sk-ant-api03-{token(93)}AA",
        f"aws_access_key_id = AKIA{token(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}",
        f"temporary creds ASIA{token(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')} expire at noon",
        f"aws_secret_access_key = {token(40, ALNUM + '/+')}",
        f"the AWS secret key is {token(40, ALNUM + '/+')}",
        f"git clone https://ghp_{token(36)}@github.com/acme/infra.git",
        f"GH token gho_{token(36)}",
        f"github_pat_{token(22)}_{token(59)}",
        f"SLACK_BOT_TOKEN=xoxb-{digits(12)}-{digits(13)}-{token(24)}",
        f"webhook user token xoxp-{digits(12)}-{digits(12)}-{digits(13)}-{token(32)}",
        f"maps key AIza{token(35, ALNUM + '_-')}",
        f"stripe.api_key = 'sk_live_{token(24)}'",
        f"restricted key rk_live_{token(24)} in the worker",
        f"curl -H 'Authorization: Bearer {token(40, ALNUM + '._-')}' https://api.internal",
        f"Authorization: bearer {token(32)}",
        f"session={jwt}",
        f"the id_token was {jwt} (expired)",
        f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----",
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{pem_body}\n-----END OPENSSH PRIVATE KEY-----",
        f"-----BEGIN PRIVATE KEY-----\n{pem_body}\n-----END PRIVATE KEY-----",
        "DATABASE_URL=postgres://app:Tr0ub4dor&3@db.prod.internal:5432/orders",
        "mongodb+srv://admin:hunter2hunter2@cluster0.mongodb.net/test",
        "redis://default:9fK2mQx7@cache.acme.io:6379",
        "amqp://svc:Zx81!kk@rabbit:5672/",
        "password=Summer2024!",
        "passwd: S3cure#Pass",
        'DB_PASSWORD="correcthorsebatterystaple"',
        "login with user admin, password: P@ssw0rd123",
        f"client_secret: {token(32)}",
        f"HF_TOKEN=hf_{token(34)}",
        f"glpat-{token(20)} is the deploy token",
    ]


def decided() -> list[tuple[str, str]]:
    """Former hard negatives whose label changed with issue 7 (fail closed on a specific shape)."""
    return [
        # A full date after "born" is a birth date, the person need not be named.
        ("date_of_birth", "Born 03.07.1985 in Lyon."),
        # Phone-shaped after "call": counts even though no area code starts with 1.
        ("phone", "Call 123-456-7890 (not a real area code)"),
        # MAC addresses identify a device, and so its owner.
        ("mac_address", "MAC 00:1A:2B:3C:4D:5E"),
    ]


# Hard negatives live one per line in negatives.txt so anyone can add a lookalike.
NEGATIVES = Path(__file__).with_name("negatives.txt")


def main() -> None:
    rows: list[dict[str, object]] = []
    for kind, texts in [
        ("email", emails()),
        ("phone", phones()),
        ("national_id", national_ids()),
        ("payment_card", cards()),
        ("iban", ibans()),
        ("ip_address", ips()),
        ("medical_record", medical()),
        ("credential", credentials()),
    ]:
        rows += [{"text": text, "kinds": [kind]} for text in texts]
    rows += [{"text": text, "kinds": [kind]} for kind, text in decided()]
    negatives = NEGATIVES.read_text(encoding="utf-8").splitlines()
    rows += [{"text": text, "kinds": []} for text in negatives if text]
    OUT.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
