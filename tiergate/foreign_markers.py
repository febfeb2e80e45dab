"""Markers, privilege and health facts said in languages other than English.

Run on text that is not pure ASCII, or that holds one of ``ASCII_STEMS``
(German, Dutch, Italian, Spanish, French, Polish and Portuguese written without
their accents: "vertraulich", "riservato", "nur fuer den internen Gebrauch").
Each
family is one alternation of whole phrases matched on the lowered text:
confidentiality labels ("streng vertraulich", "社外秘"), privilege and NDA
markers ("secret professionnel", "秘密保持契約"), and a condition, diagnosis or
procedure within a short reach of a patient or diagnosis word ("Patientin …
Mammakarzinom", "患者 … 糖尿病").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Hit = tuple[str, str]

# Stems (found by the markers' lexicon pass) that send ASCII text here.
ASCII_STEMS = (
    "vertraulich",
    "geheim",
    "gebrauch",
    "weitergabe",
    "weitergeben",
    "tajne",
    "reservad",
    "limitee",
    "anwalt",
    "verschwiegenheit",
    "vertrouwelijk",
    "intern gebruik",
    "verspreiden",
    "geheimhouding",
    "riservat",
    "confidenzial",
    "riservatezza",
    "segreto",
    "divulgare",
    "uso interno",
    "confidencial",
    "confidentiel",
    "confidentialite",
    "usage interne",
    "diffus",
    "secret professionnel",
    "prejudice",
    "perjuicio",
    "pregiudizio",
    "poufn",
    "tajemnic",
    "wewnetrzn",
    "sigilo",
    "privilegio",
    "privilege",
    "geprivilegieerd",
    "praejudiz",
    "prajudiz",
    "rechtsstreit",
    "abogado",
    "avvocato",
    "avocat",
    "advogado",
    "advocaat",
    "adwokat",
    "mandant",
    "privilegi",
    "privilégi",
    "privilegie",
    "beratung",
)

# The same families' words in their own scripts and accents: in a long text the patterns
# run only in windows around these (and ASCII_STEMS), not over every character.
STEMS = (
    *ASCII_STEMS,
    "präjudiz",
    "préjudice",
    "confidentialité",
    "perjuicio",
    "prejuízo",
    "poufności",
    "wewnętrzn",
    "użytku",
    "ściśle",
    "objęte",
    "cliënt",
    "vereinbarung",
    "veröffentlich",
    "réserve",
    "réserves",
    "diffusion",
    "distribuir",
    "divulgar",
    "não",
    "sólo",
    "información reservada",
    "社外秘",
    "部外秘",
    "極秘",
    "取扱注意",
    "機密",
    "机密",
    "秘密",
    "外秘",
    "绝密",
    "内部",
    "外传",
    "社内",
    "秘匿特権",
    "守秘義務",
    "律师",
    "保密",
    "法律特权",
    "대외비",
    "대외주의",
    "극비",
    "내부용",
    "기밀",
    "사내",
    "변호사",
    "비밀유지",
    "गोपनीय",
    "आंतरिक",
    "कानूनी",
    "patient",
    "paciente",
    "paziente",
    "pacjent",
    "diagnos",
    "diagnost",
    "gediagnosticeerd",
    "zdiagnozowan",
    "leidet",
    "souffre",
    "sufre",
    "soffre",
    "sofre",
    "lijdt",
    "cierpi",
    "患者",
    "診断",
    "病人",
    "诊断",
    "确诊",
    "환자",
    "진단",
    "रोगी",
    "मरीज",
    "निदान",
)
_CONFIDENTIAL = re.compile(
    "|".join(
        (
            r"\b(?:vertraulich|vertrouwelijk|riservato|riservata|confidenziale|confidentiel|"
            r"confidentielle|confidencial|poufne|poufny|tajne|sigiloso|sigilosa|"
            r"streng geheim|nur intern|intern gebruik|geheim|tajne|ściśle tajne|scisle tajne)\b",
            r"(?:^|\n)\s*(?:reservado|reservada|intern)\s*[:\-]|documento reservado|"
            r"informaci[óo]n reservada|nicht weitergeben|nicht zur weitergabe|diffusion limit[ée]e|"
            r"仅限内部|限内部|内部文件|社内限り|社内限定|대외주의|사내한정",
            r"(?:streng|strikt|absolut) vertraulich",
            r"nur (?:fuer|fur) (?:den )?(?:internen|dienstlichen) gebrauch",
            r"nur zur internen verwendung|interne verwendung|zur internen nutzung",
            r"vertraulich\s*[-:|]",
            r"nur (?:für den|zum) (?:internen|dienstlichen) gebrauch",
            r"nicht zur weitergabe",
            r"(?:strictement|document|information|informations) confidentiel(?:le)?s?",
            r"confidentiel\s*[-:|]",
            r"(?:à |a )?usage interne(?: uniquement| seulement)?",
            r"ne pas diffuser",
            r"diffusion (?:restreinte|interdite)",
            r"(?:estrictamente|documento|información|informacion|estritamente) confidencial",
            r"confidencial\s*[-:|]",
            r"(?:solo|sólo|somente|apenas|ad) (?:para )?uso interno",
            r"(?:no|não|nao) (?:distribuir|divulgar)",
            r"(?:strettamente|documento) (?:riservato|confidenziale)",
            r"riservato\s*[-:|]",
            r"non divulgare",
            r"(?:strikt|streng) vertrouwelijk",
            r"vertrouwelijk\s*[-:|]",
            r"(?:alleen )?voor intern gebruik",
            r"niet verspreiden",
            r"ściśle (?:poufne|tajne)",
            r"poufne\s*[-:|]",
            r"(?:tylko )?do użytku wewnętrznego",
            r"(?:tylko )?do uzytku wewnetrznego|informacje poufne|dokument poufny",
            r"(?:uso|utilizzo) interno|solo per uso interno|non diffondere",
            r"(?:para )?uso interno|no divulgar|prohibida su (?:difusión|difusion|distribución|distribucion)",
            r"(?:a |à )?usage interne|ne pas (?:diffuser|divulguer|distribuer)",
            r"niet (?:verspreiden|doorsturen|delen)|alleen voor intern gebruik",
            r"社外秘|部外秘|極秘|取扱注意|機密情報|機密文書|関係者外秘|(?:^|\n)\s*[【\[(]?(?:機密|机密|秘密)[】\])]?\s*[:\-\s]",
            r"绝密|机密文件|机密资料|内部资料|仅供内部使用|内部使用|请勿外传|不得外传",
            r"대외비|극비|내부용|기밀 문서",
            r"गोपनीय|केवल आंतरिक उपयोग",
        )
    )
)
_LEGAL = re.compile(
    "|".join(
        (
            r"anwaltsgeheimnis|anwaltlich vertraulich|anwaltsprivileg",
            r"(?:gemäß|gemass|gemaess|gem\.|laut|unter|unterliegt|unterliegen|im rahmen|wegen|"
            r"siehe|zur|die|der|unsere[rn]?|diese[rn]?|einer|eine) (?:der |einer |unserer |dieser )?"
            r"(?:geheimhaltungs|verschwiegenheits|vertraulichkeits)vereinbarung",
            r"(?:geheimhaltungs|verschwiegenheits|vertraulichkeits)vereinbarung "
            r"(?:mit|vom|zwischen|unterzeichnet|gilt|beachten)",
            r"ohne präjudiz|ohne prajudiz|ohne praejudiz",
            r"anwaltlich(?:e|er|es)? (?:vertraulich|korrespondenz|verschwiegenheit)|anwaltsgeheimnis",
            r"verschwiegenheitspflicht|dem anwaltsprivileg|anwaltskorrespondenz|mandantengeheimnis",
            r"privil[ée]gi[ée]e? et confidentiel|privilegiat[oa] e riservat[oa]|"
            r"privilegiad[oa] (?:y|e) confidencial|vertrouwelijk en geprivilegieerd|"
            r"anwaltliche beratung|rechtlich privilegiert",
            r"(?:abogado|avvocato|avocat|advogado|advocaat|adwokat|anwalt|rechtsanwalt)"
            r"(?:[- ]|\s(?:e|y|et|en|i|und|and)\s)(?:cliente?|client|cliënt|klient|mandant)",
            r"secret professionnel|couvert par le secret|accord de confidentialité",
            r"sans (?:préjudice|prejudice)|sous (?:toutes|réserve de tous|reserve de tous) (?:réserves|reserves|droits)",
            r"accord de (?:confidentialité|confidentialite|non-divulgation|non divulgation)",
            r"protégé par le secret|protege par le secret|privilège (?:juridique|avocat)|privilege (?:juridique|avocat)",
            r"secreto profesional|privilegio (?:abogado|legal)|acuerdo de confidencialidad",
            r"sin perjuicio|privilegio (?:abogado|legal)|secreto profesional",
            r"acuerdo de (?:confidencialidad|no divulgación|no divulgacion)|bajo (?:nda|acuerdo de confidencialidad)",
            r"segreto professionale|accordo di riservatezza|senza pregiudizio",
            r"accordo di (?:non divulgazione|riservatezza)|coperto da (?:segreto|privilegio)|soggetto a nda",
            r"privilegio (?:legale|forense)|comunicazione riservata (?:tra )?(?:avvocato|legale)",
            r"sigilo (?:profissional|advogado|advogado-cliente|entre advogado)|acordo de confidencialidade",
            r"sem prejuízo|sem prejuizo|privilégio (?:advogado|legal)|privilegio (?:advogado|legal)",
            r"geheimhoudingsovereenkomst|geheimhoudingsplicht|verschoningsrecht|advocaat-cli[eë]nt",
            r"juridisch geprivilegieerd|onder voorbehoud van alle rechten|zonder prejudice|zonder nadelige erkentenis",
            r"tajemnic[ay] (?:adwokack|radcowsk)\w*|umow[ay] o zachowaniu poufności",
            r"umow[aey] o zachowaniu poufnosci|tajemnica zawodowa|objete tajemnic|objęte tajemnic",
            r"秘匿特権|秘密保持契約|守秘義務",
            r"律师.{0,2}客户特权|保密协议|法律特权",
            r"변호사.{0,2}의뢰인 특권|비밀유지\s?계약",
            r"गोपनीयता समझौता|कानूनी विशेषाधिकार",
        )
    )
)
# A health fact: a condition or procedure near a patient or a diagnosis word.
_HEALTH_CUE = re.compile(
    r"\b(?:patient(?:in|en|e)?|paciente|paziente|pacjent|diagnos|diagnost|gediagnosticeerd|"
    r"zdiagnozowan|diagnoz|leidet|souffre|sufre|soffre|sofre|lijdt|cierpi|"
    # sick leave and being under treatment: "ist krankgeschrieben", "suivie pour"
    r"krankgeschrieben|arbeitsunfähig|krankschreibung|suivie? pour|de baja|baja médica|"
    r"arrêt de travail|arrêt maladie|in malattia|ziekgemeld|zwolnienie lekarskie)|"
    r"患者|診断|病人|诊断|确诊|환자|진단|रोगी|मरीज|निदान|医生说|医師|의사|病假|병가|化验结果|"
    r"休職|治療中|치료 중|치료중"
)
_HEALTH_FACT = re.compile(
    r"\b(?:diab[eè]te?s?|cukrzyc|krebs|cáncer|cancro|câncer|kanker|nowotw|"
    r"dépression|depresión|depressão|depressione|depressie|depresj|depression|"
    r"asthme|asma|astma|"
    r"chemotherapie|chimiothérapie|quimioterapia|chemioterapia|chemioterapii|"
    r"schizophrénie|esquizofrenia|schizofrenia|alzheimer|parkinson|"
    r"hypertension|hipertensión|hipertension|ipertensione|hipertensão|hypertensie|"
    r"nadciśnieni|nadcisnieni|hypertonie|sclérose|esclerosis|sklerose|skleros|"
    r"insuffisance cardiaque|insuficiencia cardíaca|scompenso cardiaco|tdah|burn-?out)|"
    r"karzinom|krebs\b|herzinsuffizienz|vorhofflimmern|atriumfibril|abhängigkeit|"
    r"afhankelijkheid|uzależnieni|uzaleznieni|"
    r"糖尿病|高血圧|高血压|うつ病|抑郁|癌|喘息|哮喘|手術|手术|化学療法|化疗|脑梗|脳梗|艾滋|心衰|"
    r"中风|당뇨|고혈압|우울|천식|수술|항암|मधुमेह|कैंसर|अवसाद|उच्च रक्तचाप|"
    r"適応障害|パニック障害|双極性障害|統合失調症|不眠症|うつ|불면증|알코올 의존|공황장애|조현병"
)
_HEALTH_REACH = 100
# A diagnosis word in a question about diagnosing, not about anyone: "¿Cómo se diagnostica?",
# "Jak diagnozuje się", "Wie wird Morbus Crohn diagnostiziert?", "如何诊断", "診断基準".
_HOW_DIAGNOSED = re.compile(
    r"(?:\b(?:se|si) diagnostica|diagnozuje si[eę]|wird [^.?\n]{0,40}diagnostiziert|"
    r"est diagnostiqu[ée]e?|comment diagnostiquer|cómo diagnosticar|como diagnosticar|"
    r"come diagnosticare|hoe wordt [^.?\n]{0,40}gediagnosticeerd|"
    r"如何诊断|怎么诊断|怎样诊断|诊断标准|診断基準|診断方法|진단 기준|어떻게 진단)"
)


def scan(lowered: str) -> Iterator[Hit]:
    """Hits in a lowered text that is not pure ASCII; one per family at most."""
    if m := _CONFIDENTIAL.search(lowered):
        yield "confidential_marker", m.group()
    if m := _LEGAL.search(lowered):
        yield "legal_privilege", m.group()
    covered = 0  # windows never overlap: linear however often a cue recurs
    for cue in _HEALTH_CUE.finditer(lowered):
        if cue.start() < covered:
            continue
        if _HOW_DIAGNOSED.search(lowered, max(0, cue.start() - 48), cue.end() + 12):
            continue
        start = max(covered, cue.start() - _HEALTH_REACH)
        covered = cue.end() + _HEALTH_REACH
        if fact := _HEALTH_FACT.search(lowered, start, covered):
            yield "health", fact.group()
            return
