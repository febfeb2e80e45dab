"""Samples for the word-and-context kinds, written by the detector's owner from real formats.

Faker supplies names, places and numbers in 15 locales; the sentences around
them are written here, by hand, from how clinical notes, HR records, letters
and legal mail read. This data was written alongside the detector, so it guards
regressions and shows gaps; it is not the independent measurement.

``python tests/detect_own_samples.py`` prints recall per kind and the share of
clean samples that report anything.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from faker import Faker

LOCALES = [
    "en_US",
    "en_GB",
    "en_IN",
    "hi_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "ja_JP",
    "ko_KR",
    "zh_CN",
]

DISEASES = (
    "type 2 diabetes",
    "hypertension",
    "COPD",
    "asthma",
    "rheumatoid arthritis",
    "lupus",
    "multiple sclerosis",
    "Parkinson's disease",
    "major depressive disorder",
    "generalized anxiety disorder",
    "bipolar disorder",
    "schizophrenia",
    "PTSD",
    "hepatitis C",
    "HIV",
    "tuberculosis",
    "pneumonia",
    "breast cancer",
    "prostate cancer",
    "non-Hodgkin lymphoma",
    "acute myeloid leukemia",
    "glioblastoma",
    "atrial fibrillation",
    "congestive heart failure",
    "coronary artery disease",
    "chronic kidney disease",
    "ulcerative colitis",
    "Crohn's disease",
    "celiac disease",
    "hypothyroidism",
    "psoriasis",
    "endometriosis",
    "polycystic ovary syndrome",
    "sleep apnea",
    "osteoarthritis",
    "gout",
    "migraine",
    "epilepsy",
    "dementia",
    "Alzheimer's disease",
    "anorexia nervosa",
    "obsessive-compulsive disorder",
    "deep vein thrombosis",
    "pulmonary embolism",
    "Lyme disease",
    "shingles",
    "sepsis",
    "anemia",
    "osteoporosis",
    "glaucoma",
    "macular degeneration",
    "cystic fibrosis",
    "sickle cell disease",
    "hemophilia",
    "pancreatic cancer",
    "colorectal cancer",
    "ovarian cancer",
    "melanoma",
    "stroke",
    "myocardial infarction",
    "hyperlipidemia",
    "fatty liver disease",
    "cirrhosis",
    "kidney stones",
    "irritable bowel syndrome",
    "fibromyalgia",
    "chronic fatigue syndrome",
    "autism spectrum disorder",
    "ADHD",
    "alcohol use disorder",
    "opioid dependence",
    "gestational diabetes",
    "preeclampsia",
    "scoliosis",
    "herniated disc",
    "tinnitus",
    "cataracts",
    "diverticulitis",
    "gallstones",
    "pericarditis",
    "bronchiectasis",
    "sarcoidosis",
    "vitiligo",
    "rosacea",
    "hidradenitis suppurativa",
    "long COVID",
    "mononucleosis",
    "meningitis",
    "thyroid cancer",
    "lung cancer",
    "bladder cancer",
)
PROCEDURES = (
    "a colonoscopy",
    "an MRI of the lumbar spine",
    "a CT scan of the chest",
    "a knee arthroscopy",
    "a total hip replacement",
    "coronary bypass surgery",
    "an appendectomy",
    "a cholecystectomy",
    "a mastectomy",
    "chemotherapy",
    "radiation therapy",
    "dialysis",
    "an angioplasty",
    "a cardiac catheterization",
    "a hysterectomy",
    "a tonsillectomy",
    "cataract surgery",
    "a lumbar puncture",
    "an endoscopy",
    "a biopsy of the left breast",
    "a PET scan",
    "an echocardiogram",
    "a spinal fusion",
    "physiotherapy",
    "cognitive behavioural therapy",
    "a bone marrow transplant",
    "a kidney transplant",
    "IVF treatment",
    "a C-section",
    "an EEG",
    "a mammogram",
    "a stress test",
    "electroconvulsive therapy",
    "a vasectomy",
    "LASIK surgery",
    "rotator cuff repair",
    "a pacemaker implantation",
    "an ablation",
    "a bronchoscopy",
    "an ultrasound of the abdomen",
    "a carpal tunnel release",
)
MEDS = (
    "metformin 500 mg",
    "lisinopril 10 mg",
    "atorvastatin 20 mg",
    "sertraline 50 mg",
    "levothyroxine 75 mcg",
    "amlodipine 5 mg",
    "omeprazole 20 mg",
    "insulin glargine 20 units",
    "prednisone 40 mg",
    "warfarin 5 mg",
    "gabapentin 300 mg",
    "quetiapine 100 mg",
)
ICD = (
    "E11.9",
    "I10",
    "J45.909",
    "F32.1",
    "C50.911",
    "M54.5",
    "K50.90",
    "F41.1",
    "N18.3",
    "G40.909",
)


def _dob(f: Faker, rng: random.Random) -> str:
    d = f.date_of_birth(minimum_age=18, maximum_age=90)
    loc = f.locales[0] if hasattr(f, "locales") else "en_US"
    month_names = {
        "en": "January February March April May June July August September October November December",
        "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
        "nl": "januari februari maart april mei juni juli augustus september oktober november december",
        "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
        "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    }
    lang = loc[:2]
    forms: list[Callable[[date], str]] = [
        lambda d: d.strftime("%d-%m-%Y"),
        lambda d: d.strftime("%d.%m.%Y"),
        lambda d: d.strftime("%d/%m/%Y"),
        lambda d: d.strftime("%Y-%m-%d"),
        lambda d: d.strftime("%Y/%m/%d"),
        lambda d: d.strftime("%m/%d/%Y"),
    ]
    if lang in month_names:
        names = month_names[lang].split()
        forms.append(lambda d: f"{d.day} {names[d.month - 1]} {d.year}")
        if lang == "en":
            forms.append(lambda d: f"{names[d.month - 1]} {d.day}, {d.year}")
            forms.append(lambda d: f"{d.day} {names[d.month - 1][:3]} {d.year}")
        if lang in ("es", "pt"):
            forms.append(lambda d: f"{d.day} de {names[d.month - 1]} de {d.year}")
        if lang == "de":
            forms.append(lambda d: f"{d.day}. {names[d.month - 1]} {d.year}")
    if lang == "ja" or lang == "zh":
        forms.append(lambda d: f"{d.year}年{d.month}月{d.day}日")
    if lang == "ko":
        forms.append(lambda d: f"{d.year}년 {d.month}월 {d.day}일")
    return rng.choice(forms)(d)


DOB_TEMPLATES = (
    "{name} was born on {dob}.",
    "{name} (born {dob}) joined the team in March.",
    "Patient: {name}, DOB: {dob}",
    "name: {name}\ndob: {dob}\ncity: {city}",
    "{name} | {dob} | {city}",
    "Employee {name}, date of birth {dob}, starts Monday.",
    "Please verify: {name}, b. {dob}",
    "Name | Date of birth\n{name} | {dob}",
    "{name}, geboren am {dob} in {city}",
    "{name}, née le {dob} à {city}",
    "{name}, nacido el {dob} en {city}",
    "{name}, nato il {dob} a {city}",
    "{name}, urodzony {dob} w {city}",
    "{name}, nascido em {dob}",
    "{name}, geboren op {dob} te {city}",
    "氏名: {name} 生年月日: {dob}",
    "姓名\uff1a{name}\uff0c出生日期\uff1a{dob}",
    "이름: {name}, 생년월일: {dob}",
    "नाम: {name}, जन्म तिथि: {dob}",
    "{name} DOB {dob}",
    "Birthdate: {dob} - {name}",
    "{name}'s birthday is {dob}",
    "Geburtsdatum: {dob}, Name: {name}",
    "Date de naissance : {dob} ({name})",
    "Fecha de nacimiento: {dob}. Nombre: {name}",
    "Data di nascita: {dob} - {name}",
    "Data urodzenia: {dob}, {name}",
    "Data de nascimento: {dob} — {name}",
    "Geboortedatum: {dob}, {name}",
    "{name}, D.O.B. {dob}, MRN pending",
    "Insured: {name}; Birth date: {dob}",
)

HEALTH_TEMPLATES = (
    "{name} was diagnosed with {disease} last year.",
    "{name} suffers from {disease}.",
    "Patient {name} has a history of {disease} and {disease2}.",
    "Referral letter: {name} presents with symptoms consistent with {disease}.",
    "Clinical note - {name}\nAssessment: {disease}\nPlan: follow up in 4 weeks",
    "Dear Dr. {last}, I am referring {name} for {procedure}.",
    "{name} underwent {procedure} on {when}.",
    "{name} is scheduled for {procedure} next Tuesday.",
    "Reminder: {name}, your appointment for {procedure} is on {when} at 9:30.",
    "Claim for {name}: {procedure}, diagnosis code {icd}.",
    "{name} has been taking {med} twice daily.",
    "Conditions: {disease}; {disease2}. Patient: {name}",
    "{name} was admitted with {disease}.",
    "{name} is being treated for {disease}.",
    "Problem list for {name}: {disease}, {disease2}",
    "ICD-10 {icd} - {name}",
    "{name} tested positive for {disease}.",
    "Diagnosis: {disease} ({name}, seen {when})",
    "{name} has {disease} and needs time off.",
    "My mother {name} was recently diagnosed with {disease}.",
    "{name} recovering from {procedure}, discharged {when}.",
    "Insurance claim: insured {name}, treatment: {procedure}",
    "{name}'s MRI showed {disease}.",
    "{name} is living with {disease}.",
    "Patient {name} - dx {disease}",
    "{name} leidet an {disease}.",
    "{name} souffre de {disease}.",
    "{name} padece {disease}.",
    "患者 {name} は{disease}と診断されました。",
)

ADDRESS_TEMPLATES = (
    "{name}\n{address}",
    "Ship to {name}, {address_line}",
    "{name} lives at {address_line}.",
    "Address of {name}: {address_line}",
    "Please send the contract to {name} at {address_line}.",
    "name: {name}\naddress: {address_line}",
)

LEGAL = (
    "ATTORNEY-CLIENT PRIVILEGED COMMUNICATION",
    "Privileged & Confidential - prepared at the request of counsel",
    "Attorney work product. Do not forward.",
    "This memo was prepared at the request of counsel in anticipation of litigation.",
    "LEGAL HOLD NOTICE: preserve all documents related to Project {word}.",
    "Without prejudice - settlement proposal for {name}",
    "Settlement communication - inadmissible under FRE 408",
    "Shared under NDA with {name}.",
    "This document is subject to the NDA signed on {when}.",
    "Confidential settlement discussions with {name}",
    "Privileged and confidential: legal advice regarding {name}",
    "Anwaltlich vertraulich - nur fuer {name}",
    "Vertraulich - unterliegt der Geheimhaltungsvereinbarung",
    "Vertrouwelijk en juridisch geprivilegieerd",
    "Riservato - coperto da segreto professionale",
    "Confidencial - privilegio abogado-cliente",
    "Sous reserve de tous droits - sans prejudice",
    "Tajemnica adwokacka - poufne",
    "Sigilo advogado-cliente - confidencial",
    "Under legal privilege, do not share with {name}.",
    "Covered by a non-disclosure agreement between us and {name}.",
    "Litigation hold: do not delete emails from {name}.",
    "Subject to legal professional privilege",
    "This is a without prejudice offer to {name}.",
    "Per our NDA, please keep the pricing private.",
    "Bajo acuerdo de confidencialidad con {name}",
    "Soggetto a NDA - non divulgare",
    "Objet : accord de confidentialite avec {name}",
    "Umowa o zachowaniu poufnosci z {name}",
    "Geheimhaltungsvereinbarung mit {name} vom {when}",
)

CONFIDENTIAL = (
    "CONFIDENTIAL - Q3 forecast for {name}",
    "Internal only: roadmap draft",
    "Do not distribute. Prepared for {name}.",
    "Not for external distribution",
    "Proprietary information of {company}",
    "Company confidential - salary bands",
    "Streng vertraulich: Gehaltsliste",
    "Vertraulich - Quartalszahlen fuer {name}",
    "Confidentiel - budget 2025",
    "Document confidentiel, ne pas diffuser",
    "Riservato: piano commerciale",
    "Documento riservato per {name}",
    "Vertrouwelijk - alleen voor intern gebruik",
    "Poufne - tylko do uzytku wewnetrznego",
    "Confidencial: plan de ventas",
    "Documento confidencial de {company}",
    "社外秘 営業資料",
    "機密 プロジェクト概要",
    "대외비 보고서",
    "机密\uff1a季度报告",
    "内部资料\uff0c请勿外传",
    "For internal use only - {company}",
    "Sensitive - internal distribution only",
    "Highly confidential: acquisition target list",
    "Classification: Confidential",
    "This email and any attachments are confidential and intended solely for {name}.",
    "Confidential and proprietary to {company}",
    "Internal use only. Not to be shared outside {company}.",
    "Please keep this confidential until the announcement.",
    "Restricted - internal",
)

NEGATIVES = (
    "Run pip install requests==2.31.0 and retry.",
    "The OID 1.3.6.1.4.1.2021.10.1.3.1 returns load averages.",
    "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "UUID 123e4567-e89b-12d3-a456-426614174000 was assigned.",
    "2024-03-15T10:22:31Z INFO worker started pid=4412",
    "ISBN 978-3-16-148410-0",
    "Order #10023344 shipped on 2024-05-02.",
    "class ClientConfidential:\n    client_confidential = True",
    "The diabetes dataset in scikit-learn has 442 samples.",
    "Our ML model predicts cancer from images; accuracy is 94%.",
    "This article explains how hypertension is measured.",
    "def born_on(date): return date.year",
    "The patient object in the FHIR spec holds a birthDate field.",
    "Python 3.12 was released on 2 October 2023.",
    "Confidential computing protects data in use.",
    "An NDA is a contract; here is how to draft one.",
    "Street Fighter 2 was released in 1991.",
    "Version 10.2.3 build 4455 of the firmware.",
    "The API returns 404 when the resource at /v1/users/42 is missing.",
    "Meeting on 12.03.2024 at 10:00 in room 4.",
    "Release date: 2023-07-01. Supported until 2026-06-30.",
    "Debian 12 bookworm ships with Linux 6.1.",
    "Use --legal-hold flag to enable S3 object lock.",
    "The procedure call returns the MRI scanner status code 2.",
    "We scheduled the migration for Tuesday; the surgery on the codebase is big.",
    "The chemo module in the simulator models cell growth.",
    "git commit -m 'fix: handle proprietary license headers'",
    "Our company was founded on 5 May 1999 in Berlin.",
    "Apple Park, 1 Apple Park Way, is the HQ.",
    "Section 4.2.1 describes the protocol in 3 steps.",
    "See RFC 7231 section 6.5.1 for details.",
    "The stroke width is 2px and the cancer icon is red.",
    "x = np.random.normal(0, 1, 1000)",
    "Born to run: a tutorial on process supervision.",
    "The legal department approved the logo.",
    "Internal server error: the internal buffer overflowed.",
    "Virus scan completed: 0 threats found.",
)


def samples(seed: int = 7, per_kind: int = 300) -> dict[str, list[str]]:
    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    out: dict[str, list[str]] = {
        k: []
        for k in (
            "date_of_birth",
            "health",
            "street_address",
            "legal_privilege",
            "confidential_marker",
            "national_id",
            "email",
        )
    }
    for _ in range(per_kind):
        loc = rng.choice(LOCALES)
        f = fakers[loc]
        name = f.name()
        fields = {
            "name": name,
            "last": f.last_name(),
            "city": f.city(),
            "dob": _dob(f, rng),
            "disease": rng.choice(DISEASES),
            "disease2": rng.choice(DISEASES),
            "procedure": rng.choice(PROCEDURES),
            "med": rng.choice(MEDS),
            "icd": rng.choice(ICD),
            "when": f.date_this_year().strftime(rng.choice(("%d/%m/%Y", "%B %d", "%Y-%m-%d"))),
            "word": f.word(),
            "company": f.company(),
        }
        address = f.address()
        fields["address"] = address
        fields["address_line"] = address.replace("\n", ", ")
        out["date_of_birth"].append(rng.choice(DOB_TEMPLATES).format(**fields))
        out["health"].append(rng.choice(HEALTH_TEMPLATES).format(**fields))
        out["street_address"].append(rng.choice(ADDRESS_TEMPLATES).format(**fields))
        out["legal_privilege"].append(rng.choice(LEGAL).format(**fields))
        out["confidential_marker"].append(rng.choice(CONFIDENTIAL).format(**fields))
        out["national_id"].append(_national_id(rng, fakers, name))
        out["email"].append(_spelled_email(rng, f, name))
    return out


def _national_id(rng: random.Random, fakers: dict[str, Faker], name: str) -> str:
    which = rng.choice(("rvnr", "nuss", "rg", "jp", "aadhaar", "bsn", "de_pass"))
    if which == "rvnr":
        n = fakers["de_DE"].rvnr()
        n = rng.choice((n, f"{n[:2]} {n[2:8]} {n[8]} {n[9:]}"))
        word = rng.choice(
            ("Rentenversicherungsnummer", "Sozialversicherungsnummer", "RV-Nummer", "SV-Nr.")
        )
        return f"{name}, {word}: {n}"
    if which == "nuss":
        n = fakers["es_ES"].nuss()
        n = rng.choice((n, f"{n[:2]}/{n[2:10]}/{n[10:]}", f"{n[:2]} {n[2:10]} {n[10:]}"))
        word = rng.choice(
            ("NUSS", "número de la Seguridad Social", "Nº Seguridad Social", "número de afiliación")
        )
        return f"{name} - {word} {n}"
    if which == "rg":
        d = fakers["pt_BR"].rg()
        n = rng.choice((d, f"{d[:2]}.{d[2:5]}.{d[5:8]}-{d[8:]}"))
        return f"{name}, RG {n}, CPF em anexo"
    if which == "jp":
        n = "".join(rng.choice("ABCDEFGHJKLMNPRTZ") for _ in range(2)) + str(
            rng.randint(1000000, 9999999)
        )
        word = rng.choice(("旅券番号", "パスポート番号", "passport no.", "Passport Number"))
        return f"{name} {word}: {n}"
    if which == "aadhaar":
        n = fakers["en_IN"].aadhaar_id()
        n = rng.choice((n, f"{n[:4]} {n[4:8]} {n[8:]}", f"{n[:4]}-{n[4:8]}-{n[8:]}"))
        word = rng.choice(("Aadhaar", "Aadhaar No.", "UID", "आधार संख्या", "Aadhar card"))
        return f"{name}, {word}: {n}"
    if which == "bsn":
        n = fakers["nl_NL"].ssn()
        word = rng.choice(("BSN", "burgerservicenummer", "BSN-nummer", "sofinummer"))
        return f"{name}, {word} {n}"
    n = rng.choice("CFGHJK") + "".join(rng.choice("CFGHJKLMNPRTVWXYZ0123456789") for _ in range(8))
    word = rng.choice(("Reisepassnummer", "Passnummer", "Reisepass-Nr.", "passport number"))
    return f"{name}, {word}: {n}"


def _spelled_email(rng: random.Random, f: Faker, name: str) -> str:
    user = f.user_name()
    domain = f.free_email_domain()
    host, _, tld = domain.rpartition(".")
    forms = (
        f"{user} at {host} dot {tld}",
        f"{user} [at] {host} [dot] {tld}",
        f"{user}(at){host}(dot){tld}",
        f"{user} AT {host} DOT {tld}",
        f"{user} {{at}} {host} {{dot}} {tld}",
        f"{user} [at] {domain}",
        f"{user} arroba {host} punto {tld}",
        f"{user} arobase {host} point {tld}",
        f"{user} at {host} punkt {tld}",
        f"{user} (at) {host} (dot) {tld}",
        f"{user}@{host} dot {tld}",
        f"{user} chez {host} point {tld}",
        f"{user} bei {host} punkt {tld}",
        f"{user} @ {host} . {tld}",
        f"{user}[@]{domain}",
        f"{user} at {domain}",
    )
    return f"Write to {name}: {rng.choice(forms)}"


def main() -> None:
    from tiergate.detect import Detector

    detector = Detector()
    for kind, texts in samples().items():
        missed = [t for t in texts if kind not in detector.scan([t]).kinds]
        print(f"{kind:22s} recall {1 - len(missed) / len(texts):6.1%}  ({len(texts)})")
        for t in missed[:8]:
            print("    miss:", repr(t)[:150])
    noisy = [t for t in NEGATIVES if detector.scan([t]).kinds]
    print(f"negatives flagged {len(noisy)}/{len(NEGATIVES)}")
    for t in noisy:
        print("    fp:", detector.scan([t]).kinds, repr(t)[:120])


if __name__ == "__main__":
    main()
