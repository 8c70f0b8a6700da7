from __future__ import annotations

import pytest

from sync.carriers import (
    CARRIERS,
    carrier,
    carrier_by_aftership,
    carrier_by_kuaidi100,
    carrier_by_track17,
    normalize_carrier,
    suggest_carrier,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SF Express", "sf"),
        ("sf-express", "sf"),
        ("顺丰速运", "sf"),
        ("中通快递", "zto"),
        ("圆通", "yto"),
        ("申通快递", "sto"),
        ("韵达速递", "yunda"),
        ("京东物流", "jd"),
        ("China EMS", "ems"),
        ("中国邮政", "china_post"),
        ("菜鸟", "cainiao"),
        ("DHL Express", "dhl"),
        ("FedEx", "fedex"),
        ("UPS", "ups"),
        ("usps", "usps"),
    ],
)
def test_names_shops_write_map_to_codes(text: str, code: str) -> None:
    assert normalize_carrier(text) == code


def test_case_and_spacing_do_not_matter() -> None:
    assert normalize_carrier("  s.f. EXPRESS ") == "sf"


def test_a_longer_name_containing_a_known_one_is_found() -> None:
    assert normalize_carrier("顺丰速运(CN)") == "sf"
    assert normalize_carrier("DHL Parcel UK") == "dhl"


def test_the_longest_contained_name_wins() -> None:
    assert normalize_carrier("邮政EMS快递") == "ems"


def test_a_short_code_inside_another_word_is_not_a_match() -> None:
    assert normalize_carrier("Costco Logistics") == ""


def test_an_unknown_carrier_is_empty() -> None:
    assert normalize_carrier("Pigeon Post Worldwide") == ""
    assert normalize_carrier("") == ""


def test_17tracks_numbers_are_understood() -> None:
    assert normalize_carrier("100002") == "ups"
    assert carrier_by_track17(3011) == carrier("china_post")


def test_carrier_gives_every_vendors_name() -> None:
    sf = carrier("sf")
    assert sf is not None
    assert (sf.name, sf.aftership, sf.kuaidi100) == ("SF Express", "sf-express", "shunfeng")


def test_an_unknown_code_has_no_carrier() -> None:
    assert carrier("pigeon") is None


def test_codes_and_17track_numbers_are_unique() -> None:
    codes = [row.code for row in CARRIERS]
    numbers = [row.track17 for row in CARRIERS if row.track17]
    assert len(codes) == len(set(codes)) >= 13
    assert len(numbers) == len(set(numbers))


def test_every_code_normalizes_to_itself() -> None:
    assert all(normalize_carrier(row.code) == row.code for row in CARRIERS)


@pytest.mark.parametrize(
    ("slug", "code"),
    [("sf-express", "sf"), ("china-ems", "ems"), ("fedex", "fedex"), ("yunexpress", "yunexpress")],
)
def test_aftership_slugs_are_understood(slug: str, code: str) -> None:
    row = carrier_by_aftership(slug)
    assert row is not None and row.code == code


@pytest.mark.parametrize(
    ("com", "code"),
    [
        ("shunfeng", "sf"),
        ("zhongtong", "zto"),
        ("yuantong", "yto"),
        ("shentong", "sto"),
        ("youzhengguonei", "china_post"),
        ("jtexpress", "jtexpress"),
        ("debangwuliu", "deppon"),
    ],
)
def test_kuaidi100_company_codes_are_understood(com: str, code: str) -> None:
    row = carrier_by_kuaidi100(com)
    assert row is not None and row.code == code


def test_vendor_codes_that_are_not_in_the_table_find_nothing() -> None:
    assert carrier_by_aftership("pigeon-post") is None
    assert carrier_by_kuaidi100("pigeon") is None


def test_every_vendors_code_is_unique() -> None:
    for vendor in ("aftership", "kuaidi100"):
        values = [getattr(row, vendor) for row in CARRIERS if getattr(row, vendor)]
        assert len(values) == len(set(values)), vendor


def test_the_common_chinese_couriers_have_every_vendors_code() -> None:
    for code in ("sf", "zto", "yto", "sto", "ems", "china_post"):
        row = carrier(code)
        assert row is not None and row.track17 and row.aftership and row.kuaidi100, code


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("SF1402236517810", "sf"),
        ("JDVA12345678901", "jd"),
        ("YT9693083639795", "yto"),
        ("YT2012345678901234", "yunexpress"),
        ("JT0001234567890", "jtexpress"),
        ("1Z4A7E860312345678", "ups"),
        ("EA123456789CN", "ems"),
        ("RR123456789CN", "china_post"),
        ("LP00123456789012", "cainiao"),
        ("9400111899223397623910", "usps"),
        ("3950055201640", "yunda"),
        ("1Z 4A7E 8603 1234 5678", "ups"),
    ],
)
def test_a_tracking_numbers_shape_suggests_its_carrier(number: str, code: str) -> None:
    assert suggest_carrier(number) == code


def test_a_number_of_no_known_shape_suggests_nothing() -> None:
    assert suggest_carrier("hello") == ""
    assert suggest_carrier("") == ""
