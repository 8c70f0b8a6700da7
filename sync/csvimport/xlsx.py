"""XLSX exports read with the standard library: zipfile and ElementTree.

Only what an order export needs: the first worksheet, shared strings (rich text runs joined),
inline strings, formula results, booleans, and numbers, where a number whose cell is styled as a
date or time becomes zone-less ``YYYY-MM-DD HH:MM:SS`` text (the profile says which zone it is
in). Number text is kept as written, so a long order number Excel turned into ``2.026E+18`` stays
recognisably broken instead of becoming a wrong number. The sheet is streamed row by row.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO
from xml.etree import ElementTree

from sync.errors import PayloadError

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]+)(\d*)")
# Built-in number formats that show a date or a time (ECMA-376 part 1, 18.8.30), including the
# East Asian ones Chinese Excel uses.
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})
_QUOTED_OR_BRACKETED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    return (child for child in element if _local(child.tag) == name)


def _text_of(element: ElementTree.Element) -> str:
    """The visible text of a string item: its ``t`` runs, leaving out phonetic hints."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in _children(child, "t"))
    return "".join(parts)


def is_date_format(format_id: int, code: str) -> bool:
    """Whether a cell number format shows a date or time."""
    if format_id in _DATE_FORMAT_IDS:
        return True
    bare = _QUOTED_OR_BRACKETED.sub("", code).lower()
    return any(mark in bare for mark in ("y", "d", "h", "s")) and "0.0" not in bare


def serial_to_text(serial: float, date1904: bool = False) -> str:
    """An Excel date serial as ``YYYY-MM-DD HH:MM:SS`` (zone-less, as the sheet shows it)."""
    epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
    instant = epoch + timedelta(seconds=round(serial * 86400))
    return instant.strftime("%Y-%m-%d %H:%M:%S")


def column_index(reference: str) -> int:
    """``"A1"`` → 0, ``"AB7"`` → 27."""
    match = _CELL_REF.match(reference)
    if not match:
        raise PayloadError(f"bad cell reference {reference!r}")
    index = 0
    for char in match.group(1):
        index = index * 26 + ord(char) - 64
    return index - 1


class Workbook:
    """An open XLSX file: its first sheet's rows as lists of text."""

    def __init__(self, source: str | IO[bytes]) -> None:
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as exc:
            raise PayloadError(f"not an XLSX workbook: {exc}") from None
        try:
            self.sheet_path, self.date1904 = self._first_sheet()
            self.strings = self._shared_strings()
            self.date_styles = self._date_styles()
        except (KeyError, ElementTree.ParseError) as exc:
            raise PayloadError(f"not a readable XLSX workbook: {exc}") from None

    def close(self) -> None:
        self.zip.close()

    def _xml(self, name: str) -> ElementTree.Element:
        with self.zip.open(name) as stream:
            return ElementTree.parse(stream).getroot()

    def _first_sheet(self) -> tuple[str, bool]:
        workbook = self._xml("xl/workbook.xml")
        date1904 = any(
            pr.get("date1904") in {"1", "true"}
            for pr in workbook.iter()
            if _local(pr.tag) == "workbookPr"
        )
        sheet = next((s for s in workbook.iter() if _local(s.tag) == "sheet"), None)
        if sheet is None:
            raise PayloadError("the workbook has no sheet")
        rel_id = sheet.get(f"{{{_REL_NS}}}id") or sheet.get(
            "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
        )
        target = "worksheets/sheet1.xml"
        if rel_id and "xl/_rels/workbook.xml.rels" in self.zip.namelist():
            rels = self._xml("xl/_rels/workbook.xml.rels")
            for rel in rels:
                if rel.get("Id") == rel_id:
                    target = rel.get("Target", target)
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        return posixpath.normpath(path), date1904

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.zip.namelist():
            return []
        root = self._xml("xl/sharedStrings.xml")
        return [_text_of(item) for item in _children(root, "si")]

    def _date_styles(self) -> frozenset[int]:
        """Indexes of the cell styles (``s`` attribute) that show a date or time."""
        if "xl/styles.xml" not in self.zip.namelist():
            return frozenset()
        root = self._xml("xl/styles.xml")
        codes: dict[int, str] = {}
        for fmt in root.iter():
            if _local(fmt.tag) == "numFmt":
                codes[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        styles: set[int] = set()
        cell_xfs = next((e for e in root if _local(e.tag) == "cellXfs"), None)
        for index, xf in enumerate(() if cell_xfs is None else _children(cell_xfs, "xf")):
            format_id = int(xf.get("numFmtId", "0"))
            if is_date_format(format_id, codes.get(format_id, "")):
                styles.add(index)
        return frozenset(styles)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each non-empty row of the first sheet with its row number, cells as text."""
        try:
            stream = self.zip.open(self.sheet_path)
        except KeyError:
            raise PayloadError(f"the workbook has no {self.sheet_path}") from None
        with stream:
            number = 0
            try:
                for _event, element in ElementTree.iterparse(stream, events=("end",)):
                    if _local(element.tag) != "row":
                        continue
                    number = int(element.get("r", number + 1))
                    cells = self._row_cells(element)
                    element.clear()
                    if any(cells):
                        yield number, cells
            except ElementTree.ParseError as exc:
                raise PayloadError(f"the sheet is not readable XML: {exc}") from None

    def _row_cells(self, row: ElementTree.Element) -> list[str]:
        cells: list[str] = []
        for cell in _children(row, "c"):
            reference = cell.get("r")
            index = column_index(reference) if reference else len(cells)
            while len(cells) < index:
                cells.append("")
            cells.append(self._value(cell))
        return cells

    def _value(self, cell: ElementTree.Element) -> str:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = next(_children(cell, "is"), None)
            return "" if inline is None else _text_of(inline)
        value = next(_children(cell, "v"), None)
        text = "" if value is None or value.text is None else value.text
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                raise PayloadError(f"cell {cell.get('r')}: no shared string {text!r}") from None
        if kind == "b":
            return "TRUE" if text == "1" else "FALSE"
        if kind == "n" and text and int(cell.get("s", "0")) in self.date_styles:
            try:
                return serial_to_text(float(text), self.date1904)
            except (ValueError, OverflowError):
                return text
        return text
