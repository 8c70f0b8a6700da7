"""``orderwatchd rules explain ORDER``: why an order has the timers it has.

For each rule about the order and each of its parcels it says whether the rule applies (and if
not, which condition stops it), which override and modifiers set the timeout, which business
windows the deadline counts through, how long the clock was paused, when it warns and fires, and
why an instance is muted. It runs the production planner on the order as stored, with the
timer's own memory (pauses), so what it prints is what the daemon does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from daemon.muters import feed_muters, rule_muters
from daemon.rules.decide import Muting
from daemon.rules.durations import format_duration, format_elapsed
from daemon.rules.learned import RouteFigures, learned_rules, with_figures
from daemon.rules.model import ConditionRule, Rule, RuleSet, TimeoutRule, rollout_bucket
from daemon.rules.plan import NEVER, Memory, Plan, plan
from daemon.rules.subject import Subject, subjects_of
from daemon.ruletest.view import show
from sync.domain import EscalationRow, OrderRow, SubjectKind, TimerRow
from sync.errors import OrderwatchError
from sync.store import Store

MAX_WINDOWS = 12


async def explain_order(store: Store, rules: RuleSet, wanted: str, now: datetime) -> list[str]:
    order = await _find(store, wanted)
    zone = ZoneInfo(rules.timezone)
    parcels = tuple(await store.shipments(order.id))
    timers = {
        (t.rule_id, t.subject_kind, t.subject_id): t
        for t in await store.timers_for_orders([order.id])
    }
    escalations = await store.escalations_for_order(order.id)
    guards = (await store.active_guards([order.id])).get(order.id, frozenset())
    origins: dict[int, str] = {}
    if learned_rules(rules):
        rules = with_figures(rules, RouteFigures.of(await store.route_figures()))
        origins = await store.parcel_origins([parcel.id for parcel in parcels])
    muters = feed_muters(rules, await store.source_timers(), await store.source_health())
    muting = Muting.of(rules.inhibits, [*muters, *await rule_muters(store, rules, now)])
    lines = [
        f"order {order.number} ({order.source} {order.external_id}): payment "
        f"{order.payment_status}, fulfillment {order.fulfillment_status}, {order.lifecycle}; "
        f"now {show(now, zone)}",
        f"rules {rules.source} version {rules.version}, times in {rules.timezone}",
        "guard flags up: " + (", ".join(sorted(guards)) or "none"),
    ]
    for subject in subjects_of(order, parcels, guards, origins):
        for rule in rules.for_subject(subject.kind):
            timer = timers.get((rule.id, str(subject.kind), subject.subject_id))
            escalation = _escalation(escalations, rule.id, subject.subject_id)
            lines += _rule(rule, subject, timer, escalation, muting, now, zone)
    feeds = [t for t in await store.source_timers() if t.state != "resolved"]
    if feeds:
        lines += ["", "feeds:"]
        lines += [
            f"  {t.rule_id} about {t.source}: {t.state} since {show(t.since, zone)}"
            + (f" ({t.summary})" if t.summary else "")
            for t in feeds
        ]
    return lines


async def _find(store: Store, wanted: str) -> OrderRow:
    for number in (wanted, f"#{wanted.lstrip('#')}", wanted.lstrip("#")):
        order = await store.order_by_number(number)
        if order is not None:
            return order
    raise OrderwatchError(f"no order numbered {wanted!r} in this database")


def _escalation(rows: list[EscalationRow], rule_id: str, subject_id: int) -> EscalationRow | None:
    found = [row for row in rows if row.rule_id == rule_id and row.subject_id == subject_id]
    return found[-1] if found else None


def _rule(
    rule: Rule,
    subject: Subject,
    timer: TimerRow | None,
    escalation: EscalationRow | None,
    muting: Muting,
    now: datetime,
    zone: ZoneInfo,
) -> list[str]:
    about = "order" if subject.kind is SubjectKind.ORDER else f"parcel {subject.key}"
    lines = ["", f"{rule.id}: {rule.title} ({about})"]
    planned = plan(rule, subject, now, Memory.of(timer))
    if planned is None:
        lines.append(f"  not running: {_why_not(rule, subject)}")
        if timer is not None and timer.reason:
            lines.append(f"  last timer resolved: {timer.reason}")
        return lines
    if isinstance(rule, TimeoutRule):
        lines += _timeout(rule, subject, planned, now, zone)
    else:
        lines += _condition(rule, planned, now, zone)
    muted = muting.why(rule, subject, now, planned)
    if muted is not None:
        lines.append(
            f"  muted by {muted[0]} ({muted[1]}): it raises no escalation while that rule is active"
        )
    if escalation is not None:
        who = f" by {escalation.acked_by}" if escalation.acked_by else ""
        lines.append(f"  escalation #{escalation.id}: {escalation.state}{who}")
    return lines


def _why_not(rule: Rule, subject: Subject) -> str:
    if rule.rollout is not None and not rule.in_rollout(subject):
        bucket = rollout_bucket(rule.id, f"{subject.order.source}:{subject.order.external_id}")
        return f"outside the rollout of {rule.rollout}% (this order's share number is {bucket})"
    if isinstance(rule, ConditionRule):
        return f"fires_when does not hold: {rule.fires_when.source.strip()}"
    if not rule.active_while.holds(subject):
        return f"active_while does not hold: {' '.join(rule.active_while.source.split())}"
    return f"starts_at has no value: {rule.starts_at.source}"


def _timeout(
    rule: TimeoutRule, subject: Subject, planned: Plan, now: datetime, zone: ZoneInfo
) -> list[str]:
    lines = [
        f"  clock started {show(planned.started_at, zone)} (starts_at {rule.starts_at.source})"
    ]
    timeout = f"  timeout {format_duration(planned.base_timeout)}"
    if planned.override_index is not None:
        override = rule.overrides[planned.override_index]
        timeout += f" from override {override.name!r} ({override.when.source})"
    elif planned.learned:
        timeout += f" learned: {planned.learned}"
    else:
        timeout += " (the rule's own)"
    matching = [o.name for o in rule.overrides if o.when.holds(subject)]
    if len(matching) > 1:
        timeout += f"; matching overrides {matching}, policy {rule.override_policy}"
    lines.append(timeout)
    if planned.modifiers:
        lines.append(
            f"  modifiers {', '.join(planned.modifiers)}: x{planned.factor.normalize():f} "
            f"(decided at the clock's start) -> {format_duration(planned.timeout)}"
        )
    lines.append(f"  counts on {planned.clock.describe()}")
    lines += _windows(planned, zone)
    if planned.paused_seconds or planned.paused_since is not None:
        paused = f"  paused {format_elapsed(timedelta(seconds=planned.paused_seconds))} so far"
        if planned.paused_since is not None:
            why = rule.pause_while.source if rule.pause_while is not None else ""
            paused += f"; paused since {show(planned.paused_since, zone)} ({why})"
        lines.append(paused)
    if planned.deadline_at == NEVER:
        lines.append("  deadline: never (the calendar does not open again)")
    else:
        warn = f", warns {show(planned.warn_at, zone)}" if planned.warn_at else ""
        lines.append(f"  deadline {show(planned.deadline_at, zone)}{warn}")
    left = format_elapsed(planned.remaining(now))
    lines.append(f"  state {planned.state}, {left} of {planned.clock.name} time left")
    return lines


def _windows(planned: Plan, zone: ZoneInfo) -> list[str]:
    if planned.clock.name == "wall" or planned.deadline_at == NEVER:
        return []
    found = planned.clock.windows(planned.started_at, planned.deadline_at)
    lines = []
    for start, end in found[:MAX_WINDOWS]:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        lines.append(
            f"    {local_start:%a %Y-%m-%d %H:%M}-{local_end:%H:%M %Z} "
            f"({format_elapsed(end - start)})"
        )
    if len(found) > MAX_WINDOWS:
        lines.append(f"    … and {len(found) - MAX_WINDOWS} more windows")
    return ["  business windows counted:", *lines] if lines else []


def _condition(rule: ConditionRule, planned: Plan, now: datetime, zone: ZoneInfo) -> list[str]:
    lines = [
        f"  fires_when holds since {show(planned.started_at, zone)} ({rule.fires_when.source})"
    ]
    if planned.last_true_at is not None:
        lines.append(
            f"  stopped holding at {show(planned.last_true_at, zone)}; keeps firing until "
            f"{show(planned.last_true_at + rule.keep_firing_for, zone)}"
        )
    lines.append(f"  state {planned.state} (fires after {format_duration(rule.hold_for)})")
    del now
    return lines
