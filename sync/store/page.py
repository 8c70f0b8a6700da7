"""Writing one page of a source's orders set-wise: a handful of statements per page.

Per order, the writer decides (in Python) whether it is new, changed, stale or the same; then each
table gets one ``executemany``. Timeline events for creations, payment, status changes, parcels
handed over and tracking-number changes are appended in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from sync.domain import OrderRecord, ShipmentRecord, ShipmentStatus
from sync.store.db import Transaction, to_db
from sync.store.events import EVENT_INSERT, event_values
from sync.store.search import index_values
from sync.store.stages import bare_number, release_waiting

STATUS_AXES = ("payment_status", "fulfillment_status", "lifecycle")
ORDER_FIELDS = (
    "source", "external_id", "number", "channel", "payment_status", "payment_raw",
    "fulfillment_status", "fulfillment_raw", "lifecycle", "lifecycle_raw", "currency", "total",
    "customer_name", "phone", "email", "address", "city", "province", "country", "tags",
    "created_at", "updated_at", "paid_at", "closed_at", "cancelled_at", "promised_at", "raw",
    "raw_hash", "postcode", "district",
)  # fmt: skip
_CREATED_AT = ORDER_FIELDS.index("created_at")
_UPDATED_AT = ORDER_FIELDS.index("updated_at")
_PAID_AT = ORDER_FIELDS.index("paid_at")
_HASH = ORDER_FIELDS.index("raw_hash")
ADDRESS_FIELDS = ("address", "city", "province", "country", "postcode", "district")
_INSERT_ORDER = (
    f"INSERT INTO orders ({', '.join(ORDER_FIELDS)}, change_seq) "
    f"VALUES ({', '.join('?' * len(ORDER_FIELDS))}, ?)"
)
_UPDATE_ORDER = (
    f"UPDATE orders SET {', '.join(f'{k} = ?' for k in ORDER_FIELDS)}, "
    "version = version + 1, change_seq = ? WHERE id = ?"
)


def _ids(values: Sequence[object]) -> str:
    return json.dumps(list(values))


def order_values(record: OrderRecord) -> tuple[object, ...]:
    raw = json.dumps(record.raw, ensure_ascii=False, default=str)
    digest = hashlib.sha1((raw if record.raw else repr(record)).encode()).hexdigest()
    return (
        record.source, record.external_id, record.number, record.channel,
        str(record.payment_status), record.payment_raw, str(record.fulfillment_status),
        record.fulfillment_raw, str(record.lifecycle), record.lifecycle_raw, record.currency,
        record.total, record.customer_name, record.phone, record.email, record.address,
        record.city, record.province, record.country,
        json.dumps(list(record.tags), ensure_ascii=False) if record.tags else "[]",
        to_db(record.created_at),
        to_db(record.updated_at), to_db(record.paid_at), to_db(record.closed_at),
        to_db(record.cancelled_at), to_db(record.promised_at), raw, digest, record.postcode,
        record.district,
    )  # fmt: skip


def _one_line(parts: Sequence[object]) -> str:
    return ", ".join(str(part) for part in parts if part)


class PageWriter:
    """Writes pages of one source's orders inside ``tx``.

    A page's statements all run in one trip to the database thread (:meth:`Transaction.run`):
    with pages of a dozen orders, a trip per statement cost more than the statements.
    """

    conn: sqlite3.Connection
    """The bare connection, while a page is written on the database thread."""

    def __init__(self, tx: Transaction, source: str, now: datetime) -> None:
        self.tx = tx
        self.source = source
        self.now = now
        self.events: list[tuple[object, ...]] = []

    async def write(self, records: Sequence[OrderRecord]) -> list[int]:
        """Upsert ``records`` (one per order); returns the ids of the orders that changed."""
        if not records:
            return []
        changed, created = await self.tx.run(lambda conn: self._write(conn, records))
        # Warehouse stage rows that came before their order wait in quarantine until now.
        await release_waiting(self.tx, created, self.now)
        return changed

    def _write(
        self, conn: sqlite3.Connection, records: Sequence[OrderRecord]
    ) -> tuple[list[int], list[str]]:
        """The page's statements, on the database thread: the changed ids, the new numbers."""
        self.conn = conn
        self.events = []
        seq = self.tx.seq
        existing = self._existing([r.external_id for r in records])
        inserts: list[tuple[OrderRecord, tuple[object, ...]]] = []
        updates: list[tuple[OrderRecord, tuple[object, ...], sqlite3.Row]] = []
        for record in records:
            values = order_values(record)
            row = existing.get(record.external_id)
            if row is None:
                inserts.append((record, values))
            elif values[_UPDATED_AT] >= row["updated_at"] and values[_HASH] != row["raw_hash"]:
                updates.append((record, values, row))
        if inserts:
            conn.executemany(_INSERT_ORDER, [(*v, seq) for _, v in inserts])
        if updates:
            conn.executemany(_UPDATE_ORDER, [(*v, seq, row["id"]) for _, v, row in updates])
        created = self._existing([r.external_id for r, _ in inserts])
        touched: list[tuple[int, OrderRecord]] = []
        for record, values in inserts:
            order_id = int(created[record.external_id]["id"])
            touched.append((order_id, record))
            self._creation_events(order_id, record, values)
        for record, _, row in updates:
            touched.append((int(row["id"]), record))
            self._status_events(int(row["id"]), record, row)
        if touched:
            self._line_items(touched)
            self._shipments(touched)
            self._search(touched)
        if self.events:
            conn.executemany(EVENT_INSERT, self.events)
        return [order_id for order_id, _ in touched], self._awaited([r.number for r, _ in inserts])

    def _awaited(self, numbers: list[str]) -> list[str]:
        """``numbers`` when a quarantined stage row waits for one of them, else none: the
        release then costs no trip at all for the usual page."""
        if not numbers:
            return []
        (waits,) = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM quarantine WHERE waiting_for != '' "
            "AND waiting_for IN (SELECT value FROM json_each(?)))",
            (_ids(sorted({bare_number(n) for n in numbers})),),
        ).fetchone()
        return numbers if waits else []

    def _existing(self, external_ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        if not external_ids:
            return {}
        rows = self.conn.execute(
            "SELECT id, external_id, updated_at, raw_hash, payment_status, fulfillment_status, "
            "lifecycle, address, city, province, country, postcode, district FROM orders "
            "WHERE source = ? AND external_id IN "
            "(SELECT value FROM json_each(?))",
            (self.source, _ids(external_ids)),
        ).fetchall()
        return {row["external_id"]: row for row in rows}

    def _event(self, **fields: object) -> None:
        self.events.append(event_values(actor=self.source, **fields))  # type: ignore[arg-type]

    def _creation_events(
        self, order_id: int, record: OrderRecord, values: tuple[object, ...]
    ) -> None:
        # Built straight from the order's row values: its instants are already stored text.
        source = self.source
        self.events.append(
            (values[_CREATED_AT], source, order_id, "order", order_id, "created", "", "", "",
             f"order {record.number} created")
        )  # fmt: skip
        if record.paid_at is not None:
            self.events.append(
                (values[_PAID_AT], source, order_id, "order", order_id, "status",
                 "payment_status", "", str(record.payment_status), "")
            )  # fmt: skip

    def _status_events(self, order_id: int, record: OrderRecord, row: sqlite3.Row) -> None:
        self._address_event(order_id, record, row)
        for axis in STATUS_AXES:
            before, after = row[axis], str(getattr(record, axis))
            if before != after:
                self._event(
                    at=record.updated_at,
                    order_id=order_id,
                    subject_kind="order",
                    subject_id=order_id,
                    kind="status",
                    field=axis,
                    from_value=before,
                    to_value=after,
                )

    def _address_event(self, order_id: int, record: OrderRecord, row: sqlite3.Row) -> None:
        # The order guards compare this line with the label's time.
        before = [row[name] for name in ADDRESS_FIELDS]
        after = [getattr(record, name) for name in ADDRESS_FIELDS]
        known = [(b, a) for b, a in zip(before, after, strict=True) if b is not None]
        if all(b == a for b, a in known):
            return
        self._event(
            at=record.updated_at,
            order_id=order_id,
            subject_kind="order",
            subject_id=order_id,
            kind="address",
            from_value=_one_line(before),
            to_value=_one_line(after),
        )

    def _line_items(self, touched: Sequence[tuple[int, OrderRecord]]) -> None:
        self.conn.execute(
            "DELETE FROM line_items WHERE order_id IN (SELECT value FROM json_each(?))",
            (_ids([order_id for order_id, _ in touched]),),
        )
        self.conn.executemany(
            "INSERT INTO line_items (order_id, external_id, sku, title, quantity, price) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (order_id, i.external_id, i.sku, i.title, i.quantity, i.price)
                for order_id, record in touched
                for i in record.line_items
            ],
        )

    def _shipments(self, touched: Sequence[tuple[int, OrderRecord]]) -> None:
        wanted = [(order_id, s) for order_id, r in touched for s in r.shipments]
        if not wanted:
            return
        known = self._known_shipments([s.external_id for _, s in wanted])
        fresh = [(order_id, s) for order_id, s in wanted if s.external_id not in known]
        moved = [
            (order_id, s, known[s.external_id]) for order_id, s in wanted
            if s.external_id in known
            and (known[s.external_id]["tracking_number"], known[s.external_id]["carrier"])
            != (s.tracking_number, s.carrier)
        ]  # fmt: skip
        self.conn.executemany(
            "INSERT INTO shipments (order_id, source, external_id, carrier, carrier_raw, "
            "tracking_number, tracking_url, status, shipped_at, change_seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    order_id,
                    self.source,
                    s.external_id,
                    s.carrier,
                    s.carrier_raw,
                    s.tracking_number,
                    s.tracking_url,
                    ShipmentStatus.PENDING,
                    to_db(s.shipped_at),
                    self.tx.seq,
                )
                for order_id, s in fresh
            ],
        )
        self.conn.executemany(
            "UPDATE shipments SET tracking_number = ?, carrier = ?, carrier_raw = ?, "
            "tracking_url = ?, registered_at = NULL, version = version + 1, change_seq = ? "
            "WHERE id = ?",
            [
                (
                    s.tracking_number,
                    s.carrier,
                    s.carrier_raw,
                    s.tracking_url,
                    self.tx.seq,
                    row["id"],
                )
                for _, s, row in moved
            ],
        )
        ids = self._known_shipments([s.external_id for _, s in fresh])
        for order_id, shipment in fresh:
            self._handover_event(order_id, int(ids[shipment.external_id]["id"]), shipment)
        for order_id, shipment, row in moved:
            self._event(
                at=self.now,
                order_id=order_id,
                subject_kind="shipment",
                subject_id=row["id"],
                kind="tracking",
                field="tracking_number",
                from_value=row["tracking_number"],
                to_value=shipment.tracking_number,
            )

    def _known_shipments(self, external_ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        if not external_ids:
            return {}
        rows = self.conn.execute(
            "SELECT id, external_id, tracking_number, carrier FROM shipments "
            "WHERE source = ? AND external_id IN (SELECT value FROM json_each(?))",
            (self.source, _ids(external_ids)),
        ).fetchall()
        return {row["external_id"]: row for row in rows}

    def _handover_event(self, order_id: int, shipment_id: int, shipment: ShipmentRecord) -> None:
        carrier = shipment.carrier or shipment.carrier_raw or "unknown carrier"
        self._event(
            at=shipment.shipped_at or self.now,
            order_id=order_id,
            subject_kind="shipment",
            subject_id=shipment_id,
            kind="shipped",
            to_value=shipment.tracking_number,
            detail=f"handed to {carrier}",
        )

    def _search(self, touched: Sequence[tuple[int, OrderRecord]]) -> None:
        self.conn.execute(
            "DELETE FROM order_search WHERE rowid IN (SELECT value FROM json_each(?))",
            (_ids([order_id for order_id, _ in touched]),),
        )
        self.conn.executemany(
            "INSERT INTO order_search (rowid, number, name, phone, email, tracking) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    order_id,
                    *index_values(
                        r.number,
                        r.customer_name,
                        r.phone,
                        r.email,
                        [s.tracking_number for s in r.shipments],
                    ),
                )
                for order_id, r in touched
            ],
        )
