"""An export file as a table: its header, its data rows with their line numbers, and how many.

CSV and text exports go through :mod:`sync.csvimport.decode`; XLSX through
:mod:`sync.csvimport.xlsx`. The header is the first non-empty row. Every cell comes back cleaned
of the wrapping spreadsheets add to keep long numbers as text (``="2026…"``, a leading
apostrophe or tab) and of surrounding blanks.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from sync.csvimport.decode import decode, sniff_delimiter, text_rows
from sync.csvimport.xlsx import Workbook
from sync.errors import PayloadError

XLSX_MAGIC = b"PK\x03\x04"

Row = tuple[int, list[str]]


def clean_cell(text: str) -> str:
    cell = text.strip()
    if not cell:
        return cell
    if cell[0] == "\ufeff":
        cell = cell.lstrip("\ufeff").strip()
    if cell.startswith('="') and cell.endswith('"') and len(cell) > 2:
        cell = cell[2:-1].strip()
    if cell[:1] in ("'", "\t"):
        cell = cell.lstrip("'\t").strip()
    return cell


@dataclass(frozen=True, slots=True)
class ExportTable:
    """One export's rows; ``rows()`` can be walked more than once."""

    data: bytes
    """The workbook's bytes (empty for CSV)."""
    text: str
    """The CSV's decoded text (empty for a workbook)."""
    format: str
    """``csv`` or ``xlsx``."""
    encoding: str
    """The text encoding found (``xlsx`` for workbooks)."""
    header: tuple[str, ...]
    header_line: int
    total: int
    """Data rows after the header (non-empty ones)."""

    def rows(self) -> Iterator[Row]:
        """Each non-empty data row after the header, cells cleaned, with its line number."""
        for line, cells in _raw_rows(self.format, self.data, self.text):
            if line <= self.header_line:
                continue
            cleaned = [clean_cell(c) for c in cells]
            if any(cleaned):
                yield line, cleaned


def _raw_rows(kind: str, data: bytes, text: str) -> Iterator[Row]:
    if kind == "xlsx":
        book = Workbook(io.BytesIO(data))
        try:
            yield from book.rows()
        finally:
            book.close()
        return
    yield from text_rows(text, sniff_delimiter(text))


def read_table(data: bytes) -> ExportTable:
    """The table in an export's bytes (CSV in any supported encoding, or XLSX)."""
    if not data.strip():
        raise PayloadError("the file is empty")
    if data.startswith(XLSX_MAGIC):
        kind, text, encoding, payload = "xlsx", "", "xlsx", data
    else:
        text, encoding = decode(data)
        kind, payload = "csv", b""
    header: tuple[str, ...] = ()
    header_line = 0
    total = 0
    for line, cells in _raw_rows(kind, payload, text):
        if header:
            total += any(not c.isspace() for c in cells if c)
            continue
        cleaned = [clean_cell(c) for c in cells]
        if any(cleaned):
            header, header_line = tuple(cleaned), line
    if not header:
        raise PayloadError("the file is empty: no header row")
    return ExportTable(payload, text, kind, encoding, header, header_line, total)
