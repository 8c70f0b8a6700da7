"""The order guards' driver: run :mod:`sync.guards` over the orders a sync changed.

For each batch of changed orders it works out their customer keys, finds the other orders of
the same customers (by the keys stored before and after the change, so an order that changed
hands clears its old neighbours' suggestions too), loads everyone's facts once, runs the checks
over the changed orders and those neighbours, and stores the outcome in one transaction. A key
shared by more than ``CROWD`` orders (a shop's placeholder e-mail, a marketplace's relay phone)
names no one and is left out of matching.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sync.clock import Clock
from sync.guards import GuardSettings, OrderFacts, Outcome, customer_keys, evaluate
from sync.store import Store

CROWD = 50
BATCH = 2000
CHECKED_SEQ = "guards.checked_seq"
_EVERY_ID = 2**62
LATE_SHIPPING = timedelta(days=30)
"""An order shipped this long after it was placed is not compared for repeated SKUs."""


def keys_of(order: OrderFacts) -> tuple[str, ...]:
    return customer_keys(
        phone=order.phone,
        email=order.email,
        name=order.customer_name,
        address=order.address,
        city=order.city,
        country=order.country,
    )


class GuardRunner:
    def __init__(self, store: Store, clock: Clock, settings: Callable[[], GuardSettings]) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self._own: set[int] = set()
        self._settings: GuardSettings | None = None

    async def check_changed(self) -> int:
        """Run the checks for every order that changed since the last pass (every order the
        first time), then for those whose waiting checks are due; returns flags moved."""
        # "STAMP:ID": done up to that order of that stamp; "STAMP": done with the whole stamp.
        stored = await self.store.get_state(CHECKED_SEQ, "0")
        since, _, after = stored.partition(":")
        position = (int(since), int(after) if after else _EVERY_ID)
        moved = 0
        if self._settings is not None and self._settings != self.settings():
            # rules.toml's [guards] changed: look again wherever the new settings can matter.
            moved += len(await self.check(await self.store.guard_candidates()))
        self._settings = self.settings()
        while rows := await self.store.guard_changes(*position, BATCH):
            # Orders carrying the stamp of our own writes changed only their flags.
            ids = [order_id for order_id, seq in rows if seq not in self._own]
            if ids:
                found, stamp = await self._batch(ids)
                moved += len(found)
                self._own.add(stamp)
            position = (rows[-1][1], rows[-1][0])
            if len(rows) < BATCH:
                break
        self._own = {stamp for stamp in self._own if stamp >= position[0]}
        if (done := f"{position[0]}:{position[1]}") != stored and position[1] != _EVERY_ID:
            await self.store.set_state({CHECKED_SEQ: done}, self.clock.now())
        return moved + len(await self.check_due())

    async def check(self, order_ids: Sequence[int]) -> list[int]:
        """Run the checks for these orders and their customers' other orders; returns the
        orders whose flags moved."""
        moved: list[int] = []
        for start in range(0, len(order_ids), BATCH):
            moved.extend((await self._batch(order_ids[start : start + BATCH]))[0])
        return moved

    async def check_due(self) -> list[int]:
        """Look again at the orders whose waiting checks are due."""
        moved: list[int] = []
        seen: set[int] = set()
        # Each order once a pass: one whose check is due again at once waits for the next.
        while ids := await self.store.due_guard_orders(self.clock.now(), limit=BATCH):
            fresh = [order_id for order_id in ids if order_id not in seen]
            if not fresh:
                break
            seen.update(fresh)
            moved.extend((await self._batch(fresh))[0])
            if len(ids) < BATCH:
                break
        return moved

    async def next_due(self) -> datetime | None:
        return await self.store.next_guard_recheck()

    def settle(self, outcome: Outcome, now: datetime) -> Outcome:
        """The flags to store for what the checks found (``rules test`` sets some by hand)."""
        del now
        return outcome

    async def _batch(self, order_ids: Sequence[int]) -> tuple[list[int], int]:
        read_at = await self.store.change_seq()
        now, settings = self.clock.now(), self.settings()
        # An order can matter to its customer's other orders only while it waits to ship or
        # was placed lately (a repeated SKU); an older one keeps the keys it has.
        reach = now - settings.same_sku_within - settings.merge_within - LATE_SHIPPING
        found = await self.store.guard_facts(order_ids, skus_since=reach)
        changed = {order.id: order for order in found}
        sociable = [o.id for o in changed.values() if o.unshipped or o.created_at >= reach]
        new_keys = {order_id: keys_of(changed[order_id]) for order_id in sociable}
        stored = _by_order(await self.store.keys_of_orders(sociable))
        moved_keys = {i: k for i, k in new_keys.items() if set(k) != set(stored.get(i, ()))}
        first_hop = {key for i in sociable for key in new_keys[i]}
        first_hop.update(key for i in moved_keys for key in stored.get(i, ()))
        members = _members(await self.store.orders_with_keys(first_hop), new_keys, first_hop)
        around = {o for key in first_hop for o in members.get(key, ())} - set(changed)
        # Only a neighbour still waiting to ship can gain or lose a suggestion; it needs its
        # own other keys too, since its suggestions depend on every order it shares one with.
        waiting = set(await self.store.waiting_orders(around))
        their_keys = _by_order(await self.store.keys_of_orders(waiting))
        second_hop = {key for found in their_keys.values() for key in found} - first_hop
        members.update(
            _members(await self.store.orders_with_keys(second_hop), new_keys, second_hop)
        )
        keys = {**their_keys, **new_keys}
        facts = dict(changed)
        facts.update((order.id, order) for order in await self.store.guard_facts(waiting))
        subjects = [*changed, *sorted(waiting)]
        pool = {o for i in subjects for k in keys.get(i, ()) for o in members.get(k, ())}
        if pool - set(facts):
            oldest = min(facts[i].created_at for i in subjects if i in facts)
            since = oldest - settings.same_sku_within - LATE_SHIPPING
            loaded = await self.store.guard_facts(pool - set(facts), since)
            facts.update((order.id, order) for order in loaded)
        neighbours = {
            order_id: [
                facts[other]
                for other in sorted({o for k in keys.get(order_id, ()) for o in members.get(k, ())})
                if other != order_id and other in facts
            ]
            for order_id in subjects
            if order_id in facts
        }
        outcome = self.settle(
            evaluate((facts[i] for i in neighbours), neighbours, settings, now, waiting), now
        )
        return await self.store.save_guard_outcome(
            list(neighbours), moved_keys, outcome, now, customer_only=waiting, read_at=read_at
        )


def _by_order(rows: Sequence[tuple[str, int]]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    for key, order_id in rows:
        found[order_id].append(key)
    return {order_id: tuple(keys) for order_id, keys in found.items()}


def _members(
    rows: Sequence[tuple[str, int]], new_keys: dict[int, tuple[str, ...]], wanted: set[str]
) -> dict[str, set[int]]:
    """The orders under each wanted key (the changed orders by their new keys, not their stored
    ones), crowded keys left out."""
    found: dict[str, set[int]] = defaultdict(set)
    for key, order_id in rows:
        if order_id not in new_keys:
            found[key].add(order_id)
    for order_id, keys in new_keys.items():
        for key in keys:
            if key in wanted:
                found[key].add(order_id)
    return {key: orders for key, orders in found.items() if len(orders) <= CROWD}
