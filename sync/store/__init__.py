"""The SQLite store: every SQL statement of orderwatch lives in this package.

:class:`Store` is the one object callers use; it is assembled from one mixin per area (orders,
tracking, escalations, views, state, console) over a single :class:`~sync.store.db.Database`.
"""

from __future__ import annotations

from pathlib import Path

from sync.store.actions import ActionStore
from sync.store.console import ConsoleStore, QueueLine
from sync.store.db import Database
from sync.store.escalations import EscalationStore
from sync.store.feeds import FeedStore
from sync.store.following import BudgetUse, FollowingStore, RefreshRequest, RefreshState
from sync.store.guard_facts import GuardFactStore
from sync.store.guards import GuardFlag, GuardStore
from sync.store.imports import BatchSaved, ImportFile, ImportStore
from sync.store.inbox import InboxStore
from sync.store.ladder import LadderEvent, LadderRow, LadderStep, LadderStore, Outgoing
from sync.store.lookups import LookupKind, LookupStore
from sync.store.orders import OrderStore
from sync.store.outbox import NewNotice, NoticeRow, OutboxReport, OutboxRow, OutboxStore
from sync.store.page_limits import PageLimitStore
from sync.store.parcels import DueQuery, ParcelStore
from sync.store.planning import PlanningStore
from sync.store.quarantine import QuarantineStore
from sync.store.reports import ReportStore
from sync.store.routes import RouteFigure, RouteStore, TransitTime
from sync.store.scenarios import Notice, ScenarioStore
from sync.store.shop_pushes import Pushable, PushRow, Queued, QueuedPush, ShopPushStore
from sync.store.signals import OrderFlag, ResponseSample, SignalStore
from sync.store.source_timers import FeedMove
from sync.store.state import StateStore
from sync.store.timers import SourceHealth, SourceTimer, TimerDecision, TimerStore
from sync.store.tracking import TrackingStore
from sync.store.tracking_page import TrackingPageStore
from sync.store.upkeep import EscalationCount, Pruned, UpkeepStore
from sync.store.views import OrderQuery, View, ViewStore

__all__ = [
    "BatchSaved",
    "BudgetUse",
    "DueQuery",
    "EscalationCount",
    "FeedMove",
    "GuardFlag",
    "ImportFile",
    "LadderEvent",
    "LadderRow",
    "LadderStep",
    "LookupKind",
    "NewNotice",
    "Notice",
    "NoticeRow",
    "OrderFlag",
    "OrderQuery",
    "OutboxReport",
    "OutboxRow",
    "Outgoing",
    "Pruned",
    "PushRow",
    "Pushable",
    "QueueLine",
    "Queued",
    "QueuedPush",
    "RefreshRequest",
    "RefreshState",
    "ResponseSample",
    "RouteFigure",
    "SourceHealth",
    "SourceTimer",
    "Store",
    "TimerDecision",
    "TransitTime",
    "View",
]


class Store(
    OrderStore,
    TrackingStore,
    ParcelStore,
    FollowingStore,
    EscalationStore,
    TimerStore,
    ScenarioStore,
    ViewStore,
    StateStore,
    ConsoleStore,
    ImportStore,
    QuarantineStore,
    FeedStore,
    InboxStore,
    TrackingPageStore,
    PageLimitStore,
    UpkeepStore,
    ActionStore,
    LadderStore,
    OutboxStore,
    ShopPushStore,
    SignalStore,
    ReportStore,
    GuardStore,
    RouteStore,
    GuardFactStore,
    LookupStore,
    PlanningStore,
):
    @classmethod
    async def open(cls, path: Path | str, *, durable: bool = False) -> Store:
        """Open (creating and migrating as needed) the database at ``path``.

        ``durable`` is for agents' processes: their writes are fsynced (``synchronous=FULL``).
        """
        return cls(await Database.open(path, durable=durable))

    async def close(self) -> None:
        await self.db.close()
