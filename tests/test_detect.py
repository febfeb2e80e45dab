"""The sensitive-data detector: corpus recall and false positives, and the interface's promises."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tiergate.detect import KIND_CLASSIFICATION, KINDS, Detector, ExtraPattern, Finding

CORPUS = [
    json.loads(line)
    for line in (Path(__file__).parent / "corpus" / "detect.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
]
DETECTOR = Detector()
# The kinds the corpus was written for; later kinds are guarded by the tables in
# test_detect_kinds.py and measured on data written apart from the detector.
CORPUS_KINDS = (
    "email",
    "phone",
    "national_id",
    "payment_card",
    "iban",
    "ip_address",
    "medical_record",
    "credential",
)


def test_corpus_is_big_enough() -> None:
    labelled = Counter(kind for row in CORPUS for kind in row["kinds"])
    assert all(labelled[kind] >= 30 for kind in CORPUS_KINDS), labelled
    assert sum(not row["kinds"] for row in CORPUS) >= 150


@pytest.mark.parametrize("kind", sorted({k for row in CORPUS for k in row["kinds"]}))
def test_corpus_recall_is_total(kind: str) -> None:
    missed = [
        row["text"]
        for row in CORPUS
        if kind in row["kinds"] and kind not in DETECTOR.scan([row["text"]]).kinds
    ]
    assert missed == []


def test_corpus_false_positive_rate_at_most_two_percent() -> None:
    negatives = [row["text"] for row in CORPUS if not row["kinds"]]
    flagged = [text for text in negatives if DETECTOR.scan([text]).kinds]
    assert len(flagged) <= 0.02 * len(negatives), flagged


def test_empty_input_is_clean() -> None:
    assert DETECTOR.scan([]) == Finding(None, ())
    assert DETECTOR.scan(["", ""]) == Finding(None, ())


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Reach me at ana@example.com", "email"),
        ("Call (415) 555-2671 tomorrow", "phone"),
        ("ring +44 20 7946 0958", "phone"),
        ("SSN 123-45-6789", "national_id"),
        ("card 4111-1111-1111-1111", "payment_card"),
        ("IBAN DE89 3704 0044 0532 0130 00", "iban"),
        ("from 8.8.8.8", "ip_address"),
        ("MRN: 00123456", "medical_record"),
        ("AKIAIOSFODNN7EXAMPLE", "credential"),
        ("router 3c:22:fb:1a:9e:04", "mac_address"),
        ("DOB 1985-03-07", "date_of_birth"),
        ("lives at 742 Evergreen Terrace", "street_address"),
        ("diagnosed with asthma in May", "health"),
        ("attorney-client privileged", "legal_privilege"),
        ("Internal use only", "confidential_marker"),
    ],
)
def test_each_kind_carries_its_classification(text: str, kind: str) -> None:
    assert DETECTOR.scan([text]) == Finding(KIND_CLASSIFICATION[kind], (kind,))


def test_multiple_kinds_across_messages_take_the_most_restrictive() -> None:
    finding = DETECTOR.scan(
        ["key sk-proj-abc123DEF456ghi789JKL012mno", "mail bo@acme.io", "MRN 7781234"]
    )
    assert finding == Finding("hipaa", ("credential", "email", "medical_record"))


def test_finding_never_holds_the_matched_text() -> None:
    secret = "4111 1111 1111 1111"
    finding = DETECTOR.scan([f"card {secret} and bo@acme.io"])
    assert secret not in repr(finding)
    assert "bo@acme.io" not in repr(finding)
    assert set(finding.kinds) <= set(KINDS)


def test_allow_list_exempts_whole_candidates_only() -> None:
    detector = Detector(allow=[r"support@acme\.com"])
    assert detector.scan(["write to support@acme.com"]).kinds == ()
    assert detector.scan(["write to support@acme.com or bo@acme.com"]).kinds == ("email",)
    assert detector.scan(["write to xsupport@acme.com"]).kinds == ("email",)


def test_extra_patterns_report_their_own_kind_and_classification() -> None:
    detector = Detector(
        extra_patterns=[
            ExtraPattern(name="matter", regex=r"\bMAT-\d{6}\b", classification="legal")
        ],
        allow=["MAT-000000"],
    )
    assert detector.scan(["re: MAT-123456 settlement"]) == Finding("legal", ("matter",))
    assert detector.scan(["template MAT-000000"]) == Finding(None, ())
    assert detector.scan(["MAT-123456 for bo@acme.io"]) == Finding("pii", ("email", "matter"))


def test_extra_patterns_are_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="classification"):
        Detector(extra_patterns=[ExtraPattern(name="x", regex="x", classification="secret")])
    with pytest.raises(ValueError, match="built-in kind"):
        Detector(extra_patterns=[ExtraPattern(name="email", regex="x", classification="legal")])


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 1.2.3.4",
        "Gateway 192.168.1.1 and 10.0.0.1",
        "2001:db8::1 and 192.0.2.7 are documentation addresses",
        "postgres://user:password@localhost/db",
        "order 415 555 2671",
        "shipment 046454286",
    ],
)
def test_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]) == Finding(None, ())


def test_context_words_unlock_bare_numbers() -> None:
    assert DETECTOR.scan(["SIN 130 692 544"]).kinds == ("national_id",)
    assert DETECTOR.scan(["BSN 111222333"]).kinds == ("national_id",)
