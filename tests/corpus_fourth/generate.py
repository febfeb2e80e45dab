"""Generate the fourth corpus: health data and personal data in everyday, non-clinical text.

Positives: kind "health_fourth" (need "hipaa": a person you can identify plus their health) and
kind "identity_fourth" (need "pii": a person plus a birth date, government id, passport number,
home address, personal phone or personal e-mail). Negatives: text that must get no class.

    python -m tests.corpus_fourth.generate --per-kind 3 --negatives 5 --seed 1   # print a sample
"""

# ruff: noqa: RUF001

from __future__ import annotations

import argparse
import json
import random
from dataclasses import asdict
from typing import NamedTuple

from faker import Faker

from tests.corpus_apart.generate import Sample

SOURCE = "fourth"


class Tpl(NamedTuple):
    name: str
    lang: str
    locale: str
    text: str


LOCALE_OF = {
    "en": "en_US",
    "es": "es_ES",
    "fr": "fr_FR",
    "de": "de_DE",
    "it": "it_IT",
    "pt": "pt_BR",
    "nl": "nl_NL",
    "pl": "pl_PL",
    "sv": "sv_SE",
    "ja": "ja_JP",
    "zh": "zh_CN",
    "ko": "ko_KR",
}
EN_LOCALES = ("en_US", "en_GB", "en_IN")

# Conditions and medicines by language: what makes a sentence about a person health data.
COND = {
    "en": [
        "chemo for breast cancer",
        "dialysis three times a week",
        "a relapse of her multiple sclerosis",
        "treatment for major depression",
        "an HIV viral load check",
        "a seizure last week (epilepsy)",
        "bipolar disorder stabilisation",
        "IVF egg retrieval",
        "rehab for alcohol dependence",
        "a Crohn's disease flare",
        "type 1 diabetes and a new insulin pump",
        "post-surgery recovery after a hip replacement",
        "panic attacks",
        "early-onset Parkinson's",
    ],
    "es": ["quimioterapia", "diabetes tipo 1", "depresión mayor", "una hernia discal", "VIH"],
    "fr": [
        "une chimiothérapie",
        "un diabète de type 2",
        "une dépression",
        "une sclérose en plaques",
    ],
    "de": ["Chemotherapie", "Diabetes Typ 1", "eine Depression", "Multiple Sklerose", "Epilepsie"],
    "it": ["chemioterapia", "diabete di tipo 1", "depressione", "sclerosi multipla"],
    "pt": ["quimioterapia", "diabetes tipo 2", "depressão", "hemodiálise", "HIV"],
    "nl": ["chemotherapie", "diabetes type 1", "een burn-out met depressie", "epilepsie"],
    "pl": ["chemioterapię", "cukrzycę typu 1", "depresję", "stwardnienie rozsiane"],
    "sv": ["cellgiftsbehandling", "typ 1-diabetes", "depression", "epilepsi"],
    "ja": ["抗がん剤治療", "1型糖尿病", "うつ病", "人工透析", "乳がん"],
    "zh": ["化疗", "糖尿病", "抑郁症", "乳腺癌", "肾透析"],
    "ko": ["항암 치료", "당뇨병", "우울증", "유방암", "신장 투석"],
}
DRUG = [
    "sertraline 100 mg",
    "metformin 850 mg",
    "Truvada (PrEP)",
    "lithium carbonate 400 mg",
    "methylphenidate 36 mg",
    "levetiracetam 500 mg",
    "Ozempic 1 mg pen",
    "tamoxifen 20 mg",
    "buprenorphine/naloxone",
    "quetiapine 50 mg",
    "insulin glargine",
    "adalimumab (Humira)",
    "fluoxetine 20 mg",
    "naltrexone 50 mg",
]
LEARN = [
    "ADHD",
    "dyslexia",
    "generalised anxiety disorder",
    "autism spectrum disorder",
    "dyspraxia",
]
ASSIST = [
    "a wheelchair to the gate (cannot walk long distances after a stroke)",
    "portable oxygen concentrator on board (COPD)",
    "aisle chair and boarding assistance, paraplegic",
    "a refrigerated space for insulin; passenger is type 1 diabetic",
]
INJURY = [
    "a fractured C6 vertebra and traumatic brain injury",
    "a torn rotator cuff and PTSD",
    "third-degree burns to 12% of the body",
    "a below-knee amputation of the left leg",
]


def _health_templates() -> list[Tpl]:
    en = [
        (
            "voice_assistant",
            "[Assistant transcript] User: Hey, remind {who} to take {drug} at 9 pm. Assistant: OK, I'll remind {who} every day at 9 pm to take {drug}.",
        ),
        (
            "voice_assistant_call",
            'Transcript 14:02 — "Call Dr. {doc}\'s office and tell them {who} missed the appointment for {cond}." — Calling...',
        ),
        (
            "meeting_minutes",
            "Team sync {date}\nAttendees: {team}\n- {who} will be out for the next three weeks, she's having {cond}. Coverage: {other}.\n- Q3 roadmap review moved.",
        ),
        (
            "meeting_minutes_short",
            "Action items {date}: {other} takes over the vendor calls while {who} is in hospital for {cond}.",
        ),
        ("calendar", "{date} 10:30 Dr appt - {who} - {cond} follow-up (bring med list: {drug})"),
        (
            "calendar_shared",
            "BUSY {date} 15:00-17:00 | {who}: psychiatrist, do not book; reason: {cond}",
        ),
        (
            "expense",
            "Expense report #{num} — {who}\nLine 3: {city} Pharmacy, {drug}, ${amount}. Note: prescribed for {cond}, covered under wellness allowance.",
        ),
        (
            "pharmacy_receipt",
            "RECEIPT {city} Drugstore\nPatient: {who}\nRx #{num}: {drug} x30\nCopay ${amount}\nThank you!",
        ),
        (
            "insurance_email",
            "Subject: Claim {num}\nHi {first}, we received the claim for your {cond} from {date}. Before we can reimburse the {drug} we need the prescriber's notes. — Claims team",
        ),
        (
            "insurance_denial",
            "Dear {title}, your prior authorization for {drug} (diagnosis: {cond}) has been denied. Member ID {pat}. You may appeal within 60 days.",
        ),
        (
            "school_accommodation",
            "To the examinations office: {who} (student no. {emp}) has a diagnosis of {learn} and is entitled to 25% extra time and a separate room for all exams this term.",
        ),
        (
            "university_disability",
            "Disability services note: {name} has {learn} and medication ({drug}) side effects in the morning; please allow recorded lectures and flexible deadlines.",
        ),
        (
            "gym_coach",
            "Coach notes — {who}: no heavy squats, herniated disc L5; on {drug} so watch heart rate; also being treated for {cond}.",
        ),
        (
            "dating_chat",
            "{first}: before we meet I should tell you, I'm HIV positive, undetectable, on {drug}.\nMatch: thanks for telling me {first} ❤️",
        ),
        (
            "dating_profile",
            "About me: {first}, 34, {city}. Living with {cond} but it doesn't define me. @{user}",
        ),
        (
            "legal_case",
            "Case summary — client {name} v. {company}. On {date} the client was struck by a delivery van and suffered {injury}; ongoing treatment with {drug}.",
        ),
        (
            "legal_intake",
            "Intake: {title}, DOB on file, alleges workplace exposure; medical records show {cond} diagnosed {date}.",
        ),
        (
            "travel_assist",
            "Booking ref {ref}, passenger {name}: special assistance requested — {assist}.",
        ),
        (
            "travel_email",
            "Hi, I'm flying with my father {name} on {date}. He needs {assist}. Thanks, {other}",
        ),
        (
            "pet_sitter",
            "Pet-sitter notes: feed Biscuit twice a day. FYI {first} (the owner) is in hospital for {cond} until Friday, call her sister if anything happens.",
        ),
        (
            "obituary_draft",
            "DRAFT obituary: {name}, 58, of {city}, died peacefully at home on {date} after a long battle with {cond}. In lieu of flowers, donate to the hospice.",
        ),
        (
            "slack",
            "#ops-team  {user}: heads up, {who} won't make standup, {pron} had a panic attack again and is seeing {pron2} therapist about the {cond}",
        ),
        (
            "slack_dm",
            "@{user}: can you cover my on-call? my {cond} came back, oncologist wants me in on {date}",
        ),
        (
            "hr_email",
            "Re: return to work — {who} (employee {emp}) is cleared to return on {date} after {cond}; occupational health recommends no night shifts while on {drug}.",
        ),
        (
            "employee_number",
            "Sick note logged: employee #{emp} — {cond}, expected absence 6 weeks, prescribed {drug}.",
        ),
        (
            "patient_number",
            "Portal message from patient {pat}: the {drug} makes me dizzy, can I halve the dose? — {first}",
        ),
        (
            "parent_chat",
            "Class parents group: {other}: just so you know, {kid} has a severe peanut allergy and type 1 diabetes, the EpiPen is in his bag.",
        ),
        ("sms", "{first} it's mum. Did you pick up the {drug} for your {cond}? Ring me x"),
        (
            "review",
            "Review by {user} ({name}): the clinic was great for my {cond}, Dr {doc} adjusted my {drug}.",
        ),
        (
            "crm_note",
            "CRM note on account {num} ({name}): customer asked to pause payments, she's undergoing {cond}.",
        ),
    ]
    other = [
        (
            "es_meeting",
            "es",
            "Acta de reunión {date}: {name} estará de baja tres semanas, está recibiendo {cond}. La sustituye {other}.",
        ),
        (
            "es_whatsapp",
            "es",
            "{first}, ¿ya recogiste la insulina? El médico dijo que con tu {cond} no puedes saltarte dosis.",
        ),
        (
            "fr_email",
            "fr",
            "Bonjour, je vous informe que {name} sera absent jusqu'au {date} : il suit {cond}. Cordialement, {other}",
        ),
        (
            "fr_school",
            "fr",
            "Aménagement d'examen : l'élève {name} présente une dyslexie et un TDAH, tiers-temps accordé.",
        ),
        (
            "de_slack",
            "de",
            "Kurze Info: {name} fällt die nächsten Wochen aus, sie hat {cond} und ist im Krankenhaus.",
        ),
        (
            "de_insurance",
            "de",
            "Sehr geehrte/r {name}, Ihre Kostenübernahme für {drug} wegen {cond} wurde abgelehnt. Versichertennummer {pat}.",
        ),
        (
            "it_calendar",
            "it",
            "{date} ore 9:00 – visita oncologica per {name} ({cond}), portare referti.",
        ),
        (
            "it_gym",
            "it",
            "Note del personal trainer: {name} soffre di {cond}, evitare sforzi intensi.",
        ),
        (
            "pt_email",
            "pt",
            "Oi {first}, o plano negou o reembolso do seu tratamento de {cond}. Precisamos do laudo médico. Att, {other}",
        ),
        (
            "pt_travel",
            "pt",
            "Reserva {ref}: passageiro {name} precisa de cadeira de rodas e oxigênio a bordo.",
        ),
        (
            "nl_minutes",
            "nl",
            "Notulen {date}: {name} is voorlopig afwezig wegens {cond}. {other} neemt het over.",
        ),
        ("pl_note", "pl", "Notatka: {name} przechodzi {cond}, prosi o elastyczne godziny pracy."),
        (
            "sv_message",
            "sv",
            "Hej! {name} är sjukskriven resten av månaden, hon får {cond}. /{other}",
        ),
        (
            "ja_chat",
            "ja",
            "{name}さんは{cond}のため来週から休職します。引き継ぎは{other}さんにお願いします。",
        ),
        ("ja_calendar", "ja", "{date} 14:00 {name} 心療内科 通院（{cond}）"),
        ("zh_wechat", "zh", "{name}下周要住院做{cond}，这段时间工作由{other}代理。"),
        ("zh_insurance", "zh", "尊敬的{name}：您的{cond}理赔申请已受理，保单号{num}。"),
        (
            "ko_kakao",
            "ko",
            "{name} 씨가 {cond} 때문에 다음 주부터 병가입니다. 업무는 {other} 씨가 맡습니다.",
        ),
        ("ko_school", "ko", "{name} 학생은 ADHD 진단을 받아 시험 시간 연장이 필요합니다."),
    ]
    out = [Tpl(n, "en", "", t) for n, t in en]
    out += [Tpl(n, lang, LOCALE_OF[lang], t) for n, lang, t in other]
    return out


def _identity_templates() -> list[Tpl]:
    rows = [
        (
            "boarding_pass",
            "en",
            "",
            "BOARDING PASS  {NAME}  Flight {flight} {date}  Seat 23C  Passport {passport}  DOB {dob}",
        ),
        (
            "visa_application",
            "en",
            "",
            "Visa application — Surname: {last}; Given names: {first}; Date of birth: {dob}; Passport no.: {passport}; Home address: {addr}; Phone: {phone}",
        ),
        (
            "kyc_chat",
            "en",
            "",
            "Agent: To verify your identity please confirm your SSN and date of birth.\nCustomer ({name}): sure, {gov}, born {dob}.",
        ),
        (
            "rental_contract",
            "en",
            "",
            "RESIDENTIAL LEASE. Tenant: {name}, born {dob}, currently residing at {addr}. Contact: {phone}, {email}.",
        ),
        (
            "wedding_list",
            "en",
            "",
            "Wedding invites (addresses for envelopes):\n{name} — {addr}\n{name2} — {addr2}",
        ),
        (
            "alumni_db",
            "en",
            "",
            "alumni_id,name,class,email,phone\n{num},{name},2009,{email},{phone}",
        ),
        (
            "gaming_recovery",
            "en",
            "",
            "Account recovery ticket: gamertag {user}. Real name {name}, DOB {dob}, recovery e-mail {email}, phone on file {phone}.",
        ),
        (
            "vehicle_registration",
            "en",
            "",
            "Vehicle registration — Owner: {name}; Address: {addr}; Driver licence: {dl}; Date of birth: {dob}.",
        ),
        (
            "marketplace_seller",
            "en",
            "",
            "Seller profile: {user} ({name}). Pickup at my place: {addr}. Text me on {phone}.",
        ),
        ("payroll_form", "en", "", "New hire form: {name}, SSN {gov}, DOB {dob}, home {addr}"),
        (
            "es_contrato",
            "es",
            "es_ES",
            "Contrato de arrendamiento. Arrendatario: {name}, con DNI {gov}, nacido el {dob}, domicilio en {addr}.",
        ),
        ("es_boda", "es", "es_ES", "Lista de invitados: {name}, {addr}, tel. {phone}"),
        (
            "mx_kyc",
            "es",
            "es_MX",
            "Para abrir tu cuenta confirma: nombre {name}, CURP/RFC {gov}, fecha de nacimiento {dob}, celular {phone}.",
        ),
        (
            "fr_visa",
            "fr",
            "fr_FR",
            "Demande de visa : {name}, né(e) le {dob}, passeport n° {passport}, domicilié(e) {addr}.",
        ),
        (
            "fr_secu",
            "fr",
            "fr_FR",
            "Dossier de {name} — n° de sécurité sociale {gov}, portable {phone}.",
        ),
        (
            "de_kfz",
            "de",
            "de_DE",
            "Zulassungsbescheinigung: Halter {name}, geb. {dob}, wohnhaft {addr}, Steuer-ID {gov}.",
        ),
        (
            "de_mietvertrag",
            "de",
            "de_DE",
            "Mieter: {name}, geboren am {dob}, Tel. privat {phone}, E-Mail {email}.",
        ),
        (
            "it_cf",
            "it",
            "it_IT",
            "Modulo iscrizione palestra: {name}, codice fiscale {gov}, nato il {dob}, residente in {addr}.",
        ),
        (
            "pt_cpf",
            "pt",
            "pt_BR",
            "Cadastro do vendedor: {name}, CPF {gov}, nascido em {dob}, WhatsApp {phone}.",
        ),
        (
            "pt_pt_nif",
            "pt",
            "pt_PT",
            "Contrato: {name}, NIF {gov}, morada {addr}, data de nascimento {dob}.",
        ),
        (
            "nl_bsn",
            "nl",
            "nl_NL",
            "Huurcontract: huurder {name}, BSN {gov}, geboren {dob}, adres {addr}.",
        ),
        (
            "pl_pesel",
            "pl",
            "pl_PL",
            "Wniosek o rejestrację pojazdu: {name}, PESEL {gov}, adres {addr}, tel. {phone}.",
        ),
        (
            "sv_personnummer",
            "sv",
            "sv_SE",
            "Kund: {name}, personnummer {gov}, adress {addr}, mobil {phone}.",
        ),
        (
            "ja_mynumber",
            "ja",
            "ja_JP",
            "氏名：{name}　生年月日：{dob}　マイナンバー：{gov}　住所：{addr}",
        ),
        ("zh_id", "zh", "zh_CN", "登机信息：旅客{name}，身份证号{gov}，手机{phone}。"),
        (
            "ko_rrn",
            "ko",
            "ko_KR",
            "본인 확인: {name}, 주민등록번호 {gov}, 주소 {addr}, 연락처 {phone}",
        ),
        (
            "en_gb_nino",
            "en",
            "en_GB",
            "Tenancy reference for {name}: National Insurance number {gov}, date of birth {dob}, current address {addr}.",
        ),
        (
            "en_in_aadhaar",
            "en",
            "en_IN",
            "KYC update: {name}, Aadhaar {gov}, DOB {dob}, mobile {phone}, address {addr}.",
        ),
    ]
    return [Tpl(*r) for r in rows]


HEALTH = _health_templates()
IDENTITY = _identity_templates()


def _dni(rng: random.Random) -> str:
    n = rng.randrange(10_000_000, 99_999_999)
    return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"


def _gov(fk: Faker, loc: str, rng: random.Random) -> str:
    if loc == "es_ES":
        return _dni(rng)
    if loc == "de_DE":
        return "".join(str(rng.randrange(10)) for _ in range(11))
    if loc == "pt_PT":
        return str(rng.randrange(100_000_000, 299_999_999))
    if loc == "ja_JP":
        d = "".join(str(rng.randrange(10)) for _ in range(12))
        return f"{d[:4]} {d[4:8]} {d[8:]}"
    if loc == "en_IN":
        d = "".join(str(rng.randrange(10)) for _ in range(12))
        return f"{rng.randrange(2, 10)}{d[1:4]} {d[4:8]} {d[8:]}"
    if loc == "pt_BR":
        return fk.cpf()
    if loc == "pl_PL":
        return fk.pesel()
    if loc == "es_MX":
        return fk.curp()
    return fk.ssn()


def _dob(fk: Faker, lang: str) -> str:
    d = fk.date_of_birth(minimum_age=18, maximum_age=85)
    if lang in ("ja", "zh"):
        return f"{d.year}年{d.month}月{d.day}日"
    if lang == "ko":
        return f"{d.year}년 {d.month}월 {d.day}일"
    if lang == "en":
        return d.strftime("%m/%d/%Y") if fk.random.random() < 0.5 else d.strftime("%d %b %Y")
    return d.strftime("%d.%m.%Y") if lang in ("de", "pl", "nl") else d.strftime("%d/%m/%Y")


class _Fill:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        self.seed = seed

    def faker(self, loc: str) -> Faker:
        if loc not in self.fakers:
            fk = Faker(loc)
            fk.seed_instance(self.rng.randrange(2**31))
            self.fakers[loc] = fk
        return self.fakers[loc]

    def values(self, loc: str, lang: str) -> dict[str, str]:
        fk, rng = self.faker(loc), self.rng
        first, last = fk.first_name(), fk.last_name()
        name = f"{last} {first}" if lang in ("ja", "zh", "ko") else f"{first} {last}"
        if lang in ("zh", "ko"):
            name = name.replace(" ", "")
        fem = rng.random() < 0.5
        return {
            "first": first,
            "last": last,
            "name": name,
            "NAME": f"{last.upper()}/{first.upper()}",
            "name2": fk.name(),
            "title": f"{rng.choice(['Mr.', 'Ms.', 'Mrs.', 'Dr.'])} {last}",
            "user": fk.user_name(),
            "emp": f"E{rng.randrange(10000, 99999)}",
            "pat": f"MRN-{rng.randrange(1000000, 9999999)}",
            "num": str(rng.randrange(10000, 999999)),
            "ref": "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)),
            "flight": f"{rng.choice(['LH', 'BA', 'AF', 'UA', 'KL', 'JL', 'IB'])}{rng.randrange(100, 9999)}",
            "date": fk.date_between("-30d", "+60d").isoformat(),
            "dob": _dob(fk, lang),
            "addr": fk.address().replace("\n", ", "),
            "addr2": fk.address().replace("\n", ", "),
            "phone": fk.phone_number(),
            "email": fk.free_email(),
            "passport": rng.choice(
                [
                    f"{rng.choice('CEFGHJKLMNPRTVWXYZ')}{rng.randrange(10**7, 10**8)}",
                    str(rng.randrange(10**8, 10**9)),
                    f"{rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}{rng.randrange(10**6, 10**7)}",
                ]
            ),
            "gov": _gov(fk, loc, rng),
            "dl": f"{last[:5].upper()}{rng.randrange(100000, 999999)}",
            "city": fk.city(),
            "company": fk.company(),
            "amount": f"{rng.randrange(8, 400)}.{rng.randrange(100):02d}",
            "other": fk.first_name(),
            "team": ", ".join(fk.first_name() for _ in range(4)),
            "doc": fk.last_name(),
            "kid": fk.first_name_male(),
            "cond": rng.choice(COND[lang]),
            "drug": rng.choice(DRUG),
            "learn": rng.choice(LEARN),
            "assist": rng.choice(ASSIST),
            "injury": rng.choice(INJURY),
            "pron": "she" if fem else "he",
            "pron2": "her" if fem else "his",
        }


WHO_FORMS = ("full_name", "first_name", "nickname", "title_surname", "username", "employee_number")


def _who(rng: random.Random, v: dict[str, str]) -> tuple[str, str]:
    form = rng.choice(WHO_FORMS)
    if form == "full_name":
        return form, v["name"]
    if form == "first_name":
        return form, v["first"]
    if form == "nickname":
        return (
            form,
            f'{v["first"]} "{v["first"][:3]}{rng.choice(["sy", "ie", "o", "z"])}" {v["last"]}',
        )
    if form == "title_surname":
        return form, v["title"]
    if form == "username":
        return form, f"@{v['user']}"
    return form, f"{v['first']} ({v['emp']})"


def generate(seed: int, per_kind: int = 120) -> list[Sample]:
    """Positives: per_kind of health_fourth (hipaa) and per_kind of identity_fourth (pii)."""
    fill = _Fill(seed)
    rng = fill.rng
    out: list[Sample] = []
    for kind, need, templates in (
        ("health_fourth", "hipaa", HEALTH),
        ("identity_fourth", "pii", IDENTITY),
    ):
        order = list(templates)
        rng.shuffle(order)
        for i in range(per_kind):
            t = order[i % len(order)]
            loc = t.locale or rng.choice(EN_LOCALES)
            v = fill.values(loc, t.lang)
            form, v["who"] = _who(rng, v)
            variant = form if "{who}" in t.text else "fixed"
            out.append(
                Sample(
                    texts=(t.text.format(**v),),
                    family="plain",
                    kind=kind,
                    need=need,
                    locale=loc,
                    template=f"fourth/{t.name}",
                    variant=variant,
                    source=SOURCE,
                )
            )
    return out


# Negatives: health without a person, people in a public or historical role, fiction, tech text.
NEG: list[Tpl] = [
    Tpl(
        "abstract",
        "en",
        "",
        "Background: {drug} was compared with placebo in {n} adults with {cond}. Results: HbA1c fell by {pct}% (95% CI {lo}-{hi}). Conclusions: the effect persisted at 52 weeks. No individual participant data are reported.",
    ),
    Tpl(
        "abstract_cohort",
        "en",
        "",
        "In a retrospective cohort of {n} patients across {k} centres, {pct}% experienced relapse within two years. Median age was {age}. Data were de-identified before analysis.",
    ),
    Tpl(
        "monograph",
        "en",
        "",
        "{drug}: indicated for the treatment of {cond} in adults. Common adverse reactions (>{pct}%): nausea, headache, dizziness. Contraindicated in severe hepatic impairment.",
    ),
    Tpl(
        "monograph_dosing",
        "en",
        "",
        "Dosage and administration: start at the lowest dose and titrate weekly. Renal impairment: reduce dose by 50% when eGFR < 30 mL/min. Store below 25 °C.",
    ),
    Tpl(
        "insurance_product",
        "en",
        "",
        "{company} Health Plus covers outpatient mental health, maternity care and up to {k} physiotherapy sessions a year. Monthly premium from ${amt}. Call our sales line {bizphone}.",
    ),
    Tpl(
        "stats",
        "en",
        "",
        "In {year}, {pct}% of adults in the region reported a diagnosis of {cond}; rates were highest in the 65+ age group ({hi}%). Source: national health survey, aggregated.",
    ),
    Tpl(
        "hr_policy",
        "en",
        "",
        "Sick leave policy: employees who are unwell should notify their manager before the start of the shift. A medical certificate is required after {k} consecutive days. Health details are not to be shared with the team.",
    ),
    Tpl(
        "fiction",
        "en",
        "",
        'Chapter {k}. The dragon Vortigax coughed a plume of green smoke and the healer of Elderglen shook her head. "Moonfever," she said. "Three days, maybe four." The village held its breath.',
    ),
    Tpl(
        "fiction_scifi",
        "en",
        "",
        "Captain Zorra Quill of the starship Meridian logged the outbreak of crystal plague on deck {k}. The android medic prescribed nanite baths and a long nap.",
    ),
    Tpl(
        "company_contact",
        "en",
        "",
        "{company}, {bizaddr}. Customer support: {bizphone} (Mon-Fri 9-17), support@{domain}. Registered office; VAT no. on invoices.",
    ),
    Tpl(
        "api_docs",
        "en",
        "",
        "POST /v1/patients/search\nParameters: `birth_date` (string, ISO 8601), `mrn` (string). Returns 200 with a paginated list. Rate limit: {k} requests/min. Example values in this doc are placeholders.",
    ),
    Tpl(
        "release_notes",
        "en",
        "",
        "v{ver} — Fixed a crash when exporting reports with empty date-of-birth fields. Added HL7 FHIR R4 Patient resource mapping. Bumped dependencies.",
    ),
    Tpl(
        "history",
        "en",
        "",
        "{hist_name} (born {hist_dob}) was a {hist_role}. After a long illness, {hist_pron} died in {hist_death}; the cause was tuberculosis, as was common at the time.",
    ),
    Tpl(
        "history_short",
        "en",
        "",
        "Letters of {hist_name}, {hist_dob} – {hist_death}, edited with notes on {hist_pron2} years in {hist_city}.",
    ),
    Tpl(
        "health_tips",
        "en",
        "",
        "Five tips for better sleep: keep a regular schedule, limit caffeine after noon, keep the bedroom cool, avoid screens before bed, see a doctor if insomnia lasts more than {k} weeks.",
    ),
    Tpl(
        "job_ad",
        "en",
        "",
        "{company} is hiring a Clinical Data Manager. Experience with CDISC and anonymisation required. Apply via careers.{domain}.",
    ),
    Tpl(
        "de_abstract",
        "de",
        "",
        "Hintergrund: In einer randomisierten Studie mit {n} Teilnehmenden mit Typ-2-Diabetes senkte {drug} den HbA1c-Wert um {pct} %. Personenbezogene Daten wurden nicht erhoben.",
    ),
    Tpl(
        "de_company",
        "de",
        "de_DE",
        "{company}, {bizaddr}. Kundenservice: {bizphone}, Mo–Fr 8–18 Uhr.",
    ),
    Tpl(
        "fr_policy",
        "fr",
        "",
        "Politique d'entreprise : en cas d'arrêt maladie, le salarié transmet l'avis d'arrêt sous 48 heures. Les informations médicales restent confidentielles.",
    ),
    Tpl(
        "fr_stats",
        "fr",
        "",
        "En {year}, {pct} % des Français déclaraient souffrir de troubles du sommeil, selon une enquête anonyme auprès de {n} personnes.",
    ),
    Tpl(
        "es_monograph",
        "es",
        "",
        "Ficha técnica: {drug}. Indicaciones: tratamiento de la hipertensión en adultos. Reacciones adversas frecuentes: cefalea, mareo.",
    ),
    Tpl(
        "es_history",
        "es",
        "",
        "Biografía: {hist_name} ({hist_dob} – {hist_death}) vivió muchos años en {hist_city}; su obra se conserva en archivos públicos.",
    ),
    Tpl(
        "it_insurance",
        "it",
        "",
        "La polizza Salute Base di {company} copre visite specialistiche e ricoveri fino a {amt} euro l'anno. Numero verde {bizphone}.",
    ),
    Tpl(
        "nl_release",
        "nl",
        "",
        "Versie {ver}: verbeterde export naar CSV, geboortedatumvelden worden nu gevalideerd. Geen wijzigingen in de API.",
    ),
    Tpl(
        "pt_stats",
        "pt",
        "",
        "Em {year}, {pct}% dos adultos brasileiros relataram diagnóstico de hipertensão, segundo dados agregados do inquérito nacional.",
    ),
    Tpl(
        "ja_abstract",
        "ja",
        "",
        "目的：2型糖尿病患者{n}例を対象に{drug}の有効性を検討した。結果：HbA1cは{pct}%低下した。個人を特定できる情報は含まない。",
    ),
    Tpl(
        "zh_policy",
        "zh",
        "",
        "公司病假制度：员工因病请假须提前告知直属主管，连续病假超过{k}天需提供医院证明。",
    ),
    Tpl(
        "ko_tips",
        "ko",
        "",
        "건강한 수면을 위한 팁: 규칙적인 취침 시간, 카페인 줄이기, 잠들기 전 스마트폰 사용 자제.",
    ),
]

HISTORY = [
    ("Ada Lovelace", "10 December 1815", "mathematician", "she", "her", "1852", "London"),
    ("Frédéric Chopin", "1 March 1810", "composer and pianist", "he", "his", "1849", "Paris"),
    ("Anton Chekhov", "29 January 1860", "playwright and physician", "he", "his", "1904", "Moscow"),
    ("Emily Brontë", "30 July 1818", "novelist and poet", "she", "her", "1848", "Haworth"),
    ("John Keats", "31 October 1795", "Romantic poet", "he", "his", "1821", "Rome"),
    ("Franz Kafka", "3 July 1883", "writer", "he", "his", "1924", "Prague"),
    (
        "Simón Bolívar",
        "24 July 1783",
        "military and political leader",
        "he",
        "his",
        "1830",
        "Caracas",
    ),
]
NEG_DRUGS = [
    "semaglutide",
    "empagliflozin",
    "lisinopril",
    "atorvastatin",
    "tirzepatide",
    "amlodipine",
]
NEG_CONDS = ["type 2 diabetes", "hypertension", "chronic kidney disease", "asthma", "obesity"]


def generate_negatives(seed: int, n: int = 400) -> list[Sample]:
    """Negatives: n texts that must get no classification (need None)."""
    rng = random.Random(seed + 7919)
    fakers: dict[str, Faker] = {}
    out: list[Sample] = []
    order = list(NEG)
    rng.shuffle(order)
    for i in range(n):
        t = order[i % len(order)]
        loc = t.locale or LOCALE_OF.get(t.lang, "en_US")
        if loc not in fakers:
            fakers[loc] = Faker(loc)
            fakers[loc].seed_instance(rng.randrange(2**31))
        fk = fakers[loc]
        h = rng.choice(HISTORY)
        lo = rng.randrange(1, 20)
        company = fk.company()
        v = {
            "n": str(rng.randrange(80, 12000)),
            "k": str(rng.randrange(2, 40)),
            "pct": str(rng.randrange(2, 60)),
            "lo": str(lo),
            "hi": str(lo + rng.randrange(1, 20)),
            "age": str(rng.randrange(30, 75)),
            "year": str(rng.randrange(2010, 2026)),
            "amt": str(rng.randrange(20, 5000)),
            "ver": f"{rng.randrange(1, 9)}.{rng.randrange(0, 30)}.{rng.randrange(0, 10)}",
            "drug": rng.choice(NEG_DRUGS),
            "cond": rng.choice(NEG_CONDS),
            "company": company,
            "domain": "".join(c for c in company.split()[0].lower() if c.isalnum()) + ".example",
            "bizaddr": fk.address().replace("\n", ", "),
            "bizphone": rng.choice(
                ["0800 123 4567", "1-800-555-0199", "0800 000 1234", "800 123 456"]
            ),
            "hist_name": h[0],
            "hist_dob": h[1],
            "hist_role": h[2],
            "hist_pron": h[3],
            "hist_pron2": h[4],
            "hist_death": h[5],
            "hist_city": h[6],
        }
        out.append(
            Sample(
                texts=(t.text.format(**v),),
                family="negative",
                kind=None,
                need=None,
                locale=loc,
                template=f"fourth/{t.name}",
                variant="fixed",
                source=SOURCE,
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-kind", type=int, default=3)
    ap.add_argument("--negatives", type=int, default=5)
    a = ap.parse_args()
    for s in generate(a.seed, a.per_kind) + generate_negatives(a.seed, a.negatives):
        print(json.dumps(asdict(s), ensure_ascii=False))


if __name__ == "__main__":
    main()
