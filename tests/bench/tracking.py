"""Benchmark: courier checkpoints into the store, against a bare ``executemany`` of the same rows.

``ingest_checkpoints`` writes ``BENCH_CHECKPOINTS`` (default 500000) checkpoints, ten per parcel,
through :meth:`Store.save_tracks` in batches of 200 parcels (one transaction each, as a list
page of AfterShip's largest size is written), and the same rows through ``sqlite3``
``executemany`` into a table with the same columns and unique key, one transaction per batch,
in the same run. Each batch is built just before it is written, and only the writing is timed,
on both sides; the two sides take turns batch by batch, so load from elsewhere on the machine
falls on both alike rather than on whichever ran during a busy spell.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.store import Store
from sync.store.db import to_db
from sync.store.tracking import checkpoint_key

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PER_PARCEL = 10
BATCH = 200
_TEXTS = ("Picked up", "Departed facility", "Arrived at hub", "Customs cleared", "Out for delivery")


def _seed_parcels(path: Path, parcels: int) -> None:
    """Orders with one parcel each, written straight to the file (set-up, not measured)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    stamp = to_db(T0)
    db.executemany(
        "INSERT INTO orders (id, source, external_id, number, payment_status, fulfillment_status, "
        "lifecycle, created_at, updated_at, change_seq) VALUES (?, 'shop', ?, ?, 'paid', "
        "'fulfilled', 'open', ?, ?, 1)",
        ((n + 1, f"o{n}", f"#{n}", stamp, stamp) for n in range(parcels)),
    )
    db.executemany(
        "INSERT INTO shipments (id, order_id, source, external_id, tracking_number, change_seq) "
        "VALUES (?, ?, 'shop', ?, ?, 1)",
        ((n + 1, n + 1, f"f{n}", f"SF{n:012d}") for n in range(parcels)),
    )
    db.execute("COMMIT")
    db.close()


def _tracks(first: int, count: int) -> list[TrackRecord]:
    """Parcels ``first`` … ``first + count - 1`` as a provider would report them."""
    tracks = []
    for n in range(first, first + count):
        scans = tuple(
            Checkpoint(
                at=T0 + timedelta(hours=k, minutes=n % 60),
                at_raw=(T0 + timedelta(hours=k, minutes=n % 60)).isoformat(),
                description=f"{_TEXTS[k % len(_TEXTS)]} {k}",
                location="Shenzhen",
                status=ShipmentStatus.IN_TRANSIT,
                status_raw="InTransit_Other",
            )
            for k in range(PER_PARCEL)
        )
        tracks.append(
            TrackRecord(
                provider="17track",
                tracking_number=f"SF{n:012d}",
                carrier="sf",
                status=ShipmentStatus.IN_TRANSIT,
                status_raw="InTransit",
                substatus_raw="InTransit_Other",
                checkpoints=scans,
                raw={"number": f"SF{n:012d}"},
            )
        )
    return tracks


def _raw_rows(first: int, tracks: list[TrackRecord]) -> list[tuple[Any, ...]]:
    return [
        (
            first + offset + 1,
            to_db(c.at),
            c.at_raw,
            int(c.zoneless),
            c.description,
            c.location,
            str(c.status),
            c.status_raw,
            checkpoint_key(c),
        )
        for offset, track in enumerate(tracks)
        for c in track.checkpoints
    ]


_RAW_INSERT = (
    "INSERT OR IGNORE INTO checkpoints (shipment_id, at, at_raw, zoneless, description, "
    "location, status, status_raw, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _raw_database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, shipment_id INTEGER NOT NULL, at TEXT, "
        "at_raw TEXT NOT NULL, zoneless INTEGER NOT NULL, description TEXT NOT NULL, "
        "location TEXT NOT NULL, status TEXT NOT NULL, status_raw TEXT NOT NULL, "
        "dedup_key TEXT NOT NULL, UNIQUE (shipment_id, dedup_key))"
    )
    return db


def _raw_batch(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> float:
    """Seconds spent in ``executemany`` and the commit of one batch."""
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(_RAW_INSERT, rows)
    db.execute("COMMIT")
    return time.perf_counter() - start


async def ingest_checkpoints(folder: Path, report: Callable[..., None]) -> None:
    total = int(os.environ.get("BENCH_CHECKPOINTS", "500000"))
    parcels = total // PER_PARCEL
    path = folder / "tracks.db"
    store = await Store.open(path)
    await store.close()
    _seed_parcels(path, parcels)
    store = await Store.open(path)
    raw_db = _raw_database(folder / "tracks_raw.db")
    polled_at = T0 + timedelta(days=1)
    ours = raw = 0.0
    # Batch by batch, each side right after the other, so both meet the same load on a shared
    # machine; building a batch (the provider's parsing, the raw rows) is not counted.
    for first in range(0, parcels, BATCH):
        batch = _tracks(first, min(BATCH, parcels - first))
        ids = list(range(first + 1, first + len(batch) + 1))
        start = time.perf_counter()
        await store.save_tracks("17track", batch, ids, polled_at)
        ours += time.perf_counter() - start
        raw += _raw_batch(raw_db, _raw_rows(first, batch))
    stored = await store.db.scalar("SELECT count(*) FROM checkpoints")
    await store.close()
    raw_db.close()
    assert stored == parcels * PER_PARCEL, stored
    ours_rate = stored / ours
    raw_rate = stored / raw
    report(
        "ingest_checkpoints",
        checkpoints=stored,
        checkpoints_per_s=round(ours_rate),
        raw_sqlite_rows_per_s=round(raw_rate),
        ratio=round(ours_rate / raw_rate, 3),
    )
