"""Phone numbers by the way countries write them: a specific shape counts, assigned or not.

``phone_shape`` knows the grouping of national formats (NANP 3-3-4, trunk-0
numbers of the UK, DE, FR, JP, KR, ZA, NG, AU, NL, SE, Brazil and Mexico 2-4-4,
India 5-5, China 3-4-4 and bare 11 digits, Spain, Portugal, Poland, Russia, ...);
``international_phone`` accepts a '+', '00' or '001' prefix before an assigned
country code. The words before a number decide the rest: ``PHONE_STRONG`` words
("phone", "tel", "mobile") make any 7-15 digits a phone, ``PHONE_WEAK`` ones
("ring", "reach", "cell") only a grouped number, and ``NOT_PHONE`` ones ("order",
"invoice", "isbn") none.
"""

from __future__ import annotations

import re

import phonenumbers

PHONE_STRONG = re.compile(
    r"(?:\b(?:phone|ph|tel|tél|telephone|téléphone|telefon|telefone|teléfono|telefono|"
    r"telefoonnummer|mobile|mobil|móvil|movil|cell ?phone|celular|cellulare|handy|fax|"
    r"whatsapp|sms|mob|call me|call us|call him|call her|call them|phone number|contact number|"
    r"tlf|puhelin|telefonnummer|rufnummer|numéro|m|t|p|f)|電話|携帯|手机|电话|전화|휴대폰)"
    r"\b\W{0,12}(?:(?:no|nr|number|num|is|at|on)\b\W{0,4})*\Z"
)
PHONE_WEAK = re.compile(
    r"\b(?:call|ring|ringe|reach|cell|contact|text|dial|bel|appel\w*|llam\w*|ligue|chiama|"
    r"hotline|office|home|work|direct)\b\W{0,12}(?:(?:me|us|at|on|is|"
    r"via|him|her|them|til|mig|meg|mej|os|oss|på|paa|mich|uns|unter|an|op|naar)\b\W{0,4})*\Z"
)
# A number right after these is an order, a version or a heading, not a phone.
NOT_PHONE = re.compile(
    r"(?:\b(?:order|invoice|inv|ref|reference|tracking|sku|part|item|ticket|account|acct|"
    r"isbn|issn|doi|pmid|arxiv|serial|batch|lot|build|version|ver|v|release|rev|revision|"
    r"commit|pid|port|issue|pr|bug|case|claim|shipment|confirmation|booking|transaction|txn|"
    r"receipt|model|id|no\.|upc|ean|gtin|asin|barcode|po|p\.o\.|purchase order|pipeline|job|"
    r"run|seeds?|cents)|#)\W*(?:number\W*|no\.?\W*|id\W*)?(?:is\W*|was\W*)?\Z"
)
UNIT_AFTER = re.compile(
    r" ?(?:bytes?|b|kb|mb|gb|tb|kib|mib|gib|ms|µs|ns|s|sec|seconds|rows|records|items|times|"
    r"users|people|km|m|kg|lbs?|points|tokens|words|steps|iterations|px|hz|khz|mhz|ghz|rpm|"
    r"%|€|\$|usd|eur|dollars)\b",
    re.IGNORECASE,
)
# A bare number in these surroundings is a figure, not a phone: engineering words anywhere in
# the few words before ("revenue_cents", "pipeline", "job"), or a list or row of numbers.
BARE_NOT_PHONE = re.compile(
    r"(?:\b|_)(?:po|purchase order|pipeline|job|jobs|run|runs|seeds?|builds?|cents|revenue|amount|"
    r"total|price|balance|count|bytes|size|epoch|timestamp|ts|offset|nonce|hash|checksum|crc|"
    r"duration|elapsed|rows?|quantity|qty|sku|inode|pid|uid|gid)\b"
)
NUMBER_BEFORE = re.compile(r"\d[\"']?\s?[,;|\t]\s?[\"']?\Z")
NUMBER_AFTER = re.compile(r"[\"']?\s?[,;|\t]\s?[\"']?\d")


def among_numbers(before: str, after: str) -> bool:
    """True if a number is one field of a row or list of numbers ("96.71,3569461565\n")."""
    number_before = NUMBER_BEFORE.search(before) is not None
    number_after = NUMBER_AFTER.match(after) is not None
    edge_before = before.rstrip(" \t")[-1:] in ("", "\n", "[", "(", "{")
    edge_after = after.lstrip(" \t")[:1] in ("", "\n", "]", ")", "}")
    return (number_before and (number_after or edge_after)) or (number_after and edge_before)


# Integer limits that turn up in docs and logs; in bare ten-digit phone shape but nobody's.
_FAMOUS = frozenset({"2147483647", "2147483648", "4294967295", "4294967296", "9223372036"})
_COUNTRY_CODES = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)


def international_phone(span: str, digits: str, groups: list[str]) -> bool:
    national = digits[2:] if span[0] != "+" else digits
    if national.startswith("1") and span.startswith("001"):
        national = digits[2:]
    if not 8 <= len(national) <= 15:
        return False
    if not any(int(national[:k]) in _COUNTRY_CODES for k in (1, 2, 3)):
        return False
    if span[0] == "+" or len(groups) > 1:
        return True
    # A bare 00-prefixed run is as often a zero-padded number: only a valid one counts.
    try:
        number = phonenumbers.parse("+" + national, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def phone_shape(span: str, digits: str, groups: list[str]) -> bool:
    """Written the way some country writes its phone numbers (fail closed: ranges aren't checked)."""
    n = len(digits)
    shape = tuple(len(g) for g in groups)
    first = groups[0]
    if len(groups) == 1:
        return _bare_phone(digits)
    if shape == (3, 3, 4):  # NANP (any area code: fictional ones count), Italian mobiles
        return True
    if shape == (1, 3, 3, 4) and first in "178":  # 1 (NANP), 7 / 8 (Russia)
        return True
    if shape == (3, 4, 4) and (first[0] in "23456789" or first[1] in "3456789"):  # China
        return True
    trunk = first[0] == "0" and len(first) >= 2 and first[1] != "0"
    if trunk and all(len(g) >= 2 for g in groups) and shape != (5, 4):
        # Trunk-prefixed national numbers: UK, DE, FR, JP, KR, ZA, NG, AU, NL, SE, ...
        return 9 <= n <= 12 or (n == 8 and len(groups) >= 3)
    if shape in ((2, 4, 4), (2, 5, 4)) and first[0] != "0":  # Brazil, Mexico
        return True
    if shape == (5, 5) and first[0] in "6789":  # India
        return True
    if first[0] in "6789" and shape in ((3, 2, 2, 2), (3, 3, 3), (3, 3, 2, 2)):  # ES, PT, RU
        return True
    if first[0] == "5" and shape == (3, 3, 3):  # Poland
        return True
    if shape == (2, 3, 2, 2) and first[0] != "0":  # Poland, Spain landlines
        return True
    return shape == (1, 3, 3, 2, 2) and first in "78"  # Russia


def _bare_phone(digits: str) -> bool:
    n = len(digits)
    if n == 10 and digits[0] in "23456789":  # NANP, India, Mexico, ... written without gaps
        return digits not in _FAMOUS
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":  # China mobile
        return True
    if n == 11 and digits[0] == "8" and digits[1] in "3489":  # Russia, trunk 8
        return True
    return bool(_BARE_TRUNK.fullmatch(digits))


# Spaced, the shape alone is specific enough, even with a prefix HMRC never issues.
_BARE_TRUNK = re.compile(r"0[1-9]\d{7,9}")


# Hong Kong and Singapore write their eight-digit numbers 4-4 ("9123 4567"), a shape that
# is also any two numbers side by side: it counts only right after a Chinese name, in Han
# characters (a common surname and one to three more) or romanised ("Wei Ling", "Chan Tai Man").
_LOCAL_EIGHT = re.compile(r"[235689]\d{3}[ -]\d{4}")
_HAN_SURNAMES = (
    "王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何高林罗羅郑鄭梁谢謝宋唐许許韩韓冯馮"
    "邓鄧曹彭曾萧蕭蔡潘田董袁于余叶葉蒋蔣杜苏蘇魏程吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石"
    "廖贾賈夏韦韋付方白邹鄒孟熊秦邱江尹薛闫閆段雷侯龙龍史陶黎贺賀顾顧毛郝龚龔邵万萬钱錢严嚴"
    "覃武戴莫孔向汤湯欧歐区區麦麥岑温溫骆駱容伍翁甘"
)
_HAN_NAME_BEFORE = re.compile(
    r"(?<![\u3400-\u9fff])[" + _HAN_SURNAMES + r"][\u3400-\u9fff]{1,3}[ :\uff1a,\uff0c]{0,2}\Z"
)
_ROMAN_NAME_BEFORE = re.compile(r"(?<![\w'])((?:[A-Z][a-z]{0,5}[ -]){1,3}[A-Z][a-z]{0,5})[,:]? ?\Z")
# Romanised Chinese names: pinyin, Cantonese and Hokkien/Teochew spellings of surnames and
# of the syllables given names are made of.
_SYLLABLES = """
    ah ai an ang au bai bao bee bei bin bing bo boon cai can cao chai chan chang chao che chee chen
    cheng cheong cheung chew chi chia chiang chin ching chiu choi chong chou chow choy chu chua
    chuan chun chung cui da dai dan deng di ding dong du duan fai fan fang fei feng fong fook fu
    fung gan gao goh gong guan guang gui guo ha hai han hang hao he heng ho hock hoi hon hong hou
    hu hua huang hui hung jia jian jiang jie jin jing jun kah kai kam kang kar keat kee keng kheng
    khoo kiat kit ko koh kok kong kuan kwan kwok kwong lai lam lan lang lau lee leng leong leung li
    lian liang liao lih lim lin ling liu lo loh loke long lu lui lung luo ma mak man mei meng mi
    min ming mo mui mun ng ngai ngan ning ong pang pei peng ping po poh qi qian qiang qin qing qiu
    quan seng shan shao shen sheng shi shu shui shun si siew sim siu soh song soo su sui sun
    swee tai tak tan tang tao tay teo teng tian tin ting toh tong tsang tse tsui tuan tung wah wai
    wan wang wee wei wen weng wing wong woo wu xi xia xian xiang xiao xin xing xiong xu xuan xue
    ya yan yang yao yap ye yee yeo yeung yi yin ying yip yong yu yuan yue yuen yun zeng zhang
    zhao zhen zheng zhi zhong zhou zhu
"""
_ROMAN_SYLLABLES = frozenset(_SYLLABLES.split())


def named_local_phone(span: str, before: str) -> bool:
    """A 4-4 eight-digit number (Hong Kong, Singapore) right after a Chinese name."""
    if not _LOCAL_EIGHT.fullmatch(span):
        return False
    if _HAN_NAME_BEFORE.search(before):
        return True
    m = _ROMAN_NAME_BEFORE.search(before)
    return m is not None and all(
        word.lower() in _ROMAN_SYLLABLES for word in re.split(r"[ -]", m.group(1))
    )
