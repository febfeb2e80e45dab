"""Health told the way people write it in a prompt: about themselves, to "you", with a lab value.

Rows are written by hand for tiergate.health and its word lists: first- and
second-person messages, lab values and vital signs, mental health, pregnancy
and fertility, sexual health, substance use, disability, and kin in other
languages. Each group has look-alikes that must stay clean: documentation,
code, API descriptions, news about diseases in general, recipes, match reports.
"""

from __future__ import annotations

import pytest

from tiergate.detect import Detector

DETECTOR = Detector()

FOUND = [
    # first person
    "I was just diagnosed with type 2 diabetes and I'm scared.",
    "I got diagnosed with endometriosis last month, what should I eat?",
    "I've had chest pain and shortness of breath since yesterday.",
    "I take insulin four times a day and my sugars still swing.",
    "Draft an email to HR: I need time off for chemotherapy starting Monday.",
    "My 3-year-old has had a fever of 39.5 for two days.",
    # medicines in a question
    "should I take ibuprofen with my lisinopril?",
    "Can I drink alcohol while on sertraline?",
    "Hey, my psychiatrist upped my quetiapine, is drowsiness normal?",
    "I'm on antidepressants and can't sleep.",
    "I'm on antipsychotics and gained 20 kg this year.",
    # second person
    "your biopsy showed a benign fibroadenoma",
    "Your MRI results came back normal except for a small disc bulge.",
    "Your potassium was 5.9, please go to the ER.",
    "Your HbA1c of 9.2 means we need to change your insulin.",
    # lab values and vital signs
    "my HbA1c came back at 8.1 this morning",
    "My A1C was 7.9 last week, is that bad?",
    "My eGFR dropped to 42, what does that mean for my kidneys?",
    "my TSH is 6.2, the doctor wants to recheck",
    "My blood sugar is 250 after meals.",
    "my resting heart rate is 110 bpm and I feel dizzy",
    "BP 160/100 this morning, should I go to the ER?",
    "I'm 34 weeks and my BP has been high.",
    "My cholesterol is 260, should I start statins?",
    "HbA1c 64 mmol/mol at the last check, I'm worried.",
    "Summarise: Pt 67M, BP 182/104, HR 112, SpO2 88% RA.",
    "We've been trying to conceive for two years, my AMH is low.",
    "My CD4 count is 350 and my viral load is undetectable.",
    # mental health
    "I've been depressed for months and can't get out of bed.",
    "I've been feeling suicidal since the layoff.",
    "I've been having suicidal thoughts lately.",
    "Some nights I want to kill myself.",
    "I've been self-harming again.",
    "I was hospitalized for a psychotic episode last year.",
    # pregnancy and fertility
    "I'm 8 weeks pregnant and bleeding a little.",
    "Write a letter to my employer saying I'm 20 weeks pregnant and need lighter duties.",
    "my wife had a miscarriage last week and I don't know how to support her",
    "I'm on day 5 of my IVF cycle and feeling bloated.",
    # sexual health
    "I tested positive for chlamydia.",
    "I think I have an STI, it burns when I pee.",
    "My gynecologist found HPV on my pap smear.",
    "I'm taking PrEP, do I still need condoms?",
    # substance use
    "I've been clean from heroin for 90 days.",
    "I'm an alcoholic and I've been sober for 3 months.",
    "I relapsed on meth last night.",
    "He's been using heroin again, what do I do?",
    "I'm in recovery from alcohol addiction.",
    "My brother checked into rehab on Friday.",
    "I will start chemo next week and need to tell my team.",
    "She's on her third round of chemo.",
    # disability
    "I use a wheelchair since my spinal injury.",
    "I'm deaf in my left ear.",
    "I'm autistic and sensory overload at the office is hard.",
    "My mum is in a wheelchair after her stroke.",
    "I'm legally blind.",
    # several at once, and codes next to health words
    "Can you explain my results? HbA1c 7.4%, LDL 3.9 mmol/L, eGFR 58.",
    "E11.9 type 2 diabetes - that's what my claim says, is it right?",
    "I'm starting Ozempic next week, what side effects should I expect?",
    "I found out I have herpes.",
    # kin and first person in other languages
    "Giulia Rossi è incinta di due mesi.",
    "Pieter de Vries heeft longkanker.",
    "Mi madre tiene cáncer de mama.",
    "Ma mère a la maladie d'Alzheimer.",
    "Mia madre ha il diabete.",
    "Mijn vader heeft kanker.",
    "Minha mãe tem diabetes.",
    "Meine Mutter hat Brustkrebs.",
    "Mój ojciec ma cukrzycę.",
    "Sophie est enceinte de trois mois.",
    "Estoy embarazada de 10 semanas.",
    "Ich bin schwanger.",
    "Jestem w ciąży.",
    "Frau Becker ist schwanger und möchte Elternzeit.",
]

CLEAN = [
    # documentation and code
    "Load your diabetes dataset with sklearn.datasets.load_diabetes().",
    "You can use the breast cancer dataset to try logistic regression.",
    "Should I normalise the blood pressure column before training?",
    "How do I compute HbA1c from average glucose in Python?",
    "eGFR is calculated with the CKD-EPI equation.",
    "The LDL column is in mg/dL; convert to mmol/L by dividing by 38.67.",
    "My API returns HbA1c as a float with two decimals.",
    "Your blood pressure monitor app needs Bluetooth permission.",
    "The CD4 column in your dataframe is an integer.",
    "The heart rate API returns 60 to 100 for a healthy adult.",
    "Do I need to restart after changing the heart rate sensor config?",
    "Set the BP register to 150.",
    "The model's LDL loss dropped to 0.42.",
    "Your scan found 3 vulnerabilities in the container image.",
    "Your results page shows the top 10 items.",
    "If your PrEP clinic locator app crashes, restart it.",
    "Implementation of a flexible versioning scheme providing support for PEP-440.",
    "valid non-EOF condition, then you need to be aware of this and\n    :meth:`receive_data`.",
    "my ALT key is broken",
    "I need a fracture mechanics solver for my thesis.",
    "I will write the surgery scheduling module tomorrow.",
    "I need the chemotherapy dosing table for the pharmacology exam.",
    "I'll add a stroke width option to my SVG renderer.",
    "I need insulin pricing data for my economics paper.",
    "I can't find the asthma module in my codebase.",
    "Should I learn about diabetes before building the app?",
    "Can I use aspirin as an example drug name in my tests?",
    "Is it safe to say that my cancer classifier is done?",
    "I found out that my autism screening app has a bug.",
    "I keep a cold brew in my fridge.",
    "We use a sober colour palette for your dashboard.",
    # general prose and news
    "Normal blood pressure for adults is 120/80 mmHg or lower.",
    "Heroin seizures at the border rose 20%, officials said.",
    "The meth crisis in rural America is the subject of a new documentary.",
    "The Ozempic shortage continues, pharmacies say.",
    "Pregnant women should avoid raw fish, the NHS advises.",
    "I think the asthma inhaler market will grow 5% next year.",
    "I'm on the diabetes research team at the university.",
    "I'm writing a novel where the hero has cancer.",
    "The INR exchange rate was 83 to the dollar.",
    "BP plc shares fell 3% today.",
    "I bought BP at 450 pence and sold at 480.",
    "I'm building a BP 2.0 tracker.",
    "Can I set INR 500 as the budget?",
    "He has a stroke of genius every 5 minutes.",
    # advice written to any reader
    "Manage your diabetes with our app and these 5 tips.",
    "Learn how to lower your cholesterol naturally.",
    "If you are taking warfarin, avoid large amounts of vitamin K.",
    "Track your blood pressure at home with a validated cuff.",
    "Your asthma action plan should be reviewed every year.",
    "You're more likely to get migraines if you skip meals.",
    "Talk to your pharmacist about statins.",
    # figures of speech
    "I'm pregnant with ideas.",
    "I'm so depressed that my team lost.",
    "The market was depressed in 2009 and you felt it.",
    "The company is blind to the risks; I'm deaf to their excuses.",
    "It's a double-blind study with 300 participants.",
    "The blind spot monitor warns the driver.",
    "The wheelchair-accessible entrance is on the left, you can use the ramp.",
    "The wheelchair ramp must have a 1:12 slope.",
    "I want to kill this process before it eats the RAM.",
    "I'm addicted to coffee lol.",
    "The stadium rehab starts in 2025, the mayor said.",
    "I'm starting a juice detox for fun, my friend says it's nonsense.",
    "Start the detox script before my deploy.",
    # recipes and match reports
    "Mix 200 g of flour with 2 eggs; your dough should be soft.",
    "Add 2 cups of sugar; my blood sugar jokes aside, this cake is sweet.",
    "The quarterback was ruled out with a concussion, his coach said.",
    "Striker Harry Kane limped off with an ankle injury in the 70th minute.",
    # kin and first person in other languages, with nothing medical
    "Ma mère habite à Lyon.",
    "Mi madre tiene una casa en Madrid.",
    "Meine Mutter ist Lehrerin.",
    "Sophie est arrivée hier soir.",
    "Ich bin müde.",
    "Jestem programistą.",
]


@pytest.mark.parametrize("text", FOUND, ids=[t[:30] for t in FOUND])
def test_health_told_by_a_person_is_found(text: str) -> None:
    assert "health" in DETECTOR.scan([text]).kinds


@pytest.mark.parametrize("text", CLEAN, ids=[t[:30] for t in CLEAN])
def test_its_lookalikes_stay_clean(text: str) -> None:
    assert DETECTOR.scan([text]).kinds == ()


MIB = 1 << 20
PATHOLOGICAL = {
    "labs without values": "my bp " * (MIB // 6),
    "labs with spaces": "my hba1c" + " " * MIB + "x",
    "cue words without a person": "been depressed " * (MIB // 15),
    "drug words": "using heroin " * (MIB // 13),
    "foreign states": "est enceinte " * (MIB // 13),
    "kin words": "mi madre " * (MIB // 9),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_a_mebibyte_of_repeated_new_words_finishes(name: str) -> None:
    DETECTOR.scan([PATHOLOGICAL[name]])
