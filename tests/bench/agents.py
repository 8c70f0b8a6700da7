"""``agent_writes``: twenty agent processes acting at once while the daemon syncs a busy shop,
against the same agents on a quiet database (the baseline of the same rows and actions)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.agent_load import drill, lost_updates

AGENTS = 20


async def agent_writes(folder: Path, report: Callable[..., None]) -> None:
    seconds = float(os.environ.get("AGENT_LOAD_SECONDS", "10"))
    quiet = await drill(folder / "agents_quiet.db", AGENTS, seconds, with_daemon=False)
    busy_db = folder / "agents_busy.db"
    busy = await drill(busy_db, AGENTS, seconds)
    figures: dict[str, Any] = busy.result.figures()
    baseline = quiet.result.figures()
    report(
        "agent_writes",
        seconds=seconds,
        **figures,
        lost_updates=len(lost_updates(busy_db, busy.result)),
        quiet_p99_ms=baseline["p99_ms"],
        quiet_actions=baseline["actions"],
        p99_vs_quiet=round(figures["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else 0,
    )
