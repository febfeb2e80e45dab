"""kind health_heldout (need hipaa): a specific person together with their health information.

Each template is `fn(w, locale) -> (text, variant)`; HEALTH lists (name, locales, fn).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.corpus_heldout import pools
from tests.corpus_heldout.people import Writer

EN = ("en_US", "en_GB", "en_IN")
Fn = Callable[[Writer, str], tuple[str, str]]

_COND_WORDS = {  # everyday words for what a drug is taken for
    "sertraline": "depression",
    "quetiapine": "bipolar",
    "lithium": "bipolar disorder",
    "methadone": "opioid addiction, {he} says {he}'s been clean a year",
    "insulin": "type 1 diabetes",
    "metformin": "diabetes",
    "tamoxifen": "breast cancer",
    "apixaban": "a blood clot in {his} lung",
}


def chat_colleague(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    key = w.choice(tuple(_COND_WORDS))
    name, dose, variant = w.drug("en", (key,))
    why = _COND_WORDS[key].format(**p.pron())
    who = w.choice([p.first, p.full, f"{p.first} from accounts"])
    pr = p.pron()
    text = w.choice(
        [
            f"My colleague {who} told me {pr['he']} is on {name} {dose} for {why}. How do I support {pr['him']} at work without making it weird?",
            f"so {who} (my teammate) just confided that {pr['he']} takes {name} for {why}. any tips on what NOT to say?",
            f"Quick question - {who} on my team is taking {name} for {why} and seems really tired lately. Is that a normal side effect? Should I say something to {pr['him']}?",
        ]
    )
    return text, variant


_SUBJ = {
    "mental_health": "low mood for 2 months, poor sleep, anhedonia. Denies SI.",
    "substance_use": "requesting help to cut down; morning tremor.",
    "hiv": "f/u after positive screen, no symptoms.",
    "sti": "dysuria and discharge x5 days.",
    "disability": "increased fatigue, worse walking distance.",
    "pregnancy": "routine antenatal review, polyuria.",
    "diagnosis": "tired, thirsty, 4 kg weight loss over 3 months.",
}


def soap_note(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("en")
    drug, dose, _ = w.drug_for("en", variant)
    bp = f"{w.rng.randint(110, 175)}/{w.rng.randint(65, 105)}"
    text = (
        f"SOAP - {p.full}, {p.age}{p.pron()['sex']}, DOB {w.dob(p, loc)}\n"
        f"S: {_SUBJ.get(variant, _SUBJ['diagnosis'])}\n"
        f"O: BP {bp}, HR {w.rng.randint(58, 112)}. {w.lab('en')}\n"
        f"A: {cond} ({icd})\n"
        f"P: {drug} {dose} {w.freq('en')}, review in 4 weeks"
    )
    return text, variant


def discharge_letter(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("en")
    drug, dose, _ = w.drug_for("en", variant)
    gp = w.faker(loc).last_name()
    pr = p.pron()
    ident = (
        f"NHS No {w.digits(3)} {w.digits(3)} {w.digits(4)}"
        if loc == "en_GB"
        else f"MRN {w.digits(7)}"
    )
    text = (
        f"Dear Dr {gp},\nRe: {p.title('en')} {p.full}, DOB {w.dob(p, loc)}, {ident}\n"
        f"{pr['He']} was admitted on {w.recent(loc, 60)} with {cond}. "
        f"{pr['He']} was discharged on {drug} {dose} {w.freq('en')}. "
        f"Please repeat bloods in one week; last {w.lab('en')}."
    )
    return text, variant


def referral_letter(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("en", ("diagnosis", "disability"))
    drug, dose, _ = w.drug_for("en", variant)
    pr = p.pron()
    text = (
        f"I would be grateful if you could see {p.full} (born {w.dob(p, loc)}), a {p.age}-year-old "
        f"with a six-month history suggestive of {cond}. {pr['His']} current medication is {drug} {dose}. "
        f"{w.lab('en')} last week. Many thanks."
    )
    return text, variant


def insurance_claim(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    a = w.cond("en")
    b = w.cond("en")
    proc = w.proc("en")
    with_desc = w.rng.random() < 0.5
    dx = f"{a[0]} {a[1]}; {b[0]} {b[1]}" if with_desc else f"{a[0]}, {b[0]}"
    text = (
        f"CLAIM FORM\nMember name: {p.full}\nMember ID: {w.faker(loc).bothify('??#######').upper()}\n"
        f"Date of service: {w.recent(loc)}\nDiagnosis code(s): {dx}\n"
        f"Procedure: {proc}\nAmount billed: {w.rng.randint(300, 24000)}.00"
    )
    return text, "icd10" if with_desc else "icd10_code_only"


def hr_absence(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    proc = w.proc("en")
    pr = p.pron()
    n = w.rng.randint(2, 10)
    text = w.choice(
        [
            f"Hi team, heads up that {p.full} will be off from {w.recent(loc, 20)} for about {n} weeks after {pr['his']} {proc}. {pr['He']} asked us to keep it low-key. Can you draft a cover plan?",
            f"Absence record\nEmployee: {p.full}\nReason: {proc}\nExpected return: in {n} weeks\nPhased return recommended by occupational health.",
        ]
    )
    variant = "pregnancy" if "pregnancy" in proc or "caesarean" in proc else "procedure"
    return text, variant


def csv_rows(w: Writer, loc: str) -> tuple[str, str]:
    header = w.choice(
        [
            "name,dob,diagnosis",
            "patient_name;birth_date;icd10;description",
            "Patient,DOB,Dx,Medication",
        ]
    )
    rows = [header]
    for _ in range(w.rng.randint(2, 4)):
        p = w.person(loc)
        icd, cond, _ = w.cond("en")
        d = w.dob(p, loc).replace(",", "")
        if header.startswith("patient_name"):
            rows.append(f"{p.full};{d};{icd};{cond}")
        elif header.startswith("Patient"):
            drug, dose, _ = w.drug("en")
            rows.append(f'"{p.last}, {p.first}",{d},{icd},{drug} {dose}')
        else:
            rows.append(f'{p.full},{d},"{cond}"')
    prompt = w.choice(
        ["", "Clean up this export and sort by diagnosis:\n", "Which of these need a follow-up?\n"]
    )
    return prompt + "\n".join(rows), "csv"


def json_record(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("en")
    drug, dose, _ = w.drug_for("en", variant)
    rec = {
        "patient": {"name": p.full, "mrn": w.digits(8), "birthDate": p.dob.isoformat()},
        "encounter": {"date": w.recent(loc), "diagnoses": [{"code": icd}]},
        "medications": [f"{drug} {dose}"],
    }
    if w.rng.random() < 0.5:
        rec["encounter"]["diagnoses"][0]["display"] = cond
    prefix = w.choice(["Convert this to a FHIR Bundle:\n", "Why does this fail validation?\n", ""])
    return prefix + json.dumps(rec, ensure_ascii=False), "json"


def nurse_handover(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=55)
    _icd, cond, _ = w.cond("en", ("diagnosis",))
    text = (
        f"Bed {w.rng.randint(1, 28)}: {p.title('en')} {p.last}, {p.age}, day {w.rng.randint(1, 4)} post {w.proc('en')}. "
        f"Obs stable, pain controlled with oxycodone 5 mg PRN. PMH {cond}. "
        f"Allergic to {w.choice(pools.ALLERGY_EN)}. Daughter visiting at 3."
    )
    return text, "surname_title"


def pharmacy_label(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    drug, dose, variant = w.drug("en")
    doc = w.faker(loc).last_name()
    text = (
        f"{p.full.upper()}\n{drug.upper()} {dose} TABLETS  x{w.choice([28, 30, 56, 90])}\n"
        f"Take ONE tablet {w.freq('en')}\nDr {doc}   Rx {w.digits(7)}   {w.recent(loc, 30)}"
    )
    return text, variant


def lab_surname(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=40)
    lab = w.lab("en")
    text = w.choice(
        [
            f"{p.title('en')} {p.last}'s {lab} this morning, up from last month. Do I call the GP now or wait for Friday's clinic?",
            f"Can you help me explain to {p.title('en')} {p.last} what {lab} means? {p.pron()['He']}'s quite anxious about it.",
        ]
    )
    return text, "lab"


_MRI = [
    "multiple white matter lesions consistent with MS",
    "a 3 cm mass in the left temporal lobe",
    "a full-thickness ACL tear",
    "a herniated disc at L5/S1 pressing on the nerve",
    "an old small-vessel stroke",
]


def first_name_mri(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    drug, _dose, _ = w.drug("en", ("prednisolone", "apixaban"))
    text = w.choice(
        [
            f"{p.first}'s MRI showed {w.choice(_MRI)}. The neurologist wants to start {drug}. What should we ask at the next appointment?",
            f"{p.first} got the MRI results back: {w.choice(_MRI)}. {p.pron()['He']}'s scared. How do I explain it simply?",
        ]
    )
    return text, "first_name_only"


def initials_dob(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, _variant = w.cond("en")
    text = (
        f"Pt {p.initials}, DOB {w.dob(p, loc)}, presented to ED with chest tightness. "
        f"Hx {cond}. {w.lab('en')}. Admitted under medicine."
    )
    return text, "initials_dob"


def mrn_condition(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("en")
    drug, dose, _ = w.drug_for("en", variant)
    text = (
        f"MRN {w.digits(8)} - {p.age}{p.pron()['sex']} with known {cond} on {drug} {dose}. "
        f"Please summarise for the MDT on {w.recent(loc, 10)}."
    )
    return text, "mrn"


def pregnancy_manager(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, max_age=42, female=True)
    n = w.rng.randint(6, 30)
    text = w.choice(
        [
            f"Can you help me write an email to HR? {p.full} on my team told me she's {n} weeks pregnant and has bad hyperemesis, so she needs flexible hours.",
            f"{p.full} - G2P1, {n}/40, booking bloods normal, GTT booked for next week. Midwife led care.",
            f"{p.first} {p.last} is expecting (due in {40 - n if n < 40 else 1} weeks) and asked not to do night shifts any more. How should I reply?",
        ]
    )
    return text, "pregnancy"


def substance_detox(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = w.choice(
        [
            f"Admission: {p.full} ({p.age}), DOB {w.dob(p, loc)}, alcohol withdrawal. ~{w.rng.randint(20, 60)} units/day, last drink 18h ago, CIWA-Ar {w.rng.randint(10, 25)}. Started chlordiazepoxide reducing regime.",
            f"{p.full} is on the methadone programme, {w.choice(['60', '75', '90'])} mg supervised daily, and had a positive urine screen for cocaine yesterday.",
        ]
    )
    return text, "substance_use"


def hiv_clinic(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = w.choice(
        [
            f"{p.full} - new HIV-1 diagnosis, CD4 {w.rng.randint(90, 600)}, VL {w.rng.randint(2, 900)},000 copies/mL. Started Biktarvy on {w.recent(loc, 20)}. Partner notification discussed.",
            f"Letter for {p.title('en')} {p.last}: your HIV viral load is now undetectable (<50 copies) on Triumeq. Next review in 6 months.",
        ]
    )
    return text, "hiv"


def sti_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, max_age=45)
    sti = w.choice(["chlamydia", "gonorrhoea", "syphilis", "herpes", "trichomoniasis"])
    pr = p.pron()
    text = (
        f"ok this is awkward but my ex {p.full} just texted that {pr['he']} tested positive for {sti}. "
        f"We broke up in {w.choice(pools.MONTHS['en'])}. Should I get tested and what do I tell my new partner?"
    )
    return text, "sti"


def disability_adjustment(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    needs = w.choice(
        [
            "uses a wheelchair and needs a desk near the lift",
            "is registered blind and needs screen-reader software",
            "has severe hearing loss and needs captioned meetings",
            "has fatigue and needs to work from home two days a week",
        ]
    )
    _icd, cond, _ = w.cond("en", ("disability",))
    pr = p.pron()
    text = (
        f"Reasonable adjustment request for {p.full} (employee no. {w.digits(6)}). {pr['He']} has {cond} and {needs}. "
        f"Occupational health supports this. Please draft the approval letter."
    )
    return text, "disability"


def allergy_alert(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"ALERT: {p.full}, born {w.dob(p, loc)} - severe allergy to {w.choice(pools.ALLERGY_EN)}. "
        f"Do not prescribe without checking with the allergy team."
    )
    return text, "allergy"


def self_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, _variant = w.cond("en")
    text = w.choice(
        [
            f"Hi, I'm {p.full} ({p.age}, born {w.dob(p, loc)}). Got my results today: {w.lab('en')}. The doctor said it might be {cond}. What does that mean for me?",
            f"My name is {p.full}, DOB {w.dob(p, loc)}. Please write a letter to my insurer explaining that I was diagnosed with {cond} ({icd}) and need the medication covered.",
        ]
    )
    return text, "self_disclosure"


def school_note(w: Writer, loc: str) -> tuple[str, str]:
    c = w.child(loc)
    teacher = w.faker(loc).last_name()
    pr = c.pron()
    text = w.choice(
        [
            f"Dear Ms {teacher}, {c.full} in class 4B has type 1 diabetes and wears an insulin pump. If {pr['his']} glucose is below 4 please give 3 glucose tablets and call me.",
            f"Note for the school trip: {c.first} {c.last} (age {c.age}) has ADHD and takes methylphenidate 18 mg every morning - please make sure {pr['he']} has breakfast first.",
            f"{c.full}, year {w.rng.randint(2, 9)}, has a severe nut allergy and carries two EpiPens in {pr['his']} bag.",
        ]
    )
    return text, "child"


def prior_auth(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Summarise this pre-authorisation: Member {p.full}, ID {w.faker(loc).bothify('???######').upper()}, "
        f"requesting MRI lumbar spine. Dx M54.16 radiculopathy, lumbar region. "
        f"Failed 6 weeks of physiotherapy and naproxen 500 mg BD."
    )
    return text, "icd10"


def fit_note(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("en", ("diagnosis", "mental_health"))
    text = (
        f"Statement of fitness for work\nPatient: {p.title('en')} {p.full}\nAssessed on: {w.recent(loc, 14)}\n"
        f"Condition: {cond}\nNot fit for work for {w.rng.randint(1, 8)} weeks."
    )
    return text, variant


def support_ticket(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    drug, dose, _ = w.drug("en", ("insulin",))
    pr = p.pron()
    text = (
        f"Ticket #{w.digits(6)}: customer {p.full} says the app deleted {pr['his']} glucose readings from last week. "
        f"{pr['He']} is type 1 diabetic on {drug} {dose} and needs them for {pr['his']} endo appointment. Please escalate."
    )
    return text, "diagnosis"


def caregiver_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=70, mix=False)
    rel = "mum" if p.female else "dad"
    text = (
        f"My {rel}, {p.full}, is {p.age} and has {w.choice(['Alzheimer', 'vascular dementia', 'Parkinson disease'])}. "
        f"{p.pron()['He']} takes donepezil 10 mg at night and keeps getting up at 3am confused. Any tips?"
    )
    return text, "diagnosis"


def icd_line(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    a, b = w.cond("en"), w.cond("en")
    return f"{p.full} | {w.dob(p, loc)} | {a[0]} | {b[0]}", "icd10_code_only"


def therapy_note(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Session {w.rng.randint(2, 14)} with {p.first} {p.last}: discussed panic attacks at work. "
        f"PHQ-9 {w.rng.randint(10, 24)}, GAD-7 {w.rng.randint(8, 20)}. No current suicidal ideation. "
        f"Homework: thought record."
    )
    return text, "mental_health"


def safeguarding(w: Writer, loc: str) -> tuple[str, str]:
    c = w.person(loc, min_age=13, max_age=17, mix=False)
    text = (
        f"Safeguarding log: {c.full}, Year {w.rng.randint(8, 12)}, disclosed self-harm (superficial cuts to forearm) "
        f"to form tutor on {w.recent(loc, 5)}. Parents informed, CAMHS referral made."
    )
    return text, "mental_health"


def dental_chart(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Dental notes - {p.full}: UR6 root canal completed, LL8 extraction planned. "
        f"Pt on warfarin, INR {w.rng.randint(20, 35) / 10} on the day. Hep C positive."
    )
    return text, "procedure"


def genetics(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, max_age=60)
    text = w.choice(
        [
            f"{p.full} carries a pathogenic BRCA1 variant (c.68_69delAG). Discussed risk-reducing mastectomy and annual MRI.",
            f"Genetic counselling summary for {p.full}: heterozygous for the HFE C282Y variant, ferritin 980.",
        ]
    )
    return text, "genetic"


HEALTH_EN: list[tuple[str, tuple[str, ...], Fn]] = [
    ("chat_colleague", EN, chat_colleague),
    ("soap_note", EN, soap_note),
    ("discharge_letter", EN, discharge_letter),
    ("referral_letter", EN, referral_letter),
    ("insurance_claim", EN, insurance_claim),
    ("hr_absence", EN, hr_absence),
    ("csv_rows", EN, csv_rows),
    ("json_record", EN, json_record),
    ("nurse_handover", EN, nurse_handover),
    ("pharmacy_label", EN, pharmacy_label),
    ("lab_surname", EN, lab_surname),
    ("first_name_mri", EN, first_name_mri),
    ("initials_dob", EN, initials_dob),
    ("mrn_condition", EN, mrn_condition),
    ("pregnancy", EN, pregnancy_manager),
    ("substance_use", EN, substance_detox),
    ("hiv_clinic", EN, hiv_clinic),
    ("sti_chat", EN, sti_chat),
    ("disability_adjustment", EN, disability_adjustment),
    ("allergy_alert", EN, allergy_alert),
    ("self_chat", EN, self_chat),
    ("school_note", EN, school_note),
    ("prior_auth", EN, prior_auth),
    ("fit_note", EN, fit_note),
    ("support_ticket", EN, support_ticket),
    ("caregiver_chat", EN, caregiver_chat),
    ("icd_line", EN, icd_line),
    ("therapy_note", EN, therapy_note),
    ("safeguarding", EN, safeguarding),
    ("dental_chart", EN, dental_chart),
    ("genetics", EN, genetics),
]
