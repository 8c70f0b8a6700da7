"""The daemon's ladder: take up new escalations, step the due ones, queue their notifications.

Each pass reads the escalations the rules engine just opened (they have no policy yet) and those
whose ``next_step_at`` came, decides each with :func:`~daemon.ladder.step.advance`, and saves
the steps in one transaction with their timeline lines and outbox rows. A new escalation takes
the policy its rule names as it is at that moment, frozen into the row: later reloads change
only escalations that start after them.

The first pass after start-up finds whatever came due while the daemon was not running. Rather
than a burst of one message per escalation per channel, those overdue notifications are queued
as ``coalesced`` (kept for the record, never sent) and each channel gets one digest listing them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from daemon.ladder.messages import digests, escalation_messages
from daemon.ladder.step import Advance, Position, advance
from daemon.rules.ladders import Policy, policy_from_snapshot
from daemon.rules.model import RuleSet
from daemon.rules.workflow import Workflow
from daemon.waiting import wait_any
from sync.clock import Clock
from sync.domain import EscalationRow
from sync.errors import OrderwatchError
from sync.store import LadderRow, LadderStep, Outgoing, Store

log = logging.getLogger("orderwatch.ladder")

OVERDUE = timedelta(minutes=1)
"""A notification due longer ago than this, found at start-up, goes into a digest."""
MAX_SLEEP = 30.0
BATCH = 500


@dataclass(frozen=True, slots=True)
class _Decided:
    row: LadderRow
    step: LadderStep
    sends: tuple[Outgoing, ...]
    overdue: bool


class Ladder:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        rules: Callable[[], RuleSet],
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules
        self.on_queued = on_queued
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def step(self, *, catching_up: bool = False) -> int:
        """One pass over new and due escalations; returns how many steps were written."""
        written = 0
        now = self.clock.now()
        while True:
            rows = await self.store.escalations_to_adopt(BATCH)
            rows += await self.store.due_ladder_steps(now, BATCH)
            if not rows:
                break
            decided = [self._decide(row, now) for row in _unique(rows)]
            saved = await self._save(decided, now, catching_up)
            written += saved
            if len(rows) < BATCH or not saved:
                break
        return written

    async def next_wake(self) -> datetime | None:
        return await self.store.next_ladder_step_at()

    async def run(self, stop: asyncio.Event) -> None:
        """Step the ladders until ``stop``: at start-up (catching up), when woken, when due."""
        catching_up = True
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.step(catching_up=catching_up)
                catching_up = False
                wake_at = await self.next_wake()
            except OrderwatchError as error:
                log.error("ladder: %s", error)
                wake_at = None
            delay = MAX_SLEEP
            if wake_at is not None:
                delay = min(MAX_SLEEP, max(0.05, (wake_at - self.clock.now()).total_seconds()))
            await wait_any(delay, self._wake, stop)

    def _decide(self, row: LadderRow, now: datetime) -> _Decided:
        rules = self.rules()
        workflow = rules.workflow or Workflow()
        escalation = row.escalation
        adopting = row.new
        policy: Policy | None
        if adopting:
            policy = workflow.policy_for(rules.rule(escalation.rule_id), row.override)
        else:
            policy = policy_from_snapshot(row.snapshot)
        if policy is None:
            return _Decided(row, _bare(escalation, row.snapshot), (), False)
        start = _position(escalation)
        begin_at = escalation.opened_at if adopting else (escalation.next_step_at or now)
        moved = advance(policy, start, now, workflow.roster, begin_at)
        sends: tuple[Outgoing, ...] = ()
        overdue = False
        if moved.notify is not None:
            title = rules.rule(escalation.rule_id)
            sends = escalation_messages(
                escalation,
                moved,
                policy,
                workflow,
                title.title if title is not None else escalation.rule_id,
            )
            overdue = now - moved.notify.due_at > OVERDUE
        return _Decided(row, _step(escalation, policy, moved), sends, overdue)

    async def _save(self, decided: Sequence[_Decided], now: datetime, catching_up: bool) -> int:
        late = [d for d in decided if d.overdue and d.sends] if catching_up else []
        extra: list[Outgoing] = []
        coalesce = len(late) > 1
        if coalesce:
            extra = digests([(d.row.escalation, d.sends) for d in late], now)
            log.info("%d escalations came due while the daemon was down: one digest", len(late))
        steps = [_with_sends(d, coalesce and d in late) for d in decided]
        saved = await self.store.save_ladder(steps, now, extra)
        if any(step.sends for step in steps) or extra:
            self.on_queued()
        return len(saved)


def _with_sends(decided: _Decided, coalesced: bool) -> LadderStep:
    sends = decided.sends
    if coalesced:
        sends = tuple(_coalesced(send) for send in sends)
    return replace(decided.step, sends=sends)


def _coalesced(send: Outgoing) -> Outgoing:
    return Outgoing(
        channel=send.channel,
        key=send.key,
        payload=send.payload,
        due_at=send.due_at,
        escalation_id=send.escalation_id,
        order_id=send.order_id,
        level=send.level,
        severity=send.severity,
        state="coalesced",
    )


def _unique(rows: list[LadderRow]) -> list[LadderRow]:
    seen: dict[int, LadderRow] = {}
    for row in rows:
        seen.setdefault(row.escalation.id, row)
    return list(seen.values())


def _position(escalation: EscalationRow) -> Position:
    return Position(
        state=escalation.state,
        level=escalation.level,
        ladder_round=escalation.ladder_round,
        repeat_no=escalation.repeat_no,
        level_started_at=escalation.level_started_at,
        assignee=escalation.assignee,
        acked_at=escalation.acked_at,
        acked_by=escalation.acked_by,
        snoozed_until=escalation.snoozed_until,
    )


def _step(escalation: EscalationRow, policy: Policy, moved: Advance) -> LadderStep:
    p = moved.position
    return LadderStep(
        escalation_id=escalation.id,
        version=escalation.version,
        order_id=escalation.order_id,
        rule_id=escalation.rule_id,
        state=p.state,
        level=p.level,
        ladder_round=p.ladder_round,
        repeat_no=p.repeat_no,
        level_started_at=p.level_started_at,
        next_step_at=moved.next_step_at,
        assignee=p.assignee,
        acked_at=p.acked_at,
        acked_by=p.acked_by,
        snoozed_until=p.snoozed_until,
        policy=policy.name,
        policy_version=policy.version,
        policy_snapshot=policy.snapshot(),
        visible=moved.visible,
        events=moved.events,
    )


def _bare(escalation: EscalationRow, snapshot: str) -> LadderStep:
    """No policy to follow: mark it taken up, and never look at it again."""
    return LadderStep(
        escalation_id=escalation.id,
        version=escalation.version,
        order_id=escalation.order_id,
        rule_id=escalation.rule_id,
        state=escalation.state,
        level=escalation.level,
        ladder_round=escalation.ladder_round,
        repeat_no=escalation.repeat_no,
        level_started_at=escalation.level_started_at or escalation.opened_at,
        next_step_at=None,
        assignee=escalation.assignee,
        acked_at=escalation.acked_at,
        acked_by=escalation.acked_by,
        snoozed_until=escalation.snoozed_until,
        policy=escalation.policy,
        policy_version=escalation.policy_version,
        policy_snapshot=snapshot,
        visible=False,
    )
