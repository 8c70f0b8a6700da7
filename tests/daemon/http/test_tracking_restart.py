"""The tracking page's limits survive a restart: a new page process on the same database file.

Each "restart" closes the store and the server and opens both again on the same file, with the
clock where it was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from daemon.http.limits import PageLimits, Rate
from sync.clock import VirtualClock
from sync.store import Store
from tests.daemon.http.tracking_site import NOW, Shop, Site, open_site

MINUTE = timedelta(minutes=1)
LIMITS = PageLimits(
    per_link=Rate(6, MINUTE, burst=3),
    failures_allowed=2,
    first_block=MINUTE,
    longest_block=timedelta(hours=1),
)


@asynccontextmanager
async def page(
    path: Path, clock: VirtualClock, shop: Shop | None = None, limits: PageLimits = LIMITS
) -> AsyncIterator[Site]:
    store = await Store.open(path)
    proxies = frozenset({"127.0.0.1"})
    try:
        async with open_site(
            store, limits=limits, seeded=shop, clock=clock, trusted_proxies=proxies
        ) as site:
            yield site
    finally:
        await store.close()


async def codes(site: Site, path: str, times: int) -> list[int]:
    return [(await site.client.get(path)).status_code for _ in range(times)]


async def test_an_address_shut_out_stays_shut_out_after_a_restart(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    db = tmp_path / "orderwatch.db"
    async with page(db, clock) as site:
        shop, good = site.shop, site.link(site.shop.wang)
        assert await codes(site, "/t/1.2.guess", 3) == [404] * 3
        assert await codes(site, good, 1) == [429]
    clock.advance(timedelta(seconds=20))
    async with page(db, clock, shop) as site:
        response = await site.client.get(good)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "40"
        clock.advance(timedelta(seconds=40))
        assert await codes(site, good, 1) == [200]


async def test_the_next_block_after_a_restart_is_still_the_longer_one(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    db = tmp_path / "orderwatch.db"
    async with page(db, clock) as site:
        shop, good = site.shop, site.link(site.shop.wang)
        assert await codes(site, "/t/1.2.guess", 3) == [404] * 3
    clock.advance(MINUTE)
    async with page(db, clock, shop) as site:
        assert await codes(site, "/t/1.3.guess", 1) == [404]
        response = await site.client.get(good)
        assert response.headers["retry-after"] == "120"


async def test_a_links_count_within_its_window_survives_a_restart(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    db = tmp_path / "orderwatch.db"
    async with page(db, clock) as site:
        shop, link = site.shop, site.link(site.shop.wang)
        assert await codes(site, link, 3) == [200] * 3
    async with page(db, clock, shop) as site:
        assert await codes(site, link, 1) == [429]
        assert await codes(site, site.link(shop.emma), 1) == [200]
        clock.advance(timedelta(seconds=10))
        assert await codes(site, link, 2) == [200, 429]


async def test_limits_that_ran_out_are_not_brought_back(tmp_path: Path) -> None:
    clock = VirtualClock(NOW)
    db = tmp_path / "orderwatch.db"
    async with page(db, clock) as site:
        shop, link = site.shop, site.link(site.shop.wang)
        assert await codes(site, link, 3) == [200] * 3
        assert await codes(site, "/t/1.2.guess", 3) == [404] * 3
    clock.advance(timedelta(hours=3))
    async with page(db, clock, shop) as site:
        assert await codes(site, link, 3) == [200] * 3
        assert not await site.store.page_limits(clock.now().timestamp() + 3600)


async def test_an_order_locked_against_guessing_stays_locked_after_a_restart(
    tmp_path: Path,
) -> None:
    limits = PageLimits(lookup_failures_per_order=3, order_lock=timedelta(days=1))
    clock = VirtualClock(NOW)
    db = tmp_path / "orderwatch.db"

    async def look_up(site: Site, digits: str, ip: str) -> int:
        form = {"number": "1001", "digits": digits}
        response = await site.client.post("/track", data=form, headers={"X-Forwarded-For": ip})
        return response.status_code

    async with page(db, clock, limits=limits) as site:
        shop = site.shop
        assert [await look_up(site, f"{n:04d}", f"10.0.0.{n}") for n in range(4)] == [200] * 4
    async with page(db, clock, shop, limits) as site:
        assert await look_up(site, "5678", "10.0.1.1") == 200  # the right digits, still locked
        clock.advance(timedelta(days=1))
        assert await look_up(site, "5678", "10.0.1.1") == 303
