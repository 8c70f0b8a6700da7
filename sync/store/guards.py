"""Guard flags: the checks of :mod:`sync.guards` that hold on an order, as agents see them.

A flag is raised when its check starts to hold and cleared (``cleared_at``) when it stops; the
detail follows the latest run. An agent may dismiss a flag (a merge suggestion the customer
wants shipped apart): it then stays quiet until its check stops holding. Every raise, clear and
dismissal is a line on the order's timeline. Checks that wait N hours leave a recheck time in
``guard_rechecks``; the daemon looks at those orders again when it comes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.guards import CUSTOMER_CHECKS, Finding, Outcome
from sync.store.base import StoreBase
from sync.store.db import Transaction, from_db, from_db_required, to_db
from sync.store.events import EVENT_INSERT, append_event, event_values

_IN = "(SELECT value FROM json_each(?))"


@dataclass(frozen=True, slots=True)
class GuardFlag:
    id: int
    order_id: int
    check: str
    detail: str
    since: datetime
    dismissed_by: str
    dismissed_at: datetime | None
    cleared_at: datetime | None

    @property
    def active(self) -> bool:
        """Up and not dismissed: what rules and the order list count."""
        return self.cleared_at is None and self.dismissed_at is None


class GuardStore(StoreBase):
    async def save_guard_outcome(
        self,
        checked: Sequence[int],
        keys: Mapping[int, Sequence[str]],
        outcome: Outcome,
        now: datetime,
        customer_only: Collection[int] = frozenset(),
        read_at: int | None = None,
    ) -> tuple[list[int], int]:
        """Store one run of the checks over ``checked`` (with the new customer keys of the
        orders in ``keys``), in one transaction. Of the orders in ``customer_only`` only the
        checks across a customer's orders were run.

        Returns the orders whose flags moved and this write's change stamp, which those orders
        carry unless they changed after ``read_at`` (the stamp their facts were read at): an
        order stamped with it needs no new run of its checks."""
        if not checked:
            return [], 0
        ids = json.dumps(list(checked))
        whole = json.dumps([order_id for order_id in checked if order_id not in customer_only])
        async with self.db.write() as tx:
            await _save_keys(tx, keys)
            open_rows = await tx.fetchall(
                "SELECT id, order_id, check_name, detail FROM guard_flags "
                f"WHERE order_id IN {_IN} AND cleared_at IS NULL",
                (ids,),
            )
            stored = {
                (row["order_id"], row["check_name"]): row
                for row in open_rows
                if row["order_id"] not in customer_only or row["check_name"] in CUSTOMER_CHECKS
            }
            moved = await _apply(tx, checked, stored, outcome.findings, now)
            await tx.execute(f"DELETE FROM guard_rechecks WHERE order_id IN {_IN}", (whole,))
            await tx.executemany(
                "INSERT INTO guard_rechecks (order_id, due_at) VALUES (?, ?)",
                [(order_id, _second_after(at)) for order_id, at in outcome.recheck.items()],
            )
            if moved:
                await tx.execute(
                    f"UPDATE orders SET change_seq = ? WHERE id IN {_IN} AND change_seq <= ?",
                    (tx.seq, json.dumps(sorted(moved)), tx.seq if read_at is None else read_at),
                )
        return sorted(moved), tx.seq

    async def due_guard_orders(self, now: datetime, limit: int = 2000) -> list[int]:
        """Orders whose waiting checks are due to be looked at again."""
        return [
            int(value)
            for value in await self.db.column(
                "SELECT order_id FROM guard_rechecks WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                (to_db(now), limit),
            )
        ]

    async def next_guard_recheck(self) -> datetime | None:
        return from_db(await self.db.scalar("SELECT min(due_at) FROM guard_rechecks"))

    async def guard_flags(self, order_id: int, *, cleared: bool = False) -> list[GuardFlag]:
        """The order's flags that are up (dismissed ones included), or all with ``cleared``."""
        rows = await self.db.fetchall(
            "SELECT * FROM guard_flags WHERE order_id = ? "
            + ("" if cleared else "AND cleared_at IS NULL ")
            + "ORDER BY id",
            (order_id,),
        )
        return [
            GuardFlag(
                id=row["id"],
                order_id=row["order_id"],
                check=row["check_name"],
                detail=row["detail"],
                since=from_db_required(row["since"]),
                dismissed_by=row["dismissed_by"],
                dismissed_at=from_db(row["dismissed_at"]),
                cleared_at=from_db(row["cleared_at"]),
            )
            for row in rows
        ]

    async def active_guards(
        self, order_ids: Sequence[int], between: tuple[int, int] | None = None
    ) -> dict[int, frozenset[str]]:
        """The checks up and not dismissed on each of these orders (orders with none left out).
        ``between`` is a span of ids they lie in: the flags up there are read as a range (few
        orders have any), and those of other orders left out."""
        if not order_ids:
            return {}
        params: tuple[object, ...] = between or (json.dumps(list(order_ids)),)
        where = f"order_id IN {_IN}" if between is None else "order_id BETWEEN ? AND ?"
        rows = await self.db.tuples(
            f"SELECT order_id, check_name FROM guard_flags WHERE {where} "
            "AND cleared_at IS NULL AND dismissed_at IS NULL",
            params,
        )
        wanted = None if between is None else set(order_ids)
        found: dict[int, set[str]] = {}
        for order_id, check in rows:
            if wanted is None or order_id in wanted:
                found.setdefault(int(order_id), set()).add(str(check))
        return {order_id: frozenset(checks) for order_id, checks in found.items()}

    async def dismiss_guard(self, order_id: int, check: str, agent: str, now: datetime) -> bool:
        """An agent silences a flag that is up; False when there is none to dismiss."""
        async with self.db.write() as tx:
            cursor = await tx.execute(
                "UPDATE guard_flags SET dismissed_by = ?, dismissed_at = ? WHERE order_id = ? "
                "AND check_name = ? AND cleared_at IS NULL AND dismissed_at IS NULL",
                (agent, to_db(now), order_id, check),
            )
            if cursor.rowcount != 1:
                return False
            await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
            await append_event(
                tx,
                at=now,
                actor=agent,
                order_id=order_id,
                subject_kind="order",
                subject_id=order_id,
                kind="guard",
                field=check,
                from_value="raised",
                to_value="dismissed",
            )
            return True


async def _save_keys(tx: Transaction, keys: Mapping[int, Sequence[str]]) -> None:
    if not keys:
        return
    await tx.execute(
        f"DELETE FROM customer_keys WHERE order_id IN {_IN}", (json.dumps(list(keys)),)
    )
    await tx.executemany(
        "INSERT OR IGNORE INTO customer_keys (key, order_id) VALUES (?, ?)",
        [(key, order_id) for order_id, found in keys.items() for key in found],
    )


async def _apply(
    tx: Transaction,
    checked: Sequence[int],
    stored: Mapping[tuple[int, str], sqlite3.Row],
    findings: Mapping[int, Sequence[Finding]],
    now: datetime,
) -> set[int]:
    raised: list[tuple[object, ...]] = []
    details: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    moved: set[int] = set()
    holding: set[tuple[int, str]] = set()
    for order_id in checked:
        for finding in findings.get(order_id, ()):
            key = (order_id, str(finding.check))
            holding.add(key)
            row = stored.get(key)
            if row is None:
                raised.append((order_id, key[1], finding.detail, to_db(finding.since)))
                events.append(_event(now, order_id, key[1], "", "raised", finding.detail))
                moved.add(order_id)
            elif row["detail"] != finding.detail:
                details.append((finding.detail, row["id"]))
    gone = [(key, row) for key, row in stored.items() if key not in holding]
    for (order_id, check), _ in gone:
        events.append(_event(now, order_id, check, "raised", "cleared", ""))
        moved.add(order_id)
    await tx.executemany(
        "UPDATE guard_flags SET cleared_at = ? WHERE id = ?",
        [(to_db(now), row["id"]) for _, row in gone],
    )
    await tx.executemany("UPDATE guard_flags SET detail = ? WHERE id = ?", details)
    await tx.executemany(
        "INSERT INTO guard_flags (order_id, check_name, detail, since) VALUES (?, ?, ?, ?)",
        raised,
    )
    await tx.executemany(EVENT_INSERT, events)
    return moved


def _event(
    now: datetime, order_id: int, check: str, before: str, after: str, detail: str
) -> tuple[object, ...]:
    return event_values(
        at=now,
        actor="daemon",
        order_id=order_id,
        subject_kind="order",
        subject_id=order_id,
        kind="guard",
        field=check,
        from_value=before,
        to_value=after,
        detail=detail,
    )


def _second_after(at: datetime) -> str | None:
    """``at`` as stored, rounded up to the second: a recheck is never due before its time."""
    if at.microsecond:
        at += timedelta(microseconds=1_000_000 - at.microsecond)
    return to_db(at)
