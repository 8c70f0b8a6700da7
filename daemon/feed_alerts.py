"""Escalations about feeds: a rule about a source that starts firing opens one, and it closes
when the rule's instance stops firing.

A stale tracking feed is about no order, so its escalation names the source instead. Once
open, the ladder takes it up like any other: the levels of the rule's ``escalation`` policy,
``ack_within``, reassignment, repeats and duty hours, and agents acknowledge, take, snooze,
annotate and resolve it. An escalation opens only as the instance starts firing, never for one
found firing already, so a re-evaluation or a reload that finds the feed as it was notifies
nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from daemon.rules.model import RuleSet
from sync.domain import TimerState
from sync.store import FeedMove, SourceTimer

SourceKey = tuple[str, str]
CLEARED = "condition cleared"
RECOVERED = "recovered"


def feed_moves(
    rules: RuleSet,
    before: Mapping[SourceKey, SourceTimer],
    changed: Sequence[SourceTimer],
) -> list[FeedMove]:
    """The escalations to open for the feed instances that started firing, and to close for
    those that stopped."""
    moves: list[FeedMove] = []
    for timer in changed:
        old = before.get((timer.rule_id, timer.source))
        was_firing = old is not None and old.state == TimerState.FIRING
        if timer.state == TimerState.FIRING and not was_firing:
            rule = rules.rule(timer.rule_id)
            moves.append(
                FeedMove(
                    timer.rule_id,
                    timer.source,
                    opens=True,
                    severity=str(rule.severity) if rule is not None else "warning",
                    summary=timer.summary or (rule.title if rule is not None else timer.rule_id),
                )
            )
        elif timer.state != TimerState.FIRING and old is not None and old.escalation_id is not None:
            reason = RECOVERED if timer.reason in ("", CLEARED) else timer.reason
            moves.append(FeedMove(timer.rule_id, timer.source, opens=False, reason=reason))
    return moves
