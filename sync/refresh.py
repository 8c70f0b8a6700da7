"""Refreshing one parcel now, when an agent asks (the console's key or ``orderwatchd refresh``).

The agent's process only leaves a request in the store; the daemon answers it with
:func:`answer_refreshes`. The parcel goes to the tracker that follows it (or the first that
serves its courier) and is asked about on its own: 17TRACK's ``gettrackinfo``, AfterShip's
get-one, Kuaidi100's real-time query. A parcel the service does not know yet is registered first
(Kuaidi100's query needs no subscription). The tracker's request budget and breaker apply as to
any poll: a request they do not allow is refused with the reason in one line, and the track that
comes back is saved like a poll's, so its checkpoints land on the order's timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sync.clock import Clock
from sync.domain import ShipmentRow
from sync.errors import OrderwatchError, SourceError
from sync.follow import Follower, parcel_of
from sync.http import BreakerState, SourceUnavailable
from sync.store import RefreshRequest, RefreshState, Store

log = logging.getLogger("orderwatch.tracking")


@dataclass(frozen=True, slots=True)
class Answer:
    state: RefreshState
    outcome: str
    """One line for the agent: what came back, or why nothing was asked."""
    changed_orders: tuple[int, ...] = ()


def follower_for(shipment: ShipmentRow, followers: Sequence[Follower]) -> Follower | None:
    """The tracker following ``shipment``, else the first one that serves its courier."""
    for follower in followers:
        if follower.provider.name == shipment.tracked_by:
            return follower
    return next((f for f in followers if f.serves(shipment)), None)


async def refresh_parcel(follower: Follower, shipment: ShipmentRow) -> Answer:
    """Ask ``follower``'s service about ``shipment`` now, within its budget and breaker."""
    provider = follower.provider
    if provider.breaker.state == BreakerState.OPEN:
        return Answer(
            RefreshState.REFUSED,
            f"{provider.name} is not answering (its breaker is open); try again in a minute",
        )
    await follower.restore_budget()
    register = not provider.queries_unregistered and bool(
        await follower.store.unregistered([shipment.id])
    )
    calls = 2 if register else 1
    if not await follower.spend(calls):
        spent = follower.budget.short_by(follower.clock.now()) or "not enough left"
        return Answer(RefreshState.REFUSED, f"{provider.name} request budget spent: {spent}")
    phones = await follower.store.buyer_phones([shipment.id]) if provider.wants_phones else {}
    parcel = parcel_of(shipment, phones)
    before = len(await follower.store.checkpoints(shipment.id))
    try:
        if register:
            await provider.register([parcel])
            await follower.store.mark_registered(provider.name, [shipment.id], follower.clock.now())
        tracks = await provider.fetch_tracks([parcel])
    except SourceUnavailable as exc:
        return Answer(RefreshState.REFUSED, str(exc))
    except SourceError as exc:
        return Answer(RefreshState.FAILED, str(exc))
    changed = await follower.store.save_tracks(
        provider.name,
        tracks,
        [shipment.id],
        follower.clock.now(),
        intervals=follower.plan.intervals,
    )
    if not tracks:
        return Answer(RefreshState.DONE, f"{provider.name} has no track for it yet")
    added = len(await follower.store.checkpoints(shipment.id)) - before
    status = _status_words(str(tracks[-1].status))
    news = f"{added} new checkpoint{'s' if added != 1 else ''}" if added else "no new checkpoint"
    return Answer(RefreshState.DONE, f"{news} from {provider.name}; {status}", tuple(changed))


def _status_words(status: str) -> str:
    return status.replace("_", " ")


async def answer_refreshes(
    store: Store, followers: Sequence[Follower], clock: Clock, limit: int = 20
) -> list[int]:
    """Answer the waiting refresh requests; returns the orders whose parcels moved."""
    changed: set[int] = set()
    for request in await store.waiting_refreshes(limit):
        answer = await _answer(store, followers, request)
        changed.update(answer.changed_orders)
        await store.answer_refresh(request.id, answer.state, answer.outcome, clock.now())
        log.info("refresh of %s: %s %s", request.tracking_number, answer.state, answer.outcome)
    return sorted(changed)


async def _answer(store: Store, followers: Sequence[Follower], request: RefreshRequest) -> Answer:
    shipment = await store.shipment_by_id(request.shipment_id)
    if shipment is None:
        return Answer(RefreshState.FAILED, "the parcel no longer exists")
    if not shipment.tracking_number:
        return Answer(RefreshState.REFUSED, "the parcel has no tracking number")
    follower = follower_for(shipment, followers)
    if follower is None:
        return Answer(RefreshState.REFUSED, "no tracker is set up for this parcel's courier")
    try:
        return await refresh_parcel(follower, shipment)
    except OrderwatchError as exc:
        return Answer(RefreshState.FAILED, str(exc))
