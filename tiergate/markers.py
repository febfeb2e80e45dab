"""Sensitive data that is said in words: health facts, privilege and confidentiality markers, birth dates.

Each family runs only when one of its rare stems appears in the lowered text
(a substring test costs about a microsecond per 2 KB), and then matches whole
phrases, so that "diagnose the bug", "be patient" or "confidential computing"
stay clean while "diagnosed with type 2 diabetes", "privileged & confidential"
and "internal use only" do not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from . import birth, credentials, foreign_markers, medical_terms, spelled
from . import health as health_terms
from .lexicon import Lexicon, Span
from .normalize import DIGIT_NAMES

Hit = tuple[str, str]


def _words(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


CONDITIONS = _words(
    r"diabet\w*",
    "hypertension",
    "high blood pressure",
    "asthma",
    "copd",
    r"cancer\w*",
    "leukemia",
    "leukaemia",
    "lymphoma",
    "melanoma",
    r"tumou?rs?",
    "hiv",
    "aids",
    r"hepatitis(?: [abc])?",
    "tuberculosis",
    "pneumonia",
    r"(?:major )?depressi\w+",
    r"anxiety(?: disorder)?",
    r"bipolar(?: disorder)?",
    "schizophrenia",
    "ptsd",
    "adhd",
    "autism",
    "dementia",
    r"alzheimer'?s?",
    r"parkinson'?s?",
    "epilepsy",
    "seizures?",
    "migraines?",
    "stroke",
    "myocardial infarction",
    "heart attack",
    "heart failure",
    "atrial fibrillation",
    "afib",
    "arrhythmia",
    "coronary artery disease",
    r"(?:chronic )?kidney disease",
    "renal failure",
    "cirrhosis",
    r"crohn'?s(?: disease)?",
    "ulcerative colitis",
    "colitis",
    "lupus",
    "multiple sclerosis",
    "fibromyalgia",
    "osteoporosis",
    "an(?:a)?emia",
    "hypothyroidism",
    "hyperthyroidism",
    "obesity",
    "covid(?:-19)?",
    "influenza",
    "sepsis",
    "chlamydia",
    "gonorrh(?:o)?ea",
    "syphilis",
    "herpes",
    "hpv",
    "anorexia",
    "bulimia",
    "eating disorder",
    "alcoholism",
    "alcohol use disorder",
    "opioid use disorder",
    "substance use disorder",
    "addiction",
    "concussion",
    r"fractured? \w+",
    "sleep apnea",
    "glaucoma",
    "gout",
    "psoriasis",
    "eczema",
    "infertility",
    "endometriosis",
    "pregnan\\w+",
    "miscarriage",
    "std",
    "sti",
    "mental illness",
    "ocd",
    "insomnia",
    "hyperlipid(?:a)?emia",
    "hypercholesterol(?:a)?emia",
    "gerd",
    "gastro(?:-| )?(?:o)?esophageal reflux(?: disease)?",
    "celiac disease",
    "coeliac disease",
    "irritable bowel syndrome",
    "sickle cell (?:disease|an(?:a)?emia)",
    "cystic fibrosis",
    "myeloma",
    "heart disease",
    "angina",
    "sarcoidosis",
    "diverticulitis",
    "pancreatitis",
    "appendicitis",
    "cellulitis",
    "bronchitis",
    "meningitis",
    "shingles",
    "long covid",
    "panic disorder",
    "personality disorder",
    "post-traumatic stress disorder",
)
# Drug and procedure families named by their ending; one "[a-z]+(?:…)" alternative
# costs a word's length per word, many "\w+statin"-style ones cost that many times over.
CONDITION_ENDINGS = r"[a-zäöüß]+(?:carcinoma|arthritis|karzinom|krebs)"
PROCEDURE_ENDINGS = r"[a-z]+(?:ectomy|oscopy|otomy|plasty)"
MEDICATION_ENDINGS = r"[a-z]+(?:statin|olol|pril|sartan|prazole|cillin|mycin|floxacin|mab|vir)"

PROCEDURES = _words(
    "biopsy",
    r"chemo(?:therap\w*)?",
    "radiation therapy",
    "radiotherapy",
    "dialysis",
    "mri",
    "ct scan",
    "pet scan",
    "x-ray",
    "ultrasound",
    "bypass surgery",
    r"(?:[a-z]+ )?surgery",
    "transplant",
    "c-section",
    "cesarean",
    r"(?:knee|hip) replacement",
    "cataract",
    "catheterization",
    "ivf",
    "physical therapy",
    "stent",
    "pacemaker",
    "blood transfusion",
    "abortion",
    "vaccination",
)
MEDICATIONS = _words(
    "metformin",
    r"insulin(?: \w+)?",
    "lisinopril",
    "amlodipine",
    "omeprazole",
    "levothyroxine",
    "albuterol",
    "gabapentin",
    "pregabalin",
    "sertraline",
    "fluoxetine",
    "escitalopram",
    "citalopram",
    "paroxetine",
    "bupropion",
    "trazodone",
    "venlafaxine",
    "duloxetine",
    "alprazolam",
    "lorazepam",
    "clonazepam",
    "diazepam",
    "oxycodone",
    "hydrocodone",
    "morphine",
    "fentanyl",
    "tramadol",
    "codeine",
    "prednisone",
    "prednisolone",
    "doxycycline",
    "warfarin",
    "apixaban",
    "rivaroxaban",
    "clopidogrel",
    "furosemide",
    "hydrochlorothiazide",
    "spironolactone",
    "methotrexate",
    "semaglutide",
    "ozempic",
    "wegovy",
    "lithium",
    "quetiapine",
    "aripiprazole",
    "risperidone",
    "olanzapine",
    "methadone",
    "buprenorphine",
    "suboxone",
    "naloxone",
    "ibuprofen",
    "acetaminophen",
    "paracetamol",
    "aspirin",
    "tamoxifen",
    "letrozole",
    "sildenafil",
    "tadalafil",
    "montelukast",
    "ondansetron",
    "lamotrigine",
    "levetiracetam",
    "topiramate",
    "carbamazepine",
    "valproate",
    "zolpidem",
    "adderall",
    "methylphenidate",
    "truvada",
    "amoxicillin",
    "azithromycin",
    "ciprofloxacin",
    "estradiol",
    "testosterone",
)
CONDITIONS = _words(CONDITIONS, CONDITION_ENDINGS)
PROCEDURES = _words(PROCEDURES, PROCEDURE_ENDINGS)
MEDICATIONS = _words(MEDICATIONS, MEDICATION_ENDINGS)
ANALYTES = _words(
    # German, French, Spanish, Italian, Dutch, Polish, Portuguese lab names
    "kreatinin",
    "glukose",
    "blutzucker",
    "cholesterin",
    "hämoglobin",
    "glycémie",
    "créatinine",
    "cholestérol",
    "glucosa",
    "glucemia",
    "creatinina",
    "colesterol",
    "hemoglobina",
    "glicemia",
    "colesterolo",
    "emoglobina",
    "bloedsuiker",
    "creatinine",
    "glukoza",
    "kreatynina",
    "glicose",
    "hba1c",
    "a1c",
    "glucose",
    "blood sugar",
    "ldl",
    "hdl",
    "cholesterol",
    "triglycerides",
    "creatinine",
    "egfr",
    "ha?emoglobin",
    "hgb",
    "wbc",
    "platelets?",
    "tsh",
    "psa",
    "inr",
    "potassium",
    "sodium",
    "troponin",
    "bilirubin",
    "ferritin",
    "vitamin d",
    "blood pressure",
    "bp",
    "heart rate",
    "pulse",
    "bmi",
    "spo2",
    "o2 sat",
    "cd4",
    "viral load",
    "alt",
    "ast",
)
DOSE_UNIT = r"(?:mg|mcg|µg|μg|g|ml|units?|iu|mmol/l|mg/dl|mmhg|%)"
FREQUENCY = _words(
    "daily",
    "twice",
    "once",
    "bid",
    "tid",
    "qid",
    "qd",
    "qhs",
    "prn",
    "po",
    r"q\d+h",
    "at bedtime",
    "every",
    "per day",
    "a day",
    "/day",
    "tablets?",
    "capsules?",
    "by mouth",
)

_HEALTH = re.compile(
    r"\b(?:diagnosed with|diagnosis(?: of|:| is| was)|dx(?: of|:)|suffers? from|suffering from|"
    r"leidet (?:an|unter)|erkrankt an|diagnose:|"
    r"history of|hx of|treated for|tested positive for|presents? with|presented with|"
    r"admitted (?:for|with)|complains of|c/o|living with|battling|recovering from|"
    r"medical history:?|positive for|(?:his|her|their|my) (?:\w+ )?(?:therapist|doctor|"
    r"psychiatrist|oncologist) (?:says|said|thinks|notes) (?:his|her|their|my))\s+"
    r"(?:(?:an?|acute|chronic|severe|mild|moderate|early|late|stage \w+|type [12i]+|"
    r"metastatic|recurrent|persistent|suspected|possible|generali[sz]ed|her|his|their)\s+)*"
    + CONDITIONS
    + r"\b"
    r"|\bdiagnosed with\b"
    r"|\b(?:prescribed|taking|takes|started on)\s+(?:\w+\s+){0,2}?"
    + MEDICATIONS
    + r"\b(?:\s+\d+(?:\.\d+)?\s*"
    + DOSE_UNIT
    + r")?"
    r"|\b(?:underwent|undergoing|scheduled for|booked for|referred for|referral for|awaiting|"
    r"recovering from|post-op|s/p|had an?|had)\s+"
    r"(?:an?\s+|emergency\s+|elective\s+|her\s+|his\s+|laparoscopic\s+|robotic\s+|partial\s+|"
    r"total\s+|open\s+|minor\s+|major\s+)*(?:[a-z]+\s+)?" + PROCEDURES + r"\b"
    r"|\b" + ANALYTES + r"(?: level)?(?: of| was| is|:|=)?\s*\d+(?:\.\d+)?(?:/\d+)?\s*"
    r"(?:%|mg/dl|mmol/l|g/dl|mmhg|bpm|ng/ml|miu/l|u/l|iu/l)"
    r"|\bicd-?(?:10|9)(?:-cm)?(?: codes?)?:?\s*[a-tv-z]\d[0-9ab](?:\.\w{1,4})?\b"
    r"|\b(?:diagnosis|diagnostic|dx) codes?:?\s*[a-tv-z]\d[0-9ab](?:\.\w{1,4})?\b"
    r"|\b(?:hiv|hepatitis [abc]|covid(?:-19)?|tb|std) positive\b"
    r"|\b(?:hiv )?viral load (?:is|was|remains|has been|of) (?:\w+ )?(?:un)?detectable\b"
    r"|\bhiv(?:-| )(?:status|infection|diagnosis|medication|treatment)\b"
    r"|\b(?:is|was|am|are|currently|now) (?:\d{1,2} weeks |\w+ months )?pregnant\b"
    r"|\b(?:his|her|their|my) (?:\w+ )?surgery\b|\bsurgery (?:is|was) scheduled\b"
    r"|\b(?:geopereerd aan|operiert (?:an|am|worden)|opérée? (?:du|de la|des|d')|"
    r"operad[oa] (?:de|del|da)|operat[oa] (?:al|alla|allo|di)|operowan[ya] na|"
    r"foi operad[oa])\s+\w+"
    r"|\b(?:her|his|their|my) (?:gall ?bladder|appendix|tonsils|uterus|womb|kidney|prostate|thyroid|"
    r"spleen|ovar(?:y|ies)|breasts?|lung|colon|wisdom teeth|adenoids|tumou?r|cyst|polyps?|lump|"
    r"cataracts?|knee|hip|heart valve) (?:removed|replaced|out|operated on|transplanted|biopsied)\b"
    r"|\b(?:his|her|their|my) (?:\w+ )?" + PROCEDURE_ENDINGS + r"\b"
)
# A condition, procedure or medication counts on its own only next to a patient.
_PATIENT = re.compile(r"\bpatient(?:'s|s|in|en)?\b")
_PATIENT_FACT = re.compile(r"\b(?:" + CONDITIONS + "|" + PROCEDURES + "|" + MEDICATIONS + r")\b")
_PATIENT_NAME = re.compile(
    r"\b[Pp]atient(?:'s)?(?: name)?:?\s+(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?"
)
_HEALTH_STEMS = (
    "diagnos",
    "prescri",
    "patient",
    "history",
    "suffer",
    "admitted",
    "medical",
    "surgery",
    "underwent",
    "recovering",
    "viral",
    "pregnan",
    "tomy",
    "scopy",
    "referr",
    "geopereerd",
    "operiert",
    "opéré",
    "operad",
    "operat",
    "operowan",
    # organs and growths a person has removed or replaced ("her gallbladder removed")
    "gallbladder",
    "gall bladder",
    "appendix",
    "tonsils",
    "uterus",
    "womb",
    "kidney",
    "prostate",
    "thyroid",
    "spleen",
    "ovar",
    "breast",
    "lung ",
    "wisdom teeth",
    "adenoids",
    "tumor",
    "tumour",
    "cyst",
    "polyp",
    "lump ",
    "cataract",
    "knee ",
    "heart valve",
)
# Stems looked for only when their gate is met: a rare character, or text beyond ASCII.
_HEALTH_STEMS_COLON = ("dx:", "icd")
_HEALTH_STEMS_FOREIGN = ("leidet", "erkrankt")


_LEGAL = re.compile(
    r"attorney[- ]client|privileged\s*(?:and|&|/)\s*confidential|legally privileged|"
    r"subject to (?:the )?(?:legal (?:professional |advice )?|attorney[- ]client |litigation |"
    r"solicitor[- ]client )?privilege|"
    r"(?:gemäß|gem\.|laut|unter|unterliegt|unterliegen|im rahmen) (?:der |einer |unserer |dieser )?"
    r"(?:geheimhaltungs|vertraulichkeits|verschwiegenheits)vereinbarung|anwaltsgeheimnis|"
    r"anwaltliche[rs]? (?:verschwiegenheit|korrespondenz)|"
    r"privileged (?:communication|information|material|document|and protected)|"
    r"(?:attorney|lawyer) work[- ]product|work[- ]product (?:doctrine|privilege|protected)|"
    r"prepared (?:at|by|under) the (?:request|direction) of (?:legal )?counsel|"
    r"\b(?:under|covered by|protected by|bound by|subject to|per|as per) (?:(?:an?|the|our|your|"
    r"this|strict|mutual|signed|existing|same|their) ){0,2}(?:nda|mnda|non-disclosure agreement|"
    r"confidentiality agreement)\b|"
    r"\bwithout prejudice\b|do not waive (?:any )?privilege|"
    r"\b(?:under|covered by|protected by|claim of|assert(?:ing)?) (?:the )?(?:legal |attorney[- ]client |"
    r"litigation |solicitor[- ]client )?privilege\b|"
    r"\blitigation hold\b|\bpreservation notice\b|"
    # S3 and other stores have a "legal hold" setting: only the notice to people counts.
    r"\blegal hold (?:notice|notification|order|memo|letter|in place|applies|is in effect)|"
    r"\b(?:under|subject to|placed on|place a|issued a|notice of|on) (?:a |the )?legal hold\b|"
    r"\blegal hold\s*[:\-]\s*(?:preserve|do not|please|all)|"
    r"\b(?:this|it|which|that) is (?:legally )?privileged\b|"
    r"\b(?:legal advice|litigation|common interest|joint defen[cs]e|deliberative process|"
    r"work product) privilege\b|\bfor settlement purposes only\b|\bsubject to contract\b|"
    r"\bcompromise negotiations?\b|\bnot admissible\b|\bmediation (?:is )?confidential\b|"
    # an NDA in force, not the word explained ("an NDA is a contract")
    r"\b(?:signed|our|mutual|executed|existing|their|your) (?:nda|mnda)\b|"
    r"\b(?:nda|mnda) (?:signed|attached|required|applies|in place|dated|executed|with|between|"
    r"covers)\b|"
    r"\bconfidential settlement\b|\bsettlement (?:communication|negotiation|discussion|offer|"
    r"proposal)s?\b[^.\n]{0,40}(?:confidential|privileged|inadmissible|408|without prejudice)|"
    r"\b(?:fre|rule|evidence code) 408\b|\binadmissible under\b|"
    r"\bin anticipation of (?:litigation|trial)\b|\bat the (?:request|direction) of (?:legal )?counsel\b|"
    r"\b(?:prepared|drafted|written|reviewed) (?:by|for|with) (?:legal |outside |in-house )?counsel\b|"
    r"\bfor the purpose of (?:providing|obtaining|seeking|giving|rendering) legal advice\b|"
    r"\b(?:nda|mnda)[- ](?:protected|covered|bound|restricted|only)\b|\bconfidential under (?:the )?nda\b"
)
_LEGAL_LABEL = re.compile(r"\bPRIVILEGED\b")
_LEGAL_STEMS = (
    "privilege",
    "attorney",
    "nda",
    "disclosure",
    "prejudice",
    "counsel",
    " hold",
    "settlement",
    "408",
    "inadmissible",
    "anticipation of",
    "preservation",
    "legal advice",
    "contract",
    "compromise",
    "admissible",
    "mediation",
)
_LEGAL_STEMS_FOREIGN = ("vereinbarung", "anwalt")

_CONFIDENTIAL = re.compile(
    r"\b(?:strictly|highly|company|business|commercially|commercial|proprietary (?:and|&)|"
    r"private (?:and|&)) confidential\b|"
    r"\bconfidential\s*[-:|/]\s*\w|"  # other dashes are folded to "-" before this runs
    r"\bconfidential (?:and proprietary|information|document|material|memo|report|data|draft|"
    r"until|not for|do not)|"
    r"\b(?:classification|classified|sensitivity|label|marking|status)\s*[:=]?\s*(?:confidential|"
    r"internal|restricted)\b|"
    r"\b(?:this|the|these|attached) (?:document|email|e-mail|message|memo|information|report|"
    r"file|attachment|material|data|deck|presentation|communication|figures|numbers|plan)s? "
    r"(?:is|are|contains?|remains?) (?:strictly |highly )?(?:confidential|proprietary|internal only)|"
    r"\bkeep (?:this|it|that|these|them) (?:strictly )?confidential|treat (?:this|it) as confidential|"
    r"\bin (?:strict|strictest) confidence\b|"
    r"\binternal[- ](?:use[- ])?only\b|\bfor internal (?:use|distribution|purposes|eyes)\b|"
    r"\bdo not (?:distribute|forward|circulate|disclose|copy or distribute|share (?:this|externally|"
    r"outside))|\bnot for (?:external |public |further |outside )?(?:distribution|release|"
    r"circulation|disclosure)\b|\bproprietary (?:and|&) confidential|\bcontains trade secrets?\b|"
    r"need[- ]to[- ]know basis|\brestricted distribution\b|"
    r"\b(?:streng|strikt) vertraulich|\bnur (?:für den|zum) internen gebrauch|"
    r"\bnur für interne zwecke|\bstrictement confidentiel|\busage interne uniquement|"
    r"\bdiffusion restreinte|\bestrictamente confidencial|\bsolo para uso interno|"
    r"\bsomente para uso interno|\bestritamente confidencial|"
    r"\bproprietary (?:information|data|material|and confidential)\b|"
    r"\b(?:is|are) (?:strictly |highly )?confidential and (?:may|intended|privileged|protected)|"
    r"\bintended (?:solely|only|exclusively) for the (?:use|addressee|named|intended|recipient)|"
    r"\b(?:restricted|sensitive)\s*[-:|/]\s*internal\b|\binternal distribution only\b|"
    r"\bnot to be (?:shared|distributed|disclosed|forwarded)\b|"
    r"\bkeep (?:it |this |that )?confidential\b|\bconfidentiality notice\b|"
    r"\b(?:draft|sensitive|private)\s*[-:|/]\s*confidential\b|"
    r"\b(?:embargoed|under embargo) until\b|\bneed[- ]to[- ]know (?:only|basis)\b|"
    r"\b(?:classification|klassifizierung|einstufung|classificatie|classificazione|"
    r"clasificación|clasificacion|classificação|classificacao)\s*:\s*(?:intern|internal|"
    r"vertraulich|confidential|restricted|interno|interne|vertrouwelijk|riservato|"
    r"confidencial|confidentiel)"
)
_CONFIDENTIAL_STEMS = (
    "confiden",
    "internal",
    "distribut",
    "proprietary",
    "do not",
    "intended solely",
    "intended only",
    "not to be",
    "not for",
    "embargo",
    "need to know",
    "need-to-know",
    "classif",
    "klassifizierung",
    "einstufung",
)
_CONFIDENTIAL_STEMS_FOREIGN = (
    "vertraulich",
    "gebrauch",
    "usage interne",
    "diffusion",
    "uso interno",
)
# Markers written as a header: "CONFIDENTIAL", "[Confidential]", "Confidential:" at a line start.
_CONFIDENTIAL_HEADER = re.compile(
    r"\bCONFIDENTIAL\b|^[ \t]*+[\[(*#]{0,3}+[ \t]*+Confidential[ \t]*+[\]):*]"
    # "Acme GmbH - Confidential" as a footer, "INTERNAL - Q4 plan" as a header
    r"|[-|:][ \t]*+Confidential[ \t]*+$|^[ \t]*+[\[(]?INTERNAL[\])]?[ \t]*+[-:|]"
    r"|\bPROPRIETARY\b|^[ \t]*+Proprietary[ \t]*+[-:|]",
    re.MULTILINE,
)

MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|fevrier|mars|avril|"
    r"juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|enero|febrero|marzo|"
    r"abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)\.?"
)
DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:de\s+)?"
    + MONTHS
    + r",?\s+(?:de\s+)?\d{4}|"
    + MONTHS
    + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})"
)
BIRTH_WORDS = (
    r"(?:born|birth\w*|date of birth|dob|d\.o\.b\.?|b\.|geb\.|geboren|né|née|nee|"
    r"naissance|nacimiento|nacido|nacida|nascita|nato|nata|nascimento|nascido|nascida|"
    r"生年月日|出生日期|出生|생년월일|fecha de nac\.?)"
)
_BIRTH = re.compile(BIRTH_WORDS + r"(?:\s+(?:on|am|le|el|il|em|in|at|date))?\W{0,4}\s*" + DATE)
# Numeric birth dates in any language are judged by the digit pass (``birth_context``);
# here only dates written with month names.
_BIRTH_STEMS = ("born", "birth")
_BIRTH_STEMS_FOREIGN = ("né", "geb", "nacid", "nascid", "naissance", "nacimiento", "nascita")
# Dates written the East Asian way with a birth word: "1990年4月12日生まれ", "생년월일: 1988년 3월 2일".
_CJK_DATE = r"\d{4}\s?[年년]\s?\d{1,2}\s?[月월]\s?\d{1,2}\s?[日일]"
_CJK_BIRTH = re.compile(
    _CJK_DATE
    + r"\s?(?:生まれ|生|出生|생|출생)|(?:生年月日|出生日期|出生年月日|出生于|생년월일)\W{0,3}"
    + _CJK_DATE
)
# "Python 3 was born on ...", "the project was born in": things, not people, have versions.
_BORN_THING = re.compile(
    r"(?:\b[a-z]+ \d+(?:\.\d+)* |\b(?:project|idea|company|language|product|library|framework|"
    r"startup|movement|software|app|brand|concept|format|protocol|standard)s? )(?:was|were|is) born\b"
)
BIRTH_CONTEXT = re.compile(BIRTH_WORDS + r"(?:\s+(?:on|am|le|el|il|em|in|at|date))?\W{0,4}\s*\Z")


def birth_context(before: str) -> bool:
    """True if a lowered window ends with a birth word ("DOB:", "born on", "geboren am")."""
    return BIRTH_CONTEXT.search(before) is not None


_LEXICON = Lexicon(
    {
        "health": (*_HEALTH_STEMS, *_HEALTH_STEMS_COLON, *_HEALTH_STEMS_FOREIGN),
        "term": medical_terms.ALL,
        "clinical_label": health_terms.LABELS,
        "legal": (*_LEGAL_STEMS, *_LEGAL_STEMS_FOREIGN),
        "confidential": (*_CONFIDENTIAL_STEMS, *_CONFIDENTIAL_STEMS_FOREIGN),
        "birth": (*_BIRTH_STEMS, *_BIRTH_STEMS_FOREIGN),
        "foreign": foreign_markers.STEMS,
        "birth_label": birth.LABELS,
        "birth_verb": birth.VERBS,
        "birth_after": birth.AFTER_DATE,
        "email_at": spelled.AT_WORDS,
        "digit_name": DIGIT_NAMES,
        "password_word": credentials.PASSWORD_WORDS,
        "login_word": credentials.LOGIN_WORDS,
    },
    whole_words=frozenset({"term", "clinical_label", "birth_label", "birth_verb"}),
    folded=frozenset({"term"}),
)


def gate_words(lowered: str) -> dict[str, list[Span]]:
    """Where each family's gate words stand in a lowered text (one automaton pass)."""
    return _LEXICON.find(lowered)


def scan(text: str, lowered: str, stems: dict[str, list[Span]] | None = None) -> Iterator[Hit]:
    """One hit per family at most: a kind found once is found (the allow-list is for
    identifiers, not for words). ``stems``: ``gate_words(lowered)``, if already known."""
    # Each family's phrase pattern is a long alternation that sre tries at every position,
    # so it runs only in windows around the gate words one automaton pass found.
    if stems is None:
        stems = _LEXICON.find(lowered)
    if len(lowered) <= _WHOLE_TEXT and not lowered.isascii():
        yield from foreign_markers.scan(lowered)
    elif "foreign" in stems:
        # ASCII text ("vertraulich", "riservato" typed without accents) and long texts: only
        # the windows around those words, so English text saying "privilege" pays for 160
        # characters and a 3 MB document does not run 60 alternatives at every character.
        found: set[str] = set()
        for lo, hi in _spans(stems["foreign"], _PHRASE_REACH):
            for kind, hit in foreign_markers.scan(lowered[lo:hi]):
                if kind not in found:
                    found.add(kind)
                    yield kind, hit
    health = _first(_health(text, lowered, stems))
    if not health:
        terms = [*stems.get("term", ()), *health_terms.surgical_words(lowered)]
        if terms:
            health = _first(
                health_terms.scan(text, lowered, terms, stems.get("clinical_label", []))
            )
    yield from health
    legal = stems.get("legal")
    if legal:
        privilege = _first(
            _in_windows(lowered, _spans(legal, _PHRASE_REACH), _LEGAL, "legal_privilege")
        )
        # A label in capitals: "PRIVILEGED" ("privileged ports" is not one).
        if not privilege and (m := _LEGAL_LABEL.search(text)):
            privilege = [("legal_privilege", m.group())]
        yield from privilege
    confidential_stems = stems.get("confidential")
    if confidential_stems:
        windows = _spans(confidential_stems, _PHRASE_REACH)
        confidential = _first(_in_windows(lowered, windows, _CONFIDENTIAL, "confidential_marker"))
        # A header needs the "confiden" stem: no window, no header to look for.
        if (
            not confidential
            and ("onfidential" in lowered or "INTERNAL" in text or "roprietary" in lowered)
            and (m := _CONFIDENTIAL_HEADER.search(text))
        ):
            confidential = [("confidential_marker", m.group())]
        yield from confidential
    yield from _first(_births(text, lowered, stems))


def _births(text: str, lowered: str, stems: dict[str, list[Span]]) -> Iterator[Hit]:
    if "birth" in stems:
        yield from (
            ("date_of_birth", m.group())
            for lo, hi in _birth_windows(lowered, stems)
            for m in _BIRTH.finditer(lowered, lo, hi)
            if not _BORN_THING.search(lowered, max(0, m.start() - 40), m.start() + 4)
            and birth.living(m.group())
        )
    if "birth_label" in stems or "birth_verb" in stems or "birth_after" in stems:
        yield from birth.scan(
            lowered,
            stems.get("birth_label", []),
            stems.get("birth_verb", []),
            stems.get("birth_after", []),
        )
    if ("年" in text or "년" in text) and not lowered.isascii():
        yield from (
            ("date_of_birth", m.group())
            for m in _CJK_BIRTH.finditer(text)
            if birth.living(m.group())
        )
    if "19" in text or "20" in text:  # the years a row may carry (1900-2012) have one
        yield from birth.unlabeled_row(text)


# A prompt is read whole by the foreign patterns; past this many characters, in windows.
_WHOLE_TEXT = 16_384


def _birth_windows(lowered: str, stems: dict[str, list[Span]]) -> list[tuple[int, int]]:
    if len(lowered) <= _WHOLE_TEXT:
        return [(0, len(lowered))]
    found = [*stems.get("birth", []), *stems.get("birth_label", []), *stems.get("birth_verb", [])]
    return _spans(found, _PHRASE_REACH)


def _first(hits: Iterable[Hit]) -> list[Hit]:
    return next(([hit] for hit in hits), [])


def _in_windows(
    lowered: str, windows: list[tuple[int, int]], pattern: re.Pattern[str], kind: str
) -> Iterator[Hit]:
    for start, end in windows:
        for m in pattern.finditer(lowered, start, end):
            yield kind, m.group()


def _health(text: str, lowered: str, stems: dict[str, list[Span]]) -> Iterator[Hit]:
    found = stems.get("health")
    if not found:
        return
    for start, end in _spans(found, _HEALTH_REACH):
        for m in _HEALTH.finditer(lowered, start, end):
            if (
                _CODE_ONLY.match(m.group())
                and not _ENCOUNTER.search(lowered, max(0, m.start() - 120), m.end() + 120)
                and not health_terms.person_near(text, m.start())
            ):
                continue  # "Explain ICD-10 code C50.9": a code asked about, no one's diagnosis
            yield "health", m.group()
    if any(word == "patient" for _, _, word in found):
        yield from _near_patient(text, lowered)


_CODE_ONLY = re.compile(r"icd|(?:diagnosis|diagnostic|dx) code")
# A visit's wording: the code is someone's even with no one named ("follow up in 3 months").
_ENCOUNTER = re.compile(
    r"follow[- ]?up|seen (?:today|on|in)|review in \d|discharg|admitted|admission|referr|"
    r"prescri|\bplan\s*:|\bvisit\b|\bencounter\b"
)


# How far around a stem its phrase may reach ("this report is strictly confidential",
# "Patient … presents with pneumonia").
_PHRASE_REACH = 80
_HEALTH_REACH = 200


def _spans(found: list[Span], reach: int) -> list[tuple[int, int]]:
    """Merged spans of ``reach`` characters around every word found."""
    spans = sorted((max(0, start - reach), end + reach) for start, end, _ in found)
    merged = spans[:1]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


_PATIENT_REACH = 120


def _near_patient(text: str, lowered: str) -> Iterator[Hit]:
    for m in _PATIENT_NAME.finditer(text):
        yield "health", m.group()
    covered = 0  # windows never overlap, so the work stays linear however often "patient" recurs
    for m in _PATIENT.finditer(lowered):
        if m.start() < covered:
            continue
        start = max(covered, m.start() - _PATIENT_REACH)
        covered = m.end() + _PATIENT_REACH
        fact = _PATIENT_FACT.search(lowered, start, covered)
        if fact:
            yield "health", fact.group()


def health_context(window: str) -> bool:
    """True if a lowered window around a dose or code reads as being about someone's health."""
    return bool(_PATIENT.search(window) or _DOSE_CONTEXT.search(window))


_DOSE_CONTEXT = re.compile(
    r"\b(?:"
    + MEDICATIONS
    + "|"
    + FREQUENCY
    + "|"
    + CONDITIONS
    + "|"
    + ANALYTES
    + r"|prescri\w*|dose|dosage|"
    r"diagnos\w*|icd|dx|take|takes|taking|rx)\b"
)
