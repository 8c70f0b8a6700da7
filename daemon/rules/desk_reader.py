"""Reading ``[desk]`` and ``[replies]``: what agents pick from, and what they send customers.

::

    [desk]
    max_snooze = "24h"                  # the longest an agent may snooze an escalation
    conflict_actors = 3                 # this many different actors changing one order's
    conflict_within = "24h"             # status within this long raise "conflicting edits"
    delay_reasons = [                   # what an agent says when resolving, in this order
      { code = "stock_shortage", label = "Stock shortage" },
      { code = "other", label = "Other (say what)", needs_note = true },
    ]

    [replies]
    shop_name = "Example Tea House"
    stalled_after = "48h"               # a parcel this long without a scan counts as stalled
    holiday_periods = ["public_holidays"]
    [replies.en]                        # one table per language; situations left out keep
    not_shipped = "Hello {customer.name}, ..."   # orderwatch's own text (for en and zh)

The daemon stores both in the database on every (re)load, for the console to read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from daemon.rules.model import Period
from daemon.rules.reader import Table
from sync.desk import DEFAULT_DELAY_REASONS, DEFAULT_MAX_SNOOZE, DelayReason
from sync.replies import (
    DEFAULT_STALLED_AFTER,
    DEFAULT_TEMPLATES,
    ReplyBook,
    Situation,
    TemplateProblem,
    check_template,
)

DESK_KEYS = frozenset({"max_snooze", "conflict_actors", "conflict_within", "delay_reasons"})
REASON_KEYS = frozenset({"code", "label", "needs_note"})
REPLIES_KEYS = frozenset({"shop_name", "stalled_after", "holiday_periods"})
SITUATION_KEYS = frozenset(str(s) for s in Situation)

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


@dataclass(frozen=True, slots=True)
class DeskSettings:
    delay_reasons: tuple[DelayReason, ...] = DEFAULT_DELAY_REASONS
    max_snooze: timedelta = DEFAULT_MAX_SNOOZE
    conflict_actors: int = 3
    conflict_within: timedelta = timedelta(hours=24)


def read_desk(top: Table) -> DeskSettings:
    data = top.typed("desk", dict, "a table: [desk]")
    if data is None:
        return DeskSettings()
    table = Table(data, (*top.path, "desk"), top.problems, DESK_KEYS)
    max_snooze = table.duration("max_snooze") or DEFAULT_MAX_SNOOZE
    actors = table.typed("conflict_actors", int, "a whole number")
    if actors is not None and actors < 2:
        table.problem("conflict_actors", "must be 2 or more")
    within = table.duration("conflict_within") or timedelta(hours=24)
    reasons = _reasons(table) if "delay_reasons" in data else DEFAULT_DELAY_REASONS
    table.finish()
    return DeskSettings(reasons, max_snooze, actors or 3, within)


def _reasons(table: Table) -> tuple[DelayReason, ...]:
    found: list[DelayReason] = []
    seen: set[str] = set()
    for index, data in table.table_list("delay_reasons"):
        item = Table(data, (*table.path, "delay_reasons", index), table.problems, REASON_KEYS)
        code = item.text("code", required=True)
        label = item.text("label", required=True)
        note = item.typed("needs_note", bool, "true or false") or False
        item.finish()
        if code is None or label is None:
            continue
        if not _CODE.fullmatch(code):
            item.problem("code", f"{code!r}: use lower-case letters, digits and _")
        elif code in seen:
            item.problem("code", f"{code!r} is given twice")
        seen.add(code)
        found.append(DelayReason(code, label, note))
    if not found:
        table.problem("delay_reasons", "give at least one reason")
    return tuple(found)


def read_replies(top: Table, timezone: str, periods: Mapping[str, Period]) -> ReplyBook:
    data = top.typed("replies", dict, "a table: [replies]")
    if data is None:
        return ReplyBook(timezone=timezone)
    languages = {k: v for k, v in data.items() if k not in REPLIES_KEYS and isinstance(v, dict)}
    table = Table(data, (*top.path, "replies"), top.problems, REPLIES_KEYS | set(languages))
    shop = table.text("shop_name") or ""
    stalled = table.duration("stalled_after") or DEFAULT_STALLED_AFTER
    holidays = _holidays(table, periods)
    templates: dict[str, dict[Situation, str]] = {
        lang: dict(texts) for lang, texts in DEFAULT_TEMPLATES.items()
    }
    for lang, body in languages.items():
        path = (*table.path, lang)
        if not _LANGUAGE.fullmatch(lang):
            top.problems.add(path, f"{lang!r} is not a language code like en, zh or pt-BR")
            continue
        texts = templates.setdefault(lang, {})
        sub = Table(body, path, top.problems, SITUATION_KEYS)
        for situation in Situation:
            text = sub.text(str(situation))
            if text is None:
                continue
            try:
                check_template(text)
            except TemplateProblem as problem:
                sub.problem(str(situation), str(problem))
                continue
            texts[situation] = text
        sub.finish()
    table.finish()
    return ReplyBook(shop, timezone, stalled, holidays, templates)


def _holidays(table: Table, periods: Mapping[str, Period]) -> tuple[tuple[date, date], ...]:
    spans: list[tuple[date, date]] = []
    for index, name in enumerate(table.text_list("holiday_periods")):
        period = periods.get(name)
        if period is None:
            known = ", ".join(sorted(periods)) or "none defined"
            table.problems.add(
                (*table.path, "holiday_periods", index), f"unknown period {name!r} ({known})"
            )
            continue
        if not period.dates and not period.ranges:
            table.problems.add(
                (*table.path, "holiday_periods", index),
                f"period {name!r} names no days (give it dates or ranges)",
            )
        spans.extend((day, day) for day in period.dates)
        spans.extend(period.ranges)
    return _merged(spans)


def _merged(spans: list[tuple[date, date]]) -> tuple[tuple[date, date], ...]:
    """Ranges that touch (Dec 25, Dec 26) become one, so "until" names the last day off."""
    out: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if out and first <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return tuple(out)
