"""Customer matching keys: one customer's orders share at least one of them.

Phones are reduced to digits (full-width digits and the full-width plus made ASCII first); Chinese
numbers lose their +86 / 0086 prefix, other numbers keep a ``+<country code>`` form when the
country is known, so ``+44 20 7946 0000`` and ``020 7946 0000`` on a British order match. E-mails
are lower-cased. Names and addresses are made half-width, case-folded and squeezed; spaces
next to Chinese characters are dropped ("张 三" is "张三") and the words of a Latin name are
sorted ("Lovelace Ada" is "Ada Lovelace").
"""

from __future__ import annotations

import re
import unicodedata

# Calling codes of the countries whose national numbers we put in international form.
CALLING_CODES: dict[str, str] = {
    "CN": "86",
    "HK": "852",
    "MO": "853",
    "TW": "886",
    "SG": "65",
    "MY": "60",
    "JP": "81",
    "KR": "82",
    "US": "1",
    "CA": "1",
    "GB": "44",
    "DE": "49",
    "FR": "33",
    "IT": "39",
    "ES": "34",
    "NL": "31",
    "AU": "61",
    "NZ": "64",
}

_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_NOT_DIGIT = re.compile(r"\D")
_PUNCTUATION = re.compile(r"[^\w\s]")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_CJK_GAP = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")
_HAS_CJK = re.compile(_CJK)
_MIN_PHONE_DIGITS = 7


def _half_width(text: str) -> str:
    # Plain ASCII is already half-width; most Western orders skip the normalization.
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def normalize_phone(raw: str, country: str = "") -> str:
    """The phone's canonical form, or '' when it cannot identify anyone (masked, too short)."""
    text = _half_width(raw).strip()
    if not text or "*" in text:
        return ""
    plus = text.startswith("+")
    digits = _NOT_DIGIT.sub("", text)
    if plus:
        digits = "00" + digits
    if len(digits) < _MIN_PHONE_DIGITS:
        return ""
    country = country.strip().upper()
    if digits.startswith("0086"):
        return _chinese(digits[4:])
    if digits.startswith("86") and _CN_MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    if digits.startswith("00"):
        return "+" + digits[2:]
    if country in {"CN", ""} and _CN_MOBILE.fullmatch(digits):
        return digits
    if country == "CN":
        return digits if digits.startswith("0") else "0" + digits
    code = CALLING_CODES.get(country)
    if code is None:
        return digits
    if code == "1" and len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return "+" + code + digits.removeprefix("0")


def _chinese(national: str) -> str:
    if _CN_MOBILE.fullmatch(national):
        return national
    return national if national.startswith("0") else "0" + national


def normalize_email(raw: str) -> str:
    text = _half_width(raw).strip().lower()
    return text if "@" in text else ""


def normalize_text(raw: str) -> str:
    """Half-width, case-folded, punctuation dropped, spaces squeezed (none next to Chinese)."""
    text = _PUNCTUATION.sub(" ", _half_width(raw).casefold())
    text = " ".join(text.split())
    return _CJK_GAP.sub("", text) if not text.isascii() else text


def normalize_name(raw: str) -> str:
    text = normalize_text(raw)
    if _HAS_CJK.search(text):
        return text.replace(" ", "")
    return " ".join(sorted(text.split()))


def customer_keys(
    *, phone: str, email: str, name: str, address: str, city: str = "", country: str = ""
) -> tuple[str, ...]:
    """The keys an order is matched on: ``p:`` phone, ``e:`` e-mail, ``n:`` name and address."""
    keys: list[str] = []
    if found := normalize_phone(phone, country):
        keys.append("p:" + found)
    if found := normalize_email(email):
        keys.append("e:" + found)
    who, where = normalize_name(name), normalize_text(f"{address} {city}")
    if who and where:
        keys.append(f"n:{who}|{where}")
    return tuple(keys)
