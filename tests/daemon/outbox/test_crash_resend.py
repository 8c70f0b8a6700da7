"""Kill -9 the outbox between sending and recording: the message goes out again at start-up,
under the same idempotency key, and never a third time."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from sync.domain import EscalationRow
from sync.store import Store
from tests.daemon.outbox.conftest import NOW, Outbox, Receivers, queue

ROOT = Path(__file__).resolve().parents[3]

WORKER = """
import asyncio, sys
from datetime import timedelta
import httpx
from daemon.outbox.worker import OutboxWorker
from daemon.rules.loader import load_rules
from sync.clock import VirtualClock
from sync.store import Store
from tests.daemon.outbox.conftest import NOW

async def main() -> None:
    store = await Store.open(sys.argv[1])
    workflow = load_rules(sys.argv[2]).workflow
    async with httpx.AsyncClient() as client:
        worker = OutboxWorker(
            store, VirtualClock(NOW), client, lambda: workflow, {"HOOK_SECRET": sys.argv[3]}
        )
        await worker.deliver_due()

asyncio.run(main())
"""


async def _wait_for(condition: object, timeout: float = 20.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the worker never sent"
        await asyncio.sleep(0.02)


async def test_a_send_cut_off_by_a_crash_goes_out_once_more_with_the_same_key(
    tmp_path: Path,
    store: Store,
    client: httpx.AsyncClient,
    receivers: Receivers,
    escalation: EscalationRow,
) -> None:
    rules = tmp_path / "rules.toml"
    text = receivers.rules()
    rules.write_text(text, encoding="utf-8")
    key = await queue(store, escalation, "webhook")
    seen = receivers.seen["webhook"]
    seen.hold = asyncio.Event()  # take the delivery, then never answer
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WORKER,
        str(tmp_path / "orderwatch.db"),
        str(rules),
        receivers.environ["HOOK_SECRET"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await _wait_for(lambda: len(seen.bodies) == 1)
    finally:
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
    seen.hold.set()
    (cut,) = await store.outbox_rows(escalation.id)
    assert (cut.state, cut.attempts) == ("sending", 1)

    outbox = Outbox(store, client, receivers, text)
    assert await outbox.worker.recover() == 1
    await outbox.at(NOW)
    await outbox.at(NOW)
    (row,) = await store.outbox_rows(escalation.id)
    assert (row.state, row.attempts) == ("sent", 2)
    assert receivers.keys("webhook") == [key, key]
    assert seen.bodies[0] == seen.bodies[1]
