"""Databases for the console's tests: a small shop told in detail, and a big one in bulk.

The small shop goes through the store's own writes (orders, tracks, timers, an acknowledgement),
so its timelines are what the daemon would leave. The big one is bulk-inserted with raw SQL into
a database the store migrated, because 200,000 orders through the upserts would take minutes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
    ShipmentStatus,
    TimerState,
    TrackRecord,
)
from sync.store import Store, TimerDecision
from sync.store.db import to_db
from sync.store.search import index_values

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=6)
"""The frozen instant the console's tests run at."""
ZONE = ZoneInfo("Asia/Shanghai")

LONE_PHONE = "+86 150 2468 9753"
LONE_NAME = "欧阳娜娜"
SHARED_LAST_FOUR = "4321"


def order(n: int, **overrides: object) -> OrderRecord:
    created = overrides.pop("created_at", T0 - timedelta(minutes=37 * n))
    assert isinstance(created, datetime)
    fields: dict[str, object] = {
        "source": "shop",
        "external_id": f"gid://shopify/Order/{n}",
        "number": f"#{1000 + n}",
        "updated_at": created,
        "created_at": created,
        "payment_status": PaymentStatus.PAID,
        "fulfillment_status": FulfillmentStatus.UNFULFILLED,
        "lifecycle": Lifecycle.OPEN,
        "customer_name": "王芳",
        "phone": f"+86 138 0013 {5600 + n}",
        "email": f"buyer{n}@example.com",
        "address": "88 Century Avenue",
        "city": "Shanghai",
        "country": "CN",
        "paid_at": created,
        "total": "199.00",
        "currency": "CNY",
        "channel": "online",
        "line_items": (LineItem(external_id=f"li{n}", title="Tea set", quantity=1),),
        "raw": {"n": n},
    }
    fields.update(overrides)
    return OrderRecord(**fields)  # type: ignore[arg-type]


def shipped(n: int, tracking: str, carrier: str, **overrides: object) -> OrderRecord:
    created = T0 - timedelta(minutes=37 * n)
    parcel = ShipmentRecord(
        external_id=f"f{n}",
        tracking_number=tracking,
        carrier=carrier,
        shipped_at=created + timedelta(hours=2),
    )
    return order(
        n, shipments=(parcel,), fulfillment_status=FulfillmentStatus.FULFILLED, **overrides
    )


def small_orders() -> list[OrderRecord]:
    return [
        order(1, customer_name="王芳"),
        shipped(
            2,
            "SF1400000002",
            "sf",
            customer_name="Alice Martin",
            line_items=(LineItem("a", "Teapot", 1), LineItem("b", "Cups", 2)),
        ),
        shipped(3, "ZTO300000003", "zto", customer_name="李娜"),
        shipped(4, "SF1400000004", "sf", customer_name="Bob Chen", phone="+1 415 555 4321"),
        order(
            5,
            customer_name="Chloé Dubois",
            lifecycle=Lifecycle.CANCELLED,
            payment_status=PaymentStatus.REFUNDED,
            phone="+33 6 12 34 43 21",
        ),
        order(6, customer_name="张伟"),
        order(7, customer_name=LONE_NAME, phone=LONE_PHONE),
        order(8, customer_name="刘洋", payment_status=PaymentStatus.PENDING),
        order(9, customer_name="Dmitri Ivanov", fulfillment_status=FulfillmentStatus.ON_HOLD),
        order(10, customer_name="陈静"),
    ]


def _track(
    tracking: str, carrier: str, status: ShipmentStatus, scans: list[Checkpoint]
) -> TrackRecord:
    return TrackRecord(
        provider="17track",
        tracking_number=tracking,
        carrier=carrier,
        status=status,
        status_raw=str(status),
        checkpoints=tuple(scans),
    )


def small_tracks() -> list[TrackRecord]:
    return [
        _track(
            "SF1400000002",
            "sf",
            ShipmentStatus.IN_TRANSIT,
            [
                Checkpoint(T0 - timedelta(hours=1), "a", "Picked up by courier", "Shenzhen"),
                Checkpoint(T0 + timedelta(hours=2), "b", "Arrived at sorting hub", "Hangzhou"),
                Checkpoint(None, "2026-11-20 09:00", "Departed hub", "Hangzhou", zoneless=True),
            ],
        ),
        _track(
            "ZTO300000003",
            "zto",
            ShipmentStatus.EXCEPTION,
            [
                Checkpoint(T0 - timedelta(minutes=30), "c", "Address incomplete", "Beijing"),
            ],
        ),
        _track(
            "SF1400000004",
            "sf",
            ShipmentStatus.DELIVERED,
            [
                Checkpoint(
                    T0 + timedelta(hours=1), "d", "Delivered, signed by front desk", "Shanghai"
                ),
            ],
        ),
    ]


def _timer(
    order_id: int, rule: str, deadline: datetime, severity: str, summary: str
) -> TimerDecision:
    return TimerDecision(
        rule_id=rule,
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=deadline - timedelta(hours=4),
        deadline_at=deadline,
        warn_at=None,
        next_at=None,
        rules_version="v1",
        severity=severity,
        summary=summary,
    )


async def seed_small(path: Path) -> dict[str, int]:
    """The small shop; returns order ids by number."""
    store = await Store.open(path)
    try:
        await store.save_order_page("shop", "shopify", small_orders(), "c1", T0)
        by_number = {}
        for record in small_orders():
            saved = await store.order_by_number(record.number)
            assert saved is not None
            by_number[record.number] = saved.id
        shipments = []
        for number in ("#1002", "#1003", "#1004"):
            shipments += [s.id for s in await store.shipments(by_number[number])]
        await store.save_tracks("17track", small_tracks(), shipments, T0 + timedelta(hours=2))
        await store.save_timers(
            [
                _timer(
                    by_number["#1001"],
                    "paid_not_shipped",
                    T0 + timedelta(hours=4),
                    "critical",
                    "Paid 10h ago, not shipped",
                ),
                _timer(
                    by_number["#1003"],
                    "parcel_exception",
                    NOW + timedelta(minutes=65),
                    "warning",
                    "Courier reports an exception",
                ),
                _timer(
                    by_number["#1006"],
                    "paid_not_shipped",
                    T0 + timedelta(hours=5),
                    "critical",
                    "Paid 12h ago, not shipped",
                ),
            ],
            T0 + timedelta(hours=5),
        )
        for escalation in await store.escalations_for_order(by_number["#1006"]):
            await store.acknowledge(
                escalation.id, escalation.version, "alice", T0 + timedelta(hours=5, minutes=10)
            )
        return by_number
    finally:
        await store.close()


# ----- the big shop -----

_NAMES = (
    "王芳",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "Alice Martin",
    "Bob Chen",
    "Chloé Dubois",
    "Dmitri Ivanov",
    "Emma Wilson",
    "黄磊",
)
_PAYMENTS = ("paid", "paid", "paid", "pending", "refunded", "partially_refunded")
_CARRIERS = ("sf", "zto", "yto", "jd", "ems")
_PARCEL = ("in_transit", "in_transit", "delivered", "out_for_delivery", "exception")


def _big_rows(n: int) -> tuple[list[tuple[object, ...]], ...]:
    orders, parcels, search = [], [], []
    for i in range(1, n + 1):
        created = to_db(T0 - timedelta(minutes=3 * i))
        number = f"#{200000 + i}"
        name = _NAMES[i % len(_NAMES)]
        # Every bulk phone ends in 0, so a last four ending in another digit is unique.
        phone = f"+86 139 {i:07d}0"
        email = f"b{i}@example.com"
        fulfilled = i % 3 == 0
        lifecycle = "open" if i % 10 else "closed"
        orders.append(
            (
                i,
                "bulk",
                f"x{i}",
                number,
                _PAYMENTS[i % len(_PAYMENTS)],
                "fulfilled" if fulfilled else "unfulfilled",
                lifecycle,
                "CNY",
                "99.00",
                name,
                phone,
                email,
                created,
                created,
            )
        )
        tracking = ""
        if fulfilled:
            tracking = f"BK{i:010d}"
            parcels.append((i, i, "bulk", f"f{i}", _CARRIERS[i % 5], tracking, _PARCEL[i % 5]))
        search.append(
            (i, *index_values(number, name, phone, email, [tracking] if tracking else []))
        )
    return orders, parcels, search


def build_big(path: Path, n: int) -> dict[str, int]:
    """``n`` bulk orders plus the small shop on top; returns the small shop's ids by number."""

    async def migrate() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(migrate())
    orders, parcels, search = _big_rows(n)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA synchronous = OFF")
        with con:
            con.executemany(
                "INSERT INTO orders (id, source, external_id, number, payment_status, "
                "fulfillment_status, lifecycle, currency, total, customer_name, phone, email, "
                "created_at, updated_at, change_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                orders,
            )
            con.executemany(
                "INSERT INTO shipments (id, order_id, source, external_id, carrier, "
                "tracking_number, status, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                parcels,
            )
            con.executemany(
                "INSERT INTO order_search (rowid, number, name, phone, email, tracking) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                search,
            )
            con.execute("UPDATE change_counter SET value = 1")
    finally:
        con.close()
    return asyncio.run(seed_small(path))
