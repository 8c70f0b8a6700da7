"""The ``[guards]`` table of rules.toml: how long the order guards' waiting checks wait, which
tags declare split shipments or link a gift to its main order, and the checks switched off."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from daemon.rules.reader import Table
from sync.guards import Check, GuardSettings

_DURATIONS = (
    "fulfilled_without_tracking_after",
    "label_not_scanned_after",
    "not_released_after",
    "merge_within",
    "same_sku_within",
)
GUARD_KEYS = frozenset({*_DURATIONS, "split_tags", "link_prefixes", "off"})


def read_guards(top: Table) -> GuardSettings:
    """The ``[guards]`` table (every key optional; the defaults are GuardSettings')."""
    data = top.typed("guards", dict, "a table: [guards]")
    settings = GuardSettings()
    if data is None:
        return settings
    table = Table(data, (*top.path, "guards"), top.problems, GUARD_KEYS)
    waits: dict[str, timedelta] = {}
    for key in _DURATIONS:
        wait = table.duration(key)
        if wait is not None and wait <= timedelta(0):
            table.problem(key, "must be longer than zero")
        elif wait is not None:
            waits[key] = wait
    settings = replace(settings, **waits)  # type: ignore[arg-type]
    if "split_tags" in data:
        settings = replace(settings, split_tags=table.text_list("split_tags"))
    if "link_prefixes" in data:
        settings = replace(settings, link_prefixes=table.text_list("link_prefixes"))
    settings = replace(settings, off=_checks(table, table.text_list("off")))
    table.finish()
    return settings


def _checks(table: Table, names: tuple[str, ...]) -> frozenset[str]:
    known = {str(check) for check in Check}
    for name in names:
        if name not in known:
            table.problem("off", f"{name!r} is not a guard; guards: {', '.join(sorted(known))}")
    return frozenset(name for name in names if name in known)
