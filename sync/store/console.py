"""Reads shaped for the agents' console.

The order list shows one line per order with its latest parcel and its most urgent open
escalation; fetching those per row would cost three queries a line, so :meth:`queue_lines` reads
a whole page of them in one statement, in the order the ids were given.

The escalation lists (open, mine, snoozed), the status bar's health figures and the notices
addressed to an agent (the console's toasts) are read here too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sync.domain import EscalationRow
from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required, to_db
from sync.store.filters import OPEN_ESCALATION
from sync.store.rows import ESCALATION_COLUMNS, escalation_row
from sync.store.views import OrderQuery, where

RULES_VERSION_KEY = "rules.version"
RULES_ERROR_KEY = "rules.error"
"""The daemon's state keys for its rules (written by ``daemon.reload``; the store only reads)."""


class EscalationList(StrEnum):
    OPEN = "open"
    """Open and not snoozed: firing and warning first, then by deadline."""
    MINE = "mine"
    """Open and assigned to the agent, snoozed ones included."""
    SNOOZED = "snoozed"
    """Open and snoozed past now, the soonest to wake first."""


@dataclass(frozen=True, slots=True)
class ConsoleNotice:
    """A notification the daemon (or another agent's assignment) addressed to one agent."""

    id: int
    escalation_id: int | None
    order_id: int | None
    severity: str
    title: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SourceState:
    """A source as the status bar shows it: when it last synced, its last error, its breaker."""

    name: str
    kind: str
    last_success_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    breaker: str
    run_started_at: datetime | None = None
    """The run under way (a first sync, a reconciliation, a big import): its start, rows so far
    and, when the source says, its total; None once it finished."""
    run_rows: int = 0
    run_total: int | None = None


@dataclass(frozen=True, slots=True)
class DeskHealth:
    """What the console's status bar shows."""

    sources: tuple[SourceState, ...]
    rules_version: str
    rules_error: str
    firing: int
    warning: int
    quarantined: int = 0
    """Export rows set aside (the console's ``I`` lists them)."""


@dataclass(frozen=True, slots=True)
class QueueLine:
    """What the console's order list shows for one order."""

    id: int
    number: str
    created_at: datetime
    customer_name: str
    payment_status: str
    fulfillment_status: str
    lifecycle: str
    carrier: str
    """The latest parcel's carrier code (or the shop's spelling when unmapped); '' if none."""
    shipment_status: str
    """The latest parcel's status; '' when the order has no parcel yet."""
    shipment_count: int
    escalation_state: str
    """The most urgent open escalation's state (firing, warning, acknowledged) or ''."""
    escalation_severity: str
    escalation_deadline: datetime | None
    change_seq: int
    guarded: bool = False
    """An order guard's flag is up on it and no agent dismissed it."""


_QUEUE_LINES = """
SELECT o.id, o.number, o.created_at, o.customer_name, o.payment_status, o.fulfillment_status,
       o.lifecycle, o.change_seq,
       coalesce(nullif(s.carrier, ''), s.carrier_raw, '') AS carrier,
       coalesce(s.status, '') AS shipment_status,
       (SELECT count(*) FROM shipments c WHERE c.order_id = o.id) AS shipment_count,
       coalesce(e.state, '') AS escalation_state,
       coalesce(e.severity, '') AS escalation_severity,
       e.deadline_at AS escalation_deadline,
       EXISTS (SELECT 1 FROM guard_flags g WHERE g.order_id = o.id AND g.cleared_at IS NULL
               AND g.dismissed_at IS NULL) AS guarded
FROM json_each(?) AS wanted
JOIN orders o ON o.id = wanted.value
LEFT JOIN shipments s ON s.id = (SELECT max(id) FROM shipments WHERE order_id = o.id)
LEFT JOIN escalations e ON e.id = (
    SELECT id FROM escalations
    WHERE order_id = o.id AND state IN ('firing', 'warning', 'acknowledged')
    ORDER BY CASE state WHEN 'firing' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, deadline_at, id
    LIMIT 1)
ORDER BY wanted.key
"""


_URGENCY = "CASE e.state WHEN 'firing' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END"

_LISTS: dict[EscalationList, tuple[str, str]] = {
    EscalationList.OPEN: (
        "(e.snoozed_until IS NULL OR e.snoozed_until <= ?)",
        f"{_URGENCY}, e.deadline_at, e.id",
    ),
    EscalationList.MINE: ("e.assignee = ?", f"{_URGENCY}, e.deadline_at, e.id"),
    EscalationList.SNOOZED: ("e.snoozed_until > ?", "e.snoozed_until, e.id"),
}


class ConsoleStore(StoreBase):
    async def escalation_list(
        self,
        which: EscalationList,
        *,
        agent: str,
        now: datetime,
        query: OrderQuery | None = None,
        limit: int = 5000,
    ) -> list[EscalationRow]:
        """One of the console's escalation lists, narrowed to the orders ``query`` matches.

        Escalations about a feed have no order: free text alone also finds them by the feed's
        name; a filter on order fields leaves them out."""
        condition, order = _LISTS[which]
        params: list[object] = [agent if which is EscalationList.MINE else to_db(now)]
        narrowing = ""
        if query is not None and (query.text or query.filters):
            order_condition, order_params = where(query)
            feeds = " OR instr(lower(e.source), ?) > 0" if not query.filters else ""
            narrowing = (
                f"AND (e.order_id IN (SELECT o.id FROM orders o WHERE {order_condition}){feeds})"
            )
            params += order_params
            if feeds:
                params.append(query.text.strip().lower())
        params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e "
            f"LEFT JOIN orders o ON o.id = e.order_id "
            f"WHERE e.state IN {OPEN_ESCALATION!r} AND {condition} {narrowing} "
            f"ORDER BY {order} LIMIT ?",
            params,
        )
        return [escalation_row(row) for row in rows]

    async def open_escalations_of(self, order_ids: Sequence[int]) -> dict[int, list[EscalationRow]]:
        """The open escalations of these orders, most urgent first, by order id."""
        rows = await self.db.fetchall(
            f"SELECT {ESCALATION_COLUMNS} FROM escalations e JOIN orders o ON o.id = e.order_id "
            f"WHERE e.order_id IN (SELECT value FROM json_each(?)) "
            f"AND e.state IN {OPEN_ESCALATION!r} ORDER BY {_URGENCY}, e.deadline_at, e.id",
            (json.dumps(list(order_ids)),),
        )
        found: dict[int, list[EscalationRow]] = {}
        for row in rows:
            found.setdefault(row["order_id"], []).append(escalation_row(row))
        return found

    async def last_notice_id(self) -> int:
        return int(await self.db.scalar("SELECT coalesce(max(id), 0) FROM notices"))

    async def notices_since(
        self, agent: str, after_id: int, limit: int = 20
    ) -> list[ConsoleNotice]:
        """Notices for ``agent`` newer than ``after_id`` (the console's channel), oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, escalation_id, order_id, severity, title, body, created_at FROM notices "
            "WHERE agent = ? AND id > ? ORDER BY id LIMIT ?",
            (agent, after_id, limit),
        )
        return [
            ConsoleNotice(
                id=row["id"],
                escalation_id=row["escalation_id"],
                order_id=row["order_id"],
                severity=row["severity"],
                title=row["title"],
                body=row["body"],
                created_at=from_db_required(row["created_at"]),
            )
            for row in rows
        ]

    async def known_agents(self) -> list[str]:
        """Everyone escalations were assigned to or acknowledged by, for the assign picker."""
        return await self.db.column(
            "SELECT name FROM (SELECT assignee AS name FROM escalations UNION "
            "SELECT acked_by FROM escalations) WHERE name != '' ORDER BY name"
        )

    async def desk_health(self, now: datetime) -> DeskHealth:
        """Sources, rules and escalation counts for the status bar (snoozed ones not counted)."""
        sources = await self.db.fetchall(
            "SELECT name, kind, last_success_at, last_error, last_error_at, breaker_state, "
            "CASE WHEN run_finished_at IS NULL THEN run_started_at END AS running_since, "
            "run_rows, run_total FROM sources ORDER BY name"
        )
        state = await self.db.fetchall(
            "SELECT key, value FROM daemon_state WHERE key IN (?, ?)",
            (RULES_VERSION_KEY, RULES_ERROR_KEY),
        )
        counts = await self.db.fetchall(
            "SELECT state, count(*) AS n FROM escalations WHERE state IN ('firing', 'warning') "
            "AND (snoozed_until IS NULL OR snoozed_until <= ?) GROUP BY state",
            (to_db(now),),
        )
        values = {row["key"]: row["value"] for row in state}
        by_state = {row["state"]: int(row["n"]) for row in counts}
        quarantined = await self.db.scalar("SELECT count(*) FROM quarantine")
        return DeskHealth(
            sources=tuple(
                SourceState(
                    name=row["name"],
                    kind=row["kind"],
                    last_success_at=from_db(row["last_success_at"]),
                    last_error=row["last_error"],
                    last_error_at=from_db(row["last_error_at"]),
                    breaker=row["breaker_state"],
                    run_started_at=from_db(row["running_since"]),
                    run_rows=row["run_rows"],
                    run_total=row["run_total"],
                )
                for row in sources
            ),
            rules_version=values.get(RULES_VERSION_KEY, ""),
            rules_error=values.get(RULES_ERROR_KEY, ""),
            firing=by_state.get("firing", 0),
            warning=by_state.get("warning", 0),
            quarantined=int(quarantined),
        )

    async def queue_lines(self, order_ids: Sequence[int]) -> list[QueueLine]:
        """The list lines of these orders, in the order given (missing ids are skipped)."""
        if not order_ids:
            return []
        rows = await self.db.fetchall(_QUEUE_LINES, (json.dumps(list(order_ids)),))
        return [
            QueueLine(
                id=row["id"],
                number=row["number"],
                created_at=from_db_required(row["created_at"]),
                customer_name=row["customer_name"],
                payment_status=row["payment_status"],
                fulfillment_status=row["fulfillment_status"],
                lifecycle=row["lifecycle"],
                carrier=row["carrier"],
                shipment_status=row["shipment_status"],
                shipment_count=row["shipment_count"],
                escalation_state=row["escalation_state"],
                escalation_severity=row["escalation_severity"],
                escalation_deadline=from_db(row["escalation_deadline"]),
                change_seq=row["change_seq"],
                guarded=bool(row["guarded"]),
            )
            for row in rows
        ]
