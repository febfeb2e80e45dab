"""Street addresses, judged from the house number (or ZIP code) the digit pass stopped at.

Shapes, not place names: a number then capitalised words and a street suffix
("742 Evergreen Terrace", plural "Drives" too), a number after a Germanic street
word ("Hauptstraße 5"), a number before a Romance one ("12 rue de Rivoli"), a
house number then a postcode and town ("Calle Mayor 10, 28013 Madrid"), or a
US "City, ST 12345" line. A business's address (after "Inc.", "GmbH",
"Foundation", ...) is not personal data and is not reported.
"""

from __future__ import annotations

import itertools
import re

_STREET_SUFFIXES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|"
    "Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Close|"
    "Grove|Gardens|Row|Mews|Walk|Heights|Ridge|Pike|Loop|Alley|Plaza|Crossing|Hollow|"
    "Harbor|Harbour|Haven|Manor|Meadows?|Creek|Falls|Ferry|Glen|Junction|Landing|Shores?|"
    "Springs?|Summit|Turnpike|Valley|Vista|Expressway|Freeway|Estates?|Ranch|Lakes?|Lodge|"
    "Mills?|Orchard|Oval|Prairie|Rapids|Spur|Stream|Trace|Tunnel|Village|Ville|Wells?|"
    "Canyon|Causeway|Cove|Crest|Curve|Dale|Divide|Extension|Forge|Fort|Gateway|Inlet|Isle|"
    "Knolls?|Overpass|Passage|Pines?|Plains?|Skyway|Stravenue|Throughway|Trafficway|"
    "Underpass|Bypass|Branch|Bridge|Brooks?|Burgs?|Bluffs?|Bend|Wynd|Broadway|Hill|View|Park|"
    "Pathway|Strand|Copse|Gully|Mountain|Rise|Parade|Promenade|Esplanade|Quay|Wharf|Run|"
    "Green|Fork|Port|Point|Light|Mission|Key|Lock|Mall|Ford|Field|Flat|Garden|Common|Corner|"
    "Course|Club|Center|Centre|Cliff|Cape|Camp|Burg|Bottom|Beach|Bayou|Arcade|Annex|Neck|"
    "Radial|Ramp|Rest|Route|Shoal|Station|Track|Union|Walk|Wall|Island|Junction|Land|Loaf|"
    "Manor|Mount|Passage|Path|Pine|Plain|Ridge|River|Shore|Spring|View|Vista|Way|Well"
)
_STREET_WORDS = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|straat|laan|gracht|plein|"
    r"calle|avenida|av\.|paseo|plaza|camino|carrer|via|viale|piazza|corso|largo|rua|travessa|"
    r"praça|ulica|ul\.|aleja|utca|vej|gade|gatan|gata|veien|vegen|rue|avenue|boulevard|"
    r"street|road|lane"
)
GERMANIC_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "gasse",
    "platz",
    "allee",
    "damm",
    "ufer",
    "straat",
    "laan",
    "gracht",
    "vej",
    "gatan",
    "veien",
    "vegen",
    "д.",
)

# What follows a house number: "221B Baker Street", "12 rue de Rivoli", "5, 10115 Berlin".
_STREET_AFTER = re.compile(
    r"\d{1,5}[A-Za-z]?,? (?:(?:[A-Z][a-z]+\.? ){1,3}(?:" + _STREET_SUFFIXES + r")s?\b\.?"
    r"|(?:bis |ter )?(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|calle|avenida|"
    r"via|viale|piazza|corso|vicolo|rua|travessa|ulica|ul\.|plac) \w)"
)
# House number, then on the same line or the next a postcode and a town ("5, 10115
# Berlin", "59\n30010, Campagna", "28\n1012 TX"), or a province and a postcode
# ("507\nCantabria, 47999").
_POSTCODE_AFTER = re.compile(
    r"\d{1,4}(?:[/-]\d{1,4})?[a-zA-Z]?,?[ \n](?:(?:\d{4,5}|\d{2}-\d{3}),? [^\W\d_]{2,}"
    r"|[^\W\d_][^\n,\d]{1,40}, \d{5}\b)"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
# Streets whose kind ends the name, just before the house number: "Hauptstraße 5" (any case),
# and Dutch ones glued to a capitalised name ("Fleurdreef 60", "Noëllepad 0, 7734 XO").
# Read with endswith on the last word: an alternation searched before every number cost more
# than the rest of the digit pass.
_GERMANIC_ENDINGS = tuple(GERMANIC_SUFFIXES)
_DUTCH_ENDINGS = (
    "dreef",
    "pad",
    "kade",
    "singel",
    "steeg",
    "dijk",
    "markt",
    "baan",
    "plein",
    "hof",
    "erf",
    "wal",
    "plantsoen",
    "ring",
    "straat",
    "laan",
    "gracht",
    "weg",
    "park",
    "boulevard",
    "hoven",
    "veld",
    "berg",
    "burg",
    "dam",
    "haven",
    "oord",
    "polder",
    "wijk",
    "zijde",
    "hout",
    "bos",
)


def _germanic_before(before: str) -> bool:
    return before.endswith(" ") and before[:-1].lower().endswith(_GERMANIC_ENDINGS)


def _dutch_before(before: str) -> bool:
    if not before.endswith(" "):
        return False
    word = before[:-1].rpartition(" ")[2].rpartition("\n")[2].lstrip("\"'(")
    return word[:1].isupper() and word.replace("-", "").isalpha() and word.endswith(_DUTCH_ENDINGS)


_DUTCH_POSTCODE_AFTER = re.compile(r"\d{0,4}[a-zA-Z]?,?[ \n]\d{4} ?[A-Z]{2}\b")
# "Springfield, IL 62704", "Perth, WA, 6000", "Nueva Haití, TAMPS 10990", "APO AE 09012".
# Longer than three letters only Mexico's state abbreviations: ", NULL, 0" is C.
_LONG_STATES = r"(?:CAMP|CHIS|CHIH|COAH|CDMX|MICH|QROO|TAMPS|TLAX)"
_STATE_ZIP_BEFORE = re.compile(r", (?:[A-Z]{2,3}|" + _LONG_STATES + r"),? \Z|\b[ADF]PO A[AEP] \Z")
POSTAL_STREET = re.compile(r"(?i)(?:" + _STREET_WORDS + r")")
_YEARISH = re.compile(r"(?:in|since|by|of|from|until|to|year|circa|c\.|\(c\)|©|copyright)\W*\Z")

# A business's address is not personal data: "Free Software Foundation, Inc., 51 Franklin St".
_ORGANISATION_BEFORE = re.compile(
    r"\b(?:Inc|LLC|Ltd|GmbH|Foundation|Corporation|Corp|plc|AG|S\.A|B\.V|University|"
    r"Institute|Company|Co)\b\.?,?\s[^\n]{0,60}\Z"
)


# A number after a Romance or Slavic street name: "Piazza Ennio, 157", "ul. Długa 5".
_STREET_NAMES = frozenset(
    [
        "via",
        "viale",
        "vicolo",
        "piazza",
        "piazzale",
        "corso",
        "largo",
        "calle",
        "carrer",
        "plaza",
        "paseo",
        "avenida",
        "rua",
        "travessa",
        "praça",
        "rue",
        "ulica",
        "ul.",
        "plac",
        "aleja",
        "al.",
        "camino",
        "vial",
        "canale",
        "pasadizo",
        "ampliación",
        "ampliacion",
        "continuación",
        "continuacion",
        "strada",
        "stretto",
        "incrocio",
        "vico",
        "piazzetta",
        "borgo",
        "contrada",
        "località",
        "frazione",
        "salita",
        "lungomare",
        "traversa",
        "rotonda",
        "acceso",
        "callejón",
        "callejon",
        "cañada",
        "carretera",
        "ronda",
        "rambla",
        "travesía",
        "travesia",
        "glorieta",
        "pasaje",
        "alameda",
        "urbanización",
        "urbanizacion",
        "cuesta",
        "senda",
        "c/",
        "circunvalación",
        "circunvalacion",
        "retorno",
        "privada",
        "cerrada",
        "andador",
        "prolongación",
        "prolongacion",
        "calzada",
        "periférico",
        "periferico",
        "bulevar",
        "rodovia",
        "estrada",
        "ladeira",
        "viela",
        "osiedle",
        "os.",
        "aleje",
        "chemin",
        "allée",
        "allee",
        "impasse",
        "quai",
    ]
)
_DIGITS = "0123456789"


# Before a postcode and a town, a street word may be one English uses too.
_POSTCODE_LINE_STREETS = _STREET_NAMES | {"avenue", "boulevard", "route", "allée", "place", "cours"}


def street_before(text: str, start: int) -> bool:
    """True if a street's name stands just before a house number ("Seifertstr. 0",
    "plac Norwida 14", "Lottehof 62", "boulevard Pascal")."""
    before = text[max(0, start - 40) : start]
    return (
        _germanic_before(before)
        or _dutch_before(before)
        or _street_name_before(before)
        or _street_word_on_line(text, start)
        or POSTAL_STREET.search(before) is not None
    )


def _street_word_on_line(text: str, start: int) -> bool:
    """A Romance or Slavic street word earlier on a postcode's line ("Calle de Alcalá 45, 3º B,
    28014 Madrid"), where floor and door numbers stand between the street and the postcode."""
    line = text[max(0, start - 60) : start].rpartition("\n")[2]
    return any(w.strip("\"'(),:") in _POSTCODE_LINE_STREETS for w in line.lower().split())


def _street_name_before(before: str) -> bool:
    """True if a Romance or Slavic street word stands, with more words after it, in the 40
    characters before a house number on its line ("Piazza Ennio, 157", "ul. Długa 5").

    Read as words and looked up in a set: a 60-word alternation searched before every
    number cost more than the rest of the digit pass."""
    segment = before[-41:]
    cut = max(segment.rfind("\n"), *(segment.rfind(d) for d in _DIGITS))
    words = [w.strip("\"'(),:") for w in segment[cut + 1 :].lower().split()]
    if any(word in _STREET_NAMES for word in words[:-1]):
        return True
    # "C. de Julie Valera 3": the abbreviation only before "de"; "Roberto C. Sanchez" is a name.
    return any(a == "c." and b in ("de", "del") for a, b in itertools.pairwise(words))


# A street line without a house number, then a postcode and a town on the next line or
# after a comma: "avenue Emmanuel Barre\n09520 Lefebvre".
_STREET_LINE_BEFORE = re.compile(
    r"(?i)(?:^|\n|, |\bat |\bis |: |\")(?:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|impasse|place|quai|"
    r"route|cours|square|calle|avenida|via|viale|piazza|rua|ulica|ul\.)\s[^\n\d]{1,50}"
    r"(?:\n|, )\Z"
)
_TOWN_AFTER = re.compile(r" [^\W\d_]")
# An Indian address before a 6-digit PIN: a house number at a line's start or after "H.No.",
# "Flat", "at", or the street words of Indian addresses.
_INDIA_BEFORE = re.compile(
    r"(?i)(?:\bh\.? ?no\.?|\bflat\b|\bhouse\b|\bplot\b|\bdoor\b|\bnagar\b|\bmarg\b|\broad\b|"
    r"\bcolony\b|\bchowk\b|\bgali\b|\bsector\b|\blayout\b|\bstreet\b|\blane\b|\bvihar\b|"
    r"\benclave\b|\bpuram\b|\bbazar\b|\bganj\b|\bpin(?: ?code)?\b|पिन|मार्ग|नगर|"
    r"(?<![\w/.-])\d{1,4}(?:/\d{1,5}[a-z]?,?|[a-z]?,)\s+[^\W\d_]"
    r"|(?<![\w/.-])\d{1,4}[a-z]?\s+[^\x00-\x7f]|(?:^|\n)\d{1,4}[a-z]?[ \t]*\n|\baddress\b|पता)"
)
_INDIA_PIN_TAIL = re.compile(
    r"(?:[.,;)\"'](?!\w)|[ \t]*\n|[ \t]*\Z|[ ,]+(?:india\b|भारत)|[ \t]+[a-z])",
    re.IGNORECASE,
)


# Postcodes the digit pass sees as plain numbers: after ", ST" (US, MX, AU states), a
# Brazilian CEP before "Town / UF", a 6-digit code after a Chinese or Indian address line.
_STATE_BEFORE = re.compile(r", (?:[A-Z]{2,3}|" + _LONG_STATES + r"),? \Z")
_CEP = re.compile(r"\d{5}-?\d{3}")
_CEP_TOWN_AFTER = re.compile(r" [^\n/]{1,40} / [A-Z]{2}\b")
# ... or after its state: "São Paulo - SP, 01304-001", "CEP 01304-001".
_CEP_AFTER_STATE = re.compile(
    r"(?:[-,] (?:AC|AL|AP|AM|BA|CE|DF|ES|GO|MA|MT|MS|MG|PA|PB|PR|PE|PI|RJ|RN|RS|RO|RR|SC|SP|SE|"
    r"TO),? (?:CEP:? )?|\bCEP:? )\Z"
)
# Japanese block addresses written with dashes: "東京都世田谷区北沢2-14-7".
_JP_BLOCK_ADDRESS = re.compile(
    r"(?:都|道|府|県)[^\s\d]{1,12}?(?:区|市|町|村|郡)[^\s\d]{0,12}\d{1,4}(?:[-\u30fc]\d{1,4}){1,2}"
)


def japanese_block_address(text: str) -> str | None:
    m = _JP_BLOCK_ADDRESS.search(text)
    return m.group() if m else None


_CJK_ADDRESS_BEFORE = re.compile(
    r"[省市区县路街道号座]\s?\Z|[省市][^\n]{0,30}[路街道号座][^\n]{0,6}\Z"
)
# East Asian addresses end in block and house numbers: 24丁目20番16号, 백제고분91로 565-30.
_EAST_ASIAN_NUMBER = re.compile(r"\d{1,4}(?:丁目|番地|番|号)")
_EAST_ASIAN_BEFORE = re.compile(
    r"[都道府県][^\n]{0,20}[市区町村]|[시군구][^\n]{0,20}[로길가]\s?\Z"
    r"|[省市区县][^\n]{0,20}[路街道巷弄里]\s?\Z"  # 北京市朝阳区建国路88号
)


def postcode_at(text: str, start: int, span: str, before: str) -> bool:
    """A number the digit pass could not place that is an address's postcode."""
    if _ORGANISATION_BEFORE.search(text, max(0, start - 120), start):
        return False
    if _STATE_BEFORE.search(before) and span[:5].isdigit() and len(span) in (5, 10):
        return True
    end = start + len(span)
    if _CEP.fullmatch(span) and (
        _CEP_TOWN_AFTER.match(text, end) or _CEP_AFTER_STATE.search(text, max(0, start - 12), start)
    ):
        return True
    if len(span) == 6 and span.isdigit() and _CJK_ADDRESS_BEFORE.search(before):
        return True
    if len(span) == 6 and span.isdigit() and indian_pin_at(text, start, end):
        return True
    return (
        len(span) == 5
        and span.isdigit()
        and _TOWN_AFTER.match(text, end) is not None
        and _STREET_LINE_BEFORE.search(text, max(0, start - 80), start) is not None
    )


_TOWN_BEFORE = re.compile(
    r"(?:\b[A-Z][a-z]+(?:[- ][A-Z][a-z]+)*|(?<![\u0900-\u097f])[\u0900-\u097f]+)\Z"
)


def indian_pin_at(text: str, start: int, end: int) -> bool:
    """A 6-digit PIN that ends an Indian address ("Nandyal-833788", "Guna 958969.")."""
    if text[start - 1 : start] not in (" ", "-", "\n"):
        return False
    # The town's name stands just before: "Nandyal-833788", "Guna 958969", "अलीगढ 887623",
    # "Bengaluru - 560001"; not "CID 354884", "bug 738264", "implemented\n445032".
    town_end = start - 1
    if text[max(0, start - 3) : start] == " - ":
        town_end = start - 3
    while town_end > 0 and text[town_end - 1] == " ":
        town_end -= 1  # "Khora  281108"
    if not _TOWN_BEFORE.search(text, max(0, town_end - 40), town_end):
        return False
    if not _INDIA_PIN_TAIL.match(text, end):
        return False
    return _INDIA_BEFORE.search(text, max(0, start - 100), start) is not None


def east_asian_address_at(text: str, start: int) -> str | None:
    m = _EAST_ASIAN_NUMBER.match(text, start)
    if m and _EAST_ASIAN_BEFORE.search(text, max(0, start - 40), start):
        return m.group()
    return None


def address_at(text: str, start: int) -> str | None:
    """A street address whose house number (or ZIP code) starts at ``start``."""
    before = text[max(0, start - 40) : start]
    if _ORGANISATION_BEFORE.search(text, max(0, start - 120), start):
        return None
    if street := _STREET_AFTER.match(text, start):
        if street.group()[:4].isdigit() and _YEARISH.search(before.lower()):
            return None  # "In 2019 Apple Park opened"
        return street.group()
    if _dutch_before(before) and _DUTCH_POSTCODE_AFTER.match(text, start):
        return text[max(0, start - 20) : start + 12]
    if _germanic_before(before) or _STATE_ZIP_BEFORE.search(before) or _street_name_before(before):
        return text[max(0, start - 20) : start + 6]
    if (
        text[start : start + 5].isdigit()
        and _TOWN_AFTER.match(text, start + 5)
        and (
            _STREET_LINE_BEFORE.search(text, max(0, start - 80), start)
            or _street_word_on_line(text, start)
        )
    ):
        return text[start : start + 5]  # "avenue Emmanuel Barre\n09520 Lefebvre"
    postcode = _POSTCODE_AFTER.match(text, start)
    if postcode and (
        POSTAL_STREET.search(before)
        or "\n" in postcode.group()
        or not _YEAR.search(postcode.group()[-30:])  # "Jan 5, 2024 Berlin" is a date
    ):
        return postcode.group()
    return None
