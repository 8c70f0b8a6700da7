"""An order's life, drawn once at birth: when it is paid, packed, shipped, scanned, delivered,
or how it goes wrong instead.

Shares of trouble, so the demo always has something for the rules to catch: about 3% never paid,
3% cancelled before payment, 3% refunded before shipping, 6% paid but never shipped (a third of
those put on hold), 5% shipped then silent, 6% with a courier exception (failed delivery, bad
address, customs, returned). Times are whole epoch seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from enum import StrEnum

from daemon.simulator.parcels import SHOP_DISPLAY_STATUS, Scan

MINUTE = 60
HOUR = 3600
DAY = 86400


class Scenario(StrEnum):
    NORMAL = "normal"
    UNPAID = "unpaid"
    CANCELLED_UNPAID = "cancelled_unpaid"
    REFUNDED = "refunded"
    STUCK_UNSHIPPED = "stuck_unshipped"
    SILENT = "silent"
    EXCEPTION = "exception"


SCENARIOS = (
    (Scenario.UNPAID, 0.03),
    (Scenario.CANCELLED_UNPAID, 0.03),
    (Scenario.REFUNDED, 0.03),
    (Scenario.STUCK_UNSHIPPED, 0.06),
    (Scenario.SILENT, 0.05),
    (Scenario.EXCEPTION, 0.06),
)


@dataclass(frozen=True, slots=True)
class Timeline:
    chinese: bool
    scenario: Scenario
    created: int
    paid: int | None = None
    packed: int | None = None
    on_hold: bool = False
    shipped: int | None = None
    scans: tuple[tuple[int, Scan], ...] = ()
    cancelled: int | None = None
    refunded: int | None = None
    partial_refund: bool = False
    closed: int | None = None

    def shop_times(self) -> tuple[int, ...]:
        """The instants at which the order changed as the shop platform sees it, strictly
        increasing (the order's ``updatedAt`` moves to each in turn)."""
        moments = [self.created]
        for moment in (self.paid, self.packed, self.shipped, self.cancelled, self.refunded):
            if moment is not None:
                moments.append(moment)
        moments.extend(moment for moment, scan in self.scans if scan in SHOP_DISPLAY_STATUS)
        if self.closed is not None:
            moments.append(self.closed)
        moments.sort()
        for position in range(1, len(moments)):
            if moments[position] <= moments[position - 1]:
                moments[position] = moments[position - 1] + 1
        return tuple(moments)

    def financial_status(self, now: int) -> str:
        if self.refunded is not None and self.refunded <= now:
            return "PARTIALLY_REFUNDED" if self.partial_refund else "REFUNDED"
        if self.paid is not None and self.paid <= now:
            return "PAID"
        if self.cancelled is not None and self.cancelled <= now:
            return "VOIDED"
        return "PENDING"

    def fulfillment_status(self, now: int) -> str:
        if self.shipped is not None and self.shipped <= now:
            return "FULFILLED"
        if self.cancelled is not None and self.cancelled <= now:
            return "UNFULFILLED"
        if self.packed is not None and self.packed <= now:
            return "ON_HOLD" if self.on_hold else "IN_PROGRESS"
        return "UNFULFILLED"


def _pick(rng: random.Random) -> Scenario:
    point = rng.random()
    for scenario, share in SCENARIOS:
        point -= share
        if point < 0:
            return scenario
    return Scenario.NORMAL


def _between(rng: random.Random, low: float, high: float) -> int:
    return int(rng.uniform(low, high))


def draw_timeline(rng: random.Random, created: int, *, chinese: bool) -> Timeline:
    scenario = _pick(rng)
    if scenario is Scenario.UNPAID:
        return Timeline(chinese, scenario, created)
    if scenario is Scenario.CANCELLED_UNPAID:
        cancelled = created + _between(rng, 2 * HOUR, 72 * HOUR)
        return Timeline(chinese, scenario, created, cancelled=cancelled)
    slow_payment = rng.random() < 0.1
    paid = created + (_between(rng, HOUR, DAY) if slow_payment else _between(rng, 10, 20 * MINUTE))
    packed = paid + _between(rng, 2 * HOUR, 30 * HOUR)
    if scenario is Scenario.REFUNDED:
        cancelled = paid + _between(rng, HOUR, 30 * HOUR)
        packed_first = packed if packed < cancelled and rng.random() < 0.3 else None
        return Timeline(
            chinese,
            scenario,
            created,
            paid=paid,
            packed=packed_first,
            cancelled=cancelled,
            refunded=cancelled + _between(rng, 30, 10 * MINUTE),
        )
    if scenario is Scenario.STUCK_UNSHIPPED:
        hold = rng.random() < 1 / 3
        packed_or_not = packed if hold or rng.random() < 0.5 else None
        return Timeline(chinese, scenario, created, paid=paid, packed=packed_or_not, on_hold=hold)
    shipped = packed + _between(rng, HOUR, 8 * HOUR)
    scans = _scans(rng, scenario, shipped, chinese=chinese)
    closed: int | None = None
    refunded: int | None = None
    partial = False
    if scans[-1][1] is Scan.DELIVERED:
        delivered = scans[-1][0]
        if rng.random() < 0.08:
            refunded, partial = delivered + _between(rng, DAY, 4 * DAY), True
        if rng.random() < 0.7:
            closed = delivered + _between(rng, 12 * HOUR, 72 * HOUR)
    return Timeline(
        chinese,
        scenario,
        created,
        paid=paid,
        packed=packed,
        shipped=shipped,
        scans=scans,
        refunded=refunded,
        partial_refund=partial,
        closed=closed,
    )


def _scans(
    rng: random.Random, scenario: Scenario, shipped: int, *, chinese: bool
) -> tuple[tuple[int, Scan], ...]:
    moment = shipped + _between(rng, 5 * MINUTE, HOUR)
    scans = [(moment, Scan.INFO)]

    def scan(kind: Scan, low: float, high: float) -> None:
        nonlocal moment
        moment += _between(rng, low, high)
        scans.append((moment, kind))

    scan(Scan.PICKED_UP, HOUR, 6 * HOUR)
    scan(Scan.DEPARTED, 2 * HOUR, 10 * HOUR)
    if scenario is Scenario.SILENT:
        return tuple(scans)
    abroad = 0 if chinese else 2 * DAY
    scan(Scan.ARRIVED, 8 * HOUR + abroad, 30 * HOUR + 2 * abroad)
    if scenario is Scenario.EXCEPTION:
        kinds = (Scan.FAILED, Scan.ADDRESS, Scan.RETURNING)
        trouble = rng.choice(kinds if chinese else (*kinds, Scan.CUSTOMS, Scan.CUSTOMS))
        if trouble is Scan.CUSTOMS:
            scan(Scan.CUSTOMS, 4 * HOUR, 24 * HOUR)
            return tuple(scans)
        if trouble is not Scan.ADDRESS:
            scan(Scan.OUT_FOR_DELIVERY, 4 * HOUR, 16 * HOUR)
        scan(Scan.FAILED if trouble is Scan.RETURNING else trouble, HOUR, 8 * HOUR)
        if trouble is Scan.RETURNING:
            scan(Scan.RETURNING, DAY, 2 * DAY)
        return tuple(scans)
    scan(Scan.OUT_FOR_DELIVERY, 4 * HOUR, 16 * HOUR)
    scan(Scan.DELIVERED, HOUR, 6 * HOUR)
    return tuple(scans)


def on_grid(line: Timeline, tick: int) -> Timeline:
    """``line`` with every instant moved back onto a grid of ``tick`` seconds."""

    def snap(epoch: int | None) -> int | None:
        return None if epoch is None else epoch - epoch % tick

    return replace(
        line,
        paid=snap(line.paid),
        packed=snap(line.packed),
        shipped=snap(line.shipped),
        scans=tuple((moment - moment % tick, scan) for moment, scan in line.scans),
        cancelled=snap(line.cancelled),
        refunded=snap(line.refunded),
        closed=snap(line.closed),
    )
