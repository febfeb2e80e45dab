"""Health facts told by a word of the medical lexicon: a condition, procedure or medicine near a person.

``lexicon`` finds the terms (hundreds of conditions, procedures and medicines,
in English and 11 other languages). A term counts when a person is near it: a
name ("Anna Kowalska"), one name owning a record or a clinician or followed by
a clinical verb ("Sarah's chart", "Lukas was diagnosed"), a title ("Mr", "Frau"), a patient word ("patient",
"insured", "患者"), a pronoun or kin ("she", "my mother"), or when it follows
a clinical label ("Diagnosis:", "Assessment:", "Problem list:"). Words that
also mean something else ("stroke", "depression", "operation") count only
right after clinical wording ("had a stroke", "diagnosed with depression",
"scheduled for surgery") with a person near. A term in documentation, with
no one it happens to, is not health data ("the diabetes dataset has 442 rows").
Operations are also known by their suffix ("-ectomy", "-ostomy", "-plasty"), and a lab
with no unit ("INR 3.6") counts in a clinician's record ("labs:", "her GP says").

People write about themselves too: "I" with a verb ("I tested", "should I
take"), kin and "I am" in other languages ("mi madre", "ich bin"). A lab or
vital sign counts with a value after it and someone's "my"/"your" before it
("my A1c was 7.9"), or with a clinical unit and a person near ("BP 160/100,
should I go?"); someone's result counts on its own ("your biopsy showed").
A few words tell health only after their own wording (``OWN_CUES``: "been
depressed", "8 weeks pregnant", "clean from heroin", "use a wheelchair");
pregnancy in other languages counts after a being verb ("est enceinte").
A term a thing is built on ("diabetes dataset", "insulin pricing"), a figure
of speech ("deaf to", "a stroke of genius") and a player's injury in a
match report are not about anyone's health.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .lexicon import Span
from .medical_terms import ALL, AMBIGUOUS, FOREIGN_STATES, LABS, MEDICATIONS, terms
from .medical_terms import SERVICES as SERVICE_WORDS

MEDICINES = frozenset(terms(MEDICATIONS))
SERVICES = frozenset(terms(SERVICE_WORDS))
LAB_TESTS = frozenset(terms(LABS))
ALL_TERMS = frozenset(ALL)
FOREIGN_STATE_WORDS = frozenset(terms(FOREIGN_STATES))
# A being verb before a state word is about someone: "est enceinte", "ist schwanger".
_FOREIGN_BE = re.compile(
    r"\b(?:est|suis|es|está|esta|estoy|estaba|ist|bin|war|is|ben|was|è|sono|era|é|sou|estou|"
    r"jest|jestem|była|byla|zaszła|zaszla|zwanger|tombée|tombee|quedó|quedo|rimasta|ficou)"
    r"(?:\s+(?:\w+\s+){0,2}?)?\s*\Z"
)
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
    {
        "hiv",
        "copd",
        "adhd",
        "ptsd",
        "afib",
        "dvt",
        "mrsa",
        "pcos",
        "ckd",
        "gout",
        "zika",
        "mpox",
        "cabg",
        "ercp",
        "tavi",
        "tavr",
        "vih",
        "ivg",
    }
)
_CUE_REACH = 70

_PERSON_WORD = re.compile(
    r"\b(?:patient|patients|patient's|pt|client|insured|member|claimant|beneficiary|"
    r"subscriber|policyholder|he|she|his|her|him|hers|himself|herself|mr|mrs|ms|miss|mx|dr|"
    r"herr|frau|mme|mlle|monsieur|madame|señor|señora|senhor|senhora|sr|sra|srta|sig|"
    r"signor|signora|dhr|mevr|mevrouw|pan|pani|shri|smt|"
    r"i (?:have|had|was|am|got|suffer|tested|feel|felt|started|stopped|take|took|"
    r"relapsed|developed|live|found out|was told|keep|can't|cannot|need|needed|start|begin|"
    r"began|finished|will|'ll)|i'm|i've|i'd|my|myself|"
    r"(?:should|can|could|may|do) i|is it safe|"
    r"mother|father|mom|mum|dad|son|daughter|wife|husband|brother|sister|grandmother|"
    r"grandfather|grandma|grandpa|partner|fiancée?|uncle|aunt|niece|nephew|baby|child|"
    r"employee|colleague|resident|paciente|patiente|patientin|paziente|pacjent|pacjentka|"
    r"kollege|kollegin|collègue|collegue|compañer[oa]|companer[oa]|collega|colega|kolega|"
    r"koleżanka|kolezanka|buurvrouw|buurman|mitarbeiter(?:in)?|vrouw|echtgenote|echtgenoot|"
    r"elle|él|ella|ele|ela|hij|zij|"
    r"je suis|j'ai|ich bin|ich habe|estoy|tengo|sono|ik ben|ik heb|estou|tenho|jestem|"
    r"mère|père|mutter|vater|moeder|vader|madre|padre|mãe|matka|ojciec|"
    r"hijo|hija|fils|fille|sohn|tochter|figlio|figlia|zoon|dochter|filho|filha|córka|"
    r"esposa|marido|mari|femme|marito|moglie|"
    r"aged?|\d{1,3}[- ](?:year|yr)s?[- ]old|y/o|\d{1,3}\s?yo|dob|born|male|female|"
    r"admitted|discharged|hospitali[sz]ed|hospitalisée?|hospitalizad[oa]|ricoverat[oa]|"
    r"opgenomen|przyjęt[ya]|internad[oa]|eingeliefert|stationär)\b"
    r"|患者|さん|様|氏|病人|先生|女士|环者|환자|씨|님|श्री|श्रीमती|रोगी|मरीज|同事|同僚|동료"
    r"|\d{1,3}\s?(?:岁|歳|세)|\d{1,3}\s?床"
)
# Two capitalised words, the usual shape of a name ("Anna Kowalska", "Jean-Luc de la Croix").
_NAME = re.compile(
    r"(?<![\w])([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+)"
    r"(?:\s+(?:van|de|da|do|dos|das|del|della|di|von|der|den|la|le|du|y|e|bin|al)){0,3}"
    r"\s+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f'\u2019\-]+"
)
# One capitalised word is a name when it owns a record or a clinician ("Sarah's chart",
# "Tom's psychiatrist") or a clinical verb follows it ("Maria was diagnosed", "Paweł has").
_NAMED_ONE = re.compile(
    r"(?<![\w])([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f\-]+(?: [A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ\u0100-\u024f\-]+)?)"
    r"(?:(?:'s|\u2019s)\s+(?:(?:latest|last|recent|new|current|medical|blood|annual|full)\s+)?"
    r"(?i:chart|charts|notes?|records?|file|mri|ct|scans?|x-rays?|xray|ultrasound|labs?|bloods|"
    r"blood ?work|blood tests?|results?|biopsy|diagnosis|prognosis|doctor|gp|physician|"
    r"psychiatrist|therapist|oncologist|cardiologist|neurologist|surgeon|nurse|meds|"
    r"medications?|medicines?|prescriptions?|pills|surgery|operation|therapy|treatment|"
    r"condition|symptoms|tests?|appointment|pregnancy|recovery|discharge|admission|referral|"
    r"care plan|health|dialysis|chemo|insulin|ecg|ekg|eeg|scan results)\b"
    r"| (?:has|had|has had|was diagnosed|is diagnosed|got diagnosed|has been diagnosed|"
    r"was treated|is being treated|is on|takes|took|is taking|suffers|suffered|developed|"
    r"underwent|tested positive|is recovering|was admitted|was hospitali[sz]ed)\b)"
)
_NOT_ONE_NAME = frozenset(
    (
        "Everyone",
        "Everybody",
        "Someone",
        "Somebody",
        "Anyone",
        "Anybody",
        "Nobody",
        "Each",
        "Every",
        "Today",
        "Yesterday",
        "Tomorrow",
        "There",
        "Here",
        "Who",
        "One",
        "Nothing",
        "Something",
        "Everything",
        "None",
        "All",
        "Most",
        "Many",
        "Some",
        "Nobody",
        "He",
        "She",
        "They",
        "I",
        "You",
        "Patient",
        "Doctor",
        "Nurse",
        "Hospital",
        "Clinic",
    )
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
        # Capitalised question and article words of other languages, and "Morbus Crohn".
        "Welche",
        "Welcher",
        "Welches",
        "Wie",
        "Was",
        "Wann",
        "Warum",
        "Der",
        "Die",
        "Das",
        "Ein",
        "Eine",
        "Morbus",
        "Le",
        "La",
        "Les",
        "El",
        "Los",
        "Las",
        "Il",
        "Lo",
        "Gli",
        "Un",
        "Una",
        "Une",
        "Het",
        "Een",
        "Quel",
        "Quelle",
        "Quels",
        "Comment",
        "Qual",
        "Quais",
        "Quale",
        "Como",
        "Cómo",
        "Come",
        "Qué",
        "Cual",
        "Cuál",
        "Jak",
        "Jakie",
        "Czy",
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
    r"(?:chart|charts|notes?|records?|file|report|letter)\s+(?:says|said|mentions|mentioned|"
    r"shows|showed|lists|listed|notes|noted|states|stated|reads|confirms|confirmed|indicates|"
    r"indicated)|"
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
    r"alcohol|drug|opioid|nicotine|gambling|it's|it is|that it's|"
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
    "labs",
    "lab results",
    "findings",
    "befund",
    "所見",
    "检查结果",
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
        lab = term in LAB_TESTS
        if lab:
            if not _LAB_VALUE.match(lowered, end):
                continue  # "the LDL column", "blood pressure monitor app"
            if _OWNER_BEFORE.search(lowered, max(0, start - 30), start):
                yield "health", term  # "my HbA1c came back at 8.1", "his BP is 150/95"
                return
            if not (
                _LAB_UNIT.match(lowered, end)
                or _after_label(lowered, label_ends, start)
                or _CLINICAL_BEFORE.search(lowered, max(0, start - 60), start)
            ):
                continue  # "I bought BP at 450": with no one's "my", a unit or a chart must say lab
        if term in FOREIGN_STATE_WORDS and _FOREIGN_BE.search(lowered, max(0, start - 16), start):
            yield "health", term  # "Sophie est enceinte", "ich bin schwanger", "jestem w ciąży"
            return
        own = OWN_CUES.get(term)
        if (own is not None and _FIGURATIVE_AFTER.match(lowered, end)) or (
            term in AMBIGUOUS and _FIGURE_OF.match(lowered, end)
        ):
            continue  # "deaf to their excuses", "blind spot", "a stroke of genius"
        if _possessed(lowered, start, end):
            yield "health", term  # "your biopsy showed", "my MRI results came back"
            return
        weak = (
            own is not None
            or term in AMBIGUOUS
            or (len(term) <= 4 and term.isascii() and term not in _SHORT)
        )
        if (not weak and _after_label(lowered, label_ends, start)) or (
            own is None and any(lo <= start < hi for lo, hi in columns)
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
        if _TOPIC_BEFORE.search(lowered, max(0, start - 40), start) or _TOPIC_AFTER.match(
            lowered, end
        ):
            continue  # "the epidemiology of tuberculosis", "your diabetes dataset"
        if person_at < start - _REACH:
            continue
        if term in _INJURIES and _SPORT.search(lowered, max(0, start - 120), end + 120):
            continue  # a match report: "the striker limped off with a torn ACL"
        if lab or not weak:
            yield "health", term  # a lab's value is someone's: "BP 160/100, should I go?"
            return
        if own is not None:
            if own.search(lowered, max(0, start - _CUE_REACH), start) or (
                term in AMBIGUOUS and _cue(lowered, start)
            ):
                yield "health", term
                return
        elif _cue(lowered, start):
            yield "health", term
            return


_SURGICAL_STEMS = ("ectom", "ektom", "ostom", "plast")
# English, and German, French, Spanish, Italian, Portuguese and Polish: "Cholezystektomie",
# "cholécystectomie", "colecistectomía", "artroplastica", "kolostomia".
_SURGICAL_ENDINGS = ("y", "ies", "ie", "ía", "ia", "ías", "ias", "ica", "ik")


def surgical_words(lowered: str) -> list[Span]:
    """Operations named by their suffix, which no other word has: "-ectomy" (appendectomy),
    "-ostomy" (colostomy), "-plasty" (arthroplasty); the lexicon cannot list them all."""
    found: list[Span] = []
    for stem in _SURGICAL_STEMS:
        at = lowered.find(stem)
        while at >= 0:
            end = at + 5
            for ending in _SURGICAL_ENDINGS:
                if (
                    lowered.startswith(ending, end)
                    and not lowered[end + len(ending) : end + len(ending) + 1].isalpha()
                ):
                    start = at
                    while start and lowered[start - 1].isalpha():
                        start -= 1
                    if at - start >= 3:
                        found.append((start, end + len(ending), lowered[start : end + len(ending)]))
                    break
            at = lowered.find(stem, end)
    return found


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
    r"specialises|specializes|expert|sell|sells|selling|sold|stock|stocks|manufactures?|"
    r"manufacturing|market|markets|marketing|import|export|novel|character|hero|heroine|"
    r"protagonist|plot|fiction|screenplay|learn|learning|teach|teaching)\b[^.\n]{0,30}\Z"
)


# A value after a lab's name, a few words on: "A1c was 7.9", "eGFR dropped to 42",
# "BP 160/100", "AMH is low". Only these words may stand between.
_LAB_GAP = (
    r"(?:[\s,:=~]+(?:i|t|levels?|readings?|results?|count|values?|test|tests|numbers?|was|is|"
    r"are|were|came|come|back|at|of|to|went|up|down|dropped|rose|jumped|fell|climbed|"
    r"has|have|been|still|now|only|just|around|about|over|under|nearly|almost|already|"
    r"again|today|yesterday|reads?|read|showed|shows|this|morning|keeps?|stays?|stayed)){0,6}"
)
_LAB_JUDGED = (
    r"[\s,]+(?:too |very |really |a bit |quite |slightly |dangerously )?"
    r"(?:high|low|elevated|raised|abnormal|borderline|off the charts|through the roof)\b"
)
_LAB_VALUE = re.compile(_LAB_GAP + r"(?:[\s,:=~]*\d|" + _LAB_JUDGED + ")")
# The same with a clinical unit or a blood pressure's slash, when no one's "my" says whose.
_LAB_UNIT = re.compile(
    _LAB_GAP + r"(?:[\s,:=~]*\d+(?:[.,]\d+)?\s*(?:%|mg/dl|mmol/l|mmol/mol|g/dl|g/l|mmhg|bpm|"
    r"ng/ml|miu/l|mu/l|u/l|iu/l|µmol/l|umol/l|ml/min|cells|copies|/\d{2,3}\b)|" + _LAB_JUDGED + ")"
)
# A unitless value ("INR 3.6") is a lab's when a clinician's record stands before it.
_CLINICAL_BEFORE = re.compile(
    r"\b(?:doctor|doctor's|gp|physician|nurse|clinic|hospital|ward|chart|labs?|bloods|"
    r"blood work|bloodwork|results?|referring|referral|discharge|admission|claim)\b"
)
# Whose the lab is: "my last HbA1c", "your fasting blood sugar", "her LDL".
_OWNER_BEFORE = re.compile(
    r"\b(?:my|your|his|her|their|patient's|pt's|mum's|mom's|dad's|wife's|husband's|son's|"
    r"daughter's)\s+(?:[a-z]+\s+)?\Z"
)
# What a person owns that is a result: "your biopsy showed", "my MRI results came back".
_POSSESSED_BEFORE = re.compile(
    r"(?:\b(?:my|your|his|her|their)|(?<![\w'])(?!(?:it|that|what|there|here|who|he|she|let)'s)"
    r"[^\W\d_]{2,}(?:'s|\u2019s))\s+(?:[a-z]+\s+)?\Z"
)
_RESULT_AFTER = re.compile(
    r"\s+(?:results?|report|scan|came back|showed|shows|revealed|found|confirmed|"
    r"(?:is|was) (?:positive|negative|normal|abnormal|clear|benign|malignant|scheduled|"
    r"booked|tomorrow|next))\b"
)
# A disease as the subject of a thing built or read: "your diabetes dataset".
_TOPIC_AFTER = re.compile(
    r"[\s-]+(?:dataset|datasets|data set|classifier|classification|prediction|predictor|"
    r"detection|benchmark|awareness|research|study|studies|api|sdk|module|column|field|schema|"
    r"simulator|simulation|example|tutorial|repo|repository|project|model|models|market|"
    r"markets|sales|industry|stocks?|shares|pricing|prices?|costs?|dosing tables?|tables?|"
    r"chapter|exam|lecture|slides|deck|quiz|homework|charity|fundraiser|as an? (?:example|"
    r"placeholder|sample))\b"
)

# Words with their own wording before them (a person must still be near).
_BE = r"(?:'m|'re|'s|\bam|\bare|\bis|\bwas|\bwere|\bbeen|\bbeing|\bbecame|\bbecome|\bfeel|\bfelt|\bfeeling|\bget|\bgot)"
_DRUG_USE = re.compile(
    r"\b(?:addicted to|addiction to|hooked on|relapsed on|clean (?:off|from)|sober from|"
    r"withdrawal from|withdrawing from|detox(?:ing)? from|using|use|used|smoke|smoked|smoking|"
    r"inject|injected|injecting|snort|snorted|snorting|overdosed on|od'?d on|quit|quitting|"
    r"off|on|addiction|habit|dependent on|dependence on)\s+(?:\w+\s+)?\Z"
)
_TREATMENT_START = re.compile(
    r"\b(?:start|starting|starts|started|begin|beginning|begins|began|finish|finished|"
    r"finishing|round of|rounds of|cycle of|weeks? of|months? of|in|out of|checked into|"
    r"went to|went into|go into|going into|admitted to|back in)\s+\Z"
)
OWN_CUES: dict[str, re.Pattern[str]] = {
    "depressed": re.compile(
        r"(?:\bbeen|\bfeel|\bfelt|\bfeeling|\bclinically|\bseverely|\bchronically|"
        r"\bdiagnosed as|\bgets?|\bgetting)\s+(?:\w+\s+)?\Z"
    ),
    "suicidal": re.compile(_BE + r"\s+(?:\w+\s+)?\Z|\b(?:actively|passively)\s+\Z"),
    "kill myself": re.compile(
        r"\b(?:want(?:ed)? to|wanna|going to|gonna|thinking (?:of|about)|thoughts of|"
        r"tried to|try to|urge to|plan(?:ned)? to|considering|how to)\s+\Z"
    ),
    "end my life": re.compile(
        r"\b(?:want(?:ed)? to|wanna|going to|gonna|thinking (?:of|about)|thoughts of|"
        r"tried to|try to|urge to|plan(?:ned)? to|considering|how to)\s+\Z"
    ),
    "alcoholic": re.compile(
        r"(?:'m|'s|\bam|\bis|\bwas|\brecovering|\bfunctioning|\bdiagnosed)\s+(?:an?\s+)?"
        r"(?:\w+\s+)?\Z"
    ),
    "sober": re.compile(
        r"\b(?:days|weeks|months|years|been|stay|staying|stayed|got|getting|am|i'm|now)\s+\Z"
    ),
    "relapsed": re.compile(r"(?:\bi|\bhe|\bshe|\bthey|\bwe|\bjust|\bhave|'ve|\bhas)\s+\Z"),
    "heroin": _DRUG_USE,
    "cocaine": _DRUG_USE,
    "crack cocaine": _DRUG_USE,
    "methamphetamine": _DRUG_USE,
    "crystal meth": _DRUG_USE,
    "meth": _DRUG_USE,
    "opioids": _DRUG_USE,
    "painkillers": _DRUG_USE,
    "chemo": _TREATMENT_START,
    "rehab": _TREATMENT_START,
    "detox": _TREATMENT_START,
    "prep": re.compile(
        r"\b(?:on|taking|take|takes|started|starting|prescribed|stopped|need|needs)\s+\Z"
    ),
    "wheelchair": re.compile(
        r"\b(?:use|uses|using|used|in|needs?|needed|confined to|bound to|rely on|relies on)\s+"
        r"(?:an?\s+|the\s+|my\s+|her\s+|his\s+|a\s+power\s+)?\Z"
    ),
    "deaf": re.compile(
        _BE + r"\s+(?:\w+\s+)?\Z|\b(?:born|went|profoundly|partially|completely)\s+\Z"
    ),
    "blind": re.compile(
        r"(?:'m|'s|\bam|\bis|\bwas|\bbeen|\bwent|\bgoing)\s+(?:\w+\s+)?\Z"
        r"|\b(?:born|legally|partially|completely)\s+\Z"
    ),
    "diabetic": re.compile(_BE + r"\s+(?:\w+\s+)?\Z|\b(?:type [12i]+|insulin-dependent)\s+\Z"),
    "miscarried": re.compile(r"(?:\bi|\bshe|\bwe|\bjust|\bhave|'ve|\bhad|\bhas)\s+\Z"),
    "infertile": re.compile(_BE + r"\s+(?:\w+\s+)?\Z"),
    # "I'm 8 weeks pregnant", "she's pregnant again": a being verb or a term of weeks.
    "pregnant": re.compile(
        r"(?:" + _BE + r"|\bweeks|\bmonths|\bwks|\bgetting|\btrying to get)\s+"
        r"(?:\w+\s+){0,2}\Z"
    ),
}


_FIGURATIVE_AFTER = re.compile(
    r"(?:\s+to\b|-|\s+(?:spot|spots|side|eye|date|trust|faith|test|review|study|with "
    r"(?:ideas?|meaning|possibilit\w*|promise|hope|tension|significance|potential)))"
)

_FIGURE_OF = re.compile(
    r"\s+of\s+(?:genius|luck|good luck|bad luck|midnight|brilliance|inspiration|fortune|"
    r"the pen|a pen|a brush|the brush)\b"
)

# Injuries a match report tells about players, and the words of a match report.
_INJURIES = frozenset(
    (
        "concussion",
        "torn acl",
        "acl tear",
        "torn meniscus",
        "broken leg",
        "broken wrist",
        "fractured wrist",
        "fracture",
        "rotator cuff tear",
        "tendinitis",
        "tendonitis",
        "herniated disc",
        "acl reconstruction",
        "knee surgery",
        "shoulder surgery",
        "surgery",
    )
)
_SPORT = re.compile(
    r"\b(?:quarterback|striker|midfielder|goalkeeper|defender|winger|forward|pitcher|"
    r"linebacker|batsman|bowler|fly-half|ruled out|sidelined|limped off|stretchered off|"
    r"injured reserve|injury list|doubtful for|miss(?:es|ed)? the (?:match|game|final|race)|"
    r"head coach|the club|the team said|kick-?off|touchdown|half-?time|the season)\b"
)


def _possessed(lowered: str, start: int, end: int) -> bool:
    """True for someone's result: "your biopsy showed", "my MRI results came back"."""
    return (
        _POSSESSED_BEFORE.search(lowered, max(0, start - 24), start) is not None
        and _RESULT_AFTER.match(lowered, end) is not None
    )


def _cue(lowered: str, start: int) -> bool:
    return _CUE_BEFORE.search(lowered, max(0, start - _CUE_REACH), start) is not None


def person_near(text: str, at: int) -> bool:
    """True if a person is named or referred to within reach of ``at``."""
    window = text[max(0, at - _REACH) : at + _REACH]
    return _person(window, window.lower(), 0, len(window)) >= 0


def _person(text: str, lowered: str, lo: int, hi: int) -> int:
    """Where a person is first named or referred to in text[lo:hi], or -1."""
    word = _PERSON_WORD.search(lowered, lo, hi)
    hi = word.start() if word else hi
    name = next((m for m in _NAME.finditer(text, lo, hi) if m.group(1) not in _NOT_A_NAME), None)
    if name:
        return name.start()
    one = next(
        (
            m
            for m in _NAMED_ONE.finditer(text, lo, hi)
            if m.group(1) not in _NOT_ONE_NAME
            and m.group(1).split()[0] not in _NOT_A_NAME
            and m.group(1).lower() not in ALL_TERMS
        ),
        None,
    )
    if one:
        return one.start()
    if not text[lo:hi].isascii() and (cjk := _CJK_NAME.search(text, lo, hi)):
        return cjk.start()
    return word.start() if word else -1
