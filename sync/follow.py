"""Following parcels at one tracking provider, on a schedule a paid quota survives.

One :meth:`Follower.round`:

1. tells the provider to stop following parcels that are finished (delivered, returned,
   expired, cancelled), so they stop costing;
2. reads what the provider changed since last time, where it can list by update time
   (AfterShip), saving the cursor with the tracks;
3. polls the parcels that are due (see :class:`FollowPlan`): never polled, past the interval of
   their status, or with a rule deadline near; not those the provider pushed recently when it
   pushes; within the provider's hourly request budget.

While the provider's breaker is open nothing is sent; the first failure of an outage is recorded
on the source as one stale-feed problem (with its start), logged once, and cleared when the
provider answers again. Refused credentials are raised: waiting will not fix them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sync.carriers import suggest_carrier
from sync.clock import Clock
from sync.connectors.base import Parcel, TrackingProvider
from sync.domain import ShipmentRow, ShipmentStatus
from sync.errors import (
    ConfigError,
    PayloadError,
    SourceAuthError,
    SourceError,
    SourceRateLimited,
)
from sync.http import BreakerState
from sync.pacing import Budget
from sync.store import DueQuery, Store

log = logging.getLogger("orderwatch.tracking")

S = ShipmentStatus
DEFAULT_INTERVALS: Mapping[str, timedelta] = {
    S.PENDING: timedelta(hours=6),
    S.NOT_FOUND: timedelta(hours=12),
    S.INFO_RECEIVED: timedelta(hours=6),
    S.IN_TRANSIT: timedelta(hours=4),
    S.OUT_FOR_DELIVERY: timedelta(hours=1),
    S.AVAILABLE_FOR_PICKUP: timedelta(hours=6),
    S.DELIVERY_FAILED: timedelta(hours=2),
    S.DELAYED: timedelta(hours=4),
    S.EXCEPTION: timedelta(hours=2),
    S.REFUSED: timedelta(hours=4),
    S.RETURNING: timedelta(hours=8),
    S.UNKNOWN: timedelta(hours=6),
    "default": timedelta(hours=4),
}
"""How long after a poll a parcel in each status is due again. Out for delivery moves fast;
a parcel nobody has found yet rarely does."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_setting(
    settings: Mapping[str, str], key: str, default: timedelta, where: str
) -> timedelta:
    """A duration setting (``90s``, ``30m``, ``4h``, ``2d`` or plain seconds)."""
    text = settings.get(key, "")
    if not text:
        return default
    found = _DURATION.match(text)
    if not found:
        raise ConfigError(f"{where}: {key} = {text!r} is not a duration like 30m, 4h or 2d")
    return timedelta(seconds=float(found.group(1)) * _UNIT[found.group(2)])


@dataclass(frozen=True, slots=True)
class FollowPlan:
    """When one provider's parcels are polled, and how many requests it may take.

    From the tracker's settings: ``poll_<status>`` (e.g. ``poll_in_transit = "4h"``),
    ``poll_near_deadline`` (a rule deadline this close makes a parcel due early, default 6h)
    and ``poll_near_every`` (how often such a parcel is polled, default 30m), ``push`` (the
    provider pushes to this daemon: ``true``/``false``; Kuaidi100 pushes by default) and
    ``push_quiet`` (a parcel pushed this recently is not polled, default 12h),
    ``budget_per_hour`` and ``budget_per_day`` (requests an hour and a UTC day, 0 for no cap;
    what was spent is kept in the store, so a restart starts no fresh budget),
    ``parcels_per_round`` (200) and ``carriers`` (comma-separated carrier codes this tracker
    follows; all when absent).
    """

    intervals: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    near: timedelta = timedelta(hours=6)
    near_every: timedelta = timedelta(minutes=30)
    push: bool = False
    push_quiet: timedelta = timedelta(hours=12)
    budget_per_hour: int = 0
    budget_per_day: int = 0
    per_round: int = 200
    carriers: tuple[str, ...] = ()

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, str], where: str, *, pushes: bool = False
    ) -> FollowPlan:
        intervals = dict(DEFAULT_INTERVALS)
        for status, interval in DEFAULT_INTERVALS.items():
            intervals[status] = duration_setting(settings, f"poll_{status}", interval, where)
        flag = settings.get("push", "").strip().lower()
        if flag not in ("", "true", "false", "yes", "no", "1", "0"):
            raise ConfigError(f"{where}: push = {flag!r}: write true or false")
        try:
            budget = int(settings.get("budget_per_hour") or 0)
            daily = int(settings.get("budget_per_day") or 0)
            per_round = int(settings.get("parcels_per_round") or 200)
        except ValueError:
            raise ConfigError(
                f"{where}: budget_per_hour, budget_per_day and parcels_per_round are whole numbers"
            ) from None
        return cls(
            intervals=intervals,
            near=duration_setting(settings, "poll_near_deadline", timedelta(hours=6), where),
            near_every=duration_setting(settings, "poll_near_every", timedelta(minutes=30), where),
            push=flag in ("true", "yes", "1") or (pushes and flag == ""),
            push_quiet=duration_setting(settings, "push_quiet", timedelta(hours=12), where),
            budget_per_hour=max(0, budget),
            budget_per_day=max(0, daily),
            per_round=max(1, per_round),
            carriers=tuple(c.strip() for c in settings.get("carriers", "").split(",") if c.strip()),
        )


QUOTA_CHECK = timedelta(hours=1)


def cursor_key(provider: str) -> str:
    return f"tracking.cursor.{provider}"


class Follower:
    """Follows one provider's parcels into the store; see the module docstring."""

    def __init__(
        self,
        store: Store,
        provider: TrackingProvider,
        clock: Clock,
        plan: FollowPlan | None = None,
    ) -> None:
        self.store = store
        self.provider = provider
        self.clock = clock
        self.plan = plan or FollowPlan.from_settings(
            provider.settings, provider.where, pushes=provider.pushes_by_default
        )
        self.budget = Budget(self.plan.budget_per_hour, self.plan.budget_per_day)
        self._restored = False
        self.outage: str = ""
        """The stale-feed problem being shown, "" while the provider answers."""
        self._quota: tuple[datetime, int] | None = None
        """(when asked, registrations left), for providers that count them."""
        self._quota_short = False
        self._phones = provider.wants_phones

    async def round(self, stop: asyncio.Event | None = None) -> list[int]:
        """One pass over the provider; returns the ids of the orders whose parcels moved.

        Once ``stop`` is set, the pass ends after the batch of parcels in hand: a first round
        over thousands of new parcels, paced to the provider's limits, takes minutes."""
        if self.provider.breaker.state == BreakerState.OPEN:
            return []  # the outage is already on record; only the breaker's probe may call
        await self.restore_budget()
        changed: list[int] = []
        self._quota_short = False
        try:
            await self._refollow()
            changed += await self._stop_finished()
            changed += await self._read_changes()
            changed += await self._poll_due(stop)
        except (SourceAuthError, SourceRateLimited, PayloadError):
            raise
        except SourceError as exc:
            await self._stale(exc)
            return sorted(set(changed))
        await self._answered(len(changed))
        return sorted(set(changed))

    async def restore_budget(self) -> None:
        """Take back what was spent of today's budget before a restart (once)."""
        if self._restored:
            return
        self._restored = True
        if self.budget.capped:
            now = self.clock.now()
            midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            since = min(now - timedelta(hours=1), midnight)
            self.budget.restore(await self.store.spend_since(self.provider.name, since))
            await self.store.prune_spend(now)

    async def spend(self, requests: int) -> bool:
        """Take ``requests`` from the budget, recorded in the store; False (taking nothing)
        when short."""
        await self.restore_budget()
        now = self.clock.now()
        if self.budget.left(now) < requests:
            return False
        self.budget.spend(now, requests)
        await self.store.record_spend(self.provider.name, now, requests)
        return True

    async def _refollow(self) -> None:
        """Register again the parcels the provider gave up on whose next try is due."""
        due = await self.store.parcels_to_refollow(self.provider.name, self.clock.now())
        if not due or not await self.spend(_calls(len(due), self.provider.register_batch)):
            return
        phones = await self.store.buyer_phones([s.id for s in due]) if self._phones else {}
        refused = dict(await self.provider.refollow([parcel_of(s, phones) for s in due]))
        now = self.clock.now()
        taken = [s.id for s in due if s.tracking_number not in refused]
        if taken:
            await self.store.mark_refollowed(taken, now)
        for shipment in due:
            if shipment.tracking_number in refused:
                reason = f"{self.provider.name} will not follow it again: "
                reason += refused[shipment.tracking_number]
                await self.store.mark_unfollowable(self.provider.name, [shipment.id], reason, now)

    async def _stop_finished(self) -> list[int]:
        done = await self.store.parcels_to_stop(self.provider.name, self.plan.per_round)
        if not done:
            return []
        if not await self.spend(_calls(len(done), self.provider.stop_batch)):
            return []
        await self.provider.stop([parcel_of(s) for s in done])
        await self.store.mark_stopped([s.id for s in done], self.clock.now())
        return []

    async def _read_changes(self) -> list[int]:
        if not self.provider.lists_updates:
            return []
        key = cursor_key(self.provider.name)
        cursor = await self.store.get_state(key)
        changed: list[int] = []
        for _page in range(10):
            if not await self.spend(1):
                break
            page = await self.provider.updated_since(cursor)
            if page is None:
                break
            tracks, cursor, more = page
            changed += await self.store.save_tracks(
                self.provider.name,
                tracks,
                [],
                self.clock.now(),
                intervals=self.plan.intervals,
                state={key: cursor},
            )
            if not more:
                break
        return changed

    async def _poll_due(self, stop: asyncio.Event | None) -> list[int]:
        now = self.clock.now()
        query = DueQuery(
            provider=self.provider.name,
            now=now,
            soon=now + self.plan.near,
            near_polled_before=now - self.plan.near_every,
            pushed_after=now - self.plan.push_quiet if self.plan.push else now,
            limit=self.plan.per_round,
            carriers=self.plan.carriers,
        )
        due = [s for s in await self.store.parcels_due(query) if self.serves(s)]
        phones = await self.store.buyer_phones([s.id for s in due]) if self._phones else {}
        changed: list[int] = []
        size = self.provider.fetch_batch
        for start in range(0, len(due), size):
            if stop is not None and stop.is_set():
                break
            waiting = await self._register(due[start : start + size], phones)
            batch = [s for s in due[start : start + size] if s.id not in waiting]
            if not batch:
                continue
            if not await self.spend(1):
                break
            tracks = await self.provider.fetch_tracks([parcel_of(s, phones) for s in batch])
            changed += await self.store.save_tracks(
                self.provider.name,
                tracks,
                [s.id for s in batch],
                self.clock.now(),
                intervals=self.plan.intervals,
            )
        return changed

    def serves(self, shipment: ShipmentRow) -> bool:
        """Whether this tracker follows ``shipment``: any, without a carriers setting; else one
        of its carriers, or one whose number looks like one of them when the order named no
        carrier (or names one no number shape tells)."""
        if not self.plan.carriers or shipment.carrier in self.plan.carriers:
            return True
        if shipment.carrier:
            return False
        suggested = suggest_carrier(shipment.tracking_number)
        return not suggested or suggested in self.plan.carriers

    async def _register(self, batch: Sequence[ShipmentRow], phones: Mapping[int, str]) -> set[int]:
        """Register the parcels of ``batch`` the provider does not follow yet; returns the ids
        left unregistered because the budget or the registration quota cannot pay for them."""
        fresh = set(await self.store.unregistered([s.id for s in batch]))
        if not fresh:
            return set()
        parcels = [parcel_of(s, phones) for s in batch if s.id in fresh]
        if not await self._quota_allows(len(parcels)):
            return fresh
        if not await self.spend(_calls(len(parcels), self.provider.register_batch)):
            return fresh
        await self.provider.register(parcels)
        await self.store.mark_registered(self.provider.name, sorted(fresh), self.clock.now())
        if self._quota is not None:
            self._quota = (self._quota[0], self._quota[1] - len(parcels))
        return set()

    async def _quota_allows(self, parcels: int) -> bool:
        """Whether the registration quota (asked of the provider at most hourly) covers
        ``parcels``; when it does not, that is shown once on the source."""
        if not self.provider.counts_registrations:
            return True
        now = self.clock.now()
        if self._quota is None or now - self._quota[0] >= QUOTA_CHECK:
            if not await self.spend(1):
                return False
            left = await self.provider.registrations_left()
            self._quota = None if left is None else (now, left)
        if self._quota is None or self._quota[1] >= parcels:
            return True
        problem = f"registration quota used up ({self._quota[1]} left); new parcels wait"
        await self.store.record_feed_stale(self.provider.name, self.provider.kind, problem, now)
        self._quota_short = True
        return False

    async def _stale(self, exc: SourceError) -> None:
        if not self.outage:
            since = self.clock.now().strftime("%Y-%m-%d %H:%M")
            self.outage = f"feed stale since {since} UTC: {exc}"
            log.warning("%s: %s", self.provider.name, self.outage)
            await self.store.record_feed_stale(
                self.provider.name, self.provider.kind, self.outage, self.clock.now()
            )

    async def _answered(self, moved: int) -> None:
        if self.outage:
            log.info("%s: answering again (%s)", self.provider.name, self.outage)
            self.outage = ""
        if self._quota_short:
            return  # the quota problem stays shown until registrations go through again
        await self.store.record_source_success(
            self.provider.name, self.provider.kind, moved, self.clock.now()
        )


def parcel_of(shipment: ShipmentRow, phones: Mapping[int, str] | None = None) -> Parcel:
    phone = (phones or {}).get(shipment.id, "")
    return Parcel(shipment.tracking_number, shipment.carrier, phone)


def _calls(parcels: int, per_call: int) -> int:
    return -(-parcels // max(1, per_call))
