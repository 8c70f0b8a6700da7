"""The config of export drops: the shop's own ``[[profiles]]`` and each ``kind = "csv"`` source.

A csv source names its watched ``folder`` (relative to the config file), its ``profile`` (a
shipped one, one of ``[[profiles]]``, or ``auto``), optionally ``settle`` (how long a file's size
must stay the same before it is read; default 2s), and may adjust its profile in place with
``columns``, ``statuses``, ``time_zone``, ``currency`` or ``country``; those make a profile of
the source's own, based on the one it names::

    [[sources]]
    name = "taobao"
    kind = "csv"
    folder = "drops/taobao"
    profile = "taobao"
    columns = { packed_at = "打包时间" }
    statuses = { "已揽件" = "paid fulfilled open" }
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.rules.durations import parse_duration
from sync.connectors.csv_drop import KIND, profiles_by_name
from sync.csvimport.profiles import AUTO, Profile, profile_from_table
from sync.errors import ConfigError

if TYPE_CHECKING:
    from daemon.config import Feed

TABLE_KEYS = frozenset({"columns", "statuses"})
"""Feed keys whose value is a table (read here, not as plain settings)."""
_PROFILE_OVERRIDES = ("columns", "statuses", "time_zone", "currency", "country")
_CSV_KEYS = {"name", "kind", "interval", "folder", "profile", "settle", *_PROFILE_OVERRIDES}
DEFAULT_SETTLE = "2s"


def read_profiles(path: Path, items: Any, problems: list[str]) -> tuple[Profile, ...]:
    """The ``[[profiles]]`` tables; each may start from a shipped or an earlier profile."""
    if not isinstance(items, list):
        problems.append(f"{path}: profiles: must be an array of tables ([[profiles]])")
        return ()
    known = profiles_by_name()
    found: list[Profile] = []
    for index, item in enumerate(items):
        where = f"{path}: profiles[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        try:
            profile = profile_from_table(where, item, known)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        known[profile.name] = profile
        found.append(profile)
    return tuple(found)


def drop_sources(
    path: Path,
    raw: Any,
    feeds: Sequence[Feed],
    profiles: tuple[Profile, ...],
    problems: list[str],
) -> tuple[tuple[Feed, ...], tuple[Profile, ...]]:
    """Check the csv sources among ``feeds`` (raw tables in ``raw``); resolve their folders.

    Returns the feeds (csv ones with ``folder`` made absolute and ``profile`` pointing at the
    profile they use) and the profiles, with one added for each source that adjusts its own.
    """
    items = raw if isinstance(raw, list) else []
    known = {**profiles_by_name(), **{p.name: p for p in profiles}}
    extra: list[Profile] = []
    checked: list[Feed] = []
    by_name = {
        item.get("name"): (i, item) for i, item in enumerate(items) if isinstance(item, dict)
    }
    for feed in feeds:
        index, item = by_name.get(feed.name, (0, {}))
        where = f"{path}: sources[{index}]"
        if feed.kind != KIND:
            problems.extend(
                f"{where}.{key}: only csv sources have a {key} table"
                for key in sorted(TABLE_KEYS & set(item))
            )
            checked.append(feed)
            continue
        settings = _check(where, path, item, dict(feed.settings), known, problems)
        own = _own_profile(where, feed.name, item, settings["profile"], known, problems)
        if own is not None:
            extra.append(own)
            settings["profile"] = own.name
        checked.append(replace(feed, settings=settings))
    return tuple(checked), (*profiles, *extra)


def _check(
    where: str,
    path: Path,
    item: Mapping[str, Any],
    settings: dict[str, str],
    known: Mapping[str, Profile],
    problems: list[str],
) -> dict[str, str]:
    for key in sorted(set(item) - _CSV_KEYS):
        problems.append(f"{where}.{key}: unknown key for a csv source")
    folder = settings.get("folder", "")
    if not folder:
        problems.append(f"{where}.folder: required, the folder exports are dropped in")
    settings["folder"] = str(path.parent / folder)
    profile = settings.setdefault("profile", AUTO)
    if profile != AUTO and profile not in known:
        problems.append(
            f"{where}.profile: unknown profile {profile!r} "
            f"(known: {', '.join(sorted([*known, AUTO]))})"
        )
    settle = settings.setdefault("settle", DEFAULT_SETTLE)
    try:
        parse_duration(settle)
    except ValueError as exc:
        problems.append(f"{where}.settle: {exc}")
    for key in _PROFILE_OVERRIDES:
        settings.pop(key, None)
    return settings


def _own_profile(
    where: str,
    name: str,
    item: Mapping[str, Any],
    base: str,
    known: Mapping[str, Profile],
    problems: list[str],
) -> Profile | None:
    overrides = {k: item[k] for k in _PROFILE_OVERRIDES if k in item}
    if not overrides or (base != AUTO and base not in known):
        return None
    if base == AUTO:
        problems.append(f"{where}.profile: name the profile that {', '.join(overrides)} adjust")
        return None
    table = {"name": f"source:{name}", "base": base, **overrides}
    try:
        return profile_from_table(where, table, known)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
