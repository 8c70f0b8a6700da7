"""Encodings and delimiters of text exports."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from sync.csvimport.decode import detect_encoding, sniff_delimiter
from sync.csvimport.table import read_table
from sync.errors import PayloadError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
TAOBAO = (FIXTURES / "taobao_orders.csv").read_text(encoding="utf-8")


def _first_row(data: bytes) -> tuple[tuple[str, ...], list[str]]:
    table = read_table(data)
    _line, cells = next(table.rows())
    return table.header, cells


def test_plain_utf8_is_read_as_utf8() -> None:
    assert detect_encoding(TAOBAO.encode("utf-8")) == "utf-8"


def test_a_utf8_bom_is_dropped_from_the_first_header() -> None:
    data = codecs.BOM_UTF8 + TAOBAO.encode("utf-8")
    header, _ = _first_row(data)
    assert detect_encoding(data) == "utf-8-sig"
    assert header[0] == "订单编号"


def test_gbk_is_detected() -> None:
    header, cells = _first_row(TAOBAO.encode("gbk"))
    assert detect_encoding(TAOBAO.encode("gbk")) == "gb18030"
    assert header[10] == "订单状态"
    assert cells[10] == "买家已付款，等待卖家发货"


def test_gb18030_reads_characters_gbk_lacks() -> None:
    text = "订单编号,收货人姓名,订单状态\n1001,𠮷野家,交易成功\n"
    _header, cells = _first_row(text.encode("gb18030"))
    assert cells[1] == "𠮷野家"


def test_utf16_text_exports_are_read_tab_separated() -> None:
    text = "订单编号\t订单状态\r\n1001\t交易成功\r\n"
    header, cells = _first_row(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert header == ("订单编号", "订单状态")
    assert cells == ["1001", "交易成功"]


def test_the_delimiter_is_the_one_outside_quotes() -> None:
    assert sniff_delimiter('"a,b";c;d\n') == ";"
    assert sniff_delimiter("a\tb\tc\n") == "\t"
    assert sniff_delimiter("single\n") == ","


def test_spreadsheet_text_guards_are_removed_from_cells() -> None:
    _header, cells = _first_row(TAOBAO.encode("utf-8"))
    assert cells[0] == "3871204419020561234"  # written as ="…" to keep the digits
    assert cells[16] == "13800135678"  # written with a leading apostrophe


def test_a_quoted_cell_may_span_lines_and_rows_keep_their_first_line() -> None:
    text = '订单编号,买家留言\n1001,"两行\n留言"\n1002,无\n'
    lines = [line for line, _ in read_table(text.encode()).rows()]
    assert lines == [2, 4]


def test_blank_lines_are_not_rows() -> None:
    table = read_table("订单编号,订单状态\n\n1001,交易成功\n,\n".encode())
    assert table.total == 1


def test_an_empty_file_is_a_readable_error() -> None:
    with pytest.raises(PayloadError, match="empty"):
        read_table(b"")


def test_binary_junk_is_refused() -> None:
    with pytest.raises(PayloadError):
        read_table(bytes(range(256)) * 4)
