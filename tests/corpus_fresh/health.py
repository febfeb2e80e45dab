# ruff: noqa: RUF001
"""kind health_fresh (need hipaa): an identifiable person and their health, as real LLM traffic
carries it: support chats, HR tools, claim triage, pharmacy bots, session notes, app exports."""

from __future__ import annotations

import json

from tests.corpus_fresh.base import W, d_eu, d_iso, d_long, d_us, registry

TEMPLATES, tpl = registry()

# (condition, a medication or procedure that goes with it)
COND_EN = [
    ("type 2 diabetes", "metformin 1000mg"),
    ("type 1 diabetes", "Lantus (insulin glargine)"),
    ("major depressive disorder", "sertraline 100mg"),
    ("generalized anxiety disorder", "escitalopram"),
    ("bipolar II", "lamotrigine"),
    ("ADHD", "Adderall XR 20mg"),
    ("epilepsy", "Keppra (levetiracetam)"),
    ("multiple sclerosis", "Ocrevus infusions"),
    ("stage 2 breast cancer", "chemo (AC-T), cycle 3 of 8"),
    ("HIV", "Biktarvy"),
    ("opioid use disorder", "Suboxone (buprenorphine/naloxone)"),
    ("alcohol use disorder", "naltrexone"),
    ("Crohn's disease", "Humira"),
    ("rheumatoid arthritis", "methotrexate"),
    ("hypertension", "lisinopril 20mg"),
    ("atrial fibrillation", "Eliquis"),
    ("PTSD", "prazosin"),
    ("schizophrenia", "Abilify Maintena injections"),
    ("anorexia nervosa", "an inpatient eating-disorder program"),
    ("long COVID", "graded return to activity"),
    ("hypothyroidism", "levothyroxine 75mcg"),
    ("a herniated disc at L4-L5", "a microdiscectomy"),
    ("migraine with aura", "Aimovig"),
    ("celiac disease", "a strict gluten-free diet"),
    ("early-onset Alzheimer's", "donepezil"),
    ("chronic kidney disease stage 3", "dialysis assessment"),
    ("endometriosis", "laparoscopic excision surgery"),
    ("postpartum depression", "zuranolone"),
]
EVENTS_EN = [
    "had a heart attack",
    "had a stroke",
    "was diagnosed with pancreatic cancer",
    "was admitted to a psychiatric unit after a suicide attempt",
    "went into rehab for alcohol",
    "had emergency gallbladder surgery",
    "was diagnosed with leukemia",
    "was hospitalized with sepsis",
    "relapsed and is back in a methadone program",
    "broke a hip and needed a hip replacement",
    "started dialysis",
    "had a seizure while driving",
]
REL_EN = [
    ("husband", "m"),
    ("wife", "f"),
    ("son", "m"),
    ("daughter", "f"),
    ("mom", "f"),
    ("dad", "m"),
]
NICK = {
    "David": "Dave",
    "Robert": "Bob",
    "William": "Bill",
    "Michael": "Mike",
    "Christopher": "Chris",
    "Matthew": "Matt",
    "Thomas": "Tom",
    "Richard": "Rick",
    "Anthony": "Tony",
    "Daniel": "Danny",
}


def _nick(w: W) -> str:
    return w.pick(list(NICK.values()))


def _cond(w: W) -> tuple[str, str]:
    return w.pick(COND_EN)  # type: ignore[no-any-return]


@tpl("support_missed_payment")
def _(w: W) -> str:
    rel, g = w.pick(REL_EN)
    f = w.fake("en")
    who = f.first_name_male() if g == "m" else f.first_name_female()
    if g == "m" and w.chance(0.4):
        who = _nick(w)
    me = w.full()
    return (
        f"Customer ({me}, acct ending {w.num(1000, 9999)}): hi, sorry I missed the "
        f"{w.pick(['March', 'April', 'May', 'June'])} payment. my {rel} {who} {w.pick(EVENTS_EN)} "
        f"and I've been at the hospital every day. can you waive the late fee or push the due date?\n"
        f"Agent notes: draft a compassionate reply and suggest a hardship plan."
    )


@tpl("support_chat_transcript")
def _(w: W) -> str:
    c, m = _cond(w)
    f = w.first()
    return (
        f"Summarize this chat for the next agent.\n[user {f.lower()}.{w.last().lower()}"
        f"{w.num(1, 99)}] I need to cancel the annual plan, I was just diagnosed with {c} and I "
        f"can't work right now\n[agent] I'm so sorry {f}. We have a medical pause option, "
        f"are you in treatment?\n[user] yes I started {m} last week"
    )


@tpl("hr_absence_summary")
def _(w: W) -> str:
    c, _m = _cond(w)
    d = w.recent()
    return (
        f"You are an HR assistant. Summarise the absence record below for the line manager in 3 "
        f"bullet points; do not give medical advice.\nEmployee: {w.full()} ({w.emp_id()}), "
        f"{w.pick(['Warehouse', 'Finance', 'Customer Care', 'Engineering', 'Nursing'])}\n"
        f"Absent since {d_iso(d)}, {w.num(5, 40)} working days. Fit note: {c}. "
        f"GP recommends phased return, {w.pick(['no night shifts', 'no lifting over 10kg', 'reduced hours for 4 weeks'])}."
    )


@tpl("hr_slack", variant="first_name")
def _(w: W) -> str:
    team = w.pick(["ops", "payroll", "the Denver store", "QA", "support tier 2"])
    ev = w.pick(
        [
            "was hospitalised over the weekend for a psychotic episode",
            "is starting chemo on Monday",
            "is in inpatient rehab for the next 28 days",
            "had a miscarriage, please don't ask her about the baby",
            "was diagnosed with MS and is figuring out treatment",
        ]
    )
    return (
        f"rewrite this slack msg so it sounds more professional: 'hey all, {w.first_g('en', 'f')} "
        f"{w.last()[0]}. from {team} {ev}, so I'm covering her tickets til further notice'"
    )


@tpl("insurance_claim_triage")
def _(w: W) -> str:
    c, m = _cond(w)
    dob = w.dob()
    return json.dumps(
        {
            "task": "triage_claim",
            "instructions": "Return priority (low/med/high) and missing documents.",
            "claim": {
                "claim_id": f"CLM-{w.num(100000, 999999)}",
                "member_name": w.full(),
                "member_dob": d_iso(dob),
                "diagnosis": c,
                "treatment": m,
                "billed_usd": w.num(300, 48000),
            },
        }
    )


@tpl("pharmacy_bot")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    med = w.pick(
        [
            "sertraline 50mg",
            "Ozempic 0.5mg pens",
            "Xanax 1mg",
            "Wegovy",
            "lithium carbonate 300mg",
            "PrEP (Descovy)",
            "Vyvanse 40mg",
            "Plan B",
            "estradiol patches",
            "methadone",
        ]
    )
    return (
        f"SYSTEM: You are RxHelper for Walgreens-style pharmacy chat. Be brief.\n"
        f"USER: hi this is {f} {last}, DOB {d_us(w.dob())}. my {med} refill says 'too soon' but "
        f"I'm out as of today, can you tell me why?"
    )


@tpl("therapy_notes")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    issue = w.pick(
        [
            "increased panic attacks at work, 3-4/week",
            "passive suicidal ideation, no plan, safety plan reviewed",
            "cravings after 60 days sober, attended 4 AA meetings",
            "binge-purge episodes down from daily to twice weekly",
            "flashbacks related to the assault resurfacing since the trial date was set",
            "grief after her mother's death, sleeping 3-4h",
        ]
    )
    return (
        f"Turn these session notes into a SOAP note.\nClient: {f} {last} ({f[0]}.{last[0]}.), "
        f"session #{w.num(2, 30)}, {d_us(w.recent())}\nReports {issue}. Affect flat. Continue CBT, "
        f"consider med review with psychiatrist re: {w.pick(['Lexapro', 'Zoloft', 'Wellbutrin', 'prazosin'])}."
    )


@tpl("school_nurse_email")
def _(w: W) -> str:
    kid = w.first_g("en", "f")
    parent = w.last()
    ev = w.pick(
        [
            "had a seizure during PE and was seen by EMS",
            "used her inhaler twice before lunch and was still wheezing",
            "had a low blood sugar (54 mg/dL) in class; we gave juice and rechecked",
            "told me she has been cutting; I have contacted the counselor",
            "came in with lice; she can return after treatment",
            "had an allergic reaction to peanuts at lunch and we used her EpiPen",
        ]
    )
    return (
        f"Please proofread before I send:\n\nDear Mr./Mrs. {parent},\nThis is Nurse "
        f"{w.last()} at {w.pick(['Lincoln', 'Roosevelt', 'Oak Hill', 'Maple Grove'])} Elementary. "
        f"{kid} ({w.pick(['2nd', '3rd', '4th', '5th'])} grade, Room {w.num(101, 220)}) {ev}. "
        f"Please call me back at the office."
    )


@tpl("fitness_export")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    c, m = _cond(w)
    return "Using this profile export, build a 4-week training plan:\n" + json.dumps(
        {
            "username": w.user(f),
            "email": w.email_for(f, last),
            "age": w.num(19, 68),
            "weight_kg": w.num(52, 120),
            "resting_hr": w.num(48, 90),
            "conditions": [c],
            "medications": [m],
            "notes": w.pick(
                ["knee pain on stairs", "cleared by cardiologist", "pregnant, 2nd trimester", ""]
            ),
        }
    )


@tpl("email_thread")
def _(w: W) -> str:
    mgr, emp = w.full(), w.full()
    ef = emp.split()[0]
    c, _m = _cond(w)
    return (
        f"Summarize this email thread in two sentences.\n\nFrom: {mgr}\nTo: HR Benefits\n"
        f"Subject: RE: {ef}'s leave\n\n{ef}'s doctor confirmed it's {c}. She'd like to use FMLA "
        f"starting {d_long(w.recent())}.\n\n> From: {emp}\n> Hi, attaching the certification "
        f"from Dr. {w.last()}. Please keep this between us."
    )


@tpl("tool_call_referral")
def _(w: W) -> str:
    c, m = _cond(w)
    args = {
        "patient_name": w.full(),
        "mrn": w.mrn(),
        "dob": d_iso(w.dob()),
        "referral_to": w.pick(
            ["cardiology", "oncology", "psychiatry", "endocrinology", "neurology"]
        ),
        "reason": f"{c}; current tx {m}",
        "urgency": w.pick(["routine", "urgent"]),
    }
    return json.dumps(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "type": "function",
                    "function": {"name": "create_referral", "arguments": json.dumps(args)},
                }
            ],
        }
    )


@tpl("support_ticket")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    c, _m = _cond(w)
    return (
        f"Classify this ticket (billing/tech/cancel/other) and draft a reply.\n---\nTicket "
        f"#{w.num(10000, 99999)}\nRequester: {f} {last} <{w.email_for(f, last)}>\nSubject: "
        f"cancel membership\nBody: Please cancel my gym membership effective now. I was diagnosed "
        f"with {c} and my doctor said no training for at least 6 months. I can send the note."
    )


@tpl("sms_family", variant="first_name")
def _(w: W) -> str:
    who = w.pick(["Mom", "Dad", "Aunt Carol", "Grandpa"])
    f = w.first_g("en", "f")
    res = w.pick(
        [
            f"{f}'s biopsy came back malignant, they're scheduling surgery",
            f"{f} tested positive for chlamydia, she's mortified",
            f"the MRI shows {f} has a tumor on her pituitary",
            f"{f}'s A1C was 11.2, they're putting her on insulin",
            f"{f} is 8 weeks pregnant but don't tell anyone yet",
        ]
    )
    return (
        f"Help me reply to these texts kindly:\n[{w.num(7, 11)}:{w.num(10, 59)}] {who}: {res}\n"
        f"[{w.num(12, 18)}:{w.num(10, 59)}] {who}: can you call me tonight"
    )


@tpl("rag_discharge")
def _(w: W) -> str:
    c, m = _cond(w)
    d = w.recent()
    return (
        f"Answer using only the context.\n<context>\n[doc 2] DISCHARGE SUMMARY\nPatient: "
        f"{w.last().upper()}, {w.first()}  MRN: {w.mrn()}\nAdmitted {d_us(d)}. Dx: {c}. "
        f"Discharged on {m}. Follow-up with Dr. {w.last()} in 2 weeks.\n</context>\n"
        f"Question: what medication was the patient discharged on?"
    )


@tpl("ivf_note")
def _(w: W) -> str:
    return (
        f"Write a short, professional note to my manager asking for Friday off. Context (don't "
        f"mention all of it): I'm {w.first()} {w.last()} in accounts payable, and Friday is my "
        f"{w.pick(['IVF egg retrieval', 'embryo transfer', 'D&C after the miscarriage', 'abortion appointment', 'vasectomy'])}"
        f". Employee ID {w.emp_id()}."
    )


@tpl("court_letter_addiction")
def _(w: W) -> str:
    name = w.full_g("en", "m")
    return (
        f"Draft a letter to the court in support of {name} (case {w.num(20, 25)}-CR-"
        f"{w.num(1000, 9999)}). He has been in {w.pick(['methadone maintenance', 'a Suboxone program', 'outpatient alcohol treatment'])} "
        f"since {d_long(w.recent(700))}, with {w.pick(['clean', 'negative'])} urine screens every week. "
        f"I am his counselor at {w.pick(['New Path Recovery', 'Harbor Clinic', 'Bridgeway'])}."
    )


@tpl("accessibility_booking")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    dis = w.pick(
        [
            "uses a power wheelchair after a spinal cord injury (T6)",
            "is legally blind and travels with a guide dog",
            "is Deaf; please use text only, no calls",
            "has severe autism and needs a quiet room",
            "is on home oxygen (COPD) and needs a powered outlet",
        ]
    )
    return (
        f"Booking note for the hotel, make it concise: Guest {f} {last}, conf #{w.num(100000, 999999)}, "
        f"arriving {d_us(w.recent())}. {f} {dis}. Phone {w.phone()}."
    )


@tpl("lab_results_dad")
def _(w: W) -> str:
    return (
        f"Explain these lab results to my dad in plain words, he's worried.\nName: "
        f"{w.last().upper()}, {w.first().upper()}   DOB {d_us(w.dob('en', 60, 85))}\n"
        f"HbA1c {w.num(62, 119) / 10}% (H)\neGFR {w.num(25, 55)} mL/min (L)\n"
        f"PSA {w.num(40, 190) / 10} ng/mL (H)\nLDL {w.num(130, 210)} mg/dL"
    )


@tpl("app_log_line")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    reason = w.pick(
        [
            "chemo cycle 4",
            "HIV viral load",
            "prenatal 20wk scan",
            "psych intake",
            "Suboxone induction",
            "colonoscopy prep",
        ]
    )
    return (
        f"why does this log line fail our JSON parser?\n2025-0{w.num(1, 9)}-1{w.num(0, 9)}T"
        f"{w.num(10, 23)}:{w.num(10, 59)}:07Z INFO appt.booked user={w.email_for(f, last)} "
        f"name=\"{f} {last}\" clinic={w.pick(['oncology', 'ID', 'OB', 'behavioral'])} reason='{reason}' slot=09:30"
    )


@tpl("translate_instructions", variant="surname_only")
def _(w: W) -> str:
    return (
        f"Translate into {w.pick(['Spanish', 'Vietnamese', 'Polish', 'Tagalog'])} for the patient: "
        f'"Mr. {w.last()}, your {w.pick(["biopsy", "HIV test", "hepatitis C test", "stress test"])} '
        f"result is {w.pick(['positive', 'abnormal', 'back'])}. Please come in on "
        f'{d_long(w.recent())} to discuss treatment. Do not stop taking your {w.pick(["warfarin", "insulin", "Biktarvy"])}."'
    )


@tpl("caregiver_forum")
def _(w: W) -> str:
    return (
        f"Can you help me write a post for the caregivers group? My mother {w.first_g('en', 'f')} "
        f"{w.last()}, {w.num(72, 94)}, who lives at {w.addr()}, has {w.pick(['Lewy body dementia', 'Parkinson', 'vascular dementia'])} "
        f"and keeps getting lost. The neurologist upped her {w.pick(['Aricept', 'Sinemet', 'Namenda'])}."
    )


@tpl("employee_accommodation_csv")
def _(w: W) -> str:
    rows = ["employee_id,name,accommodation,basis"]
    for _i in range(w.num(2, 4)):
        c, _m = _cond(w)
        rows.append(
            f"{w.emp_id()},{w.full()},{w.pick(['remote 3d/wk', 'standing desk', 'extra breaks', 'flexible start'])},{c}"
        )
    return "Group these accommodation requests by type:\n" + "\n".join(rows)


@tpl("telehealth_intake")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    return (
        f"Summarize intake for the provider:\nName: {f} {last}\nEmail: {w.email_for(f, last)}\n"
        f"Reason for visit: {w.pick(['UTI symptoms 3 days', 'refill of birth control', 'erectile dysfunction', 'herpes outbreak', 'weight-loss medication consult', 'anxiety worsening'])}\n"
        f"Current meds: {w.pick(['none', 'Yaz', 'Zoloft 50', 'Valtrex', 'lisinopril'])}\nPregnant: {w.pick(['no', 'unsure', 'yes'])}"
    )


# ---- other languages ----


@tpl("support_missed_payment", "de")
def _(w: W) -> str:
    return (
        f"Kunde {w.full('de')} (Vertragsnr. {w.num(1000000, 9999999)}) schreibt: Guten Tag, ich konnte "
        f"die Rate im {w.pick(['März', 'April', 'Mai'])} nicht zahlen, weil mein Mann "
        f"{w.first_g('de', 'm')} nach einem {w.pick(['Schlaganfall', 'Herzinfarkt', 'Bandscheibenvorfall'])} "
        f"{w.num(2, 5)} Wochen im Krankenhaus lag. Bitte um Stundung.\nAufgabe: Antwort formulieren."
    )


@tpl("hr_sick_note", "de")
def _(w: W) -> str:
    return (
        f"Fasse für die Teamleitung zusammen (ohne Wertung): Mitarbeiterin {w.full_g('de', 'f')}, "
        f"Personalnr. {w.num(10000, 99999)}, ist seit {d_eu(w.recent())} krankgeschrieben. "
        f"Diagnose laut AU: {w.pick(['F32.1 mittelgradige depressive Episode', 'Burnout-Syndrom', 'Long COVID', 'Z. n. Brust-OP, Chemotherapie'])}. "
        f"BEM-Gespräch geplant."
    )


@tpl("pharmacy_bot", "fr")
def _(w: W) -> str:
    return (
        f"Utilisateur : Bonjour, je suis {w.full('fr')}, je suis sous "
        f"{w.pick(['méthadone 60 mg', 'Subutex', 'Lévothyrox', 'Dépakine', 'Seroplex'])} depuis "
        f"{w.num(2, 9)} ans et je pars en vacances. Ma pharmacie peut-elle me délivrer un mois "
        f"d'avance ? Mon numéro : {w.phone('fr')}."
    )


@tpl("consult_summary", "fr")
def _(w: W) -> str:
    return (
        f"Résume ce compte rendu en 3 lignes : Mme {w.full_g('fr', 'f')}, née le {d_eu(w.dob('fr'), '/')}, "
        f"vue ce jour pour {w.pick(['grossesse de 12 SA', 'IVG médicamenteuse', 'suivi VIH', 'dépression sévère', 'sclérose en plaques'])}. "
        f"Examen normal. Prochain RDV dans un mois."
    )


@tpl("school_message", "es")
def _(w: W) -> str:
    return (
        f"Corrige este mensaje para la profesora: Hola, soy {w.first_g('es', 'f')}, la madre de "
        f"{w.first('es')} {w.last('es')} (3ºB). Le han diagnosticado "
        f"{w.pick(['epilepsia', 'diabetes tipo 1', 'TDAH', 'un trastorno del espectro autista'])} "
        f"y toma {w.pick(['Depakine', 'insulina', 'metilfenidato', 'risperidona'])}. Por favor avíseme si nota algo."
    )


@tpl("insurance_claim", "es")
def _(w: W) -> str:
    return (
        f"Clasifica este parte: Asegurado {w.full('es')}, DNI {w.fake('es').nif()}, ingreso "
        f"hospitalario el {d_eu(w.recent(), '/')} por {w.pick(['infarto agudo de miocardio', 'apendicitis', 'fractura de cadera', 'brote psicótico'])}. Solicita indemnización diaria."
    )


@tpl("clinical_note", "it")
def _(w: W) -> str:
    return (
        f"Riassumi per il medico di base: il paziente {w.full_g('it', 'm')}, nato il "
        f"{d_eu(w.dob('it'), '/')}, affetto da {w.pick(['diabete di tipo 2', 'cirrosi epatica', 'morbo di Crohn', 'disturbo bipolare'])}, "
        f"in terapia con {w.pick(['metformina', 'lattulosio', 'adalimumab', 'litio'])}. Ultimo controllo: valori stabili."
    )


@tpl("support_missed_payment", "nl")
def _(w: W) -> str:
    return (
        f"Beste klantenservice, ik ben {w.full('nl')} (klantnr {w.num(100000, 999999)}). Mijn vrouw "
        f"{w.first_g('nl', 'f')} heeft {w.pick(['borstkanker', 'een burn-out', 'MS', 'een hersenbloeding gehad'])} "
        f"en daardoor ben ik de betaling vergeten. Kan de aanmaning vervallen?"
    )


@tpl("reschedule", "pt")
def _(w: W) -> str:
    return (
        f"Olá, sou a {w.full_g('pt', 'f')} (CPF {w.fake('pt').cpf()}). Estou grávida de {w.num(8, 34)} "
        f"semanas e tive {w.pick(['sangramento', 'pré-eclâmpsia', 'diabetes gestacional'])}, preciso "
        f"remarcar a consulta. Resuma isso para a recepção."
    )


@tpl("hr_sick_leave", "pl")
def _(w: W) -> str:
    return (
        f"Streść dla kierownika: pracownik {w.full_g('pl', 'm')} (nr {w.num(1000, 9999)}) jest na "
        f"zwolnieniu lekarskim od {d_eu(w.recent())}, rozpoznanie: "
        f"{w.pick(['depresja', 'zawał serca', 'rwa kulszowa', 'nowotwór jelita grubego'])}. Powrót planowany za {w.num(2, 8)} tygodnie."
    )


@tpl("family_message", "sv")
def _(w: W) -> str:
    return (
        f"Hjälp mig skriva till jobbet: Min pappa {w.full_g('sv', 'm')} har fått diagnosen "
        f"{w.pick(['Alzheimers', 'prostatacancer', 'ALS', 'KOL'])} och jag behöver vara ledig "
        f"några dagar. Hans personnummer behövs för intyget: {w.fake('sv').ssn()}."
    )


@tpl("hr_leave", "ja")
def _(w: W) -> str:
    return (
        f"次の内容を上長向けに要約してください。{w.full('ja')}さん（社員番号 {w.num(10000, 99999)}）は、"
        f"{w.pick(['うつ病', '適応障害', '乳がん', '椎間板ヘルニア'])}の診断で{w.num(1, 12)}月{w.num(1, 28)}日から休職しています。"
        f"主治医の意見書では{w.num(1, 6)}か月の療養が必要とのことです。"
    )


@tpl("app_user", "zh")
def _(w: W) -> str:
    return (
        f"请根据以下用户信息生成饮食建议：用户 {w.full('zh')}，手机 {w.fake('zh').phone_number()}，"
        f"自述患有{w.pick(['2型糖尿病', '高血压', '痛风', '慢性肾病'])}，正在服用"
        f"{w.pick(['二甲双胍', '氨氯地平', '别嘌醇', '胰岛素'])}。"
    )


@tpl("counsel_note", "ko")
def _(w: W) -> str:
    return (
        f"상담 기록을 요약해 주세요: {w.full('ko')} 님(회원번호 {w.num(100000, 999999)})은 "
        f"{w.pick(['공황장애', '우울증', '알코올 의존', '불면증'])}으로 치료 중이며 "
        f"{w.pick(['자낙스', '렉사프로', '날트렉손', '졸피뎀'])}을 복용하고 있습니다."
    )


@tpl("patient_portal_message")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    return (
        f"Help me shorten this portal message to Dr. {w.last()}: Hi, it's {f} {last} "
        f"(DOB {d_us(w.dob())}). Since increasing my {w.pick(['lithium', 'Wellbutrin', 'gabapentin', 'prednisone', 'Ozempic'])} "
        f"I've had {w.pick(['tremors', 'bad insomnia', 'dizziness', 'vomiting most mornings'])}. "
        f"Should I go back to the old dose? I also still have the {w.pick(['UTI', 'rash', 'night sweats'])}."
    )


@tpl("benefits_chatbot")
def _(w: W) -> str:
    return (
        f'[benefits-bot] employee_id={w.emp_id()} name="{w.full()}" asked: does our plan cover '
        f"{w.pick(['gender-affirming surgery', 'ABA therapy for my autistic son', 'my wife’s IVF', 'residential rehab for my opioid addiction', 'an insulin pump'])}? "
        f"I'm {w.pick(['scheduled', 'hoping'])} to start next month.\nAnswer from the attached SPD."
    )


@tpl("wellness_journal_export")
def _(w: W) -> str:
    f, last = w.first(), w.last()
    return (
        f"Find mood patterns in this journal export.\nuser: {w.user(f)} <{w.email_for(f, last)}>\n"
        f"{d_iso(w.recent())}: mood 2/10, skipped my {w.pick(['Lexapro', 'Zoloft', 'Seroquel'])}, "
        f"{w.pick(['drank a lot', 'panic attack on the train', 'thought about hurting myself', 'binged and purged'])}\n"
        f"{d_iso(w.recent())}: mood 6/10, therapy went ok"
    )


@tpl("disability_claim", "de")
def _(w: W) -> str:
    return (
        f"Bitte formuliere einen Widerspruch: Ich, {w.full('de')}, geb. {d_eu(w.dob('de'))}, wohnhaft "
        f"{w.addr('de')}, habe seit dem Unfall einen GdB von {w.pick([30, 50, 70])} wegen "
        f"{w.pick(['Querschnittslähmung', 'Epilepsie', 'Schwerhörigkeit', 'Multipler Sklerose'])}."
    )


@tpl("school_nurse", "fr")
def _(w: W) -> str:
    return (
        f"Reformule pour les parents : votre fille {w.first_g('fr', 'f')} {w.last('fr')} (CM2) a fait une "
        f"crise {w.pick(['d’asthme', 'd’épilepsie', 'd’hypoglycémie'])} ce matin. Nous lui avons "
        f"donné {w.pick(['sa Ventoline', 'son Buccolam', 'du sucre'])}. Elle est au repos à l'infirmerie."
    )


@tpl("rag_record", "zh")
def _(w: W) -> str:
    return (
        f"根据以下病历回答问题。\n[病历] 姓名：{w.full('zh')}，住院号 {w.num(100000, 999999)}，"
        f"诊断：{w.pick(['乳腺癌术后', '抑郁症', '乙型肝炎', '冠心病'])}，"
        f"用药：{w.pick(['他莫昔芬', '舍曲林', '恩替卡韦', '阿司匹林'])}。\n问题：患者目前的用药是什么？"
    )
