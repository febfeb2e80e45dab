"""How people paste personal data into a prompt: one list of templates per kind, some per language.

`$v` is the value, `$label` the word a person would put before it; the other slots are filled
from the locale's Faker (`$name`, `$first`, `$company`, `$city`, `$date`) or at random (`$ticket`,
`$n`). Each template carries only its own kind's value, so a hit is credited to that kind.
"""

# ruff: noqa: RUF001 - Chinese and Japanese text is written with full-width punctuation

from __future__ import annotations

T = tuple[str, str, str]  # (template name, language, text)

EMAIL: list[T] = [
    (
        "support_ticket",
        "en",
        "Ticket #$ticket\nCustomer $name can't log in. Registered address: $v. Please reset MFA.",
    ),
    ("crm_note", "en", "Call with $name ($company): wants the quote resent to $v by Friday."),
    ("chat", "en", "hey can you draft a reply to $v telling them the refund went through"),
    ("log_line", "en", "2024-05-11T09:14:02Z INFO auth: login failed for user=$v ip=- attempts=$n"),
    (
        "code",
        "en",
        'def test_signup():\n    user = create_user(email="$v", plan="pro")\n    assert user.id',
    ),
    ("csv_row", "en", "id,name,email,plan\n$ticket,$name,$v,enterprise"),
    ("json_payload", "en", '{"customer": {"name": "$name", "contact": "$v"}, "items": $n}'),
    ("email_thread", "en", "From: $name <$v>\nSubject: Re: invoice\n\nThanks, paid today."),
    (
        "summarise",
        "en",
        "Summarise this complaint and reply to the sender ($v): the parcel never came.",
    ),
    ("de_chat", "de", "Bitte schreib eine freundliche Absage an $v wegen des Termins am $date."),
    ("fr_ticket", "fr", "Le client $name ne reçoit pas nos e-mails sur $v, merci de vérifier."),
    ("es_crm", "es", "Llamé a $name de $company; quiere la factura en $v."),
    ("pt_chat", "pt", "Manda o contrato para $v ainda hoje, por favor."),
    ("ja_chat", "ja", "$name様のメールアドレスは$vです。返信の下書きをお願いします。"),
    ("ko_chat", "ko", "$name 고객님 이메일은 $v 입니다. 답장 초안을 작성해 주세요."),
    ("zh_chat", "zh", "客户$name的邮箱是$v，请帮我写一封回复。"),
]
PHONE: list[T] = [
    ("support_ticket", "en", "Ticket #$ticket: $name asked for a call back on $v before 5pm."),
    ("crm_note", "en", "$company - spoke to $first, mobile $v, interested in the annual plan."),
    ("chat", "en", "can you text $v that the delivery is delayed"),
    ("bare_chat", "en", "$first's number is $v"),
    ("log_line", "en", "sms.send to=$v template=otp status=queued id=$ticket"),
    ("json_payload", "en", '{"name": "$name", "phone": "$v", "opt_in": true}'),
    ("csv_row", "en", "name;city;phone\n$name;$city;$v"),
    ("signature", "en", "Best regards,\n$name\n$company\n$v"),
    ("de_ticket", "de", "Kunde $name bittet um Rückruf unter $v."),
    ("fr_crm", "fr", "Rappeler $name au $v pour le devis."),
    ("es_chat", "es", "Llámame al $v cuando llegues."),
    ("it_note", "it", "Contattare $name al numero $v per la consegna."),
    ("pt_ticket", "pt", "Cliente $name pediu retorno no telefone $v."),
    ("nl_note", "nl", "Bel $name terug op $v over de offerte."),
    ("pl_note", "pl", "Proszę oddzwonić do $name pod numer $v."),
    ("ja_note", "ja", "$name様（電話: $v）から問い合わせがありました。"),
    ("hi_note", "hi", "$name का फ़ोन नंबर $v है, कृपया कॉल करें।"),
    ("ko_note", "ko", "$name 님 연락처: $v"),
    ("zh_note", "zh", "请给$name回电话，号码是$v。"),
]
NATIONAL_ID: list[T] = [
    ("support_ticket", "en", "Ticket #$ticket: customer $name verified identity with $label $v."),
    ("hr_note", "en", "New hire $name, start $date. $label: $v. Payroll to set up."),
    ("bare_form", "en", "Applicant: $name\n$label $v\nCity: $city"),
    ("no_label", "en", "can you check if $v is the right number for $name? the bank rejected it"),
    ("json_payload", "en", '{"applicant": "$name", "tax_id": "$v"}'),
    ("csv_row", "en", "name,id_number,city\n$name,$v,$city"),
    ("code", "en", 'customer = Customer(name="$name", national_id="$v")'),
    ("de_form", "de", "Mitarbeiter $name, $label: $v, Eintritt $date."),
    ("fr_form", "fr", "Dossier de $name : $label $v."),
    ("es_form", "es", "Cliente $name con $label $v solicita un préstamo."),
    ("it_form", "it", "Il cliente $name, $label $v, chiede il rimborso."),
    ("pt_form", "pt", "Cliente $name, $label $v, solicitou segunda via."),
    ("nl_form", "nl", "Klant $name, $label $v, vraagt om uitstel."),
    ("pl_form", "pl", "Pacjent $name, $label: $v."),
    ("ja_form", "ja", "申請者: $name\n$label: $v"),
    ("hi_form", "hi", "आवेदक $name, $label: $v"),
    ("ko_form", "ko", "신청자: $name, $label: $v"),
    ("zh_form", "zh", "申请人：$name，$label：$v"),
]
PAYMENT_CARD: list[T] = [
    (
        "support_ticket",
        "en",
        "Ticket #$ticket: charge failed on $label $v, exp 0$n/29, customer $name.",
    ),
    ("chat", "en", "my card is $v can you see why it was declined"),
    ("no_label", "en", "Please refund $v for order $ticket."),
    ("log_line", "en", "WARN payment: gateway rejected pan=$v reason=do_not_honor"),
    ("json_payload", "en", '{"card_number": "$v", "holder": "$name"}'),
    ("code", "en", 'charge(amount=4999, card="$v")'),
    ("de_chat", "de", "Meine Kreditkartennummer ist $v, bitte buchen Sie ab."),
    ("fr_chat", "fr", "Voici ma carte : $v"),
    ("es_chat", "es", "Mi tarjeta es $v, cobren la cuota."),
    ("pt_chat", "pt", "O número do cartão é $v."),
]
IBAN: list[T] = [
    ("support_ticket", "en", "Ticket #$ticket: $name wants refunds paid to IBAN $v."),
    ("no_label", "en", "please wire the deposit to $v, ref $ticket"),
    (
        "invoice",
        "en",
        "Invoice $ticket\nPayable to $company\nBank account: $v\nTotal due: 1,240.00 EUR",
    ),
    ("json_payload", "en", '{"payee": "$name", "iban": "$v"}'),
    ("csv_row", "en", "payee;iban;amount\n$name;$v;${n}00.00"),
    ("de_chat", "de", "Bitte überweise die Kaution auf $v (Kontoinhaber $name)."),
    ("fr_chat", "fr", "Mon RIB : $v"),
    ("es_chat", "es", "Mi cuenta es $v, a nombre de $name."),
    ("it_chat", "it", "Il mio IBAN è $v."),
    ("nl_chat", "nl", "Mijn rekeningnummer is $v."),
    ("pl_chat", "pl", "Numer konta: $v"),
]
IP_ADDRESS: list[T] = [
    ("log_line", "en", "$date 10:12:01 sshd[$n]: Failed password for root from $v port 52144 ssh2"),
    ("access_log", "en", '$v - - [11/May/2024:09:14:02 +0000] "GET /account HTTP/1.1" 200 5123'),
    ("support_ticket", "en", "Ticket #$ticket: $name says she is blocked; her home IP is $v."),
    ("config", "en", "allow_from:\n  - $v  # $first's home office"),
    ("chat", "en", "why is $v hammering our login page"),
    ("json_payload", "en", '{"user": "$name", "client_ip": "$v", "event": "login"}'),
]
MAC_ADDRESS: list[T] = [
    ("dhcp_log", "en", "dhcpd: DHCPACK on 10.0.4.17 to $v ($first-laptop) via eth0"),
    ("support_ticket", "en", "Ticket #$ticket: please whitelist $name's laptop, MAC $v."),
    ("config", "en", "host $first-phone {\n  hardware ethernet $v;\n}"),
    ("chat", "en", "which device is $v on the guest wifi?"),
    ("csv_row", "en", "owner,device,mac\n$name,laptop,$v"),
]
DOB: list[T] = [
    ("medical_intake", "en", "Patient: $name\nDOB: $v\nReason for visit: follow-up"),
    ("hr_note", "en", "$name (born $v) joins the Berlin team on Monday."),
    ("no_label", "en", "$name, $v, $city"),
    ("json_payload", "en", '{"name": "$name", "birth_date": "$v"}'),
    ("csv_row", "en", "name,date_of_birth\n$name,$v"),
    ("chat", "en", "write a birthday message for $name, she was born on $v"),
    ("de_form", "de", "$name, geb. $v, wohnhaft in $city"),
    ("fr_form", "fr", "$name, né(e) le $v"),
    ("es_form", "es", "$name, fecha de nacimiento: $v"),
    ("it_form", "it", "$name, nato/a il $v"),
    ("pt_form", "pt", "$name, data de nascimento $v"),
    ("nl_form", "nl", "$name, geboren op $v"),
    ("pl_form", "pl", "$name, data urodzenia: $v"),
    ("ja_form", "ja", "氏名: $name\n生年月日: $v"),
    ("ko_form", "ko", "성명: $name, 생년월일: $v"),
    ("zh_form", "zh", "姓名：$name，出生日期：$v"),
    ("hi_form", "hi", "नाम: $name, जन्म तिथि: $v"),
]
ADDRESS: list[T] = [
    ("shipping", "en", "Ship to:\n$name\n$v"),
    ("support_ticket", "en", "Ticket #$ticket: $name moved; new address is $v. Update billing."),
    ("crm_note", "en", "$name lives at $v and prefers visits after 6pm."),
    ("json_payload", "en", '{"recipient": "$name", "address": "$v"}'),
    ("chat", "en", "draft a letter to $name at $v about the overdue rent"),
    ("de_letter", "de", "Herrn/Frau $name\n$v"),
    ("fr_letter", "fr", "À l'attention de $name, $v"),
    ("es_letter", "es", "Destinatario: $name, $v"),
    ("ja_letter", "ja", "$v\n$name 様"),
    ("zh_letter", "zh", "收件人：$name\n地址：$v"),
    ("ko_letter", "ko", "받는 사람: $name\n주소: $v"),
]
HEALTH: list[T] = [
    ("medical_note", "en", "Pt $name seen today. Assessment: $v. Follow up in 4 weeks."),
    ("referral", "en", "Dear colleague, I am referring $name ($label: $v) for further management."),
    (
        "discharge",
        "en",
        "Discharge summary - $name\nDiagnosis/treatment: $v\nDischarged home in stable condition.",
    ),
    ("chat", "en", "$first's chart says $v - what should we watch for at home?"),
    ("hr_note", "en", "$name will be off work; her doctor's note mentions $v."),
    ("claim", "en", "Claim $ticket for member $name: $v"),
    ("de_note", "de", "Patient $name, Befund: $v. Kontrolle in 3 Monaten."),
    ("fr_note", "fr", "Patient(e) $name - diagnostic : $v."),
    ("es_note", "es", "Paciente $name, diagnóstico: $v."),
    ("ja_note", "ja", "患者: $name\n所見: $v"),
]
LEGAL: list[T] = [
    (
        "memo_header",
        "en",
        "$v\n\nTo: General Counsel\nRe: $company - exposure under the supply agreement\n\nSummary of our position...",
    ),
    ("email_footer", "en", "Please see my comments on the draft settlement.\n\n--\n$v"),
    (
        "chat",
        "en",
        "summarise this for me, it's marked '$v': the merger terms with $company are...",
    ),
    ("doc_banner", "en", "[$v]\nDraft response to the regulator's inquiry, v3."),
]
CONFIDENTIAL: list[T] = [
    ("doc_banner", "en", "$v\nQ3 pricing strategy for $company - draft 2"),
    ("email_footer", "en", "Numbers for next week's board meeting attached.\n\n$v"),
    ("slide", "en", "Slide 4 - Roadmap 2025 ($v)"),
    ("chat", "en", "rewrite this paragraph, it's $v: we plan to sunset the legacy plan in March"),
]
CREDENTIAL: list[T] = [
    ("config_file", "en", "# deploy settings\nregion: eu-west-1\n$v\nretries: 3"),
    ("env_file", "en", "NODE_ENV=production\nPORT=8080\n$v\n"),
    ("chat", "en", "why does this fail? I'm using $v"),
    (
        "code",
        "en",
        'client = Client(\n    base_url="https://api.example.org",\n    key="""$v""",\n)',
    ),
    ("log_line", "en", "DEBUG http: request headers={'X-Request': '$ticket'} creds=$v"),
    ("support_ticket", "en", "Ticket #$ticket: integration broken since yesterday. Our key: $v"),
]

TEMPLATES: dict[str, list[T]] = {
    "email": EMAIL,
    "phone": PHONE,
    "national_id": NATIONAL_ID,
    "payment_card": PAYMENT_CARD,
    "iban": IBAN,
    "ip_address": IP_ADDRESS,
    "mac_address": MAC_ADDRESS,
    "date_of_birth_with_name": DOB,
    "street_address_with_name": ADDRESS,
    "health": HEALTH,
    "legal_privilege": LEGAL,
    "confidential_marker": CONFIDENTIAL,
    "credential": CREDENTIAL,
}
