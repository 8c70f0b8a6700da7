"""The console's own settings: theme, reply language, timings, and the role views.

They live in ``~/.config/orderwatch/console.toml`` (or ``$XDG_CONFIG_HOME``), or in the
``[console]`` table of any file given with ``--config`` (the daemon's config may carry it too;
its other tables are not the console's business). Every problem is collected and reported at
once, with the file and key; unknown keys are errors, so a typo never silently does nothing.

A role view is a named filter over the orders, for one kind of work::

    [[console.views]]
    name = "ship-today"           # its command, :view ship-today
    title = "Ship today"
    orders = "open"               # or "all"
    filter = "fulfillment:unfulfilled,in_progress due:today"
    group = "stage"               # grouped by warehouse stage
    sort = "due"                  # any sort; "-due" reverses it
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.theme import BUILTIN_THEMES

from sync.errors import ConfigError
from sync.store.views import Group, Sort, View
from tui.filters import Context, parse

DEFAULT_THEME = "textual-dark"


@dataclass(frozen=True, slots=True)
class RoleView:
    name: str
    title: str
    filter: str = ""
    orders: View = View.QUEUE
    sort: Sort = Sort.AGE
    reverse: bool = False
    group: Group = Group.NONE


DEFAULT_VIEWS = (
    RoleView(
        name="ship-today",
        title="Ship today",
        filter="fulfillment:unfulfilled,in_progress,partially_fulfilled due:today",
        sort=Sort.DUE,
        group=Group.STAGE,
    ),
    RoleView(
        name="support",
        title="Support",
        filter="parcel:exception,delivery_failed,refused,returning,delayed,expired",
        orders=View.ALL,
    ),
)


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    theme: str = DEFAULT_THEME
    language: str = "en"
    """The language of the reply templates shown first (``zh``, ``en``, …)."""
    poll_seconds: float = 0.5
    undo_seconds: float = 5.0
    """How long an action waits before it is written, so ``u`` can take it back."""
    export_dir: Path | None = None
    """Where exports go (the downloads folder when unset)."""
    views: tuple[RoleView, ...] = field(default=DEFAULT_VIEWS)


_KEYS = {"theme", "language", "poll_seconds", "undo_seconds", "export_dir", "views"}
_VIEW_KEYS = {"name", "title", "filter", "orders", "sort", "group"}
_ORDERS = {"open": View.QUEUE, "all": View.ALL}
_ANY_INSTANT = datetime(2026, 1, 1, tzinfo=UTC)
"""Filters are checked for their words only; their times are worked out when they run."""


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base else Path.home() / ".config"
    return root / "orderwatch" / "console.toml"


def load_config(given: Path | None) -> ConsoleConfig:
    """The settings in ``given`` (which must exist), else in the default file, else defaults."""
    path = given or default_path()
    if given is None and not path.is_file():
        return ConsoleConfig()
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as missing:
        raise ConfigError(f"{path}: no such file") from missing
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    table = document.get("console", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [console] must be a table")
    return _read(path, table)


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, key: str, text: str) -> None:
        self.items.append(f"{self.path}: console.{key}: {text}")


def _read(path: Path, table: dict[str, Any]) -> ConsoleConfig:
    problems = _Problems(path)
    for key in sorted(set(table) - _KEYS):
        problems.add(key, f"unknown key (known: {', '.join(sorted(_KEYS))})")
    defaults = ConsoleConfig()
    theme = _text(table, "theme", defaults.theme, problems)
    if theme not in BUILTIN_THEMES:
        problems.add("theme", f"unknown theme {theme!r} (try {', '.join(sorted(BUILTIN_THEMES))})")
    export_dir = _text(table, "export_dir", "", problems)
    config = ConsoleConfig(
        theme=theme,
        language=_text(table, "language", defaults.language, problems),
        poll_seconds=_seconds(table, "poll_seconds", defaults.poll_seconds, problems),
        undo_seconds=_seconds(table, "undo_seconds", defaults.undo_seconds, problems),
        export_dir=Path(export_dir).expanduser() if export_dir else None,
        views=_views(table.get("views"), problems),
    )
    if problems.items:
        raise ConfigError(problems.items)
    return config


def _text(table: dict[str, Any], key: str, default: str, problems: _Problems) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        problems.add(key, "must be a string")
        return default
    return value


def _seconds(table: dict[str, Any], key: str, default: float, problems: _Problems) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.add(key, "must be a number of seconds, 0 or more")
        return default
    return float(value)


def _views(value: object, problems: _Problems) -> tuple[RoleView, ...]:
    if value is None:
        return DEFAULT_VIEWS
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add("views", "must be an array of tables ([[console.views]])")
        return DEFAULT_VIEWS
    views = [_view(n, table, problems) for n, table in enumerate(value)]
    names = [view.name for view in views]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add("views", f"the name {name!r} is used twice")
    return tuple(views)


def _view(n: int, table: dict[str, Any], problems: _Problems) -> RoleView:
    where = f"views[{n}]"
    for key in sorted(set(table) - _VIEW_KEYS):
        problems.add(f"{where}.{key}", f"unknown key (known: {', '.join(sorted(_VIEW_KEYS))})")
    name = _text(table, "name", "", problems)
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        problems.add(f"{where}.name", "needs a name of letters, digits, - and _")
    text = _text(table, "filter", "", problems)
    check = Context(agent="me", now=_ANY_INSTANT, zone=UTC)
    for problem in parse(text, check).problems:
        problems.add(f"{where}.filter", problem)
    orders = _text(table, "orders", "open", problems)
    if orders not in _ORDERS:
        problems.add(f"{where}.orders", "must be 'open' or 'all'")
    sort = _text(table, "sort", "age", problems)
    if sort.lstrip("-") not in set(Sort):
        problems.add(f"{where}.sort", f"unknown sort (sorts: {', '.join(Sort)})")
    group = _text(table, "group", "none", problems)
    if group not in set(Group):
        problems.add(f"{where}.group", "must be 'stage' or 'none'")
    return RoleView(
        name=name,
        title=_text(table, "title", name, problems) or name,
        filter=text,
        orders=_ORDERS.get(orders, View.QUEUE),
        sort=Sort(sort.lstrip("-")) if sort.lstrip("-") in set(Sort) else Sort.AGE,
        reverse=sort.startswith("-"),
        group=Group(group) if group in set(Group) else Group.NONE,
    )
