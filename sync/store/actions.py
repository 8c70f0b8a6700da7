"""Agents' actions on escalations, from the console and from ``orderwatchd`` for scripts.

Every action is a compare-and-swap on the escalation's ``version``: the agent acts on the row as
they last read it, and if anyone (another agent, the daemon's ladder) changed it since, nothing
is written and :class:`~sync.errors.ConflictError` says who changed it and how. A write that
lost a race is never applied silently. Each action appends to the order's timeline with the
agent's login, in the same transaction; agents' processes open the store with ``durable=True``,
so what they were told is saved stays saved (``synchronous=FULL``).

An action that changes the ladder's footing (a take, an escalate-now, a reopen, the end of a
snooze) sets ``next_step_at`` so the daemon's ladder looks at the escalation at once.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from sync.clock import SystemClock
from sync.desk import (
    AGENTS_KEY,
    DEFAULT_MAX_SNOOZE,
    DELAY_REASONS_KEY,
    MAX_SNOOZE_KEY,
    REPLIES_KEY,
    DelayReason,
    DeskAgent,
    agents_from_json,
    reasons_from_json,
)
from sync.domain import EscalationRow, EscalationState
from sync.errors import ActionError
from sync.replies import ReplyBook, pick_language, render, situation, uses_link
from sync.store.base import StoreBase
from sync.store.db import Transaction, to_db
from sync.store.escalations import FIRST_ACK, explain_conflict
from sync.store.events import append_event
from sync.store.rows import (
    ESCALATION_COLUMNS,
    ORDER_COLUMNS,
    SHIPMENT_COLUMNS,
    escalation_row,
    order_row,
    shipment_row,
)
from sync.store.tracking_page import reply_link

OPEN = (EscalationState.WARNING, EscalationState.FIRING, EscalationState.ACKNOWLEDGED)
RESOLVED = (EscalationState.RESOLVED,)
UNACKED = "state IN ('firing', 'warning')"
MAX_NOTE = 4000


class ActionStore(StoreBase):
    async def take(
        self, escalation_id: int, version: int, agent: str, now: datetime
    ) -> EscalationRow:
        """Make ``agent`` the escalation's owner; a firing one is acknowledged by them too."""
        at = to_db(now)
        async with self.db.write() as tx:
            row = await _current(tx, escalation_id, version, OPEN)
            await _apply(
                tx,
                escalation_id,
                version,
                f"assignee = ?, acked_at = CASE WHEN {UNACKED} THEN ? ELSE acked_at END, "
                f"acked_by = CASE WHEN {UNACKED} THEN ? ELSE acked_by END, "
                f"{FIRST_ACK}, "
                f"state = CASE WHEN {UNACKED} THEN 'acknowledged' ELSE state END, "
                "snoozed_until = NULL, next_step_at = ?",
                (agent, at, agent, agent, at, at),
            )
            acked = row["state"] != EscalationState.ACKNOWLEDGED
            await _record(
                tx, row, escalation_id, agent, now, "taken", row["assignee"], agent,
                "taken and acknowledged" if acked else "taken over",
            )  # fmt: skip
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def assign(
        self, escalation_id: int, version: int, agent: str, to_agent: str, now: datetime
    ) -> EscalationRow:
        """Give the escalation to ``to_agent`` (an agent of ``rules.toml``), who gets a notice."""
        to_agent = to_agent.strip()
        if not to_agent:
            raise ActionError("say whom to assign the escalation to")
        async with self.db.write() as tx:
            known = agents_from_json(await _state(tx, AGENTS_KEY))
            if known and to_agent not in {a.login for a in known}:
                names = ", ".join(sorted(a.login for a in known))
                raise ActionError(f"{to_agent!r} is not an agent of rules.toml ({names})")
            row = await _current(tx, escalation_id, version, OPEN)
            if row["assignee"] == to_agent:
                raise ActionError(f"escalation {escalation_id} is already {to_agent}'s")
            await _apply(
                tx, escalation_id, version, "assignee = ?, next_step_at = ?", (to_agent, to_db(now))
            )
            await _record(
                tx, row, escalation_id, agent, now, "assigned", row["assignee"], to_agent, ""
            )
            await tx.execute(
                "INSERT INTO notices (agent, escalation_id, order_id, severity, title, body, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    to_agent,
                    escalation_id,
                    row["order_id"],
                    row["severity"],
                    f"{agent} assigned you escalation {escalation_id}",
                    row["summary"],
                    to_db(now),
                ),
            )
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def snooze(
        self, escalation_id: int, version: int, agent: str, until: datetime, now: datetime
    ) -> EscalationRow:
        """Hold the escalation's notifications and ladder until ``until`` (required, bounded by
        ``desk.max_snooze``); then its level is notified again if nobody acknowledged it."""
        if until <= now:
            raise ActionError("a snooze needs an end after now")
        async with self.db.write() as tx:
            limit = await _max_snooze(tx)
            if until - now > limit:
                raise ActionError(f"a snooze may last at most {_words(limit.total_seconds())}")
            row = await _current(tx, escalation_id, version, OPEN)
            await _apply(
                tx,
                escalation_id,
                version,
                "snoozed_until = ?, next_step_at = ?",
                (to_db(until), to_db(until)),
            )
            await _record(
                tx, row, escalation_id, agent, now, "snoozed", row["state"],
                f"snoozed until {to_db(until)}", "",
            )  # fmt: skip
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def resolve(
        self,
        escalation_id: int,
        version: int,
        agent: str,
        reason: str,
        note: str,
        now: datetime,
    ) -> EscalationRow:
        """Close the escalation, saying why it was late (a code of :meth:`delay_reasons`)."""
        note = note.strip()
        async with self.db.write() as tx:
            reasons = reasons_from_json(await _state(tx, DELAY_REASONS_KEY))
            chosen = _reason(reasons, reason)
            if chosen.needs_note and not note:
                raise ActionError(f"the reason {chosen.code!r} needs a note saying what happened")
            row = await _current(tx, escalation_id, version, OPEN)
            await _apply(
                tx,
                escalation_id,
                version,
                "state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ?, "
                "resolved_level = level, snoozed_until = NULL, next_step_at = NULL",
                (to_db(now), agent, chosen.code),
            )
            await _record(
                tx, row, escalation_id, agent, now, "resolved", row["state"], "resolved",
                chosen.label,
            )  # fmt: skip
            if note:
                await _note(tx, row["order_id"], escalation_id, row["rule_id"], agent, note, now)
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def reopen(
        self, escalation_id: int, version: int, agent: str, now: datetime
    ) -> EscalationRow:
        """Open a resolved escalation again: it fires and its ladder starts over at level 1."""
        at = to_db(now)
        async with self.db.write() as tx:
            row = await _current(tx, escalation_id, version, RESOLVED)
            await _apply(
                tx,
                escalation_id,
                version,
                "state = 'firing', resolved_at = NULL, resolved_by = '', resolution = '', "
                "resolved_level = NULL, acked_at = NULL, acked_by = '', snoozed_until = NULL, "
                "level = 1, repeat_no = 0, ladder_round = ladder_round + 1, "
                "level_started_at = NULL, next_step_at = ?",
                (at,),
            )
            await _record(
                tx, row, escalation_id, agent, now, "reopened", row["state"], "firing", ""
            )
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def escalate_now(
        self, escalation_id: int, version: int, agent: str, now: datetime
    ) -> EscalationRow:
        """Move the escalation to its next level at once (the last level is notified again);
        an acknowledgement or a snooze is withdrawn."""
        at = to_db(now)
        async with self.db.write() as tx:
            row = await _current(tx, escalation_id, version, OPEN)
            level = int(row["level"])
            top = int(row["levels"])
            target = level + 1 if top == 0 or level < top else level
            await _apply(
                tx,
                escalation_id,
                version,
                "state = 'firing', acked_at = NULL, acked_by = '', snoozed_until = NULL, "
                "level = ?, repeat_no = 0, ladder_round = ladder_round + 1, "
                "level_started_at = NULL, next_step_at = ?",
                (target, at),
            )
            await _record(
                tx, row, escalation_id, agent, now, "escalated", f"level {level}",
                f"level {target}", "escalated by hand",
            )  # fmt: skip
            fresh = await _fresh(tx, escalation_id)
        return fresh

    async def add_note(
        self,
        order_id: int | None,
        agent: str,
        text: str,
        now: datetime,
        escalation_id: int | None = None,
    ) -> None:
        """Add a note to the order's timeline (and to one of its escalations, when given); an
        escalation about a source (``order_id`` None) keeps the note on its own timeline."""
        text = text.strip()
        if not text:
            raise ActionError("a note needs some text")
        if len(text) > MAX_NOTE:
            raise ActionError(f"a note may be at most {MAX_NOTE} characters")
        if order_id is None and escalation_id is None:
            raise ActionError("a note goes on an order or an escalation")
        async with self.db.write() as tx:
            if (
                order_id is not None
                and await tx.fetchone("SELECT 1 FROM orders WHERE id = ?", (order_id,)) is None
            ):
                raise ActionError(f"order {order_id} does not exist")
            rule_id = ""
            if escalation_id is not None:
                found = await tx.fetchone(
                    "SELECT order_id, rule_id, source FROM escalations WHERE id = ?",
                    (escalation_id,),
                )
                if found is None or found["order_id"] != order_id:
                    about = f"order {order_id}" if order_id is not None else "a feed"
                    raise ActionError(f"escalation {escalation_id} is not about {about}")
                rule_id = found["rule_id"]
            await _note(tx, order_id, escalation_id, rule_id, agent, text, now)

    # ----- what the console offers -----

    async def delay_reasons(self) -> list[tuple[str, str]]:
        """(code, label) of every delay reason an agent may resolve with, in the shop's order."""
        return [(r.code, r.label) for r in await self.delay_reason_list()]

    async def delay_reason_list(self) -> tuple[DelayReason, ...]:
        """The delay reasons with whether each needs a note."""
        text = await self.db.scalar(
            "SELECT value FROM daemon_state WHERE key = ?", (DELAY_REASONS_KEY,)
        )
        return reasons_from_json(str(text or ""))

    async def desk_agents(self) -> tuple[DeskAgent, ...]:
        """The agents of ``rules.toml`` (to assign to); empty before the daemon ran."""
        text = await self.db.scalar("SELECT value FROM daemon_state WHERE key = ?", (AGENTS_KEY,))
        return agents_from_json(str(text or ""))

    async def reply_template(
        self, order_id: int, language: str, now: datetime | None = None
    ) -> str | None:
        """The reply to the customer that fits the order's situation now, in ``language``
        (``zh``, ``en`` or another the shop wrote), filled in; None when no situation applies,
        the language has no templates, or the order does not exist."""
        at = now or SystemClock().now()
        order = await self.db.fetchone(
            f"SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?", (order_id,)
        )
        if order is None:
            return None
        parcel = await self.db.fetchone(
            f"SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id = ? ORDER BY id DESC LIMIT 1",
            (order_id,),
        )
        text = await self.db.scalar("SELECT value FROM daemon_state WHERE key = ?", (REPLIES_KEY,))
        book = ReplyBook.from_json(str(text or ""))
        lang = pick_language(book, language)
        if lang is None:
            return None
        found_order = order_row(order)
        found_parcel = shipment_row(parcel) if parcel is not None else None
        case = situation(found_order, found_parcel, at, book)
        template = book.templates[lang].get(case) if case is not None else None
        if template is None:
            return None
        link = await reply_link(self.db, order_id, at) if uses_link(template) else ""
        return render(template, found_order, found_parcel, at, book, link)


async def _current(
    tx: Transaction, escalation_id: int, version: int, allowed: tuple[str, ...]
) -> sqlite3.Row:
    """The escalation as it is, if it is still at ``version`` and in an ``allowed`` state."""
    row = await tx.fetchone(
        "SELECT state, version, order_id, rule_id, assignee, level, severity, summary, "
        "CASE WHEN policy_snapshot = '' THEN 0 "
        "ELSE coalesce(json_array_length(policy_snapshot, '$.levels'), 0) END AS levels "
        "FROM escalations WHERE id = ?",
        (escalation_id,),
    )
    if row is None or row["version"] != version or row["state"] not in allowed:
        await explain_conflict(tx, escalation_id, version)
    assert row is not None
    return row


async def _apply(
    tx: Transaction, escalation_id: int, version: int, sets: str, params: tuple[object, ...]
) -> None:
    cursor = await tx.execute(
        f"UPDATE escalations SET {sets}, version = version + 1, change_seq = ? "
        "WHERE id = ? AND version = ?",
        (*params, tx.seq, escalation_id, version),
    )
    if cursor.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE; guard all the same
        await explain_conflict(tx, escalation_id, version)


async def _record(
    tx: Transaction,
    row: sqlite3.Row,
    escalation_id: int,
    agent: str,
    now: datetime,
    kind: str,
    before: str,
    after: str,
    detail: str,
) -> None:
    await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, row["order_id"]))
    await append_event(
        tx,
        at=now,
        actor=agent,
        order_id=row["order_id"],
        subject_kind="escalation",
        subject_id=escalation_id,
        kind=kind,
        field=row["rule_id"],
        from_value=before,
        to_value=after,
        detail=detail,
    )


async def _note(
    tx: Transaction,
    order_id: int | None,
    escalation_id: int | None,
    rule_id: str,
    agent: str,
    text: str,
    now: datetime,
) -> None:
    if order_id is not None:
        await tx.execute("UPDATE orders SET change_seq = ? WHERE id = ?", (tx.seq, order_id))
    if escalation_id is not None:
        await tx.execute(
            "UPDATE escalations SET change_seq = ? WHERE id = ?", (tx.seq, escalation_id)
        )
    await append_event(
        tx,
        at=now,
        actor=agent,
        order_id=order_id,
        subject_kind="escalation" if escalation_id is not None else "order",
        subject_id=escalation_id if escalation_id is not None else order_id,
        kind="note",
        field=rule_id,
        detail=text,
    )


async def _state(tx: Transaction, key: str) -> str:
    row = await tx.fetchone("SELECT value FROM daemon_state WHERE key = ?", (key,))
    return "" if row is None else str(row["value"])


async def _max_snooze(tx: Transaction) -> timedelta:
    text = await _state(tx, MAX_SNOOZE_KEY)
    try:
        return timedelta(seconds=int(text)) if text else DEFAULT_MAX_SNOOZE
    except ValueError:
        return DEFAULT_MAX_SNOOZE


def _reason(reasons: tuple[DelayReason, ...], code: str) -> DelayReason:
    for reason in reasons:
        if reason.code == code:
            return reason
    known = ", ".join(r.code for r in reasons)
    raise ActionError(f"unknown delay reason {code!r} (reasons: {known})")


def _words(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m" if rest else f"{hours}h"


async def _fresh(tx: Transaction, escalation_id: int) -> EscalationRow:
    """The escalation as this transaction leaves it (not as a later writer may)."""
    row = await tx.fetchone(
        f"SELECT {ESCALATION_COLUMNS} FROM escalations e "
        "LEFT JOIN orders o ON o.id = e.order_id WHERE e.id = ?",
        (escalation_id,),
    )
    if row is None:
        raise ActionError(f"escalation {escalation_id} does not exist")
    return escalation_row(row)
