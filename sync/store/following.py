"""Following parcels beyond the schedule: agents' refresh requests, parcels a provider gave up
on, and what each provider was sent against its request budget.

- A refresh request is left by the console or ``orderwatchd refresh`` (an agent's action) and
  answered once by the daemon: ``done`` with what the provider said, ``refused`` (budget spent,
  breaker open, no tracker) or ``failed``. Both the request and the answer touch the order's
  ``change_seq`` and add a line to its timeline, so every console sees them at once.
- A parcel a provider stopped following while it is still on its way is planned for a new
  registration (``refollow_at``), a bounded number of times; when they are spent the parcel is
  marked ``unfollowable`` with the reason, which the console shows.
- Requests sent to a provider are counted per minute (``tracker_spend``); the follower restores
  its budget from them at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sync.domain import TERMINAL_SHIPMENT_STATUSES, ShipmentRow
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, from_db_required, to_db
from sync.store.events import EVENT_INSERT, event_values
from sync.store.rows import SHIPMENT_COLUMNS, shipment_row

_TERMINAL = tuple(str(s) for s in TERMINAL_SHIPMENT_STATUSES)
_KEEP_SPEND = timedelta(days=2)
REFOLLOW_TRIES = 3
"""New registrations of a parcel a provider keeps giving up on, before it is left unfollowed."""
REFOLLOW_AFTER = timedelta(minutes=30)
"""The wait before the first new registration, doubling with each try. Kuaidi100 documents
re-subscribing about half an hour after an ``abort`` when company and number are right."""
BUDGET_STATE = "tracking.budget."
"""Daemon state key prefix under which each tracker's caps are published (for the status)."""


class RefreshState(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RefreshRequest:
    """An agent's request to poll one parcel now, and the daemon's answer once given."""

    id: int
    shipment_id: int
    order_id: int
    tracking_number: str
    requested_by: str
    requested_at: datetime
    state: RefreshState
    answered_at: datetime | None
    outcome: str


@dataclass(frozen=True, slots=True)
class BudgetUse:
    """What a tracker spent of its request budget (caps of 0 mean none)."""

    provider: str
    per_hour: int
    per_day: int
    hour: int
    day: int

    @property
    def hour_left(self) -> int | None:
        return None if self.per_hour <= 0 else max(0, self.per_hour - self.hour)

    @property
    def day_left(self) -> int | None:
        return None if self.per_day <= 0 else max(0, self.per_day - self.day)


_REQUEST = (
    "SELECT r.id, r.shipment_id, s.order_id, s.tracking_number, r.requested_by, "
    "r.requested_at, r.state, r.answered_at, r.outcome "
    "FROM parcel_refreshes r JOIN shipments s ON s.id = r.shipment_id "
)


def _request(row: tuple[object, ...]) -> RefreshRequest:
    return RefreshRequest(
        id=int(str(row[0])),
        shipment_id=int(str(row[1])),
        order_id=int(str(row[2])),
        tracking_number=str(row[3]),
        requested_by=str(row[4]),
        requested_at=from_db_required(str(row[5])),
        state=RefreshState(str(row[6])),
        answered_at=from_db(None if row[7] is None else str(row[7])),
        outcome=str(row[8]),
    )


async def _touch_order(tx: Transaction, shipment_id: int) -> int | None:
    """Stamp the shipment's order as changed; returns its id (None if the parcel is gone)."""
    row = await tx.fetchone(
        "UPDATE orders SET change_seq = ? WHERE id = "
        "(SELECT order_id FROM shipments WHERE id = ?) RETURNING id",
        (tx.seq, shipment_id),
    )
    return None if row is None else int(row[0])


async def lose_parcels(
    tx: Transaction, provider: str, lost: Sequence[tuple[str, str]], now: datetime
) -> None:
    """``provider`` stopped following these (tracking number, its reason) parcels: plan a new
    registration of each one still on its way, or say it cannot be followed when the tries are
    spent. Runs inside the transaction that applied the provider's news."""
    for number, reason in lost:
        rows = await tx.fetchall(
            "SELECT id, order_id, refollows FROM shipments WHERE tracking_number = ? "
            f"AND tracked_by IN ('', ?) AND status NOT IN ({', '.join('?' * len(_TERMINAL))})",
            (number, provider, *_TERMINAL),
        )
        for shipment_id, order_id, tries in rows:
            if tries < REFOLLOW_TRIES:
                when = now + REFOLLOW_AFTER * 2**tries
                detail = f"{provider} stopped following it ({reason}); registering again"
                await tx.execute(
                    "UPDATE shipments SET refollow_at = ?, change_seq = ? WHERE id = ?",
                    (to_db(when), tx.seq, shipment_id),
                )
            else:
                detail = (
                    f"{provider} stopped following it ({reason}) after {tries} new "
                    "registrations; nobody follows this parcel any more"
                )
                await tx.execute(
                    "UPDATE shipments SET refollow_at = NULL, unfollowable = ?, change_seq = ? "
                    "WHERE id = ?",
                    (detail, tx.seq, shipment_id),
                )
            await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
            await tx.execute(
                EVENT_INSERT,
                event_values(
                    at=now,
                    actor=provider,
                    order_id=order_id,
                    subject_kind="shipment",
                    subject_id=shipment_id,
                    kind="following",
                    field="lost",
                    detail=detail,
                ),
            )


class FollowingStore(StoreBase):
    # ----- refresh requests -----

    async def shipment_by_id(self, shipment_id: int) -> ShipmentRow | None:
        row = await self.db.fetchone(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE id = ?", (shipment_id,)
        )
        return None if row is None else shipment_row(row)

    async def shipments_by_tracking(self, number: str) -> list[ShipmentRow]:
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tracking_number = ? ORDER BY id",
            (number,),
        )
        return [shipment_row(row) for row in rows]

    async def request_refresh(self, shipment_id: int, agent: str, now: datetime) -> int:
        """Leave a request to poll ``shipment_id`` now; an already waiting one is reused.

        Returns the request's id.
        """
        async with self.db.write() as tx:
            waiting = await tx.fetchone(
                "SELECT id FROM parcel_refreshes WHERE shipment_id = ? AND state = 'waiting'",
                (shipment_id,),
            )
            if waiting is not None:
                return int(waiting[0])
            order_id = await _touch_order(tx, shipment_id)
            row = await tx.fetchone(
                "INSERT INTO parcel_refreshes (shipment_id, requested_by, requested_at) "
                "VALUES (?, ?, ?) RETURNING id",
                (shipment_id, agent, to_db(now)),
            )
            assert row is not None
            await tx.execute(
                EVENT_INSERT,
                event_values(
                    at=now,
                    actor=agent,
                    order_id=order_id,
                    subject_kind="shipment",
                    subject_id=shipment_id,
                    kind="refresh",
                    detail="asked for the parcel's track now",
                ),
            )
            return int(row[0])

    async def waiting_refreshes(self, limit: int = 50) -> list[RefreshRequest]:
        rows = await self.db.tuples(
            _REQUEST + "WHERE r.state = 'waiting' ORDER BY r.id LIMIT ?", (limit,)
        )
        return [_request(row) for row in rows]

    async def refresh_request(self, request_id: int) -> RefreshRequest | None:
        rows = await self.db.tuples(_REQUEST + "WHERE r.id = ?", (request_id,))
        return _request(rows[0]) if rows else None

    async def latest_refreshes(self, shipment_ids: Sequence[int]) -> dict[int, RefreshRequest]:
        """The last refresh request of each of ``shipment_ids`` that has one."""
        rows = await self.db.tuples(
            _REQUEST + "WHERE r.id IN (SELECT max(id) FROM parcel_refreshes "
            "WHERE shipment_id IN (SELECT value FROM json_each(?)) GROUP BY shipment_id)",
            (json.dumps(list(shipment_ids)),),
        )
        return {found.shipment_id: found for found in map(_request, rows)}

    async def answer_refresh(
        self, request_id: int, state: RefreshState, outcome: str, now: datetime
    ) -> None:
        """Give a waiting request its answer (once: an answered request is left as it is)."""
        async with self.db.write() as tx:
            row = await tx.fetchone(
                "UPDATE parcel_refreshes SET state = ?, answered_at = ?, outcome = ? "
                "WHERE id = ? AND state = 'waiting' RETURNING shipment_id",
                (str(state), to_db(now), outcome, request_id),
            )
            if row is None:
                return
            shipment_id = int(row[0])
            order_id = await _touch_order(tx, shipment_id)
            await tx.execute(
                EVENT_INSERT,
                event_values(
                    at=now,
                    actor="daemon",
                    order_id=order_id,
                    subject_kind="shipment",
                    subject_id=shipment_id,
                    kind="refresh",
                    field=str(state),
                    detail=outcome,
                ),
            )

    # ----- parcels a provider gave up on -----

    async def parcels_to_refollow(
        self, provider: str, now: datetime, limit: int = 50
    ) -> list[ShipmentRow]:
        """Parcels of ``provider`` whose new registration is due, still on their way."""
        rows = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE refollow_at IS NOT NULL "
            f"AND refollow_at <= ? AND tracked_by = ? "
            f"AND status NOT IN ({', '.join('?' * len(_TERMINAL))}) ORDER BY refollow_at LIMIT ?",
            (to_db(now), provider, *_TERMINAL, limit),
        )
        return [shipment_row(row) for row in rows]

    async def mark_refollowed(self, shipment_ids: Sequence[int], now: datetime) -> None:
        """The parcels were registered again: one try more, none planned until the next loss."""
        async with self.db.write() as tx:
            await tx.execute(
                "UPDATE shipments SET refollows = refollows + 1, refollow_at = NULL, "
                "registered_at = ?, stopped_at = NULL, next_poll_at = NULL "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (to_db(now), json.dumps(list(shipment_ids))),
            )

    async def mark_unfollowable(
        self, provider: str, shipment_ids: Sequence[int], reason: str, now: datetime
    ) -> None:
        """``provider`` refused to follow these parcels again: say so on each of them."""
        async with self.db.write() as tx:
            rows = await tx.fetchall(
                "UPDATE shipments SET refollow_at = NULL, unfollowable = ?, change_seq = ? "
                "WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, order_id",
                (reason, tx.seq, json.dumps(list(shipment_ids))),
            )
            await tx.execute(
                "UPDATE orders SET change_seq = ? WHERE id IN (SELECT value FROM json_each(?))",
                (tx.seq, json.dumps([row[1] for row in rows])),
            )
            await tx.executemany(
                EVENT_INSERT,
                [
                    event_values(
                        at=now,
                        actor=provider,
                        order_id=row[1],
                        subject_kind="shipment",
                        subject_id=row[0],
                        kind="following",
                        field="lost",
                        detail=reason,
                    )
                    for row in rows
                ],
            )

    # ----- request budgets -----

    async def record_spend(self, provider: str, now: datetime, requests: int) -> None:
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        async with self.db.write() as tx:
            await tx.execute(
                "INSERT INTO tracker_spend (provider, minute, requests) VALUES (?, ?, ?) "
                "ON CONFLICT (provider, minute) DO UPDATE SET requests = requests + ?",
                (provider, to_db(minute), requests, requests),
            )

    async def spend_since(self, provider: str, since: datetime) -> list[tuple[datetime, int]]:
        """(minute, requests) sent to ``provider`` from ``since`` on, oldest first."""
        rows = await self.db.tuples(
            "SELECT minute, requests FROM tracker_spend WHERE provider = ? AND minute >= ? "
            "ORDER BY minute",
            (provider, to_db(since.replace(second=0, microsecond=0))),
        )
        return [(from_db_required(str(minute)), int(n)) for minute, n in rows]

    async def prune_spend(self, now: datetime) -> None:
        async with self.db.write() as tx:
            await tx.execute(
                "DELETE FROM tracker_spend WHERE minute < ?", (to_db(now - _KEEP_SPEND),)
            )

    async def budget_uses(self, now: datetime) -> list[BudgetUse]:
        """Every tracker the daemon published caps for, with what it spent this hour and day."""
        caps = await self.db.tuples(
            "SELECT substr(key, ?), value FROM daemon_state WHERE key LIKE ? ORDER BY key",
            (len(BUDGET_STATE) + 1, BUDGET_STATE + "%"),
        )
        hour_ago = to_db(now - timedelta(hours=1))
        midnight = to_db(now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
        uses: list[BudgetUse] = []
        for provider, value in caps:
            per_hour, _, per_day = str(value).partition("/")
            ((hour, day),) = await self.db.tuples(
                "SELECT coalesce(sum(CASE WHEN minute > ? THEN requests END), 0), "
                "coalesce(sum(CASE WHEN minute >= ? THEN requests END), 0) "
                "FROM tracker_spend WHERE provider = ?",
                (hour_ago, midnight, provider),
            )
            uses.append(
                BudgetUse(str(provider), _int(per_hour), _int(per_day), int(hour), int(day))
            )
        return uses


def _int(text: str) -> int:
    return int(text) if text.strip().lstrip("-").isdigit() else 0
