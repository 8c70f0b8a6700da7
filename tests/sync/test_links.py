"""Signed tracking-page links: issue, verify, and what tampering does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sync.links import DEFAULT_TTL, LinkStatus, issue, lookup_url, page_url, token_id, verify
from tests.conftest import T0

KEY = b"k" * 64
OTHER_KEY = b"o" * 64


def test_a_fresh_link_verifies_for_its_order() -> None:
    link = issue(KEY, 42, T0)
    verdict = verify(KEY, link.token, T0 + timedelta(days=6))
    assert verdict.status is LinkStatus.VALID
    assert verdict.order_id == 42
    assert verdict.expires_at == T0 + DEFAULT_TTL


def test_a_link_expires_after_its_lifetime() -> None:
    link = issue(KEY, 42, T0, timedelta(hours=2))
    verdict = verify(KEY, link.token, T0 + timedelta(hours=2))
    assert verdict.status is LinkStatus.EXPIRED
    assert verdict.order_id == 42


def test_every_one_character_change_is_refused() -> None:
    token = issue(KEY, 1234, T0).token
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_."
    for index, original in enumerate(token):
        for replacement in alphabet:
            if replacement == original:
                continue
            tampered = token[:index] + replacement + token[index + 1 :]
            assert verify(KEY, tampered, T0).status is LinkStatus.INVALID, tampered


def test_a_leading_zero_does_not_make_a_second_valid_token() -> None:
    token = issue(KEY, 1234, T0).token
    assert verify(KEY, "0" + token, T0).status is LinkStatus.INVALID


def test_a_link_signed_under_another_key_is_invalid_and_names_no_order() -> None:
    verdict = verify(OTHER_KEY, issue(KEY, 7, T0).token, T0)
    assert verdict.status is LinkStatus.INVALID
    assert verdict.order_id is None


def test_garbage_is_invalid() -> None:
    for token in ("", "abc", "a.b.c", "1.2." + "A" * 23, "<script>", "1" * 5000):
        assert verify(KEY, token, T0).status is LinkStatus.INVALID


def test_the_token_id_is_a_digest_not_the_token() -> None:
    link = issue(KEY, 7, T0)
    assert link.token_id == token_id(link.token)
    assert len(link.token_id) == 12
    assert link.token_id not in link.token


def test_a_token_is_short_enough_for_an_sms() -> None:
    assert len(issue(KEY, 10_000_000, T0).token) <= 40


def test_urls_join_the_public_address() -> None:
    assert page_url("https://shop.example/", "a.b.c") == "https://shop.example/t/a.b.c"
    assert lookup_url("https://shop.example") == "https://shop.example/track"


def test_lifetimes_outside_the_allowed_range_are_refused() -> None:
    with pytest.raises(ValueError):
        issue(KEY, 1, T0, timedelta())
    with pytest.raises(ValueError):
        issue(KEY, 1, T0, timedelta(days=400))
