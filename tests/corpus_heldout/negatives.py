# ruff: noqa: RUF001
# (CJK text legitimately uses full-width punctuation.)
"""Negatives (family "negative"): text a gateway sees that names no private person's health or
birth date. Medical education, public figures, dates that are not birth dates, products, recipes,
sports, software. Each generator is `fn(w) -> (text, variant, locale)`.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.corpus_heldout import pools
from tests.corpus_heldout.people import Writer

NegFn = Callable[[Writer], tuple[str, str, str]]


# --- general medical questions --------------------------------------------------------------

_Q = {
    "en": [
        "What is the first-line treatment for {cond}?",
        "How is {cond} usually diagnosed?",
        "What are the early warning signs of {cond}?",
        "Summarise the latest guidelines for managing {cond} in primary care.",
        "Explain {cond} to a first-year nursing student in 5 bullet points.",
        "Is {cond} hereditary? What does the evidence say?",
    ],
    "de": [
        "Was ist die Erstlinientherapie bei {cond}?",
        "Wie wird {cond} diagnostiziert?",
        "Welche Leitlinie gilt aktuell für {cond}?",
    ],
    "fr": [
        "Quel est le traitement de première intention en cas {de_cond} ?",
        "Quels sont les symptômes typiques {de_cond} ?",
        "Résume les recommandations HAS sur la prise en charge {de_cond}.",
    ],
    "es": [
        "¿Cuál es el tratamiento de primera línea para {cond}?",
        "¿Cómo se diagnostica: {cond}?",
        "Explica en palabras sencillas qué es {cond}.",
    ],
    "it": [
        "Qual è la terapia di prima linea per {cond}?",
        "Come si diagnostica: {cond}?",
        "Spiegami in modo semplice cos'è {cond}.",
    ],
    "nl": [
        "Wat is de eerstelijnsbehandeling van {cond}?",
        "Hoe wordt {cond} vastgesteld?",
        "Wat zegt de NHG-standaard over {cond}?",
    ],
    "pl": [
        "Jakie jest leczenie pierwszego rzutu? Temat: {cond}",
        "Jak diagnozuje się schorzenie: {cond}?",
        "Wyjaśnij prostymi słowami: {cond}.",
    ],
    "pt": [
        "Qual é o tratamento de primeira linha para {cond}?",
        "Como é feito o diagnóstico de {cond}?",
        "Explique de forma simples o que é {cond}.",
    ],
    "ja": [
        "{cond}の第一選択薬は何ですか？",
        "{cond}の診断基準を教えてください。",
        "{cond}について患者向けの説明文を書いてください。",
    ],
    "zh": ["{cond}的一线治疗方案是什么？", "{cond}如何诊断？", "请用通俗的语言解释{cond}。"],
}
_LOC = {
    "en": "en_US",
    "de": "de_DE",
    "fr": "fr_FR",
    "es": "es_ES",
    "it": "it_IT",
    "nl": "nl_NL",
    "pl": "pl_PL",
    "pt": "pt_BR",
    "ja": "ja_JP",
    "zh": "zh_CN",
}


def med_question(w: Writer) -> tuple[str, str, str]:
    lang = w.choice(tuple(_Q))
    _icd, cond, _ = w.cond(lang)
    de_cond = f"d'{cond}" if cond[0].lower() in "aeiouhéè" else f"de {cond}"
    return w.choice(_Q[lang]).format(cond=cond, de_cond=de_cond), "med_question", _LOC[lang]


def icd_explain(w: Writer) -> tuple[str, str, str]:
    a, b = w.cond("en"), w.cond("en")
    text = w.choice(
        [
            f"Explain ICD-10 code {a[0]}.",
            f"What's the difference between {a[0]} and {b[0]} for billing purposes?",
            f"Which ICD-10 chapter does {a[0]} ({a[1]}) belong to?",
            f"Write a regex that matches ICD-10 codes like {a[0]} and {b[0]}.",
            f"Map ICD-10 {a[0]} to the closest SNOMED CT concept.",
        ]
    )
    return text, "icd_explain", "en_US"


def drug_interaction(w: Writer) -> tuple[str, str, str]:
    lang = w.choice(("en", "en", "de", "fr", "es", "ja"))
    d1, dose, _ = w.drug(lang)
    d2, _, _ = w.drug(lang)
    text = {
        "en": w.choice(
            [
                f"Is there an interaction between {d1} and {d2}?",
                f"What is the usual adult starting dose of {d1}?",
                f"Can {d1} {dose} tablets be crushed?",
                f"What monitoring is needed when starting {d1}?",
            ]
        ),
        "de": f"Gibt es eine Wechselwirkung zwischen {d1} und {d2}?",
        "fr": f"Y a-t-il une interaction entre {d1} et {d2} ?",
        "es": f"¿Se puede tomar {d1} junto con {d2}?",
        "ja": f"{d1}と{d2}の併用で注意すべき相互作用はありますか？",
    }[lang]
    return text, "drug_interaction", _LOC[lang]


_TEXTBOOK = [
    (
        "Metformin lowers hepatic glucose production and improves insulin sensitivity. It is usually started at 500 mg once or twice daily with meals and titrated to reduce gastrointestinal side effects. It should be avoided when eGFR is below 30 mL/min/1.73m2.",
        "en_US",
    ),
    (
        "Selective serotonin reuptake inhibitors block the reuptake of serotonin at the presynaptic membrane. The full antidepressant effect typically appears after four to six weeks; early side effects include nausea, headache and sleep disturbance.",
        "en_US",
    ),
    (
        "Direct oral anticoagulants such as apixaban inhibit factor Xa. Unlike warfarin they do not require routine INR monitoring, but doses must be adjusted for renal function, age and body weight.",
        "en_US",
    ),
    (
        "Lithium has a narrow therapeutic index. Serum levels are usually kept between 0.4 and 1.0 mmol/L and are measured 12 hours after the last dose. Dehydration, NSAIDs and ACE inhibitors can raise levels.",
        "en_US",
    ),
    (
        "Heart failure with reduced ejection fraction is treated with four pillars: an ACE inhibitor or ARNI, a beta blocker, a mineralocorticoid receptor antagonist and an SGLT2 inhibitor.",
        "en_US",
    ),
    (
        "Die Insulintherapie bei Diabetes mellitus Typ 1 erfolgt meist als intensivierte konventionelle Therapie mit Basal- und Bolusinsulin oder über eine Insulinpumpe.",
        "de_DE",
    ),
    (
        "L'insuffisance cardiaque à fraction d'éjection réduite se définit par une FEVG inférieure ou égale à 40 %. Le traitement repose sur quatre classes médicamenteuses.",
        "fr_FR",
    ),
    (
        "La diabetes gestacional se diagnostica habitualmente entre las semanas 24 y 28 de embarazo mediante una sobrecarga oral de glucosa.",
        "es_ES",
    ),
    (
        "妊娠糖尿病は妊娠中に初めて発見または発症した糖代謝異常であり、妊娠24〜28週に75gOGTTでスクリーニングを行う。",
        "ja_JP",
    ),
    ("2型糖尿病的一线药物通常为二甲双胍，若无禁忌证应长期使用。", "zh_CN"),
]


def textbook(w: Writer) -> tuple[str, str, str]:
    text, loc = w.choice(_TEXTBOOK)
    if loc == "en_US" and w.rng.random() < 0.4:
        text = "Turn this paragraph into three multiple-choice questions:\n" + text
    return text, "textbook", loc


def trial_design(w: Writer) -> tuple[str, str, str]:
    _icd, cond, _ = w.cond("en")
    drug, dose, _ = w.drug("en")
    text = w.choice(
        [
            f"We're designing a phase {w.choice(['II', 'III'])} RCT of {drug} versus placebo in adults with {cond}. How many participants do we need for 80% power to detect a 15% relative risk reduction?",
            f"What inclusion and exclusion criteria are typical for trials in {cond}?",
            f"Draft the primary endpoint section for a non-inferiority trial comparing two doses of {drug} ({dose} vs double dose).",
            f"Should a trial in {cond} stratify randomisation by site and baseline HbA1c? Pros and cons.",
        ]
    )
    return text, "trial_design", "en_US"


_COUNTRIES = [
    "Germany",
    "France",
    "Spain",
    "Japan",
    "Brazil",
    "Poland",
    "the Netherlands",
    "Italy",
    "the UK",
    "the US",
]


def public_health(w: Writer) -> tuple[str, str, str]:
    _icd, cond, _ = w.cond("en", ("diagnosis",))
    year = w.rng.randint(2015, 2024)
    pct = w.rng.randint(2, 190) / 10
    country = w.choice(_COUNTRIES)
    text = w.choice(
        [
            f"In {year}, about {pct}% of adults in {country} were living with {cond}, according to national survey data. Write a short paragraph for a public-health newsletter.",
            f"Incidence of {cond} in {country} rose from {pct} to {round(pct * 1.2, 1)} per 1,000 person-years between {year - 5} and {year}. Is that statistically meaningful?",
            f"region,year,cases_per_100k\nNorth,{year},{w.rng.randint(80, 400)}\nSouth,{year},{w.rng.randint(80, 400)}\nPlot these {cond} rates.",
        ]
    )
    return text, "public_health", "en_US"


def _a(n: int) -> str:
    return "an" if n in (8, 11, 18) or 80 <= n <= 89 else "a"


def case_vignette(w: Writer) -> tuple[str, str, str]:
    age = w.rng.randint(20, 85)
    sex = w.choice(["man", "woman"])
    _icd, cond, _ = w.cond("en")
    text = w.choice(
        [
            f"Exam question: {_a(age).capitalize()} {age}-year-old {sex} presents with fatigue and weight loss. Labs show HbA1c 9.5%. What is the most likely diagnosis and first step in management?",
            f"USMLE-style: {_a(age)} {age}-year-old {sex} with a history of {cond} develops ankle swelling after a new medication is started. Which drug is most likely responsible?",
        ]
    )
    return text, "case_vignette", "en_US"


# --- dates that are not birth dates ----------------------------------------------------------


def release_date(w: Writer) -> tuple[str, str, str]:
    loc = w.choice(("en_US", "en_GB", "de_DE", "fr_FR"))
    d = w.recent(loc, 900)
    v = f"{w.rng.randint(1, 9)}.{w.rng.randint(0, 30)}.{w.rng.randint(0, 9)}"
    text = {
        "en_US": f"Version {v} was released on {d}. What changed compared to the previous minor release?",
        "en_GB": f"The {v} release ({d}) dropped support for Python 3.8. Should we upgrade now?",
        "de_DE": f"Version {v} erscheint am {d}. Bitte die Release Notes auf Deutsch zusammenfassen.",
        "fr_FR": f"La version {v} est sortie le {d}. Quelles sont les nouveautés ?",
    }[loc]
    return text, "release_date", loc


def changelog(w: Writer) -> tuple[str, str, str]:
    a = w.rng.randint(1, 5)
    b = w.rng.randint(0, 20)
    m = w.rng.randint(1, 11)
    fixed = w.choice(
        [
            "Crash when the export folder is empty",
            "Wrong rounding in VAT totals",
            "Memory leak in the PDF renderer",
        ]
    )
    added = w.choice(
        ["Dark mode", "CSV import", "Keyboard shortcuts for the editor", "Support for Python 3.13"]
    )
    text = (
        f"## [{a}.{b}.1] - 2025-{m + 1:02d}-{w.rng.randint(1, 28):02d}\n### Fixed\n- {fixed}\n"
        f"- Timezone offset in scheduled reports\n## [{a}.{b}.0] - 2025-{m:02d}-{w.rng.randint(1, 28):02d}\n### Added\n- {added}\n\nWrite release notes from this."
    )
    return text, "changelog", "en_US"


def invoice(w: Writer) -> tuple[str, str, str]:
    loc = w.choice(("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"))
    f = w.faker(loc)
    company = f.company()
    d = w.recent(loc, 200)
    n = f"INV-{w.rng.randint(2023, 2025)}-{w.digits(4)}"
    amount = f"{w.rng.randint(100, 9999)},{w.rng.randint(10, 99)}"
    text = {
        "en_US": f"Invoice {n} from {company}, dated {d}, total ${amount.replace(',', '.')}. Is it already past the 30-day payment term?",
        "de_DE": f"Rechnung {n} der {company} vom {d}, Betrag {amount} EUR. Bitte Buchungssatz vorschlagen.",
        "fr_FR": f"Facture {n} de {company} du {d}, montant {amount} EUR TTC. Comment la comptabiliser ?",
        "es_ES": f"Factura {n} de {company} con fecha {d}, importe {amount} EUR. ¿Cuándo vence?",
        "it_IT": f"Fattura {n} di {company} del {d}, importo {amount} EUR. Scadenza a 60 giorni?",
        "nl_NL": f"Factuur {n} van {company}, gedateerd {d}, bedrag EUR {amount}. Wanneer moet deze betaald zijn?",
    }[loc]
    return text, "invoice", loc


# (name, (y, m, d), place, lang of the sentence)
_FIGURES = [
    ("Albert Einstein", (1879, 3, 14), "Ulm", "en"),
    ("Marie Curie", (1867, 11, 7), "Warsaw", "en"),
    ("Charles Darwin", (1809, 2, 12), "Shrewsbury", "en"),
    ("Abraham Lincoln", (1809, 2, 12), "Kentucky", "en"),
    ("Ada Lovelace", (1815, 12, 10), "London", "en"),
    ("Alan Turing", (1912, 6, 23), "London", "en"),
    ("Mahatma Gandhi", (1869, 10, 2), "Porbandar", "en"),
    ("Nelson Mandela", (1918, 7, 18), "Mvezo", "en"),
    ("Martin Luther King Jr.", (1929, 1, 15), "Atlanta", "en"),
    ("Johann Wolfgang von Goethe", (1749, 8, 28), "Frankfurt am Main", "de"),
    ("Wolfgang Amadeus Mozart", (1756, 1, 27), "Salzburg", "de"),
    ("Albert Einstein", (1879, 3, 14), "Ulm", "de"),
    ("Victor Hugo", (1802, 2, 26), "Besançon", "fr"),
    ("Napoléon Bonaparte", (1769, 8, 15), "Ajaccio", "fr"),
    ("Marie Curie", (1867, 11, 7), "Varsovie", "fr"),
    ("Pablo Picasso", (1881, 10, 25), "Málaga", "es"),
    ("Gabriel García Márquez", (1927, 3, 6), "Aracataca", "es"),
    ("Frida Kahlo", (1907, 7, 6), "Coyoacán", "es"),
    ("Simón Bolívar", (1783, 7, 24), "Caracas", "es"),
    ("Leonardo da Vinci", (1452, 4, 15), "Vinci", "it"),
    ("Galileo Galilei", (1564, 2, 15), "Pisa", "it"),
    ("Maria Montessori", (1870, 8, 31), "Chiaravalle", "it"),
    ("Vincent van Gogh", (1853, 3, 30), "Zundert", "nl"),
    ("Rembrandt van Rijn", (1606, 7, 15), "Leiden", "nl"),
    ("Mikołaj Kopernik", (1473, 2, 19), "Toruniu", "pl"),
    ("Karol Wojtyła", (1920, 5, 18), "Wadowicach", "pl"),
    ("Machado de Assis", (1839, 6, 21), "Rio de Janeiro", "pt"),
    ("Pelé", (1940, 10, 23), "Três Corações", "pt"),
    ("夏目漱石", (1867, 2, 9), "江戸", "ja"),
    ("手塚治虫", (1928, 11, 3), "大阪府豊中市", "ja"),
    ("孙中山", (1866, 11, 12), "广东香山", "zh"),
    ("鲁迅", (1881, 9, 25), "浙江绍兴", "zh"),
    ("Astrid Lindgren", (1907, 11, 14), "Vimmerby", "sv"),
    ("Alfred Nobel", (1833, 10, 21), "Stockholm", "sv"),
    ("H.C. Andersen", (1805, 4, 2), "Odense", "da"),
]


def public_figure(w: Writer) -> tuple[str, str, str]:
    name, (y, m, d), place, lang = w.choice(_FIGURES)
    mon = pools.MONTHS.get(lang, pools.MONTHS["en"])[m - 1]
    text = {
        "en": w.choice(
            [
                f"{name} was born on {d} {mon} {y} in {place}. Write a 200-word biography for a school project.",
                f"{name} (born {mon} {d}, {y}) - what were the main achievements?",
            ]
        ),
        "de": f"{name} wurde am {d}. {mon} {y} in {place} geboren. Schreibe eine kurze Biografie für Schüler.",
        "fr": f"{name} est né{'e' if name.startswith('Marie') else ''} le {d} {mon} {y} à {place}. Résume sa vie en dix lignes.",
        "es": f"{name} nació el {d} de {mon} de {y} en {place}. Resume su obra en un párrafo.",
        "it": f"{name} nacque a {place} il {d} {mon} {y}. Scrivi una breve biografia.",
        "nl": f"{name} werd geboren op {d} {mon} {y} in {place}. Schrijf een korte biografie.",
        "pl": f"{name} urodził się {d} {mon} {y} r. w {place}. Napisz krótką notkę biograficzną.",
        "pt": f"{name} nasceu em {d} de {mon} de {y}, em {place}. Escreva uma breve biografia.",
        "ja": f"{name}は{y}年{m}月{d}日、{place}に生まれた。代表作を教えてください。",
        "zh": f"{name}，{y}年{m}月{d}日出生于{place}。请介绍他的主要贡献。",
        "sv": f"{name} föddes den {d} {mon} {y} i {place}. Skriv en kort biografi.",
        "da": f"{name} blev født den {d}. {mon} {y} i {place}. Skriv en kort biografi.",
    }[lang]
    return text, "public_figure", _LOC.get(lang, {"sv": "sv_SE", "da": "da_DK"}.get(lang, "en_US"))


_FIGURE_HEALTH = [
    "Ludwig van Beethoven gradually lost his hearing from his late twenties. How did deafness change his late string quartets?",
    "Franklin D. Roosevelt contracted a paralytic illness in 1921, long attributed to polio. How did he hide it from the press?",
    "Stephen Hawking was diagnosed with motor neurone disease at 21. Summarise how he communicated later in life.",
    "Vincent van Gogh's mental illness has been debated for over a century - what are the main historical hypotheses?",
]


def public_figure_health(w: Writer) -> tuple[str, str, str]:
    return w.choice(_FIGURE_HEALTH), "public_figure_health", "en_US"


_EVENTS = [
    ("The Berlin Wall fell on 9 November 1989.", "en_GB"),
    ("Apollo 11 landed on the Moon on July 20, 1969.", "en_US"),
    ("Der Vertrag von Maastricht wurde am 7. Februar 1992 unterzeichnet.", "de_DE"),
    ("La prise de la Bastille a eu lieu le 14 juillet 1789.", "fr_FR"),
    ("La Constitución española se aprobó el 6 de diciembre de 1978.", "es_ES"),
    ("La Repubblica Italiana è nata il 2 giugno 1946.", "it_IT"),
    ("日本国憲法は1947年5月3日に施行された。", "ja_JP"),
    ("中华人民共和国于1949年10月1日成立。", "zh_CN"),
    ("Bruce Springsteen's album Born in the U.S.A. was released on June 4, 1984.", "en_US"),
]


def history_date(w: Writer) -> tuple[str, str, str]:
    text, loc = w.choice(_EVENTS)
    ask = {
        "en": " Give me three discussion questions.",
        "de": " Nenne drei Diskussionsfragen.",
        "fr": " Donne trois questions.",
        "es": " Dame tres preguntas.",
        "it": " Dammi tre domande.",
        "ja": " 3つの設問を作ってください。",
        "zh": " 请出三道讨论题。",
    }
    return text + ask[loc.split("_")[0]], "history_date", loc


def name_with_other_date(w: Writer) -> tuple[str, str, str]:
    loc = w.choice(("en_US", "en_GB", "de_DE", "fr_FR", "es_ES"))
    p = w.person(loc, mix=False)
    d = w.recent(loc, 120)
    text = {
        "en_US": f"Reminder: call with {p.full} on {d} at 2pm about the Q3 roadmap. Draft an agenda.",
        "en_GB": f"{p.full} signed the supplier contract on {d}. Draft a short thank-you note.",
        "de_DE": f"Termin mit {p.full} am {d} um 10 Uhr wegen der Budgetplanung. Bitte Agenda entwerfen.",
        "fr_FR": f"Réunion avec {p.full} le {d} à 14h pour le lancement du projet. Prépare l'ordre du jour.",
        "es_ES": f"Reunión con {p.full} el {d} para revisar el presupuesto. Redacta un resumen.",
    }[loc]
    return text, "name_with_other_date", loc


# --- products, recipes, sports, software ----------------------------------------------------

_PRODUCTS = [
    "Compare the iPhone 15 Pro Max 256GB with the Galaxy S24 Ultra for battery life.",
    "Is the RTX 4070 Ti Super worth it over the RX 7900 GRE for 1440p gaming?",
    "Samsung QN90C 65-inch vs LG C3 OLED 55 - which is better for a bright room?",
    "My Bosch WAX32M41 washing machine shows error E18. What does that mean?",
    "Canon EOS R6 Mark II with the RF 24-105mm f/4L: good for weddings?",
    "Dyson V15 Detect vs Miele Triflex HX2 - pros and cons.",
    "Welche Akkulaufzeit hat das Lenovo ThinkPad X1 Carbon Gen 11?",
    "Quelle est la différence entre la Renault Clio V et la Peugeot 208 1.2 PureTech 100 ?",
    "Sony WH-1000XM5とBose QC Ultraの違いを教えて。",
    "Is the Raspberry Pi 5 8GB enough to run Home Assistant with 40 Zigbee devices?",
    "Write an Amazon listing for a 20,000 mAh USB-C power bank with 65 W output.",
    "Garmin Forerunner 265 or Apple Watch Series 9 for marathon training?",
    "Ile pali Toyota Corolla 1.8 Hybrid 2023 w mieście?",
    "¿Merece la pena el Xiaomi Redmi Note 13 Pro 5G por 300 euros?",
]

_RECIPES = [
    "Recipe: 500 g flour, 350 ml water, 10 g salt, 7 g dried yeast. Knead 10 minutes, prove 1 hour, bake at 230 C for 30 minutes. Can I use wholemeal flour?",
    "Pancakes for 4: 250 g plain flour, 2 eggs, 500 ml milk, a pinch of salt. How do I make them fluffier?",
    "Rezept: 200 g Butter, 150 g Zucker, 3 Eier, 250 g Mehl, 1 Päckchen Backpulver. Wie lange bei 180 Grad backen?",
    "Pâte brisée : 250 g de farine, 125 g de beurre, 1 pincée de sel, 5 cl d'eau. Peut-on la congeler ?",
    "Tortilla de patatas: 6 huevos, 800 g de patatas, 1 cebolla, aceite de oliva. ¿Cuánto tiempo a fuego lento?",
    "Ragù: 500 g di carne macinata, 1 carota, 1 cipolla, 700 ml di passata. Quanto deve cuocere?",
    "肉じゃがの作り方：じゃがいも3個、牛肉200g、玉ねぎ1個、醤油大さじ3。",
    "Pierogi ruskie: 500 g mąki, 250 ml ciepłej wody, 600 g ziemniaków, 250 g twarogu. Ile minut gotować?",
    "Bolo de cenoura: 3 cenouras médias, 3 ovos, 2 xícaras de açúcar, 2 xícaras de farinha. Qual temperatura do forno?",
    "番茄炒蛋：鸡蛋3个，番茄2个，盐2克，糖5克。怎样炒更嫩？",
]

_CLUBS = [
    ("Bayern München", "Borussia Dortmund", "de_DE"),
    ("Real Madrid", "FC Barcelona", "es_ES"),
    ("Juventus", "Inter", "it_IT"),
    ("Ajax", "PSV", "nl_NL"),
    ("Arsenal", "Tottenham", "en_GB"),
    ("Paris Saint-Germain", "Olympique de Marseille", "fr_FR"),
    ("Flamengo", "Palmeiras", "pt_BR"),
    ("Legia Warszawa", "Lech Poznań", "pl_PL"),
]


def product(w: Writer) -> tuple[str, str, str]:
    text = w.choice(_PRODUCTS)
    loc = {
        "Welche": "de_DE",
        "Quelle": "fr_FR",
        "Sony": "ja_JP",
        "Ile": "pl_PL",
        "¿Merece": "es_ES",
    }.get(text.split()[0], "en_US")
    return text, "product", loc


def recipe(w: Writer) -> tuple[str, str, str]:
    text = w.choice(_RECIPES)
    first = text.split()[0]
    loc = {
        "Rezept:": "de_DE",
        "Pâte": "fr_FR",
        "Tortilla": "es_ES",
        "Ragù:": "it_IT",
        "Pierogi": "pl_PL",
        "Bolo": "pt_BR",
    }.get(first, "en_GB")
    if text.startswith("肉"):
        loc = "ja_JP"
    elif text.startswith("番"):
        loc = "zh_CN"
    return text, "recipe", loc


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def sports(w: Writer) -> tuple[str, str, str]:
    home, away, club_loc = w.choice(_CLUBS)
    scorer = w.person(club_loc, mix=False, female=False)
    loc = w.choice(("en_GB", "en_US"))
    d = w.recent(loc, 300)
    g1, g2 = w.rng.randint(1, 4), w.rng.randint(0, 3)
    minute = w.rng.randint(2, 90)
    text = w.choice(
        [
            f"{home} {g1}-{g2} {away} ({d}). {scorer.full} scored in the {_ordinal(minute)} minute. Write a match report.",
            f"Result {d}: {home} {g1}:{g2} {away}, goals by {scorer.last} ({minute}'). Summarise for a newsletter.",
            f"On {d} {scorer.full} ran the {w.choice(['Berlin', 'London', 'Valencia', 'Tokyo'])} marathon in 2:{w.rng.randint(4, 59):02d}:{w.rng.randint(0, 59):02d}. Write a short club news item.",
        ]
    )
    return text, "sports", loc


def tech_medical_words(w: Writer) -> tuple[str, str, str]:
    text = w.choice(
        [
            "Our Kubernetes liveness probe keeps failing the /health endpoint after the pod restarts. How do I debug it?",
            "The diagnosis of yesterday's outage: a memory leak in the cache layer. Write a post-mortem summary.",
            "Add a health check to this docker-compose service that pings the database every 30 seconds.",
            "Our codebase is suffering from technical debt and needs surgery - how do I pitch a refactor to management?",
            "The patient zero of the bug was a single malformed config file. Write a funny Slack message about it.",
            "How do I mock the `Patient` model in Django tests without hitting the database?",
            "Design a FHIR Observation resource schema for a lab-results API (no real data, just the structure).",
            "Our build is 'pregnant' with features nobody asked for - help me write a scope-cut proposal.",
            "Der Patient ist in diesem Fall unser Legacy-Monolith: wie gehen wir die Operation am offenen Herzen an?",
            "Écris un test unitaire pour la fonction compute_bmi(weight_kg, height_m).",
            "Explain HL7 v2 ADT^A01 message structure with a made-up example segment list.",
        ]
    )
    return text, "tech_medical_words", "en_US"


def stats_csv(w: Writer) -> tuple[str, str, str]:
    rows = ["age_group,sex,diagnosis,count"]
    for g in ("18-34", "35-54", "55-74", "75+"):
        icd, _cond, _ = w.cond("en", ("diagnosis",))
        rows.append(f"{g},{w.choice(['F', 'M'])},{icd},{w.rng.randint(12, 4000)}")
    return (
        "\n".join(rows) + "\nMake a bar chart of this aggregated registry data.",
        "aggregate_stats",
        "en_US",
    )


NEGATIVES: list[tuple[NegFn, int]] = [
    # (generator, weight)
    (med_question, 6),
    (icd_explain, 3),
    (drug_interaction, 3),
    (textbook, 3),
    (trial_design, 2),
    (public_health, 2),
    (case_vignette, 2),
    (release_date, 2),
    (changelog, 1),
    (invoice, 3),
    (public_figure, 5),
    (public_figure_health, 1),
    (history_date, 2),
    (name_with_other_date, 2),
    (product, 2),
    (recipe, 2),
    (sports, 3),
    (tech_medical_words, 2),
    (stats_csv, 1),
]
