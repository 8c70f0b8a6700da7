"""Text exports: which encoding, which delimiter, and the rows with the line each starts on.

Back offices in China write CSV in GBK (Excel's default there), newer ones in UTF-8, often with
a byte-order mark so that Excel opens it right. The order of trials matters: a BOM is certain;
strict UTF-8 almost never decodes GBK text by accident; GB18030 (a superset of GBK) comes last
because it decodes nearly any bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from sync.errors import PayloadError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = (",", "\t", ";", "|")


def detect_encoding(data: bytes) -> str:
    """The encoding of an export's bytes: ``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030``."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        raise PayloadError(
            "the file is neither UTF-8 nor GBK/GB18030 text (is it a spreadsheet saved as .csv?)"
        ) from None
    return "gb18030"


def decode(data: bytes) -> tuple[str, str]:
    """The text of an export and the encoding it was read with."""
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    if "\x00" in text:
        raise PayloadError("the file holds binary data, not text")
    return text, encoding


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate that occurs most outside quotes."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def text_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the (1-based) line it starts on; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise PayloadError(f"line {reader.line_num}: {exc}") from None
