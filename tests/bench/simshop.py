"""A frozen simulated shop in its own process, so a benchmark measures only the daemon side.

``python -m tests.bench.simshop ORDERS [PAGE]`` prints the URL on its first line, then serves
until killed. The clock stands still and the query budget is unlimited. Before it listens, it
draws every page of a first sync as the GraphQL source asks for it (``PAGE`` orders each,
default the most one query may cost, 13) and keeps their JSON, as a real shop's database would
simply hold its orders: the benchmark then waits on the shop only for the HTTP exchange.
"""

from __future__ import annotations

import asyncio
import sys

from daemon.simulator.app import create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from sync.clock import VirtualClock
from sync.connectors.shopify_query import LARGEST_PAGE, ORDERS_QUERY
from tests.tui.seed import T0


async def main(orders: int, page: int) -> None:
    shop = Shop(seed=5, orders=orders, now=T0)
    app = create_app(shop, clock=VirtualClock(T0), bucket=Bucket(maximum=1e12, restore_rate=1e12))
    app.state.shopify.prerender(page, ORDERS_QUERY)
    server = await serve(app)
    print(server.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else LARGEST_PAGE))
