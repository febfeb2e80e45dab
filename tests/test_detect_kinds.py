"""Each kind the detector knows, one table row per format: what must be found, and its lookalikes.

Rows are written by hand for this file; the accuracy on data written apart from
the detector is measured elsewhere (benchmarks/). A row names the one kind the
text must report; a clean row must report nothing.
"""

from __future__ import annotations

import pytest

from tiergate.detect import KIND_CLASSIFICATION, KINDS, Detector, Finding

DETECTOR = Detector()

FOUND: list[tuple[str, str]] = [
    # phones: international, national formats of many countries, extensions, prefixes
    ("phone", "ring me on +1 (212) 555-0147 after six"),
    ("phone", "our desk: 001-415-555-0199x204"),
    ("phone", "Tel 00 44 20 7946 0321"),
    ("phone", "+81 3-1234-5678 is the Tokyo office"),
    ("phone", "Tokyo office 03-1234-5678"),
    ("phone", "her cell 090-1234-5678"),
    ("phone", "São Paulo: (11) 91234-5678"),
    ("phone", "+55 11 91234 5678"),
    ("phone", "Mumbai desk 98765 43210"),
    ("phone", "+91 98765 43210"),
    ("phone", "CDMX 55 1234 5678"),
    ("phone", "+52 55 1234 5678"),
    ("phone", "Beijing 138 0013 8000"),
    ("phone", "+86 138 0013 8000"),
    ("phone", "Seoul 010-1234-5678"),
    ("phone", "+82 2-312-3456"),
    ("phone", "Joburg 082 123 4567"),
    ("phone", "+27 82 123 4567"),
    ("phone", "Lagos 0803 123 4567"),
    ("phone", "+234 803 123 4567"),
    ("phone", "London 020 7946 0958"),
    ("phone", "mobile 07700 900123"),
    ("phone", "Berlin 030 12345678"),
    ("phone", "+49 30 12345678"),
    ("phone", "Paris 01 42 68 53 00"),
    ("phone", "Madrid 612 34 56 78"),
    ("phone", "Roma 06 1234 5678"),
    ("phone", "Amsterdam 06-12345678"),
    ("phone", "Sydney (02) 9876 5432"),
    ("phone", "Moscow 8 (912) 345-67-89"),
    ("phone", "+7 912 345-67-89"),
    ("phone", "+48 512 345 678"),
    ("phone", "call 4155550134 today"),
    ("phone", "4155550134"),
    ("phone", "13812345678 is my WeChat number"),
    ("phone", "(555) 010-4477 ext. 12"),
    ("phone", "555-867-5309"),
    ("phone", "ring 555 1234 after lunch"),
    ("phone", "phone: 12345678"),
    ("phone", "T: 0412 345 678"),
    ("phone", "tel:+14155550199"),
    ("phone", "电话 138-0013-8000"),
    # national IDs with any separators, by shape or by context
    ("national_id", "SSN 123-45-6789"),
    ("national_id", "ssn 123.45.6789 on file"),
    ("national_id", "social 123/45/6789"),
    ("national_id", "her number is 123 45 6789"),
    ("national_id", "ITIN 912-78-1234"),
    ("national_id", "EIN 12-3456789"),
    ("national_id", "SSN: 123456789"),
    ("national_id", "NI number AB 12 34 56 C"),
    ("national_id", "NINO QQ123456A"),
    ("national_id", "DNI 12345678Z"),
    ("national_id", "NIE X1234567L"),
    ("national_id", "CPF 123.456.789-09"),
    ("national_id", "codice fiscale RSSMRA85T10A562S"),
    ("national_id", "CURP GOMC850101HDFNRR09"),
    ("national_id", "passport number 533401228"),
    ("national_id", "Passport No. K1234567"),
    ("national_id", "driver's license D1234567"),
    ("national_id", "driving licence MORGA753116SM9IJ"),
    ("national_id", "PESEL 44051401359"),
    ("national_id", "Aadhaar 2341 2341 2346"),
    ("national_id", "RRN 850101-1234568"),
    ("national_id", "national ID 7412310012083"),
    # cards: any separators, every scheme, Luhn-valid
    ("payment_card", "card 4111 1111 1111 1111"),
    ("payment_card", "4111.1111.1111.1111"),
    ("payment_card", "4111-1111 1111.1111 exp 09/27"),
    ("payment_card", "5555555555554444"),
    ("payment_card", "Amex 3782 822463 10005"),
    ("payment_card", "Mir 2200 0000 0000 0004"),
    ("payment_card", "2201382000000013"),
    ("payment_card", "UnionPay 6212 3456 7890 1232"),
    ("payment_card", "JCB 3530111333300000"),
    ("payment_card", "Discover 6011 1111 1111 1117"),
    # IBAN in any case, with spaces or dashes
    ("iban", "IBAN DE89 3704 0044 0532 0130 00"),
    ("iban", "de89370400440532013000"),
    ("iban", "GB82-WEST-1234-5698-7654-32"),
    ("iban", "pay to fr14 2004 1010 0505 0001 3m02 606"),
    # e-mail, plain and obfuscated
    ("email", "write jane.doe@example.com"),
    ("email", "jane dot doe at example dot com"),
    ("email", "jane(at)example(dot)com"),
    ("email", "jane [at] example [dot] com"),
    ("email", "contact j.doe at example.com for access"),
    ("email", "user@bücher.de"),
    ("email", "用户@例子.中国"),
    # addresses
    ("ip_address", "from 8.8.8.8"),
    ("ip_address", "peer 008.008.004.004"),
    ("ip_address", "client 2a03:2880:f12f:83:face:b00c:0:25de"),
    ("ip_address", "v6 2606:4700:4700::1111 answered"),
    ("ip_address", "route 74.63.135.55/32"),
    ("mac_address", "MAC 3c:22:fb:1a:9e:04"),
    ("mac_address", "hw 3C-22-FB-1A-9E-04"),
    ("mac_address", "cisco 3c22.fb1a.9e04"),
    # birth dates and street addresses
    ("date_of_birth", "DOB: 1985-03-07"),
    ("date_of_birth", "Jane Smith, born 07/03/1985"),
    ("date_of_birth", "born on March 7, 1985 in Ohio"),
    ("date_of_birth", "date of birth 7 March 1985"),
    ("date_of_birth", "geboren am 07.03.1985"),
    ("street_address", "ship to 742 Evergreen Terrace"),
    ("street_address", "1600 Pennsylvania Avenue NW"),
    ("street_address", "221B Baker Street, London"),
    ("street_address", "12 rue de Rivoli"),
    ("street_address", "Hauptstraße 5, 10115 Berlin"),
    ("street_address", "Calle Mayor 10, 28013 Madrid"),
    ("street_address", "Springfield, IL 62704"),
    # health near a patient
    ("health", "Patient was diagnosed with type 2 diabetes last spring"),
    ("health", "prescribed metformin 500 mg twice daily"),
    ("health", "lisinopril 10 mg once daily"),
    ("health", "she underwent a colonoscopy on Monday"),
    ("health", "ICD-10 E11.9, follow up in 3 months"),
    ("health", "diagnosis code J45.909 for the patient"),
    ("health", "HbA1c 7.2% at the last visit"),
    ("health", "BP 150/95 at intake"),
    ("health", "Patient Maria Garcia, seen today"),
    ("health", "has a history of major depression"),
    ("medical_record", "MRN: 00123456"),
    ("medical_record", "NHS number 943 476 5919"),
    ("medical_record", "Medicare MBI 1EG4-TE5-MK73"),
    # privilege and confidentiality markers
    ("legal_privilege", "ATTORNEY-CLIENT PRIVILEGED COMMUNICATION"),
    ("legal_privilege", "Privileged & Confidential: draft settlement"),
    ("legal_privilege", "shared under NDA with Acme"),
    ("legal_privilege", "Without prejudice: our offer stands"),
    ("legal_privilege", "attorney work product, do not forward"),
    ("confidential_marker", "CONFIDENTIAL - do not share outside the board"),
    ("confidential_marker", "Internal use only."),
    ("confidential_marker", "Do not distribute."),
    ("confidential_marker", "This document is strictly confidential."),
    ("confidential_marker", "Not for external distribution"),
    ("confidential_marker", "Proprietary and confidential"),
]

CLEAN: list[str] = [
    # numbers that are not phones, IDs or cards
    "Upgrade to version 1.2.3.4",
    "System.Runtime, Version=4.0.30319.42000, Culture=neutral",
    "assembly 4.0.30319.42000 loaded",
    "walk OID 1.3.6.1.4.1.2021.10.1.3.1",
    "snmpget 1.3.6.1.2.1.1.3.0",
    "order 415 555 2671",
    "Your order number is 2024-000123.",
    "invoice 4155550134",
    "ISBN 978-3-16-148410-0",
    "ISBN-10: 0-306-40615-2",
    "UPC 036000291452",
    "epoch 1700000000 corresponds to November 2023",
    "ts=1700000000123",
    "2024-01-15 10:30:00,123 INFO started",
    "2024-01-15T10:30:00Z",
    "Request id 550e8400-e29b-41d4-a716-446655440000 failed.",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
    "Price: $1,299.99 (was $1,499.00)",
    "we shipped 12,000,000 units in 2023",
    "reach 12000000 users by Q3",
    "ring buffer of 4096 entries",
    "cell 1048576 in the sheet",
    "the sum is 1234567",
    "INT_MAX is 2147483647",
    "range 100-2000 rpm",
    "In 1997 we saw 116 cases (81%).",
    "pi is 3.14159265358979",
    "0.25 0.50 0.75 1.00",
    "Meeting on 15/01/2024 at 14:30.",
    "See section 4.2.1 and table 3.",
    "10.0.0.1 and 192.168.1.1 are private",
    "2001:db8::1 is for documentation",
    "std::vector<int> v;",
    "12:30:45 UTC",
    "hostmask ::f",
    "Luhn-invalid 4111 1111 1111 1112",
    "coordinates 48.8566, 2.3522",
    # words that sound sensitive but are not
    "diagnose the failing build before lunch",
    "be patient, the cache warms up",
    "what is confidential computing?",
    "explain attorney fees in small claims court",
    "the tests share an internal helper",
    "look at example.com for the docs",
    "meet at noon at the cafe",
    "a stored procedure in SQL",
    "password: required",
    "the password is required",
    "pwd = os.getcwd()",
    "set DB_PASSWORD=${DB_PASSWORD}",
    "postgres://user:password@localhost/db",
    "icon@2x.png",
    "Born to run, 1975",
    "we ran 5 km in 30 min",
    "take 2 steps back",
    "Apple Park opened in 2017 and is large",
    "Top 10 Python Tips for 2024",
]


@pytest.mark.parametrize(("kind", "text"), FOUND, ids=[f"{k}:{t[:40]}" for k, t in FOUND])
def test_each_format_is_found(kind: str, text: str) -> None:
    assert kind in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN)
def test_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]) == Finding(None, ())


def test_every_kind_has_a_row_and_a_classification() -> None:
    assert {kind for kind, _ in FOUND} == set(KINDS) - {"credential"}
    assert set(KIND_CLASSIFICATION) == set(KINDS)
