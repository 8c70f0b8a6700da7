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
async def page(path: Path, clock: VirtualClock, shop: Shop | None = None) -> AsyncIterator[Site]:
    store = await Store.open(path)
    try:
        async with open_site(store, limits=LIMITS, seeded=shop, clock=clock) as site:
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
