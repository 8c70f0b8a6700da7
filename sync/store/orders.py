"""Orders: the mirror's upserts (with their timeline events) and the console's reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

from sync.domain import EventRow, LineItem, OrderRecord, OrderRow, ShipmentRecord, ShipmentStatus
from sync.store.base import StoreBase
from sync.store.db import Transaction, to_db
from sync.store.rows import ORDER_COLUMNS, event_row, order_row
from sync.store.search import index_values

_STATUS_AXES = ("payment_status", "fulfillment_status", "lifecycle")


def _record_hash(record: OrderRecord) -> str:
    payload = json.dumps(record.raw, sort_keys=True, default=str) if record.raw else repr(record)
    return hashlib.sha256(payload.encode()).hexdigest()


async def append_event(
    tx: Transaction,
    *,
    at: datetime,
    actor: str,
    order_id: int | None,
    subject_kind: str,
    subject_id: int | None,
    kind: str,
    field: str = "",
    from_value: str = "",
    to_value: str = "",
    detail: str = "",
) -> None:
    await tx.execute(
        "INSERT INTO events (at, actor, order_id, subject_kind, subject_id, kind, field, "
        "from_value, to_value, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at_text(at),
            actor,
            order_id,
            subject_kind,
            subject_id,
            kind,
            field,
            from_value,
            to_value,
            detail,
        ),
    )


def at_text(at: datetime) -> str:
    text = to_db(at)
    assert text is not None
    return text


class OrderStore(StoreBase):
    async def save_order_page(
        self,
        source: str,
        kind: str,
        records: Sequence[OrderRecord],
        cursor: str,
        now: datetime,
    ) -> list[int]:
        """Upsert one page of a source's orders and save its cursor, in one transaction.

        Returns the ids of the orders that changed. A page fetched twice changes nothing.
        """
        changed: list[int] = []
        async with self.db.write() as tx:
            for record in records:
                order_id = await self._upsert_order(tx, record, now)
                if order_id is not None:
                    changed.append(order_id)
            await tx.execute(
                "INSERT INTO sources (name, kind, cursor, last_attempt_at, last_success_at, "
                "rows_synced) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "cursor = excluded.cursor, kind = excluded.kind, "
                "last_attempt_at = excluded.last_attempt_at, "
                "last_success_at = excluded.last_success_at, last_error = '', "
                "rows_synced = rows_synced + excluded.rows_synced",
                (source, kind, cursor, at_text(now), at_text(now), len(changed)),
            )
        return changed

    async def _upsert_order(
        self, tx: Transaction, record: OrderRecord, now: datetime
    ) -> int | None:
        existing = await tx.fetchone(
            "SELECT id, updated_at, raw_hash, payment_status, fulfillment_status, lifecycle "
            "FROM orders WHERE source = ? AND external_id = ?",
            (record.source, record.external_id),
        )
        digest = _record_hash(record)
        values = _order_values(record, digest)
        if existing is None:
            cursor = await tx.execute(
                f"INSERT INTO orders ({', '.join(values)}, change_seq) "
                f"VALUES ({', '.join('?' * len(values))}, ?)",
                (*values.values(), tx.seq),
            )
            order_id = cursor.lastrowid
            assert order_id is not None
            await append_event(
                tx,
                at=record.created_at,
                actor=record.source,
                order_id=order_id,
                subject_kind="order",
                subject_id=order_id,
                kind="created",
                detail=f"order {record.number} created",
            )
            if record.paid_at is not None:
                await append_event(
                    tx,
                    at=record.paid_at,
                    actor=record.source,
                    order_id=order_id,
                    subject_kind="order",
                    subject_id=order_id,
                    kind="status",
                    field="payment_status",
                    to_value=record.payment_status,
                )
        else:
            order_id = int(existing["id"])
            stale = values["updated_at"] < existing["updated_at"]
            if stale or digest == existing["raw_hash"]:
                return None
            await tx.execute(
                f"UPDATE orders SET {', '.join(f'{k} = ?' for k in values)}, "
                "version = version + 1, change_seq = ? WHERE id = ?",
                (*values.values(), tx.seq, order_id),
            )
            for axis in _STATUS_AXES:
                before, after = existing[axis], str(getattr(record, axis))
                if before != after:
                    await append_event(
                        tx,
                        at=record.updated_at,
                        actor=record.source,
                        order_id=order_id,
                        subject_kind="order",
                        subject_id=order_id,
                        kind="status",
                        field=axis,
                        from_value=before,
                        to_value=after,
                    )
        await self._replace_line_items(tx, order_id, record.line_items)
        tracking = await self._upsert_shipments(tx, order_id, record, now)
        await tx.execute("DELETE FROM order_search WHERE rowid = ?", (order_id,))
        await tx.execute(
            "INSERT INTO order_search (rowid, number, name, phone, email, tracking) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                order_id,
                *index_values(
                    record.number, record.customer_name, record.phone, record.email, tracking
                ),
            ),
        )
        return order_id

    async def _replace_line_items(
        self, tx: Transaction, order_id: int, items: Sequence[LineItem]
    ) -> None:
        await tx.execute("DELETE FROM line_items WHERE order_id = ?", (order_id,))
        await tx.executemany(
            "INSERT INTO line_items (order_id, external_id, sku, title, quantity, price) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(order_id, i.external_id, i.sku, i.title, i.quantity, i.price) for i in items],
        )

    async def _upsert_shipments(
        self, tx: Transaction, order_id: int, record: OrderRecord, now: datetime
    ) -> list[str]:
        numbers: list[str] = []
        for shipment in record.shipments:
            numbers.append(shipment.tracking_number)
            existing = await tx.fetchone(
                "SELECT id, tracking_number, carrier FROM shipments "
                "WHERE source = ? AND external_id = ?",
                (record.source, shipment.external_id),
            )
            if existing is None:
                await self._insert_shipment(tx, order_id, record.source, shipment, now)
            elif (existing["tracking_number"], existing["carrier"]) != (
                shipment.tracking_number,
                shipment.carrier,
            ):
                await tx.execute(
                    "UPDATE shipments SET tracking_number = ?, carrier = ?, carrier_raw = ?, "
                    "tracking_url = ?, registered_at = NULL, version = version + 1, "
                    "change_seq = ? WHERE id = ?",
                    (
                        shipment.tracking_number,
                        shipment.carrier,
                        shipment.carrier_raw,
                        shipment.tracking_url,
                        tx.seq,
                        existing["id"],
                    ),
                )
                await append_event(
                    tx,
                    at=now,
                    actor=record.source,
                    order_id=order_id,
                    subject_kind="shipment",
                    subject_id=existing["id"],
                    kind="tracking",
                    field="tracking_number",
                    from_value=existing["tracking_number"],
                    to_value=shipment.tracking_number,
                )
        return numbers

    async def _insert_shipment(
        self,
        tx: Transaction,
        order_id: int,
        source: str,
        shipment: ShipmentRecord,
        now: datetime,
    ) -> None:
        cursor = await tx.execute(
            "INSERT INTO shipments (order_id, source, external_id, carrier, carrier_raw, "
            "tracking_number, tracking_url, status, shipped_at, change_seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order_id,
                source,
                shipment.external_id,
                shipment.carrier,
                shipment.carrier_raw,
                shipment.tracking_number,
                shipment.tracking_url,
                ShipmentStatus.PENDING,
                to_db(shipment.shipped_at),
                tx.seq,
            ),
        )
        carrier = shipment.carrier or shipment.carrier_raw or "unknown carrier"
        await append_event(
            tx,
            at=shipment.shipped_at or now,
            actor=source,
            order_id=order_id,
            subject_kind="shipment",
            subject_id=cursor.lastrowid,
            kind="shipped",
            to_value=shipment.tracking_number,
            detail=f"handed to {carrier}",
        )

    # ----- reads -----

    async def order(self, order_id: int) -> OrderRow | None:
        row = await self.db.fetchone(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)
        )
        return None if row is None else order_row(row)

    async def orders_by_id(self, order_ids: Sequence[int]) -> list[OrderRow]:
        """The orders with these ids, in the order given (missing ids are skipped)."""
        if not order_ids:
            return []
        rows = await self.db.fetchall(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(order_ids)),),
        )
        by_id = {row["id"]: order_row(row) for row in rows}
        return [by_id[i] for i in order_ids if i in by_id]

    async def order_by_number(self, number: str) -> OrderRow | None:
        wanted = number.strip()
        row = await self.db.fetchone(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE number IN (?, ?) ORDER BY id LIMIT 1",
            (wanted, "#" + wanted.lstrip("#")),
        )
        return None if row is None else order_row(row)

    async def line_items(self, order_id: int) -> list[LineItem]:
        rows = await self.db.fetchall(
            "SELECT external_id, sku, title, quantity, price FROM line_items "
            "WHERE order_id = ? ORDER BY id",
            (order_id,),
        )
        return [
            LineItem(
                external_id=r["external_id"],
                sku=r["sku"],
                title=r["title"],
                quantity=r["quantity"],
                price=r["price"],
            )
            for r in rows
        ]

    async def events(self, order_id: int) -> list[EventRow]:
        rows = await self.db.fetchall(
            "SELECT * FROM events WHERE order_id = ? ORDER BY at, id", (order_id,)
        )
        return [event_row(row) for row in rows]

    async def order_count(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM orders"))


def _order_values(record: OrderRecord, digest: str) -> dict[str, object]:
    return {
        "source": record.source,
        "external_id": record.external_id,
        "number": record.number,
        "channel": record.channel,
        "payment_status": str(record.payment_status),
        "payment_raw": record.payment_raw,
        "fulfillment_status": str(record.fulfillment_status),
        "fulfillment_raw": record.fulfillment_raw,
        "lifecycle": str(record.lifecycle),
        "lifecycle_raw": record.lifecycle_raw,
        "currency": record.currency,
        "total": record.total,
        "customer_name": record.customer_name,
        "phone": record.phone,
        "email": record.email,
        "address": record.address,
        "city": record.city,
        "province": record.province,
        "country": record.country,
        "tags": json.dumps(list(record.tags), ensure_ascii=False),
        "created_at": to_db(record.created_at),
        "updated_at": to_db(record.updated_at),
        "paid_at": to_db(record.paid_at),
        "closed_at": to_db(record.closed_at),
        "cancelled_at": to_db(record.cancelled_at),
        "promised_at": to_db(record.promised_at),
        "raw": json.dumps(record.raw, ensure_ascii=False, default=str),
        "raw_hash": digest,
    }
