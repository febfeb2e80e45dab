# ruff: noqa: RUF001
# (CJK text legitimately uses full-width punctuation.)
"""kind health_heldout in the locale's own language: native clinical and everyday phrasing."""

from __future__ import annotations

from tests.corpus_heldout.health import Fn
from tests.corpus_heldout.people import Writer


def _de(word: str) -> str:
    return f"d'{word}" if word[0].lower() in "aeiouhéè" else f"de {word}"


# --- German ---------------------------------------------------------------------------------


def de_arztbrief(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("de")
    drug, dose, _ = w.drug_for("de", variant)
    der = "die" if p.female else "der"
    start, end = w.span(loc)
    text = (
        f"Sehr geehrte Frau Kollegin, sehr geehrter Herr Kollege,\nwir berichten über {'Frau' if p.female else 'Herrn'} {p.full}, "
        f"geb. {w.dob(p, loc)}, {der} sich vom {start} bis {end} in unserer stationären Behandlung befand.\n"
        f"Diagnosen: {cond} ({icd})\nEntlassmedikation: {drug} {dose} {w.freq('de')}"
    )
    return text, variant


def de_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("de")
    drug, dose, _ = w.drug_for("de", variant)
    rel = "Meine Kollegin" if p.female else "Mein Kollege"
    ihr = "ihr" if p.female else "ihm"
    text = w.choice(
        [
            f"{rel} {p.first} hat mir erzählt, dass bei {ihr} {cond} festgestellt wurde und {'sie' if p.female else 'er'} jetzt {drug} {dose} nimmt. Wie kann ich {'sie' if p.female else 'ihn'} unterstützen?",
            f"{rel} {p.full} ist wegen {cond} seit drei Wochen krankgeschrieben. Wie formuliere ich eine nette Nachricht?",
        ]
    )
    return text, variant


def de_au(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, _variant = w.cond("de")
    text = w.choice(
        [
            f"Arbeitsunfähigkeitsbescheinigung\nVersicherte/r: {p.last}, {p.first}, geb. {w.dob(p, loc)}\narbeitsunfähig seit {w.recent(loc, 10)}\nDiagnose: {icd} G",
            f"Hallo, {p.title('de')} {p.last} ist ab {w.recent(loc, 10)} krankgeschrieben, ICD {icd} ({cond}). Bitte im Dienstplan berücksichtigen.",
        ]
    )
    return text, "icd10"


def de_uebergabe(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=50)
    text = (
        f"Übergabe Zi. {w.rng.randint(1, 30)}: {p.title('de')} {p.last}, {p.age} J., Z. n. {w.proc('de')} am {w.recent(loc, 4)}. "
        f"Vitalzeichen stabil, {w.lab('de')}. Schmerzen mit Novalgin gut kontrolliert."
    )
    return text, "procedure"


# --- French ---------------------------------------------------------------------------------


def fr_compte_rendu(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("fr")
    drug, dose, _ = w.drug_for("fr", variant)
    e = p.pron()["e_fr"]
    text = (
        f"Compte rendu d'hospitalisation\nPatient{e} : {p.title('fr')} {p.full}, né{e} le {w.dob(p, loc)}\n"
        f"Diagnostic principal : {cond} ({icd})\nBiologie : {w.lab('fr')}\n"
        f"Traitement de sortie : {drug} {dose}, {w.freq('fr')}"
    )
    return text, variant


def fr_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("fr")
    drug, dose, _ = w.drug_for("fr", variant)
    il = "elle" if p.female else "il"
    rel = "Ma collègue" if p.female else "Mon collègue"
    text = w.choice(
        [
            f"{rel} {p.full} vient de recevoir un diagnostic {_de(cond)}. {il.capitalize()} prend {drug} {dose}. Comment l'aider au travail ?",
            f"Bonjour, {rel.lower()} {p.first} m'a confié être suivi{p.pron()['e_fr']} pour {cond}, je ne sais pas quoi lui dire.",
        ]
    )
    return text, variant


def fr_arret(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    text = (
        f"Avis d'arrêt de travail : {p.title('fr')} {p.last} {p.first}, né{p.pron()['e_fr']} le {w.dob(p, loc)}, "
        f"arrêt jusqu'au {w.recent(loc, 3)} inclus suite à une {w.proc('fr')}."
    )
    return text, "procedure"


def fr_ordonnance(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    drug, dose, variant = w.drug("fr")
    doc = w.faker(loc).last_name()
    text = (
        f"Dr {doc}\nLe {w.recent(loc, 20)}\n{p.title('fr')} {p.full} ({p.age} ans)\n"
        f"{drug.capitalize()} {dose} : 1 comprimé {w.freq('fr')}, pendant 3 mois. QSP 3 mois."
    )
    return text, variant


# --- Spanish --------------------------------------------------------------------------------


def es_informe_alta(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("es")
    drug, dose, _ = w.drug_for("es", variant)
    text = (
        f"INFORME DE ALTA\nPaciente: {p.full}  Fecha de nacimiento: {w.dob(p, loc)}  NHC: {w.digits(7)}\n"
        f"Diagnóstico principal: {cond} ({icd})\nAnalítica: {w.lab('es')}\n"
        f"Tratamiento: {drug} {dose} {w.freq('es')}"
    )
    return text, variant


def es_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, max_age=42, female=True)
    n = w.rng.randint(8, 32)
    text = w.choice(
        [
            f"Mi hermana {p.first} está embarazada de {n} semanas y le han detectado diabetes gestacional, ¿qué dieta le recomiendas?",
            f"Hola, mi compañera {p.full} tiene un embarazo de {n} semanas con amenaza de parto prematuro. ¿Cómo redacto su solicitud de baja?",
        ]
    )
    return text, "pregnancy"


def es_parte_baja(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("es")
    text = (
        f"Parte de baja por incapacidad temporal\nTrabajador/a: {p.title('es')} {p.full}\n"
        f"Fecha de baja: {w.recent(loc, 15)}\nDiagnóstico: {cond} (CIE-10 {icd})"
    )
    return text, variant


# --- Italian --------------------------------------------------------------------------------


def it_lettera_dimissione(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("it")
    drug, dose, _ = w.drug_for("it", variant)
    a = p.pron()["a_it"]
    text = (
        f"Lettera di dimissione\nPaziente: {p.full}, nat{a} il {w.dob(p, loc)} a {p.city}\n"
        f"Diagnosi di dimissione: {cond}\nEsami: {w.lab('it')}\nTerapia domiciliare: {drug} {dose} {w.freq('it')}"
    )
    return text, variant


def it_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("it")
    rel = "La mia collega" if p.female else "Il mio collega"
    text = (
        f"{rel} {p.full} mi ha confidato di essere in cura per {cond} da qualche mese. "
        f"Come posso aiutarl{p.pron()['a_it']} senza essere invadente?"
    )
    return text, variant


def it_certificato(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("it")
    a = p.pron()["a_it"]
    il = "la" if p.female else "il"
    text = (
        f"Si certifica che {il} {p.title('it')} {p.full}, nat{a} a {p.city} il {w.dob(p, loc)}, "
        f"è affett{a} da {cond} e necessita di {w.rng.randint(5, 30)} giorni di riposo."
    )
    return text, variant


# --- Dutch ----------------------------------------------------------------------------------


def nl_verwijsbrief(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("nl")
    drug, dose, _ = w.drug_for("nl", variant)
    text = (
        f"Geachte collega,\nGraag verwijs ik {p.title('nl')} {p.full}, geb. {w.dob(p, loc)}, naar uw polikliniek "
        f"in verband met {cond}. Medicatie: {drug} {dose} {w.freq('nl')}. Lab: {w.lab('nl')}."
    )
    return text, variant


def nl_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("nl")
    rel = "buurvrouw" if p.female else "buurman"
    text = f"Mijn {rel} {p.first} {p.last} heeft net gehoord dat {'ze' if p.female else 'hij'} {cond} heeft. Wat kan ik het beste zeggen?"
    return text, variant


def nl_overdracht(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=50)
    text = (
        f"Overdracht kamer {w.rng.randint(1, 20)}: {p.title('nl')} {p.last}, {p.age} jr, dag 2 na {w.proc('nl')}. "
        f"{w.lab('nl')}. Mobiliseert met rollator."
    )
    return text, "procedure"


# --- Polish ---------------------------------------------------------------------------------


def pl_karta_wypisowa(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("pl")
    drug, dose, _ = w.drug_for("pl", variant)
    text = (
        f"Karta informacyjna leczenia szpitalnego\nPacjent: {p.full}, ur. {w.dob(p, loc)}\n"
        f"Rozpoznanie: {cond} ({icd})\nBadania: {w.lab('pl')}\nZalecenia: {drug} {dose} {w.freq('pl')}"
    )
    return text, variant


def pl_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("pl")
    drug, dose, _ = w.drug_for("pl", variant)
    if p.female:
        text = f"Moja koleżanka {p.first} powiedziała mi, że lekarz postawił jej diagnozę: {cond}. Przyjmuje lek: {drug} {dose}. Jak mogę ją wspierać?"
    else:
        text = f"Mój kolega {p.first} powiedział mi, że lekarz postawił mu diagnozę: {cond}. Przyjmuje lek: {drug} {dose}. Jak mogę go wspierać?"
    return text, variant


def pl_l4(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, _cond, _variant = w.cond("pl")
    start, end = w.span(loc, 20)
    text = (
        f"Zwolnienie lekarskie: {p.title('pl')} {p.full}, ur. {w.dob(p, loc)}, niezdolność do pracy "
        f"od {start} do {end}, kod choroby: {icd}."
    )
    return text, "icd10_code_only"


# --- Portuguese (Brazil) --------------------------------------------------------------------


def pt_prontuario(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("pt")
    drug, dose, _ = w.drug_for("pt", variant)
    a = "a" if p.female else "o"
    text = (
        f"Evolução: Paciente {p.full}, {p.age} anos, nascid{a} em {w.dob(p, loc)}, em acompanhamento por {cond}. "
        f"Em uso de {drug} {dose} {w.freq('pt')}. {w.lab('pt')}."
    )
    return text, variant


def pt_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("pt")
    drug, dose, _ = w.drug_for("pt", variant)
    rel = "Minha tia" if p.female else "Meu tio"
    a = "a" if p.female else "o"
    text = f"{rel} {p.first} foi diagnosticad{a} com {cond} e o médico receitou {drug} {dose}. Isso tem muitos efeitos colaterais?"
    return text, variant


def pt_atestado(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, _cond, _variant = w.cond("pt")
    text = (
        f"ATESTADO MÉDICO\nAtesto para os devidos fins que {p.title('pt')} {p.full} esteve sob meus cuidados "
        f"em {w.recent(loc, 5)}, necessitando de {w.rng.randint(2, 15)} dias de afastamento. CID: {icd}"
    )
    return text, "icd10_code_only"


# --- Japanese -------------------------------------------------------------------------------


def ja_shokaijo(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("ja")
    drug, dose, _ = w.drug_for("ja", variant)
    text = (
        f"診療情報提供書\n患者氏名：{p.full} 様\n生年月日：{w.dob(p, loc)}\n傷病名：{cond}\n"
        f"処方：{drug} {dose} {w.freq('ja')}\nご高診のほどよろしくお願い申し上げます。"
    )
    return text, variant


def ja_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("ja")
    text = w.choice(
        [
            f"同僚の{p.last}さんが{cond}で休職することになりました。どう声をかければいいですか？",
            f"部下の{p.full}さんから{cond}と診断されたと報告がありました。人事への連絡文を作ってください。",
        ]
    )
    return text, variant


def ja_kango(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=50)
    text = f"{p.last}様（{p.age}歳）、{w.proc('ja')}後2日目。{w.lab('ja')}。疼痛は自制内、夜間不眠の訴えあり。"
    return text, "procedure"


# --- Chinese --------------------------------------------------------------------------------


def zh_chuyuan(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("zh")
    drug, dose, _ = w.drug_for("zh", variant)
    sex = "女" if p.female else "男"
    text = (
        f"出院小结\n姓名：{p.full}  性别：{sex}  出生日期：{w.dob(p, loc)}\n出院诊断：{cond}（{icd}）\n"
        f"出院带药：{drug} {dose} {w.freq('zh')}"
    )
    return text, variant


def zh_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("zh")
    drug, _dose, _ = w.drug_for("zh", variant)
    ta = "她" if p.female else "他"
    text = w.choice(
        [
            f"我同事{p.full}最近确诊了{cond}，在吃{drug}，我该怎么安慰{ta}？",
            f"{p.full}的化验结果：{w.lab('zh')}，医生说是{cond}，需要住院吗？",
        ]
    )
    return text, variant


def zh_hushi(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc, min_age=45)
    text = f"{w.rng.randint(1, 40)}床 {p.full}，{p.age}岁，{w.proc('zh')}术后第1天，生命体征平稳，{w.lab('zh')}。"
    return text, "procedure"


# --- Korean, Swedish ------------------------------------------------------------------------


def ko_chart(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    icd, cond, variant = w.cond("ko")
    drug, dose, _ = w.drug_for("ko", variant)
    text = f"환자명: {p.full}\n생년월일: {w.dob(p, loc)}\n진단명: {cond} ({icd})\n처방: {drug} {dose} {w.freq('ko')}"
    return text, variant


def ko_chat(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("ko")
    text = f"제 동료 {p.full} 씨가 {cond} 진단을 받았는데 회사에서 어떻게 도와줄 수 있을까요?"
    return text, variant


def sv_remiss(w: Writer, loc: str) -> tuple[str, str]:
    p = w.person(loc)
    _icd, cond, variant = w.cond("sv")
    drug, dose, _ = w.drug_for("sv", variant)
    text = (
        f"Remiss: {p.full}, född {w.dob(p, loc)}, med känd {cond}. "
        f"Aktuell medicinering: {drug} {dose} {w.freq('sv')}. Önskar bedömning."
    )
    return text, variant


HEALTH_NATIVE: list[tuple[str, tuple[str, ...], Fn]] = [
    ("de_arztbrief", ("de_DE",), de_arztbrief),
    ("de_chat", ("de_DE",), de_chat),
    ("de_au", ("de_DE",), de_au),
    ("de_uebergabe", ("de_DE",), de_uebergabe),
    ("fr_compte_rendu", ("fr_FR",), fr_compte_rendu),
    ("fr_chat", ("fr_FR",), fr_chat),
    ("fr_arret", ("fr_FR",), fr_arret),
    ("fr_ordonnance", ("fr_FR",), fr_ordonnance),
    ("es_informe_alta", ("es_ES",), es_informe_alta),
    ("es_chat", ("es_ES",), es_chat),
    ("es_parte_baja", ("es_ES",), es_parte_baja),
    ("it_lettera_dimissione", ("it_IT",), it_lettera_dimissione),
    ("it_chat", ("it_IT",), it_chat),
    ("it_certificato", ("it_IT",), it_certificato),
    ("nl_verwijsbrief", ("nl_NL",), nl_verwijsbrief),
    ("nl_chat", ("nl_NL",), nl_chat),
    ("nl_overdracht", ("nl_NL",), nl_overdracht),
    ("pl_karta_wypisowa", ("pl_PL",), pl_karta_wypisowa),
    ("pl_chat", ("pl_PL",), pl_chat),
    ("pl_l4", ("pl_PL",), pl_l4),
    ("pt_prontuario", ("pt_BR",), pt_prontuario),
    ("pt_chat", ("pt_BR",), pt_chat),
    ("pt_atestado", ("pt_BR",), pt_atestado),
    ("ja_shokaijo", ("ja_JP",), ja_shokaijo),
    ("ja_chat", ("ja_JP",), ja_chat),
    ("ja_kango", ("ja_JP",), ja_kango),
    ("zh_chuyuan", ("zh_CN",), zh_chuyuan),
    ("zh_chat", ("zh_CN",), zh_chat),
    ("zh_hushi", ("zh_CN",), zh_hushi),
    ("ko_chart", ("ko_KR",), ko_chart),
    ("ko_chat", ("ko_KR",), ko_chat),
    ("sv_remiss", ("sv_SE",), sv_remiss),
]
