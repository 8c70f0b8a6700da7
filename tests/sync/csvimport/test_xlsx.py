"""XLSX exports read with the standard library."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from sync.csvimport.table import read_table
from sync.csvimport.xlsx import Workbook, column_index, is_date_format, serial_to_text
from sync.errors import PayloadError
from tests.sync.csvimport.workbook import write_xlsx

HEADER = ["订单号", "订单状态", "下单时间", "订购数量", "客户姓名"]


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    book = Workbook(str(path))
    try:
        return list(book.rows())
    finally:
        book.close()


def test_shared_strings_numbers_and_dates_come_back_as_text(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "jd.xlsx",
        [HEADER, ["305511226481", "等待出库", datetime(2026, 11, 20, 8, 15, 23), 2, "周杰"]],
    )
    rows = _rows(path)
    assert rows[0] == (1, HEADER)
    assert rows[1] == (2, ["305511226481", "等待出库", "2026-11-20 08:15:23", "2", "周杰"])


def test_inline_strings_are_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "inline.xlsx", [HEADER[:2], ["1001", "完成"]], inline=True)
    assert _rows(path)[1][1] == ["1001", "完成"]


def test_rich_text_runs_are_joined_without_phonetic_hints(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "rich.xlsx", [["订单号", "客户姓名"], ["1001", "欧阳娜娜"]], rich=True
    )
    assert _rows(path)[1][1] == ["1001", "欧阳娜娜"]


def test_skipped_cells_keep_their_columns(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "gaps.xlsx", [HEADER, ["1001", None, None, 1, "周杰"]])
    assert _rows(path)[1][1] == ["1001", "", "", "1", "周杰"]


def test_the_1904_date_system_is_honoured(tmp_path: Path) -> None:
    when = datetime(2026, 11, 20, 8, 0, 0)
    path = write_xlsx(tmp_path / "mac.xlsx", [["订单号", "下单时间"], ["1", when]], date1904=True)
    assert _rows(path)[1][1][1] == "2026-11-20 08:00:00"


def test_a_workbook_is_a_table_like_a_csv(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "t.xlsx", [HEADER, ["1", "完成", None, 1, "a"], [], ["2"]])
    table = read_table(path.read_bytes())
    assert (table.format, table.header, table.total) == ("xlsx", tuple(HEADER), 2)
    assert [line for line, _ in table.rows()] == [2, 4]


def test_a_broken_workbook_is_a_readable_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook")
    with pytest.raises(PayloadError, match="XLSX"):
        read_table(path.read_bytes())


def test_date_formats_are_told_from_number_formats() -> None:
    assert is_date_format(14, "")
    assert is_date_format(176, "yyyy/m/d h:mm")
    assert is_date_format(177, "[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy")
    assert not is_date_format(0, "General")
    assert not is_date_format(178, '"¥"#,##0.00')


def test_serials_and_references() -> None:
    assert serial_to_text(46346.34375) == "2026-11-20 08:15:00"
    assert column_index("A1") == 0
    assert column_index("AB7") == 27
