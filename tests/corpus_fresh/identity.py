# ruff: noqa: RUF001
"""kind identity_fresh (need pii): a specific person with a birth date, government id, home
address or personal phone/e-mail, inside the payloads applications really send."""

from __future__ import annotations

import json

from tests.corpus_fresh.base import W, d_eu, d_iso, d_us, registry

TEMPLATES, tpl = registry()


def _person(w: W, lang: str = "en") -> dict[str, str]:
    f, last = w.first(lang), w.last(lang)
    return {
        "first": f,
        "last": last,
        "email": w.email_for(f, last, lang),
        "phone": w.phone(lang),
        "dob": d_iso(w.dob(lang)),
        "addr": w.addr(lang),
    }


@tpl("crm_csv_export")
def _(w: W) -> str:
    rows = ["contact_id,first_name,last_name,email,mobile,lifecycle_stage"]
    for _i in range(w.num(2, 4)):
        p = _person(w)
        rows.append(
            f"{w.num(100000, 999999)},{p['first']},{p['last']},{p['email']},{p['phone']},"
            f"{w.pick(['lead', 'customer', 'churned', 'mql'])}"
        )
    return "Dedupe these contacts and tell me which look like the same person:\n" + "\n".join(rows)


@tpl("kyc_onboarding_json")
def _(w: W) -> str:
    p = _person(w)
    return "Validate this KYC payload and list missing fields:\n" + json.dumps(
        {
            "applicant": {
                "given_name": p["first"],
                "family_name": p["last"],
                "date_of_birth": p["dob"],
                "ssn": w.fake("en").ssn(),
                "residential_address": p["addr"],
            },
            "document": {
                "type": w.pick(["drivers_license", "passport"]),
                "issuing_state": w.fake("en").state_abbr(),
            },
            "risk_score": w.num(1, 99) / 100,
        }
    )


@tpl("shipping_label")
def _(w: W) -> str:
    return (
        f"Extract recipient fields as JSON from this label OCR:\nSHIP TO:\n{w.full().upper()}\n"
        f"{w.addr(oneline=False).upper()}\nTEL {w.phone()}\nUSPS PRIORITY  TRK 9400 1{w.num(100, 999)} "
        f"{w.num(1000, 9999)} {w.num(1000, 9999)} {w.num(1000, 9999)} {w.num(10, 99)}"
    )


@tpl("hotel_checkin")
def _(w: W) -> str:
    p = _person(w, "gb")
    return (
        f"Write a welcome message for this guest.\nCheck-in record: {p['first']} {p['last']} | "
        f"DOB {d_eu(w.dob('gb'), '/')} | Passport {w.pick(['5', '1'])}{w.num(10000000, 99999999)} | "
        f"Home: {p['addr']} | Mob {p['phone']} | Room {w.num(101, 812)}, 3 nights"
    )


@tpl("school_enrolment")
def _(w: W) -> str:
    kid = w.full()
    return (
        f"Fill the district's enrolment summary from this form:\nStudent: {kid}\nDate of birth: "
        f"{d_us(w.dob('en', 5, 15))}\nHome address: {w.addr()}\nParent/guardian: {w.full()}, "
        f"cell {w.phone()}\nPrevious school: {w.pick(['Jefferson Elem.', 'St. Agnes', 'homeschool'])}"
    )


@tpl("dating_profile")
def _(w: W) -> str:
    f = w.first()
    return (
        f'Make my dating bio funnier: "{f}, {w.num(24, 45)}. Coffee snob, dog dad, terrible at '
        f"karaoke. Not big on apps so text me: {w.phone()} or IG @{w.user(f)}. I live off "
        f'{w.fake("en").street_name()} near the park."'
    )


@tpl("chat_share_details", variant="self")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"ok here are my details for the form, can you format them as an address block?\nname "
        f"{p['first']} {p['last']}\nbirthday {d_us(w.dob())}\naddress {p['addr']}\nphone "
        f"{p['phone']}\nemail {p['email']}"
    )


@tpl("log_lines")
def _(w: W) -> str:
    p = _person(w)
    t = f"2025-0{w.num(1, 9)}-{w.num(10, 28)}T{w.num(10, 23)}:{w.num(10, 59)}"
    return (
        f"What's going wrong here?\n{t}:01.113Z INFO  signup.start email={p['email']}\n"
        f'{t}:01.402Z WARN  address.verify failed addr="{p["addr"]}" user={p["first"]} {p["last"]}\n'
        f"{t}:02.020Z ERROR signup.abort reason=ADDRESS_UNVERIFIED"
    )


@tpl("sql_insert")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"Convert to a Postgres upsert:\nINSERT INTO customers (first_name, last_name, dob, email, "
        f"phone, street) VALUES ('{p['first']}', '{p['last'].replace(chr(39), chr(39) * 2)}', '{p['dob']}', "
        f"'{p['email']}', '{p['phone']}', '{w.fake('en').street_address()}');"
    )


@tpl("yaml_fixture")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"This fixture breaks my test, why?\n```yaml\nusers:\n  - id: {w.num(1, 500)}\n"
        f'    name: {p["first"]} {p["last"]}\n    email: {p["email"]}\n    ssn: "{w.fake("en").ssn()}"\n'
        f"    birthdate: {p['dob']}\n    role: member\n```"
    )


@tpl("markdown_table")
def _(w: W) -> str:
    lines = ["| Name | Phone | Address |", "|---|---|---|"]
    for _i in range(w.num(2, 3)):
        lines.append(f"| {w.full()} | {w.phone()} | {w.addr()} |")
    return "Sort this volunteer list by city:\n" + "\n".join(lines)


@tpl("tsv_paste")
def _(w: W) -> str:
    rows = ["Name\tDOB\tMember #\tEmail"]
    for _i in range(w.num(2, 4)):
        p = _person(w)
        rows.append(
            f"{p['first']} {p['last']}\t{d_us(w.dob())}\t{w.num(10000, 99999)}\t{p['email']}"
        )
    return "which of these members turn 40 this year?\n" + "\n".join(rows)


@tpl("change_of_address_ticket")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"Draft a reply confirming the change.\nFrom: {p['email']}\nHi, I moved! please update my "
        f"address on policy {w.pick(['HO', 'AU', 'LF'])}-{w.num(1000000, 9999999)} to {p['addr']}. "
        f"thanks, {p['first']}"
    )


@tpl("payroll_w4")
def _(w: W) -> str:
    return (
        f"Check this new-hire record for errors: {w.full()}, SSN {w.fake('en').ssn()}, "
        f"start {d_us(w.recent())}, filing status {w.pick(['single', 'married filing jointly', 'head of household'])}, "
        f"home {w.addr()}, direct deposit routing {w.num(100000000, 399999999)}."
    )


@tpl("rental_application")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"Score this rental applicant 1-10 and explain:\nApplicant: {p['first']} {p['last']}\nDOB: "
        f"{p['dob']}\nCurrent address: {p['addr']} ({w.num(1, 9)} yrs)\nIncome: ${w.num(38, 140)}k\n"
        f"Phone: {p['phone']}"
    )


@tpl("bug_repro")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"Jira PAY-{w.num(100, 9999)}: checkout 500s for one customer. Repro with her account: "
        f"{p['email']} (cust {p['first']} {p['last']}, billing zip {w.fake('en').postcode()}, "
        f"phone on file {p['phone']}). Can you guess the cause from the stack trace below?\n"
        f"  File \"checkout.py\", line {w.num(40, 400)}, in tax_for\nKeyError: 'state'"
    )


@tpl("vcard")
def _(w: W) -> str:
    p = _person(w)
    return (
        f"Parse this vCard into JSON:\nBEGIN:VCARD\nVERSION:3.0\nFN:{p['first']} {p['last']}\n"
        f"TEL;TYPE=CELL:{p['phone']}\nEMAIL;TYPE=HOME:{p['email']}\nADR;TYPE=HOME:;;{p['addr']}\n"
        f"BDAY:{p['dob']}\nEND:VCARD"
    )


@tpl("gb_nhs_like", "gb")
def _(w: W) -> str:
    return (
        f"Summarise this council-tax query: Resident {w.full('gb')}, NI number "
        f"{w.fake('gb').ssn()}, of {w.addr('gb')}, says she was billed for the wrong band. "
        f"Contact {w.phone('gb')}."
    )


@tpl("kyc_json", "de")
def _(w: W) -> str:
    return "Prüfe dieses Onboarding-Objekt auf Vollständigkeit:\n" + json.dumps(
        {
            "vorname": w.first("de"),
            "nachname": w.last("de"),
            "geburtsdatum": d_eu(w.dob("de")),
            "anschrift": w.addr("de"),
            "telefon": w.phone("de"),
            "iban": w.fake("de").iban(),
        },
        ensure_ascii=False,
    )


@tpl("customer_record", "fr")
def _(w: W) -> str:
    return (
        f"Corrige le format de cette fiche client : {w.full('fr')} ; né(e) le "
        f"{d_eu(w.dob('fr'), '/')} ; n° sécu {w.fake('fr').ssn()} ; {w.addr('fr')} ; tél. {w.phone('fr')}"
    )


@tpl("enrolment", "es")
def _(w: W) -> str:
    return (
        f"Genera el correo de confirmación de matrícula para: alumno {w.full('es')}, DNI "
        f"{w.fake('es').nif()}, fecha de nacimiento {d_eu(w.dob('es', 17, 30), '/')}, domicilio "
        f"{w.addr('es')}."
    )


@tpl("crm_note", "it")
def _(w: W) -> str:
    return (
        f"Riassumi la chiamata: ha chiamato {w.full('it')} (codice fiscale {w.fake('it').ssn()}), "
        f"residente in {w.addr('it')}, chiede di aggiornare il numero di cellulare a {w.phone('it')}."
    )


@tpl("delivery", "nl")
def _(w: W) -> str:
    return (
        f"Schrijf een bezorgbericht voor: {w.full('nl')}, {w.addr('nl')}, tel. {w.phone('nl')}, "
        f"BSN {w.fake('nl').ssn()} (voor de apotheekbezorging)."
    )


@tpl("cadastro", "pt")
def _(w: W) -> str:
    return (
        f"Formate como JSON: Nome: {w.full('pt')} | CPF: {w.fake('pt').cpf()} | Nascimento: "
        f"{d_eu(w.dob('pt'), '/')} | Endereço: {w.addr('pt')} | Celular: {w.phone('pt')}"
    )


@tpl("form", "pl")
def _(w: W) -> str:
    return (
        f"Sprawdź poprawność danych: Imię i nazwisko: {w.full('pl')}, PESEL: {w.fake('pl').pesel()}, "
        f"adres zamieszkania: {w.addr('pl')}, telefon: {w.phone('pl')}."
    )


@tpl("sql", "sv")
def _(w: W) -> str:
    return (
        f"Varför failar den här raden?\nINSERT INTO kunder (namn, personnummer, adress, telefon) "
        f"VALUES ('{w.full('sv')}', '{w.fake('sv').ssn()}', '{w.addr('sv')}', '{w.phone('sv')}');"
    )


@tpl("member_record", "ja")
def _(w: W) -> str:
    return (
        f"以下の会員情報を表形式にしてください。氏名：{w.full('ja')}、生年月日：{w.dob('ja').year}年"
        f"{w.num(1, 12)}月{w.num(1, 28)}日、住所：〒{w.fake('ja').postcode()} {w.addr('ja')}、"
        f"電話：{w.phone('ja')}"
    )


@tpl("order", "zh")
def _(w: W) -> str:
    return (
        f"帮我把这个订单信息整理成表格：收件人 {w.full('zh')}，身份证号 {w.fake('zh').ssn()}，"
        f"地址 {w.addr('zh')}，电话 {w.phone('zh')}"
    )


@tpl("signup", "ko")
def _(w: W) -> str:
    return (
        f"가입 정보를 JSON으로 바꿔 주세요. 이름: {w.full('ko')}, 주민등록번호: {w.fake('ko').ssn()}, "
        f"주소: {w.addr('ko')}, 휴대폰: 010-{w.num(1000, 9999)}-{w.num(1000, 9999)}"
    )
