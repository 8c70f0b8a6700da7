"""The customer tracking page over real HTTP: valid, expired, tampered, foreign and unknown links.

Every response is checked for unmasked personal data by :mod:`tests.daemon.http.tracking_site`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from sync.store import Store
from tests.daemon.http.tracking_site import Site, leaks, open_site

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
async def site(store: Store) -> AsyncIterator[Site]:
    async with open_site(store) as opened:
        yield opened


def tamper(path: str, index: int) -> str:
    swapped = "B" if path[index] != "B" else "C"
    return path[:index] + swapped + path[index + 1 :]


async def test_a_valid_link_shows_the_order_masked_in_chinese(site: Site) -> None:
    response = await site.client.get(site.link(site.shop.wang), headers=ZH)
    assert response.status_code == 200
    page = response.text
    assert '<html lang="zh">' in page
    assert 'data-field="stage">运输中<' in page
    assert 'data-field="name">王*<' in page
    assert 'data-field="phone">138****5678<' in page
    assert 'data-field="place">广东省深圳市南山区<' in page
    assert 'data-field="courier">顺丰速运<' in page
    assert 'data-field="tracking-number">SF1234567890<' in page
    assert "电话139****5678" in page  # the courier's mobile, masked too


async def test_checkpoints_are_in_the_shops_zone_newest_first(site: Site) -> None:
    page = (await site.client.get(site.link(site.shop.wang), headers=ZH)).text
    # T0 is 08:00 UTC on Fri 20 Nov 2026: scans at +3 h, +20 h and +30 h, in Asia/Shanghai.
    first, second, third = (page.index(t) for t in ("21日 周六 22:00", "21日 周六 12:00", "19:00"))
    assert first < second < third
    assert "时间为 Asia/Shanghai 时间" in page
    assert 'data-field="eta">11月23日 周一<' in page
    assert "12 分钟前已向快递查询" in page


async def test_the_progress_strip_marks_the_steps_done(site: Site) -> None:
    page = (await site.client.get(site.link(site.shop.wang), headers=EN)).text
    assert '<li class="done">Paid</li>' in page
    assert '<li class="done">Shipped</li>' in page
    assert '<li class="done current" aria-current="step">In transit</li>' in page
    assert '<li class="">Delivered</li>' in page


async def test_a_latin_name_keeps_the_given_name_and_an_initial(site: Site) -> None:
    page = (await site.client.get(site.link(site.shop.emma), headers=EN)).text
    assert 'data-field="stage">Delivered<' in page
    assert 'data-field="name">Emma W.<' in page
    assert 'data-field="phone">****0134<' in page
    assert 'data-field="place">London, GB<' in page
    assert "signed by E. W., call ****0134" in page


async def test_the_browser_language_picks_the_page_and_the_switch_overrides_it(
    site: Site,
) -> None:
    link = site.link(site.shop.wang)
    chinese = (await site.client.get(link, headers=ZH)).text
    assert 'href="?lang=en"' in chinese
    english = (await site.client.get(link + "?lang=en", headers=ZH)).text
    assert '<html lang="en">' in english
    assert "On its way" in english
    assert 'href="?lang=zh"' in english


async def test_refused_links_all_get_the_same_plain_page(site: Site) -> None:
    genuine = site.link(site.shop.wang)
    expired = site.link(site.shop.wang, ttl=timedelta(hours=1))
    site.clock.advance(timedelta(hours=2))
    refused = {
        "expired": expired,
        "tampered": tamper(genuine, len(genuine) - 5),
        "wrong key": site.link(site.shop.wang, key=b"another-shop-key-" + b"y" * 40),
        "unknown order": site.link(987_654),
        "garbage": "/t/not-a-token",
    }
    answers = {name: await site.client.get(path, headers=EN) for name, path in refused.items()}
    bodies = {r.content for r in answers.values()}
    assert {r.status_code for r in answers.values()} == {404}
    assert len(bodies) == 1
    (body,) = bodies
    assert b"This link does not work" in body
    assert b"1001" not in body and b"SF1234567890" not in body
    assert (await site.client.get(genuine, headers=EN)).status_code == 200


async def test_each_character_of_a_token_matters(site: Site) -> None:
    genuine = site.link(site.shop.wang)
    start = len("/t/")
    for index in range(start, len(genuine), 4):
        if genuine[index] == ".":
            continue
        response = await site.client.get(tamper(genuine, index))
        assert response.status_code == 404, tamper(genuine, index)
        site.clock.advance(timedelta(hours=1))  # stay clear of the failure throttle


async def test_pages_are_private_and_not_cached(site: Site) -> None:
    response = await site.client.get(site.link(site.shop.wang))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<script" not in response.text


async def test_every_view_and_refusal_is_audited(site: Site) -> None:
    link = site.link(site.shop.wang)
    await site.client.get(link, headers={"User-Agent": "PhoneBrowser/1.0"})
    await site.client.get(link, headers={"User-Agent": "PhoneBrowser/1.0"})
    await site.client.get("/t/forged.token.here", headers={"User-Agent": "Guesser/0.1"})
    views = await site.store.page_accesses(site.shop.wang)
    assert [(v.outcome, v.ip, v.user_agent) for v in views] == [
        ("viewed", "127.0.0.1", "PhoneBrowser/1.0")
    ] * 2
    refused = await site.store.page_accesses_from("127.0.0.1", site.clock.now())
    assert [r.outcome for r in refused][-1] == "invalid"
    timeline = [e for e in await site.store.events(site.shop.wang) if e.actor == "customer"]
    assert [(e.kind, e.to_value) for e in timeline] == [("customer_viewed_tracking_page", "1×")]


async def test_views_arriving_together_are_each_audited(site: Site) -> None:
    links = [site.link(site.shop.wang), site.link(site.shop.emma)] * 6
    answers = await asyncio.gather(*(site.client.get(link) for link in links))
    assert [a.status_code for a in answers] == [200] * 12
    for order_id in (site.shop.wang, site.shop.emma):
        assert [a.outcome for a in await site.store.page_accesses(order_id)] == ["viewed"] * 6
        timeline = [e for e in await site.store.events(order_id) if e.actor == "customer"]
        assert [e.to_value for e in timeline] == ["1×"]


async def test_text_from_couriers_is_escaped(site: Site, store: Store) -> None:
    await store.db.conn.execute(
        "UPDATE checkpoints SET description = '<script>alert(1)</script>' WHERE location = '广州市'"
    )
    page = (await site.client.get(site.link(site.shop.wang), headers=ZH)).text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_leak_check_itself_finds_a_leak() -> None:
    assert leaks("王芳 13800135678") == ["王芳", "13800135678", "00135678"]
