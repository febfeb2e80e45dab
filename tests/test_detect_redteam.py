"""The red team's leaks as formats, not strings: each fix's kin is found, and its look-alikes are not.

tests/privacy_cases.py holds one case per leak (run through the real server by
test_privacy_cases.py); here the same detectors meet the format's neighbours and
the ordinary text that shares their shape.
"""

from __future__ import annotations

import pytest

from tiergate.detect import Detector

DETECTOR = Detector()

FOUND = [
    # vendor keys (values made up, in each vendor's documented format)
    ("credential", "r8_" + "aB3dE5fG7h" * 3 + "J9kLmN0"),
    ("credential", "GROQ_API_KEY=gsk_" + "Ab1Cd2Ef3G" * 5 + "hZ"),
    ("credential", "lsv2_sk_" + "0123456789abcdef" * 2 + "_" + "a1b2c3d4e5"),
    (
        "credential",
        "docker login -u ci --password-stdin <<< dckr_pat_" + "Ab1-Cd2_Ef3" * 2 + "Gh3Ij",
    ),
    ("credential", "rubygems_" + "0a1b2c3d4e5f" * 4),
    ("credential", "nuget push -k oy2" + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0uvw"),
    ("credential", "nvapi-" + "Ab1_Cd2-Ef3G" * 5 + "hIjK"),
    ("credential", "tvly-dev-" + "Ab1Cd2Ef3G" * 3 + "hZ"),
    # passwords in prose, in the languages around Portuguese
    ("credential", "use the creds admin:Winter2025!Fjord to get in"),
    ("credential", "credentials are deploy:Tr0mbone#77"),
    ("credential", "a senha do wifi é Cajueiro@8812"),
    ("credential", "a senha e Cajueiro@8812"),
    ("credential", "la contraseña del wifi es Palmera#4471"),
    ("credential", "la contrasena del router es Palmera#4471"),
    ("credential", "la password del wifi è Girasole_9921"),
    ("credential", "la parola d'ordine è Girasole_9921"),
    ("credential", "le mot de passe du wifi est Soleil!7788"),
    ("credential", "das Passwort für das WLAN ist Tannen#5512"),
    ("credential", "das Kennwort lautet Tannen#5512"),
    # phones
    ("phone", "陳大文 9723 9906"),
    ("phone", "王小明: 6123-4567"),
    ("phone", "Wei Ling 8598 2432"),
    ("phone", "Chan Tai Man: 9123-4567"),
    ("phone", "Tan Wei Ming, 6123 4567"),
    ("phone", "ring til mig på 59 71 82 66"),
    ("phone", "ring meg på 412 34 567"),
    # cards, IDs
    ("payment_card", "UATP 198888718884489 for the corporate travel account"),
    ("national_id", "rijksregisternummer 85.07.30-489.57"),
    ("national_id", "85.07.30-489.57"),
    ("national_id", "numéro de registre national 85073048957"),
    ("national_id", "my SSN is five seven five three two five five three one"),
    ("national_id", "SSN: Five-Seven-Five-Three-Two-Five-Five-Three-One"),
    # e-mail addresses in disguise
    ("email", "send it to jsmith AT contoso.com"),
    ("email", " ".join(f"{b:02x}" for b in b"lena.vogt@t-online.de")),
    ("email", "bytes: " + ":".join(f"{b:02X}" for b in b"ana.silva@sapo.pt")),
]

CLEAN = [
    # key prefixes named, no key
    "Docker Hub tokens start with dckr_pat_ and RubyGems keys with rubygems_.",
    "set GROQ_API_KEY to your gsk_ key",
    # password words without a password
    "the password is required",
    "la contraseña es obligatoria",
    "la password è stata cambiata",
    "le mot de passe est trop court",
    "das Kennwort ist zu kurz",
    "login admin:admin",
    "creds user:pass",
    "use the login host:8080",
    "the login page: https://example.com/login2",
    "see the login user:<password>",
    # eight digits without a Chinese name or a phone word
    "Table 9723 9906",
    "The Man 9723 9906",
    "ports 8080 8443",
    "Lee 9723 9906",
    "订单号 9723 9906",
    "In Long Song 2019 2020",
    "Ho Chi Minh 9723 9906",
    "Kantoor 20 31 12 45",
    # Belgian shape after a version word, bad check digits, versions and OIDs
    "version 85.07.30-489.57",
    "85.07.30-489.58",
    "OID 1.3.6.1.4.1.311.21.8",
    "2.16.840.1.113730.3.1.2",
    "at 12.05.23-123.45 in the log",
    # 15 digits starting with 1, no card word
    "trace 198888718884489 done",
    # shouting, not an address
    "LOOK AT GOOGLE.COM",
    "Look AT example.com for details",
    # counting, hex dumps that say nothing, MACs
    "one two three four five six seven eight nine ten",
    "count to seven: one two three four five six seven",
    "we had four new designs and five teams",
    "de ad be ef ca fe ba be 00 11 22 33",
    "uuid 6f1c2430-9b7e-4c1d-8a2f-3e5d7c9b1a20 at 2024-05-01T12:30:00Z",
    "48 65 6c 6c 6f 20 77 6f 72 6c 64",
    "sha256 3f 6a 8b 2c 7d 4e 9f 1a 5b 6c 0d 2e",
]


@pytest.mark.parametrize(("kind", "text"), FOUND, ids=[t[:40] for _, t in FOUND])
def test_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN, ids=[t[:40] for t in CLEAN])
def test_clean(text: str) -> None:
    assert DETECTOR.scan([text]).kinds == ()
