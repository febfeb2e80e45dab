# ruff: noqa: RUF001
# (CJK text legitimately uses full-width punctuation.)
"""kind dob_heldout (need pii): a person's name together with their date of birth."""

from __future__ import annotations

import json

from tests.corpus_heldout import pools
from tests.corpus_heldout.health import EN, Fn
from tests.corpus_heldout.people import Person, Writer

ALL = (
    "en_US",
    "en_GB",
    "en_IN",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "ja_JP",
    "zh_CN",
    "ko_KR",
    "sv_SE",
    "da_DK",
    "hi_IN",
)
LATIN = tuple(loc for loc in ALL if loc not in ("ja_JP", "zh_CN", "ko_KR", "hi_IN"))

LABELS = {  # (name label, date-of-birth label, place label)
    "en": ("Full name", "Date of birth", "Place of birth"),
    "de": ("Name, Vorname", "Geburtsdatum", "Geburtsort"),
    "fr": ("Nom et prénom", "Date de naissance", "Lieu de naissance"),
    "es": ("Nombre y apellidos", "Fecha de nacimiento", "Lugar de nacimiento"),
    "it": ("Cognome e nome", "Data di nascita", "Luogo di nascita"),
    "nl": ("Naam", "Geboortedatum", "Geboorteplaats"),
    "pl": ("Imię i nazwisko", "Data urodzenia", "Miejsce urodzenia"),
    "pt": ("Nome completo", "Data de nascimento", "Naturalidade"),
    "ja": ("氏名", "生年月日", "出生地"),
    "zh": ("姓名", "出生日期", "出生地"),
    "ko": ("성명", "생년월일", "출생지"),
    "sv": ("Namn", "Födelsedatum", "Födelseort"),
    "da": ("Navn", "Fødselsdato", "Fødested"),
    "hi": ("नाम", "जन्म तिथि", "जन्म स्थान"),
}


def _lang(loc: str) -> str:
    return loc.split("_")[0]


def _name_for_label(p: Person, lang: str) -> str:
    if lang in ("de", "it"):
        return f"{p.last}, {p.first}" if lang == "de" else f"{p.last} {p.first}"
    return p.full


def form_labeled(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    lang = _lang(loc)
    n, d, c = LABELS[lang]
    sep = "：" if lang in ("ja", "zh") else ": "
    text = f"{n}{sep}{_name_for_label(p, lang)}\n{d}{sep}{w.dob(p, loc)}\n{c}{sep}{p.city}"
    return text, "labeled"


def csv_export(w: Writer, loc: str) -> tuple[str, str]:
    lang = _lang(loc)
    header, sep = w.choice(
        {
            "de": [("vorname;nachname;geburtsdatum;ort", ";"), ("Name;Geb.-Datum;Wohnort", ";")],
            "fr": [("nom;prenom;date_naissance;ville", ";")],
            "nl": [("voornaam;achternaam;geboortedatum;woonplaats", ";")],
        }.get(lang, [("first_name,last_name,dob,city", ","), ("name,birthdate,city", ",")])
    )
    rows = [header]
    for _ in range(w.rng.randint(2, 4)):
        p = w.person(loc, mix=False)
        d = w.dob(p, loc).replace(sep, " ")
        if header.count(sep) == 3:
            rows.append(
                sep.join([p.first, p.last, d, p.city])
                if "vorname" in header or "first" in header or "voornaam" in header
                else sep.join([p.last, p.first, d, p.city])
            )
        else:
            rows.append(sep.join([p.full, d, p.city]))
    return "\n".join(rows), "csv"


def unlabeled_line(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    d = w.dob(p, loc)
    text = w.choice(
        [
            f"{p.full}, {d}, {p.city}",
            f"{p.full} - {d} - {p.city}",
            f"{p.last.upper()} {p.first}  {d}",
            f"{p.full}\t{d}\t{p.city}",
        ]
    )
    return text, "unlabeled"


def id_card(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    lang = _lang(loc)
    local = {
        "de": ("Name", "Vornamen", "Geburtstag", "Geburtsort"),
        "fr": ("Nom", "Prénom(s)", "Date de naiss.", "Lieu de naissance"),
        "es": ("Apellidos", "Nombre", "Fecha de nacimiento", "Lugar de nacimiento"),
        "it": ("Cognome", "Nome", "Nato il", "a"),
        "nl": ("Naam", "Voornamen", "Geboortedatum", "Geboorteplaats"),
        "pl": ("Nazwisko", "Imiona", "Data urodzenia", "Miejsce urodzenia"),
        "pt": ("Sobrenome", "Nome", "Data de nascimento", "Naturalidade"),
        "sv": ("Efternamn", "Förnamn", "Födelsedatum", "Födelseort"),
        "da": ("Efternavn", "Fornavne", "Fødselsdato", "Fødested"),
    }.get(lang)
    d = p.dob.strftime("%d %m %Y") if w.rng.random() < 0.4 else w.dob(p, loc)
    if local:
        a, b, c, e = local
        text = f"{a} / Surname\n{p.last.upper()}\n{b} / Given names\n{p.first.upper()}\n{c} / Date of birth\n{d}\n{e} / Place of birth\n{p.city.upper()}"
    else:
        text = f"SURNAME: {p.last.upper()}\nGIVEN NAMES: {p.first.upper()}\nDATE OF BIRTH: {d}\nSEX: {p.pron()['sex']}"
    return text, "id_card"


def native_sentence(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    d = w.dob(p, loc)
    pr = p.pron()
    lang = _lang(loc)
    options = {
        "en": [
            f"{p.full} was born on {d} in {p.city}.",
            f"My neighbour {p.full} (born {d}) asked me to help fill in a form.",
        ],
        "de": [
            f"{p.full} wurde am {d} in {p.city} geboren.",
            f"{p.full}, geboren am {d}, wohnhaft in {p.city}.",
        ],
        "fr": [
            f"{p.full}, né{pr['e_fr']} le {d} à {p.city}, demeurant à {p.city}.",
            f"Je soussigné(e) {p.full}, né{pr['e_fr']} le {d}, atteste sur l'honneur...",
        ],
        "es": [
            f"{p.full}, nacid{pr['a_es']} el {d} en {p.city}, con domicilio en {p.city}.",
            f"D./Dña. {p.full}, nacid{pr['a_es']} el {d}, solicita...",
        ],
        "it": [
            f"Il/La sottoscritto/a {p.full}, nat{pr['a_it']} a {p.city} il {d}, dichiara...",
            f"{p.full} è nat{pr['a_it']} il {d} a {p.city}.",
        ],
        "nl": [
            f"{p.full}, geboren op {d} te {p.city}.",
            f"Ondergetekende {p.full}, geboren {d}, verklaart...",
        ],
        "pl": [
            f"{p.full}, urodzon{pr['a_pl']} {d} w miejscowości {p.city}.",
            f"Ja, {p.full}, ur. {d} w {p.city}, oświadczam, że...",
        ],
        "pt": [
            f"{p.full}, nascid{pr['a_es']} em {d}, natural de {p.city}.",
            f"Eu, {p.full}, nascid{pr['a_es']} em {d}, declaro...",
        ],
        "ja": [
            f"{p.full}（{d}生まれ）、{p.city}在住。",
            f"{p.full}さんは{d}に{p.city}で生まれました。",
        ],
        "zh": [
            f"{p.full}，{'女' if p.female else '男'}，{d}出生，{p.city}人。",
            f"兹证明{p.full}同志，出生日期{d}，系我单位职工。",
        ],
        "ko": [f"{p.full} 씨는 {d}에 태어났습니다.", f"{p.full}, 생년월일 {d}, {p.city} 거주."],
        "sv": [f"{p.full}, född {d} i {p.city}.", f"{p.full} föddes {d} i {p.city}."],
        "da": [f"{p.full}, født {d} i {p.city}.", f"{p.full} er født den {d}."],
        "hi": [f"{p.full} का जन्म {d} को {p.city} में हुआ था।", f"नाम: {p.full}, जन्म तिथि {d}"],
    }
    return w.choice(options[lang]), "sentence"


def age_birthday(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    d = w.dob(p, loc)
    text = w.choice(
        [
            f"{p.full} turns {p.age + 1} on {pools.MONTHS['en'][p.dob.month - 1]} {p.dob.day} - born {d}. Can you suggest a party theme?",
            f"{p.full}, {p.age} years old, birthday {d}. Please add to the staff birthday calendar.",
        ]
    )
    if w.rng.random() < 0.3:
        day = f"{p.dob.day} {pools.MONTHS['en'][p.dob.month - 1]}"
        text = (
            f"Reminder: {p.full} is {p.age} and {p.pron()['his']} birthday is {day}. Order a cake?"
        )
        return text, "age_birthday_no_year"
    return text, "age_birthday"


def birthday_card_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    pr = p.pron()
    text = (
        f"write a short funny birthday poem for my coworker {p.full}, {pr['he']} was born on {w.dob(p, loc)} "
        f"and loves {w.choice(['cycling', 'cats', 'bad puns', 'karaoke', 'gardening'])}"
    )
    return text, "chat"


def json_person(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    key = w.choice(["dateOfBirth", "birth_date", "dob", "birthday"])
    d = p.dob.isoformat() if w.rng.random() < 0.6 else w.dob(p, loc)
    rec = {"id": int(w.digits(5)), "name": p.full, key: d, "city": p.city}
    return "Validate this record against the schema:\n" + json.dumps(
        rec, ensure_ascii=False
    ), "json"


def onboarding_email(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Hi payroll, new starter details below.\nName: {p.full}\nDOB: {w.dob(p, loc)}\n"
        f"Start date: {w.recent(loc, 30)}\nRole: {w.faker('en_US').job()}"
    )
    return text, "labeled"


def passenger_manifest(w: Writer, loc: str) -> tuple[str, str]:
    lines = []
    for i in range(w.rng.randint(2, 4)):
        p = w.person(loc)
        d = p.dob.strftime("%d%b%y").upper()
        title = "MRS" if p.female else "MR"
        lines.append(f"{i + 1}. {p.last.upper()}/{p.first.upper()} {title}  DOB {d}")
    return "PAX LIST\n" + "\n".join(lines), "manifest"


def school_enrollment(w: Writer, loc: str) -> tuple[str, str]:
    c = w.child(loc)
    text = f"Enrollment form\nStudent: {c.full}\nBorn: {w.dob(c, loc)}\nGrade: {w.rng.randint(1, 9)}\nGuardian: {w.faker(loc).name()}"
    return text, "child"


def sql_insert(w: Writer, loc: str) -> tuple[str, str]:
    values = []
    for _ in range(w.rng.randint(1, 3)):
        p = w.person(loc, mix=False)
        values.append(f"('{p.first}', '{p.last}', '{p.dob.isoformat()}')")
    text = (
        "INSERT INTO customers (first_name, last_name, birth_date) VALUES\n"
        + ",\n".join(values)
        + ";\nwhy does this give a duplicate key error?"
    )
    return text, "sql"


def markdown_table(w: Writer, loc: str) -> tuple[str, str]:
    rows = ["| Name | Birthday | Team |", "|---|---|---|"]
    for _ in range(w.rng.randint(2, 4)):
        p = w.person(loc)
        rows.append(
            f"| {p.full} | {w.dob(p, loc)} | {w.choice(['Sales', 'Ops', 'R&D', 'Finance'])} |"
        )
    return "\n".join(rows), "table"


def insurance_quote(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Get me a car insurance quote: main driver {p.full}, DOB {w.dob(p, loc)}, "
        f"licence held {w.rng.randint(1, max(1, min(40, p.age - 17)))} years, no claims, car is a 2019 Golf."
    )
    return text, "labeled"


def german_star(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    d = w.dob(p, loc)
    text = w.choice(
        [
            f"{p.full} (* {d} in {p.city})",
            f"{p.full}, geb. {d}",
            f"Lebenslauf\n{p.full}\n* {d} in {p.city}\nledig",
        ]
    )
    return text, "star_notation"


def cv_header(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    lang = _lang(loc)
    head = {
        "fr": "CURRICULUM VITAE",
        "es": "CURRÍCULUM VITAE",
        "it": "CURRICULUM VITAE",
        "pt": "CURRÍCULO",
        "nl": "CURRICULUM VITAE",
        "pl": "ŻYCIORYS",
    }.get(lang, "CURRICULUM VITAE")
    _n, d, _ = LABELS.get(lang, LABELS["en"])
    text = f"{head}\n{p.full}\n{d}: {w.dob(p, loc)}\n{w.faker(loc).street_address()}, {p.city}"
    return text, "cv"


def yaml_record(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    text = f"member:\n  name: {p.full}\n  born: {p.dob.isoformat()}\n  club: {p.city} FC\n  since: {w.rng.randint(2005, 2024)}"
    return text, "yaml"


def b_abbrev(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = w.choice(
        [
            f"Attendees: {p.full} (b. {w.dob(p, loc)}), guardian present.",
            f"Tenant: {p.full}, b. {w.dob(p, loc)}. References checked.",
        ]
    )
    return text, "abbrev"


def log_line(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, mix=False)
    text = (
        f"2025-11-0{w.rng.randint(1, 9)}T10:{w.rng.randint(10, 59)}:03Z INFO user.created "
        f'name="{p.full}" birth_date={p.dob.isoformat()} locale={loc}'
    )
    return text, "log"


DOB: list[tuple[str, tuple[str, ...], Fn]] = [
    ("form_labeled", ALL, form_labeled),
    ("csv_export", LATIN, csv_export),
    ("unlabeled_line", ALL, unlabeled_line),
    ("id_card", LATIN, id_card),
    ("native_sentence", ALL, native_sentence),
    ("age_birthday", EN, age_birthday),
    ("birthday_card_chat", EN, birthday_card_chat),
    ("json_person", ALL, json_person),
    ("onboarding_email", EN, onboarding_email),
    ("passenger_manifest", EN, passenger_manifest),
    ("school_enrollment", EN, school_enrollment),
    ("sql_insert", LATIN, sql_insert),
    ("markdown_table", EN, markdown_table),
    ("insurance_quote", EN, insurance_quote),
    ("german_star", ("de_DE",), german_star),
    ("cv_header", LATIN, cv_header),
    ("yaml_record", ALL, yaml_record),
    ("b_abbrev", EN, b_abbrev),
    ("log_line", ALL, log_line),
]
