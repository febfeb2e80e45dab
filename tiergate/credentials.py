"""Secrets in text: vendor key formats, private keys, connection strings, assignments, passwords in prose.

Every hit here is kind ``credential``. Vendor formats are matched on tokens the
detector's digit pass has already cut out (a generated key always holds a digit),
so clean prose pays nothing for the length of this list. Values that read as
placeholders (``***``, ``<password>``, ``${DB_PASS}``, ``changeme``) are not secrets.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

Hit = tuple[str, str]

# Prefixes no word or identifier starts with: the key counts even if its random part
# happens to hold no digit (27 URL-safe characters often do not).
_DISTINCT = (
    r"|(?<![A-Za-z0-9])r8_[A-Za-z0-9]{37}(?![A-Za-z0-9])"  # Replicate
    r"|gsk_[A-Za-z0-9]{52}"  # Groq
    r"|lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"  # LangSmith personal / service key
    r"|dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,}"  # Docker Hub personal / organisation token
    r"|rubygems_[a-f0-9]{48}"  # RubyGems
    r"|(?<![A-Za-z0-9])oy2[a-z0-9]{43}(?![A-Za-z0-9])"  # NuGet
    r"|nvapi-[A-Za-z0-9_\-]{64}"  # NVIDIA
    r"|tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}"  # Tavily
)
_DISTINCT_PREFIX = ("gsk_", "lsv2_", "dckr_", "rubygems_", "nvapi-", "tvly-")

# Vendor key formats, matched inside a token. Prefixes are documented by each vendor.
VENDOR_KEY = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key
    r"|ya29\.[0-9A-Za-z_\-]{20,}"  # Google OAuth access token
    r"|GOCSPX-[0-9A-Za-z_\-]{20,}"  # Google OAuth client secret
    r"|sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}"  # Stripe
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,}"  # GitHub
    r"|gl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,}"  # Slack
    r"|hooks\.slack\.com/services/T[A-Za-z0-9_/]{20,}"  # Slack webhook
    r"|(?:AC|SK)[0-9a-f]{32}"  # Twilio account SID / API key
    r"|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"  # SendGrid
    r"|hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|npm_[A-Za-z0-9]{36}"  # npm
    r"|pypi-AgE[A-Za-z0-9_\-]{50,}"  # PyPI
    r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"  # Shopify
    r"|sq0(?:atp|csp|idp)-[A-Za-z0-9_\-]{22,}|EAAA[A-Za-z0-9_\-]{60}"  # Square
    r"|key-[0-9a-f]{32}"  # Mailgun
    r"|do[opr]_v1_[a-f0-9]{64}"  # DigitalOcean
    r"|HRKU-[A-Za-z0-9_\-]{30,}"  # Heroku
    r"|[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}"  # Discord bot token
    r"|\d{8,10}:AA[A-Za-z0-9_\-]{33}"  # Telegram bot token
    r"|ATATT3[A-Za-z0-9_\-=]{50,}|ATCTT3[A-Za-z0-9_\-=]{50,}"  # Atlassian
    r"|hv[sbr]\.[A-Za-z0-9_\-]{24,}"  # HashiCorp Vault
    r"|dapi[a-f0-9]{32}"  # Databricks
    r"|glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"  # Grafana
    r"|NRAK-[A-Z0-9]{27}"  # New Relic
    r"|sntry[su]_[A-Za-z0-9+/=_\-]{40,}"  # Sentry
    r"|PMAK-[a-f0-9]{24}-[a-f0-9]{34}"  # Postman
    r"|dp\.(?:st|ct|sa|scim|pt|audit)\.[A-Za-z0-9_\-]{40,}"  # Doppler
    r"|lin_(?:api|oauth)_[A-Za-z0-9]{40}"  # Linear
    r"|(?:secret|ntn)_[A-Za-z0-9]{43,46}"  # Notion
    r"|sbp_[a-f0-9]{40}"  # Supabase
    r"|figd_[A-Za-z0-9_\-]{40,}"  # Figma
    r"|LTAI[A-Za-z0-9]{12,20}"  # Alibaba Cloud
    r"|AKID[A-Za-z0-9]{32}"  # Tencent Cloud
    r"|AGE-SECRET-KEY-1[0-9A-Z]{58}"  # age
    r"|pul-[a-f0-9]{40}"  # Pulumi
    r"|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,}"  # Terraform Cloud
    r"|sl\.[A-Za-z0-9_\-]{100,}"  # Dropbox short-lived access token
    r"|v1\.0-[a-f0-9]{24}-[a-f0-9]{140,}"  # Cloudflare Origin CA key
    r"|sk\.eyJ[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{16,}"  # Mapbox secret token
    r"|[a-zA-Z0-9_~.\-]{3}\dQ~[a-zA-Z0-9_~.\-]{31,34}"  # Azure AD client secret
    r"|00[A-Za-z0-9_\-]{40}(?=\b)" + _DISTINCT  # Okta API token (checked for context below)
)
_OKTA = re.compile(r"(?i)okta|ssws")

_JWT = re.compile(r"(eyJ[A-Za-z0-9_-]{8,})\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr])+"
    r"(?:[A-Za-z-]{1,40}:[^\n\\]{0,200}(?:\n|\\n)(?:\s|\\[nr])*){0,8}[A-Za-z0-9+/=]{32,}"
)
_AUTH_SCHEME = re.compile(r"\b(?:[Bb]earer|[Tt]oken|SSWS)\s+([A-Za-z0-9\-._~+/]{16,}=*)")
_BASIC = re.compile(r"\b[Bb]asic\s+([A-Za-z0-9+/]{8,}={0,2})")
_CONN = re.compile(
    r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://([^\s:/@]{0,64}):([^\s@/]{1,128})@[A-Za-z0-9.\-\[\]]{2,}"
)
_AZURE_SAS = re.compile(r"[?&]sig=([A-Za-z0-9%+/=]{30,})")

# Assignments: a secret-sounding name (the end of DB_PASSWORD, aws.secret_access_key,
# PGPASSWORD, "api-key") right before ':' or '=' and a value. Found from the operator
# (a two-character class sre skips to) and read backwards in the lowered text, where
# every alternative starts with a literal.
_ASSIGN_OP = re.compile(r"[:=]")
_NAME_TAIL = re.compile(
    r"(?:pass(?:word|wd|wort|phrase|code)?s?(?![a-z])|pwd?|secret|token|key|auth(?!or)|credentials?|dsn|"
    r"kennwort|senha|contraseña|contrasena|пароль|hasło|haslo|密码|パスワード|비밀번호|"
    r"conn(?:ection)?[_-]?str(?:ing)?)[a-z0-9_.\-]{0,30}[\"']?\s{0,3}\Z"
)
_ASSIGN_STEMS = ("pass", "pw", "secret", "token", "key", "auth", "cred", "dsn", "conn")
_PUBLIC_NAME = re.compile(r"public[\w.\-]{0,30}[\"']?\s{0,3}[:=]?\s{0,3}\Z")
_ASSIGN_VALUE = re.compile(r"""\s{0,8}(["']?)([^\s"',;]{6,256})\1""")
_CODE = re.compile(r"[A-Za-z_][\w.]*[(\[].*|[(\[{].*|[A-Za-z_]+(?:\.[A-Za-z_]\w*)*[):\]]*")
_PLACEHOLDER = re.compile(
    r"(?i)\*+|x{3,}|\.{3}|<[^>]*>|\$\{?\w+\}?|\{\{?[^}]*\}\}?|%s|%\(\w+\)s|\[[^\]]*\]|"
    r"password|passwd|pass|secret|your[\w-]*|changeme|redacted|none|null|true|false|"
    r"example\w*|placeholder|dummy|test|string|required|optional|env|os\.environ.*|"
    r"value\d*|val\d*|foo\w*|bar\w*|baz\w*|hello\w*|abc\d*|123\d*"
)

_PROSE_PASSWORD = re.compile(  # matched in the lowered text; the value is cut from the original
    r"\b(?:password|passwd|passphrase|passcode|pwd|pw|passwort|kennwort|mot de passe|"
    r"contraseña|contrasena|senha|parola d'ordine|wachtwoord|hasło|haslo)\b"
    r"(?:\s+(?:for|to|of|on|do|da|dos|das|de|del|della|dello|dell'|di|du|des|der|für|"
    r"vom|zum|zur|para|per|pour|van|voor)(?:\s*[\w.@\-]{1,40}){1,3}?)?"
    r"(?:\s+(?:is|was|will be|lautet|ist|est|es|é|e|è|era|foi|is now|is set to|set to)|'s|"
    r"\u2019s)\s+"
    r"[\"'\u201c\u2018\u00ab]?([^\s\"'\u201d\u2019\u00bb]{3,64})"
)
# "use the creds admin:Winter2025!Fjord": a user and a password joined by ':' after a login word.
_CREDS_COLON = re.compile(
    r"\b(?:creds|credentials|login|logins)\s+(?:(?:are|is|were|was)\s+)?[\w.@\-]{1,64}:"
    r"([^\s/:][^\s]{3,127})"
)
# ".netrc": "machine host login user password value".
_NETRC = re.compile(r"\blogin\s+\S{1,128}\s+password\s+(\S{3,128})")
# "login: admin / Adm1n!": a user and a password written as a pair.
_LOGIN_PAIR = re.compile(
    r"\b(?:login|user(?:name)?|credentials?|creds)\s{0,3}[:=]\s{0,3}[^\s/]{1,64}\s{0,3}/\s{0,3}(\S{4,128})"
)
# Command lines: "curl -u user:pw", "docker login -u ci -p pw", "mysql -uroot -ppw".
_CLI_USER_PASS = re.compile(r"(?<!\S)(?:-u|--user)[ =]?['\"]?[^\s:'\"]{1,64}:([^\s'\"]{4,128})")
_CLI_PASSWORD = re.compile(r"(?<!\S)(?:-p|--password)(?:[ =]|(?=[^\s-]))['\"]?([^\s'\"]{6,128})")
_CLI_USER_FLAG = re.compile(r"(?<!\S)(?:-u|--user)")
_URL_TOKEN = re.compile(r"://([A-Za-z0-9_\-]{20,128})@[A-Za-z0-9.\-]{2,}")
_WORDISH = re.compile(r"[a-z]+|[A-Z][a-z]+|[A-Z]+")
_TRAILING = ".,;:)]}"
_OPENING_QUOTES = "\"'\u201c\u2018\u00ab"

# Words just before a random token that make it a key.
_KEY_WORDS = re.compile(
    r"(?i)(?:key|token|secret|passw\w*|pwd|credential|auth\w*|bearer|signature|"
    r"access|session|cookie|api)\b\W{0,4}(?:\w+\W{1,3}){0,2}\Z"
)


def vendor_keys(token: str, before: str) -> Iterator[str]:
    """Vendor-format keys inside a token; ``before`` is the text just ahead of it (for Okta)."""
    for m in VENDOR_KEY.finditer(token):
        key = m.group()
        if key.startswith("00") and not _OKTA.search(before):
            continue
        if key.startswith("oy2") and not any(c.isdigit() for c in key[3:]):
            continue  # a NuGet key's 43 random characters hold digits; a word does not
        if _random(key) or (key.startswith(_DISTINCT_PREFIX) and _mixed(key)):
            yield key


def random_token_near_key_word(token: str, before: str) -> bool:
    """A high-entropy token right after a word like "key" or "token"."""
    if len(token) < 16 or not _random(token) or not _KEY_WORDS.search(before):
        return False
    if _PUBLIC_NAME.search(before.lower()):
        return False
    return _entropy(token) >= 3.0


def jwt(token: str) -> bool:
    m = _JWT.match(token)
    return m is not None and _jwt_header(m.group(1))


def scan(
    text: str, lowered: str, words: Mapping[str, Sequence[object]] | None = None
) -> Iterator[Hit]:
    """Secrets that need no digit-pass token: PEM blocks, auth headers, URLs, assignments, prose.

    ``words``: the lexicon's hits in ``lowered`` (``PASSWORD_WORDS``, ``LOGIN_WORDS`` families),
    if already known; else they are looked for here.
    """
    if "PRIVATE KEY" in text:
        for m in _PEM.finditer(text):
            yield "credential", m.group()
    if ":" in text:
        # Headers and URLs: "Authorization: Bearer …", "Basic …", "scheme://user:pw@host".
        if "earer" in text or "oken" in text or "SSWS" in text:
            for m in _AUTH_SCHEME.finditer(text):
                if _random(m.group(1)):
                    yield "credential", m.group(1)
        if "asic" in text:
            for m in _BASIC.finditer(text):
                if _basic_pair(m.group(1)):
                    yield "credential", m.group(1)
        if "://" in text:
            for m in _CONN.finditer(text):
                if not _PLACEHOLDER.fullmatch(m.group(2)):
                    yield "credential", m.group()
            for m in _URL_TOKEN.finditer(text):  # a Sentry DSN, "https://<token>@github.com"
                if _random(m.group(1)):
                    yield "credential", m.group(1)
    if "=" in text and "sig=" in text:
        for m in _AZURE_SAS.finditer(text):
            yield "credential", m.group(1)
    if words is None:
        foreign_word = any(word in lowered for word in PASSWORD_WORDS)
        login_word = any(word in lowered for word in LOGIN_WORDS)
    else:
        foreign_word = "password_word" in words
        login_word = "login_word" in words
    if ("=" in text or ":" in text) and (
        foreign_word or any(stem in lowered for stem in _ASSIGN_STEMS)
    ):
        yield from _assignments(text, lowered)
    if foreign_word or "pass" in lowered or "pw" in lowered:
        yield from _prose_passwords(text, lowered)
    if "-" in text and "-u" in text:
        yield from _command_lines(text)
    if "/" in text:
        yield from _login_pairs(text, lowered)
    if login_word and ":" in text:
        for m in _CREDS_COLON.finditer(lowered):
            value = text[m.start(1) : m.end(1)].rstrip(_TRAILING)
            if _secret_looking(value):
                yield "credential", value


# Words for "password" that hold no "pass"/"pw" (those are looked for as they are), and the
# words before a "user:password" pair.
PASSWORD_WORDS = (
    "kennwort",
    "senha",
    "contraseña",
    "contrasena",
    "parola d'ordine",
    "mot de passe",
    "пароль",
    "hasło",
    "haslo",
    "密码",
    "パスワード",
    "비밀번호",
)
LOGIN_WORDS = ("creds", "credential", "login")


def _assignments(text: str, lowered: str) -> Iterator[Hit]:
    for op in _ASSIGN_OP.finditer(text):
        at = op.start()
        if not _NAME_TAIL.search(lowered, max(0, at - 48), at):
            continue
        if _PUBLIC_NAME.search(lowered, max(0, at - 48), at):
            continue  # "PublicKeyToken=", "public_key:": published on purpose
        value_match = _ASSIGN_VALUE.match(text, at + 1)
        if not value_match:
            continue
        quoted, value = value_match.group(1), value_match.group(2)
        # Prose says "password: required" and code "passwd = getpass(prompt)": an
        # unquoted value that reads as a word, a dotted name or a call is no secret.
        if _PLACEHOLDER.fullmatch(value) or (not quoted and _CODE.fullmatch(value)):
            continue
        yield "credential", value


def _prose_passwords(text: str, lowered: str) -> Iterator[Hit]:
    for m in _PROSE_PASSWORD.finditer(lowered):
        value = text[m.start(1) : m.end(1)]
        quoted = text[m.start(1) - 1 : m.start(1)] in tuple(_OPENING_QUOTES)
        if not quoted:
            value = value.rstrip(_TRAILING)
        if len(value) < 4 or _PLACEHOLDER.fullmatch(value):
            continue
        # "the password is required": an unquoted plain word is prose, not a password.
        if not quoted and _WORDISH.fullmatch(value):
            continue
        yield "credential", value
    for m in _NETRC.finditer(lowered):
        value = text[m.start(1) : m.end(1)]
        if not _PLACEHOLDER.fullmatch(value):
            yield "credential", value


def _login_pairs(text: str, lowered: str) -> Iterator[Hit]:
    for stem in ("login", "user", "cred"):
        i = lowered.find(stem)
        while i >= 0:  # a find loop: the pair pattern is tried only where a stem starts
            m = _LOGIN_PAIR.match(lowered, i)
            if m and (not i or not lowered[i - 1].isalnum()):
                value = text[m.start(1) : m.end(1)].rstrip(_TRAILING)
                if _secret_looking(value):
                    yield "credential", value
            i = lowered.find(stem, i + len(stem))


def _command_lines(text: str) -> Iterator[Hit]:
    for m in _CLI_USER_PASS.finditer(text):
        if _secret_looking(m.group(1)):
            yield "credential", m.group(1)
    if "-p" not in text:
        return
    for m in _CLI_PASSWORD.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        # "-p" is a port or "make parents" as often: only one in a command that names a user.
        named = _CLI_USER_FLAG.search(text, max(line_start, m.start() - 200), m.start())
        if named and _secret_looking(m.group(1)):
            yield "credential", m.group(1)


def _secret_looking(value: str) -> bool:
    """A value with letters and digits that is not a placeholder ("$PASS", "<password>")."""
    return _random(value) and not _PLACEHOLDER.fullmatch(value) and not value.startswith("$")


def _basic_pair(encoded: str) -> bool:
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    _user, colon, password = decoded.partition(":")
    return bool(colon and password) and decoded.isprintable()


def _random(token: str) -> bool:
    """Keys mix digits and letters; kebab-case words and repeated characters do not."""
    return any(c.isdigit() for c in token) and any(c.isalpha() for c in token) and "--" not in token


def _mixed(token: str) -> bool:
    return any(c.isupper() for c in token) and any(c.islower() for c in token)


def _entropy(token: str) -> float:
    counts = Counter(token)
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _jwt_header(segment: str) -> bool:
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header
