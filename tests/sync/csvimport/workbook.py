"""A small XLSX writer for tests: the parts Excel writes for a one-sheet export.

Text goes to shared strings (or inline strings when asked), numbers stay numbers, and
``datetime`` values become date serials in a cell styled with a date format, as Excel saves
them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

Cell = str | int | float | datetime | None

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_TYPE}.{kind}+xml"/>'


def _relationship(rel_id: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rel_id}" Type="{_REL}/{kind}" Target="{target}"/>'


_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    + _override("/xl/workbook.xml", "sheet.main")
    + _override("/xl/worksheets/sheet1.xml", "worksheet")
    + _override("/xl/sharedStrings.xml", "sharedStrings")
    + _override("/xl/styles.xml", "styles")
    + "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    + _relationship("rId1", "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr{{date1904}}/>'
    '<sheets><sheet name="订单" sheetId="1" r:id="rId7"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    + _relationship("rId7", "worksheet", "worksheets/sheet1.xml")
    + _relationship("rId8", "styles", "styles.xml")
    + _relationship("rId9", "sharedStrings", "sharedStrings.xml")
    + "</Relationships>"
)
# Style 0: General. Style 1: a custom date-time format. Style 2: built-in 14 (a date).
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy/m/d\\ h:mm:ss;@"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    *,
    inline: bool = False,
    rich: bool = False,
    date1904: bool = False,
) -> Path:
    """Write ``rows`` as the first sheet of a workbook at ``path``."""
    strings: list[str] = []
    index: dict[str, int] = {}
    lines = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column(c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                serial = (value - (_EPOCH_1904 if date1904 else _EPOCH)).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial!r}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif inline:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>{"".join(lines)}</sheetData></worksheet>'
    items = "".join(_string_item(s, rich) for s in strings)
    shared = f'{_XML}<sst xmlns="{_MAIN}" count="{len(strings)}">{items}</sst>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr(
            "xl/workbook.xml", _WORKBOOK.format(date1904=' date1904="1"' if date1904 else "")
        )
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        book.writestr("xl/sharedStrings.xml", shared)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def _string_item(text: str, rich: bool) -> str:
    if rich and len(text) > 1:
        # Excel splits formatted text into runs and may add phonetic hints; both must be read.
        half = len(text) // 2
        return (
            f"<si><r><rPr><b/></rPr><t>{escape(text[:half])}</t></r>"
            f'<r><t xml:space="preserve">{escape(text[half:])}</t></r>'
            '<rPh sb="0" eb="1"><t>ヨミ</t></rPh></si>'
        )
    return f"<si><t>{escape(text)}</t></si>"
