"""A frozen simulated shop in its own process, so a benchmark measures only the daemon side.

``python -m tests.bench.simshop ORDERS`` prints the URL on its first line, then serves until
killed. The clock stands still and the query budget is unlimited. Before it listens, it draws
every order of a first sync as the GraphQL source asks for them and keeps their JSON, as a real
shop's database would simply hold its orders: a page of any size the source asks for is then a
slice of them, and the benchmark waits on the shop only for the HTTP exchange.

The shop prices queries by the ``current`` model, as live shops do today: a Shopify community
thread ("Unexpectedly Low GraphQL Query Cost in Shopify Admin API") shows a nested-connection
query the published rule puts at 503 points answered with ``requestedQueryCost`` 25. So the
source grows its pages from 13 orders to 250 here, as it would against a real shop.
"""

from __future__ import annotations

import asyncio
import sys

from daemon.simulator.app import create_app
from daemon.simulator.server import serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.simulator.shopify_cost import CostModel
from sync.clock import VirtualClock
from sync.connectors.shopify_query import MOST_ORDERS, ORDERS_QUERY
from tests.tui.seed import T0


async def main(orders: int) -> None:
    shop = Shop(seed=5, orders=orders, now=T0)
    app = create_app(shop, clock=VirtualClock(T0), bucket=Bucket(maximum=1e12, restore_rate=1e12))
    app.state.shopify.cost_model = CostModel.CURRENT
    app.state.shopify.prerender(MOST_ORDERS, ORDERS_QUERY)
    server = await serve(app)
    print(server.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
