"""The outbox against local receivers speaking each channel's format (and a local SMTP server):
sent once on success, retried on the schedule after a refusal, given up and shown after the
last attempt, held through quiet hours."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.domain import EscalationRow
from sync.store import Store
from tests.daemon.outbox.conftest import KINDS, NOW, Outbox, Receivers, queue

FIXTURES = Path(__file__).parents[2] / "sync" / "fixtures"


@pytest.mark.parametrize("kind", KINDS)
async def test_a_message_is_delivered_once(
    kind: str,
    store: Store,
    client: httpx.AsyncClient,
    receivers: Receivers,
    escalation: EscalationRow,
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    key = await queue(store, escalation, kind)
    assert await outbox.at(NOW) == 1
    assert await outbox.at(NOW + timedelta(hours=2)) == 0
    assert receivers.count(kind) == 1
    assert receivers.keys(kind) == [key]
    (row,) = await store.outbox_rows(escalation.id)
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, NOW)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_refused_message_is_retried_on_the_schedule(
    kind: str,
    store: Store,
    client: httpx.AsyncClient,
    receivers: Receivers,
    escalation: EscalationRow,
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    key = await queue(store, escalation, kind)
    receivers.fail_next(kind, 1)
    await outbox.at(NOW)
    (row,) = await store.outbox_rows(escalation.id)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        NOW + timedelta(minutes=15),
    )
    assert row.last_error
    assert await outbox.at(NOW + timedelta(minutes=14)) == 0
    await outbox.at(NOW + timedelta(minutes=15))
    (row,) = await store.outbox_rows(escalation.id)
    assert (row.state, row.attempts) == ("sent", 2)
    refused_before_the_body = kind == "email"  # the server said 451 to MAIL FROM
    assert receivers.keys(kind) == [key] * (1 if refused_before_the_body else 2)


async def test_after_the_last_attempt_the_failure_shows_on_the_escalation(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules('{ every = "1m", attempts = 2 }'))
    await queue(store, escalation, "wecom")
    receivers.fail_next("wecom", 5)
    await outbox.at(NOW)
    await outbox.at(NOW + timedelta(minutes=1))
    assert await outbox.at(NOW + timedelta(hours=1)) == 0
    (row,) = await store.outbox_rows(escalation.id)
    assert row.state == "failed"
    found = await store.escalation(escalation.id)
    assert found is not None
    assert found.delivery_error == (
        "wecom: the robot refused it: errcode 45009 api freq out of limit "
        "(gave up after 2 attempts)"
    )
    failures = [e for e in await store.events(escalation.order_id) if e.kind == "delivery_failed"]
    assert [e.field for e in failures] == ["wecom"]
    assert receivers.count("wecom") == 2


async def test_quiet_hours_hold_a_message_until_they_end(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    quiet = 'quiet = { during = ["night"], except_severity = ["critical"] }\n'
    outbox = Outbox(store, client, receivers, receivers.rules(extra=quiet))
    night = NOW.replace(hour=23)
    await queue(store, escalation, "slack")
    await outbox.at(night)
    assert receivers.count("slack") == 0
    (row,) = await store.outbox_rows(escalation.id)
    assert (row.state, row.attempts, row.next_attempt_at) == (
        "pending",
        0,
        night.replace(hour=7) + timedelta(days=1),
    )


async def test_a_critical_message_rings_through_quiet_hours(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    quiet = 'quiet = { during = ["night"], except_severity = ["critical"] }\n'
    outbox = Outbox(store, client, receivers, receivers.rules(extra=quiet))
    await queue(store, escalation, "slack", severity="critical")
    await outbox.at(NOW.replace(hour=23))
    assert receivers.count("slack") == 1


async def test_a_missing_secret_is_a_readable_delivery_error(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    outbox.worker.environ = {}
    await queue(store, escalation, "dingtalk")
    await outbox.at(NOW)
    (row,) = await store.outbox_rows(escalation.id)
    assert row.last_error == "the environment variable DING_URL is not set"


async def test_a_wrong_dingtalk_secret_is_refused_by_the_robot(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    outbox.worker.environ = {**receivers.environ, "DING_SECRET": "SECwrong"}
    await queue(store, escalation, "dingtalk")
    await outbox.at(NOW)
    (row,) = await store.outbox_rows(escalation.id)
    assert row.last_error == "the robot refused it: errcode 310000 sign not match"
    assert receivers.count("dingtalk") == 0


async def test_the_console_channel_leaves_a_notice_for_each_agent_reached(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    await queue(store, escalation, "console")
    await outbox.at(NOW)
    await outbox.at(NOW)
    (notice,) = await store.agent_notices("anna")
    assert notice.title == "[warning] Order #1001: Paid but not shipped"
    assert (notice.escalation_id, notice.order_id) == (escalation.id, escalation.order_id)
    assert await store.unread_notice_count("anna") == 1


async def test_what_waited_while_the_daemon_was_down_goes_out_as_one_digest(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    keys = [await queue(store, escalation, "slack", repeat=n) for n in range(3)]
    await queue(store, escalation, "wecom")
    outbox.clock.set(NOW + timedelta(hours=3))
    await outbox.worker.recover()
    await outbox.at(NOW + timedelta(hours=3))
    (digest,) = receivers.seen["slack"].bodies
    assert digest["text"].startswith("*3 notifications waited while orderwatch was not running*")
    assert receivers.count("wecom") == 1  # alone in its channel: sent as it is
    states = {row.key: row.state for row in await store.outbox_rows()}
    assert [states[key] for key in keys] == ["coalesced"] * 3


def _shape(value: Any) -> Any:
    """The structure of a JSON value: keys and types, not contents."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


@pytest.mark.parametrize(
    ("kind", "fixture", "optional"),
    [
        ("wecom", "wecom_robot_text.json", {"mentioned_list"}),
        ("dingtalk", "dingtalk_robot_text.json", {"atUserIds"}),
        ("slack", "slack_incoming_webhook.json", set()),
    ],
)
async def test_each_robot_gets_the_documented_message_shape(
    kind: str,
    fixture: str,
    optional: set[str],
    store: Store,
    client: httpx.AsyncClient,
    receivers: Receivers,
    escalation: EscalationRow,
) -> None:
    outbox = Outbox(store, client, receivers, receivers.rules())
    await queue(store, escalation, kind)
    await outbox.at(NOW)
    (sent,) = receivers.seen[kind].bodies
    documented = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    ours, theirs = json.dumps(_shape(sent)), _shape(documented)
    for section in theirs.values():
        if isinstance(section, dict):
            for key in optional:
                section.pop(key, None)
    assert json.loads(ours) == theirs


async def test_a_wecom_text_is_cut_to_the_robots_limit(
    store: Store, client: httpx.AsyncClient, receivers: Receivers, escalation: EscalationRow
) -> None:
    from daemon.outbox.message import Message
    from daemon.outbox.senders import WECOM_LIMIT, _request

    outbox = Outbox(store, client, receivers, receivers.rules())
    message = Message("k", "escalation", "warning", "订单" * 2000)
    body, _ = _request(outbox.workflow.channels["wecom"], message, {})
    assert len(json.loads(body)["text"]["content"].encode()) <= WECOM_LIMIT
