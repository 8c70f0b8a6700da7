"""Twenty agents acting at once on one database while the daemon syncs a busy shop into it.

Every agent is its own process doing real actions through the store (compare-and-swap, durable
writes). Nothing an agent does may fail with "database is locked", no action an agent was told
succeeded may be lost, and the file must pass ``integrity_check``. The run lasts
``AGENT_LOAD_SECONDS`` (20 by default; the acceptance figure is 60) and prints the write
latencies as a ``BENCH`` line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.agent_load import drill, lost_updates

AGENTS = 20
SECONDS = float(os.environ.get("AGENT_LOAD_SECONDS", "20"))

pytestmark = pytest.mark.slow


async def test_twenty_agents_and_the_syncing_daemon_share_one_database(tmp_path: Path) -> None:
    db = tmp_path / "orderwatch.db"
    run = await drill(db, AGENTS, SECONDS)
    result = run.result
    figures = result.figures()
    print("BENCH " + json.dumps({"name": "agent_writes", "seconds": SECONDS, **figures}))
    assert [e for e in result.errors if "locked" in e] == []
    assert result.errors == []
    assert lost_updates(db, result) == []
    assert result.actions > 20 * AGENTS
    assert run.synced_after > run.synced_before > 0  # the daemon kept writing meanwhile
