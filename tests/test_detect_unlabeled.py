# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""Health and birth dates that no label announces: one first name, a bare ICD-10 category, a
roster line, an operation named by its suffix, a unitless lab in a clinician's record.

Each group has look-alikes that must stay clean: a drug or a disease as a sentence's subject,
road and product codes, release lines, documentation of operations.
"""

from __future__ import annotations

import pytest

from tiergate.detect import Detector

DETECTOR = Detector()

HEALTH = [
    # one capitalised name owning a record or a clinician, or with a clinical verb
    "Priya's MRI showed a small meningioma, how do I explain that to her kids?",
    "Can you reword this? Kofi's bloodwork came back with ferritin 9 ng/mL.",
    "Lukas was diagnosed with multiple sclerosis in March.",
    "Quick one: Ingrid takes lithium 400 mg, can she have ibuprofen?",
    # three-character ICD-10 categories after clinical wording
    "Visit note - Tomasz Wrona\nAssessment: F33\nPlan: continue therapy.",
    "Problem list: E66, I48 (Oskar Lind)",
    "Dx: J45 for Amara Nwosu, review inhaler technique",
    # dotted codes after record words in more languages
    "Befund für Herrn Kessler: M54.5, Physiotherapie empfohlen",
    "Expediente de la paciente Lucía Ferrer, diagnóstico: E10.9",
    # operations named by their suffix, near a person
    "Mr Haddad is booked for a septoplasty on Friday.",
    "My dad had a tracheostomy last year and still struggles to talk.",
    # a unitless lab in a clinician's record
    "Referral for Ana Petrov - labs: INR 4.1, on warfarin",
    "Her GP says her INR was 1.2 this week.",
    # colleagues and sick leave in other languages
    "Meine Kollegin Petra ist seit Montag wegen Herzinsuffizienz krankgeschrieben.",
    "Mi compañero Andrés está de baja por hipertensión, ¿qué le escribo?",
    "我同事小李上周确诊了抑郁，怎么安慰他？",
    "Genetic report for Dana Whitfield: homozygous for the C282Y variant.",
    "Bed 4, Mr Osei: severe allergy to penicillin, check before antibiotics.",
]

BIRTH = [
    "Tobias Meier, 04.09.1961, Regensburg",
    "Chiara Esposito, 1987-02-11",
    "Sig.ra Bianca Neri, 12/12/1979, Lecce",
    "Margaret O'Neill, March 3, 1958, Galway",
    "김민준, 1990년 3월 5일, 부산",
    "王芳, 1983年7月21日, 杭州",
    "Giulia Conti, nata/o il 09/04/1972",
    "Roster:\nJonas Berg, 17/06/1966, Malmö\nElla Berg, 02/01/1994, Malmö",
    "Jonas Berg\t17/06/1966\tMalmö",
    "| Name | Birthday |\n|---|---|\n| Ella Berg | 2 January 1994 |",
    "SURNAME: BERG\nGIVEN NAMES: ELLA\nDATE OF BIRTH: 02 01 1994",
]

CLEAN = [
    # a drug or a disease as the subject, and operations in documentation
    "Metformin has fewer side effects when taken with food.",
    "Insulin was discovered in 1921 by Banting and Best.",
    "Tonsillectomy is one of the most common surgeries in children.",
    "The appendectomy dataset has 300 rows and 12 columns.",
    "Rhinoplasty prices vary a lot between clinics in Europe.",
    # codes that are not diagnoses
    "Take the A10 to junction B20, then follow the M25.",
    "The i10 is a small car; the B20 engine was used in the 1990s.",
    "Assessment criteria: C12 and D15 rubric levels, see appendix.",
    # release, invoice and meeting lines
    "Release Notes, 2011-03-04, stable",
    "Acme Corp, 12/03/2019, invoice 4471",
    "Meeting Minutes, 04/05/2021, Boardroom",
    "Version 2.4.1, 2009-11-02, bug fixes",
    # a name with a record-ish noun that is not health
    "Sarah's report on Q3 sales is due Friday.",
    "Tom's file upload failed with a 413 error.",
    # questions about a code or about diagnosing, and births no one alive has
    "Explain ICD-10 code K21.0 in plain words.",
    "Map ICD-10 J18 to the closest SNOMED CT concept.",
    "¿Cómo se diagnostica la esclerosis múltiple?",
    "Wie wird Vorhofflimmern diagnostiziert?",
    "慢性心衰如何诊断？",
    "Marie Curie was born on 7 November 1867 in Warsaw.",
]


@pytest.mark.parametrize("text", HEALTH, ids=[t[:30] for t in HEALTH])
def test_unlabeled_health_is_found(text: str) -> None:
    assert DETECTOR.scan([text]).classification == "hipaa", text


@pytest.mark.parametrize("text", BIRTH, ids=[t[:30] for t in BIRTH])
def test_a_roster_line_is_a_birth_date(text: str) -> None:
    finding = DETECTOR.scan([text])
    assert "date_of_birth" in finding.kinds, (text, finding.kinds)


@pytest.mark.parametrize("text", CLEAN, ids=[t[:30] for t in CLEAN])
def test_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]).classification is None, text


def test_a_mebibyte_of_near_rows_stays_clean_and_a_real_row_on_top_is_found() -> None:
    near = "Anna Maria Berg, 12/03/2031, Oslo\n" * 32_000  # a year no grown person has
    assert DETECTOR.scan([near]).classification is None
    assert "date_of_birth" in DETECTOR.scan(["Anna Maria Berg, 12/03/1961, Oslo\n" + near]).kinds


def test_accents_do_not_hide_a_medicine_and_its_dose() -> None:
    # The lexicon lists "methadone"; a French prescription writes "Méthadone".
    text = "Mme Odile Marchand (61 ans)\nMéthadone 40 mg : 1 comprimé le matin"
    assert DETECTOR.scan([text]).classification == "hipaa"
    assert DETECTOR.scan(["La méthadone est un opioïde de synthèse."]).classification is None
