"""What the full-text index holds of a name and a phone (:mod:`sync.store.search`)."""

from __future__ import annotations

import pytest

from sync.store.search import index_values, phone_terms, spread_cjk


@pytest.mark.parametrize(
    ("name", "indexed"),
    [
        ("王芳", "王 芳"),
        ("欧阳娜娜", "欧 阳 娜 娜"),
        ("王 Fang", "王 Fang"),
        ("Li王芳Wang", "Li 王 芳 Wang"),
        ("李\u3000娜", "李 娜"),
        ("  John \t Smith\n", "John Smith"),
        ("Zoë  Müller", "Zoë Müller"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_chinese_characters_are_indexed_one_by_one_and_spaces_collapsed(
    name: str, indexed: str
) -> None:
    assert spread_cjk(name) == indexed


@pytest.mark.parametrize(
    ("phone", "indexed"),
    [
        ("+8613812345678", "8613812345678 13812345678 3812345678 5678"),
        ("+86 138-1234-5678", "8613812345678 13812345678 3812345678 5678"),
        ("13812345678", "13812345678 3812345678 5678"),
        ("+1 (415) 555-0100", "14155550100 4155550100 0100"),
        ("4155550100", "4155550100 0100"),
        ("55501", "55501 5501"),
        ("5550", "5550"),
        ("+123", ""),
        ("123", ""),
        ("+", ""),
        ("", ""),
        ("n/a", ""),
        ("++8613812345678", "8613812345678 13812345678 3812345678 5678"),
    ],
)
def test_a_phone_is_indexed_whole_without_country_code_and_by_its_last_four(
    phone: str, indexed: str
) -> None:
    assert phone_terms(phone) == indexed


def test_an_orders_terms() -> None:
    assert index_values("#1001", "王芳", "+8613812345678", "a@b.cn", ["SF1", "YT2"]) == (
        "1001",
        "王 芳",
        "8613812345678 13812345678 3812345678 5678",
        "a@b.cn",
        "SF1 YT2",
    )
