"""A running set of channel receivers, the rules that point at them, and an escalation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from daemon.outbox.message import Message, Recipient
from daemon.outbox.worker import OutboxWorker
from daemon.rules.loader import parse_rules
from daemon.rules.workflow import Workflow
from daemon.simulator.server import RunningServer, serve
from sync.clock import VirtualClock
from sync.domain import EscalationRow, TimerState
from sync.store import Outgoing, Store, TimerDecision
from tests.conftest import T0, OrderFactory
from tests.daemon.outbox.receivers import (
    DINGTALK_SECRET,
    DINGTALK_TOKEN,
    HOOK_SECRET,
    WECOM_KEY,
    Received,
    SmtpReceiver,
    dingtalk_app,
    slack_app,
    webhook_app,
    wecom_app,
)

NOW = T0 + timedelta(hours=5)
HTTP_KINDS = ("webhook", "wecom", "dingtalk", "slack")
KINDS = (*HTTP_KINDS, "email")


@dataclass
class Receivers:
    seen: dict[str, Received]
    servers: dict[str, RunningServer]
    smtp: SmtpReceiver

    def count(self, kind: str) -> int:
        return len(self.smtp.mails) if kind == "email" else len(self.seen[kind].bodies)

    def keys(self, kind: str) -> list[str]:
        """The idempotency key of every delivery, as the receiver saw it."""
        if kind == "email":
            return [_message_id(mail.data) for mail in self.smtp.mails]
        return [headers["idempotency-key"] for headers in self.seen[kind].headers]

    def fail_next(self, kind: str, times: int) -> None:
        if kind == "email":
            self.smtp.fail_next = times
        else:
            self.seen[kind].fail_next = times

    @property
    def environ(self) -> dict[str, str]:
        url = {kind: server.url for kind, server in self.servers.items()}
        return {
            "HOOK_SECRET": HOOK_SECRET,
            "WECOM_URL": f"{url['wecom']}/cgi-bin/webhook/send?key={WECOM_KEY}",
            "DING_URL": f"{url['dingtalk']}/robot/send?access_token={DINGTALK_TOKEN}",
            "DING_SECRET": DINGTALK_SECRET,
            "SLACK_URL": f"{url['slack']}/services/T000/B000/XXXX",
        }

    def rules(self, retry: str = '{ every = "15m", attempts = 3 }', extra: str = "") -> str:
        return f"""\
timezone = "UTC"

[periods.night]
times = ["22:00-07:00"]

[channels.webhook]
type = "webhook"
url = "{self.servers["webhook"].url}/hook"
secret_env = "HOOK_SECRET"
retry = {retry}
{extra}
[channels.wecom]
type = "wecom"
url_env = "WECOM_URL"
retry = {retry}
{extra}
[channels.dingtalk]
type = "dingtalk"
url_env = "DING_URL"
secret_env = "DING_SECRET"
retry = {retry}
{extra}
[channels.slack]
type = "slack"
url_env = "SLACK_URL"
retry = {retry}
{extra}
[channels.email]
type = "smtp"
host = "127.0.0.1"
port = {self.smtp.port}
sender = "orderwatch@shop.example"
to = ["desk@shop.example"]
retry = {retry}
{extra}"""


def _message_id(data: str) -> str:
    for line in data.splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip().strip("<>").removesuffix("@orderwatch")
    return ""


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    seen = {kind: Received() for kind in HTTP_KINDS}
    apps = {
        "webhook": webhook_app(seen["webhook"]),
        "wecom": wecom_app(seen["wecom"]),
        "dingtalk": dingtalk_app(seen["dingtalk"]),
        "slack": slack_app(seen["slack"]),
    }
    started = await asyncio.gather(*(serve(app) for app in apps.values()))
    servers = dict(zip(apps, started, strict=True))
    smtp = SmtpReceiver()
    await smtp.start()
    yield Receivers(seen, servers, smtp)
    for kind in HTTP_KINDS:
        seen[kind].hold = None
    await asyncio.gather(*(server.stop() for server in servers.values()), smtp.stop())


@pytest.fixture
async def escalation(store: Store, make_order: OrderFactory) -> EscalationRow:
    (order_id,) = await store.save_order_page("shop", "shopify", [make_order(1)], "", T0)
    decision = TimerDecision(
        rule_id="paid_not_shipped",
        subject_kind="order",
        subject_id=order_id,
        order_id=order_id,
        state=TimerState.FIRING,
        started_at=T0,
        deadline_at=T0 + timedelta(hours=4),
        warn_at=None,
        next_at=None,
        rules_version="v1",
        severity="critical",
        summary="Order #1001 paid 5h ago, not shipped",
    )
    await store.save_timers([decision], T0 + timedelta(hours=4))
    (found,) = await store.escalations_for_order(order_id)
    return found


class Outbox:
    """A worker over the store, on a virtual clock, with the receivers' rules and secrets."""

    def __init__(
        self, store: Store, client: httpx.AsyncClient, receivers: Receivers, text: str
    ) -> None:
        self.store = store
        self.clock = VirtualClock(NOW)
        rules = parse_rules(text)
        self.workflow: Workflow = rules.workflow or Workflow()
        self.worker = OutboxWorker(
            store, self.clock, client, lambda: self.workflow, receivers.environ
        )

    async def at(self, instant: datetime) -> int:
        self.clock.set(instant)
        return await self.worker.deliver_due()


async def queue(
    store: Store,
    escalation: EscalationRow,
    channel: str,
    severity: str = "warning",
    repeat: int = 0,
) -> str:
    """Queue the message the ladder would for level 1 of ``escalation`` on ``channel``."""
    key = f"escalation-{escalation.id}-round-1-level-1-repeat-{repeat}-{channel}"
    message = Message(
        key=key,
        kind="escalation",
        severity=severity,
        title=f"[{severity}] Order #1001: Paid but not shipped",
        lines=("Order #1001 paid 5h ago, not shipped", "Order #1001 · level 1 of 2 (desk)"),
        recipients=(Recipient("anna", "Anna Schmidt", "anna@shop.example", "+8613800000001"),),
        escalation={"id": escalation.id, "order_number": "#1001", "level": 1},
    )
    outgoing = Outgoing(
        channel=channel,
        key=key,
        payload=message.to_json(),
        due_at=NOW,
        escalation_id=escalation.id,
        order_id=escalation.order_id,
        level=1,
        severity=severity,
    )
    await store.save_ladder([], NOW, [outgoing])
    return key


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened
