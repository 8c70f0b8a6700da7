from __future__ import annotations

import pytest

from sync.carriers import CARRIERS, carrier, carrier_by_track17, normalize_carrier


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
    assert normalize_carrier("4PX Worldwide") == ""
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
