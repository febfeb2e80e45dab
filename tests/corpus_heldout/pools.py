# ruff: noqa: RUF001
# (CJK text legitimately uses full-width punctuation.)
"""Hand-written vocabulary for the held-out corpus: conditions, drugs, labs, procedures, date
formats and titles, per language. Written from general clinical knowledge, not from the detector.
"""

from __future__ import annotations

import random
from datetime import date

# --- conditions: (ICD-10 code, name, variant) -------------------------------------------------

COND: dict[str, list[tuple[str, str, str]]] = {
    "en": [
        ("E11.9", "type 2 diabetes mellitus without complications", "diagnosis"),
        ("E10.9", "type 1 diabetes", "diagnosis"),
        ("I10", "essential hypertension", "diagnosis"),
        ("I50.9", "heart failure", "diagnosis"),
        ("I48.9", "atrial fibrillation", "diagnosis"),
        ("C50.9", "breast cancer", "diagnosis"),
        ("C34.9", "non-small cell lung cancer", "diagnosis"),
        ("J44.9", "COPD", "diagnosis"),
        ("N18.4", "chronic kidney disease stage 4", "diagnosis"),
        ("K50.9", "Crohn's disease", "diagnosis"),
        ("G40.9", "epilepsy", "diagnosis"),
        ("G30.9", "Alzheimer's disease", "diagnosis"),
        ("M05.9", "rheumatoid arthritis", "diagnosis"),
        ("F32.1", "moderate depressive episode", "mental_health"),
        ("F41.1", "generalised anxiety disorder", "mental_health"),
        ("F31.3", "bipolar disorder, current episode depressed", "mental_health"),
        ("F20.0", "paranoid schizophrenia", "mental_health"),
        ("F43.1", "PTSD", "mental_health"),
        ("F50.0", "anorexia nervosa", "mental_health"),
        ("F10.2", "alcohol dependence", "substance_use"),
        ("F11.2", "opioid use disorder", "substance_use"),
        ("B20", "HIV disease", "hiv"),
        ("A56.0", "chlamydia", "sti"),
        ("A60.0", "genital herpes", "sti"),
        ("G35", "multiple sclerosis", "disability"),
        ("F84.0", "autism spectrum disorder", "disability"),
        ("O24.4", "gestational diabetes", "pregnancy"),
    ],
    "de": [
        ("E11.9", "Diabetes mellitus Typ 2", "diagnosis"),
        ("I10.90", "arterielle Hypertonie", "diagnosis"),
        ("I50.13", "Linksherzinsuffizienz NYHA III", "diagnosis"),
        ("I48.9", "Vorhofflimmern", "diagnosis"),
        ("C50.9", "Mammakarzinom", "diagnosis"),
        ("J44.9", "COPD GOLD 3", "diagnosis"),
        ("N18.4", "chronische Niereninsuffizienz Stadium 4", "diagnosis"),
        ("K50.9", "Morbus Crohn", "diagnosis"),
        ("F32.1", "mittelgradige depressive Episode", "mental_health"),
        ("F41.1", "generalisierte Angststörung", "mental_health"),
        ("F10.2", "Alkoholabhängigkeitssyndrom", "substance_use"),
        ("B24", "HIV-Krankheit", "hiv"),
        ("G35.1", "Multiple Sklerose mit schubförmigem Verlauf", "disability"),
        ("O24.4", "Gestationsdiabetes", "pregnancy"),
    ],
    "fr": [
        ("E11.9", "diabète de type 2", "diagnosis"),
        ("I10", "hypertension artérielle essentielle", "diagnosis"),
        ("I50.9", "insuffisance cardiaque", "diagnosis"),
        ("I48.9", "fibrillation auriculaire", "diagnosis"),
        ("C50.9", "cancer du sein", "diagnosis"),
        ("J44.9", "BPCO", "diagnosis"),
        ("N18.4", "insuffisance rénale chronique stade 4", "diagnosis"),
        ("G30.9", "maladie d'Alzheimer", "diagnosis"),
        ("F32.1", "épisode dépressif moyen", "mental_health"),
        ("F20.0", "schizophrénie paranoïde", "mental_health"),
        ("F10.2", "dépendance à l'alcool", "substance_use"),
        ("B20", "infection par le VIH", "hiv"),
        ("G35", "sclérose en plaques", "disability"),
        ("O24.4", "diabète gestationnel", "pregnancy"),
    ],
    "es": [
        ("E11.9", "diabetes mellitus tipo 2", "diagnosis"),
        ("I10", "hipertensión arterial esencial", "diagnosis"),
        ("I50.9", "insuficiencia cardíaca", "diagnosis"),
        ("C50.9", "cáncer de mama", "diagnosis"),
        ("J45.9", "asma bronquial", "diagnosis"),
        ("N18.4", "enfermedad renal crónica estadio 4", "diagnosis"),
        ("K50.9", "enfermedad de Crohn", "diagnosis"),
        ("F32.1", "episodio depresivo moderado", "mental_health"),
        ("F41.1", "trastorno de ansiedad generalizada", "mental_health"),
        ("F11.2", "dependencia de opioides", "substance_use"),
        ("B20", "infección por VIH", "hiv"),
        ("G35", "esclerosis múltiple", "disability"),
        ("O24.4", "diabetes gestacional", "pregnancy"),
    ],
    "it": [
        ("E11.9", "diabete mellito di tipo 2", "diagnosis"),
        ("I10", "ipertensione arteriosa essenziale", "diagnosis"),
        ("I50.9", "scompenso cardiaco", "diagnosis"),
        ("I48.9", "fibrillazione atriale", "diagnosis"),
        ("C18.9", "carcinoma del colon", "diagnosis"),
        ("J44.9", "BPCO", "diagnosis"),
        ("G30.9", "malattia di Alzheimer", "diagnosis"),
        ("F32.1", "episodio depressivo di media gravità", "mental_health"),
        ("F31.3", "disturbo bipolare", "mental_health"),
        ("F10.2", "dipendenza da alcol", "substance_use"),
        ("B20", "infezione da HIV", "hiv"),
        ("G35", "sclerosi multipla", "disability"),
        ("O24.4", "diabete gestazionale", "pregnancy"),
    ],
    "nl": [
        ("E11.9", "diabetes mellitus type 2", "diagnosis"),
        ("I10", "hypertensie", "diagnosis"),
        ("I50.9", "hartfalen", "diagnosis"),
        ("I48.9", "atriumfibrilleren", "diagnosis"),
        ("C61", "prostaatcarcinoom", "diagnosis"),
        ("J44.9", "COPD", "diagnosis"),
        ("F32.1", "matige depressieve episode", "mental_health"),
        ("F43.1", "posttraumatische stressstoornis", "mental_health"),
        ("F10.2", "alcoholafhankelijkheid", "substance_use"),
        ("B20", "hiv-infectie", "hiv"),
        ("G35", "multiple sclerose", "disability"),
        ("O24.4", "zwangerschapsdiabetes", "pregnancy"),
    ],
    "pl": [
        ("E11.9", "cukrzyca typu 2", "diagnosis"),
        ("I10", "nadciśnienie tętnicze pierwotne", "diagnosis"),
        ("I50.9", "niewydolność serca", "diagnosis"),
        ("I48.9", "migotanie przedsionków", "diagnosis"),
        ("C34.9", "rak płuca", "diagnosis"),
        ("J44.9", "przewlekła obturacyjna choroba płuc", "diagnosis"),
        ("F32.1", "epizod depresyjny umiarkowany", "mental_health"),
        ("F20.0", "schizofrenia paranoidalna", "mental_health"),
        ("F10.2", "zespół uzależnienia od alkoholu", "substance_use"),
        ("B20", "choroba HIV", "hiv"),
        ("G35", "stwardnienie rozsiane", "disability"),
        ("O24.4", "cukrzyca ciążowa", "pregnancy"),
    ],
    "pt": [
        ("E11.9", "diabetes mellitus tipo 2", "diagnosis"),
        ("I10", "hipertensão arterial sistêmica", "diagnosis"),
        ("I50.9", "insuficiência cardíaca", "diagnosis"),
        ("C50.9", "câncer de mama", "diagnosis"),
        ("J45.9", "asma", "diagnosis"),
        ("N18.4", "doença renal crônica estágio 4", "diagnosis"),
        ("F32.1", "episódio depressivo moderado", "mental_health"),
        ("F41.1", "transtorno de ansiedade generalizada", "mental_health"),
        ("F14.2", "dependência de cocaína", "substance_use"),
        ("B20", "infecção pelo HIV", "hiv"),
        ("A53.9", "sífilis", "sti"),
        ("O24.4", "diabetes gestacional", "pregnancy"),
    ],
    "ja": [
        ("E11.9", "2型糖尿病", "diagnosis"),
        ("I10", "本態性高血圧症", "diagnosis"),
        ("I50.9", "心不全", "diagnosis"),
        ("I48.9", "心房細動", "diagnosis"),
        ("C16.9", "胃癌", "diagnosis"),
        ("J44.9", "慢性閉塞性肺疾患", "diagnosis"),
        ("G30.9", "アルツハイマー型認知症", "diagnosis"),
        ("F32.1", "うつ病", "mental_health"),
        ("F20.0", "統合失調症", "mental_health"),
        ("F10.2", "アルコール依存症", "substance_use"),
        ("B20", "HIV感染症", "hiv"),
        ("O24.4", "妊娠糖尿病", "pregnancy"),
    ],
    "zh": [
        ("E11.9", "2型糖尿病", "diagnosis"),
        ("I10", "原发性高血压", "diagnosis"),
        ("I50.9", "心力衰竭", "diagnosis"),
        ("I63.9", "脑梗死", "diagnosis"),
        ("C22.0", "肝细胞癌", "diagnosis"),
        ("B18.1", "慢性乙型病毒性肝炎", "diagnosis"),
        ("J44.9", "慢性阻塞性肺疾病", "diagnosis"),
        ("F32.1", "中度抑郁发作", "mental_health"),
        ("F41.1", "广泛性焦虑障碍", "mental_health"),
        ("F10.2", "酒精依赖综合征", "substance_use"),
        ("B20", "艾滋病", "hiv"),
        ("O24.4", "妊娠期糖尿病", "pregnancy"),
    ],
    "ko": [
        ("E11.9", "제2형 당뇨병", "diagnosis"),
        ("I10", "본태성 고혈압", "diagnosis"),
        ("C16.9", "위암", "diagnosis"),
        ("F32.1", "중등도 우울병 에피소드", "mental_health"),
        ("F41.1", "범불안장애", "mental_health"),
        ("B20", "HIV 감염", "hiv"),
    ],
    "sv": [
        ("E11.9", "typ 2-diabetes", "diagnosis"),
        ("I50.9", "hjärtsvikt", "diagnosis"),
        ("I48.9", "förmaksflimmer", "diagnosis"),
        ("F32.1", "medelsvår depressiv episod", "mental_health"),
        ("F10.2", "alkoholberoende", "substance_use"),
        ("G35", "multipel skleros", "disability"),
    ],
}

# --- drugs: per-language name, doses -----------------------------------------------------------

_DRUG_NAMES = {
    # key: en, de, fr, es, it, nl, pl, pt, ja, zh, ko, sv
    "metformin": "metformin|Metformin|metformine|metformina|metformina|metformine|metformina|metformina|メトホルミン|二甲双胍|메트포르민|metformin",
    "sertraline": "sertraline|Sertralin|sertraline|sertralina|sertralina|sertraline|sertralina|sertralina|セルトラリン|舍曲林|서트랄린|sertralin",
    "apixaban": "apixaban|Apixaban|apixaban|apixabán|apixaban|apixaban|apiksaban|apixabana|アピキサバン|阿哌沙班|아픽사반|apixaban",
    "ramipril": "ramipril|Ramipril|ramipril|ramipril|ramipril|ramipril|ramipryl|ramipril|ラミプリル|雷米普利|라미프릴|ramipril",
    "quetiapine": "quetiapine|Quetiapin|quétiapine|quetiapina|quetiapina|quetiapine|kwetiapina|quetiapina|クエチアピン|喹硫平|쿠에티아핀|quetiapin",
    "levothyroxine": "levothyroxine|L-Thyroxin|lévothyroxine|levotiroxina|levotiroxina|levothyroxine|lewotyroksyna|levotiroxina|レボチロキシン|左甲状腺素|레보티록신|levotyroxin",
    "atorvastatin": "atorvastatin|Atorvastatin|atorvastatine|atorvastatina|atorvastatina|atorvastatine|atorwastatyna|atorvastatina|アトルバスタチン|阿托伐他汀|아토르바스타틴|atorvastatin",
    "lithium": "lithium carbonate|Lithiumcarbonat|carbonate de lithium|carbonato de litio|litio carbonato|lithiumcarbonaat|węglan litu|carbonato de lítio|炭酸リチウム|碳酸锂|탄산리튬|litiumkarbonat",
    "methadone": "methadone|Methadon|méthadone|metadona|metadone|methadon|metadon|metadona|メサドン|美沙酮|메타돈|metadon",
    "insulin": "insulin glargine|Insulin glargin|insuline glargine|insulina glargina|insulina glargine|insuline glargine|insulina glargina|insulina glargina|インスリン グラルギン|甘精胰岛素|인슐린 글라진|insulin glargin",
    "tamoxifen": "tamoxifen|Tamoxifen|tamoxifène|tamoxifeno|tamoxifene|tamoxifen|tamoksyfen|tamoxifeno|タモキシフェン|他莫昔芬|타목시펜|tamoxifen",
    "prednisolone": "prednisolone|Prednisolon|prednisolone|prednisolona|prednisolone|prednisolon|prednizolon|prednisolona|プレドニゾロン|泼尼松龙|프레드니솔론|prednisolon",
    "biktarvy": "Biktarvy|Biktarvy|Biktarvy|Biktarvy|Biktarvy|Biktarvy|Biktarvy|Biktarvy|ビクタルビ配合錠|必妥维|빅타비|Biktarvy",
    "doxycycline": "doxycycline|Doxycyclin|doxycycline|doxiciclina|doxiciclina|doxycycline|doksycyklina|doxiciclina|ドキシサイクリン|多西环素|독시사이클린|doxycyklin",
    "folic": "folic acid|Folsäure|acide folique|ácido fólico|acido folico|foliumzuur|kwas foliowy|ácido fólico|葉酸|叶酸|엽산|folsyra",
}
_LANG_ORDER = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "ja", "zh", "ko", "sv")
DRUG: dict[str, dict[str, str]] = {
    key: dict(zip(_LANG_ORDER, names.split("|"), strict=True)) for key, names in _DRUG_NAMES.items()
}
DOSES: dict[str, list[str]] = {
    "metformin": ["500 mg", "850 mg", "1000 mg"],
    "sertraline": ["50 mg", "100 mg", "150 mg"],
    "apixaban": ["2.5 mg", "5 mg"],
    "ramipril": ["2.5 mg", "5 mg", "10 mg"],
    "quetiapine": ["25 mg", "100 mg", "300 mg"],
    "levothyroxine": ["50 mcg", "75 mcg", "125 mcg"],
    "atorvastatin": ["20 mg", "40 mg", "80 mg"],
    "lithium": ["400 mg", "800 mg"],
    "methadone": ["40 mg", "60 mg", "85 mg"],
    "insulin": ["18 units", "24 units", "32 units"],
    "tamoxifen": ["20 mg"],
    "prednisolone": ["5 mg", "30 mg", "40 mg"],
    "biktarvy": ["50/200/25 mg"],
    "doxycycline": ["100 mg"],
    "folic": ["0.4 mg", "5 mg"],
}
# Drug -> what it treats (variant for the sample) so the text stays clinically plausible.
DRUG_VARIANT = {
    "sertraline": "mental_health",
    "quetiapine": "mental_health",
    "lithium": "mental_health",
    "methadone": "substance_use",
    "biktarvy": "hiv",
}
# Which drugs fit a condition of each variant (so a letter does not pair HIV with methadone).
DRUGS_FOR = {
    "diagnosis": (
        "metformin",
        "apixaban",
        "ramipril",
        "levothyroxine",
        "atorvastatin",
        "insulin",
        "prednisolone",
    ),
    "mental_health": ("sertraline", "quetiapine", "lithium"),
    "substance_use": ("methadone",),
    "hiv": ("biktarvy",),
    "sti": ("doxycycline",),
    "disability": ("prednisolone",),
    "pregnancy": ("insulin", "folic"),
}
FREQ: dict[str, list[str]] = {
    "en": ["once daily", "twice daily", "BD", "OD", "at night", "nocte", "1-0-1"],
    "de": ["1-0-0", "1-0-1", "0-0-1", "zweimal täglich", "einmal täglich morgens"],
    "fr": ["1 fois par jour", "matin et soir", "2 fois par jour", "le soir au coucher"],
    "es": ["cada 12 horas", "una vez al día", "cada 24 h", "en la cena"],
    "it": ["una volta al giorno", "due volte al giorno", "la sera", "1 cp/die"],
    "nl": ["1dd1", "2dd1", "'s avonds", "eenmaal daags"],
    "pl": ["1 x dziennie", "2 x dziennie", "rano", "wieczorem"],
    "pt": ["1 vez ao dia", "de 12/12h", "à noite", "em jejum"],
    "ja": ["1日1回朝食後", "1日2回朝夕食後", "就寝前"],
    "zh": ["每日一次", "每日两次", "睡前服用", "早晚各一次"],
    "ko": ["1일 1회", "1일 2회", "취침 전"],
    "sv": ["1 gång dagligen", "2 gånger dagligen", "till natten"],
}

# --- labs: (text, language) -------------------------------------------------------------------

LABS: dict[str, list[str]] = {
    "en": [
        "HbA1c 9.1% (76 mmol/mol)",
        "eGFR 24 mL/min/1.73m2",
        "potassium 6.3 mmol/L",
        "troponin T 412 ng/L",
        "TSH 14.2 mIU/L",
        "INR 4.9",
        "CD4 count 180 cells/uL, viral load 24,000 copies/mL",
        "PSA 16.8 ng/mL",
        "Hb 74 g/L",
        "ferritin 5 ug/L",
        "CRP 186 mg/L",
        "ALT 312 U/L",
        "lithium level 1.6 mmol/L",
        "beta-hCG 18,400 IU/L",
    ],
    "de": [
        "HbA1c 8,7 %",
        "Kreatinin 2,4 mg/dl",
        "Kalium 6,1 mmol/l",
        "CRP 143 mg/l",
        "Hb 8,1 g/dl",
        "TSH 11,3 mU/l",
        "INR 4,2",
    ],
    "fr": [
        "HbA1c à 9,2 %",
        "créatinine 210 µmol/L",
        "kaliémie 6,0 mmol/L",
        "CRP 120 mg/L",
        "hémoglobine 7,8 g/dL",
        "TSH 9,8 mUI/L",
    ],
    "es": [
        "HbA1c 8,9 %",
        "creatinina 2,1 mg/dL",
        "potasio 5,9 mEq/L",
        "PCR 98 mg/L",
        "hemoglobina 8,2 g/dL",
        "TSH 10,4 µUI/mL",
    ],
    "it": [
        "HbA1c 8,4%",
        "creatinina 2,3 mg/dl",
        "potassiemia 6,2 mEq/l",
        "PCR 76 mg/l",
        "emoglobina 8,0 g/dl",
        "TSH 12 µUI/ml",
    ],
    "nl": [
        "HbA1c 71 mmol/mol",
        "eGFR 28 ml/min",
        "kalium 6,0 mmol/l",
        "CRP 132 mg/l",
        "Hb 5,1 mmol/l",
    ],
    "pl": [
        "HbA1c 9,4%",
        "kreatynina 2,2 mg/dl",
        "potas 6,1 mmol/l",
        "CRP 110 mg/l",
        "hemoglobina 8,3 g/dl",
        "TSH 13 µIU/ml",
    ],
    "pt": [
        "HbA1c 9,0%",
        "creatinina 2,5 mg/dL",
        "potássio 6,0 mEq/L",
        "PCR 88 mg/L",
        "hemoglobina 7,9 g/dL",
        "TSH 11 µUI/mL",
    ],
    "ja": [
        "HbA1c 8.8%",
        "クレアチニン 2.1 mg/dL",
        "カリウム 6.0 mEq/L",
        "CRP 12.4 mg/dL",
        "ヘモグロビン 7.9 g/dL",
    ],
    "zh": [
        "糖化血红蛋白 9.3%",
        "肌酐 186 μmol/L",
        "血钾 6.1 mmol/L",
        "C反应蛋白 96 mg/L",
        "血红蛋白 72 g/L",
        "HBV-DNA 3.2×10^5 IU/mL",
    ],
}

# --- procedures ------------------------------------------------------------------------------

PROC: dict[str, list[str]] = {
    "en": [
        "laparoscopic cholecystectomy",
        "total knee replacement",
        "coronary angiography with stent placement",
        "colonoscopy with polypectomy",
        "elective caesarean section",
        "total abdominal hysterectomy",
        "left mastectomy",
        "lumbar discectomy L4/L5",
        "cataract surgery, right eye",
        "cycle 3 of FOLFOX chemotherapy",
        "egg retrieval for IVF",
        "termination of pregnancy at 9 weeks",
        "ECT session 6 of 12",
    ],
    "de": [
        "laparoskopische Cholezystektomie",
        "Knie-TEP rechts",
        "Koronarangiographie mit Stentimplantation",
        "Koloskopie mit Polypektomie",
        "Sectio caesarea",
        "Hysterektomie",
    ],
    "fr": [
        "cholécystectomie sous cœlioscopie",
        "prothèse totale de hanche",
        "coronarographie avec pose de stent",
        "coloscopie",
        "césarienne programmée",
        "mastectomie gauche",
    ],
    "es": [
        "colecistectomía laparoscópica",
        "prótesis total de rodilla",
        "cateterismo cardíaco con stent",
        "colonoscopia",
        "cesárea programada",
        "histerectomía",
    ],
    "it": [
        "colecistectomia laparoscopica",
        "protesi d'anca",
        "coronarografia con impianto di stent",
        "colonscopia",
        "taglio cesareo",
        "mastectomia",
    ],
    "nl": [
        "laparoscopische cholecystectomie",
        "totale knieprothese",
        "dotterbehandeling met stent",
        "coloscopie",
        "keizersnede",
    ],
    "pl": [
        "cholecystektomia laparoskopowa",
        "endoprotezoplastyka stawu kolanowego",
        "koronarografia z implantacją stentu",
        "kolonoskopia",
        "cesarskie cięcie",
    ],
    "pt": [
        "colecistectomia videolaparoscópica",
        "artroplastia total de joelho",
        "cateterismo com implante de stent",
        "colonoscopia",
        "cesariana",
    ],
    "ja": [
        "腹腔鏡下胆嚢摘出術",
        "人工膝関節置換術",
        "経皮的冠動脈インターベンション",
        "大腸内視鏡検査",
        "帝王切開",
    ],
    "zh": ["腹腔镜胆囊切除术", "全膝关节置换术", "冠状动脉支架植入术", "结肠镜检查", "剖宫产"],
}

# Lower-case fragments marking items only some people can have (checked against the person).
OBSTETRIC = (
    "pregnan",
    "caesarean",
    "ivf",
    "sectio",
    "césarienne",
    "cesárea",
    "cesareo",
    "keizersnede",
    "cesarskie",
    "cesariana",
    "帝王切開",
    "剖宫产",
    "gestation",
    "gestacional",
    "gestazionale",
    "zwangerschap",
    "ciążowa",
    "妊娠",
    "beta-hcg",
)
FEMALE_ONLY = ("hysterectom", "histerectom", "mastectom", "mastektom")
MALE_ONLY = ("prostat", "psa ")
UNITS = {
    "en": "units",
    "de": "IE",
    "fr": "UI",
    "es": "UI",
    "it": "UI",
    "nl": "E",
    "pl": "jednostek",
    "pt": "UI",
    "ja": "単位",
    "zh": "单位",
    "ko": "단위",
    "sv": "E",
}

ALLERGY_EN = [
    "penicillin (anaphylaxis)",
    "peanuts - carries an EpiPen",
    "latex",
    "sulfonamides (rash)",
    "codeine",
    "shellfish and iodinated contrast",
]

# --- dates ---------------------------------------------------------------------------------

MONTHS: dict[str, list[str]] = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    # Polish dates use the genitive.
    "pl": [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "sv": [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "da": [
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ],
}


def fmt_date(d: date, locale: str, rng: random.Random) -> str:
    """A date the way people in `locale` commonly write it (one of several styles)."""
    lang = locale.split("_")[0]
    y, m, dd = d.year, d.month, d.day
    if locale == "en_US":
        styles = [
            f"{m:02d}/{dd:02d}/{y}",
            f"{m}/{dd}/{y}",
            f"{MONTHS['en'][m - 1]} {dd}, {y}",
            f"{MONTHS['en'][m - 1][:3]} {dd}, {y}",
            f"{y}-{m:02d}-{dd:02d}",
        ]
    elif lang == "en":
        styles = [
            f"{dd:02d}/{m:02d}/{y}",
            f"{dd} {MONTHS['en'][m - 1]} {y}",
            f"{dd} {MONTHS['en'][m - 1][:3]} {y}",
            f"{dd:02d}.{m:02d}.{y}",
            f"{dd}-{MONTHS['en'][m - 1][:3]}-{y}",
        ]
    elif lang == "de":
        styles = [f"{dd:02d}.{m:02d}.{y}", f"{dd}.{m}.{y}", f"{dd}. {MONTHS['de'][m - 1]} {y}"]
    elif lang in ("fr", "it"):
        styles = [f"{dd:02d}/{m:02d}/{y}", f"{dd} {MONTHS[lang][m - 1]} {y}"]
        if lang == "fr" and dd == 1:
            styles.append(f"1er {MONTHS['fr'][m - 1]} {y}")
    elif lang in ("es", "pt"):
        styles = [f"{dd:02d}/{m:02d}/{y}", f"{dd} de {MONTHS[lang][m - 1]} de {y}"]
    elif lang == "nl":
        styles = [f"{dd:02d}-{m:02d}-{y}", f"{dd} {MONTHS['nl'][m - 1]} {y}", f"{dd}-{m}-{y}"]
    elif lang == "pl":
        styles = [
            f"{dd:02d}.{m:02d}.{y}",
            f"{dd} {MONTHS['pl'][m - 1]} {y}",
            f"{dd:02d}.{m:02d}.{y} r.",
        ]
    elif lang == "sv":
        styles = [f"{y}-{m:02d}-{dd:02d}", f"{dd} {MONTHS['sv'][m - 1]} {y}"]
    elif lang == "da":
        styles = [
            f"{dd:02d}-{m:02d}-{y}",
            f"{dd}. {MONTHS['da'][m - 1]} {y}",
            f"{dd:02d}.{m:02d}.{y}",
        ]
    elif lang in ("ja", "zh"):
        styles = [f"{y}年{m}月{dd}日", f"{y}/{m:02d}/{dd:02d}", f"{y}-{m:02d}-{dd:02d}"]
        if lang == "ja" and y >= 1926 and (y, m, dd) < (1989, 1, 8):
            styles.append(f"昭和{y - 1925}年{m}月{dd}日")
        if lang == "ja" and (y, m, dd) >= (1989, 1, 8) and y < 2019:
            styles.append(f"平成{y - 1988}年{m}月{dd}日")
    elif lang == "ko":
        styles = [f"{y}년 {m}월 {dd}일", f"{y}.{m:02d}.{dd:02d}", f"{y}-{m:02d}-{dd:02d}"]
    elif lang == "hi":
        styles = [f"{dd:02d}/{m:02d}/{y}", f"{dd:02d}-{m:02d}-{y}"]
    else:
        styles = [f"{y}-{m:02d}-{dd:02d}"]
    return rng.choice(styles)


TITLES: dict[str, tuple[str, str]] = {
    # (male, female)
    "en": ("Mr", "Mrs"),
    "de": ("Herr", "Frau"),
    "fr": ("M.", "Mme"),
    "es": ("Sr.", "Sra."),
    "it": ("Sig.", "Sig.ra"),
    "nl": ("dhr.", "mevr."),
    "pl": ("Pan", "Pani"),
    "pt": ("Sr.", "Sra."),
    "sv": ("", ""),
    "da": ("hr.", "fru"),
}
