from __future__ import annotations

from sync.guards import customer_keys, normalize_email, normalize_phone
from sync.guards.keys import normalize_name


def test_a_chinese_mobile_with_and_without_country_code_is_one_phone() -> None:
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert normalize_phone("0086 13812345678", "CN") == "13812345678"
    assert normalize_phone("8613812345678", "CN") == "13812345678"
    assert normalize_phone("138 1234 5678", "CN") == "13812345678"


def test_full_width_digits_and_brackets_are_read_as_ascii() -> None:
    assert normalize_phone("（１３８）１２３４－５６７８", "CN") == "13812345678"
    assert normalize_phone("＋８６ １３８１２３４５６７８") == "13812345678"


def test_a_chinese_landline_keeps_its_area_code() -> None:
    assert normalize_phone("010-1234 5678", "CN") == normalize_phone("+86 10 1234 5678", "CN")


def test_other_countries_keep_an_international_form() -> None:
    assert normalize_phone("020 7946 0000", "GB") == "+442079460000"
    assert normalize_phone("+44 (0)20 7946 0000", "GB") != ""
    assert normalize_phone("(415) 555-0100", "US") == normalize_phone("+1 415 555 0100", "US")


def test_masked_or_short_phones_match_no_one() -> None:
    assert normalize_phone("138****5678", "CN") == ""
    assert normalize_phone("12345") == ""


def test_emails_are_compared_lower_cased_and_half_width() -> None:
    assert normalize_email(" Ada@Example.COM ") == "ada@example.com"
    assert normalize_email("ａｄａ＠example.com") == "ada@example.com"
    assert normalize_email("not an address") == ""


def test_chinese_names_ignore_spacing_and_width() -> None:
    assert normalize_name("张 三") == normalize_name("张三") == normalize_name(" 张　三 ")


def test_latin_names_ignore_case_order_and_width() -> None:
    assert normalize_name("Ada  LOVELACE") == normalize_name("Lovelace, Ada")
    assert normalize_name("Ａｄａ Lovelace") == normalize_name("ada lovelace")


def test_different_people_have_different_names() -> None:
    assert normalize_name("张三") != normalize_name("张四")
    assert normalize_name("Ada Lovelace") != normalize_name("Ada Byron")


def test_name_and_address_make_a_key_only_together() -> None:
    both = customer_keys(phone="", email="", name="张三", address="朝阳区建国路88号", city="北京")
    spaced = customer_keys(
        phone="", email="", name="张 三", address="朝阳区 建国路 ８８号", city="北京"
    )
    assert both == spaced and len(both) == 1
    assert customer_keys(phone="", email="", name="张三", address="") == ()


def test_an_order_is_matched_on_each_of_phone_email_and_name() -> None:
    keys = customer_keys(
        phone="+86 13812345678",
        email="Li@Example.cn",
        name="李四",
        address="浦东新区世纪大道100号",
        city="上海",
        country="CN",
    )
    assert [key[:2] for key in keys] == ["p:", "e:", "n:"]
    assert "p:13812345678" in keys and "e:li@example.cn" in keys
