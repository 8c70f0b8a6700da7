"""What the tracking page shows, worked out and masked, in one language: plain text, no HTML.

Building the view is where personal data is masked, so the HTML layer only ever sees the masked
values (and escapes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon.http.masking import Scrubber, mask_name, mask_phone, mask_place
from daemon.http.page_stage import STEPS, Stage, order_stage, parcel_stage
from daemon.http.page_words import ago, carrier_name, local_day, local_time, say
from sync.domain import CheckpointRow
from sync.store.tracking_page import PageParcel, TrackingPage


@dataclass(frozen=True, slots=True)
class ScanLine:
    when: str
    iso: str
    """Machine-readable instant for ``<time datetime>``; empty for a zone-less scan."""
    text: str
    place: str


@dataclass(frozen=True, slots=True)
class ParcelView:
    heading: str
    stage: str
    courier: str
    tracking_number: str
    eta: str
    scans: tuple[ScanLine, ...]
    fresh: str


@dataclass(frozen=True, slots=True)
class StepView:
    label: str
    done: bool
    current: bool


@dataclass(frozen=True, slots=True)
class PageView:
    lang: str
    title: str
    stage: str
    trouble: bool
    steps: tuple[StepView, ...]
    customer: str
    phone: str
    place: str
    promised: str
    parcels: tuple[ParcelView, ...]
    zone_note: str
    fresh_order: str


def build_view(page: TrackingPage, zone: ZoneInfo, lang: str, now: datetime) -> PageView:
    order = page.order
    shipments = [p.shipment for p in page.parcels]
    stage = order_stage(order, shipments)
    promised = ""
    if order.promised_at is not None and stage.word != "delivered":
        promised = local_day(order.promised_at, zone, lang)
    return PageView(
        lang=lang,
        title=say(lang, "title", number=order.number),
        stage=say(lang, stage.word),
        trouble=stage.trouble,
        steps=_steps(stage, lang),
        customer=mask_name(order.customer_name),
        phone=mask_phone(order.phone),
        place=mask_place(order.address, order.city, order.province, order.country),
        promised=promised,
        parcels=tuple(
            _parcel(parcel, n, len(page.parcels), page, zone, lang, now)
            for n, parcel in enumerate(page.parcels, start=1)
        ),
        zone_note=say(lang, "zone", zone=zone.key),
        fresh_order=say(lang, "fresh_order", ago=ago(page.synced_at, now, lang))
        if page.synced_at
        else "",
    )


def _steps(stage: Stage, lang: str) -> tuple[StepView, ...]:
    return tuple(
        StepView(
            label=say(lang, f"step.{step}"),
            done=index <= stage.reached,
            current=index == stage.reached,
        )
        for index, step in enumerate(STEPS)
    )


def _parcel(
    parcel: PageParcel,
    n: int,
    total: int,
    page: TrackingPage,
    zone: ZoneInfo,
    lang: str,
    now: datetime,
) -> ParcelView:
    shipment = parcel.shipment
    scrub = Scrubber([page.order.customer_name], [page.order.phone])
    scans = tuple(_scan(scan, zone, lang, scrub) for scan in reversed(parcel.checkpoints))
    eta = ""
    if shipment.eta is not None and shipment.status != "delivered":
        eta = local_day(shipment.eta, zone, lang)
    fresh = say(lang, "never")
    if parcel.heard_at is not None:
        fresh = say(lang, "fresh", ago=ago(parcel.heard_at, now, lang))
    return ParcelView(
        heading=say(lang, "parcel", n=n, total=total) if total > 1 else "",
        stage=say(lang, parcel_stage(shipment).word),
        courier=carrier_name(shipment.carrier, shipment.carrier_raw, lang),
        tracking_number=shipment.tracking_number,
        eta=eta,
        scans=scans,
        fresh=fresh,
    )


def _scan(scan: CheckpointRow, zone: ZoneInfo, lang: str, scrub: Scrubber) -> ScanLine:
    if scan.at is None:
        when = f"{scan.at_raw} ({say(lang, 'zoneless')})"
        iso = ""
    else:
        when, iso = local_time(scan.at, zone, lang), scan.at.isoformat()
    return ScanLine(
        when=when,
        iso=iso,
        text=scrub(scan.description),
        place=scrub(scan.location),
    )
