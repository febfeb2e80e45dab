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

import re
from collections.abc import Iterator

from .lexicon import Span
from .medical_terms import AMBIGUOUS

Hit = tuple[str, str]

_REACH = 160
# Short words are mostly abbreviations that mean other things too ("mri.c", "ivf header");
# these few are health data wherever a person is near.
_SHORT = frozenset({"hiv", "copd", "adhd", "ptsd", "afib", "dvt", "mrsa", "gerd", "pcos", "ckd"})
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
    r"aged?|\d{1,3}[- ](?:year|yr)s?[- ]old|y/o|\d{1,3}\s?yo|dob|born|male|female)\b"
    r"|患者|さん|様|氏|病人|先生|女士|环者|환자|씨|님|श्री|श्रीमती|रोगी|मरीज"
)
# Two capitalised words, the usual shape of a name ("Anna Kowalska", "Jean-Luc de la Croix").
_NAME = re.compile(
    r"(?<![\w])([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+)"
    r"(?:\s+(?:van|de|da|do|dos|das|del|della|di|von|der|den|la|le|du|y|e|bin|al)){0,3}"
    r"\s+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+"
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
    r"on|taking|takes|prescribed|started on|dx|rx|"
    r"(?:diagnosis|diagnoses|assessment|impression|conditions?|problem list|problems|pmh|"
    r"past medical history|medical history|comorbidities|indication|reason for visit|"
    r"chief complaint|procedure|treatment|therapy|plan|findings?|result)\s*[:\-])"
    r"(?:\s+(?:a|an|the|severe|mild|moderate|chronic|acute|major|minor|recurrent|"
    r"early|late|early-onset|late-onset|advanced|stage \w+|type \w+|grade \w+|"
    r"suspected|possible|probable|new|worsening|his|her|their|my|left|right|bilateral|"
    r"emergency|elective|urgent|total|partial|laparoscopic|robotic|open|minor|major|"
    r"an? \w+))*[\s:\-]*\Z"
)
# A clinical label with a list after it: "Conditions: diabetes; asthma, ...".
_LABEL_BEFORE = re.compile(
    r"(?:diagnosis|diagnoses|dx|assessment|impression|conditions?|problem list|pmh|"
    r"past medical history|medical history|comorbidities|chief complaint|procedure|"
    r"procedures|treatment|diagnose|diagnostic|diagnóstico|diagnostico|diagnosi|"
    r"rozpoznanie|診断|诊断|진단|निदान)\s*[:\-]\s*[^:\n]{0,80}\Z"
)


def scan(text: str, lowered: str, terms: list[Span]) -> Iterator[Hit]:
    """One health hit at most: the first term with a person (or a clinical label) near it."""
    checked_to = 0  # a stretch searched for a person without success is not searched again
    for start, end, term in sorted(terms):
        weak = term in AMBIGUOUS or (len(term) <= 4 and term.isascii() and term not in _SHORT)
        if weak and not _cue(lowered, start):
            continue
        if not weak and _LABEL_BEFORE.search(lowered, max(0, start - 100), start):
            yield "health", term
            return
        lo = max(start - _REACH, checked_to, 0)
        hi = min(len(text), end + _REACH)
        if lo < hi and _person(text, lowered, lo, hi):
            yield "health", term
            return
        checked_to = max(checked_to, hi)


def _cue(lowered: str, start: int) -> bool:
    return _CUE_BEFORE.search(lowered, max(0, start - _CUE_REACH), start) is not None


def _person(text: str, lowered: str, lo: int, hi: int) -> bool:
    """True if a person is named or referred to in text[lo:hi]."""
    if _PERSON_WORD.search(lowered, lo, hi):
        return True
    return any(m.group(1) not in _NOT_A_NAME for m in _NAME.finditer(text, lo, hi))
