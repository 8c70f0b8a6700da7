"""Many agents acting on one database at once: the harness of the concurrency test and bench.

Each agent is its own process (``python -m tests.e2e.agent_load DB SECONDS SEED AGENT``) with
its own durable store, picking escalations at random and doing what an agent would to them in
their state (acknowledge, take, assign, snooze, note, resolve, reopen, escalate now). It reports
as one JSON line: what it did, the races it lost, any error, and the latency of every write.

The oracle for lost updates: every successful action moves the escalation's version by one, and
agents are the only ones moving these escalations (their rule has no policy, so the daemon's
ladder only does bookkeeping on them). So for each escalation, its final version minus one is
the number of successful actions on it, no two successes may have produced the same version,
and the timeline holds exactly one line per success.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.domain import (
    FulfillmentStatus,
    Lifecycle,
    OrderRecord,
    PaymentStatus,
    TimerState,
)
from sync.errors import ActionError, ConflictError
from sync.store import Store, TimerDecision

ROOT = Path(__file__).resolve().parents[2]
RULE = "agent_drill"
PEOPLE = ("anna", "ben", "mia", "li", "owner")
BUMPING = ("acknowledged", "taken", "assigned", "snoozed", "resolved", "reopened", "escalated")
T = datetime(2026, 11, 20, 8, tzinfo=UTC)


async def seed(db: Path, escalations: int) -> None:
    """Closed orders, each with one open escalation of a rule no policy follows."""
    store = await Store.open(db)
    try:
        orders = [
            OrderRecord(
                source="drill",
                external_id=f"drill-{n}",
                number=f"D{n:04d}",
                updated_at=T,
                created_at=T,
                payment_status=PaymentStatus.PAID,
                fulfillment_status=FulfillmentStatus.FULFILLED,
                lifecycle=Lifecycle.CLOSED,
            )
            for n in range(escalations)
        ]
        ids = await store.save_order_page("drill", "drill", orders, "", T)
        decisions = [
            TimerDecision(
                rule_id=RULE,
                subject_kind="order",
                subject_id=order_id,
                order_id=order_id,
                state=TimerState.FIRING,
                started_at=T,
                deadline_at=T,
                warn_at=None,
                next_at=None,
                rules_version="drill",
                summary="drill",
            )
            for order_id in ids
        ]
        await store.save_timers(decisions, T)
        async with store.db.write() as tx:  # the drill's timers are done; their escalations stay
            await tx.execute(
                "UPDATE timers SET state = 'resolved', escalation_id = NULL WHERE rule_id = ?",
                (RULE,),
            )
    finally:
        await store.close()


async def _act(store: Store, rng: random.Random, escalation_id: int, agent: str) -> str:
    """Do one thing an agent would do to the escalation as it is; returns what was done."""
    found = await store.escalation(escalation_id)
    assert found is not None
    now = datetime.now(UTC)
    v = found.version
    if found.state == "resolved":
        choice = rng.choice(("reopen", "note"))
    elif found.state == "acknowledged":
        choice = rng.choice(("resolve", "assign", "escalate", "note", "snooze"))
    else:
        choice = rng.choice(("ack", "take", "escalate", "snooze", "note"))
    if choice == "note":
        await store.add_note(found.order_id, agent, "called the customer", now, escalation_id)
        return "note"
    if choice == "ack":
        done = await store.acknowledge(escalation_id, v, agent, now)
    elif choice == "take":
        done = await store.take(escalation_id, v, agent, now)
    elif choice == "assign":
        done = await store.assign(escalation_id, v, agent, rng.choice(PEOPLE), now)
    elif choice == "snooze":
        done = await store.snooze(escalation_id, v, agent, now + timedelta(hours=1), now)
    elif choice == "resolve":
        done = await store.resolve(escalation_id, v, agent, "customs", "", now)
    elif choice == "reopen":
        done = await store.reopen(escalation_id, v, agent, now)
    else:
        done = await store.escalate_now(escalation_id, v, agent, now)
    return f"{choice}:{done.version}"


async def _worker(db: Path, seconds: float, seed_value: int, agent: str) -> dict[str, Any]:
    rng = random.Random(seed_value)
    store = await Store.open(db, durable=True)
    report: dict[str, Any] = {"agent": agent, "done": [], "lost": 0, "refused": 0, "errors": []}
    latencies: list[float] = []
    try:
        ids = [int(i) for i in await store.db.column(
            "SELECT id FROM escalations WHERE rule_id = ? ORDER BY id", (RULE,)
        )]  # fmt: skip
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            escalation_id = rng.choice(ids)
            began = time.perf_counter()
            try:
                what = await _act(store, rng, escalation_id, agent)
                report["done"].append([escalation_id, what])
            except ConflictError:
                report["lost"] += 1
            except ActionError:
                report["refused"] += 1  # e.g. assigning to the agent who already has it
            except Exception as error:  # anything else reaching an agent is a failure
                report["errors"].append(f"{type(error).__name__}: {error}")
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(rng.uniform(0, 0.02))
    finally:
        await store.close()
    report["latencies"] = latencies
    return report


@dataclass
class LoadResult:
    reports: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return [x for r in self.reports for x in r["latencies"]]

    @property
    def errors(self) -> list[str]:
        return [e for r in self.reports for e in r["errors"]]

    @property
    def actions(self) -> int:
        return sum(len(r["done"]) for r in self.reports)

    @property
    def lost_races(self) -> int:
        return sum(r["lost"] for r in self.reports)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def figures(self) -> dict[str, Any]:
        return {
            "agents": len(self.reports),
            "actions": self.actions,
            "lost_races": self.lost_races,
            "locked_errors": sum("locked" in e for e in self.errors),
            "other_errors": len(self.errors),
            "p50_ms": round(statistics.median(self.latencies) * 1000, 2) if self.latencies else 0,
            "p99_ms": round(self.percentile(0.99) * 1000, 2),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 2),
        }


async def run_agents(db: Path, agents: int, seconds: float) -> LoadResult:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.agent_load",
            str(db),
            str(seconds),
            str(n),
            f"agent{n:02d}",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(agents)
    ]
    result = LoadResult()
    for proc in procs:
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise AssertionError(f"an agent process failed: {err.decode()[-2000:]}")
        result.reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    return result


def lost_updates(db: Path, result: LoadResult) -> list[str]:
    """Every way the database disagrees with what the agents were told succeeded."""
    problems: list[str] = []
    successes: Counter[int] = Counter()
    seen: set[tuple[int, int]] = set()
    for report in result.reports:
        for escalation_id, what in report["done"]:
            if what == "note":
                continue
            version = int(what.split(":")[1])
            if (escalation_id, version) in seen:
                problems.append(f"escalation {escalation_id}: two actions made version {version}")
            seen.add((escalation_id, version))
            successes[escalation_id] += 1
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT id, version FROM escalations WHERE rule_id = ?", (RULE,))
        for escalation_id, version in rows.fetchall():
            if version - 1 != successes[escalation_id]:
                problems.append(
                    f"escalation {escalation_id}: version {version} after "
                    f"{successes[escalation_id]} successful actions"
                )
        marks = ",".join("?" * len(BUMPING))
        lines = dict(
            con.execute(
                "SELECT subject_id, count(*) FROM events WHERE subject_kind = 'escalation' "
                f"AND actor LIKE 'agent%' AND kind IN ({marks}) GROUP BY subject_id",
                BUMPING,
            ).fetchall()
        )
        for escalation_id, count in successes.items():
            if lines.get(escalation_id, 0) != count:
                problems.append(f"escalation {escalation_id}: {lines.get(escalation_id)} lines")
        (check,) = con.execute("PRAGMA integrity_check").fetchone()
        if check != "ok":
            problems.append(f"integrity_check: {check}")
    finally:
        con.close()
    return problems


class FastClock:
    """Shop time running ``speed`` times faster than the wall clock, so a short run sees hours
    of orders arriving, getting paid, shipped and scanned."""

    def __init__(self, start: datetime, speed: float = 100.0) -> None:
        self.start = start
        self.began = time.monotonic()
        self.speed = speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.began) * self.speed)


@dataclass
class Drill:
    result: LoadResult
    synced_before: int
    """The daemon's latest change stamp on synced orders as the agents started, and ended."""
    synced_after: int


def _stamp(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT coalesce(max(change_seq), 0) FROM orders").fetchone()[0])
    finally:
        con.close()


async def drill(db: Path, agents: int, seconds: float, *, with_daemon: bool = True) -> Drill:
    """Seed escalations, start the daemon syncing a busy simulated shop into ``db`` (unless
    told not to), and let ``agents`` agent processes act for ``seconds``."""
    from daemon.commands import run_daemon
    from daemon.config import Config, Feed
    from daemon.runner import Daemon
    from daemon.simulator.app import DEFAULT_TOKEN, create_app
    from daemon.simulator.server import serve
    from daemon.simulator.shop import Shop
    from daemon.simulator.shopify_api import Bucket
    from daemon.simulator.shopify_cost import CostModel

    await seed(db, 40)
    if not with_daemon:
        result = await run_agents(db, agents, seconds)
        return Drill(result, 0, 0)
    clock = FastClock(datetime.now(UTC))
    shop = Shop(seed=5, orders=1500, now=clock.now(), arrivals_per_hour=900)
    server = await serve(
        create_app(
            shop,
            clock=clock,
            bucket=Bucket(maximum=20000, restore_rate=1000),
            shopify_cost=CostModel.CURRENT,
        )
    )
    settings = {"url": server.url, "token": DEFAULT_TOKEN}
    config = Config(
        database=db,
        rules=ROOT / "rules.toml",
        sources=(Feed("shop", "shopify", timedelta(seconds=1), settings),),
        trackers=(Feed("17track", "17track", timedelta(seconds=1), settings),),
    )
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    running = asyncio.create_task(run_daemon(config, clock, None, started))
    try:
        daemon = await asyncio.wait_for(started, 30)
        before = _stamp(db)
        result = await run_agents(db, agents, seconds)
        after = _stamp(db)
        daemon.request_stop()
        await asyncio.wait_for(running, 60)
    finally:
        if not running.done():
            running.cancel()
        await server.stop()
    return Drill(result, before, after)


if __name__ == "__main__":
    db_path, span, seed_text, login = sys.argv[1:5]
    outcome = asyncio.run(_worker(Path(db_path), float(span), int(seed_text), login))
    print(json.dumps(outcome))
