"""The words of health data: conditions, procedures and medicines, in English and 11 other languages.

Plain data for ``lexicon``. Each entry is lower-case and is found as a whole
word (ASCII entries) or as it stands (other scripts). ``AMBIGUOUS`` holds the
words that also mean something outside medicine ("stroke", "depression",
"cold"): they count only right after clinical wording ("had a stroke").
``SELF_REPORTED`` holds symptoms and drug classes people tell about themselves,
``OWN_CUE_TERMS`` words with their own wording (see ``health.OWN_CUES``),
``LABS`` lab tests and vital signs that count with a value.
"""

from __future__ import annotations

CONDITIONS = """
diabetes|type 1 diabetes|type 2 diabetes|diabetes mellitus|prediabetes|gestational diabetes|
diabetic ketoacidosis|diabetic neuropathy|diabetic retinopathy|hypoglycemia|hypoglycaemia|
hyperglycemia|hyperglycaemia|insulin resistance|metabolic syndrome|obesity|morbid obesity|
hypertension|high blood pressure|hypotension|hyperlipidemia|hyperlipidaemia|
hypercholesterolemia|hypercholesterolaemia|high cholesterol|dyslipidemia|
coronary artery disease|coronary heart disease|ischemic heart disease|ischaemic heart disease|
heart disease|heart failure|congestive heart failure|cardiomyopathy|
hypertrophic cardiomyopathy|myocardial infarction|heart attack|angina|angina pectoris|
atrial fibrillation|afib|atrial flutter|arrhythmia|tachycardia|bradycardia|
ventricular tachycardia|heart murmur|mitral valve prolapse|aortic stenosis|
aortic aneurysm|endocarditis|myocarditis|pericarditis|peripheral artery disease|
peripheral vascular disease|deep vein thrombosis|dvt|pulmonary embolism|thrombosis|
varicose veins|raynaud's|raynaud's disease|
asthma|copd|chronic obstructive pulmonary disease|emphysema|chronic bronchitis|bronchitis|
bronchiectasis|pneumonia|pulmonary fibrosis|idiopathic pulmonary fibrosis|
sleep apnea|sleep apnoea|obstructive sleep apnea|cystic fibrosis|sarcoidosis|
pulmonary hypertension|pleurisy|pleural effusion|tuberculosis|
stroke|ischemic stroke|hemorrhagic stroke|transient ischemic attack|
epilepsy|seizure disorder|seizures|migraine|migraines|chronic migraine|cluster headaches|
multiple sclerosis|parkinson's|parkinson's disease|parkinson disease|parkinsons|
alzheimer's|alzheimer's disease|alzheimers|dementia|vascular dementia|lewy body dementia|
frontotemporal dementia|huntington's disease|huntington disease|
amyotrophic lateral sclerosis|motor neuron disease|myasthenia gravis|guillain-barre syndrome|
guillain-barré syndrome|bell's palsy|cerebral palsy|neuropathy|peripheral neuropathy|
trigeminal neuralgia|restless legs syndrome|narcolepsy|traumatic brain injury|
spinal cord injury|concussion|hydrocephalus|brain tumor|brain tumour|
depression|major depression|major depressive disorder|clinical depression|
postpartum depression|postnatal depression|dysthymia|persistent depressive disorder|
anxiety disorder|generalized anxiety disorder|generalised anxiety disorder|panic disorder|
panic attacks|social anxiety disorder|agoraphobia|bipolar disorder|bipolar|
bipolar i disorder|bipolar ii disorder|schizophrenia|schizoaffective disorder|psychosis|
ptsd|post-traumatic stress disorder|posttraumatic stress disorder|ocd|
obsessive-compulsive disorder|obsessive compulsive disorder|adhd|
attention deficit hyperactivity disorder|autism|autism spectrum disorder|asperger's|
asperger syndrome|eating disorder|anorexia|anorexia nervosa|bulimia|bulimia nervosa|
binge eating disorder|borderline personality disorder|personality disorder|
antisocial personality disorder|suicidal ideation|self-harm|insomnia|
alcohol use disorder|alcoholism|alcohol dependence|substance use disorder|
alcohol treatment|addiction treatment|alcohol rehab|drug rehab|head lice|lice|
gender-affirming surgery|gender affirming surgery|gender reassignment surgery|
opioid use disorder|opioid dependence|opioid addiction|drug addiction|addiction|
gambling disorder|tourette syndrome|tourette's|dyslexia|
cancer|breast cancer|lung cancer|prostate cancer|colon cancer|colorectal cancer|
rectal cancer|pancreatic cancer|ovarian cancer|cervical cancer|uterine cancer|
endometrial cancer|bladder cancer|kidney cancer|renal cell carcinoma|liver cancer|
hepatocellular carcinoma|stomach cancer|gastric cancer|esophageal cancer|
oesophageal cancer|thyroid cancer|skin cancer|melanoma|basal cell carcinoma|
squamous cell carcinoma|carcinoma|adenocarcinoma|sarcoma|osteosarcoma|leukemia|
leukaemia|acute myeloid leukemia|acute lymphoblastic leukemia|
chronic lymphocytic leukemia|chronic myeloid leukemia|lymphoma|hodgkin lymphoma|
hodgkin's lymphoma|non-hodgkin lymphoma|non-hodgkin's lymphoma|multiple myeloma|myeloma|
glioblastoma|glioma|meningioma|neuroblastoma|mesothelioma|metastatic cancer|
metastases|testicular cancer|head and neck cancer|oral cancer|tumor|tumour|
malignant tumor|malignant tumour|brain metastases|myelodysplastic syndrome|
hiv|hiv/aids|aids|vih|hepatitis|hepatitis a|hepatitis b|hepatitis c|tuberculosis|malaria|
dengue|dengue fever|cholera|typhoid|measles|mumps|rubella|chickenpox|shingles|
herpes|genital herpes|hpv|chlamydia|gonorrhea|gonorrhoea|syphilis|trichomoniasis|
covid|covid-19|long covid|sars-cov-2|influenza|sepsis|septicemia|mrsa|c. diff|
clostridioides difficile|lyme disease|meningitis|encephalitis|mononucleosis|
urinary tract infection|uti|cellulitis|pneumococcal|whooping cough|pertussis|ebola|
zika|mpox|monkeypox|scabies|ringworm|impetigo|
crohn's|crohn's disease|crohns|crohn disease|crohn|ulcerative colitis|colitis|inflammatory bowel disease|ibd|
irritable bowel syndrome|ibs|celiac disease|coeliac disease|gerd|acid reflux|
gastroesophageal reflux disease|peptic ulcer|stomach ulcer|gastritis|gastroparesis|
diverticulitis|diverticulosis|pancreatitis|cholecystitis|gallstones|appendicitis|
hemorrhoids|haemorrhoids|cirrhosis|liver cirrhosis|fatty liver disease|
non-alcoholic fatty liver disease|nafld|nash|hepatic encephalopathy|barrett's esophagus|
chronic kidney disease|ckd|kidney disease|renal failure|kidney failure|
end-stage renal disease|acute kidney injury|kidney stones|nephrolithiasis|
polycystic kidney disease|glomerulonephritis|nephrotic syndrome|incontinence|
urinary incontinence|overactive bladder|interstitial cystitis|
benign prostatic hyperplasia|bph|erectile dysfunction|
hypothyroidism|hyperthyroidism|hashimoto's|hashimoto's thyroiditis|graves' disease|
graves disease|thyroid nodules|goiter|cushing's syndrome|addison's disease|
pcos|polycystic ovary syndrome|polycystic ovarian syndrome|endometriosis|
uterine fibroids|fibroids|infertility|menopause|perimenopause|preeclampsia|
pre-eclampsia|ectopic pregnancy|miscarriage|stillbirth|placenta previa|
hyperemesis gravidarum|gestational hypertension|postpartum hemorrhage|
rheumatoid arthritis|osteoarthritis|arthritis|psoriatic arthritis|ankylosing spondylitis|
gout|lupus|systemic lupus erythematosus|sle|sjogren's syndrome|sjögren's syndrome|
scleroderma|fibromyalgia|polymyalgia rheumatica|vasculitis|osteoporosis|osteopenia|
scoliosis|herniated disc|slipped disc|sciatica|spinal stenosis|degenerative disc disease|
carpal tunnel syndrome|tendinitis|tendonitis|bursitis|plantar fasciitis|frozen shoulder|
rotator cuff tear|torn acl|acl tear|torn meniscus|hip fracture|fractured hip|
broken hip|broken wrist|broken leg|fractured wrist|fractured femur|
chronic pain|chronic back pain|chronic fatigue syndrome|myalgic encephalomyelitis|
psoriasis|eczema|atopic dermatitis|dermatitis|rosacea|acne|vitiligo|alopecia|
hidradenitis suppurativa|urticaria|hives|
anemia|anaemia|iron deficiency anemia|sickle cell disease|sickle cell anemia|
sickle cell anaemia|thalassemia|thalassaemia|hemophilia|haemophilia|
von willebrand disease|thrombocytopenia|neutropenia|polycythemia|
glaucoma|cataract|cataracts|macular degeneration|age-related macular degeneration|
diabetic macular edema|retinal detachment|uveitis|keratoconus|tinnitus|
hearing loss|meniere's disease|vertigo|otitis media|sinusitis|chronic sinusitis|
allergic rhinitis|food allergy|peanut allergy|penicillin allergy|anaphylaxis|
allergy to|allergic to|severe allergy|heterozygous for|homozygous for|carrier of the|
celiac|lactose intolerance|
down syndrome|down's syndrome|spina bifida|muscular dystrophy|
duchenne muscular dystrophy|spinal muscular atrophy|fragile x syndrome|
marfan syndrome|turner syndrome|klinefelter syndrome|phenylketonuria|
tay-sachs disease|huntington's|
hemochromatosis|haemochromatosis|wilson's disease|amyloidosis|sarcoidosis|
lymphedema|lymphoedema|edema|oedema|dehydration|malnutrition|
obstructive sleep apnoea|sleep disorder|chronic insomnia|
learning disability|intellectual disability|developmental delay|
terminal illness|terminally ill|palliative|pregnancy|pregnant
"""

# Words that also mean something outside medicine: they count after clinical wording only.
AMBIGUOUS = frozenset(
    """stroke|depression|anxiety|addiction|seizures|seizure|cold|fever|flu|fracture|tumor|
tumour|cancer|aids|add|als|sle|bph|ibs|ibd|uti|nash|edema|oedema|hives|acne|palliative|
pregnancy|pregnant|bipolar|autism|obesity|dehydration|malnutrition|incontinence|chronic pain|
hearing loss|influenza|covid|operation|surgery|ect|cbt|dbt|emg|rehab|rehabilitation|detox|
transplant|transfusion|ablation|stenting|x-ray|ultrasound|chemo|gerd|ocd|ecg|ekg|eeg|ms|
grippe|derrame|udar|ictus|avc|reuma|operation""".replace("\n", "").split("|")
)

PROCEDURES = """
appendectomy|appendicectomy|cholecystectomy|mastectomy|lumpectomy|hysterectomy|
tonsillectomy|adenoidectomy|prostatectomy|nephrectomy|colectomy|gastrectomy|
thyroidectomy|splenectomy|oophorectomy|salpingectomy|vasectomy|tubal ligation|
laminectomy|discectomy|craniotomy|thoracotomy|laparotomy|tracheostomy|colostomy|
ileostomy|gastrostomy|episiotomy|circumcision|
colonoscopy|endoscopy|gastroscopy|bronchoscopy|cystoscopy|arthroscopy|laparoscopy|
sigmoidoscopy|colposcopy|hysteroscopy|upper endoscopy|capsule endoscopy|ercp|
angioplasty|coronary angioplasty|balloon angioplasty|angiography|angiogram|
coronary angiogram|cardiac catheterization|cardiac catheterisation|
coronary artery bypass|coronary bypass|bypass surgery|cabg|heart bypass|
valve replacement|aortic valve replacement|tavr|tavi|pacemaker|pacemaker implantation|
defibrillator implantation|icd implantation|ablation|catheter ablation|cardioversion|
stent placement|stenting|echocardiogram|echocardiography|electrocardiogram|ecg|ekg|
stress test|holter monitor|
mri|mri scan|ct scan|cat scan|pet scan|pet-ct|x-ray|chest x-ray|ultrasound|
sonogram|mammogram|mammography|dexa scan|bone density scan|bone scan|
eeg|emg|nerve conduction study|lumbar puncture|spinal tap|bone marrow biopsy|
biopsy|needle biopsy|fine needle aspiration|pap smear|pap test|
chemotherapy|chemo|radiotherapy|radiation therapy|immunotherapy|targeted therapy|
hormone therapy|hormone replacement therapy|proton therapy|brachytherapy|
stem cell transplant|bone marrow transplant|kidney transplant|liver transplant|
heart transplant|lung transplant|organ transplant|transplant|dialysis|hemodialysis|
haemodialysis|peritoneal dialysis|blood transfusion|transfusion|plasmapheresis|
hip replacement|total hip replacement|knee replacement|total knee replacement|
joint replacement|shoulder replacement|spinal fusion|acl reconstruction|
rotator cuff repair|hernia repair|inguinal hernia repair|carpal tunnel release|
cataract surgery|lasik|laser eye surgery|vitrectomy|corneal transplant|
gastric bypass|bariatric surgery|gastric sleeve|sleeve gastrectomy|lap band|
c-section|caesarean section|cesarean section|caesarean|cesarean|induction of labour|
ivf|in vitro fertilization|in vitro fertilisation|iui|egg retrieval|embryo transfer|
abortion|termination of pregnancy|d&c|dilation and curettage|
physical therapy|physiotherapy|occupational therapy|speech therapy|
cognitive behavioral therapy|cognitive behavioural therapy|cbt|dbt|psychotherapy|
electroconvulsive therapy|transcranial magnetic stimulation|rehab|rehabilitation|
detox|inpatient rehab|methadone maintenance|
open heart surgery|heart surgery|brain surgery|spine surgery|back surgery|knee surgery|
hip surgery|shoulder surgery|eye surgery|cardiac surgery|plastic surgery|
reconstructive surgery|weight loss surgery|surgery|amputation|
skin graft|mohs surgery|lithotripsy|tonsil removal|wisdom teeth removal|root canal|
colonoscopy screening|genetic testing|amniocentesis|ivf treatment|fertility treatment|
"""

MEDICATIONS = """
inhaler|epipen|epi-pen|metformin|insulin|insulin glargine|insulin lispro|insulin aspart|lantus|humalog|novolog|
glipizide|glyburide|glimepiride|sitagliptin|januvia|empagliflozin|jardiance|dapagliflozin|
farxiga|semaglutide|ozempic|wegovy|rybelsus|liraglutide|victoza|saxenda|tirzepatide|
mounjaro|zepbound|dulaglutide|trulicity|pioglitazone|
lisinopril|enalapril|ramipril|losartan|valsartan|irbesartan|olmesartan|candesartan|
amlodipine|nifedipine|diltiazem|verapamil|metoprolol|atenolol|bisoprolol|carvedilol|
propranolol|nebivolol|hydrochlorothiazide|chlorthalidone|furosemide|lasix|
spironolactone|torsemide|bumetanide|hydralazine|clonidine|doxazosin|
atorvastatin|lipitor|simvastatin|rosuvastatin|crestor|pravastatin|ezetimibe|
warfarin|coumadin|apixaban|eliquis|rivaroxaban|xarelto|dabigatran|edoxaban|heparin|
enoxaparin|clopidogrel|plavix|ticagrelor|prasugrel|aspirin|digoxin|amiodarone|
nitroglycerin|isosorbide|sacubitril|entresto|
levothyroxine|synthroid|liothyronine|methimazole|propylthiouracil|
omeprazole|esomeprazole|pantoprazole|lansoprazole|famotidine|ranitidine|ondansetron|
metoclopramide|mesalamine|infliximab|adalimumab|humira|etanercept|enbrel|
ustekinumab|vedolizumab|
sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro|citalopram|paroxetine|paxil|
venlafaxine|effexor|duloxetine|cymbalta|bupropion|wellbutrin|mirtazapine|trazodone|
amitriptyline|nortriptyline|vortioxetine|
alprazolam|xanax|lorazepam|ativan|clonazepam|klonopin|diazepam|valium|buspirone|
hydroxyzine|zolpidem|ambien|
quetiapine|seroquel|aripiprazole|abilify|risperidone|olanzapine|clozapine|haloperidol|
lurasidone|ziprasidone|paliperidone|lithium carbonate|lamotrigine|lamictal|
valproate|divalproex|depakote|carbamazepine|oxcarbazepine|topiramate|levetiracetam|
keppra|phenytoin|gabapentin|pregabalin|lyrica|
methylphenidate|ritalin|concerta|adderall|amphetamine|lisdexamfetamine|vyvanse|
atomoxetine|
donepezil|memantine|rivastigmine|levodopa|carbidopa|pramipexole|ropinirole|
sumatriptan|rizatriptan|
oxycodone|oxycontin|hydrocodone|vicodin|morphine|fentanyl|tramadol|codeine|
hydromorphone|tapentadol|methadone|buprenorphine|suboxone|naltrexone|naloxone|
prednisone|prednisolone|methylprednisolone|dexamethasone|hydrocortisone|
methotrexate|hydroxychloroquine|plaquenil|sulfasalazine|leflunomide|tofacitinib|
allopurinol|colchicine|febuxostat|alendronate|fosamax|denosumab|
albuterol|salbutamol|ventolin|fluticasone|budesonide|symbicort|advair|montelukast|
tiotropium|spiriva|
amoxicillin|augmentin|azithromycin|zithromax|doxycycline|ciprofloxacin|levofloxacin|
cephalexin|clindamycin|metronidazole|nitrofurantoin|trimethoprim|
sulfamethoxazole|penicillin|vancomycin|
acyclovir|valacyclovir|valtrex|oseltamivir|tamiflu|paxlovid|
tenofovir|emtricitabine|truvada|descovy|biktarvy|dolutegravir|efavirenz|
sofosbuvir|harvoni|epclusa|
tamoxifen|letrozole|anastrozole|exemestane|trastuzumab|herceptin|pembrolizumab|
keytruda|nivolumab|opdivo|rituximab|bevacizumab|avastin|cisplatin|carboplatin|
paclitaxel|docetaxel|doxorubicin|cyclophosphamide|imatinib|gleevec|capecitabine|
fluorouracil|5-fu|
estradiol|progesterone|medroxyprogesterone|norethindrone|levonorgestrel|
testosterone|finasteride|tamsulosin|flomax|sildenafil|viagra|tadalafil|cialis|
oxybutynin|mirabegron|
isotretinoin|accutane|
epinephrine|epipen|
"""

# Other languages: conditions, procedures and patient words people write in notes.
FOREIGN_TERMS = """
diabetes mellitus|zuckerkrankheit|bluthochdruck|herzinfarkt|herzinsuffizienz|
vorhofflimmern|schlaganfall|lungenentzündung|lungenkrebs|brustkrebs|darmkrebs|
prostatakrebs|hautkrebs|leukämie|depressionen|angststörung|schizophrenie|
bandscheibenvorfall|rheuma|multiple sklerose|epilepsie|demenz|asthma bronchiale|
niereninsuffizienz|chemotherapie|strahlentherapie|darmspiegelung|magenspiegelung|
bypass-operation|kniegelenksersatz|hüftgelenksersatz|hypoglycémie|hyperglycémie|grossesse|
crise d'asthme|crise d'épilepsie|ivg|hersenbloeding|herseninfarct|hartinfarct|burn-out|
hüft-tep|knie-tep|stentimplantation|
koronarangiographie|herzkatheter|術後|术后|수술 후|手術後|手术后|
prothèse de hanche|prothèse totale de hanche|prothèse de genou|prothèse totale de genou|
coronarographie|pose de stent|prótesis de cadera|prótesis de rodilla|coronariografía|
protesi d'anca|protesi di ginocchio|coronarografia|prótese de quadril|prótese de joelho|
pneumonie|grippe|bronchite|asthme|épilepsie|epilepsie|cirrhose|hépatite|hepatite|
tuberculose|leucémie|lymphome|mélanome|cancer du côlon|cancer colorectal|appendicite|
pancréatite|insuffisance respiratoire|arthrose|polyarthrite|ostéoporose|fibromyalgie|
neumonía|neumonia|bronquitis|epilepsia|cirrosis|hepatitis|tuberculosis|linfoma|melanoma|
apendicitis|pancreatitis|artrosis|artritis|osteoporosis|ictus|derrame cerebral|
polmonite|bronchite|epilessia|cirrosi|epatite|tubercolosi|linfoma|appendicite|
pancreatite|artrosi|artrite|osteoporosi|ictus cerebrale|
longontsteking|bronchitis|epilepsie|levercirrose|hepatitis|tuberculose|lymfoom|
blindedarmontsteking|artrose|reuma|beroerte|
zapalenie płuc|zapalenie pluc|zapalenie oskrzeli|padaczka|marskość wątroby|
zapalenie wątroby|gruźlica|chłoniak|czerniak|zapalenie wyrostka|udar mózgu|udar|
pneumonia|bronquite|epilepsia|cirrose|hepatite|tuberculose|linfoma|apendicite|
pancreatite|artrose|artrite|osteoporose|derrame|acidente vascular cerebral|avc|
lungenentzündung|bronchitis|leberzirrhose|hepatitis|tuberkulose|lymphom|melanom|
blinddarmentzündung|bauchspeicheldrüsenentzündung|arthrose|osteoporose|
appendicectomie|cholécystectomie|cholecystectomie|mastectomie|hystérectomie|
hysterectomie|césarienne|cesarienne|endoscopie|fibroscopie|biopsie|dialyse|greffe de rein|
greffe du foie|pose de prothèse|prothèse de hanche|prothèse du genou|
apendicectomía|apendicectomia|colecistectomía|colecistectomia|mastectomía|mastectomia|
histerectomía|histerectomia|cesárea|cesarea|resonancia magnética|resonancia magnetica|
endoscopia|biopsia|diálisis|dialisis|trasplante de riñón|trasplante renal|
colecistectomia|isterectomia|taglio cesareo|risonanza magnetica|dialisi|
trapianto di rene|blinddarmoperation|gallenblasenentfernung|kaiserschnitt|
gelenkspiegelung|knieoperation|hüftoperation|blindedarmoperatie|keizersnede|
kijkoperatie|knieoperatie|heupoperatie|wycięcie wyrostka|cesarskie cięcie|biopsja|
dializa|przeszczep nerki|cesariana|ressonância magnética|ressonancia magnetica|biópsia|
diálise|dialise|transplante renal|
diabète|hypertension artérielle|infarctus|insuffisance cardiaque|accident vasculaire|
cancer du sein|cancer du poumon|cancer de la prostate|leucémie|dépression|
schizophrénie|sclérose en plaques|maladie d'alzheimer|maladie de parkinson|
insuffisance rénale|chimiothérapie|radiothérapie|coloscopie|
hipertensión|hipertension|infarto|insuficiencia cardíaca|insuficiencia cardiaca|
cáncer de mama|cancer de mama|cáncer de pulmón|leucemia|depresión|esquizofrenia|
esclerosis múltiple|enfermedad de alzheimer|insuficiencia renal|quimioterapia|
radioterapia|colonoscopia|diabetes tipo 2|diabetes tipo 1|
ipertensione|infarto del miocardio|insufficienza cardiaca|tumore|cancro al seno|
cancro ai polmoni|leucemia|depressione|schizofrenia|sclerosi multipla|
insufficienza renale|chemioterapia|radioterapia|diabete|diabete di tipo 2|
suikerziekte|hoge bloeddruk|hartinfarct|hartfalen|borstkanker|longkanker|kanker|
depressie|schizofrenie|chemotherapie|bestraling|
cukrzyca|cukrzycę|nadciśnienie|zawał serca|niewydolność serca|rak piersi|rak płuc|
nowotwór|białaczka|depresja|depresję|schizofrenia|stwardnienie rozsiane|
chemioterapia|radioterapia|kolonoskopia|
hipertensão|enfarte|insuficiência cardíaca|câncer de mama|cancro da mama|leucemia|
depressão|esquizofrenia|esclerose múltipla|insuficiência renal|quimioterapia|
糖尿病|高血圧|高血压|心筋梗塞|心肌梗死|心不全|心力衰竭|脳卒中|脑卒中|中风|
がん|癌|肺癌|乳癌|乳がん|肺がん|白血病|うつ病|抑郁症|統合失調症|精神分裂症|
認知症|痴呆|阿尔茨海默|喘息|哮喘|肺炎|結核|结核|肝炎|肝硬変|肝硬化|腎不全|肾衰竭|
化学療法|抗がん剤|化疗|放射線治療|放疗|透析|手術|手术|内視鏡|胃カメラ|
당뇨병|당뇨|고혈압|심근경색|심부전|뇌졸중|폐암|유방암|백혈병|우울증|조현병|
치매|천식|폐렴|결핵|간염|간경화|신부전|항암치료|항암|방사선 치료|투석|수술|
मधुमेह|उच्च रक्तचाप|कैंसर|अवसाद|दमा|तपेदिक|टीबी|हृदय रोग|दिल का दौरा|
"""


def terms(block: str) -> tuple[str, ...]:
    """The entries of one ``|``-separated block, stripped and de-duplicated in order."""
    seen: dict[str, None] = {}
    for entry in block.replace("\n", "").split("|"):
        entry = entry.strip()
        if entry:
            seen.setdefault(entry, None)
    return tuple(seen)


# Clinics and specialties: where someone is seen tells what they are treated for.
SERVICES = """
oncology|oncologist|psychiatry|psychiatrist|psychiatric ward|psychiatric unit|
fertility clinic|ivf clinic|hiv clinic|methadone clinic|sexual health clinic|std clinic|
sti clinic|abortion clinic|mental health clinic|mental health services|dialysis unit|
dialysis center|dialysis centre|chemotherapy unit|chemo unit|cancer center|cancer centre|
rehab clinic|addiction services|addiction clinic|memory clinic|pain clinic|cardiology|
cardiologist|neurology|neurologist|dermatology|dermatologist|gastroenterology|
gastroenterologist|rheumatology|rheumatologist|urology|urologist|gynaecology|gynecology|
gynaecologist|gynecologist|obstetrics|endocrinology|endocrinologist|nephrology|
nephrologist|hematology|haematology|hematologist|haematologist|pulmonology|
antenatal clinic|prenatal clinic|maternity ward|icu|intensive care
"""

# Symptoms, states and drug classes people tell about themselves ("I've had chest pain",
# "I'm on antidepressants"): counted like conditions, with a person near.
SELF_REPORTED = """
chest pain|chest pains|shortness of breath|short of breath|coughing up blood|coughing blood|
blood in my stool|blood in my urine|night sweats|palpitations|heart palpitations|
lump in my breast|lump in her breast|panic attack|panic attacks|psychotic episode|
manic episode|fever|high fever|suicidal thoughts|suicidal ideation|suicide attempt|attempted suicide|
self-harming|self harming|self harm|eating disorder|prediabetic|
antidepressants|antidepressant|antipsychotics|antipsychotic|antiretrovirals|
antiretroviral therapy|blood thinners|blood thinner|statins|beta blockers|beta blocker|
mood stabilizers|mood stabiliser|mood stabilizer|ssri|ssris|birth control pill|
hormone replacement|hrt|gender-affirming hormones|
std|sti|stds|stis|herpes outbreak|hpv positive|
autistic|wheelchair user|hearing aids|hearing aid|paraplegic|quadriplegic|amputee|
legally blind|hard of hearing|
spinal injury|ivf cycle|embryo transfer|trying to conceive|frozen embryos|
"""

# Words that tell health only after their own words ("I'm 8 weeks pregnant", "clean from
# heroin", "I use a wheelchair", "been depressed for months"): see ``health.OWN_CUES``.
OWN_CUE_TERMS = """
depressed|suicidal|kill myself|end my life|alcoholic|sober|relapsed|heroin|cocaine|
crack cocaine|methamphetamine|crystal meth|meth|opioids|painkillers|wheelchair|deaf|blind|
prep|
diabetic|miscarried|infertile|
"""

# Lab tests and vital signs: health when a value follows and someone's they are.
LABS = """
hba1c|a1c|egfr|gfr|ldl|hdl|ldl cholesterol|cholesterol|triglycerides|tsh|psa|inr|
blood sugar|blood glucose|fasting glucose|glucose|sugar levels|blood sugar levels|
blood pressure|bp|heart rate|resting heart rate|pulse|spo2|oxygen saturation|o2 sat|
oxygen level|oxygen levels|creatinine|ferritin|hemoglobin|haemoglobin|hgb|platelets|
platelet count|white count|wbc|cd4|cd4 count|viral load|amh|vitamin d|bmi|alt|ast|
potassium|sodium|troponin|bilirubin|testosterone levels|estrogen levels|hcg|beta hcg|
sperm count|iron levels|b12|
"""

# Other languages: pregnancy, and kin and first-person words are in ``health``.
FOREIGN_STATES = """
enceinte|embarazada|schwanger|zwanger|incinta|grávida|gravida|w ciąży|w ciazy|
"""

ALL = (
    *terms(CONDITIONS),
    *terms(SELF_REPORTED),
    *terms(OWN_CUE_TERMS),
    *terms(LABS),
    *terms(FOREIGN_STATES),
    *terms(PROCEDURES),
    *terms(MEDICATIONS),
    *terms(FOREIGN_TERMS),
    *terms(SERVICES),
)
