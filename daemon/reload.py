"""Hot reload of ``rules.toml``: parse and check the whole file, and only then swap.

Editors save by writing a temporary file and renaming it over the old one, so the watcher follows
the folder, not the file. On any error the rules that were running keep running; the problems
(file, line, key) go to the log and to the store, where ``orderwatchd status`` and the console
show them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import watchfiles

from daemon.rules.loader import load_rules, text_version
from daemon.rules.model import RuleSet
from sync.errors import ConfigError

log = logging.getLogger("orderwatch.reload")

RULES_VERSION = "rules.version"
RULES_RESULT = "rules.last_reload"
RULES_ERROR = "rules.error"


def file_version(path: Path) -> str:
    """The version the rules in ``path`` would load as ("" if it cannot be read)."""
    try:
        return text_version(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ""


def try_load(path: Path) -> tuple[RuleSet | None, list[str]]:
    """The rules in ``path``, or the problems that keep them from loading."""
    try:
        return load_rules(path), []
    except ConfigError as exc:
        return None, exc.problems


def reload_state(rules: RuleSet | None, problems: list[str], now: datetime) -> dict[str, str]:
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    if rules is not None:
        return {RULES_VERSION: rules.version, RULES_RESULT: f"ok at {stamp}", RULES_ERROR: ""}
    return {RULES_RESULT: f"rejected at {stamp}", RULES_ERROR: "\n".join(problems)}


async def watch_rules(
    path: Path, on_change: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """Call ``on_change`` whenever ``path`` is written, created or renamed into place."""
    target = path.resolve()

    def concerns(_change: watchfiles.Change, changed: str) -> bool:
        return Path(changed).resolve() == target

    async for _changes in watchfiles.awatch(
        target.parent, watch_filter=concerns, stop_event=stop, debounce=200, step=50
    ):
        await on_change()
