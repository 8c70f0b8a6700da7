from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.faults import Faults
from daemon.simulator.parcels import Scan
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import TRACKING_PROVIDERS
from sync.connectors.base import Parcel
from sync.connectors.track17 import (
    Track17Provider,
    parse_push,
    parse_tracks,
    shipment_status,
    verify_push,
)
from sync.connectors.tracks import CHINA
from sync.domain import ShipmentStatus
from sync.errors import ConfigError, PayloadError, SourceAuthError, SourceError, SourceRateLimited
from sync.pacing import Pacer

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "17-test-key"
Start = Callable[..., Awaitable[RunningServer]]


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=31, orders=1000, now=NOW)


@pytest.fixture
async def start(shop: Shop) -> AsyncIterator[Start]:
    servers: list[RunningServer] = []

    async def starter(**options: Any) -> RunningServer:
        options.setdefault("token", TOKEN)
        server = await serve(create_app(shop, clock=VirtualClock(NOW), **options))
        servers.append(server)
        return server

    yield starter
    for server in servers:
        await server.stop()


@pytest.fixture
async def calls() -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    """A client that records how many numbers each request carried."""
    sizes: list[int] = []

    async def count(request: httpx.Request) -> None:
        sizes.append(len(json.loads(request.content)))

    async with httpx.AsyncClient(event_hooks={"request": [count]}) as client:
        yield client, sizes


async def no_wait(_seconds: float) -> None:
    """Retries in these tests do not really wait."""


def provider(server: RunningServer | str, client: httpx.AsyncClient) -> Track17Provider:
    url = server if isinstance(server, str) else server.url
    return Track17Provider("17track", client, {"url": url, "token": TOKEN}, sleep=no_wait)


def parcels_where(shop: Shop, wanted: Callable[[int], bool], count: int = 1) -> list[Parcel]:
    found = [i for i in range(shop.orders) if wanted(i)][:count]
    assert len(found) == count
    return [Parcel(shop.details(i).tracking_number, shop.details(i).carrier) for i in found]


def last_scan(shop: Shop, index: int) -> Scan | None:
    scans = shop.track_state(index, NOW).scans
    return scans[-1][1] if scans else None


def test_the_registry_knows_17track() -> None:
    assert TRACKING_PROVIDERS["17track"] is Track17Provider


@pytest.mark.parametrize(
    ("status", "sub_status", "expected"),
    [
        ("NotFound", "NotFound_Other", ShipmentStatus.PENDING),
        ("NotFound", "NotFound_InvalidCode", ShipmentStatus.NOT_FOUND),
        ("InfoReceived", "InfoReceived", ShipmentStatus.INFO_RECEIVED),
        ("InTransit", "InTransit_PickedUp", ShipmentStatus.IN_TRANSIT),
        ("InTransit", "InTransit_CustomsRequiringInformation", ShipmentStatus.EXCEPTION),
        ("OutForDelivery", "OutForDelivery_Other", ShipmentStatus.OUT_FOR_DELIVERY),
        ("AvailableForPickup", "AvailableForPickup_Other", ShipmentStatus.AVAILABLE_FOR_PICKUP),
        ("DeliveryFailure", "DeliveryFailure_InvalidAddress", ShipmentStatus.DELIVERY_FAILED),
        ("DeliveryFailure", "DeliveryFailure_Rejected", ShipmentStatus.REFUSED),
        ("Delivered", "Delivered_Other", ShipmentStatus.DELIVERED),
        ("Expired", "Expired_Other", ShipmentStatus.EXPIRED),
        ("Exception", "Exception_Returning", ShipmentStatus.RETURNING),
        ("Exception", "Exception_Returned", ShipmentStatus.RETURNED),
        ("Exception", "Exception_Delayed", ShipmentStatus.DELAYED),
        ("Exception", "Exception_Cancel", ShipmentStatus.CANCELLED),
        ("Exception", "Exception_Lost", ShipmentStatus.EXCEPTION),
    ],
)
def test_17track_statuses_map_to_shipment_statuses(
    status: str, sub_status: str, expected: ShipmentStatus
) -> None:
    assert shipment_status(status, sub_status) is expected


def test_an_unknown_status_is_unknown_not_an_error() -> None:
    assert shipment_status("Teleported", "Teleported_Other") is ShipmentStatus.UNKNOWN


def test_an_unknown_sub_status_falls_back_to_its_main_status() -> None:
    assert shipment_status("InTransit", "InTransit_QuantumSorting") is ShipmentStatus.IN_TRANSIT


def test_fixture_status_is_the_aggregate_not_the_last_event() -> None:
    ems = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")[1]
    assert (ems.status, ems.status_raw, ems.substatus_raw) == (
        ShipmentStatus.EXCEPTION,
        "Exception",
        "Exception_Other",
    )
    assert ems.checkpoints[-1].status is ShipmentStatus.AVAILABLE_FOR_PICKUP


def test_fixture_checkpoints_are_sorted_by_absolute_time() -> None:
    ups = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")[0]
    instants = [checkpoint.at for checkpoint in ups.checkpoints]
    assert instants == sorted(i for i in instants if i is not None)
    assert ups.checkpoints[0].description.startswith("Shipper created a label")
    assert ups.checkpoints[2].description == "Export Scan"  # listed out of order by 17TRACK


def test_fixture_checkpoints_prefer_the_utc_time() -> None:
    ups = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")[0]
    delivered = ups.checkpoints[-1]
    assert delivered.at == datetime(2025, 1, 17, 22, 5, 10, tzinfo=UTC)
    assert delivered.at_raw == "2025-01-17T14:05:10-08:00"
    assert not delivered.zoneless


def test_fixture_zone_less_china_times_are_read_in_china_time_and_flagged() -> None:
    ems = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")[1]
    assert [(c.at, c.zoneless, c.at_raw) for c in ems.checkpoints] == [
        (datetime(2025, 1, 13, 1, 1, 47, tzinfo=UTC), True, "2025-01-13T09:01:47"),
        (datetime(2025, 1, 15, 8, 22, 9, tzinfo=UTC), True, "2025-01-15T16:22:09"),
    ]


def test_a_zone_less_time_from_a_country_with_several_zones_keeps_no_instant() -> None:
    body = fixture("track17_gettrackinfo.json")
    ems = body["data"]["accepted"][1]
    ems["track_info"]["shipping_info"]["shipper_address"]["country"] = "US"
    for provider in ems["track_info"]["tracking"]["providers"]:
        provider["provider"]["country"] = "US"
        for event in provider["events"]:
            event["address"]["country"] = "US"
    scans = parse_tracks(body, "17track")[1].checkpoints
    assert [(c.at, c.zoneless) for c in scans] == [(None, True), (None, True)]


def test_fixture_unknown_event_sub_status_is_kept_raw() -> None:
    ups = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")[0]
    export = ups.checkpoints[2]
    assert (export.status, export.status_raw) == (
        ShipmentStatus.IN_TRANSIT,
        "InTransit_QuantumSorting",
    )


def test_fixture_carrier_comes_from_17tracks_number() -> None:
    ups, ems = parse_tracks(fixture("track17_gettrackinfo.json"), "17track")
    assert (ups.carrier, ems.carrier) == ("ups", "ems")
    assert ups.raw["number"] == ups.tracking_number == "1Z4A7E860312345678"


def test_fixture_rejected_numbers_are_not_tracks() -> None:
    numbers = [t.tracking_number for t in parse_tracks(fixture("track17_gettrackinfo.json"), "x")]
    assert "YT7500000000001" not in numbers


def test_fixture_push_gives_the_track() -> None:
    track = parse_push(fixture("track17_push_tracking_updated.json"), "17track")
    assert track is not None
    assert (track.tracking_number, track.carrier, track.status) == (
        "SF1402236517810",
        "sf",
        ShipmentStatus.IN_TRANSIT,
    )
    assert [c.status_raw for c in track.checkpoints] == [
        "InTransit_PickedUp",
        "InTransit_Departure",
        "InTransit_Arrival",
    ]


def test_a_stopped_push_has_no_track() -> None:
    assert parse_push({"event": "TRACKING_STOPPED", "data": {"number": "1"}}, "17track") is None


def test_a_non_zero_code_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        parse_tracks({"code": -18010014, "data": {"errors": []}}, "17track")


async def test_register_sends_at_most_forty_numbers_a_call(
    start: Start, shop: Shop, calls: tuple[httpx.AsyncClient, list[int]]
) -> None:
    client, sizes = calls
    parcels = parcels_where(shop, lambda i: bool(shop.track_state(i, NOW).scans), count=95)
    await provider(await start(), client).register(parcels)
    assert sizes == [40, 40, 15]


async def test_registering_twice_is_fine(start: Start, shop: Shop) -> None:
    parcels = parcels_where(shop, lambda i: True, count=3)
    async with httpx.AsyncClient() as client:
        tracker = provider(await start(), client)
        await tracker.register(parcels)
        await tracker.register(parcels)
        tracks = await tracker.fetch_tracks(parcels)
    assert len(tracks) == 3


async def test_fetch_tracks_batches_and_skips_unregistered(
    start: Start, shop: Shop, calls: tuple[httpx.AsyncClient, list[int]]
) -> None:
    client, sizes = calls
    parcels = parcels_where(shop, lambda i: True, count=50)
    tracker = provider(await start(), client)
    await tracker.register(parcels[:30])
    sizes.clear()
    tracks = await tracker.fetch_tracks(parcels)
    assert sizes == [40, 10]
    assert {t.tracking_number for t in tracks} == {p.tracking_number for p in parcels[:30]}


async def test_a_delivered_parcel_is_delivered_with_ordered_checkpoints(
    start: Start, shop: Shop
) -> None:
    parcels = parcels_where(
        shop, lambda i: last_scan(shop, i) is Scan.DELIVERED and shop.details(i).carrier == "sf"
    )
    async with httpx.AsyncClient() as client:
        tracker = provider(await start(), client)
        await tracker.register(parcels)
        (track,) = await tracker.fetch_tracks(parcels)
    instants = [c.at for c in track.checkpoints]
    assert (track.status, track.carrier) == (ShipmentStatus.DELIVERED, "sf")
    assert instants == sorted(i for i in instants if i) and len(instants) == 6
    assert track.checkpoints[0].status is ShipmentStatus.INFO_RECEIVED


async def test_a_customs_hold_is_an_exception(start: Start, shop: Shop) -> None:
    parcels = parcels_where(shop, lambda i: last_scan(shop, i) is Scan.CUSTOMS)
    async with httpx.AsyncClient() as client:
        tracker = provider(await start(), client)
        await tracker.register(parcels)
        (track,) = await tracker.fetch_tracks(parcels)
    assert (track.status, track.substatus_raw) == (
        ShipmentStatus.EXCEPTION,
        "InTransit_CustomsRequiringInformation",
    )


async def test_china_ems_scans_are_zone_less_and_read_in_china_time(
    start: Start, shop: Shop
) -> None:
    parcels = parcels_where(
        shop,
        lambda i: (
            shop.details(i).carrier == "ems"
            and shop.details(i).tracking_number.startswith("1")
            and len(shop.track_state(i, NOW).scans) > 1
        ),
    )
    async with httpx.AsyncClient() as client:
        tracker = provider(await start(), client)
        await tracker.register(parcels)
        (track,) = await tracker.fetch_tracks(parcels)
    assert track.checkpoints and all(c.zoneless for c in track.checkpoints)
    for scan in track.checkpoints:
        assert scan.at is not None
        assert scan.at.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M:%S") == scan.at_raw
    assert [c.at_raw for c in track.checkpoints] == sorted(c.at_raw for c in track.checkpoints)


async def test_429_raises_rate_limited(start: Start, shop: Shop) -> None:
    server = await start(faults=Faults("429:1", retry_after=3))
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceRateLimited) as caught:
            await provider(server, client).register(parcels_where(shop, lambda i: True))
    assert caught.value.retry_after == 3


async def test_a_garbage_body_raises_payload_error(start: Start, shop: Shop) -> None:
    server = await start(faults="garbage:1")
    async with httpx.AsyncClient() as client:
        with pytest.raises(PayloadError):
            await provider(server, client).fetch_tracks(parcels_where(shop, lambda i: True))


async def test_a_server_error_raises_source_error(start: Start, shop: Shop) -> None:
    server = await start(faults="500:1")
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceError, match="HTTP 500"):
            await provider(server, client).register(parcels_where(shop, lambda i: True))


async def test_a_wrong_key_raises_auth_error(start: Start, shop: Shop) -> None:
    server = await start(track17_token="another")
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceAuthError):
            await provider(server, client).register(parcels_where(shop, lambda i: True))


async def test_a_refused_batch_raises_source_error() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        body = {"code": -18010014, "data": {"errors": [{"code": -18010014, "message": "limit 40"}]}}
        return httpx.Response(200, json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
        with pytest.raises(SourceError, match="-18010014: limit 40"):
            await provider("http://17track.test", client).register([Parcel("SF1", "sf")])


async def test_a_known_carrier_is_sent_as_17tracks_number() -> None:
    sent: list[Any] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent.extend(json.loads(request.content))
        return httpx.Response(200, json={"code": 0, "data": {"accepted": [], "rejected": []}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(reply)) as client:
        await provider("http://17track.test", client).register(
            [Parcel("SF1402236517810", "sf"), Parcel("JD0001", "jd"), Parcel("X1", "")]
        )
    assert sent == [
        {"number": "SF1402236517810", "carrier": 190766},
        {"number": "JD0001"},
        {"number": "X1"},
    ]


def test_a_missing_token_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="token"):
        Track17Provider(
            "17track",
            httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(500))),
            {},
        )


def test_fixture_push_gives_the_eta_17track_expects() -> None:
    track = parse_push(fixture("track17_push_tracking_updated.json"), "17track")
    assert track is not None
    assert track.eta == datetime(2025, 1, 12, 16, 0, tzinfo=UTC)  # 2025-01-13T00:00+08:00


def test_a_push_sign_is_sha256_of_body_slash_key() -> None:
    body = (FIXTURES / "track17_push_tracking_updated.json").read_bytes()
    expected = hashlib.sha256(body + b"/" + TOKEN.encode()).hexdigest()
    assert verify_push(body, expected, TOKEN)
    assert verify_push(body, expected.upper(), TOKEN)
    assert not verify_push(body, expected, "another-key")
    assert not verify_push(body, None, TOKEN)
    assert not verify_push(body[:-2] + b" }", expected, TOKEN)


async def test_stoptrack_stops_finished_parcels_once(start: Start, shop: Shop) -> None:
    server = await start()
    parcels = parcels_where(shop, lambda i: last_scan(shop, i) is Scan.DELIVERED, count=3)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.register(parcels)
        await tracker.stop(parcels)
        await tracker.stop(parcels)  # already stopped: harmless
    service = server.app.state.track17
    assert service.stopped == {p.tracking_number for p in parcels}
    assert service.calls["stoptrack"] == 2


async def test_getquota_reports_the_registration_quota(start: Start, shop: Shop) -> None:
    server = await start()
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.register(parcels_where(shop, lambda i: True, count=4))
        quota = await tracker.quota()
    assert (quota.used, quota.remaining, quota.total) == (4, quota.total - 4, 1100)


def test_fixture_getquota_reads_the_documented_fields() -> None:
    data = fixture("track17_getquota.json")["data"]
    assert (data["quota_total"], data["quota_used"], data["quota_remain"]) == (1100, 2, 1098)


async def test_requests_are_paced_at_three_a_second(start: Start, shop: Shop) -> None:
    server = await start()
    clock = [0.0]
    starts: list[float] = []

    async def advance(seconds: float) -> None:
        clock[0] += seconds

    async def note(request: httpx.Request) -> None:
        starts.append(clock[0])

    async with httpx.AsyncClient(event_hooks={"request": [note]}) as client:
        tracker = provider(server, client)
        tracker.pacer = Pacer(3, monotonic=lambda: clock[0], sleep=advance)
        await tracker.register(parcels_where(shop, lambda i: True, count=200))
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 5  # 200 numbers, 40 a call
    assert all(gap >= 1 / 3 - 1e-9 for gap in gaps)
