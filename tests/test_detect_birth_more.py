"""Birth dates the first detector missed, each beside the look-alikes that must stay clean.

Rows are written by hand for tiergate.birth's second round: a person's name
after a record word with a date right after it ("Patient: Maria Lopez (14 Feb
1949)"), genealogy's "(*", abbreviations forms print ("Geb.-Dat.", "Date
naiss.", "Dt. Nasc.", "bday", "DOB/Age"), birth labels of more languages, and
date shapes ("03 / 07 / 1962", "Jul-03-1962", "03 Jul 62", "03071962", "del
1962"). Each group of found rows has its clean look-alikes below it.
"""

from __future__ import annotations

import pytest

from tiergate.detect import Detector

DETECTOR = Detector()

FOUND = [
    # a name after a record word, and the date right after the name
    "Patient: Maria Lopez (14 Feb 1949)",
    "Patient Maria Lopez (14 Feb 1949), referred by Dr. Okafor",
    "Name: Rupert Whitlow, 03/07/1962",
    "Name: Whitlow, Rupert, 03/07/1962, Leeds",
    "Nombre: Juan Pérez García, 14/02/1949",
    "Nom : Dupont Jean (14/02/1949)",
    "Paciente: Ana Ruiz - 1962-07-03",
    "Insured: Kofi Mensah | 1971-11-30",
    "Applicant: Li Wei\t12.05.1988",
    "Pacjent: Jan Kowalski (3 maja 1957)",
    "Full name: Aoife Brennan, 1 March 1990",
    "Name: Maria Lopez / 14.02.1949",
    "Pt: Maria Lopez (14/02/1949)",
    "Mother: Anna Berg, 03/07/1931; Father: Olof Berg, 1929-11-02",
    "Daughter: Ella Berg (2011-03-04)",
    # genealogy's star after a name, in brackets or after a comma
    "Maria Lopez (* 14.02.1949)",
    "Maria Lopez (*14.02.1949, Wien)",
    "Hedwig Brandt, *1962-07-03, Graz",
    "Hedwig Brandt, * 3. Juli 1962 in Graz",
    # abbreviations forms print
    "Geb.-Dat.: 14.02.1949",
    "Date naiss. : 14/02/1949",
    "Né(e) le : 14/02/1949",
    "data de nasc.: 03/07/1962",
    "Dt. Nasc.: 03/07/1962",
    "bday: 03/07/1962",
    "B-day: 03/07/1962",
    "DOB/Age: 03/07/1962 (61)",
    "D/O/B: 03/07/1962",
    "Geburtsdatum/-ort: 14.02.1949, Wien",
    "Geburtsort und -datum: Wien, 14.02.1949",
    # a birth verb as a form's label, the place before the date
    "Born: London, 14 Feb 1949",
    "geboren: Wien, 14.02.1949",
    # more languages
    "Fødselsdato: 14.02.1949",
    "Födelsedatum: 1949-02-14",
    "Syntymäaika: 14.2.1949",
    "Doğum tarihi: 14.02.1949",
    "Дата рождения: 14.02.1949",
    "تاريخ الميلاد: 14/02/1949",
    "Datum narození: 14. 2. 1949",
    # date shapes after a birth word
    "Date of birth: 03 / 07 / 1962",
    "DOB: Jul-03-1962",
    "DOB: 03 Jul 62",
    "DOB: 03071962",
    "nacido el 3 de julio del 1962",
    "생년월일 : 1962. 7. 3.",
]

CLEAN = [
    # a record word with no person, a person with a date that is not the birth
    "Release (14 Feb 2024)",
    "Version 2.3 (14 Feb 2024)",
    "Patient: Maria Lopez, seen on 14 Feb 1999",
    "Patient: seen on 14/02/1999, stable",
    "Patient satisfaction survey, 03/07/2010",
    "Patient count (14 Feb 2011): 240",
    "Patient education leaflet (rev. 14 Feb 2010)",
    "The patient was admitted 14 Feb 1999.",
    "Name: invoice, 03/07/2001",
    "Name: Project Apollo, 2024-02-14",
    "Name: Build Server, 2010-02-03",
    "name: str, 2009-01-01",
    "Name the file report_2020-01-01.csv",
    "What's in a name, 03/07/1962?",
    "Name: Rupert Whitlow\nJoined: 03/07/2009",
    "Member: Rupert Whitlow since 03/07/1999",
    "Customer name: Acme Ltd, 2008-02-14",
    "Client Name: Acme Holdings Ltd, 2011-05-01",
    "Nom du projet: Apollo (14/02/1969)",
    "Firewall rule name: allow-ssh, created 2009-02-14",
    "Resident Evil 4 (11 Jan 2005)",
    "child process exited (2010-01-01)",
    "Applicant pool closes 03/07/2011.",
    "Beneficiary change effective 2010-01-01",
    # a date this year names a visit, not an adult's birth
    "Patient: Maria Lopez (14 Feb 2024)",
    "Name: Maria Lopez / 2024-01-15",
    "Pt size 12, 2010-01-01 style guide",
    "Mother of all demos (9 Dec 1968)",
    "Father's Day: 2009-06-21",
    "Son of a Preacher Man (1968)",
    "Spouse visa rules changed, 03/07/2009",
    "Name: Maria Lopez (ext. 4411), 03/07/1962",
    # stars that are footnotes and bullets
    "(*) see the footnote, 03/07/1962",
    "Total (* 3.5.1990 rate)",
    "Changes:\n * 2009-02-14 first release",
    # the new abbreviations inside other words, and ordinary dates
    "The Renaissance began around 1400; by 03/07/1500 it had spread.",
    "NASCAR 2009-02-14 results",
    "b-day party on 03/07 at 5pm",
    "Bday reminder set for March 3",
    "The Born Identity (2002) premiered on 6 June 2002.",
    "We shipped v1.2 on 3 / 7 / 2011",
    "Meeting at 3 May 10:30 with the born-digital archives team",
    "Invoice 4411 dated 03 Jul 2010 for Acme Ltd",
    "[2011-03-04 12:00:01] INFO started",
    "Changelog\n## 1.4.0 (2009-02-14)\n- fix",
    "The Treaty of Rome (25 March 1957) founded the EEC.",
    "NATO summit: 2024. 3. 1 in Brussels",
    "Born to run: tour dates start 2009. 5. 1",
]


@pytest.mark.parametrize("text", FOUND, ids=[t[:30] for t in FOUND])
def test_a_birth_date_in_these_forms_is_found(text: str) -> None:
    assert "date_of_birth" in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN, ids=[t[:30] for t in CLEAN])
def test_its_lookalikes_are_not_birth_dates(text: str) -> None:
    assert "date_of_birth" not in DETECTOR.scan([text]).kinds


def test_a_record_line_in_a_longer_prompt_is_found() -> None:
    text = (
        "Please summarise the referral below for the ward round.\n\n"
        "Patient: Maria Lopez (14 Feb 1949)\nWard: 4B\n"
    )
    assert "date_of_birth" in DETECTOR.scan([text]).kinds


MIB = 1 << 20
PATHOLOGICAL = {
    "record words and names": "Patient: Maria Lopez Garcia Ruiz (" * (MIB // 34),
    "name labels": "name: " * (MIB // 6),
    "genealogy brackets": "Anna (* 1 " * (MIB // 10),
    "spaced dates": "dob 1 / 2 / " * (MIB // 12),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_a_mebibyte_of_repeated_record_words_finishes(name: str) -> None:
    DETECTOR.scan([PATHOLOGICAL[name]])
