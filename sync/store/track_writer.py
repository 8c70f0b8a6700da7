"""Applying a batch of courier tracks set-wise: a handful of statements per batch.

The writer reads the shipments a batch names and the keys of their stored scans (from the
``(shipment_id, dedup_key)`` index alone), inserts only the scans not seen before, whether from a
poll or a push, with one ``executemany``, and then updates the moved shipments, their orders and
the timeline with one statement each.

Statements of one step are queued together on the connection's worker thread rather than one
round trip each, and Python's share (the scans' instants and dedup keys, the costly part) is
one tight pass per shipment, done while the thread is idle: the thread needs the interpreter
lock too, so work overlapped with it only waits for the lock.

A track older than what the shipment already shows (a late push, a stale poll) still adds its
checkpoints but never moves the status back: the last event decides which report is newer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sync.domain import Checkpoint, ShipmentStatus, TrackRecord
from sync.store.db import Transaction, to_db
from sync.store.events import EVENT_INSERT

Intervals = Mapping[str, timedelta]
"""How long after a poll a shipment in each status is due again (status → interval)."""

_INSERT_CHECKPOINT = (
    "INSERT OR IGNORE INTO checkpoints (shipment_id, at, at_raw, zoneless, description, "
    "location, status, status_raw, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_SHIPMENT = (
    "UPDATE shipments SET status = ?, status_raw = ?, substatus_raw = ?, last_checkpoint_at = ?, "
    "delivered_at = coalesce(delivered_at, ?), tracked_by = ?, raw = ?, eta = ?, signed_by = ?, "
    "provider_ref = coalesce(nullif(?, ''), provider_ref), polled_at = coalesce(?, polled_at), "
    "next_poll_at = CASE WHEN ? THEN ? ELSE next_poll_at END, version = version + 1, "
    "change_seq = ? WHERE id = ?"
)
"""A moved shipment's row is written once: its news, its poll stamp and its next poll."""
_SELECT = (
    "SELECT id, order_id, tracking_number, status, status_raw, substatus_raw, "
    "last_checkpoint_at, eta, signed_by "
    "FROM shipments WHERE tracking_number IN (SELECT value FROM json_each(?))"
)
_KNOWN = (
    "SELECT shipment_id, dedup_key FROM checkpoints WHERE shipment_id IN "
    "(SELECT id FROM shipments WHERE tracking_number IN (SELECT value FROM json_each(?)))"
)
_POLLED = "UPDATE shipments SET polled_at = ? WHERE id IN (SELECT value FROM json_each(?))"
_POLLED_STATUS = "SELECT id, status FROM shipments WHERE id IN (SELECT value FROM json_each(?))"
_SCHEDULE = "UPDATE shipments SET polled_at = coalesce(?, polled_at), next_poll_at = ? WHERE id = ?"
_ORDERS = "UPDATE orders SET change_seq = ? WHERE id IN (SELECT value FROM json_each(?))"

_STAMP = "%04d-%02d-%02dT%02d:%02d:%02dZ"
"""An instant as :func:`~sync.store.db.to_db` writes it, formatted here in half the time."""

ScanSummary = tuple[str | None, str | None, int]
"""Per shipment: (latest new instant, latest instant of the whole report, how many were new)."""


def checkpoint_key(checkpoint: Checkpoint) -> str:
    """Identity of a scan across polls and pushes: its instant (or its time as written when it
    has no zone) and its words, whitespace-folded. The location is left out: one path may fill
    it from a different field than another."""
    return _scan_rows(0, (checkpoint,))[0][-1]


_PLAIN_STATUS = {status: status.value for status in ShipmentStatus}
"""Each status as a plain ``str``: sqlite3 binds exact types directly, subclasses (the StrEnum)
through its slower adaptation lookup."""


ScanRow = tuple[int, str | None, str, int, str, str, str, str, str]
"""A ``checkpoints`` row: shipment, instant, time as written, zone-less, words, place, status,
raw status, dedup key."""


def _scan_rows(shipment_id: int, scans: Sequence[Checkpoint]) -> list[ScanRow]:
    """The ``checkpoints`` rows of one shipment's scans, the dedup key last.

    This runs once per checkpoint of every batch, so it is one tight loop over local names: the
    instant is formatted with :data:`_STAMP` (as :func:`~sync.store.db.to_db` writes it, in half
    the time) and the booleans and statuses go in as plain ``int`` and ``str``.
    """
    sha1 = hashlib.sha1
    plain = _PLAIN_STATUS
    stamp = _STAMP
    rows: list[ScanRow] = []
    append = rows.append
    for scan in scans:
        instant = scan.at
        if instant is None:
            at = None
            when = scan.at_raw.strip()
        else:
            if instant.tzinfo is not UTC:
                instant = instant.astimezone(UTC)
            at = stamp % (
                instant.year,
                instant.month,
                instant.day,
                instant.hour,
                instant.minute,
                instant.second,
            )
            when = at
        description = scan.description
        words = " ".join(description.split())
        status = scan.status
        append(
            (
                shipment_id,
                at,
                scan.at_raw,
                1 if scan.zoneless else 0,
                description,
                scan.location,
                plain.get(status) or str(status),
                scan.status_raw,
                sha1(f"{when}|{words}".encode()).hexdigest(),
            )
        )
    return rows


def _ids(values: Sequence[object]) -> str:
    return json.dumps(list(values))


@dataclass(slots=True)
class _Shipment:
    id: int
    order_id: int
    status: str
    status_raw: str
    substatus_raw: str
    last_at: str | None
    eta: str | None
    signed_by: str


def _shipment(row: sqlite3.Row) -> _Shipment:
    return _Shipment(
        id=row["id"],
        order_id=row["order_id"],
        status=row["status"],
        status_raw=row["status_raw"],
        substatus_raw=row["substatus_raw"],
        last_at=row["last_checkpoint_at"],
        eta=row["eta"],
        signed_by=row["signed_by"],
    )


def _merge(tracks: Sequence[TrackRecord]) -> dict[str, TrackRecord]:
    """One track per number; a later report of the same number wins."""
    merged: dict[str, TrackRecord] = {}
    for track in tracks:
        merged[track.tracking_number] = track
    return merged


class TrackWriter:
    """Applies one batch of tracks inside ``tx``; :attr:`changed_orders` lists what moved.

    ``polled`` are the shipments asked about (stamped as polled whatever the answer). With
    ``intervals``, each of them and each shipment a track was about gets its next poll time.
    """

    def __init__(
        self,
        tx: Transaction,
        provider: str,
        now: datetime,
        intervals: Intervals | None = None,
        polled: Sequence[int] = (),
    ) -> None:
        self.tx = tx
        self.provider = provider
        self.now = now
        self.now_text = to_db(now)
        self.intervals = intervals
        self.polled = list(polled)
        self.changed_orders: set[int] = set()
        self.touched: list[int] = []
        """Every shipment a track of the batch was about (changed or not)."""

    async def apply(self, tracks: Sequence[TrackRecord]) -> None:
        conn = self.tx.conn
        merged = _merge(tracks)
        numbers = _ids(list(merged))
        scheduling = self.intervals is not None
        reads: list[Awaitable[object]] = []
        if scheduling:
            reads.append(conn.execute_fetchall(_POLLED_STATUS, (_ids(self.polled),)))
        reads.append(conn.execute_fetchall(_SELECT, (numbers,)))
        reads.append(conn.execute_fetchall(_KNOWN, (numbers,)))
        results = cast(list[list[sqlite3.Row]], await asyncio.gather(*reads))
        rows, stored = results[-2], results[-1]
        shipments = [(_shipment(row), merged[row["tracking_number"]]) for row in rows]
        self.touched = [s.id for s, _ in shipments]
        known = {(row[0], row[1]) for row in stored}
        fresh, scans = _fresh_scans(shipments, known)
        writes: list[Awaitable[object]] = []
        if fresh:
            writes.append(conn.executemany(_INSERT_CHECKPOINT, fresh))
        polled = frozenset(self.polled)
        unmoved = set(self.polled)
        # Shipments still to stamp or schedule: polled or reported, but not moved.
        rest: dict[int, str] = {row[0]: row[1] for row in results[0]} if scheduling else {}
        updates: list[tuple[object, ...]] = []
        events: list[tuple[object, ...]] = []
        for shipment, track in shipments:
            news = self._update(shipment, track, scans.get(shipment.id), events)
            if news is None:
                rest[shipment.id] = shipment.status
                continue
            rest.pop(shipment.id, None)
            unmoved.discard(shipment.id)
            stamp = self.now_text if shipment.id in polled else None
            plan = self.next_poll(str(news[0])) if scheduling else None
            updates.append((*news, stamp, int(scheduling), plan, self.tx.seq, shipment.id))
            self.changed_orders.add(shipment.order_id)
        if updates:
            writes.append(conn.executemany(_UPDATE_SHIPMENT, updates))
            writes.append(conn.execute(_ORDERS, (self.tx.seq, _ids(sorted(self.changed_orders)))))
        if events:
            writes.append(conn.executemany(EVENT_INSERT, events))
        if scheduling and rest:
            plan_rest = [
                (self.now_text if sid in polled else None, self.next_poll(status), sid)
                for sid, status in rest.items()
            ]
            writes.append(conn.executemany(_SCHEDULE, plan_rest))
        elif not scheduling and unmoved:
            writes.append(conn.execute(_POLLED, (self.now_text, _ids(sorted(unmoved)))))
        await asyncio.gather(*writes)

    def _update(
        self,
        shipment: _Shipment,
        track: TrackRecord,
        scans: ScanSummary | None,
        events: list[tuple[object, ...]],
    ) -> tuple[object, ...] | None:
        new_latest, reported_latest, added = scans or (None, None, 0)
        latest = shipment.last_at
        if new_latest is not None and (latest is None or new_latest > latest):
            latest = new_latest
        # A report whose last event is older than what the shipment shows is stale.
        stale = (
            reported_latest is not None
            and shipment.last_at is not None
            and reported_latest < shipment.last_at
        )
        status, status_raw, sub_raw = (
            (shipment.status, shipment.status_raw, shipment.substatus_raw)
            if stale
            else (str(track.status), track.status_raw, track.substatus_raw)
        )
        eta = to_db(track.eta) if track.eta is not None and not stale else shipment.eta
        signed_by = track.signed_by or shipment.signed_by
        moved = (status, status_raw, sub_raw, eta, signed_by) != (
            shipment.status,
            shipment.status_raw,
            shipment.substatus_raw,
            shipment.eta,
            shipment.signed_by,
        )
        if not added and not moved:
            return None
        if status != shipment.status:
            events.append(
                (
                    self.now_text,
                    self.provider,
                    shipment.order_id,
                    "shipment",
                    shipment.id,
                    "status",
                    "shipment_status",
                    shipment.status,
                    status,
                    sub_raw or status_raw,
                )
            )
        delivered = latest if status == ShipmentStatus.DELIVERED.value else None
        return (
            status,
            status_raw,
            sub_raw,
            latest,
            delivered,
            self.provider,
            json.dumps(track.raw, ensure_ascii=False, default=str),
            eta,
            signed_by,
            track.provider_ref,
        )

    def next_poll(self, status: str) -> str | None:
        assert self.intervals is not None
        try:
            if ShipmentStatus(status).terminal:
                return None
        except ValueError:
            pass
        interval = self.intervals.get(status) or self.intervals.get("default")
        return to_db(self.now + interval) if interval is not None else None


def _fresh_scans(
    shipments: Sequence[tuple[_Shipment, TrackRecord]], known: set[tuple[int, str]]
) -> tuple[list[ScanRow], dict[int, ScanSummary]]:
    """The rows of the scans not stored yet, and a :data:`ScanSummary` per shipment reported.

    Without stored scans (a first report of the batch's parcels) every row goes in as it is:
    ``INSERT OR IGNORE`` drops a scan a report lists twice, and the count only has to tell
    whether anything was new.
    """
    fresh: list[ScanRow] = []
    summaries: dict[int, ScanSummary] = {}
    for shipment, track in shipments:
        sid = shipment.id
        built = _scan_rows(sid, track.checkpoints)
        instants = [row[1] for row in built if row[1] is not None]
        reported_latest = max(instants, default=None)
        if not known:
            fresh += built
            summaries[sid] = (reported_latest, reported_latest, len(built))
            continue
        latest: str | None = None
        count = 0
        for row in built:
            key = (sid, row[8])
            if key in known:
                continue
            known.add(key)
            fresh.append(row)
            count += 1
            at = row[1]
            if at is not None and (latest is None or at > latest):
                latest = at
        summaries[sid] = (latest, reported_latest, count)
    return fresh, summaries
