"""Masking personal data for the public page."""

from __future__ import annotations

from daemon.http.masking import mask_name, mask_phone, mask_place, scrub


def test_a_chinese_name_keeps_its_first_character() -> None:
    assert mask_name("王芳") == "王*"
    assert mask_name("欧阳娜娜") == "欧*"


def test_a_latin_name_keeps_the_given_name_and_an_initial() -> None:
    assert mask_name("Emma  Watson") == "Emma W."
    assert mask_name("Jean-Luc de la Croix") == "Jean-Luc C."
    assert mask_name("Cher") == "C."
    assert mask_name("") == ""


def test_a_chinese_mobile_keeps_three_and_four_digits() -> None:
    for written in ("13800135678", "+86 138 0013 5678", "+86-138-0013-5678", "8613800135678"):
        assert mask_phone(written) == "138****5678"


def test_other_numbers_keep_only_their_last_four_digits() -> None:
    assert mask_phone("+1 415 555 0134") == "****0134"
    assert mask_phone("+44 20 7946 0958") == "****0958"
    assert mask_phone("0755-86001234") == "****1234"
    assert mask_phone("123") == "****"
    assert mask_phone("") == ""


def test_a_chinese_address_stops_at_the_district() -> None:
    place = mask_place("广东省深圳市南山区科技园南路18号", "深圳市", "广东省", "CN")
    assert place == "广东省深圳市南山区"
    assert mask_place("朝阳区建国路88号", "北京市", "北京市", "CN") == "北京市朝阳区"
    assert mask_place("建国路88号", "北京市", "北京", "CN") == "北京北京市"


def test_a_western_address_stops_at_the_city() -> None:
    assert mask_place("221B Baker Street", "London", "", "GB") == "London, GB"
    assert mask_place("1 Main St", "Austin", "TX", "US") == "Austin, TX, US"


def test_courier_texts_lose_phones_and_the_customers_name() -> None:
    text = "派件员：李师傅 电话：139-1234-5678，收件人王芳，座机0755-86001234"
    assert scrub(text, ["王芳"]) == "派件员：李师傅 电话：139****5678，收件人王*，座机****1234"
    signed = scrub("Delivered, signed by EMMA WATSON (watson)", ["Emma Watson"])
    assert signed == "Delivered, signed by Emma W. (W.)"


def test_the_customers_own_number_is_masked_in_any_spelling() -> None:
    assert scrub("call 4155550134", phones=["+1 415 555 0134"]) == "call ****0134"


def test_dates_and_tracking_numbers_are_left_alone() -> None:
    assert scrub("2026-11-20 arrived at hub SF1234567890") == (
        "2026-11-20 arrived at hub SF1234567890"
    )
