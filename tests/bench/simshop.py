"""A frozen simulated shop in its own process, so a benchmark measures only the daemon side.

``python -m tests.bench.simshop ORDERS`` prints the URL on its first line, then serves until
killed. The clock stands still and the query budget is unlimited.
"""

from __future__ import annotations

import asyncio
import sys

from daemon.simulator.app import create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from tests.tui.seed import T0


async def main(orders: int) -> None:
    shop = Shop(seed=5, orders=orders, now=T0)
    app = create_app(shop, clock=VirtualClock(T0), bucket=Bucket(maximum=1e12, restore_rate=1e12))
    server = await serve(app)
    print(server.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
