"""Health facts told by a word of the medical lexicon: a condition, procedure or medicine near a person.

``lexicon`` finds the terms (hundreds of conditions, procedures and medicines,
in English and 11 other languages). A term counts when a person is near it: a
name ("Anna Kowalska"), a title ("Mr", "Frau"), a patient word ("patient",
"insured", "患者"), a pronoun or kin ("she", "my mother"), or when it follows
a clinical label ("Diagnosis:", "Assessment:", "Problem list:"). Words that
also mean something else ("stroke", "depression", "operation") count only
right after clinical wording ("had a stroke", "diagnosed with depression",
"scheduled for surgery") with a person near. A term in documentation, with
no one it happens to, is not health data ("the diabetes dataset has 442 rows").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .lexicon import Span
from .medical_terms import AMBIGUOUS, MEDICATIONS, terms
from .medical_terms import SERVICES as SERVICE_WORDS

MEDICINES = frozenset(terms(MEDICATIONS))
SERVICES = frozenset(terms(SERVICE_WORDS))
# Being seen by a clinic or a specialist tells what someone is treated for.
_SERVICE_CUE = re.compile(
    r"\b(?:appointments?|appt|referred|referral|admitted|discharged|seen|sees|seeing|saw|"
    r"visits?|visited|visiting|follow-up|followed up|treated|attends?|attended|attending|"
    r"booked|scheduled|is in|was in|still in|moved to|transferred to|under the care of|"
    r"check-up|consultation|consult)\b[^.\n]{0,25}\Z"
)
_DOSE = r"\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|μg|g|ml|units?|iu|mg/ml|mmol)\b"
_DOSE_AFTER = re.compile(r"[\s:,]{0,3}" + _DOSE)
_DOSE_BEFORE = re.compile(_DOSE + r"\s+(?:of\s+)?\Z")

Hit = tuple[str, str]

_REACH = 160
# Short words are mostly abbreviations that mean other things too ("mri.c", "ivf header");
# these few are health data wherever a person is near.
_SHORT = frozenset(
    {"hiv", "copd", "adhd", "ptsd", "afib", "dvt", "mrsa", "pcos", "ckd", "gout", "zika", "mpox"}
)
_CUE_REACH = 70

_PERSON_WORD = re.compile(
    r"\b(?:patient|patients|patient's|pt|client|insured|member|claimant|beneficiary|"
    r"subscriber|policyholder|he|she|his|her|him|hers|himself|herself|mr|mrs|ms|miss|mx|dr|"
    r"herr|frau|mme|mlle|monsieur|madame|señor|señora|senhor|senhora|sr|sra|srta|sig|"
    r"signor|signora|dhr|mevr|mevrouw|pan|pani|shri|smt|"
    r"i (?:have|had|was|am|got|suffer)|i'm|i've|my|"
    r"mother|father|mom|mum|dad|son|daughter|wife|husband|brother|sister|grandmother|"
    r"grandfather|grandma|grandpa|partner|fiancée?|uncle|aunt|niece|nephew|baby|child|"
    r"employee|colleague|resident|paciente|patiente|patientin|paziente|pacjent|pacjentka|"
    r"elle|él|ella|ele|ela|hij|zij|"
    r"aged?|\d{1,3}[- ](?:year|yr)s?[- ]old|y/o|\d{1,3}\s?yo|dob|born|male|female|"
    r"admitted|discharged|hospitali[sz]ed|hospitalisée?|hospitalizad[oa]|ricoverat[oa]|"
    r"opgenomen|przyjęt[ya]|internad[oa]|eingeliefert|stationär)\b"
    r"|患者|さん|様|氏|病人|先生|女士|环者|환자|씨|님|श्री|श्रीमती|रोगी|मरीज"
)
# Two capitalised words, the usual shape of a name ("Anna Kowalska", "Jean-Luc de la Croix").
_NAME = re.compile(
    r"(?<![\w])([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+)"
    r"(?:\s+(?:van|de|da|do|dos|das|del|della|di|von|der|den|la|le|du|y|e|bin|al)){0,3}"
    r"\s+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+"
)
# A short run of Han, kana or Hangul standing alone in Latin text is a name ("罗慧's MRI",
# "김수민 underwent"); in East Asian prose the runs are long and this never matches.
_CJK_NAME = re.compile(
    r"(?<![\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])"
    r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{1,4}(?: [\u3040-\u30ff\u3400-\u9fff]{1,4})?"
    r"(?![\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af])(?=\s*(?:'s|[a-z(,:]|\s))"
    r"|(?<![\u0900-\u097f])[\u0900-\u097f]+(?:[ .\u2019'][\u0900-\u097f]+){0,3}"
    r"(?=\s*(?:'s|, [a-z]| [a-z]|:|-\s))"
)
_NOT_A_NAME = frozenset(
    [
        "The",
        "This",
        "That",
        "These",
        "Those",
        "A",
        "An",
        "In",
        "On",
        "At",
        "For",
        "Our",
        "We",
        "It",
        "If",
        "When",
        "See",
        "Use",
        "Note",
        "New",
        "Read",
        "How",
        "What",
        "Why",
        "Where",
        "Which",
        "With",
        "From",
        "To",
        "By",
        "As",
        "And",
        "Or",
        "But",
        "Is",
        "Are",
        "Was",
        "Were",
        "Be",
        "Do",
        "Does",
        "Table",
        "Figure",
        "Section",
        "Chapter",
        "Step",
        "Example",
        "Returns",
        "Return",
        "Type",
        "Class",
        "Module",
    ]
)
# Clinical wording just before a term: "diagnosed with", "has", "history of", "Dx:".
_CUE_BEFORE = re.compile(
    r"\b(?:diagnos\w*(?: with| of| as)?|suffer\w*(?: from| with)?|ha[sd]|have|having|"
    r"history of|hx of|h/o|treated for|treating|treatment (?:for|of)|admitted (?:for|with|to)|"
    r"presents? with|presented with|complains? of|living with|lives with|battling|fighting|"
    r"recovering from|recovery from|developed|confirmed|tested positive for|signs of|"
    r"symptoms of|episode of|bout of|attack of|showed|shows|revealed|consistent with|"
    r"suggestive of|secondary to|due to|because of|for|with|from|of|needs?|requires?|"
    r"underwent|undergo(?:ing|es)?|scheduled for|booked for|referred for|referral for|"
    r"referring \S+(?: \S+){0,3} for|awaiting|after|post|before|pre|prior to|"
    r"appointment for|claim for|surgery for|"
    r"on|taking|takes|prescribed|started on|dx|rx|padece|sufre de|souffre d[e']|"
    r"leidet (?:seit \S+ )?(?:an|unter)|soffre di|sofre de|lijdt aan|cierpi na|choruje na|"
    r"affetto da|affetta da|atteint d[e']|enfermo de|enferma de|operad[oa] de|"
    r"intervenid[oa] de|sometid[oa] a|operat[oa] di|opéré(?:e)? d[e']|operiert an|"
    r"(?:diagnosis|diagnoses|assessment|impression|conditions?|problem list|problems|pmh|"
    r"past medical history|medical history|comorbidities|indication|reason for visit|"
    r"chief complaint|procedure|treatment|therapy|plan|findings?|result|services?|"
    r"service rendered|claim)\s*[:\-])"
    r"(?:\s+(?:a|an|the|severe|mild|moderate|chronic|acute|major|minor|recurrent|"
    r"early|late|early-onset|late-onset|advanced|stage \w+|type \w+|grade \w+|"
    r"suspected|possible|probable|new|worsening|his|her|their|my|left|right|bilateral|"
    r"emergency|elective|urgent|total|partial|laparoscopic|robotic|open|minor|major|"
    r"an? \w+))*[\s:\-]*\Z"
)
# Clinical labels with a list after them: "Conditions: diabetes; asthma, ...".
LABELS = (
    "diagnosis",
    "diagnoses",
    "dx",
    "assessment",
    "impression",
    "condition",
    "conditions",
    "problem list",
    "pmh",
    "past medical history",
    "medical history",
    "comorbidities",
    "chief complaint",
    "procedure",
    "procedures",
    "treatment",
    "diagnose",
    "diagnostic",
    "diagnóstico",
    "diagnostico",
    "diagnosi",
    "rozpoznanie",
    "診断",
    "诊断",
    "진단",
    "निदान",
)
_LABEL_REACH = 100
_TABLE_HEADERS = 4
_TABLE_REACH = 600
_LABEL_TAIL = re.compile(r"[^:\n]{0,40}?[:\-][^:\n]*\Z")


def scan(text: str, lowered: str, terms: list[Span], labels: list[Span]) -> Iterator[Hit]:
    """One health hit at most: the first term with a person (or a clinical label) near it."""
    label_ends = sorted(end for _, end, _ in labels)
    columns = _column_spans(lowered, labels)
    # The person search moves forward only (from where it last stopped): linear in the text.
    checked_to, person_at = 0, -(1 << 30)
    for start, end, term in sorted(terms):
        if term in MEDICINES and (
            _DOSE_AFTER.match(lowered, end)
            or _DOSE_BEFORE.search(lowered, max(0, start - 24), start)
        ):
            yield "health", term  # "Keppra 500mg", "50 mg of sertraline": a dose is someone's
            return
        if term in SERVICES:
            if _SERVICE_CUE.search(lowered, max(0, start - 40), start):
                yield "health", term  # "referred to psychiatry", "appointment at the oncology"
                return
            continue
        weak = term in AMBIGUOUS or (len(term) <= 4 and term.isascii() and term not in _SHORT)
        if (not weak and _after_label(lowered, label_ends, start)) or any(
            lo <= start < hi for lo, hi in columns
        ):
            yield "health", term
            return
        hi = min(len(text), end + _REACH)
        if person_at < start - _REACH:
            lo = max(start - _REACH, checked_to, 0)
            found = _person(text, lowered, lo, hi) if lo < hi else -1
            if found >= 0:
                person_at, checked_to = found, found + 1
            else:
                checked_to = max(checked_to, hi)
        if _TOPIC_BEFORE.search(lowered, max(0, start - 40), start):
            continue  # "the epidemiology of tuberculosis", "studies atrial fibrillation"
        if person_at >= start - _REACH and (not weak or _cue(lowered, start)):
            yield "health", term
            return


def _column_spans(lowered: str, labels: list[Span]) -> list[tuple[int, int]]:
    """The rows under a table header that names a clinical column ("name,condition")."""
    spans = []
    for _, end, _ in labels[:_TABLE_HEADERS]:
        line_start = lowered.rfind("\n", 0, end) + 1
        line_end = lowered.find("\n", end)
        if line_end < 0 or not any(sep in lowered[line_start:line_end] for sep in ",|\t;"):
            continue
        if ":" in lowered[line_start:line_end]:
            continue  # "Diagnosis: ..., ..." is a label line, not a header
        spans.append((line_end, line_end + _TABLE_REACH))
    return spans


def _after_label(lowered: str, label_ends: list[int], start: int) -> bool:
    """True if a clinical label and its colon stand on the term's line, shortly before it."""
    i = bisect.bisect_right(label_ends, start) - 1
    if i < 0 or start - label_ends[i] > _LABEL_REACH:
        return False
    end = label_ends[i]
    return _LABEL_TAIL.match(lowered, end, start) is not None


# A disease as a subject of work or study, not something that happened to someone.
_TOPIC_BEFORE = re.compile(
    r"\b(?:epidemiology|research|researches|researching|researcher|studies|study|studying|"
    r"lecture|lectures|article|paper|course|textbook|dataset|data set|modell?ing|models?|"
    r"statistics|prevalence|incidence|rates?|awareness|campaign|guidelines?|specialist|"
    r"specialises|specializes|expert)\b[^.\n]{0,30}\Z"
)


def _cue(lowered: str, start: int) -> bool:
    return _CUE_BEFORE.search(lowered, max(0, start - _CUE_REACH), start) is not None


def _person(text: str, lowered: str, lo: int, hi: int) -> int:
    """Where a person is first named or referred to in text[lo:hi], or -1."""
    word = _PERSON_WORD.search(lowered, lo, hi)
    hi = word.start() if word else hi
    name = next((m for m in _NAME.finditer(text, lo, hi) if m.group(1) not in _NOT_A_NAME), None)
    if name:
        return name.start()
    if not text[lo:hi].isascii() and (cjk := _CJK_NAME.search(text, lo, hi)):
        return cjk.start()
    return word.start() if word else -1
