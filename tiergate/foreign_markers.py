"""Markers, privilege and health facts said in languages other than English.

Run only on text that is not pure ASCII (the words below carry their
language's letters or script, and English prompts then pay nothing). Each
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

_CONFIDENTIAL = re.compile(
    "|".join(
        (
            r"(?:streng|strikt|absolut) vertraulich",
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
            r"社外秘|部外秘|極秘|取扱注意|機密情報|機密文書",
            r"绝密|机密文件|内部资料|仅供内部使用|内部使用",
            r"대외비|극비|내부용|기밀 문서",
            r"गोपनीय|केवल आंतरिक उपयोग",
        )
    )
)
_LEGAL = re.compile(
    "|".join(
        (
            r"anwaltsgeheimnis|anwaltlich vertraulich|anwaltsprivileg",
            r"(?:geheimhaltungs|verschwiegenheits|vertraulichkeits)vereinbarung",
            r"ohne präjudiz",
            r"secret professionnel|couvert par le secret|accord de confidentialité",
            r"sans préjudice",
            r"secreto profesional|privilegio (?:abogado|legal)|acuerdo de confidencialidad",
            r"sin perjuicio",
            r"segreto professionale|accordo di riservatezza|senza pregiudizio",
            r"sigilo (?:profissional|advogado)|acordo de confidencialidade",
            r"geheimhoudingsovereenkomst|verschoningsrecht|advocaat-cliënt",
            r"tajemnic[ay] (?:adwokack|radcowsk)\w*|umow[ay] o zachowaniu poufności",
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
    r"zdiagnozowan|leidet|souffre|sufre|soffre|sofre|lijdt|cierpi)|"
    r"患者|診断|病人|诊断|确诊|환자|진단|रोगी|मरीज|निदान"
)
_HEALTH_FACT = re.compile(
    r"\b(?:diab[eè]te?s?|cukrzyc|krebs|cáncer|cancro|câncer|kanker|nowotw|"
    r"dépression|depresión|depressão|depressione|depressie|depresj|depression|"
    r"asthme|asma|astma|"
    r"chemotherapie|chimiothérapie|quimioterapia|chemioterapia|chemioterapii|"
    r"schizophrénie|esquizofrenia|schizofrenia|alzheimer|parkinson)|"
    r"karzinom|krebs\b|"
    r"糖尿病|高血圧|高血压|うつ病|抑郁症|癌|喘息|哮喘|手術|手术|化学療法|化疗|"
    r"당뇨|고혈압|우울증|천식|수술|항암|मधुमेह|कैंसर|अवसाद|उच्च रक्तचाप"
)
_HEALTH_REACH = 100


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
        start = max(covered, cue.start() - _HEALTH_REACH)
        covered = cue.end() + _HEALTH_REACH
        if fact := _HEALTH_FACT.search(lowered, start, covered):
            yield "health", fact.group()
            return
