"""A shop with two customers behind the tracking page, served on loopback, for the page's tests.

Every response any test receives through :func:`open_site` is checked for the customers'
unmasked personal data, so no test can pass while leaking it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from daemon.http.app import HttpContext, create_app
from daemon.http.limits import PageLimits
from daemon.http.tracking_page import PageSettings, routes_for
from daemon.simulator.server import serve
from sync.clock import VirtualClock
from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    Lifecycle,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
    ShipmentStatus,
    TrackRecord,
)
from sync.links import issue
from sync.store import Store
from tests.conftest import T0

KEY = b"test-link-key-" + b"x" * 40
NOW = T0 + timedelta(days=2)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Personal data that must never leave the daemon unmasked, in any spelling a page could use.
SECRETS = (
    "王芳",
    "13800135678",
    "138 0013 5678",
    "00135678",
    "13912345678",
    "Emma Watson",
    "Watson",
    "WATSON",
    "4155550134",
    "555 0134",
    "Baker",
    "科技园",
    "example.com",
)


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@dataclass(frozen=True, slots=True)
class Shop:
    wang: int
    """王芳's order #1001: a parcel in transit with SF Express."""
    emma: int
    """Emma Watson's order #1002: a delivered UPS parcel."""


@dataclass
class Site:
    client: httpx.AsyncClient
    url: str
    store: Store
    clock: VirtualClock
    shop: Shop
    responses: list[httpx.Response] = field(default_factory=list)

    def link(self, order_id: int, ttl: timedelta = timedelta(days=7), key: bytes = KEY) -> str:
        return "/t/" + issue(key, order_id, self.clock.now(), ttl).token


def _order(n: int, **fields: object) -> OrderRecord:
    values: dict[str, object] = {
        "source": "shop",
        "external_id": f"o{n}",
        "number": f"#{1000 + n}",
        "updated_at": T0,
        "created_at": T0,
        "payment_status": PaymentStatus.PAID,
        "fulfillment_status": FulfillmentStatus.FULFILLED,
        "lifecycle": Lifecycle.OPEN,
        "paid_at": T0,
        "email": f"buyer{n}@example.com",
    }
    values.update(fields)
    return OrderRecord(**values)  # type: ignore[arg-type]


def _scan(hours: float, text: str, location: str = "") -> Checkpoint:
    at = T0 + timedelta(hours=hours)
    return Checkpoint(at=at, at_raw=at.isoformat(), description=text, location=location)


async def seed(store: Store) -> Shop:
    wang = _order(
        1,
        customer_name="王芳",
        phone="+86 138 0013 5678",
        address="广东省深圳市南山区科技园南路18号3栋1201",
        city="深圳市",
        province="广东省",
        country="CN",
        shipments=(ShipmentRecord("f1", "SF1234567890", "sf", shipped_at=T0),),
    )
    emma = _order(
        2,
        customer_name="Emma Watson",
        phone="+1 415 555 0134",
        address="221B Baker Street",
        city="London",
        country="GB",
        shipments=(ShipmentRecord("f2", "1Z999AA10123456784", "ups", shipped_at=T0),),
    )
    ids = await store.save_order_page("shop", "shopify", [wang, emma], "", T0)
    tracks = [
        TrackRecord(
            "17track",
            "SF1234567890",
            "sf",
            ShipmentStatus.IN_TRANSIT,
            "InTransit",
            checkpoints=(
                _scan(3, "快件已由顺丰速运揽收", "深圳市"),
                _scan(20, "快件到达【广州转运中心】", "广州市"),
                _scan(30, "快递员李师傅正在为您派件，电话13912345678，收件人王芳"),
            ),
            eta=T0 + timedelta(days=3),
        ),
        TrackRecord(
            "17track",
            "1Z999AA10123456784",
            "ups",
            ShipmentStatus.DELIVERED,
            "Delivered",
            checkpoints=(
                _scan(5, "Out for delivery", "London"),
                _scan(9, "Delivered, signed by E. WATSON, call +1 415 555 0134", "London"),
            ),
        ),
    ]
    shipment_ids = [s.id for i in ids for s in await store.shipments(i)]
    await store.save_tracks("17track", tracks, shipment_ids, NOW - timedelta(minutes=12))
    by_number = {(await store.order(i)).number: i for i in ids}  # type: ignore[union-attr]
    return Shop(wang=by_number["#1001"], emma=by_number["#1002"])


@asynccontextmanager
async def open_site(
    store: Store,
    *,
    limits: PageLimits | None = None,
    trusted_proxies: frozenset[str] = frozenset(),
    seeded: Shop | None = None,
    clock: VirtualClock | None = None,
) -> AsyncIterator[Site]:
    """The page's routes in the daemon's HTTP app, on a loopback port, over a seeded store.

    ``seeded`` (the shop an earlier site seeded) and ``clock`` serve the same shop again, as a
    restarted daemon does."""
    shop = seeded or await seed(store)
    clock = clock or VirtualClock(NOW)
    settings = PageSettings(
        key=KEY,
        zone=lambda: SHANGHAI,
        limits=limits or PageLimits(),
        trusted_proxies=trusted_proxies,
    )
    app = create_app(HttpContext(store, clock), receivers=(routes_for(settings),))
    server = await serve(app)
    responses: list[httpx.Response] = []

    async def check(response: httpx.Response) -> None:
        await response.aread()
        responses.append(response)
        found = leaks(response.text) + leaks(str(response.headers))
        assert not found, f"{response.request.url} leaked {found}"

    async with httpx.AsyncClient(
        base_url=server.url, event_hooks={"response": [check]}, timeout=10
    ) as client:
        try:
            yield Site(client, server.url, store, clock, shop, responses)
        finally:
            await server.stop()
