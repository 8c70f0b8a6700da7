"""Rows of an export → order records, stage records, or quarantined problems.

Rows in a row are one order when they share its number (Shopify and Douyin put one line item a
row, with the order's own fields on the first). Batches never split an order, so the line a
batch ends on is a safe place to resume an interrupted import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TypeVar

from sync.carriers import normalize_carrier
from sync.csvimport.profiles import STAGE_COLUMNS, Column, Profile, ProfileKind
from sync.csvimport.records import ImportBatch, RowProblem, StageRecord
from sync.csvimport.statuses import (
    FULFILLMENT_WORDS,
    PAYMENT_WORDS,
    Axes,
    read_axes,
    status_key,
)
from sync.csvimport.table import ExportTable, Row
from sync.csvimport.values import (
    CellError,
    blank,
    order_number,
    parse_amount,
    parse_count,
    parse_time,
    tracking_numbers,
)
from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    LineItem,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
)

BATCH_ROWS = 500
T = TypeVar("T")
_TIMES = (
    Column.CREATED_AT,
    Column.UPDATED_AT,
    Column.PAID_AT,
    Column.SHIPPED_AT,
    Column.CLOSED_AT,
    Column.CANCELLED_AT,
    *STAGE_COLUMNS,
)


class RowReader:
    """Reads the rows of files with one header under one profile, for one source."""

    def __init__(self, profile: Profile, header: Sequence[str], source: str) -> None:
        self.profile = profile
        self.header = tuple(header)
        self.source = source
        self.at = profile.resolve(header)
        self.zone = profile.zone
        self.has_stages = any(c in self.at for c in STAGE_COLUMNS)

    def cell(self, cells: Sequence[str], column: Column) -> str:
        index = self.at.get(column)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def named(self, cells: Sequence[str]) -> dict[str, str]:
        """The row's non-blank cells by header (what is kept raw and shown in quarantine)."""
        return {h: c for h, c in zip(self.header, cells, strict=False) if c and h}

    def batches(
        self, table: ExportTable, *, after_line: int = 0, size: int = BATCH_ROWS
    ) -> Iterator[ImportBatch]:
        """The file's rows after ``after_line`` in batches of about ``size`` rows."""
        orders: list[OrderRecord] = []
        stages: list[StageRecord] = []
        problems: list[RowProblem] = []
        rows = last = 0
        for group in self._groups(table.rows(), after_line):
            self._read_group(group, orders, stages, problems)
            rows, last = rows + len(group), group[-1][0]
            if rows >= size:
                yield ImportBatch(tuple(orders), tuple(stages), tuple(problems), last, rows)
                orders, stages, problems, rows = [], [], [], 0
        if rows:
            yield ImportBatch(tuple(orders), tuple(stages), tuple(problems), last, rows)

    def _groups(self, rows: Iterator[Row], after_line: int) -> Iterator[list[Row]]:
        group: list[Row] = []
        key = None
        for line, cells in rows:
            if line <= after_line:
                continue
            number = self.cell(cells, Column.NUMBER)
            if group and (
                self.profile.kind is ProfileKind.STAGES or number != key or blank(number)
            ):
                yield group
                group = []
            group.append((line, cells))
            key = number
        if group:
            yield group

    def _read_group(
        self,
        group: list[Row],
        orders: list[OrderRecord],
        stages: list[StageRecord],
        problems: list[RowProblem],
    ) -> None:
        line, cells = group[0]
        try:
            if self.profile.kind is ProfileKind.STAGES:
                stages.append(self.stage(line, cells))
                return
            order = self.order(group)
            orders.append(order)
            if self.has_stages:
                stage = self.stage(line, cells, order.external_id)
                if stage.times():
                    stages.append(stage)
        except _RowError as exc:
            problems.append(RowProblem(exc.line, exc.reason, self.named(exc.cells)))

    # ----- one order -----

    def order(self, group: list[Row]) -> OrderRecord:
        first_line, first = group[0]
        facts = _Facts(self, group)
        number = facts.guard(first_line, first, lambda: order_number(facts.value(Column.NUMBER)))
        times = {column: facts.time(column) for column in _TIMES}
        created = times[Column.CREATED_AT] or times[Column.PAID_AT]
        if created is None:
            raise _RowError(first_line, first, f"no order time ({self._looked(Column.CREATED_AT)})")
        shipments = facts.guard_all(lambda line, cells: self._shipments(number, line, cells, times))
        items = facts.guard_all(lambda line, cells: self._items(number, line, cells))
        payment, fulfillment, lifecycle, raws = self._axes(facts, times, any(shipments))
        instants = [t for t in times.values() if t is not None]
        return OrderRecord(
            source=self.source,
            external_id=facts.value(Column.EXTERNAL_ID) or number,
            number=number,
            updated_at=times[Column.UPDATED_AT] or max(instants),
            created_at=created,
            payment_status=payment,
            fulfillment_status=fulfillment,
            lifecycle=lifecycle,
            payment_raw=raws[0],
            fulfillment_raw=raws[1],
            lifecycle_raw=raws[2],
            channel=self.profile.channel,
            currency=facts.value(Column.CURRENCY) or self.profile.currency,
            total=facts.guard(first_line, first, lambda: parse_amount(facts.value(Column.TOTAL))),
            customer_name=facts.value(Column.CUSTOMER_NAME) or facts.value(Column.BUYER),
            phone=facts.value(Column.PHONE),
            email=facts.value(Column.EMAIL),
            address=self._address(facts),
            city=facts.value(Column.CITY) or self._address_part(facts, 1),
            province=facts.value(Column.PROVINCE) or self._address_part(facts, 0),
            country=facts.value(Column.COUNTRY) or self.profile.country,
            district=facts.value(Column.DISTRICT)
            if Column.DISTRICT in self.profile.columns
            else None,
            tags=tuple(t.strip() for t in facts.value(Column.TAGS).split(",") if t.strip()),
            paid_at=times[Column.PAID_AT],
            closed_at=times[Column.CLOSED_AT] if lifecycle is Lifecycle.CLOSED else None,
            cancelled_at=times[Column.CANCELLED_AT],
            line_items=tuple(i for row_items in items for i in row_items),
            shipments=_unique_parcels(s for row_parcels in shipments for s in row_parcels),
            raw={"profile": self.profile.name, "rows": [self.named(c) for _, c in group]},
        )

    def _looked(self, column: Column) -> str:
        return ", ".join(self.profile.columns.get(column, ())) or column.value

    def _items(self, number: str, line: int, cells: Sequence[str]) -> list[LineItem]:
        title = self.cell(cells, Column.ITEM_TITLE)
        sku = self.cell(cells, Column.ITEM_SKU)
        if blank(title) and blank(sku):
            return []
        price = self.cell(cells, Column.ITEM_PRICE)
        return [
            LineItem(
                external_id=f"{number}/{sku or title}",
                title=title or sku,
                quantity=parse_count(self.cell(cells, Column.ITEM_QUANTITY)),
                sku=sku,
                price=parse_amount(price),
            )
        ]

    def _shipments(
        self,
        number: str,
        line: int,
        cells: Sequence[str],
        times: dict[Column, datetime | None],
    ) -> list[ShipmentRecord]:
        carrier_raw = self.cell(cells, Column.CARRIER)
        carrier_raw = "" if blank(carrier_raw) else carrier_raw
        return [
            ShipmentRecord(
                external_id=f"{number}/{tracking}",
                tracking_number=tracking,
                carrier=normalize_carrier(carrier_raw),
                carrier_raw=carrier_raw,
                shipped_at=times[Column.SHIPPED_AT] or times[Column.HANDED_OVER_AT],
            )
            for tracking in tracking_numbers(self.cell(cells, Column.TRACKING_NUMBER))
        ]

    def _axes(
        self, facts: _Facts, times: dict[Column, datetime | None], shipped: bool
    ) -> tuple[PaymentStatus, FulfillmentStatus, Lifecycle, tuple[str, str, str]]:
        status = facts.value(Column.STATUS)
        paying = facts.value(Column.PAYMENT_STATUS)
        shipping = facts.value(Column.FULFILLMENT_STATUS)
        axes = read_axes(status, dict(self.profile.statuses)) if status else None
        axes = axes or Axes(None, None, Lifecycle.OPEN)
        payment = PAYMENT_WORDS.get(status_key(paying)) if paying else axes.payment
        fulfillment = FULFILLMENT_WORDS.get(status_key(shipping)) if shipping else None
        fulfillment = fulfillment or axes.fulfillment
        lifecycle = axes.lifecycle
        if lifecycle is Lifecycle.OPEN and times[Column.CANCELLED_AT] is not None:
            lifecycle = Lifecycle.CANCELLED
        elif lifecycle is Lifecycle.OPEN and not status and times[Column.CLOSED_AT] is not None:
            lifecycle = Lifecycle.CLOSED
        paid = times[Column.PAID_AT] is not None
        if payment is None and lifecycle is Lifecycle.CANCELLED:
            payment = PaymentStatus.REFUNDED if paid else PaymentStatus.VOIDED
        elif payment is None:
            payment = PaymentStatus.PAID if paid else PaymentStatus.PENDING
        if fulfillment is None:
            fulfillment = FulfillmentStatus.FULFILLED if shipped else FulfillmentStatus.UNFULFILLED
        return payment, fulfillment, lifecycle, (paying or status, shipping or status, status)

    def _address(self, facts: _Facts) -> str:
        detail = facts.value(Column.ADDRESS)
        parts = [facts.value(c) for c in (Column.PROVINCE, Column.CITY, Column.DISTRICT)]
        if not any(parts) or detail.startswith(tuple(p for p in parts if p)):
            return detail
        return " ".join(p for p in [*parts, detail] if p)

    def _address_part(self, facts: _Facts, index: int) -> str:
        """Province or city from a one-cell Chinese address (``浙江省 杭州市 西湖区 …``)."""
        words = facts.value(Column.ADDRESS).split()
        if len(words) < 3 or self.profile.country != "CN":
            return ""
        return words[index]

    # ----- one stage row -----

    def stage(self, line: int, cells: Sequence[str], external_id: str = "") -> StageRecord:
        def read(column: Column) -> datetime | None:
            try:
                return parse_time(self.cell(cells, column), self.zone)
            except CellError as exc:
                raise _RowError(line, cells, f"{self.header_of(column)}: {exc}") from None

        try:
            number = order_number(self.cell(cells, Column.NUMBER))
        except CellError as exc:
            raise _RowError(line, cells, str(exc)) from None
        record = StageRecord(
            number=number,
            line=line,
            reserved_at=read(Column.RESERVED_AT),
            picked_at=read(Column.PICKED_AT),
            packed_at=read(Column.PACKED_AT),
            handed_over_at=read(Column.HANDED_OVER_AT),
            external_id=external_id,
        )
        if not external_id and not record.times():
            raise _RowError(line, cells, "no stage time on this row")
        return record

    def header_of(self, column: Column) -> str:
        index = self.at.get(column)
        return self.header[index] if index is not None else column.value


class _RowError(Exception):
    def __init__(self, line: int, cells: Sequence[str], reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.cells = cells
        self.reason = reason


class _Facts:
    """An order's rows: order-level values come from the first row that has them."""

    def __init__(self, reader: RowReader, group: list[Row]) -> None:
        self.reader = reader
        self.group = group
        self.values: dict[Column, str] = {}

    def value(self, column: Column) -> str:
        known = self.values.get(column)
        if known is not None:
            return known
        found = ""
        if column in self.reader.at:
            for _, cells in self.group:
                text = self.reader.cell(cells, column)
                if not blank(text):
                    found = text
                    break
        self.values[column] = found
        return found

    def time(self, column: Column) -> datetime | None:
        """The column's time; a bad one quarantines the order at its first row."""
        try:
            return parse_time(self.value(column), self.reader.zone)
        except CellError as exc:
            line, cells = self.group[0]
            raise _RowError(line, cells, f"{self.reader.header_of(column)}: {exc}") from None

    def guard(self, line: int, cells: Sequence[str], read: Callable[[], T]) -> T:
        try:
            return read()
        except CellError as exc:
            raise _RowError(line, cells, str(exc)) from None

    def guard_all(self, read: Callable[[int, Sequence[str]], T]) -> list[T]:
        results: list[T] = []
        for line, cells in self.group:
            try:
                results.append(read(line, cells))
            except CellError as exc:
                raise _RowError(line, cells, str(exc)) from None
        return results


def _unique_parcels(parcels: Iterator[ShipmentRecord]) -> tuple[ShipmentRecord, ...]:
    seen: dict[str, ShipmentRecord] = {}
    for parcel in parcels:
        seen.setdefault(parcel.external_id, parcel)
    return tuple(seen.values())
