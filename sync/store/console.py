"""Reads shaped for the agents' console.

The order list shows one line per order with its latest parcel and its most urgent open
escalation; fetching those per row would cost three queries a line, so :meth:`queue_lines` reads
a whole page of them in one statement, in the order the ids were given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.store.base import StoreBase
from sync.store.db import from_db, from_db_required


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


_QUEUE_LINES = """
SELECT o.id, o.number, o.created_at, o.customer_name, o.payment_status, o.fulfillment_status,
       o.lifecycle, o.change_seq,
       coalesce(nullif(s.carrier, ''), s.carrier_raw, '') AS carrier,
       coalesce(s.status, '') AS shipment_status,
       (SELECT count(*) FROM shipments c WHERE c.order_id = o.id) AS shipment_count,
       coalesce(e.state, '') AS escalation_state,
       coalesce(e.severity, '') AS escalation_severity,
       e.deadline_at AS escalation_deadline
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


class ConsoleStore(StoreBase):
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
            )
            for row in rows
        ]
