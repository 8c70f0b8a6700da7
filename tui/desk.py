"""What every screen of the console works with: the store, the clock, the agent and their zone."""

from __future__ import annotations

import os
import pwd
import sqlite3
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.clock import Clock
from sync.errors import OrderwatchError
from sync.store import Store
from sync.store.console import DeskHealth
from tui.config import ConsoleConfig

if TYPE_CHECKING:
    from tui.live import ChangeLog
    from tui.pending import Pending

READ_ERRORS = (OrderwatchError, sqlite3.Error)
"""What a read of the store can raise that the agent should see as a message, not a crash."""

_ZONEINFO_ROOTS = ("/usr/share/zoneinfo/", "/usr/lib/zoneinfo/", "/usr/share/lib/zoneinfo/")


def agent_login() -> str:
    """The agent's identity: the OS login of this process's uid.

    Never ``$USER``: it is whatever the environment says, and the audit log must not be.
    """
    return pwd.getpwuid(os.getuid()).pw_name


def local_zone(clock: Clock) -> tzinfo:
    """The agent's time zone, by name when the system names it (``Asia/Shanghai``)."""
    named = _named_zone()
    if named is not None:
        return named
    zone = clock.now().astimezone().tzinfo
    assert zone is not None
    return zone


def _named_zone() -> ZoneInfo | None:
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates += [target[len(root) :] for root in _ZONEINFO_ROOTS if target.startswith(root)]
    except OSError:
        pass
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text(encoding="utf-8").strip())
    for key in candidates:
        if not key or key.startswith("/"):
            continue
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


class Board:
    """What the status bar shows, kept up to date by the app's feed."""

    def __init__(self) -> None:
        self.health: DeskHealth | None = None
        self.paused = False
        self.held = 0
        """Orders changed while paused, not shown yet."""
        self.waiting: list[str] = []
        """Actions waiting out their grace window, described."""


@dataclass(frozen=True, slots=True)
class Desk:
    """The console's shared context, handed to every screen."""

    store: Store
    clock: Clock
    agent: str
    zone: tzinfo
    changes: ChangeLog
    config: ConsoleConfig
    board: Board
    actions: Pending
    """Agents' actions waiting out their grace window (``u`` takes the last one back)."""
