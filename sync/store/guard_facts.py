"""What the order guards read: each order's facts, its parcels, SKUs and timeline marks, and
the customer keys that join one customer's orders. Set-wise reads, a handful per batch."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sync.desk import CONFLICT_FLAG
from sync.guards import OrderFacts, ParcelFacts
from sync.guards.model import WAITING_STATUSES
from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db

_IN = "(SELECT value FROM json_each(?))"

_ORDERS = (
    "SELECT id, number, created_at, payment_status, fulfillment_status, lifecycle, "
    "customer_name, phone, email, address, city, province, country, postcode, district, tags, "
    f"paid_at, reserved_at FROM orders WHERE id IN {_IN} AND created_at >= ?"
)
_WAITING = (
    f"SELECT id FROM orders WHERE id IN {_IN} AND lifecycle NOT IN ('cancelled', 'deleted') "
    "AND fulfillment_status IN ('unfulfilled', 'in_progress', 'on_hold', 'scheduled')"
)
_PARCELS = (
    "SELECT order_id, tracking_number, carrier, status, shipped_at, last_checkpoint_at "
    f"FROM shipments WHERE order_id IN {_IN} ORDER BY id"
)
_SKUS = f"SELECT order_id, sku FROM line_items WHERE order_id IN {_IN} AND sku != '' ORDER BY id"
_MARKS = (
    "SELECT order_id, kind, max(at) FROM events WHERE order_id IN "
    f"{_IN} AND (kind = 'address' OR (kind = 'status' AND field = 'fulfillment_status' "
    "AND to_value = 'fulfilled')) GROUP BY order_id, kind"
)
_CONFLICTS = (
    f"SELECT order_id, detail, raised_at FROM order_flags WHERE order_id IN {_IN} "
    "AND flag = ? AND cleared_at IS NULL"
)


class GuardFactStore(StoreBase):
    async def guard_facts(
        self,
        order_ids: Collection[int],
        placed_since: datetime | None = None,
        skus_since: datetime | None = None,
    ) -> list[OrderFacts]:
        """The guards' view of these orders (missing ids are skipped), or of those among them
        placed since ``placed_since``. With ``skus_since``, only orders still waiting to ship
        or placed since then carry their SKUs (the others' are never compared)."""
        if not order_ids:
            return []
        since = to_db(placed_since) if placed_since is not None else ""
        rows = await self.db.tuples(_ORDERS, (json.dumps(list(order_ids)), since))
        if not rows:
            return []
        ids = json.dumps([row[0] for row in rows])
        recent = to_db(skus_since) if skus_since is not None else ""
        priced = json.dumps(
            [row[0] for row in rows if row[2] >= recent or row[4] in WAITING_STATUSES]
        )
        parcels: dict[int, list[ParcelFacts]] = defaultdict(list)
        for order_id, number, carrier, status, shipped, scanned in await self.db.tuples(
            _PARCELS, (ids,)
        ):
            parcels[order_id].append(
                ParcelFacts(number, carrier, status, from_db(shipped), from_db(scanned))
            )
        skus: dict[int, list[str]] = defaultdict(list)
        for order_id, sku in await self.db.tuples(_SKUS, (priced,)):
            skus[order_id].append(sku)
        address_at: dict[int, datetime | None] = {}
        fulfilled_at: dict[int, datetime | None] = {}
        for order_id, kind, at in await self.db.tuples(_MARKS, (ids,)):
            (address_at if kind == "address" else fulfilled_at)[order_id] = from_db(at)
        conflicts = {
            order_id: (str(detail), from_db(at))
            for order_id, detail, at in await self.db.tuples(_CONFLICTS, (ids, CONFLICT_FLAG))
        }
        return [
            OrderFacts(
                id=row[0],
                number=row[1],
                created_at=from_db_required(row[2]),
                payment_status=row[3],
                fulfillment_status=row[4],
                lifecycle=row[5],
                customer_name=row[6],
                phone=row[7],
                email=row[8],
                address=row[9],
                city=row[10],
                province=row[11],
                country=row[12],
                postcode=row[13],
                district=row[14],
                tags=tuple(json.loads(row[15])) if row[15] != "[]" else (),
                paid_at=from_db(row[16]),
                reserved_at=from_db(row[17]),
                fulfilled_at=fulfilled_at.get(row[0]),
                address_changed_at=address_at.get(row[0]),
                skus=tuple(dict.fromkeys(skus.get(row[0], ()))),
                parcels=tuple(parcels.get(row[0], ())),
                conflict=conflicts[row[0]][0] if row[0] in conflicts else "",
                conflict_at=conflicts[row[0]][1] if row[0] in conflicts else None,
            )
            for row in rows
        ]

    async def waiting_orders(self, order_ids: Collection[int]) -> list[int]:
        """Those of these orders that are open and not yet handed to a courier."""
        if not order_ids:
            return []
        return [int(i) for i in await self.db.column(_WAITING, (json.dumps(list(order_ids)),))]

    async def guard_candidates(self) -> list[int]:
        """Orders whose flags a change of the guards' settings may move: those with a flag up
        or a check waiting, and every order still waiting to ship."""
        return [
            int(i)
            for i in await self.db.column(
                "SELECT order_id FROM guard_flags WHERE cleared_at IS NULL "
                "UNION SELECT order_id FROM guard_rechecks "
                "UNION SELECT id FROM orders WHERE lifecycle = 'open' AND fulfillment_status "
                "IN ('unfulfilled', 'in_progress', 'on_hold', 'scheduled') ORDER BY 1"
            )
        ]

    async def guard_changes(self, since: int, after_id: int, limit: int) -> list[tuple[int, int]]:
        """(order id, change stamp) of orders changed after (``since``, ``after_id``), in
        stamp then id order, so one stamp on more orders than ``limit`` is read in pages."""
        # Two seeks on the change_seq index (whose entries end with the id): the rest of this
        # stamp, then the stamps after it. One range with OR would scan the whole stamp.
        rows = await self.db.tuples(
            "SELECT id, change_seq FROM orders WHERE change_seq = ? AND id > ? ORDER BY id LIMIT ?",
            (since, after_id, limit),
        )
        if len(rows) < limit:
            rows += await self.db.tuples(
                "SELECT id, change_seq FROM orders WHERE change_seq > ? "
                "ORDER BY change_seq, id LIMIT ?",
                (since, limit - len(rows)),
            )
        return [(int(order_id), int(seq)) for order_id, seq in rows]

    async def keys_of_orders(self, order_ids: Collection[int]) -> list[tuple[str, int]]:
        """(customer key, order id) for every stored key of these orders."""
        if not order_ids:
            return []
        return [
            (str(key), int(order_id))
            for key, order_id in await self.db.tuples(
                f"SELECT key, order_id FROM customer_keys WHERE order_id IN {_IN}",
                (json.dumps(list(order_ids)),),
            )
        ]

    async def orders_with_keys(self, keys: Collection[str]) -> list[tuple[str, int]]:
        """(customer key, order id) for every order stored under one of ``keys``."""
        if not keys:
            return []
        return [
            (str(key), int(order_id))
            for key, order_id in await self.db.tuples(
                f"SELECT key, order_id FROM customer_keys WHERE key IN {_IN}",
                (json.dumps(list(keys), ensure_ascii=False),),
            )
        ]
