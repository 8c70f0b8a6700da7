"""The shop a ``rules test`` scenario plays in: its events become ordinary writes to a store.

Orders, parcels and sources are written through the same store methods the connectors use, so
the rules engine sees them exactly as it sees a real sync. A scenario names things by its own
ids (``A1``); :class:`World` keeps what each has been told so far (an event only lists what
changes) and maps those ids to the store's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from daemon.ruletest.spec import Event, instant_of
from sync.domain import (
    Checkpoint,
    FulfillmentStatus,
    Lifecycle,
    OrderRecord,
    PaymentStatus,
    ShipmentRecord,
    ShipmentStatus,
    TrackRecord,
)
from sync.errors import ConfigError
from sync.guards import Check
from sync.store import Store
from sync.store.scenarios import STAGES

SOURCE = "scenario"

ORDER_KEYS = frozenset(
    {
        "id",
        "fixture",
        "number",
        "payment_status",
        "fulfillment_status",
        "lifecycle",
        "total",
        "currency",
        "channel",
        "country",
        "city",
        "tags",
        "customer",
        "email",
        "created_at",
        "paid_at",
        "promised_at",
        "cancelled_at",
        "guards",
        *STAGES,
    }
)
SHIPMENT_KEYS = frozenset(
    {
        "id",
        "order",
        "carrier",
        "tracking_number",
        "tracked_by",
        "status",
        "status_raw",
        "shipped_at",
        "last_checkpoint_at",
    }
)
SOURCE_KEYS = frozenset(
    {"name", "kind", "last_success_at", "last_error", "last_error_at", "breaker", "carriers"}
)
_TIMES = frozenset({"created_at", "paid_at", "promised_at", "cancelled_at", *STAGES})


@dataclass
class World:
    store: Store
    zone: ZoneInfo
    where: str
    fixtures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    parcels: dict[str, dict[str, Any]] = field(default_factory=dict)
    saves: int = 0
    guards: dict[int, tuple[Check, ...]] = field(default_factory=dict)
    """Guard flags the scenario set on orders (``guards = [...]``), by the store's order id."""

    async def apply(self, event: Event) -> None:
        if event.kind == "order":
            await self._order(event)
        elif event.kind == "shipment":
            await self._shipment(event)
        elif event.kind == "source":
            await self._source(event)

    def fail(self, event: Event, message: str) -> ConfigError:
        return ConfigError(f"{self.where}:{event.line}: events: {message}")

    def _known(self, event: Event, keys: frozenset[str]) -> None:
        unknown = sorted(set(event.data) - keys)
        if unknown:
            raise self.fail(
                event, f"unknown {event.kind} key {unknown[0]!r} (known: {', '.join(sorted(keys))})"
            )

    def _time(self, event: Event, value: object) -> datetime | None:
        if value is None or value == "":
            return None
        found = instant_of(value, self.zone, event.at)
        if found is None:
            raise self.fail(event, f"{value!r} is not a time (use now, -3h, or 2027-03-25T15:30)")
        return found

    async def _order(self, event: Event) -> None:
        self._known(event, ORDER_KEYS)
        order_id = str(event.data.get("id", ""))
        if not order_id:
            raise self.fail(event, "an order needs an id")
        fields = self.orders.get(order_id)
        if fields is None:
            fields = {"created_at": event.at}
            fixture = event.data.get("fixture")
            if fixture is not None and fixture not in self.fixtures:
                raise self.fail(event, f"unknown fixture {fixture!r}")
            given = {**self.fixtures.get(str(fixture), {}), **event.data}
            self.orders[order_id] = fields
        else:
            given = dict(event.data)
        for key, value in given.items():
            fields[key] = self._time(event, value) if key in _TIMES else value
        pinned = self._guards(event, given["guards"]) if "guards" in given else None
        await self.save_order(event, order_id)
        if pinned is not None:
            ids = await self.store.order_ids_by_external(SOURCE, [order_id])
            self.guards[ids[order_id]] = pinned
        stages = {name: fields.get(name) for name in STAGES if name in given}
        if stages:
            ids = await self.store.order_ids_by_external(SOURCE, [order_id])
            await self.store.set_stage_times(ids[order_id], stages, event.at)

    def _guards(self, event: Event, value: object) -> tuple[Check, ...]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list):
            raise self.fail(event, 'guards: a list of guard names, like ["address_problem"]')
        known = {str(check): check for check in Check}
        unknown = [str(name) for name in names if str(name) not in known]
        if unknown:
            raise self.fail(
                event, f"unknown guard {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        return tuple(known[str(name)] for name in names)

    async def save_order(self, event: Event, order_id: str) -> None:
        fields = self.orders[order_id]
        self.saves += 1  # every save is news to the store, even when only a parcel changed
        try:
            record = OrderRecord(
                source=SOURCE,
                external_id=order_id,
                number=str(fields.get("number", order_id)),
                updated_at=event.at,
                created_at=fields["created_at"],
                payment_status=PaymentStatus(fields.get("payment_status", "paid")),
                fulfillment_status=FulfillmentStatus(
                    fields.get("fulfillment_status", "unfulfilled")
                ),
                lifecycle=Lifecycle(fields.get("lifecycle", "open")),
                total=str(fields.get("total", "0")),
                currency=str(fields.get("currency", "EUR")),
                channel=str(fields.get("channel", "web")),
                country=str(fields.get("country", "")),
                city=str(fields.get("city", "")),
                tags=tuple(str(tag) for tag in fields.get("tags", ())),
                customer_name=str(fields.get("customer", "")),
                email=str(fields.get("email", "")),
                paid_at=fields.get("paid_at"),
                promised_at=fields.get("promised_at"),
                cancelled_at=fields.get("cancelled_at"),
                shipments=tuple(self._parcel_records(order_id)),
                raw={"fields": {k: str(v) for k, v in sorted(fields.items())}, "save": self.saves},
            )
        except ValueError as error:
            raise self.fail(event, f"order {order_id}: {error}") from None
        await self.store.save_order_page(SOURCE, SOURCE, [record], "", event.at)

    def _parcel_records(self, order_id: str) -> list[ShipmentRecord]:
        return [
            ShipmentRecord(
                external_id=parcel_id,
                tracking_number=str(fields.get("tracking_number", parcel_id)),
                carrier=str(fields.get("carrier", "")),
                shipped_at=fields.get("shipped_at"),
            )
            for parcel_id, fields in self.parcels.items()
            if fields["order"] == order_id
        ]

    async def _shipment(self, event: Event) -> None:
        self._known(event, SHIPMENT_KEYS)
        parcel_id = str(event.data.get("id", ""))
        fields = self.parcels.setdefault(parcel_id, {})
        for key, value in event.data.items():
            fields[key] = (
                self._time(event, value) if key in {"shipped_at", "last_checkpoint_at"} else value
            )
        order_id = str(fields.get("order", ""))
        if not parcel_id or order_id not in self.orders:
            raise self.fail(event, "a shipment needs an id and the id of an order seen before")
        await self.save_order(event, order_id)
        if "status" in event.data or "last_checkpoint_at" in event.data:
            await self._track(event, parcel_id, fields)

    async def _track(self, event: Event, parcel_id: str, fields: dict[str, Any]) -> None:
        try:
            status = ShipmentStatus(fields.get("status", "in_transit"))
        except ValueError as error:
            raise self.fail(event, f"shipment {parcel_id}: {error}") from None
        scan: datetime | None = fields.get("last_checkpoint_at")
        checkpoints: tuple[Checkpoint, ...] = ()
        if scan is not None:
            checkpoints = (
                Checkpoint(
                    at=scan,
                    at_raw=scan.isoformat(),
                    description=f"scan ({status})",
                    status=status,
                    status_raw=str(status),
                ),
            )
        provider = str(fields.get("tracked_by", "17track"))
        track = TrackRecord(
            provider=provider,
            tracking_number=str(fields.get("tracking_number", parcel_id)),
            carrier=str(fields.get("carrier", "")),
            status=status,
            status_raw=str(fields.get("status_raw", status)),
            checkpoints=checkpoints,
        )
        ids = await self.store.shipment_ids_by_external([parcel_id])
        await self.store.save_tracks(provider, [track], [ids[parcel_id]], event.at)

    async def _source(self, event: Event) -> None:
        self._known(event, SOURCE_KEYS)
        data = event.data
        name = str(data.get("name", ""))
        if not name:
            raise self.fail(event, "a source needs a name")
        kind = str(data.get("kind", name))
        success = self._time(event, data.get("last_success_at"))
        if success is not None:
            await self.store.record_source_success(name, kind, 0, success)
        if data.get("last_error"):
            at = self._time(event, data.get("last_error_at", "now")) or event.at
            await self.store.record_source_error(name, kind, str(data["last_error"]), at)
        if "breaker" in data:
            await self.store.set_source_breaker(name, kind, str(data["breaker"]), event.at)
        if "carriers" in data:
            carriers = data["carriers"]
            codes = carriers.split(",") if isinstance(carriers, str) else list(carriers)
            await self.store.set_source_carriers(name, kind, [str(code).strip() for code in codes])

    async def heartbeat(self, name: str, kind: str, at: datetime) -> None:
        await self.store.record_source_success(name, kind, 0, at)
