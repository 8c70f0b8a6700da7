"""Properties of track normalization, whatever the vendor sends and in whatever order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.connectors import aftership_parse, kuaidi100_parse, track17_parse
from sync.domain import ShipmentStatus

BASE = datetime(2025, 3, 1, tzinfo=UTC)

instants = st.integers(min_value=0, max_value=30 * 24 * 3600).map(
    lambda s: BASE + timedelta(seconds=s)
)
offsets = st.integers(min_value=-10, max_value=12).map(lambda h: timezone(timedelta(hours=h)))
words = st.text(min_size=1, max_size=12)


def track17_body(events: list[dict[str, Any]], status: str) -> dict[str, Any]:
    return {
        "number": "SF1",
        "carrier": 190766,
        "track_info": {
            "latest_status": {"status": status, "sub_status": ""},
            "tracking": {"providers": [{"provider": {"name": "SF"}, "events": events}]},
        },
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(instants, offsets, words), min_size=1, max_size=12), st.randoms())
def test_17track_scans_come_out_oldest_first_whatever_the_list_order(
    scans: list[tuple[datetime, timezone, str]], shuffle: random.Random
) -> None:
    events = [
        {"time_iso": at.astimezone(zone).isoformat(), "time_utc": None, "description": text}
        for at, zone, text in scans
    ]
    shuffled = list(events)
    shuffle.shuffle(shuffled)
    first = track17_parse.track_record(track17_body(events, "InTransit"), "17track")
    second = track17_parse.track_record(track17_body(shuffled, "InTransit"), "17track")
    instants_out = [c.at for c in first.checkpoints]
    assert instants_out == sorted(at for at, _, _ in scans)
    assert sorted(map(repr, first.checkpoints)) == sorted(map(repr, second.checkpoints))
    assert [c.at for c in second.checkpoints] == instants_out


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20), st.text(max_size=30))
def test_no_status_a_vendor_invents_is_an_error(main: str, sub: str) -> None:
    assert isinstance(track17_parse.shipment_status(main, sub), ShipmentStatus)
    assert isinstance(aftership_parse.shipment_status(main, sub, sub), ShipmentStatus)
    assert isinstance(kuaidi100_parse.shipment_status(main), ShipmentStatus)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(instants, words), min_size=1, max_size=10))
def test_kuaidi100_times_are_china_time_and_always_flagged(
    scans: list[tuple[datetime, str]],
) -> None:
    china = timezone(timedelta(hours=8))
    data = [
        {"time": at.astimezone(china).strftime("%Y-%m-%d %H:%M:%S"), "context": text}
        for at, text in scans
    ]
    body = {"nu": "YT1", "com": "yuantong", "state": "0", "data": data}
    track = kuaidi100_parse.track_record(body, "kd")
    assert [c.at for c in track.checkpoints] == sorted(at for at, _ in scans)
    assert all(c.zoneless for c in track.checkpoints)
