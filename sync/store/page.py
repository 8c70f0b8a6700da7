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
from typing import Final

from sync.domain import OrderRecord, ShipmentStatus
from sync.store.db import Transaction, to_db
from sync.store.events import EVENT_INSERT, at_text
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
_EXTERNAL_ID = ORDER_FIELDS.index("external_id")
_NUMBER = ORDER_FIELDS.index("number")
_PERSON = tuple(ORDER_FIELDS.index(name) for name in ("customer_name", "phone", "email"))
_AXES = tuple(ORDER_FIELDS.index(axis) for axis in STATUS_AXES)
_PAYMENT = _AXES[0]
ADDRESS_FIELDS = ("address", "city", "province", "country", "postcode", "district")
_ADDRESS = tuple(ORDER_FIELDS.index(name) for name in ADDRESS_FIELDS)
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


_RAW = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False).encode
"""``json.dumps`` with these options builds a new encoder on every call; a page encodes hundreds.
A record's raw JSON is decoded JSON or a file's row, never a cycle: no need to look for one."""


def order_values(record: OrderRecord) -> tuple[object, ...]:
    raw = _RAW(record.raw) if record.raw_text is None else record.raw_text
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


ItemValues = tuple[str, str, str, int, str]
"""A line item's row: external id, SKU, title, quantity, price."""
ParcelValues = tuple[str, str, str, str, str, str | None]
"""A parcel's row as the shop knows it: external id, carrier, the carrier as the shop wrote it,
tracking number, tracking URL, handed over (stored text, or None)."""
_PARCEL_ID: Final = 0
_CARRIER: Final = 1
_CARRIER_RAW: Final = 2
_TRACKING: Final = 3
_URL: Final = 4
_SHIPPED: Final = 5

SearchTerms = tuple[str, str, str, str, str]


def search_terms(values: Sequence[object], parcels: Sequence[ParcelValues]) -> SearchTerms:
    """What the full-text index holds of an order, from its row and its parcels' rows."""
    name, phone, email = (str(values[at]) for at in _PERSON)
    return index_values(
        str(values[_NUMBER]), name, phone, email, [parcel[_TRACKING] for parcel in parcels]
    )


@dataclass(frozen=True, slots=True)
class PreparedPage:
    """A page's orders, one each (the latest copy), as the rows they will be written as.

    Only plain values (text, numbers, tuples): a page is cheap to hand to another process
    (:mod:`sync.fetch_aside` builds pages in one), and the writer needs nothing else. The
    search terms (:func:`search_terms`) are made by the writer from these rows, for the orders
    it writes only: an order that comes again unchanged (a lookback window, a full pass) needs
    none.
    """

    values: tuple[tuple[object, ...], ...]
    """Each order's row, in :data:`ORDER_FIELDS` order."""
    items: tuple[tuple[ItemValues, ...], ...]
    parcels: tuple[tuple[ParcelValues, ...], ...]

    def __len__(self) -> int:
        return len(self.values)


def prepare_page(records: Sequence[OrderRecord]) -> PreparedPage:
    """The latest record of each order in ``records`` as the rows it will be written as.

    This is the half of writing a page that needs no database (the raw JSON and its digest, the
    instants as text); the sync engine builds the next page's while the database thread writes
    the current one.
    """
    latest = latest_per_order(records)
    return PreparedPage(
        tuple(order_values(record) for record in latest),
        tuple(
            tuple((i.external_id, i.sku, i.title, i.quantity, i.price) for i in r.line_items)
            for r in latest
        ),
        tuple(
            tuple(
                (s.external_id, s.carrier, s.carrier_raw, s.tracking_number, s.tracking_url,
                 to_db(s.shipped_at))
                for s in r.shipments
            )
            for r in latest
        ),
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

    async def write(self, records: Sequence[OrderRecord] | PreparedPage) -> list[int]:
        """Upsert ``records`` (the latest of each order); returns the ids of the orders that
        changed."""
        page = records if isinstance(records, PreparedPage) else prepare_page(records)
        if not page.values:
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
        existing = self._existing([values[_EXTERNAL_ID] for values in page.values])
        inserts: list[int] = []  # positions in the page
        updates: list[tuple[int, sqlite3.Row]] = []
        for at, values in enumerate(page.values):
            row = existing.get(values[_EXTERNAL_ID])  # type: ignore[call-overload]
            if row is None:
                inserts.append(at)
            elif values[_UPDATED_AT] >= row["updated_at"] and values[_HASH] != row["raw_hash"]:
                updates.append((at, row))
        # New rows get their ids here (the next free ones, as SQLite would pick them: nobody
        # else writes inside this transaction), so nothing is read back after the inserts.
        first = self._next_id("orders") if inserts else 0
        if inserts:
            conn.executemany(
                _INSERT_ORDER,
                [(first + n, *page.values[at], seq) for n, at in enumerate(inserts)],
            )
        if updates:
            conn.executemany(
                _UPDATE_ORDER, [(*page.values[at], seq, row["id"]) for at, row in updates]
            )
        touched: list[tuple[int, int]] = []  # (order id, position in the page)
        for order_id, at in enumerate(inserts, start=first):
            touched.append((order_id, at))
            self._creation_events(order_id, page.values[at])
        for at, row in updates:
            touched.append((int(row["id"]), at))
            self._status_events(int(row["id"]), page.values[at], row)
        if touched:
            self._line_items(touched, page.items)
            self._shipments(touched, page.parcels)
            replaced = [int(row["id"]) for _, row in updates]
            if inserts and self._indexed_from(first):
                replaced += range(first, first + len(inserts))
            self._search(touched, page, replaced)
        if self.events:
            conn.executemany(EVENT_INSERT, self.events)
        numbers = [str(page.values[at][_NUMBER]) for at in inserts]
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

    def _existing(self, external_ids: Sequence[object]) -> dict[str, sqlite3.Row]:
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

    def _event(self, at: object, order_id: int, subject_kind: str, subject_id: int,
               kind: str, field: str = "", before: object = "", after: object = "",
               detail: str = "") -> None:  # fmt: skip
        """A timeline row; ``at`` is stored text (the rows' instants already are)."""
        self.events.append(
            (at, self.source, order_id, subject_kind, subject_id, kind, field, before, after,
             detail)
        )  # fmt: skip

    def _creation_events(self, order_id: int, values: tuple[object, ...]) -> None:
        self._event(
            values[_CREATED_AT], order_id, "order", order_id, "created",
            detail=f"order {values[_NUMBER]} created",
        )  # fmt: skip
        if values[_PAID_AT] is not None:
            self._event(
                values[_PAID_AT], order_id, "order", order_id, "status", "payment_status",
                after=values[_PAYMENT],
            )  # fmt: skip

    def _status_events(self, order_id: int, values: tuple[object, ...], row: sqlite3.Row) -> None:
        self._address_event(order_id, values, row)
        for axis, index in zip(STATUS_AXES, _AXES, strict=True):
            before, after = row[axis], values[index]
            if before != after:
                self._event(
                    values[_UPDATED_AT], order_id, "order", order_id, "status", axis,
                    before, after,
                )  # fmt: skip

    def _address_event(self, order_id: int, values: tuple[object, ...], row: sqlite3.Row) -> None:
        # The order guards compare this line with the label's time.
        before = [row[name] for name in ADDRESS_FIELDS]
        after = [values[index] for index in _ADDRESS]
        known = [(b, a) for b, a in zip(before, after, strict=True) if b is not None]
        if all(b == a for b, a in known):
            return
        self._event(
            values[_UPDATED_AT], order_id, "order", order_id, "address",
            before=_one_line(before), after=_one_line(after),
        )  # fmt: skip

    def _line_items(
        self, touched: Sequence[tuple[int, int]], items: Sequence[tuple[ItemValues, ...]]
    ) -> None:
        self.conn.execute(
            "DELETE FROM line_items WHERE order_id IN (SELECT value FROM json_each(?))",
            (_ids([order_id for order_id, _ in touched]),),
        )
        self.conn.executemany(
            "INSERT INTO line_items (order_id, external_id, sku, title, quantity, price) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(order_id, *item) for order_id, at in touched for item in items[at]],
        )

    def _shipments(
        self, touched: Sequence[tuple[int, int]], parcels: Sequence[tuple[ParcelValues, ...]]
    ) -> None:
        wanted = [(order_id, parcel) for order_id, at in touched for parcel in parcels[at]]
        if not wanted:
            return
        known = self._known_shipments([parcel[_PARCEL_ID] for _, parcel in wanted])
        fresh = [(order_id, p) for order_id, p in wanted if p[_PARCEL_ID] not in known]
        moved = [
            (order_id, p, row) for order_id, p in wanted
            if (row := known.get(p[_PARCEL_ID])) is not None
            and (row["tracking_number"], row["carrier"]) != (p[_TRACKING], p[_CARRIER])
        ]  # fmt: skip
        first = self._next_id("shipments") if fresh else 0
        seq = self.tx.seq
        self.conn.executemany(
            _INSERT_SHIPMENT,
            [
                (first + n, order_id, self.source, external_id, carrier, carrier_raw, number,
                 url, ShipmentStatus.PENDING, shipped_at, seq)
                for n, (order_id, (external_id, carrier, carrier_raw, number, url, shipped_at))
                in enumerate(fresh)
            ],
        )  # fmt: skip
        self.conn.executemany(
            "UPDATE shipments SET tracking_number = ?, carrier = ?, carrier_raw = ?, "
            "tracking_url = ?, registered_at = NULL, version = version + 1, change_seq = ? "
            "WHERE id = ?",
            [
                (p[_TRACKING], p[_CARRIER], p[_CARRIER_RAW], p[_URL], seq, row["id"])
                for _, p, row in moved
            ],
        )
        now = at_text(self.now)
        for shipment_id, (order_id, p) in enumerate(fresh, start=first):
            carrier = p[_CARRIER] or p[_CARRIER_RAW] or "unknown carrier"
            self._event(
                p[_SHIPPED] or now, order_id, "shipment", shipment_id, "shipped",
                after=p[_TRACKING], detail=f"handed to {carrier}",
            )  # fmt: skip
        for order_id, p, row in moved:
            self._event(
                now, order_id, "shipment", row["id"], "tracking", "tracking_number",
                row["tracking_number"], p[_TRACKING],
            )  # fmt: skip

    def _known_shipments(self, external_ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        if not external_ids:
            return {}
        rows = self.conn.execute(
            "SELECT id, external_id, tracking_number, carrier FROM shipments "
            "WHERE source = ? AND external_id IN (SELECT value FROM json_each(?))",
            (self.source, _ids(external_ids)),
        ).fetchall()
        return {row["external_id"]: row for row in rows}

    def _indexed_from(self, first: int) -> bool:
        """Whether the index holds a row at or past the order id ``first``: only when the newest
        orders were deleted by hand, their ids then given again to new orders."""
        found = self.conn.execute(
            "SELECT 1 FROM order_search WHERE rowid >= ? LIMIT 1", (first,)
        ).fetchone()
        return found is not None

    def _search(
        self, touched: Sequence[tuple[int, int]], page: PreparedPage, replaced: Sequence[int]
    ) -> None:
        """The index rows of the ``touched`` orders, the ``replaced`` ones' deleted first.

        A new order's id has no index row (but see :meth:`_indexed_from`), so in a first sync
        nothing is deleted: a delete would make FTS5 flush what the pages before added in this
        transaction, a segment a page to be merged later, instead of once at the commit."""
        if replaced:
            self.conn.execute(
                "DELETE FROM order_search WHERE rowid IN (SELECT value FROM json_each(?))",
                (_ids(replaced),),
            )
        self.conn.executemany(
            "INSERT INTO order_search (rowid, number, name, phone, email, tracking) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (order_id, *search_terms(page.values[at], page.parcels[at]))
                for order_id, at in touched
            ],
        )
