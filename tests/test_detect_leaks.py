"""Red-team leaks of issue 7, fixed in the detector: one row per format, in our own words and values.

Secrets and tokens are assembled from a seeded alphabet walk, identity numbers get their
check digits from python-stdnum, so no row is a real person's value or a memorised case.
"""

from __future__ import annotations

import random

import pytest
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
]


@pytest.mark.parametrize(("kind", "text"), FOUND, ids=[f"{k}:{t[:30]}" for k, t in FOUND])
def test_red_team_formats_are_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN)
def test_their_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]).kinds == ()
