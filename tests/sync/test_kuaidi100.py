"""Kuaidi100: documented payloads, signatures, and the connector against the simulated account."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from daemon.simulator.app import create_app
from daemon.simulator.kuaidi100_api import DEFAULT_CUSTOMER, DEFAULT_KEY
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from sync.connectors import TRACKING_PROVIDERS
from sync.connectors.base import Parcel
from sync.connectors.kuaidi100 import Kuaidi100Provider, company_code, phone_tail
from sync.connectors.kuaidi100_parse import (
    parse_body,
    push_sign,
    query_sign,
    read_form,
    shipment_status,
    verify_push,
)
from sync.domain import ShipmentStatus
from sync.errors import ConfigError, SourceAuthError

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


async def no_wait(_seconds: float) -> None:
    """Pacing and retries in these tests do not really wait."""


@pytest.fixture
def shop() -> Shop:
    return Shop(seed=11, orders=300, now=NOW)


@pytest.fixture
async def server(shop: Shop) -> AsyncIterator[RunningServer]:
    running = await serve(create_app(shop, clock=VirtualClock(NOW)))
    yield running
    await running.stop()


def provider(server: RunningServer, client: httpx.AsyncClient, **extra: str) -> Kuaidi100Provider:
    settings = {
        "url": server.url,
        "key": DEFAULT_KEY,
        "customer": DEFAULT_CUSTOMER,
        "callback_url": "http://127.0.0.1:9/push/kuaidi100/kd",
        "salt": "pepper",
        **extra,
    }
    return Kuaidi100Provider("kd", client, settings, sleep=no_wait)


def parcels(shop: Shop, count: int, carrier: str = "") -> list[Parcel]:
    """Parcels with scans (of ``carrier`` when given), with the buyer's phone."""

    def wanted(index: int) -> bool:
        details = shop.details(index)
        return bool(shop.track_state(index, NOW).scans) and carrier in ("", details.carrier)

    found = [shop.details(i) for i in range(shop.orders) if wanted(i)][:count]
    return [Parcel(d.tracking_number, d.carrier, d.address.phone) for d in found]


def test_the_registry_knows_kuaidi100() -> None:
    assert TRACKING_PROVIDERS["kuaidi100"] is Kuaidi100Provider


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("0", ShipmentStatus.IN_TRANSIT),
        ("1", ShipmentStatus.IN_TRANSIT),
        ("2", ShipmentStatus.EXCEPTION),
        ("3", ShipmentStatus.DELIVERED),
        ("4", ShipmentStatus.RETURNED),
        ("5", ShipmentStatus.OUT_FOR_DELIVERY),
        ("6", ShipmentStatus.RETURNING),
        ("7", ShipmentStatus.IN_TRANSIT),
        ("13", ShipmentStatus.EXCEPTION),
        ("14", ShipmentStatus.REFUSED),
        ("101", ShipmentStatus.INFO_RECEIVED),
        ("1002", ShipmentStatus.IN_TRANSIT),
        ("301", ShipmentStatus.DELIVERED),
        ("501", ShipmentStatus.AVAILABLE_FOR_PICKUP),
        ("401", ShipmentStatus.CANCELLED),
    ],
)
def test_kuaidi100_states_map_to_shipment_statuses(state: str, expected: ShipmentStatus) -> None:
    assert shipment_status(state) is expected


def test_an_unknown_state_is_unknown_not_an_error() -> None:
    assert shipment_status("99") is ShipmentStatus.UNKNOWN
    assert shipment_status("") is ShipmentStatus.UNKNOWN


def test_fixture_query_status_is_the_aggregate_state_kept_raw() -> None:
    (track,) = parse_body(fixture("kuaidi100_query.json"), "kd")
    assert (track.tracking_number, track.carrier) == ("YT9693083639795", "yto")
    assert (track.status, track.status_raw, track.substatus_raw) == (
        ShipmentStatus.DELIVERED,
        "301",
        "F00",
    )


def test_fixture_times_are_china_time_and_flagged_zone_less() -> None:
    (track,) = parse_body(fixture("kuaidi100_query.json"), "kd")
    signed = track.checkpoints[-1]
    assert (signed.at_raw, signed.at) == (
        "2025-03-02 14:05:33",
        datetime(2025, 3, 2, 6, 5, 33, tzinfo=UTC),
    )
    assert all(c.zoneless for c in track.checkpoints)


def test_fixture_scans_are_oldest_first() -> None:
    (track,) = parse_body(fixture("kuaidi100_query.json"), "kd")
    assert [c.status_raw for c in track.checkpoints] == ["103", "1002", "1002", "5", "301"]
    assert track.checkpoints[0].description == "【杭州市余杭区公司】已揽收"


def test_fixture_signer_and_eta() -> None:
    (track,) = parse_body(fixture("kuaidi100_query.json"), "kd")
    assert track.signed_by == "王芳"
    assert track.eta == datetime(2025, 3, 2, 10, tzinfo=UTC)  # "2025-03-02 18" in China


def test_a_push_param_gives_its_last_result() -> None:
    (track,) = parse_body(fixture("kuaidi100_push.json"), "kd")
    assert (track.tracking_number, track.carrier, track.status) == (
        "75123456789012",
        "zto",
        ShipmentStatus.IN_TRANSIT,
    )
    assert [c.status_raw for c in track.checkpoints] == ["揽收", "在途", "在途"]


def test_an_aborted_subscription_is_not_found_or_expired() -> None:
    (nothing,) = parse_body(fixture("kuaidi100_push_abort.json"), "kd")
    assert (nothing.status, nothing.substatus_raw) == (
        ShipmentStatus.NOT_FOUND,
        "abort: 3天查询无记录",
    )
    stale = fixture("kuaidi100_push_abort.json") | {"message": "60天无变化"}
    (expired,) = parse_body(stale, "kd")
    assert expired.status is ShipmentStatus.EXPIRED


def test_a_failed_query_is_no_track() -> None:
    body = {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
    assert parse_body(body, "kd") == []


def test_the_query_sign_is_uppercase_md5_of_param_key_and_customer() -> None:
    param = '{"com":"yuantong","num":"YT9693083639795"}'
    expected = hashlib.md5((param + "KEY" + "CUST").encode()).hexdigest().upper()
    assert query_sign(param, "KEY", "CUST") == expected


def test_a_push_sign_is_checked_against_the_salt() -> None:
    param = (FIXTURES / "kuaidi100_push.json").read_text(encoding="utf-8")
    good = push_sign(param, "pepper")
    assert good == hashlib.md5((param + "pepper").encode()).hexdigest().upper()
    assert verify_push(param, good, "pepper")
    assert verify_push(param, good.lower(), "pepper")
    assert not verify_push(param, good, "salt")
    assert not verify_push(param, None, "pepper")
    assert not verify_push(param + " ", good, "pepper")


def test_a_form_body_is_decoded_once() -> None:
    assert read_form(b"param=%7B%22a%22%3A%22%E6%88%90+%E5%8A%9F%22%7D&sign=AB") == {
        "param": '{"a":"成 功"}',
        "sign": "AB",
    }


def test_a_parcel_without_a_carrier_is_sent_as_the_courier_its_number_suggests() -> None:
    assert company_code(Parcel("SF1402236517810", "")) == ("shunfeng", True)
    assert company_code(Parcel("X1", "zto")) == ("zhongtong", False)


def test_a_missing_key_or_customer_is_a_config_error() -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(500)))
    with pytest.raises(ConfigError, match="key"):
        Kuaidi100Provider("kd", client, {"customer": "c"})


async def test_subscribing_twice_is_fine(server: RunningServer, shop: Shop) -> None:
    wanted = parcels(shop, 3)
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client)
        await tracker.register(wanted)
        await tracker.register(wanted)
    subscriptions = server.app.state.kuaidi100.subscriptions
    assert sorted(subscriptions) == sorted(p.tracking_number for p in wanted)
    assert {s.salt for s in subscriptions.values()} == {"pepper"}


async def test_the_real_time_query_gives_each_parcels_track(
    server: RunningServer, shop: Shop
) -> None:
    wanted = parcels(shop, 3)
    async with httpx.AsyncClient() as client:
        tracks = await provider(server, client).fetch_tracks(wanted)
    assert [t.tracking_number for t in tracks] == [p.tracking_number for p in wanted]
    assert all(t.checkpoints and all(c.zoneless for c in t.checkpoints) for t in tracks)


async def test_a_number_kuaidi100_knows_nothing_of_is_no_track(server: RunningServer) -> None:
    async with httpx.AsyncClient() as client:
        tracks = await provider(server, client).fetch_tracks([Parcel("SF0000000000001", "sf")])
    assert tracks == []


async def test_a_wrong_key_raises_auth_error(server: RunningServer, shop: Shop) -> None:
    async with httpx.AsyncClient() as client:
        tracker = provider(server, client, key="wrong")
        with pytest.raises(SourceAuthError):
            await tracker.fetch_tracks(parcels(shop, 1))
        with pytest.raises(SourceAuthError):
            await tracker.register(parcels(shop, 1))


async def test_an_sf_parcel_is_queried_with_the_last_four_digits_of_the_buyers_phone(
    server: RunningServer, shop: Shop
) -> None:
    (with_phone,) = parcels(shop, 1, carrier="sf")
    without = Parcel(with_phone.tracking_number, "sf")
    asked: list[str] = []

    async def note(request: httpx.Request) -> None:
        asked.append(read_form(request.content).get("param", ""))

    async with httpx.AsyncClient(event_hooks={"request": [note]}) as client:
        tracker = provider(server, client)
        assert await tracker.fetch_tracks([without]) == []
        (track,) = await tracker.fetch_tracks([with_phone])
    digits = "".join(ch for ch in with_phone.phone if ch.isdigit())
    assert json.loads(asked[-1])["phone"] == digits[-4:]
    assert track.tracking_number == with_phone.tracking_number


def test_only_the_last_four_digits_of_a_phone_are_sent() -> None:
    assert phone_tail("+86 138 0013 5678") == "5678"
    assert phone_tail("12") == ""
