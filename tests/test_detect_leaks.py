"""Red-team leaks of issue 7, fixed in the detector: one row per format, in our own words and values.

Secrets and tokens are assembled from a seeded alphabet walk, identity numbers get their
check digits from python-stdnum, so no row is a real person's value or a memorised case.
"""

from __future__ import annotations

import random

import pytest
from stdnum import luhn
from stdnum.es import dni
from stdnum.it import codicefiscale

from tiergate.detect import Detector

DETECTOR = Detector()
_RNG = random.Random(4711)
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"


def rand(n: int, alphabet: str = ALNUM) -> str:
    while True:
        out = "".join(_RNG.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in out) and (alphabet == HEX or any(c.isalpha() for c in out)):
            return out


FULLWIDTH = {ord(d): 0xFF10 + int(d) for d in "0123456789"}
_DNI = "48151623"
_CF = "RSSMRA85T10A562"

FOUND: list[tuple[str, str]] = [
    # vendor keys and tokens
    ("credential", "DOPPLER_TOKEN holds dp.pt." + rand(43)),
    ("credential", "deploy with pul-" + rand(40, HEX)),
    ("credential", f"tfc: {rand(14)}.atlasv1.{rand(67)}"),
    ("credential", "dropbox sl." + rand(3) + "-" + rand(130)),
    ("credential", f"origin key v1.0-{rand(24, HEX)}-{rand(146, HEX)}"),
    ("credential", f"mapbox sk.eyJ1Ijoi{rand(40)}.{rand(22)}"),
    ("credential", f"dsn = https://{rand(32, HEX)}@o4410.ingest.sentry.io/77"),
    ("credential", f"git clone https://{'ghp_' + rand(36)}@github.com/acme/x.git"),
    # passwords on command lines and in prose
    ("credential", "machine files.acme.test login svc password Qr7tUv2Wx"),
    ("credential", "her password's Gl4cier-Lake? so use that"),
    ("credential", "user: root / T0mato#Soup9"),
    ("credential", "curl -s -u builder:Hb3Nm8Kp2 https://ci.acme.test/"),
    ("credential", "podman login --username bot --password Zx8Cv5Bn1Lk quay.acme.test"),
    ("credential", "mysqldump -ureport -pT6yU8iO0pL shop"),
    # IBANs typed in lower case with spaces
    ("iban", "iban: gb33 bukb 2020 1555 5555 55 for the refund"),
    ("iban", "conta de89 3704 0044 0532 0130 00"),
    # identity documents
    ("national_id", f"Ana Gil Soto, {_DNI}-{dni.calc_check_digit(_DNI)}, Madrid"),
    ("national_id", "cf: " + (_CF + codicefiscale.calc_check_digit(_CF)).lower()),
    ("national_id", "TFN 123 456 782 for the payroll form"),
    ("national_id", "tax file number: 876 543 210"),
    ("national_id", "Ausweisnummer L01X00T47"),
    ("national_id", "Reisepassnummer C4J7K2R9M"),
    ("national_id", "DL# 712 604 233"),
    ("national_id", "the id# 55123 9876"),
    ("national_id", "EIN 27.1948375 on the W-9"),
    ("national_id", "SSN_536-22-1470"),
    ("national_id", "ssn_" + "536-22-1470".translate(FULLWIDTH)),
    ("phone", "mobile_4155550123"),
    ("street_address", "住所:大阪府大阪市北区梅田3-1-1"),
    ("street_address", "Av. Paulista, 900 - Bela Vista, São Paulo - SP, 01310-100"),
    # health, privilege and confidentiality in words, in English and German
    ("health", "Pt: J. Moreno. Dx: generalized anxiety disorder"),
    ("health", "her HIV viral load was undetectable at the last visit"),
    ("health", "he is booked for a robotic prostatectomy next week"),
    ("health", "Assessment: E11.9, I10"),
    ("health", "Der Patient leidet an Lungenkrebs und bekommt Chemotherapie."),
    ("health", "my colleague is 20 weeks pregnant"),
    ("health", "She underwent knee arthroscopy last spring."),
    ("health", "Referred for colonoscopy after two weeks of symptoms."),
    ("health", "Discharge diagnosis: hyperlipidemia"),
    ("legal_privilege", "Unterliegt der Verschwiegenheitsvereinbarung gemäß § 4."),
    ("legal_privilege", "This memo is subject to legal advice privilege."),
    ("confidential_marker", "Streng vertraulich: Quartalszahlen für den Vorstand"),
    ("confidential_marker", "Document à usage interne uniquement"),
    # birth dates
    ("date_of_birth", "M. Paul Henry, né le 14 mars 1979"),
    ("date_of_birth", "山田太郎 1985年11月3日生まれ"),
    ("date_of_birth", "생년월일: 1992년 7월 21일"),
    # e-mail written with spaces or in other languages
    ("email", "write to lena.vogt @ mailbox.org please"),
    ("email", "mi correo: pablo.ruiz arroba gmail punto com"),
    # cards cut in unusual ways (Luhn-valid test numbers)
    ("payment_card", "card: 4000_0566_5566_5556"),
    ("payment_card", "Visa card 40 00 05 66 55 66 55 56"),
    ("payment_card", "credit card\n5555\n5555\n5555\n4444"),
    ("payment_card", "| card | 3782 | 822463 | 10005 |"),
    ("payment_card", "Kartennummer 1234-5678-9012-34" + luhn.calc_check_digit("12345678901234")),
    ("payment_card", "0x" + b"card 4000056655665556".hex()),
    (
        "national_id",
        "P<GBRWHITE<<JOHN<HENRY<<<<<<<<<<<<<<<<<<<<<\n1204567891GBR8001014M2901019<<<<<<<<<<<<<<04",
    ),
]

CLEAN = [
    "System.Web, Version=4.0.0.0, Culture=neutral, PublicKeyToken=a1b2c3d4e5f60718",
    'params = {"key1": "value1", "key2": "value2"}',
    "public_key: Xy7Kp2Qm9Lw4Rt6Zb",
    "docker run -p 8080:80 -u 1000:1000 image",
    "mkdir -p build/out2024 && cd build",
    "ssh -p 2222 deploy@host",
    "curl -u $CI_USER:$CI_TOKEN https://ci.acme.test/",
    "login: admin / staff",
    "the password is required",
    "<<<<<<< HEAD\nconflict\n>>>>>>> main",
    "std::cout << VALUE << std::endl;",
    "the mean was 12.3456789 over the run",
    "Linux 3 was born on 5 October 1991 in a newsgroup post",
    "the project was born on 12 May 2015",
    "the internet archive and a false dichotomy",
    "what does legal professional privilege cover?",
    "what is a Geheimhaltungsvereinbarung?",
    "HIV research funding rose in 2020",
    "Risk assessment: v1.2 released",
    "the card game had 52 cards and 4 suits",
    "follow @ example on social media",
    "PO 4500098765 was approved",
    "pipeline 7712093344 passed on main",
    "job 5512098876 retried twice",
    "order_id,revenue_cents\n88,6612093345\n89,7712093346",
    "rng seeds: [3141592653, 2718281828, 1618033988]",
    "build_20240101 and run_4410234567",
    "東京都の人口は1400万人",
    "we referred the ticket to the storage team",
    "passenger_count: 4 and passport_office: Lyon",
    "period,units,avg,total_cents\n2023-02,512,3.7,6612093345\n2023-03,498,3.9,7712093346",
    "tokens = [(NAME, 'x'), (OP, '=')]",
    "meta = {'author': 'Zoë', 'author_email': 'n/a'}",
]

PHONES_STILL = [
    "call me at 4155550123",
    "Ana Ruiz 3125550188",
    "name,phone\nAna,3125550188",
    "phone numbers: 2025550143, 2025550177",
]


@pytest.mark.parametrize("text", PHONES_STILL)
def test_bare_phones_outside_numbers_still_count(text: str) -> None:
    assert "phone" in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize(("kind", "text"), FOUND, ids=[f"{k}:{t[:30]}" for k, t in FOUND])
def test_red_team_formats_are_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN)
def test_their_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]).kinds == ()
