"""A seeded, deterministic simulated shop whose orders live on as time passes.

Each order is drawn from its own ``random.Random`` seeded with (shop seed, order index), so what
the shop looked like at any instant is a pure function of (seed, index, instant):
:meth:`Shop.order_state` and :meth:`Shop.track_state` answer "as of time T". A timeline per
order (created → paid → packed → shipped → courier scans → delivered, or one of the ways orders
go wrong) is fixed at birth; the instant only decides how much of it has happened.

``orders`` orders are spread over ``history`` before the reference ``now``; after ``now`` new
orders keep arriving at ``arrivals_per_hour``. To answer "orders updated since X, oldest first"
without touching every order, the shop keeps one sorted array of (time, index) keys of the
instants at which an order changed as the shop platform sees it; building it for 100k orders
takes about a second.

Two quirks of real shop APIs can be switched on. ``tick`` puts every instant on a grid of that
many seconds, so many orders share one ``updated_at`` and straddle page boundaries. A
``late_share`` of orders show their changes in order listings only ``late_by`` seconds after
they happen (the vendor's index lags), still stamped with the time they happened:
:meth:`Shop.changed` and :meth:`Shop.listed_state` answer as the listing would, while
:meth:`Shop.order_state` (and webhooks) tell the truth at once.

Clients can write to the shop too, as an agent pushing a tracking number back does:
:meth:`Shop.record_fulfillment` adds a fulfillment and :meth:`Shop.set_status` a platform status
(WooCommerce's ``completed``) from the moment they are made; the order's ``updated_at`` moves
then, so the next incremental sync reads them back. With ``unrecorded_share`` a share of shipped
orders never get their shipment recorded at the shop (the warehouse shipped, nobody marked it):
the courier scans the parcel while the platform shows the order in progress.
"""

from __future__ import annotations

import bisect
import heapq
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from daemon.simulator.parcels import (
    CN_MIX,
    COURIERS,
    SHOP_DISPLAY_STATUS,
    WEST_MIX,
    Scan,
    index_in_number,
    tracking_number,
)
from daemon.simulator.people import (
    Address,
    Customer,
    Item,
    basket,
    chinese_customer,
    order_tags,
    western_customer,
)
from daemon.simulator.timeline import Timeline, draw_timeline, on_grid

_INDEX_BITS = 24
_INDEX_MASK = (1 << _INDEX_BITS) - 1
ORDER_ID_BASE = 5_600_000_000_000
FULFILLMENT_ID_BASE = 4_800_000_000_000
WRITTEN_FULFILLMENT_BASE = 4_900_000_000_000
CHANNELS = (("web", 0.62), ("wechat", 0.16), ("douyin", 0.09), ("pos", 0.06), ("xiaohongshu", 0.07))


@dataclass(frozen=True, slots=True)
class Details:
    """What an order is, as opposed to where it stands."""

    customer: Customer
    address: Address
    items: tuple[Item, ...]
    tags: tuple[str, ...]
    source_name: str
    carrier: str
    company: str
    tracking_number: str
    shipping: str


@dataclass(frozen=True, slots=True)
class FulfillmentState:
    id: int
    created_at: datetime
    company: str
    number: str
    url: str
    display_status: str


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order as the shop platform shows it at one instant."""

    index: int
    id: int
    name: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    closed_at: datetime | None
    paid_at: datetime | None
    refunded_at: datetime | None
    financial_status: str
    fulfillment_status: str
    total: str
    currency: str
    details: Details
    fulfillments: tuple[FulfillmentState, ...]
    status_set: str = ""
    """A platform status a client wrote (WooCommerce's ``completed``); empty when none."""


@dataclass(frozen=True, slots=True)
class TrackState:
    """A parcel as the courier network has scanned it up to one instant."""

    index: int
    number: str
    carrier: str
    chinese: bool
    destination: Address
    scans: tuple[tuple[datetime, Scan], ...]


def _weighted(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    point = rng.random() * sum(weight for _, weight in table)
    for value, weight in table:
        point -= weight
        if point < 0:
            return value
    return table[-1][0]


def _at(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _seconds(instant: datetime) -> int:
    return int(instant.timestamp())


class Shop:
    """A simulated shop. Cheap to build; an order's details are drawn only when asked for."""

    def __init__(
        self,
        *,
        now: datetime,
        seed: int = 1,
        orders: int = 2000,
        history: timedelta = timedelta(days=10),
        arrivals_per_hour: float = 120.0,
        currency: str = "CNY",
        tick: int = 1,
        late_share: float = 0.0,
        late_by: int = 600,
        unrecorded_share: float = 0.0,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the shop's reference time must be timezone-aware")
        if orders < 0 or orders > _INDEX_MASK:
            raise ValueError(f"orders must be between 0 and {_INDEX_MASK}")
        self.seed = seed
        self.orders = orders
        self.now = now.astimezone(UTC)
        self.history = history
        self.arrivals_per_hour = arrivals_per_hour
        self.currency = currency
        if tick < 1 or not 0.0 <= late_share <= 1.0 or late_by < 0:
            raise ValueError("tick must be at least 1 s, late_share between 0 and 1")
        self.tick = tick
        self.late_share = late_share
        self.late_by = late_by
        self.unrecorded_share = unrecorded_share
        self._written: dict[int, FulfillmentState] = {}
        self._status_set: dict[int, str] = {}
        self._written_at: dict[int, int] = {}
        self._start = _seconds(self.now) - int(history.total_seconds())
        self._step = history.total_seconds() / max(orders, 1)
        self._offsets = array("q", [0])
        self._times = array("q")
        base_keys: list[int] = []
        for index in range(orders):
            base_keys.extend(self._remember(index))
        base_keys.sort()
        self._keys = array("q", base_keys)
        self._live: list[int] = []

    # -- drawing ---------------------------------------------------------------------------

    def _rng(self, index: int, stream: int) -> random.Random:
        return random.Random((self.seed * 1_000_003 + index) * 8 + stream)

    def created_epoch(self, index: int) -> int:
        jitter = self._rng(index, 0).random()
        if index < self.orders:
            created = self._start + int((index + 0.05 + 0.9 * jitter) * self._step)
        else:
            interval = 3600.0 / self.arrivals_per_hour if self.arrivals_per_hour > 0 else 1e12
            created = _seconds(self.now) + int(
                (index - self.orders + 0.55 + 0.9 * jitter) * interval
            )
        return created - created % self.tick

    def timeline(self, index: int) -> Timeline:
        rng = self._rng(index, 1)
        chinese = rng.random() < 0.7
        line = draw_timeline(rng, self.created_epoch(index), chinese=chinese)
        return line if self.tick == 1 else on_grid(line, self.tick)

    def is_late(self, index: int) -> bool:
        """Whether order ``index``'s changes reach order listings late."""
        return self.late_share > 0 and self._rng(index, 3).random() < self.late_share

    def is_unrecorded(self, index: int) -> bool:
        """Whether order ``index``'s shipment never gets recorded at the shop."""
        if self.unrecorded_share <= 0:
            return False
        return self._rng(index, 4).random() < self.unrecorded_share

    def details(self, index: int, line: Timeline | None = None) -> Details:
        line = line or self.timeline(index)
        rng = self._rng(index, 2)
        customer, address = chinese_customer(rng) if line.chinese else western_customer(rng)
        carrier = _weighted(rng, CN_MIX if line.chinese else WEST_MIX)
        courier = COURIERS[carrier]
        company = rng.choice(courier.shop_names)
        salt = rng.getrandbits(40)
        number = tracking_number(carrier, index, salt, domestic=line.chinese)
        items = basket(rng, index, line.chinese)
        shipping = "0.00" if line.chinese else rng.choice(("45.00", "88.00", "120.00"))
        return Details(
            customer=customer,
            address=address,
            items=items,
            tags=order_tags(rng),
            source_name=_weighted(rng, CHANNELS) if line.chinese else "web",
            carrier=carrier,
            company=company,
            tracking_number=number,
            shipping=shipping,
        )

    # -- the change index ------------------------------------------------------------------

    def _remember(self, index: int) -> list[int]:
        times = self.timeline(index).shop_times()
        self._times.extend(times)
        self._offsets.append(len(self._times))
        return [(t << _INDEX_BITS) | index for t in times]

    def _grow(self, at: int) -> None:
        """Draw the orders that arrived after the reference time, up to ``at``."""
        while True:
            index = len(self._offsets) - 1
            if self.created_epoch(index) > at:
                return
            for key in self._remember(index):
                bisect.insort(self._live, key)

    def count_at(self, at: datetime) -> int:
        """How many orders exist at ``at``."""
        epoch = _seconds(at)
        self._grow(epoch)
        known = len(self._offsets) - 1
        low, high = 0, known
        while low < high:
            middle = (low + high) // 2
            if self.created_epoch(middle) <= epoch:
                low = middle + 1
            else:
                high = middle
        return low

    def _updated_epoch(self, index: int, at: int) -> int | None:
        times = self._times[self._offsets[index] : self._offsets[index + 1]]
        position = bisect.bisect_right(times, at)
        latest = times[position - 1] if position else None
        written = self._written_at.get(index)
        if written is not None and written <= at and latest is not None:
            return max(latest, written)
        return latest

    # -- clients' writes ---------------------------------------------------------------------

    def _touch(self, index: int, at: datetime) -> int:
        """Note a write to order ``index`` at ``at``; returns its epoch second."""
        epoch = max(_seconds(at), self._written_at.get(index, 0))
        self._grow(epoch)
        self._written_at[index] = epoch
        bisect.insort(self._live, (epoch << _INDEX_BITS) | index)
        return epoch

    def record_fulfillment(
        self, index: int, at: datetime, company: str, number: str, url: str
    ) -> FulfillmentState:
        """A client fulfilled order ``index`` at ``at`` with tracking ``number``."""
        epoch = self._touch(index, at)
        fulfillment = FulfillmentState(
            id=WRITTEN_FULFILLMENT_BASE + index,
            created_at=datetime.fromtimestamp(epoch, UTC),
            company=company,
            number=number,
            url=url,
            display_status="FULFILLED",
        )
        self._written[index] = fulfillment
        return fulfillment

    def set_status(self, index: int, status: str, at: datetime) -> None:
        """A client set order ``index``'s platform status (WooCommerce) at ``at``."""
        self._touch(index, at)
        self._status_set[index] = status

    def listed_epoch(self, index: int, at: int) -> int | None:
        """The ``updated_at`` an order listing shows for order ``index`` at epoch ``at``."""
        latest = self._updated_epoch(index, at)
        if latest is None or not self.is_late(index):
            return latest
        first = self._times[self._offsets[index]]
        return max(first, self._updated_epoch(index, at - self.late_by) or first)

    def _keys_from(self, start: int) -> Iterator[int]:
        base = (
            self._keys[k] for k in range(bisect.bisect_left(self._keys, start), len(self._keys))
        )
        live = iter(self._live[bisect.bisect_left(self._live, start) :])
        return heapq.merge(base, live)

    def changed(
        self, at: datetime, *, since: int = 0, after: int = -1, limit: int = 100
    ) -> tuple[list[tuple[int, int]], bool]:
        """Orders whose last change as of ``at`` is at or after epoch second ``since`` and whose
        position (updated epoch, index) sorts after ``after``, oldest change first.

        Returns up to ``limit`` (index, updated epoch) pairs and whether more follow. ``after``
        is a position key as returned by :func:`position_key`.
        """
        epoch = _seconds(at)
        self._grow(epoch)
        start = max(since << _INDEX_BITS, after + 1)
        found: list[tuple[int, int]] = []
        for key in self._keys_from(start):
            moment = key >> _INDEX_BITS
            if moment > epoch:
                break
            index = key & _INDEX_MASK
            if self.listed_epoch(index, epoch) == moment:
                if found and found[-1] == (index, moment):
                    continue
                if len(found) == limit:
                    return found, True
                found.append((index, moment))
        return found, False

    # -- what the shop and the courier show ---------------------------------------------------

    def order_state(self, index: int, at: datetime) -> OrderState | None:
        """Order ``index`` as the shop platform shows it at ``at``; None if not yet placed."""
        epoch = _seconds(at)
        line = self.timeline(index)
        if line.created > epoch or index < 0:
            return None
        details = self.details(index, line)
        updated = max(t for t in line.shop_times() if t <= epoch)
        written_at = self._written_at.get(index)
        if written_at is not None and written_at <= epoch:
            updated = max(updated, written_at)
        subtotal = sum(float(item.price) * item.quantity for item in details.items)
        total = f"{subtotal + float(details.shipping):.2f}"
        state = OrderState(
            index=index,
            id=ORDER_ID_BASE + index,
            name=f"#{1001 + index}",
            created_at=datetime.fromtimestamp(line.created, UTC),
            updated_at=datetime.fromtimestamp(updated, UTC),
            cancelled_at=_at(line.cancelled if _due(line.cancelled, epoch) else None),
            closed_at=_at(line.closed if _due(line.closed, epoch) else None),
            paid_at=_at(line.paid if _due(line.paid, epoch) else None),
            refunded_at=_at(line.refunded if _due(line.refunded, epoch) else None),
            financial_status=line.financial_status(epoch),
            fulfillment_status=line.fulfillment_status(epoch),
            total=total,
            currency=self.currency,
            details=details,
            fulfillments=self._fulfillments(index, line, details, epoch),
        )
        return self._as_written(state, epoch)

    def _as_written(self, state: OrderState, epoch: int) -> OrderState:
        """``state`` with what clients wrote by ``epoch``, and without a shipment the shop
        never recorded."""
        index = state.index
        if self.is_unrecorded(index) and state.fulfillments:
            state = replace(state, fulfillments=(), fulfillment_status="IN_PROGRESS",
                            closed_at=None)  # fmt: skip
        written_at = self._written_at.get(index)
        if written_at is None or written_at > epoch:
            return state
        written = self._written.get(index)
        if written is not None:
            state = replace(state, fulfillments=(*state.fulfillments, written),
                            fulfillment_status="FULFILLED")  # fmt: skip
        return replace(state, status_set=self._status_set.get(index, ""))

    def listed_state(self, index: int, at: datetime) -> OrderState | None:
        """Order ``index`` as an order listing shows it at ``at`` (late for late orders)."""
        listed = self.listed_epoch(index, _seconds(at)) if index < len(self._offsets) - 1 else None
        if listed is None or not self.is_late(index):
            return self.order_state(index, at)
        return self.order_state(index, datetime.fromtimestamp(listed, UTC))

    def _fulfillments(
        self, index: int, line: Timeline, details: Details, epoch: int
    ) -> tuple[FulfillmentState, ...]:
        if not _due(line.shipped, epoch) or line.shipped is None:
            return ()
        display = "FULFILLED"
        for moment, scan in line.scans:
            if moment <= epoch and scan in SHOP_DISPLAY_STATUS:
                display = SHOP_DISPLAY_STATUS[scan]
        url = COURIERS[details.carrier].url.format(number=details.tracking_number)
        return (
            FulfillmentState(
                id=FULFILLMENT_ID_BASE + index,
                created_at=datetime.fromtimestamp(line.shipped, UTC),
                company=details.company,
                number=details.tracking_number,
                url=url,
                display_status=display,
            ),
        )

    def order_for_tracking(self, number: str) -> int | None:
        """The order whose parcel has tracking number ``number``, or None."""
        index = index_in_number(number)
        if index is None:
            return None
        return index if self.details(index).tracking_number == number else None

    def track_state(self, index: int, at: datetime) -> TrackState:
        """The courier scans of order ``index``'s parcel up to ``at``."""
        epoch = _seconds(at)
        line = self.timeline(index)
        details = self.details(index, line)
        scans = tuple(
            (datetime.fromtimestamp(moment, UTC), scan)
            for moment, scan in line.scans
            if moment <= epoch
        )
        return TrackState(
            index=index,
            number=details.tracking_number,
            carrier=details.carrier,
            chinese=line.chinese,
            destination=details.address,
            scans=scans,
        )


def position_key(updated_epoch: int, index: int) -> int:
    """The sort position of an order in "oldest change first" order, as :meth:`Shop.changed`
    takes it in ``after``."""
    return (updated_epoch << _INDEX_BITS) | index


def _due(epoch: int | None, now: int) -> bool:
    return epoch is not None and epoch <= now
