"""Dates of birth: a date right after a birth word, in 12 languages and the common date formats.

Two kinds of birth word. Labels ("DOB", "date of birth", "Geburtsdatum",
"生年月日", "जन्म तिथि") may stand a few words before the date
("Birthdate (as on passport): 03/05/1990"), and head a table column whose
rows hold the dates ("Name | Date of birth" then "Anna | 3.5.1990"). Verbs
("born", "geboren", "nato", "née", "urodzony") take only their language's
preposition before the date ("nato il 3 maggio 1990"), so "NATO was founded
in 1949" stays clean. Dates: d-m-Y, d.m.Y, d/m/Y, m/d/Y, Y-m-d, Y/m/d,
month names in English, German, French, Spanish, Italian, Dutch, Polish,
Portuguese and Hindi, and 1990年5月3日 / 1990년 5월 3일.

Without a birth word, a date counts right after a person's name that follows a
record word ("Patient: Maria Lopez (14 Feb 1949)", "Name: Smith, John,
03/07/1962") when its year is one an adult's record carries (1900-2012): a
record word, a two-to-four-word name with no phrase word in it ("seen on",
"Ltd", "project") and the date at once after it. Genealogy's star counts in
brackets ("Maria Lopez (*14.02.1949)") when the date is closed by the bracket,
a comma or the place. A roster or export line counts with no word at all when it
opens with a name and a date follows its comma ("Noémi Bernier, 27/11/1952, Lyon",
"한상훈, 1935년 12월 24일, 성남시"; tabs, bars or runs of spaces may part the fields too),
in the same years. Form abbreviations ("Geb.-Dat.", "Date naiss.", "Dt.
Nasc.", "bday", "DOB/Age") and the labels of Nordic, Finnish, Turkish,
Russian, Arabic, Czech, Hungarian, Romanian and Greek forms are labels too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from .lexicon import Span

Hit = tuple[str, str]

# Birth words, lower case, as the lexicon finds them (whole words when ASCII).
LABELS = (
    "dob",
    "birth_date",
    "birth-date",
    "date_of_birth",
    "date-of-birth",
    "dateofbirth",
    "d.o.b",
    "d.o.b.",
    "date of birth",
    "birth date",
    "birthdate",
    "geburtsdatum",
    "geburtstag",
    "geb.-datum",
    "geb.datum",
    "date de naissance",
    "naissance",
    "fecha de nacimiento",
    "f. nac",
    "fecha nac",
    "nacimiento",
    "data di nascita",
    "nascita",
    "data de nascimento",
    "nascimento",
    "geboortedatum",
    "geb. datum",
    "data urodzenia",
    "urodzenia",
    "生年月日",
    "出生日期",
    "出生年月日",
    "誕生日",
    "生日",
    "생년월일",
    "생일",
    "출생일",
    "जन्म तिथि",
    "जन्मतिथि",
    "जन्म दिनांक",
    "जन्म की तारीख",
    # abbreviations forms print: "Geb.-Dat.", "Date naiss.", "Dt. Nasc.", "Né(e) le"
    "geb.-dat",
    "geb.dat",
    "geb. dat",
    "naiss",
    "né(e)",
    "ne(e)",
    "nasc",
    "f.nac",
    "fec. nac",
    "birth_dt",
    "d/o/b",
    "geburtsdatum/-ort",
    "geburtsdatum/ort",
    "geburtsort und -datum",
    "geburtsort/-datum",
    "born:",
    "geboren:",
    "né:",
    "née:",
    "nacido:",
    "nacida:",
    "nato:",
    "nata:",
    "urodzony:",
    "urodzona:",
    "bday",
    "b-day",
    "b'day",
    "dob/age",
    "dob / age",
    "dob/sex",
    "age/dob",
    "age / dob",
    "birthdt",
    "born_on",
    # languages whose birth label is enough on its own
    "fødselsdato",
    "fodselsdato",
    "födelsedatum",
    "fodelsedatum",
    "geboortedag",
    "syntymäaika",
    "syntymaaika",
    "doğum tarihi",
    "dogum tarihi",
    "дата рождения",
    "датарождения",
    "تاريخ الميلاد",
    "datum narození",
    "datum narozeni",
    "születési dátum",
    "szuletesi datum",
    "data nașterii",
    "data nasterii",
    "ημερομηνία γέννησης",
)
# Record words that head a person's line: "Patient: Maria Lopez (14 Feb 1949)". A date
# right after the name there is the birth date; "Release (14 Feb 2024)" has no such word.
RECORD_WORDS = (
    "patient",
    "patientin",
    "paciente",
    "patiente",
    "paziente",
    "pacjent",
    "pacjentka",
    "name",
    "full name",
    "nombre",
    "nom",
    "nome",
    "naam",
    "imię i nazwisko",
    "applicant",
    "insured",
    "policyholder",
    "beneficiary",
    "resident",
    "member name",
    "client name",
    "child",
    "pt",
    "patient name",
    "mother",
    "father",
    "spouse",
    "son",
    "daughter",
)
_RECORD_SET = frozenset(RECORD_WORDS)
_PATIENT_WORDS = frozenset(RECORD_WORDS[:7])
VERBS = (
    "born",
    "birth",
    "birthday",
    "geboren",
    "geb.",
    "née",
    "né",
    "nee",
    "nacido",
    "nacida",
    "nato",
    "nata",
    "nato/a",
    "nata/o",
    "nacido/a",
    "nacida/o",
    "nascido/a",
    "nascida/o",
    "urodzony/a",
    "urodzona/y",
    "né(e)",
    "né/e",
    "nascido",
    "nascida",
    "urodzony",
    "urodzona",
    "urodzil",
    "urodził",
    "urodziła",
    "ur.",
    "b.",
    "出生于",
    "出生於",
    "출생",
    "जन्म",
    "nació",
    "nacio",
    "nasceu",
    "naquit",
    "urodził się",
    "urodziła się",
    "urodzil sie",
    "urodzila sie",
    "werd geboren",
    "wurde geboren",
    " * ",
    " *",
    "(*",
    "(* ",
    *RECORD_WORDS,
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "januar|jänner|februar|märz|maerz|mai|juni|juli|oktober|dezember|"
    "janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|"
    "décembre|decembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    "noviembre|diciembre|"
    "gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    "januari|februari|maart|mei|augustus|"
    "stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|wrzesnia|"
    "października|pazdziernika|października|listopada|grudnia|styczeń|styczen|luty|marzec|"
    "kwiecień|kwiecien|maj|czerwiec|lipiec|sierpień|sierpien|wrzesień|wrzesien|październik|"
    "pazdziernik|listopad|grudzień|grudzien|"
    "janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|"
    "जनवरी|फ़रवरी|फरवरी|मार्च|अप्रैल|मई|जून|जुलाई|अगस्त|सितंबर|सितम्बर|अक्टूबर|अक्तूबर|"
    "नवंबर|नवम्बर|दिसंबर|दिसम्बर"
)
_MONTH_NAMES = frozenset(_MONTHS.split("|"))
# Month names are read as any word and looked up in a set: one alternation of 200 names
# tried at every candidate would cost more than the rest of the scan.
_WORD = r"[^\W\d_][^\s\d,.]{1,11}"
DATE = (
    r"(?:\d{4}[-/.] ?\d{1,2}[-/.] ?\d{1,2}(?!\d)"  # 1990-05-03, 1962. 7. 3.
    r"|\d{1,2} ?[-/.] ?\d{1,2} ?[-/.] ?(?:\d{4}|\d{2})(?!\d)"  # 03 / 07 / 1962, 14. 2. 1949
    r"|\d{1,2}(?:st|nd|rd|th|er|º|°)?\.?\s{0,2}(?:de |of )?(?P<m1>" + _WORD + r")\.?,?\s{0,2}"
    r"(?:del? )?(?:\d{4}|\d{2}(?![\d:]))(?!\d)"
    r"|(?P<m2>" + _WORD + r")\.?\s{1,2}\d{1,2}(?:st|nd|rd|th)?,?\s{1,2}\d{4}(?!\d)"
    r"|(?:0?[1-9]|[12]\d|3[01]) (?:0?[1-9]|1[0-2]) (?:19|20)\d\d(?!\d)"  # 28 07 1994 (ID cards)
    r"|\d{4}\s?[年년]\s?\d{1,2}\s?[月월]\s?\d{1,2}\s?[日일]?"
    r"|\d{1,2}-(?P<m3>[^\W\d_]{3,9})-(?:\d{4}|\d{2})(?!\d)"  # 03-May-1990
    r"|(?P<m4>[^\W\d_]{3,9})-\d{1,2}-\d{4}(?!\d)"  # Jul-03-1962
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"  # 19900503
    r"|(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d\d(?!\d))"  # 03071962
)
# Up to a few words ("(as on passport): "); a JSON key's closing quote and colon too.
_LABEL_GAP = r"[\":=\s]{0,6}[^\d\n\"]{0,44}?\"?"  # "Date of birth (as on passport): "
# "born in Paris on", "geboren in Berlin am", "née à Lyon le", "nata a Roma il".
_VERB_GAP = (
    r"\s{0,2}(?:(?:in|a|à|en|em|w|te|at) [^\d\n,.;:]{1,30}?\s)?"
    r"(?:on |am |le |el |il |em |op |in |at |the |is |was |dnia |w dniu |于|於|:|-|,)?\s{0,2}"
    r"(?:the )?"
)
_LABEL_GAP_OK = re.compile(_LABEL_GAP)
_LABEL_AFTER_DATE = re.compile(r"[\s(\[,:;-]{0,4}")
_PARTICLES = re.compile(r"\s?(?:에|に|で|に|年)?\s?")
_VERB_GAP_OK = re.compile(_VERB_GAP)
_LABEL_REACH = 52
_VERB_REACH = 52
_DIGIT = re.compile(r"\d")
_MONTH_BEFORE = re.compile(r"(?<![^\W\d_])(" + _WORD + r")(?:\.?\s{1,2}|-)\Z")
# "Python 3 was born in 1991", "the project was born on": things, not people.
_BORN_THING = re.compile(
    r"(?:\b[a-z]+ \d+(?:\.\d+)* |\b(?:project|idea|company|language|product|library|framework|"
    r"startup|movement|software|app|brand|concept|format|protocol|standard|nato|alliance|"
    r"organi[sz]ation|city|band|series|game)s? )(?:was|were|is) \Z"
)
_TABLE_SEPARATORS = ("|", "\t", ",", ";")
_TABLE_ROWS = 6
_TABLE_HEADERS = 4
_ROWS_ABOVE = 400
_DATE = re.compile(DATE)
# After a record word: its colon (a patient word may stand without one), a name of two to
# four words ("maria lopez", "smith, john"), then the date in parentheses or after a comma,
# a dash, a bar or a tab. Names are lowered here: their shape, not their capitals, counts.
_NAME_WORD = r"[^\W\d_][^\W\d_'\u2019.-]{0,20}"
_RECORD_HEAD = re.compile(r"[ \t]{0,2}(?:[:=|#-]|\.:)[ \t]{0,3}")
_RECORD_PERSON = re.compile(
    r"(?P<name>" + _NAME_WORD + r"(?:,? " + _NAME_WORD + r"){1,3})"
    r"(?:[ \t]{0,2}\([ \t]{0,2}|,[ \t]{0,2}| [-\u2013|/] |[ \t]{2,}|\t)"
    r"(?P<date>" + DATE + r")"
)
# Words that make the "name" a phrase ("Patient: seen on 14 Feb 1949"), not a person.
_NOT_NAME = frozenset(
    (
        "on",
        "since",
        "from",
        "date",
        "dated",
        "joined",
        "until",
        "to",
        "at",
        "in",
        "of",
        "the",
        "was",
        "is",
        "id",
        "no",
        "nr",
        "and",
        "or",
        "visit",
        "visited",
        "seen",
        "admitted",
        "discharged",
        "updated",
        "created",
        "version",
        "release",
        "record",
        "file",
        "notes",
        "note",
        "list",
        "report",
        "am",
        "vom",
        "le",
        "el",
        "il",
        "du",
        "des",
        "en",
        "op",
        "ltd",
        "llc",
        "inc",
        "gmbh",
        "corp",
        "co",
        "plc",
        "llp",
        "ag",
        "bv",
        "holdings",
        "group",
        "company",
        "team",
        "project",
        "server",
        "build",
        "service",
        "app",
    )
)
# What ends a genealogy's "(* 14.02.1949": the bracket, a comma, the place or the death.
_CLOSES = re.compile(r"\s{0,2}(?:[),;†]|\Z|(?:in|à|a|w|te|at|im) )")
_YEAR = re.compile(r"(?:19|20)\d\d")
# Without a birth word a date counts only with a year a grown person's record carries:
# "Patient: Maria Lopez, 14/02/2024" may be the visit.
_RECORD_YEARS = (1900, 2012)


# Birth words that follow the date: "1990年5月3日生まれ", "05/13/1955에 태어났다".
AFTER_DATE = ("生まれ", "年生", "出生", "태어났", "태어남", "출생", "को हुआ", "को जन्म")


def scan(
    lowered: str, labels: list[Span], verbs: list[Span], after: Sequence[Span] = ()
) -> Iterator[Hit]:
    """One date-of-birth hit at most."""
    for start, _, word in after:
        if (found := _date_before(lowered, start, _PARTICLES)) and living(found):
            yield "date_of_birth", found + word
            return
    tables = _TABLE_HEADERS  # rows are read under the first few headers only: linear
    for start, end, word in labels:
        if (found := _date_after(lowered, end, _LABEL_REACH, _LABEL_GAP_OK)) and living(found):
            yield "date_of_birth", word + " " + found
            return
        if (found := _date_before(lowered, start)) and living(found):
            yield "date_of_birth", found + " " + word
            return
        tables -= 1
        if tables >= 0 and (found := _table_column(lowered, start, end)) and living(found):
            yield "date_of_birth", word + " " + found
            return
    for start, end, word in verbs:
        if (
            word in _COLUMN_VERBS
            and (found := _table_column(lowered, start, end))
            and living(found)
        ):
            yield "date_of_birth", word + " " + found  # "| Name | Birthday | Team |"
            return
        if word in _RECORD_SET:
            if (found := _record(lowered, end, word)) and living(found):
                yield "date_of_birth", word + " " + found
                return
            continue
        if word[:2] == " *" and not (
            start and (lowered[start - 1].isalpha() or lowered[start - 1] == ",")
        ):
            continue  # "Anna Berg * 3.5.1990" (genealogy's born); not a list's bullet
        if word[:2] == "(*" and not _after_name(lowered, start):
            continue  # "Maria Lopez (*14.02.1949)"; not "(*) see note"
        if word in ("born", "nato", "nata", "nee") and _BORN_THING.search(
            lowered, max(0, start - 40), start
        ):
            continue
        if (found := _date_after(lowered, end, _VERB_REACH, _VERB_GAP_OK)) and living(found):
            if word[:2] == "(*" and not _CLOSES.match(
                lowered, lowered.find(found, end) + len(found)
            ):
                continue  # "Total (* 3.5.1990 rate)": a footnote mark, not a birth
            yield "date_of_birth", word + " " + found
            return


# A roster or export line with no birth word: "Noémi Bernier, 27/11/1952, Mailletboeuf",
# "한상훈, 1935년 12월 24일, 성남시". The line opens with a name (two to four capitalised
# words, two to four Han or Hangul characters, or two to four Devanagari words), then a
# comma, a full date in a grown person's years (as for a record word) and a comma or the
# line's end: the shape of a person's row, where a visit or a release has a label or a verb.
_ROW_NAME = (
    r"(?:(?:pan|pani|sig|sig\.ra|sr|sra|srta|mr|mrs|ms|dr|herr|frau|mme|m)\.? )?"
    r"(?:[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['\u2019.-][^\W\d_]+)*\.?"
    r"(?: (?:van|de|da|del|della|di|von|der|den|la|le|du|y|e|bin|al|dos|das))*"
    r"(?: [A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['\u2019.-][^\W\d_]+)*\.?){1,3}"
    r"|[\u3400-\u9fff]{1,3} ?[\u3400-\u9fff]{1,3}|[\uac00-\ud7af]{2,4}"
    r"|[\u0900-\u097f]+(?: [\u0900-\u097f]+){1,3})"
)
# Between the fields: a comma, a tab, a bar or a run of spaces (a fixed-width export).
_ROW_GAP = r"(?:[ \t]?,[ \t]{0,2}|[ ]?\t[ \t]*|[ \t]*\|[ \t]*|[ ]{2,})"
_UNLABELED_ROW = re.compile(
    r"^[ \t|]*(?P<name>" + _ROW_NAME + r")" + _ROW_GAP + r"(?P<date>(?i:" + DATE + r"))"
    r"(?:" + _ROW_GAP + r"|[ \t]*[;|]?[ \t]*$)",
    re.MULTILINE,
)
# Rows are looked for in the first 64 KiB: an export shows its shape in its first lines.
_ROW_REACH = 65_536


def unlabeled_row(text: str) -> Iterator[Hit]:
    """One date-of-birth hit at most: a line that is a person's name and birth date."""
    for m in _UNLABELED_ROW.finditer(text, 0, _ROW_REACH):
        month = m.group("m1") or m.group("m2") or m.group("m3") or m.group("m4")
        if month is not None and month.lower() not in _MONTH_NAMES:
            continue
        year = _YEAR.search(m.group("date"))
        if not year or not _RECORD_YEARS[0] <= int(year.group()) <= _RECORD_YEARS[1]:
            continue
        if any(w.strip(",.").lower() in _NOT_NAME for w in m.group("name").split()):
            continue
        yield "date_of_birth", m.group("name") + ", " + m.group("date")
        return


# Words that head a birth column though they are no label elsewhere ("Birthday party on ...").
_COLUMN_VERBS = frozenset(("birthday",))


_OLD_YEAR = re.compile(r"(?<!\d)1[0-8]\d\d(?!\d)")


def living(found: str) -> bool:
    """False for a birth before 1900: no one alive has it, so it is history, not personal data
    ("Albert Einstein was born on 14 March 1879")."""
    return _OLD_YEAR.search(found) is None


def _after_name(lowered: str, start: int) -> bool:
    """True if a letter stands just before ``start``, one space apart at most."""
    if start and lowered[start - 1] == " ":
        start -= 1
    return bool(start) and lowered[start - 1].isalpha()


def _record(lowered: str, end: int, word: str) -> str | None:
    """A person's name after a record word, and the date that follows it right away."""
    head = _RECORD_HEAD.match(lowered, end)
    if head:
        at = head.end()
    elif word in _PATIENT_WORDS and lowered[end : end + 1] == " ":
        at = end + 1
    else:
        return None
    m = _RECORD_PERSON.match(lowered, at)
    if not m or not _real_month(m):
        return None
    if not head and "(" not in lowered[m.end("name") : m.start("date")]:
        return None  # "Patient Maria Lopez (14 Feb 1949)"; not "Patient survey, 03/07/2010"
    if any(w.strip(",.") in _NOT_NAME for w in m.group("name").split()):
        return None
    year = _YEAR.search(m.group("date"))
    if not year or not _RECORD_YEARS[0] <= int(year.group()) <= _RECORD_YEARS[1]:
        return None
    return m.group("date")


def _date_after(lowered: str, end: int, reach: int, gap_ok: re.Pattern[str]) -> str | None:
    """The date that starts within ``reach`` after a birth word, across an allowed gap.

    Read from the first digit after the word, so a word with no digit near costs one
    bounded search, however many birth words a text holds."""
    digit = _DIGIT.search(lowered, end, end + reach)
    if not digit:
        return None
    at = digit.start()
    month = _MONTH_BEFORE.search(lowered, end, at)  # "born on May 3, 1990"
    if (
        month
        and month.group(1) in _MONTH_NAMES
        and gap_ok.fullmatch(lowered, end, month.start())
        and (found := _date_at(lowered, month.start()))
    ):
        return found
    if gap_ok.fullmatch(lowered, end, at) and (found := _date_at(lowered, at)):
        return found
    return None


def _date_before(lowered: str, start: int, gap: re.Pattern[str] | None = None) -> str | None:
    """A date just before a label, as a form writes it: "02/10/1979 (date of birth)"."""
    tail = lowered[max(0, start - 6) : start]
    if not (_DIGIT.search(tail) or "日" in tail or "일" in tail):
        return None  # a date ends in a digit or 日/일 just before the word: most words have none
    found = None
    for m in _DATE.finditer(lowered, max(0, start - 40), start):
        found = m
    gap = gap or _LABEL_AFTER_DATE
    if found and _real_month(found) and gap.fullmatch(lowered, found.end(), start):
        return found.group()
    return None


def _date_at(lowered: str, at: int) -> str | None:
    m = _DATE.match(lowered, at)
    return m.group() if m and _real_month(m) else None


def _real_month(m: re.Match[str]) -> bool:
    month = m.group("m1") or m.group("m2") or m.group("m3") or m.group("m4")
    return month is None or month in _MONTH_NAMES


def _table_column(lowered: str, start: int, end: int) -> str | None:
    """A header line naming a birth column, and a date in one of the rows under it."""
    line_start = lowered.rfind("\n", max(0, start - 200), start) + 1
    line_end = lowered.find("\n", end, end + 200)
    if line_end < 0:
        line_end = min(len(lowered), end + 200)
    header = lowered[line_start:line_end]
    if not any(sep in header for sep in _TABLE_SEPARATORS):
        return None
    rows_end = line_end
    for _ in range(_TABLE_ROWS):
        next_end = lowered.find("\n", rows_end + 1, rows_end + 400)
        if next_end < 0:
            rows_end = min(len(lowered), rows_end + 400)
            break
        rows_end = next_end
    for m in _DATE.finditer(lowered, line_end, rows_end):
        if _real_month(m):
            return m.group()
    # a legend under the rows: "(columns: name, date of birth, city)"
    for m in _DATE.finditer(lowered, max(0, line_start - _ROWS_ABOVE), line_start):
        if _real_month(m):
            return m.group()
    return None
