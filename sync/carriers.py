"""The couriers orderwatch knows, and how each tracking service names them.

A shop platform hands us a carrier as free text ("SF Express", "顺丰速运", "sf-express",
"DHL eCommerce"); tracking services want their own codes (17TRACK a number, AfterShip a slug,
Kuaidi100 a pinyin code). :func:`normalize_carrier` turns any of those spellings into
orderwatch's short code, and :func:`carrier` gives the row with every vendor's name for it.

A 17TRACK code of 0 means "not confirmed": the connector then lets 17TRACK detect the carrier
rather than send a guess that would pin the parcel to the wrong courier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    """orderwatch's own code, stored on shipments."""
    name: str
    track17: int = 0
    """17TRACK's numeric carrier key; 0 when not confirmed."""
    aftership: str = ""
    kuaidi100: str = ""
    aliases: tuple[str, ...] = ()
    """Free-text spellings seen in shop back offices, matched case- and space-insensitively."""


# 17TRACK keys are the ones in 17TRACK's published carrier list (apicarrier.all.json), as
# generated into wksw/17track-golang-sdk `17track_carrier.go`; UPS 100002 also appears as the
# provider key in 17TRACK's own webhook example. Yunda, JD domestic, Best and 4PX have no key
# there. AfterShip slugs follow AfterShip's courier list (GET /couriers/all); Kuaidi100 codes its
# downloadable company-code table. An empty code means "not confirmed": that vendor is then left
# to detect the courier itself.
CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        "sf",
        "SF Express",
        190766,
        "sf-express",
        "shunfeng",
        ("sf", "sf express", "sfexpress", "s.f. express", "顺丰", "顺丰速运", "顺丰快递"),
    ),
    Carrier(
        "zto",
        "ZTO Express",
        190455,
        "zto",
        "zhongtong",
        ("zto", "zto express", "zto-express", "zhongtong", "中通", "中通快递"),
    ),
    Carrier(
        "yto",
        "YTO Express",
        190157,
        "yto",
        "yuantong",
        ("yto", "yto express", "yuantong", "圆通", "圆通速递", "圆通快递"),
    ),
    Carrier(
        "sto",
        "STO Express",
        190324,
        "sto",
        "shentong",
        ("sto", "sto express", "shentong", "申通", "申通快递"),
    ),
    Carrier(
        "yunda",
        "Yunda Express",
        0,
        "yunda",
        "yunda",
        ("yunda", "yunda express", "韵达", "韵达快递", "韵达速递"),
    ),
    Carrier(
        "jd",
        "JD Logistics",
        0,
        "jd",
        "jd",
        ("jd", "jd logistics", "jd express", "jingdong", "京东", "京东物流", "京东快递"),
    ),
    Carrier(
        "ems",
        "China EMS",
        3013,
        "china-ems",
        "ems",
        ("ems", "china ems", "ems china", "邮政ems", "中国邮政ems", "中国ems", "邮政特快专递"),
    ),
    Carrier(
        "china_post",
        "China Post",
        3011,
        "china-post",
        "youzhengguonei",
        ("china post", "chinapost", "中国邮政", "邮政", "邮政包裹", "邮政快递包裹"),
    ),
    Carrier(
        "cainiao",
        "Cainiao",
        190271,
        "cainiao",
        "",
        ("cainiao", "菜鸟", "菜鸟裹裹", "菜鸟速递"),
    ),
    Carrier(
        "dhl",
        "DHL Express",
        100001,
        "dhl",
        "dhl",
        ("dhl", "dhl express", "dhl ecommerce", "敦豪"),
    ),
    Carrier(
        "fedex",
        "FedEx",
        100003,
        "fedex",
        "fedex",
        ("fedex", "fed ex", "federal express", "联邦快递"),
    ),
    Carrier(
        "ups",
        "UPS",
        100002,
        "ups",
        "ups",
        ("ups", "united parcel service", "ups ground"),
    ),
    Carrier(
        "usps",
        "USPS",
        21051,
        "usps",
        "usps",
        ("usps", "us postal service", "united states postal service", "美国邮政"),
    ),
    Carrier(
        "jtexpress",
        "J&T Express",
        190442,
        "",
        "jtexpress",
        ("j&t", "j&t express", "jt express", "jtexpress", "极兔", "极兔速递", "极兔快递"),
    ),
    Carrier(
        "deppon",
        "Deppon",
        190174,
        "deppon",
        "debangwuliu",
        ("deppon", "debang", "德邦", "德邦快递", "德邦物流"),
    ),
    Carrier(
        "best",
        "Best Express",
        0,
        "",
        "huitongkuaidi",
        ("best express", "百世", "百世快递", "百世汇通", "汇通"),
    ),
    Carrier(
        "yunexpress",
        "YunExpress",
        190008,
        "yunexpress",
        "",
        ("yunexpress", "yun express", "云途", "云途物流"),
    ),
    Carrier(
        "yanwen",
        "Yanwen",
        190012,
        "yanwen",
        "",
        ("yanwen", "燕文", "燕文物流"),
    ),
    Carrier(
        "4px",
        "4PX",
        0,
        "4px",
        "",
        ("4px", "4px express", "4px worldwide", "递四方"),
    ),
    Carrier(
        "tnt",
        "TNT",
        100004,
        "tnt",
        "tnt",
        ("tnt", "tnt express"),
    ),
)

_BY_CODE = {row.code: row for row in CARRIERS}
_BY_TRACK17 = {row.track17: row for row in CARRIERS if row.track17}
_BY_AFTERSHIP = {row.aftership: row for row in CARRIERS if row.aftership}
_BY_KUAIDI100 = {row.kuaidi100: row for row in CARRIERS if row.kuaidi100}
_SEPARATORS = re.compile(r"[\s\-_.,()（）/]+")


def _key(text: str) -> str:
    return _SEPARATORS.sub("", text.casefold())


def _exact_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for row in CARRIERS:
        spellings = (row.code, row.name, row.aftership, row.kuaidi100, *row.aliases)
        for spelling in spellings:
            if spelling:
                index.setdefault(_key(spelling), row.code)
    return index


_EXACT = _exact_index()
# Longest alias first, so "中国邮政EMS" finds EMS before China Post and "UPS Ground" finds UPS.
_CONTAINED = sorted(
    ((key, code) for key, code in _EXACT.items() if len(key) >= 2),
    key=lambda pair: -len(pair[0]),
)


def carrier(code: str) -> Carrier | None:
    """The carrier with orderwatch code ``code``, or None."""
    return _BY_CODE.get(code)


def carrier_by_track17(key: int) -> Carrier | None:
    """The carrier 17TRACK numbers ``key``, or None when it is not in the table."""
    return _BY_TRACK17.get(key)


def carrier_by_aftership(slug: str) -> Carrier | None:
    """The carrier AfterShip calls ``slug``, or None when it is not in the table."""
    return _BY_AFTERSHIP.get(slug.strip().lower())


def carrier_by_kuaidi100(com: str) -> Carrier | None:
    """The carrier Kuaidi100 codes ``com``, or None when it is not in the table."""
    return _BY_KUAIDI100.get(com.strip().lower())


def normalize_carrier(text: str) -> str:
    """orderwatch's code for a carrier written any way a shop or service writes it; "" if unknown.

    An exact spelling wins; otherwise the longest known spelling contained in ``text``
    ("顺丰速运(CN)", "DHL Parcel"). Short Latin codes must stand as a word of their own, so that
    "sto" is not found inside "Costco Logistics".
    """
    key = _key(text)
    if not key:
        return ""
    if key.isdigit():
        row = _BY_TRACK17.get(int(key))
        return row.code if row else ""
    exact = _EXACT.get(key)
    if exact:
        return exact
    words = set(_SEPARATORS.split(text.casefold()))
    for alias, code in _CONTAINED:
        if len(alias) >= 4 or not alias.isascii():
            if alias in key:
                return code
        elif alias in words:
            return code
    return ""


# Tracking-number shapes, most telling first. Bare digit runs fit several couriers, so a match
# is only a suggestion, offered when the order names no carrier.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"SF\d{12,13}", "sf"),
        (r"JD[A-Z0-9]{11,18}", "jd"),
        (r"YT\d{13}", "yto"),
        (r"JT\d{13}", "jtexpress"),
        (r"DPK\d{12}", "deppon"),
        (r"1Z[0-9A-Z]{16}", "ups"),
        (r"LP\d{14}", "cainiao"),
        (r"E[A-Z]\d{9}CN", "ems"),
        (r"[A-Z]{2}\d{9}CN", "china_post"),
        (r"YT\d{16}", "yunexpress"),
        (r"9[2-5]\d{20}", "usps"),
        (r"7[35]\d{10,12}", "zto"),
        (r"(?:77|88|66|55)\d{11}", "sto"),
        (r"(?:43|46|31|39)\d{11}", "yunda"),
        (r"1\d{12}", "ems"),
        (r"\d{10}", "dhl"),
        (r"\d{12}|\d{15}", "fedex"),
    )
)


def suggest_carrier(tracking_number: str) -> str:
    """The carrier a tracking number looks like it belongs to; "" when nothing fits.

    A guess from the number's shape alone (several couriers share digit-only formats), so it is
    offered where the order gave no carrier, never used over one the order names.
    """
    number = re.sub(r"[\s-]", "", tracking_number).upper()
    for pattern, code in _PATTERNS:
        if pattern.fullmatch(number):
            return code
    return ""
