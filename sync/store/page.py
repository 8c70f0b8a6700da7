"""Writing one page of a source's orders set-wise: a handful of statements per page.

Per order, the writer decides (in Python) whether it is new, changed, stale or the same; then each
table gets one ``executemany``. Timeline events for creations, payment, status changes, parcels
handed over and tracking-number changes are appended in the same transaction. The rows' values
are built beforehand (:func:`prepare_page`, no database needed), and new orders and parcels are
given their ids by the writer, so nothing is read back after an insert.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
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
    f"INSERT INTO orders (id, {', '.join(ORDER_FIELDS)}, change_seq) "
    f"VALUES (?, {', '.join('?' * len(ORDER_FIELDS))}, ?)"
)
_INSERT_SHIPMENT = (
    "INSERT INTO shipments (id, order_id, source, external_id, carrier, carrier_raw, "
    "tracking_number, tracking_url, status, shipped_at, change_seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_ORDER = (
    f"UPDATE orders SET {', '.join(f'{k} = ?' for k in ORDER_FIELDS)}, "
    "version = version + 1, change_seq = ? WHERE id = ?"
)


def _ids(values: Sequence[object]) -> str:
    return json.dumps(list(values))


_RAW = json.JSONEncoder(ensure_ascii=False, default=str).encode
"""``json.dumps`` with these options builds a new encoder on every call; a page encodes hundreds."""


def order_values(record: OrderRecord) -> tuple[object, ...]:
    raw = _RAW(record.raw)
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


def latest_per_order(records: Sequence[OrderRecord]) -> list[OrderRecord]:
    """One record per order: the latest, when a page repeats an order."""
    latest: dict[tuple[str, str], OrderRecord] = {}
    for record in records:
        key = (record.source, record.external_id)
        if key not in latest or record.updated_at >= latest[key].updated_at:
            latest[key] = record
    return list(latest.values())


SearchTerms = tuple[str, str, str, str, str]


def search_terms(record: OrderRecord) -> SearchTerms:
    return index_values(
        record.number,
        record.customer_name,
        record.phone,
        record.email,
        [s.tracking_number for s in record.shipments],
    )


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page's orders, one record each, with their row values and search terms built."""

    records: tuple[OrderRecord, ...]
    values: tuple[tuple[object, ...], ...]
    terms: tuple[SearchTerms, ...]


def prepare_page(records: Sequence[OrderRecord]) -> PreparedPage:
    """The latest record of each order in ``records`` with what its rows will hold.

    This is the half of writing a page that needs no database (the raw JSON and its digest, the
    instants as text, the search terms); the sync engine builds the next page's while the
    database thread writes the current one.
    """
    latest = latest_per_order(records)
    return PreparedPage(
        tuple(latest),
        tuple(order_values(record) for record in latest),
        tuple(search_terms(record) for record in latest),
    )


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

    async def write(self, records: Sequence[OrderRecord] | PreparedPage) -> list[int]:
        """Upsert ``records`` (the latest of each order); returns the ids of the orders that
        changed."""
        page = records if isinstance(records, PreparedPage) else prepare_page(records)
        if not page.records:
            return []
        changed, created = await self.tx.run(lambda conn: self._write(conn, page))
        # Warehouse stage rows that came before their order wait in quarantine until now.
        await release_waiting(self.tx, created, self.now)
        return changed

    def _write(self, conn: sqlite3.Connection, page: PreparedPage) -> tuple[list[int], list[str]]:
        """The page's statements, on the database thread: the changed ids, the new numbers."""
        self.conn = conn
        self.events = []
        seq = self.tx.seq
        existing = self._existing([r.external_id for r in page.records])
        inserts: list[tuple[OrderRecord, tuple[object, ...], SearchTerms]] = []
        updates: list[tuple[OrderRecord, tuple[object, ...], SearchTerms, sqlite3.Row]] = []
        for record, values, words in zip(page.records, page.values, page.terms, strict=True):
            row = existing.get(record.external_id)
            if row is None:
                inserts.append((record, values, words))
            elif values[_UPDATED_AT] >= row["updated_at"] and values[_HASH] != row["raw_hash"]:
                updates.append((record, values, words, row))
        # New rows get their ids here (the next free ones, as SQLite would pick them: nobody
        # else writes inside this transaction), so nothing is read back after the inserts.
        first = self._next_id("orders") if inserts else 0
        if inserts:
            conn.executemany(
                _INSERT_ORDER, [(first + n, *v, seq) for n, (_, v, _) in enumerate(inserts)]
            )
        if updates:
            conn.executemany(_UPDATE_ORDER, [(*v, seq, row["id"]) for _, v, _, row in updates])
        touched: list[tuple[int, OrderRecord]] = []
        terms: list[tuple[int, SearchTerms]] = []
        for order_id, (record, values, words) in enumerate(inserts, start=first):
            touched.append((order_id, record))
            terms.append((order_id, words))
            self._creation_events(order_id, record, values)
        for record, _, words, row in updates:
            touched.append((int(row["id"]), record))
            terms.append((int(row["id"]), words))
            self._status_events(int(row["id"]), record, row)
        if touched:
            self._line_items(touched)
            self._shipments(touched)
            self._search(terms)
        if self.events:
            conn.executemany(EVENT_INSERT, self.events)
        numbers = [record.number for record, _, _ in inserts]
        return [order_id for order_id, _ in touched], self._awaited(numbers)

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

    def _next_id(self, table: str) -> int:
        (last,) = self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
        return int(last) + 1

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
        first = self._next_id("shipments") if fresh else 0
        self.conn.executemany(
            _INSERT_SHIPMENT,
            [
                (
                    first + n,
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
                for n, (order_id, s) in enumerate(fresh)
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
        for shipment_id, (order_id, shipment) in enumerate(fresh, start=first):
            self._handover_event(order_id, shipment_id, shipment)
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

    def _search(self, terms: Sequence[tuple[int, SearchTerms]]) -> None:
        self.conn.execute(
            "DELETE FROM order_search WHERE rowid IN (SELECT value FROM json_each(?))",
            (_ids([order_id for order_id, _ in terms]),),
        )
        self.conn.executemany(
            "INSERT INTO order_search (rowid, number, name, phone, email, tracking) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(order_id, *words) for order_id, words in terms],
        )
