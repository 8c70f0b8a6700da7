"""Reading the cells of an export: times, amounts, counts, order and tracking numbers.

Each reader returns the value or raises :class:`CellError` with a reason a person can act on;
the importer quarantines the row with that reason and its file and line.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

from sync.csvimport.xlsx import serial_to_text

BLANKS = frozenset({"", "-", "--", "null", "none", "nan", "n/a", "#n/a", "0000-00-00 00:00:00"})
_TIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[\sT]*(\d{1,2})[:时](\d{2})(?:[:分](\d{2})(?:\.(\d{1,6})\d*)?秒?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_CURRENCY_MARKS = re.compile(r"[¥￥$€£,\s]|CNY|RMB|USD|EUR|元", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.IGNORECASE)
_TRACKING_SPLIT = re.compile(r"[,，;；、/\s]+")
_TRACKING_PREFIX = re.compile(r"^(?:no|单号|运单号)[:：]", re.IGNORECASE)


class CellError(ValueError):
    """A cell that cannot be read; ``str()`` is the reason."""


def blank(text: str) -> bool:
    if not text:
        return True
    return len(text) <= 24 and text.strip().casefold() in BLANKS


def parse_time(text: str, zone: tzinfo) -> datetime | None:
    """An export's time as an aware UTC instant; zone-less times are read in ``zone``.

    Accepts ``2026-11-20 10:15:30``, ``2026/11/20 10:15``, ``2026-11-20``, ``2026年11月20日 10:15``,
    ISO-8601 with ``T``, fractions and an offset (``Z``, ``+08:00``, `` +0800``), and Excel date
    serials (a workbook cell that lost its date style). Blank → None.
    """
    cell = text.strip()
    if blank(cell):
        return None
    if _SERIAL.match(cell):
        cell = serial_to_text(float(cell))
    match = _TIME.match(cell)
    if not match:
        raise CellError(f"{text!r} is not a date and time")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise CellError(f"{text!r} is not a real date: {exc}") from None
    return local.replace(tzinfo=_offset(offset) if offset else zone).astimezone(UTC)


def _offset(text: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if text[0] == "-" else delta)


def parse_amount(text: str) -> str:
    """A money amount as a decimal string (``"1,299.50 元"`` → ``"1299.50"``); blank → ``"0"``."""
    if blank(text):
        return "0"
    bare = _CURRENCY_MARKS.sub("", text)
    try:
        amount = Decimal(bare)
    except InvalidOperation:
        raise CellError(f"{text!r} is not an amount") from None
    if not amount.is_finite():
        raise CellError(f"{text!r} is not an amount")
    cents = amount.quantize(Decimal("0.01"))
    return str(cents if cents == amount else amount)


def parse_count(text: str, default: int = 1) -> int:
    """A quantity (``"2"``, ``"2.0"``, ``"2件"``); blank → ``default``."""
    if blank(text):
        return default
    bare = text.strip().rstrip("件个套只")
    try:
        value = Decimal(bare)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a quantity") from None
    if value != value.to_integral_value() or value < 0:
        raise CellError(f"{text!r} is not a whole quantity")
    return int(value)


def order_number(text: str) -> str:
    """The order number of a row; refuses blanks and numbers a spreadsheet rounded."""
    if blank(text):
        raise CellError("no order number")
    cell = text.strip()
    if _SCIENTIFIC.match(cell):
        raise CellError(f"order number {cell!r} was rounded by a spreadsheet; export it as text")
    return cell.removesuffix(".0") if cell.endswith(".0") and cell[:-2].isdigit() else cell


def tracking_numbers(text: str) -> list[str]:
    """The tracking numbers in a cell (some exports put several, or a ``No:`` prefix)."""
    if blank(text):
        return []
    found: list[str] = []
    for part in _TRACKING_SPLIT.split(text.strip()):
        number = _TRACKING_PREFIX.sub("", part).strip()
        if number and not blank(number) and number not in found:
            found.append(number)
    return found
