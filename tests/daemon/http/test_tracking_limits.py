"""The tracking page's abuse limits over real HTTP, on the daemon's (virtual) clock."""

from __future__ import annotations

from datetime import timedelta

from daemon.http.limits import PageLimits, Rate
from sync.store import Store
from tests.daemon.http.tracking_site import Site, open_site

MINUTE = timedelta(minutes=1)


async def hit(site: Site, path: str, times: int) -> list[int]:
    return [(await site.client.get(path)).status_code for _ in range(times)]


async def retry_after(site: Site, path: str) -> int:
    response = await site.client.get(path)
    assert response.status_code == 429
    return int(response.headers["retry-after"])


async def test_a_link_opened_too_often_is_limited_and_recovers(store: Store) -> None:
    limits = PageLimits(per_link=Rate(6, MINUTE, burst=3))
    async with open_site(store, limits=limits) as site:
        link = site.link(site.shop.wang)
        assert await hit(site, link, 3) == [200, 200, 200]
        wait = await retry_after(site, link)
        assert wait == 10  # one request per 10 s refills the bucket
        assert (await site.client.get(site.link(site.shop.emma))).status_code == 200
        site.clock.advance(timedelta(seconds=wait))
        assert await hit(site, link, 1) == [200]


async def test_an_address_sending_too_much_is_limited_and_recovers(store: Store) -> None:
    limits = PageLimits(per_address=Rate(4, MINUTE, burst=4))
    async with open_site(store, limits=limits) as site:
        links = [site.link(site.shop.wang), site.link(site.shop.emma)]
        assert await hit(site, links[0], 2) + await hit(site, links[1], 2) == [200] * 4
        wait = await retry_after(site, links[1])
        assert wait == 15
        assert "15" in (await site.client.get(links[0])).text
        site.clock.advance(timedelta(seconds=wait))
        assert await hit(site, links[1], 1) == [200]


async def test_repeated_failures_shut_the_address_out_longer_each_time(store: Store) -> None:
    limits = PageLimits(failures_allowed=3, first_block=MINUTE, longest_block=timedelta(hours=1))
    async with open_site(store, limits=limits) as site:
        good = site.link(site.shop.wang)
        assert await hit(site, "/t/1.2.guess", 3) == [404] * 3
        assert await hit(site, good, 1) == [200]
        assert await hit(site, "/t/1.2.guess", 1) == [404]  # the failure that earns a block
        assert await retry_after(site, good) == 60
        site.clock.advance(MINUTE)
        assert await hit(site, good, 1) == [200]
        assert await hit(site, "/t/1.3.guess", 1) == [404]
        assert await retry_after(site, good) == 120
        site.clock.advance(timedelta(minutes=2))
        assert await hit(site, good, 1) == [200]


async def test_a_flood_of_refusals_is_audited_once_per_stretch(store: Store) -> None:
    limits = PageLimits(per_link=Rate(60, MINUTE, burst=1))
    async with open_site(store, limits=limits) as site:
        link = site.link(site.shop.wang)
        assert await hit(site, link, 6) == [200] + [429] * 5
        rows = await site.store.page_accesses_from("127.0.0.1", site.clock.now())
        assert [r.outcome for r in rows] == ["viewed", "rate_limited"]
        site.clock.advance(timedelta(seconds=1))
        assert await hit(site, link, 2) == [200, 429]
        rows = await site.store.page_accesses_from("127.0.0.1", site.clock.now())
        assert [r.outcome for r in rows] == ["viewed", "rate_limited"]


async def test_the_real_address_behind_a_trusted_proxy_is_the_one_limited(
    store: Store,
) -> None:
    limits = PageLimits(per_address=Rate(2, MINUTE, burst=2))
    async with open_site(store, limits=limits, trusted_proxies=frozenset({"127.0.0.1"})) as site:
        link = site.link(site.shop.wang)
        first = {"X-Forwarded-For": "198.51.100.7"}
        second = {"X-Forwarded-For": "spoofed, 203.0.113.5"}
        codes = [(await site.client.get(link, headers=first)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert (await site.client.get(link, headers=second)).status_code == 200
        rows = await site.store.page_accesses(site.shop.wang)
        assert {r.ip for r in rows} == {"198.51.100.7", "203.0.113.5"}
