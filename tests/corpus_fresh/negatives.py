# ruff: noqa: RUF001
"""Negatives: realistic text that carries no personal data and must get no classification."""

from __future__ import annotations

from tests.corpus_fresh.base import W, registry

TEMPLATES, tpl = registry()

COMPANIES = [
    "Northwind Analytics",
    "Helio Robotics",
    "Brightline Foods",
    "Kestrel Bank",
    "Aperio Labs",
    "Quanta Freight",
]
TITLES = [
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Technology Officer",
    "President",
]


@tpl("api_docs_placeholder", variant="placeholder")
def _(w: W) -> str:
    return (
        f"Explain this API example to a beginner:\n```http\nPOST /v{w.num(1, 3)}/users\n"
        f'Content-Type: application/json\n\n{{"name": "John Doe", "email": "john.doe@example.com", '
        f'"phone": "555-0100"}}\n```\nThe response contains the new user\'s `id` and `created_at`.'
    )


@tpl("sdk_readme", variant="placeholder")
def _(w: W) -> str:
    return (
        f'## Quick start\n\n```python\nclient = Client(api_key="YOUR_API_KEY")\ncustomer = '
        f'client.customers.create(name="Jane Doe", email="jane@example.org")\nprint(customer.id)\n```\n'
        f"Requires Python {w.pick(['3.9', '3.10', '3.11'])}+. Summarize this README section."
    )


@tpl("form_template_blank", variant="placeholder")
def _(w: W) -> str:
    return (
        "Translate this blank form into French:\nPatient name: ____________\nDate of birth: "
        "__/__/____\nAddress: ______________________\nAllergies: [ ] none [ ] penicillin [ ] latex\n"
        "Signature: ____________"
    )


@tpl("schema_ddl", variant="schema")
def _(w: W) -> str:
    return (
        f"Add an index for lookups by email:\nCREATE TABLE patients (\n  id BIGSERIAL PRIMARY KEY,\n"
        f"  full_name TEXT NOT NULL,\n  date_of_birth DATE,\n  email TEXT,\n  diagnosis_code VARCHAR({w.pick([8, 10, 16])}),\n"
        f"  created_at TIMESTAMPTZ DEFAULT now()\n);"
    )


@tpl("medical_question")
def _(w: W) -> str:
    q = w.pick(
        [
            "What is the usual starting dose of metformin for type 2 diabetes, and why is it titrated?",
            "Can you take ibuprofen and acetaminophen together? What's the max per day?",
            "What are the early warning signs of a stroke (FAST)?",
            "How does buprenorphine differ from methadone in treating opioid use disorder?",
            "Explain what an HbA1c of 7% means in plain language.",
            "What are common side effects of SSRIs in the first few weeks?",
            "How long after exposure should someone get tested for HIV?",
        ]
    )
    return q


@tpl("legal_question")
def _(w: W) -> str:
    return w.pick(
        [
            "In California, how many days does a landlord have to return a security deposit?",
            "What's the difference between a will and a revocable living trust?",
            "Under GDPR, what counts as a lawful basis for processing health data?",
            "Can an employer in the US ask why an employee took FMLA leave?",
            "What is the statute of limitations for breach of written contract in New York?",
        ]
    )


@tpl("press_release")
def _(w: W) -> str:
    co = w.pick(COMPANIES)
    return (
        f"Summarize: {w.pick(['SAN FRANCISCO', 'AUSTIN', 'BOSTON', 'LONDON'])}, "
        f"{w.pick(['March', 'May', 'October'])} {w.num(1, 28)}, 2025 — {co} (NASDAQ: "
        f"{co[:4].upper()}) today reported Q{w.num(1, 4)} revenue of ${w.num(20, 900)} million, up "
        f'{w.num(2, 40)}% year over year. "We delivered another strong quarter," said '
        f"{w.full()}, {w.pick(TITLES)}. The company will host a call at 5:00 p.m. ET."
    )


@tpl("appointment_announcement")
def _(w: W) -> str:
    co = w.pick(COMPANIES)
    return (
        f"{co} announced the appointment of {w.full()} as {w.pick(TITLES)}, effective "
        f"{w.pick(['January', 'July', 'September'])} 1, 2025. {w.pick(['She', 'He'])} previously "
        f"led operations at {w.pick(COMPANIES)} for {w.num(4, 15)} years. Write a LinkedIn post about it."
    )


@tpl("stats_news")
def _(w: W) -> str:
    return (
        f"Rewrite as a tweet: A new survey of {w.num(1, 9)},{w.num(100, 999)} adults found that "
        f"{w.num(12, 48)}% reported symptoms of anxiety in the past year, and {w.num(5, 20)}% had "
        f"been prescribed an antidepressant. Rates were highest among those aged 18 to 29."
    )


@tpl("public_health_report")
def _(w: W) -> str:
    return (
        f"The county recorded {w.num(40, 400)} overdose deaths in 2024, a {w.num(3, 25)}% decline "
        f"from 2023. Naloxone distribution rose to {w.num(10, 90)},000 kits. Summarize in 2 lines."
    )


@tpl("code_dates")
def _(w: W) -> str:
    return (
        f"Why does this fail on Python {w.pick(['3.8', '3.12'])}?\n```python\nfrom datetime import date\n"
        f"RELEASE = date({w.num(2019, 2025)}, {w.num(1, 12)}, {w.num(1, 28)})\n__version__ = "
        f'"{w.num(0, 4)}.{w.num(0, 20)}.{w.num(0, 9)}"\ndef days_since(d: date) -> int:\n'
        f"    return (date.today() - d).days\n```"
    )


@tpl("changelog")
def _(w: W) -> str:
    return (
        f"Turn into release notes:\n## [{w.num(1, 5)}.{w.num(0, 30)}.0] - 2025-0{w.num(1, 9)}-{w.num(10, 28)}\n"
        f"### Fixed\n- Timezone offset for dates before 1970 (#{w.num(100, 4000)})\n- Crash when "
        f"`birth_date` column is empty\n### Added\n- `--dry-run` flag"
    )


@tpl("recipe")
def _(w: W) -> str:
    return w.pick(
        [
            f"Scale this recipe to {w.num(6, 12)} servings: 200 g flour, 2 eggs, 250 ml milk, pinch of salt, 1 tbsp butter. Rest batter 30 min.",
            "Is it safe to substitute baking soda for baking powder in banana bread? Recipe uses 2 tsp powder.",
            f"Mi receta de tortilla española: {w.num(4, 6)} patatas, 6 huevos, 1 cebolla, aceite de oliva y sal. ¿Cómo evito que se pegue?",
            "Rezept: 500 g Kartoffeln, 1 Zwiebel, 2 Eier, Salz, Muskat. Wie lange müssen Kartoffelpuffer braten?",
        ]
    )


@tpl("sports_report")
def _(w: W) -> str:
    teams = w.pick(
        [("Celtics", "Knicks"), ("Arsenal", "Chelsea"), ("Dodgers", "Giants"), ("Lakers", "Suns")]
    )
    return (
        f"Write a 2-sentence recap: {teams[0]} {w.num(90, 125)}, {teams[1]} {w.num(85, 120)}. "
        f"Attendance {w.num(15, 60)},{w.num(100, 999)}. Next game {w.pick(['Friday', 'Sunday'])} "
        f"at 7:30. The home side is {w.num(10, 40)}-{w.num(5, 30)} this season."
    )


@tpl("weather")
def _(w: W) -> str:
    return (
        f"Forecast for {w.pick(['Chicago', 'Lyon', 'Osaka', 'Gdańsk', 'Porto'])}: high {w.num(10, 33)}°C, "
        f"low {w.num(-5, 15)}°C, {w.num(10, 90)}% chance of rain, winds {w.num(5, 40)} km/h. "
        f"Suggest what to wear."
    )


@tpl("fiction", variant="fiction")
def _(w: W) -> str:
    hero = w.pick(
        ["Mara", "Captain Ilse Varn", "old Tobiah", "the girl called Wren", "Detective Okoro"]
    )
    return (
        f"Continue the story: {hero} pressed a hand to the fogged glass of the lighthouse. The "
        f"storm had taken the lanterns, the boats and, she feared, her brother. Somewhere below, "
        f"the bell rang {w.pick(['twice', 'three times', 'once'])}, and the sea answered."
    )


@tpl("fiction_illness", variant="fiction")
def _(w: W) -> str:
    return (
        f"Edit for pacing: In the kingdom of {w.pick(['Arvel', 'Thornmere', 'Caldris'])}, the young "
        f"queen had coughed blood since winter. The court physician, a thin man named "
        f"{w.pick(['Brother Amsel', 'Master Quill', 'Ferro'])}, prescribed willow bark and silence."
    )


@tpl("history_bio")
def _(w: W) -> str:
    return w.pick(
        [
            "Marie Curie (born Maria Skłodowska, 7 November 1867, Warsaw) won Nobel Prizes in Physics (1903) and Chemistry (1911). She died in 1934 of aplastic anemia. Summarize for a 10-year-old.",
            "Ada Lovelace, born 10 December 1815 in London, wrote what is considered the first algorithm for Babbage's Analytical Engine. She died of uterine cancer at 36.",
            "Frédéric Chopin was born on 1 March 1810 in Żelazowa Wola and died in Paris in 1849, most likely of tuberculosis. Write a short bio.",
            "Vincent van Gogh (30 March 1853 – 29 July 1890) suffered from recurrent psychotic episodes and spent a year at the asylum in Saint-Rémy. Explain his late style.",
            "Abraham Lincoln was born February 12, 1809, in a log cabin in Hardin County, Kentucky. List three facts about his early life.",
        ]
    )


@tpl("history_bio", "de")
def _(w: W) -> str:
    return (
        "Johann Wolfgang von Goethe wurde am 28. August 1749 in Frankfurt am Main geboren und starb "
        "1832 in Weimar. Fasse sein Leben in drei Sätzen zusammen."
    )


@tpl("history_bio", "sv")
def _(w: W) -> str:
    return (
        "Selma Lagerlöf föddes den 20 november 1858 på Mårbacka i Värmland och blev 1909 den första "
        "kvinnan att få Nobelpriset i litteratur. Skriv en kort sammanfattning."
    )


@tpl("history_bio", "it")
def _(w: W) -> str:
    return (
        "Maria Montessori nacque a Chiaravalle il 31 agosto 1870. Fu tra le prime donne laureate in "
        "medicina in Italia. Riassumi il suo metodo educativo."
    )


@tpl("history_bio", "ja")
def _(w: W) -> str:
    return "夏目漱石は1867年2月9日、江戸の牛込に生まれた。胃潰瘍に苦しみ、1916年に亡くなった。代表作を三つ挙げてください。"


@tpl("history_bio", "zh")
def _(w: W) -> str:
    return "鲁迅，原名周树人，1881年9月25日生于浙江绍兴，1936年在上海病逝。请简要介绍他的代表作。"


@tpl("history_bio", "ko")
def _(w: W) -> str:
    return "세종대왕은 1397년에 태어나 1418년에 즉위하였으며 훈민정음을 창제하였다. 업적을 세 가지로 요약해 주세요."


@tpl("history_bio", "es")
def _(w: W) -> str:
    return (
        "Santiago Ramón y Cajal nació el 1 de mayo de 1852 en Petilla de Aragón y recibió el Premio "
        "Nobel de Medicina en 1906. Resume su aportación a la neurociencia."
    )


@tpl("medical_question", "fr")
def _(w: W) -> str:
    return w.pick(
        [
            "Quelle est la différence entre la méthadone et la buprénorphine dans le traitement de la dépendance aux opiacés ?",
            "Quels sont les symptômes d'une hypoglycémie chez un diabétique de type 1 ?",
        ]
    )


@tpl("medical_question", "de")
def _(w: W) -> str:
    return w.pick(
        [
            "Wie lange dauert eine Krankschreibung bei Bandscheibenvorfall im Durchschnitt?",
            "Welche Nebenwirkungen hat Metformin typischerweise?",
        ]
    )


@tpl("medical_question", "pl")
def _(w: W) -> str:
    return "Jakie są objawy zawału serca u kobiet i czym różnią się od objawów u mężczyzn?"


@tpl("medical_question", "nl")
def _(w: W) -> str:
    return "Hoe vaak moet je als volwassene een tetanusvaccinatie laten herhalen?"


@tpl("press_release", "de")
def _(w: W) -> str:
    return (
        f"MÜNCHEN, {w.num(1, 28)}. Mai 2025 – Die {w.pick(COMPANIES)} AG steigerte ihren Umsatz im "
        f"ersten Quartal um {w.num(2, 30)} Prozent. Vorstandsvorsitzender {w.full('de')} zeigte sich "
        f"zufrieden. Bitte kurz zusammenfassen."
    )


@tpl("weather", "pt")
def _(w: W) -> str:
    return f"Previsão para Lisboa: máxima de {w.num(18, 35)}°C, mínima de {w.num(10, 20)}°C, céu limpo. O que devo vestir?"


@tpl("sports_report", "es")
def _(w: W) -> str:
    return (
        f"Resume la crónica: el Betis ganó {w.num(1, 4)}-{w.num(0, 1)} al Sevilla en el derbi del "
        f"domingo ante {w.num(40, 60)}.000 espectadores. El segundo gol llegó en el minuto {w.num(50, 90)}."
    )


@tpl("stats_news", "ja")
def _(w: W) -> str:
    return f"厚生労働省の調査によると、昨年の20代の{w.num(10, 40)}%が睡眠不足を感じていると回答した。ツイート用に要約して。"


@tpl("stats_news", "ko")
def _(w: W) -> str:
    return f"통계청에 따르면 작년 출생아 수는 {w.num(20, 30)}만 명으로 전년보다 {w.num(1, 9)}% 감소했다. 한 줄로 요약해 주세요."


@tpl("product_docs", "zh")
def _(w: W) -> str:
    return (
        f'请翻译这段文档：调用 `create_user` 接口时，示例参数为 name="张三"、email="zhangsan@example.com"。'
        f"版本 v{w.num(1, 4)}.{w.num(0, 9)} 起支持批量创建。"
    )


@tpl("it_support_generic")
def _(w: W) -> str:
    return (
        f"Our build agent runs Ubuntu {w.pick(['22.04', '24.04'])} with Node {w.num(18, 22)}.x. Since "
        f"the {w.pick(['March', 'June'])} update, `npm ci` takes {w.num(3, 12)} minutes. What can we cache?"
    )


@tpl("ops_metrics")
def _(w: W) -> str:
    return (
        f"p99 latency went from {w.num(80, 200)}ms to {w.num(300, 900)}ms at 14:{w.num(10, 59)} UTC "
        f"after deploy {w.num(1000, 9999)}. Error rate {w.num(1, 9)}.{w.num(0, 9)}%. Write the incident summary."
    )


@tpl("meeting_notes_generic")
def _(w: W) -> str:
    return (
        f"Clean up: Q{w.num(1, 4)} planning — agreed to ship the export feature by {w.pick(['Sept 30', 'Nov 15', 'Dec 1'])}; "
        f"design review moved to Thursday; budget capped at ${w.num(20, 90)}k; next sync in 2 weeks."
    )


@tpl("product_docs", "de", variant="placeholder")
def _(w: W) -> str:
    return (
        f"Übersetze ins Englische: Beispiel: Geben Sie als Name „Max Mustermann“ und als E-Mail "
        f"„max.mustermann@example.de“ ein. Ab Version {w.num(2, 9)}.{w.num(0, 9)} ist das Feld optional."
    )


@tpl("sick_leave_policy")
def _(w: W) -> str:
    return (
        f"Simplify this policy: Employees absent for more than {w.num(2, 7)} consecutive days must "
        f"provide a medical certificate. Diagnoses are not required and must not be requested by "
        f"managers. Leave beyond {w.num(4, 12)} weeks is handled by the benefits team."
    )


@tpl("drug_label")
def _(w: W) -> str:
    drug = w.pick(["Sertraline", "Lisinopril", "Levothyroxine", "Amoxicillin", "Methadone"])
    return (
        f"Make this easier to read: {drug} tablets, {w.pick([10, 25, 50, 100])} mg. Take once daily. "
        f"Do not exceed the prescribed dose. Store below 25°C. Keep out of reach of children. "
        f"Lot {w.num(10000, 99999)}A, EXP {w.num(1, 12):02d}/202{w.num(6, 9)}."
    )


@tpl("job_posting")
def _(w: W) -> str:
    return (
        f"Tighten this job ad: {w.pick(COMPANIES)} is hiring a {w.pick(['Senior Data Engineer', 'Clinical Nurse Educator', 'Payroll Specialist'])} "
        f"in {w.pick(['Denver', 'Remote (EU)', 'Toronto'])}. Salary ${w.num(70, 180)}k. Apply by "
        f"{w.pick(['June', 'August'])} {w.num(1, 30)}, 2025."
    )


@tpl("fiction", "fr", variant="fiction")
def _(w: W) -> str:
    return (
        f"Continue ce conte : Il était une fois, au village de {w.pick(['Brumelune', 'Valcendre', 'Orvial'])}, "
        f"une vieille horlogère nommée Madame Pivert qui réparait le temps lui-même."
    )


@tpl("unit_test_fixture_fake", variant="placeholder")
def _(w: W) -> str:
    return (
        f'Why does this test fail?\n```python\ndef test_age():\n    user = User(name="Test User", '
        f'email="test@example.com", birth_date=date(2000, 1, 1))\n    assert user.age(today=date(20{w.num(20, 30)}, 1, 1)) == {w.num(20, 30)}\n```'
    )
