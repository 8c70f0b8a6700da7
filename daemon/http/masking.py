"""Masking a customer's personal data for the public tracking page.

The page is reachable by whoever holds the link, so it shows only what helps the customer
recognise the order: the family name's first character (张*), a given name and an initial
(Emma W.), a phone's first three and last four digits (138****5678), the place down to the
district or city, never the street. Courier texts can carry names and numbers too (a signer, a
courier's mobile); :func:`scrub` masks those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = re.compile(r"\d")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
# A Chinese mobile (optionally +86, grouped by spaces or dashes), a landline with its area code,
# or any international number written with a leading +.
_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"
    r"|\+\d[\d\s-]{6,}\d"
)
_DISTRICT = re.compile(r"\s*([\u3400-\u9fff]{1,6}?(?:区|县|旗|市))")


def mask_name(name: str) -> str:
    """张* for a Chinese name, Emma W. for a Latin one, E. for a single word."""
    name = " ".join(name.split())
    if not name:
        return ""
    if _CJK.search(name):
        return name.replace(" ", "")[0] + "*"
    words = name.split(" ")
    if len(words) == 1:
        return words[0][0] + "."
    return f"{words[0]} {words[-1][0]}."


def mask_phone(phone: str) -> str:
    """138****5678 for a Chinese mobile; otherwise only the last four digits (****0134).

    A number written with a country code other than +86 is never taken for a Chinese mobile.
    """
    digits = "".join(_DIGITS.findall(phone))
    foreign = phone.strip().startswith("+") and not digits.startswith("86")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not foreign and _CN_MOBILE.fullmatch(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 6:
        return "****" + digits[-4:]
    return "****" if digits else ""


def mask_place(address: str, city: str, province: str, country: str) -> str:
    """The place of delivery down to the district (Chinese addresses) or the city."""
    district = _district(address, city, province)
    cjk = bool(_CJK.search(province + city + district))
    parts = [province, city, district] if cjk else [city, province, country]
    seen: list[str] = []
    for part in (p.strip() for p in parts):
        if part and part not in seen:
            seen.append(part)
    return ("" if cjk else ", ").join(seen)


def _district(address: str, city: str, province: str) -> str:
    """The district right after the city (or at the start) of a Chinese address, if any."""
    rest = address.strip()
    for known in (province, city):
        if known and known in rest:
            rest = rest[rest.index(known) + len(known) :]
    match = _DISTRICT.match(rest)
    return match[1] if match else ""


class Scrubber:
    """Masks phone numbers, and one customer's names and phones, in courier texts.

    Built once per page: the customer's patterns are compiled here, not for every scan.
    """

    def __init__(self, names: Iterable[str] = (), phones: Iterable[str] = ()) -> None:
        self._numbers = [_number_pattern(phone) for phone in phones]
        self._names: list[tuple[re.Pattern[str], str]] = []
        for name in (" ".join(n.split()) for n in names):
            self._names += _name_patterns(name)

    def __call__(self, text: str) -> str:
        for pattern, masked in self._numbers:
            text = pattern.sub(masked, text)
        text = _PHONE.sub(lambda m: mask_phone(m[0]), text)
        for pattern, masked in self._names:
            text = pattern.sub(masked, text)
        return text


def scrub(text: str, names: Iterable[str] = (), phones: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, and the given names and phones, masked wherever they occur."""
    return Scrubber(names, phones)(text)


_NOTHING = re.compile(r"(?!)")


def _number_pattern(phone: str) -> tuple[re.Pattern[str], str]:
    """The customer's number written with or without its country or area code, longest first."""
    digits = "".join(_DIGITS.findall(phone))
    tails = [digits[-size:] for size in range(len(digits), 6, -1)]
    if not tails:
        return _NOTHING, ""
    return re.compile(rf"(?<!\d)(?:{'|'.join(tails)})(?!\d)"), mask_phone(phone)


def _name_patterns(name: str) -> list[tuple[re.Pattern[str], str]]:
    if not name:
        return []
    masked = mask_name(name)
    if _CJK.search(name):
        spellings = sorted({name, name.replace(" ", "")}, key=len, reverse=True)
        return [(re.compile("|".join(map(re.escape, spellings))), masked)]
    patterns = [(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), masked)]
    for word in name.split(" ")[1:]:  # a family name alone ("signed: WATSON") becomes its initial
        if len(word) >= 3:
            patterns.append((re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), word[0] + "."))
    return patterns
