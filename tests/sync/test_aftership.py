"""AfterShip: the SDK's recorded payloads, and the connector against the simulated account."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.aftership_api import AfterShip, Entry
from daemon.simulator.app import create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import TRACKING_PROVIDERS
from sync.connectors.aftership import AfterShipProvider
from sync.connectors.aftership_parse import (
    parse_body,
    shipment_status,
    sign,
    verify_webhook,
)
from sync.connectors.base import Parcel
from sync.domain import ShipmentStatus
from sync.errors import PayloadError, SourceAuthError, SourceRateLimited
from sync.http import retry_after

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "as-test-key"
Start = Callable[..., Awaitable[RunningServer]]


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


async def no_wait(_seconds: float) -> None:
    """Retries and holds in these tests do not really wait."""


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=5, orders=400, now=NOW)


@pytest.fixture
async def start(shop: Shop) -> AsyncIterator[Start]:
    servers: list[RunningServer] = []

    async def starter(**options: Any) -> RunningServer:
        options.setdefault("token", TOKEN)
        options.setdefault("aftership_per_second", 1000)  # no_wait does not pace
        server = await serve(create_app(shop, clock=VirtualClock(NOW), **options))
        servers.append(server)
        return server

    yield starter
    for server in servers:
        await server.stop()


def provider(
    server: RunningServer, client: httpx.AsyncClient, **settings: str
) -> AfterShipProvider:
    return AfterShipProvider(
        "aftership", client, {"url": server.url, "token": TOKEN, **settings}, sleep=no_wait
    )


def parcels(shop: Shop, count: int) -> list[Parcel]:
    found = [i for i in range(shop.orders) if shop.track_state(i, NOW).scans][:count]
    return [Parcel(shop.details(i).tracking_number, shop.details(i).carrier) for i in found]


def test_the_registry_knows_aftership() -> None:
    assert TRACKING_PROVIDERS["aftership"] is AfterShipProvider


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Pending", "Pending_001", ShipmentStatus.PENDING),
        ("InfoReceived", "InfoReceived_001", ShipmentStatus.INFO_RECEIVED),
        ("InTransit", "InTransit_007", ShipmentStatus.IN_TRANSIT),
        ("OutForDelivery", "OutForDelivery_001", ShipmentStatus.OUT_FOR_DELIVERY),
        ("AttemptFail", "AttemptFail_001", ShipmentStatus.DELIVERY_FAILED),
        ("Delivered", "Delivered_001", ShipmentStatus.DELIVERED),
        ("AvailableForPickup", "AvailableForPickup_001", ShipmentStatus.AVAILABLE_FOR_PICKUP),
        ("Exception", "Exception_001", ShipmentStatus.EXCEPTION),
        ("Exception", "Exception_003", ShipmentStatus.REFUSED),
        ("Exception", "Exception_004", ShipmentStatus.DELAYED),
        ("Expired", "Expired_001", ShipmentStatus.EXPIRED),
    ],
)
def test_aftership_tags_map_to_shipment_statuses(
    tag: str, subtag: str, expected: ShipmentStatus
) -> None:
    assert shipment_status(tag, subtag) is expected


def test_an_unknown_tag_is_unknown_not_an_error() -> None:
    assert shipment_status("Teleported", "Teleported_001") is ShipmentStatus.UNKNOWN


def test_a_parcel_going_back_to_its_sender_is_returning_then_returned() -> None:
    assert shipment_status("InTransit", return_to_sender=True) is ShipmentStatus.RETURNING
    assert shipment_status("Delivered", return_to_sender=True) is ShipmentStatus.RETURNED


def test_fixture_list_page_reads_every_tracking() -> None:
    tracks = parse_body(fixture("aftership_trackings.json"), "aftership")
    assert [(t.tracking_number, t.carrier, t.status) for t in tracks] == [
        ("1111111111111", "fedex", ShipmentStatus.DELIVERED),
        ("2222222222222", "ups", ShipmentStatus.EXPIRED),
        ("1231231231231", "usps", ShipmentStatus.EXPIRED),
    ]


def test_fixture_keeps_the_raw_tag_and_subtag() -> None:
    delivered = parse_body(fixture("aftership_trackings.json"), "aftership")[0]
    assert (delivered.status_raw, delivered.substatus_raw) == ("Delivered", "Delivered_001")
    assert delivered.checkpoints[-1].status_raw == "Delivered_001"


def test_fixture_checkpoints_are_oldest_first_by_absolute_time() -> None:
    (track,) = parse_body(fixture("aftership_tracking.json"), "aftership")
    instants = [c.at for c in track.checkpoints]
    assert instants == sorted(i for i in instants if i is not None)
    assert track.checkpoints[0].at == datetime(2018, 7, 23, 6, 21, 39, tzinfo=UTC)  # -05:00
    assert track.last_event_at == datetime(2018, 7, 25, 1, 10, tzinfo=UTC)  # +09:00


def test_fixture_gives_signer_eta_and_id() -> None:
    (track,) = parse_body(fixture("aftership_tracking.json"), "aftership")
    assert track.signed_by == "..KOSUTOKO"
    assert track.eta == datetime(2022, 1, 5, 11, 11, 11, tzinfo=UTC)
    assert track.provider_ref == "5b7658cec7c33c0e007de3c5"


def test_a_date_only_estimate_is_read_as_that_day() -> None:
    delivered = parse_body(fixture("aftership_trackings.json"), "aftership")[0]
    assert delivered.eta == datetime(2018, 8, 1, tzinfo=UTC)


def test_a_checkpoint_time_without_zone_is_flagged_not_guessed() -> None:
    body = fixture("aftership_tracking.json")
    body["data"]["tracking"]["checkpoints"][1]["checkpoint_time"] = "2018-07-23T16:58:00"
    (track,) = parse_body(body, "aftership")
    loose = [c for c in track.checkpoints if c.zoneless]
    assert [(c.at, c.at_raw) for c in loose] == [(None, "2018-07-23T16:58:00")]


def test_a_webhook_gives_the_same_track_as_the_api() -> None:
    (pushed,) = parse_body(fixture("aftership_webhook_tracking_update.json"), "aftership")
    (fetched,) = parse_body(fixture("aftership_tracking.json"), "aftership")
    assert pushed == fetched


def test_an_error_envelope_is_a_payload_error_naming_the_code() -> None:
    with pytest.raises(PayloadError, match="401 Invalid API Key"):
        parse_body(fixture("aftership_error.json"), "aftership")


def test_a_webhook_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body = (FIXTURES / "aftership_webhook_tracking_update.json").read_bytes()
    good = sign(body, "s3cret")
    assert verify_webhook(body, good, "s3cret")
    assert not verify_webhook(body, good, "other")
    assert not verify_webhook(body, None, "s3cret")
    assert not verify_webhook(body + b" ", good, "s3cret")


def test_a_429_without_retry_after_waits_for_the_rate_limit_reset() -> None:
    now = datetime(2025, 3, 1, tzinfo=UTC)
    headers = {"X-RateLimit-Reset": str(int(now.timestamp()) + 7)}
    assert retry_after(httpx.Response(429, headers=headers), now) == 7
    assert retry_after(httpx.Response(200, headers=headers), now) is None


async def test_creating_a_tracking_twice_makes_no_duplicate(start: Start, shop: Shop) -> None:
    server = await start()
    wanted = parcels(shop, 3)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.register(wanted)
        await tracker.register(wanted)
    assert sorted(server_state(server).entries) == sorted(p.tracking_number for p in wanted)


def server_state(server: RunningServer) -> Any:
    return server.app.state.aftership


async def test_fetch_one_and_many(start: Start, shop: Shop) -> None:
    server = await start()
    wanted = parcels(shop, 5)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.register(wanted)
        one = await tracker.fetch_tracks(wanted[:1])
        many = await tracker.fetch_tracks(wanted)
    assert [t.tracking_number for t in one] == [wanted[0].tracking_number]
    assert {t.tracking_number for t in many} == {p.tracking_number for p in wanted}
    assert all(t.checkpoints and t.provider_ref for t in many)


async def test_a_tracking_aftership_does_not_know_is_no_track(start: Start) -> None:
    server = await start()
    async with httpx.AsyncClient() as client:
        assert await provider(server, client).fetch_tracks([Parcel("SF0000000000000", "sf")]) == []


async def test_updated_since_pages_through_the_list_and_resumes(start: Start, shop: Shop) -> None:
    server = await start()
    wanted = parcels(shop, 7)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client, page_size="3")
        await tracker.register(wanted)
        seen: list[str] = []
        cursor, more, pages = "", True, 0
        while more:
            tracks, cursor, more = await tracker.updated_since(cursor)
            seen += [t.tracking_number for t in tracks]
            pages += 1
        again, _, _ = await tracker.updated_since(cursor)
    assert pages == 3
    assert sorted(seen) == sorted(p.tracking_number for p in wanted)
    assert cursor.startswith(cursor.split("|")[2])  # a finished run restarts at what it saw
    assert len(again) <= len(wanted)


async def test_a_spent_rate_limit_window_holds_the_next_call(start: Start, shop: Shop) -> None:
    server = await start(aftership_per_second=1)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.fetch_tracks(parcels(shop, 2))
        assert tracker.rate_limit == (0, 1)
        assert tracker.pacer.held_for > 0


async def test_429_is_rate_limited_after_retries(start: Start, shop: Shop) -> None:
    server = await start(faults="429:1")
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceRateLimited):
            await provider(server, client).fetch_tracks(parcels(shop, 2))


async def test_a_wrong_api_key_raises_auth_error(start: Start, shop: Shop) -> None:
    server = await start()
    async with httpx.AsyncClient() as client:
        tracker = AfterShipProvider(
            "aftership", client, {"url": server.url, "token": "nope"}, sleep=no_wait
        )
        with pytest.raises(SourceAuthError):
            await tracker.register(parcels(shop, 1))


def test_the_simulated_tracking_reads_like_a_real_one() -> None:
    real = fixture("aftership_tracking.json")["data"]["tracking"]
    shop = Shop(seed=5, orders=50, now=NOW)
    index = next(i for i in range(50) if shop.track_state(i, NOW).scans)
    service = AfterShip(shop, VirtualClock(NOW), TOKEN)
    number = shop.details(index).tracking_number
    entry = Entry("x", number, "sf-express", NOW)
    service.entries[number] = entry
    simulated = service.tracking(entry)
    assert set(simulated["checkpoints"][0]) <= set(real["checkpoints"][0])
    assert {"tag", "subtag", "signed_by", "checkpoints", "tracking_number", "slug"} <= set(
        simulated
    )
