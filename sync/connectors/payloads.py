"""Saved vendor payloads → records, for ``orderwatchd parse KIND FILE``.

Each parser takes the text of one response or push body exactly as the vendor sent it. Order
kinds print ``{"orders": [...]}``, every order in the shape of :func:`order_document`, so an
agent or an owner can see why an order looks the way it does; they accept list pages,
single-order responses and webhook bodies alike. Tracking kinds print ``{"shipments": [...]}``
in the shape of :func:`shipment_document`, from API answers and pushes alike (for Kuaidi100's
push, the JSON of its ``param`` field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sync.connectors import aftership_parse, kuaidi100_parse
from sync.connectors.fields import load_json
from sync.connectors.shopify_graphql_parse import parse_graphql_payload
from sync.connectors.shopify_rest import parse_rest_payload
from sync.connectors.track17_parse import parse_push, parse_tracks
from sync.connectors.woocommerce import parse_woocommerce_payload
from sync.domain import OrderRecord, TrackRecord
from sync.errors import PayloadError

SOURCE = "parse"


def _object(text: str) -> dict[str, Any]:
    body = load_json(text)
    if not isinstance(body, dict):
        raise PayloadError("expected a JSON object at the top level")
    return body


def instant_text(instant: datetime | None) -> str | None:
    """UTC ISO-8601 with ``Z``, or None."""
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_status(record: OrderRecord) -> str:
    """The vendor's own status words, each once, in axis order (payment, fulfillment, life)."""
    seen: list[str] = []
    for value in (record.payment_raw, record.fulfillment_raw, record.lifecycle_raw):
        if value and value not in seen:
            seen.append(value)
    return " / ".join(seen)


def order_document(record: OrderRecord) -> dict[str, Any]:
    """One order as ``orderwatchd parse`` prints it (the same fields for every order kind)."""
    return {
        "source": record.source,
        "external_id": record.external_id,
        "number": record.number,
        "payment_status": str(record.payment_status),
        "fulfillment_status": str(record.fulfillment_status),
        "lifecycle": str(record.lifecycle),
        "raw_status": raw_status(record),
        "total": record.total,
        "currency": record.currency,
        "created_at": instant_text(record.created_at),
        "updated_at": instant_text(record.updated_at),
        "paid_at": instant_text(record.paid_at),
        "customer": {
            "name": record.customer_name,
            "email": record.email,
            "phone": record.phone,
        },
        "line_items": {
            "count": len(record.line_items),
            "list": [
                {
                    "title": item.title,
                    "sku": item.sku,
                    "quantity": item.quantity,
                    "price": item.price,
                }
                for item in record.line_items
            ],
        },
        "shipments": [
            {
                "carrier": shipment.carrier or shipment.carrier_raw,
                "tracking_number": shipment.tracking_number,
                "tracking_url": shipment.tracking_url,
            }
            for shipment in record.shipments
        ],
    }


def orders_document(records: Sequence[OrderRecord]) -> dict[str, Any]:
    return {"orders": [order_document(record) for record in records]}


def _shopify_graphql(text: str) -> object:
    return orders_document(parse_graphql_payload(_object(text), SOURCE))


def _shopify_rest(text: str) -> object:
    return orders_document(parse_rest_payload(_object(text), SOURCE))


def _woocommerce(text: str) -> object:
    return orders_document(parse_woocommerce_payload(load_json(text), SOURCE))


def shipment_document(track: TrackRecord) -> dict[str, Any]:
    """One parcel's track as ``orderwatchd parse`` prints it (the same for every provider)."""
    return {
        "tracking_number": track.tracking_number,
        "carrier": track.carrier,
        "status": str(track.status),
        "raw_status": track.status_raw,
        "raw_substatus": track.substatus_raw,
        "checkpoints": [
            {
                "at": instant_text(scan.at),
                "tz_known": not scan.zoneless,
                "status": str(scan.status),
                "location": scan.location,
                "message": scan.description,
            }
            for scan in track.checkpoints
        ],
        "last_event_at": instant_text(track.last_event_at),
        "eta": instant_text(track.eta),
        "signed_by": track.signed_by or None,
    }


def shipments_document(tracks: Sequence[TrackRecord]) -> dict[str, Any]:
    return {"shipments": [shipment_document(track) for track in tracks]}


def _track17(text: str) -> object:
    body = _object(text)
    if "event" in body:  # a push, not a gettrackinfo response
        track = parse_push(body, "17track")
        return shipments_document([] if track is None else [track])
    return shipments_document(parse_tracks(body, "17track"))


def _aftership(text: str) -> object:
    return shipments_document(aftership_parse.parse_body(_object(text), "aftership"))


def _kuaidi100(text: str) -> object:
    return shipments_document(kuaidi100_parse.parse_body(_object(text), "kuaidi100"))


PARSERS: dict[str, Callable[[str], object]] = {
    "shopify-graphql": _shopify_graphql,
    "shopify-rest": _shopify_rest,
    "woocommerce": _woocommerce,
    "17track": _track17,
    "aftership": _aftership,
    "kuaidi100": _kuaidi100,
}
"""Kind → parser. Each returns a JSON-ready document (dataclasses are turned into objects by the
caller)."""
