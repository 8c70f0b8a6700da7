"""Full-text look-up: what goes into the ``order_search`` index and how queries are shaped.

FTS5's unicode61 tokenizer keeps a run of Chinese characters as one token, so 王 would never find
王芳. Chinese text is therefore indexed with a space between characters and searched as a phrase.
Phones are indexed whole, without their country code, and by their last four digits.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"([\u3400-\u9fff\uf900-\ufaff])")
_ALL_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)
_NOT_DIGIT = re.compile(r"\D")


def spread_cjk(text: str) -> str:
    """``text`` with a space either side of each Chinese character and its spaces collapsed."""
    if text.isascii():
        return " ".join(text.split())
    if _ALL_CJK.fullmatch(text) is not None:  # most Chinese names
        return " ".join(text)
    return " ".join(_CJK.sub(_spaced, text).split())


def _spaced(found: re.Match[str]) -> str:
    # A function, not the template r" \1 ": this interpreter expands a template in Python.
    return f" {found[0]} "


def phone_terms(phone: str) -> str:
    bare = phone[1:] if phone.startswith("+") else phone  # the usual +8613812345678
    digits = bare if bare.isascii() and bare.isdigit() else _NOT_DIGIT.sub("", phone)
    if len(digits) < 4:
        return ""
    # Whole, without a country code (an 11-digit Chinese mobile, a 10-digit NANP number), and
    # the last four digits that customers quote.
    forms = [digits]
    for form in (digits[-11:], digits[-10:], digits[-4:]):
        if form != forms[-1]:
            forms.append(form)
    return " ".join(forms)


def index_values(
    number: str, name: str, phone: str, email: str, tracking: list[str]
) -> tuple[str, str, str, str, str]:
    return (
        number.lstrip("#"),
        spread_cjk(name),
        phone_terms(phone),
        email,
        " ".join(tracking),
    )


def match_expression(text: str) -> str:
    """A safe FTS5 MATCH expression for what an agent typed: every word must match, as a prefix.

    Each word is quoted (so FTS5 operators and punctuation in the input are inert); Chinese words
    become phrases of single characters.
    """
    terms: list[str] = []
    for word in _TOKEN.findall(text.replace("#", " ")):
        if _CJK.search(word):
            terms.append('"' + spread_cjk(word).replace('"', "") + '"')
        else:
            digits = re.sub(r"\D", "", word)
            if word.startswith("+") and digits:
                word = digits
            terms.append('"' + word.replace('"', "") + '"*')
    return " AND ".join(terms)
