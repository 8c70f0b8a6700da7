"""The look-up form: order number + last four phone digits → the same page, guarded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from daemon.http.limits import PageLimits, Rate
from sync.store import Store
from tests.daemon.http.tracking_site import Site, open_site

EN = {"Accept-Language": "en"}


@pytest.fixture
async def site(store: Store) -> AsyncIterator[Site]:
    async with open_site(store) as opened:
        yield opened


async def look_up(site: Site, number: str, digits: str, **headers: str) -> tuple[int, str, str]:
    response = await site.client.post(
        "/track", data={"number": number, "digits": digits, "lang": "en"}, headers=headers
    )
    return response.status_code, response.headers.get("location", ""), response.text


async def test_the_form_asks_for_the_number_and_four_digits(site: Site) -> None:
    response = await site.client.get("/track", headers=EN)
    assert response.status_code == 200
    assert 'name="number"' in response.text
    assert 'pattern="[0-9]{4}"' in response.text
    assert "<script" not in response.text


async def test_a_match_leads_to_the_same_page_through_a_fresh_link(site: Site) -> None:
    status, location, _ = await look_up(site, "1001", "5678")
    assert status == 303
    assert location.startswith("t/") and location.endswith("?lang=en&via=lookup")
    page = await site.client.get("/" + location)
    assert page.status_code == 200
    assert 'data-field="phone">138****5678<' in page.text
    (access,) = await site.store.page_accesses(site.shop.wang)
    assert (access.outcome, access.via) == ("viewed", "lookup")


async def test_a_number_written_with_its_hash_also_matches(site: Site) -> None:
    status, _, _ = await look_up(site, "#1002", "0134")
    assert status == 303


async def test_wrong_digits_and_unknown_numbers_get_the_same_answer(site: Site) -> None:
    wrong = await look_up(site, "1001", "1234")
    assert wrong[0] == 200 and "No order matches" in wrong[2]
    assert await look_up(site, "1001", "0000") == wrong
    missing = await look_up(site, "9999", "1234")
    assert missing[2].replace("9999", "1001") == wrong[2]
    failures = await site.store.page_accesses(site.shop.wang)
    assert [(f.outcome, f.via) for f in failures] == [("lookup_failed", "lookup")] * 2


async def test_guessing_one_orders_digits_from_many_addresses_locks_it(store: Store) -> None:
    limits = PageLimits(lookup_failures_per_order=3, order_lock=timedelta(days=1))
    async with open_site(store, limits=limits, trusted_proxies=frozenset({"127.0.0.1"})) as site:
        for n in range(4):
            status, _, _ = await look_up(
                site, "1001", f"{n:04d}", **{"X-Forwarded-For": f"10.0.0.{n}"}
            )
            assert status == 200
        status, _, text = await look_up(site, "1001", "5678", **{"X-Forwarded-For": "10.0.1.1"})
        assert status == 200 and "No order matches" in text
        site.clock.advance(timedelta(days=1))
        status, _, _ = await look_up(site, "1001", "5678", **{"X-Forwarded-For": "10.0.1.1"})
        assert status == 303


async def test_look_ups_from_one_address_are_rate_limited(store: Store) -> None:
    limits = PageLimits(lookups_per_address=Rate(2, timedelta(minutes=10)))
    async with open_site(store, limits=limits) as site:
        assert (await look_up(site, "1001", "5678"))[0] == 303
        assert (await look_up(site, "1002", "0134"))[0] == 303
        response = await site.client.post("/track", data={"number": "1001", "digits": "5678"})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) == 300


async def test_an_oversized_form_is_refused(site: Site) -> None:
    response = await site.client.post("/track", content=b"number=" + b"1" * 5000)
    assert response.status_code == 413
