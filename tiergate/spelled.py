"""E-mail addresses written with words or spaces for their '@' and dots.

"jane dot doe at example dot com", "jane [at] example [dot] com",
"claire chez orange point fr", "max bei web punkt de", "ana arroba gmail punto
com", "jo @ onet . pl", "li[@]hotmail.com", "kim@yahoo dot com".

Found from the '@' word that the lexicon pass located (``AT_WORDS``), then read
both ways within a bounded reach, so the work stays linear. A plain word for
'@' ("at", "chez", "bei") is prose far more often than an address: it counts
only when a dot is spelled too, or the domain is a mail provider, or the name
before it looks like a mailbox (digits, '.', '_') and is no common word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .lexicon import Span

Hit = tuple[str, str]

# How '@' is written: bracketed, spaced, or as a word in English, French, German,
# Spanish, Portuguese, Italian, Dutch and Polish.
AT_WORDS = (
    " at ",
    "[at]",
    "(at)",
    "{at}",
    "<at>",
    "[ at ]",
    "( at )",
    " @ ",
    "[@]",
    "(@)",
    "{@}",
    " chez ",
    " bei ",
    " arroba ",
    " arobase ",
    " chiocciola ",
    " apenstaartje ",
    " małpa ",
    " malpa ",
    "アットマーク",
    " アット ",
    " 골뱅이 ",
    "@",
)
_BRACKETED = frozenset(w for w in AT_WORDS if w.strip()[:1] in "[({<")
_DOT_WORDS = r"dot|punkt|point|punto|ponto|kropka|punt|ponto"
_DOT = (
    r"(?:\s*[\[({<]\s*(?:" + _DOT_WORDS + r")\s*[\])}>]\s*"
    r"|\s+(?:" + _DOT_WORDS + r")\s+|\s\.\s|\.)"
)
_SPELLED_DOT = re.compile(
    r"(?i)[\[({<]\s*(?:" + _DOT_WORDS + r")|\s(?:" + _DOT_WORDS + r")\s|\s\.\s"
)
_ENGLISH_DOT = re.compile(r"(?i)[\[({<]\s*dot|\sdot\s|\s\.\s")
_DOMAIN = re.compile(r"(?i)\s*((?:[^\W_][\w-]{0,62}" + _DOT + r"){1,4}([^\W\d_]{2,24}))(?![\w-])")
_LOCAL = re.compile(r"(?i)(?<![\w.@])[\w%+'-]{1,64}(?:" + _DOT + r"[\w%+'-]{1,64}){0,4}\s*\Z")
_DOT_SUB = re.compile(r"(?i)" + _DOT)

_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "mil",
        "int",
        "io",
        "co",
        "uk",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "be",
        "ch",
        "at",
        "se",
        "no",
        "dk",
        "fi",
        "pl",
        "pt",
        "br",
        "mx",
        "ar",
        "cl",
        "co",
        "pe",
        "ve",
        "uy",
        "in",
        "jp",
        "cn",
        "kr",
        "tw",
        "hk",
        "sg",
        "my",
        "id",
        "th",
        "vn",
        "ph",
        "au",
        "nz",
        "ca",
        "us",
        "ru",
        "ua",
        "cz",
        "sk",
        "hu",
        "ro",
        "bg",
        "gr",
        "tr",
        "il",
        "ae",
        "sa",
        "za",
        "ng",
        "ke",
        "eg",
        "ma",
        "eu",
        "info",
        "biz",
        "me",
        "dev",
        "app",
        "ai",
        "tv",
        "cc",
        "ie",
        "lu",
        "is",
        "ee",
        "lv",
        "lt",
        "si",
        "hr",
        "rs",
        "online",
        "site",
        "xyz",
        "shop",
        "email",
        "mail",
        "pro",
        "name",
        "club",
        "tech",
    ]
)
# The mailbox providers people give out, by the first label of their domain.
_PROVIDERS = frozenset(
    [
        "gmail",
        "googlemail",
        "yahoo",
        "ymail",
        "hotmail",
        "outlook",
        "live",
        "msn",
        "aol",
        "icloud",
        "me",
        "mac",
        "proton",
        "protonmail",
        "pm",
        "gmx",
        "web",
        "mail",
        "yandex",
        "orange",
        "wanadoo",
        "free",
        "sfr",
        "laposte",
        "neuf",
        "bbox",
        "libero",
        "virgilio",
        "tiscali",
        "alice",
        "tin",
        "fastwebnet",
        "interia",
        "onet",
        "wp",
        "o2",
        "op",
        "poczta",
        "naver",
        "daum",
        "hanmail",
        "nate",
        "kakao",
        "qq",
        "163",
        "126",
        "sina",
        "sohu",
        "yeah",
        "foxmail",
        "rediffmail",
        "rediff",
        "uol",
        "bol",
        "terra",
        "ig",
        "globo",
        "t-online",
        "freenet",
        "arcor",
        "ziggo",
        "kpn",
        "xs4all",
        "hetnet",
        "planet",
        "telenet",
        "skynet",
        "btinternet",
        "sky",
        "virginmedia",
        "talktalk",
        "ntlworld",
        "comcast",
        "verizon",
        "att",
        "sbcglobal",
        "bellsouth",
        "cox",
        "charter",
        "earthlink",
        "juno",
        "zoho",
        "fastmail",
        "tutanota",
        "hey",
        "docomo",
        "ezweb",
        "softbank",
        "nifty",
        "biglobe",
        "ocn",
        "so-net",
    ]
)
# Words that stand before "at" in prose ("look at gmail.com", "arrived at web.de").
_PROSE_WORDS = frozenset(
    [
        "look",
        "looked",
        "looking",
        "looks",
        "arrive",
        "arrived",
        "arriving",
        "available",
        "hosted",
        "host",
        "live",
        "lives",
        "living",
        "stay",
        "stayed",
        "staying",
        "work",
        "works",
        "worked",
        "working",
        "meet",
        "met",
        "meeting",
        "found",
        "find",
        "located",
        "based",
        "published",
        "posted",
        "sign",
        "signed",
        "log",
        "logged",
        "login",
        "it",
        "this",
        "that",
        "them",
        "him",
        "her",
        "us",
        "me",
        "you",
        "here",
        "there",
        "one",
        "site",
        "page",
        "service",
        "services",
        "account",
        "mail",
        "email",
        "e-mail",
        "check",
        "checked",
        "visit",
        "visited",
        "see",
        "seen",
        "download",
        "downloaded",
        "tried",
        "try",
        "available",
        "something",
        "anything",
        "nothing",
        "everything",
        "everyone",
        "someone",
        "go",
        "went",
        "going",
        "get",
        "got",
    ]
)
_REACH = 120
# "email jo at firm.com", "contact: jo at firm.com", "correo: ...": the address is announced.
_MAIL_WORD_BEFORE = re.compile(
    r"(?i)\b(?:e-?mail|mail|contact|write to|reach me|address|correo|courriel|adresse|"
    r"e-mailadres|adres|indirizzo|endereço|endereco)\b\W{0,4}(?:(?:me|at|is|to|:)\W{1,3})?\Z"
)


def scan(text: str, at_words: list[Span]) -> Iterator[Hit]:
    """One spelled address at most; ``at_words`` are the lexicon's hits in the lowered text."""
    for start, end, word in at_words:
        domain = _DOMAIN.match(text, end, end + _REACH)
        if not domain:
            continue
        if word == "@" and not _SPELLED_DOT.search(domain.group(1)):
            continue  # a plain address: the main e-mail pattern judges it
        local = _LOCAL.search(text, max(0, start - _REACH), start)
        if not local:
            continue
        tld = domain.group(2).lower()
        if tld not in _TLDS:
            continue
        found = text[local.start() : domain.end()]
        name = _DOT_SUB.sub(".", local.group().strip())
        host = _DOT_SUB.sub(".", domain.group(1))
        if word in _BRACKETED or word.strip() == "@":
            yield "email", found
            return
        if name.lower() in _PROSE_WORDS or ("." in name and name.split(".")[-1] in _TLDS):
            continue
        # "at any point in time": after the English "at" only "dot" spells a dot.
        spelled = bool((_ENGLISH_DOT if word == " at " else _SPELLED_DOT).search(found))
        provider = host.split(".")[0].lower() in _PROVIDERS
        mailbox = any(c in name for c in "._0123456789")
        said = _MAIL_WORD_BEFORE.search(text, max(0, local.start() - 24), local.start())
        # "jsmith AT contoso.com": a capital AT between lower-case words is a disguised '@'.
        shouted = (
            text[start + 1 : end - 1] == "AT"
            and not local.group().isupper()
            and not domain.group(1).isupper()
        )
        if spelled or provider or mailbox or said or shouted:
            yield "email", found
            return
