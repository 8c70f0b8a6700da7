"""Reading ``[calendars.*]`` and ``[periods.*]``: opening hours, holidays, closures, named times.

::

    [calendars.warehouse]
    timezone = "Europe/Berlin"                      # default: the file's timezone
    hours.mon-fri = ["08:00-12:00", "12:30-18:00"]  # several windows a day; "22:00-06:00" runs
    hours.sat = ["09:00-13:00"]                     #   past midnight; a day not listed is closed
    holidays = ["2026-12-25", "2026-12-26"]
    holidays_from = "other_calendar"                # its holidays count here too
    closures = [{ from = "2026-12-28T00:00", to = "2026-12-29T12:00", note = "stocktaking" }]

Day keys are ``mon`` … ``sun``, a range such as ``mon-fri`` (``fri-mon`` wraps), or ``daily``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from daemon.rules.calendar import DAY, WEEKDAYS, Calendar, Closure, Window
from daemon.rules.model import Period
from daemon.rules.reader import Table, describe

CALENDAR_KEYS = frozenset({"timezone", "hours", "holidays", "holidays_from", "closures"})
CLOSURE_KEYS = frozenset({"from", "to", "note"})
PERIOD_KEYS = frozenset({"dates", "ranges", "holidays_of", "weekdays", "times"})
RANGE_KEYS = frozenset({"from", "to"})

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def read_timezone(table: Table, key: str, default: str) -> str:
    name = table.text(key)
    if name is None:
        return default
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        table.problem(key, f"{name!r} is not a time zone (use a name like 'Europe/Berlin')")
        return default
    return name


def read_calendars(top: Table, timezone: str) -> dict[str, Calendar]:
    data = top.typed("calendars", dict, "tables like [calendars.warehouse]")
    found: dict[str, Calendar] = {}
    inherits: dict[str, tuple[str, ...]] = {}
    for name, body in (data or {}).items():
        path = (*top.path, "calendars", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, CALENDAR_KEYS)
        zone = read_timezone(table, "timezone", timezone)
        week = _hours(table)
        holidays = frozenset(read_dates(table, "holidays"))
        inherits[name] = table.text_list("holidays_from")
        closures = _closures(table)
        table.finish()
        found[name] = Calendar(name, zone, week, holidays, closures)
    return _inherit_holidays(top, found, inherits)


def _inherit_holidays(
    top: Table, calendars: dict[str, Calendar], inherits: Mapping[str, tuple[str, ...]]
) -> dict[str, Calendar]:
    """Each calendar with the holidays of the calendars its ``holidays_from`` names (and of
    theirs, in turn)."""
    out = dict(calendars)
    for name, parents in inherits.items():
        seen = {name}
        todo = list(parents)
        days = set(calendars[name].holidays)
        while todo:
            parent = todo.pop()
            if parent == name:
                top.problems.add(
                    (*top.path, "calendars", name, "holidays_from"),
                    f"calendar {name!r} takes its holidays from itself, through a loop",
                )
                break
            if parent in seen:
                continue
            seen.add(parent)
            if parent not in calendars:
                known = ", ".join(sorted(calendars)) or "none defined"
                top.problems.add(
                    (*top.path, "calendars", name, "holidays_from"),
                    f"unknown calendar {parent!r} (calendars: {known})",
                )
                continue
            days |= calendars[parent].holidays
            todo.extend(inherits.get(parent, ()))
        cal = calendars[name]
        out[name] = Calendar(cal.name, cal.timezone, cal.week, frozenset(days), cal.closures)
    return out


def _hours(table: Table) -> tuple[tuple[Window, ...], ...]:
    data = table.typed("hours", dict, 'a table of days, like hours.mon-fri = ["09:00-17:00"]')
    week: list[tuple[Window, ...] | None] = [None] * 7
    for key, value in (data or {}).items():
        path = (*table.path, "hours", key)
        days = day_set(key)
        if days is None:
            table.problems.add(
                path, f"{key!r} is not a day: use mon … sun, a range like mon-fri, or daily"
            )
            continue
        windows = read_windows(table, ("hours", key), value)
        for day in days:
            if week[day] is not None:
                table.problems.add(path, f"{WEEKDAYS[day]} is given hours twice")
            week[day] = windows
    return tuple(windows or () for windows in week)


def day_set(text: str) -> list[int] | None:
    """The weekdays (0 = Monday) a day key names, or None when it names none."""
    key = text.strip().lower()
    if key == "daily":
        return list(range(7))
    if key in WEEKDAYS:
        return [WEEKDAYS.index(key)]
    first, dash, last = key.partition("-")
    if not dash or first not in WEEKDAYS or last not in WEEKDAYS:
        return None
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last)
    return [(start + step) % 7 for step in range((end - start) % 7 + 1)]


def read_windows(table: Table, key: tuple[str | int, ...], value: object) -> tuple[Window, ...]:
    path = (*table.path, *key)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        table.problems.add(path, f'expected a list like ["09:00-17:00"], got {describe(value)}')
        return ()
    windows: list[Window] = []
    for index, item in enumerate(items):
        window = parse_window(item)
        if window is None:
            table.problems.add(
                (*path, index), f"{item!r} is not a time window (write it like 09:00-17:30)"
            )
            continue
        windows.append(window)
    windows.sort(key=lambda window: window.start)
    for before, after in pairwise(windows):
        if after.start < before.end:
            table.problems.add(path, f"windows {before} and {after} overlap")
    return tuple(windows)


def parse_window(text: str) -> Window | None:
    """``"08:00-12:00"`` as minutes after midnight; an end at or before the start means the
    window runs past midnight; ``24:00`` is the end of the day."""
    match = _WINDOW.fullmatch(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        return None
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += DAY
    return Window(start, end)


def read_dates(table: Table, key: str) -> list[date]:
    value = table.raw(key)
    if value is None:
        return []
    if not isinstance(value, list):
        table.problem(key, f'expected a list of dates, like ["2026-12-25"], got {describe(value)}')
        return []
    found = []
    for index, item in enumerate(value):
        day = read_date(table, (key, index), item)
        if day is not None:
            found.append(day)
    return found


def read_date(table: Table, key: tuple[str | int, ...], value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    table.problems.add(
        (*table.path, *key), f"expected a date like 2026-12-25, got {describe(value)}"
    )
    return None


def _local_time(table: Table, key: str, value: object) -> datetime | None:
    """A local date-time: a TOML local date-time, a date (midnight) or the same as text."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            return parsed
    if value is not None:
        table.problem(
            key, f"expected a local date and time like 2026-12-28T08:00, got {describe(value)}"
        )
    return None


def _closures(table: Table) -> tuple[Closure, ...]:
    found = []
    for index, data in table.table_list("closures"):
        item = Table(data, (*table.path, "closures", index), table.problems, CLOSURE_KEYS)
        start = _local_time(item, "from", item.raw("from", required=True))
        end = _local_time(item, "to", item.raw("to", required=True))
        note = item.text("note") or ""
        item.finish()
        if start is not None and end is not None:
            if end <= start:
                item.problem("to", f"{end:%Y-%m-%dT%H:%M} is not after {start:%Y-%m-%dT%H:%M}")
                continue
            found.append(Closure(start, end, note))
    return tuple(found)


def read_periods(top: Table, timezone: str, calendars: Mapping[str, Calendar]) -> dict[str, Period]:
    data = top.typed("periods", dict, "tables like [periods.peak_season]")
    periods: dict[str, Period] = {}
    for name, body in (data or {}).items():
        path = (*top.path, "periods", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        table = Table(body, path, top.problems, PERIOD_KEYS)
        dates = set(read_dates(table, "dates"))
        for calendar in table.text_list("holidays_of"):
            if calendar in calendars:
                dates |= calendars[calendar].holidays
            else:
                known = ", ".join(sorted(calendars)) or "none defined"
                table.problem("holidays_of", f"unknown calendar {calendar!r} ({known})")
        ranges = _ranges(table)
        weekdays = _weekdays(table)
        times = read_windows(table, ("times",), body["times"]) if "times" in body else ()
        table.finish()
        if not (body.keys() & PERIOD_KEYS):
            top.problems.add(path, "an empty period: give dates, ranges, weekdays or times")
        periods[name] = Period(name, frozenset(dates), ranges, weekdays, times, timezone)
    return periods


def _ranges(table: Table) -> tuple[tuple[date, date], ...]:
    found = []
    for index, data in table.table_list("ranges"):
        item = Table(data, (*table.path, "ranges", index), table.problems, RANGE_KEYS)
        first = read_date(item, ("from",), item.raw("from", required=True))
        last = read_date(item, ("to",), item.raw("to", required=True))
        item.finish()
        if first is not None and last is not None:
            if last < first:
                item.problem("to", f"{last} is before {first}")
            found.append((first, last))
    return tuple(found)


def _weekdays(table: Table) -> frozenset[int]:
    days: set[int] = set()
    for index, key in enumerate(table.text_list("weekdays")):
        found = day_set(key)
        if found is None:
            table.problems.add(
                (*table.path, "weekdays", index),
                f"{key!r} is not a day: use mon … sun, a range like mon-fri, or daily",
            )
            continue
        days.update(found)
    return frozenset(days)
