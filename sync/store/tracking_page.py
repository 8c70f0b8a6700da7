"""The customer tracking page: what it shows, and its access audit.

Every view and every refused attempt is a row of ``page_access`` (time, link id, address, user
agent, outcome). Views, previews and refusals that name a real order also reach the order's
timeline, where the console shows them: at most one event per link, outcome and hour, carrying
the count so far ("customer viewed tracking page 3×"), so a customer refreshing the page does not
flood it. A chat app fetching the link to draw its preview card is a preview, counted apart
("tracking link previewed by chat app 1×"), never as the customer's view.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sync.domain import CheckpointRow, OrderRow, ShipmentRow, SubjectKind
from sync.errors import ConfigError
from sync.link_key import key_file, load_key
from sync.links import DEFAULT_TTL, issue, page_url
from sync.store.base import StoreBase
from sync.store.db import Database, Transaction, from_db, from_db_required
from sync.store.events import append_event, at_text
from sync.store.page_limits import SavedLimits, save_limits
from sync.store.rows import (
    ORDER_COLUMNS,
    SHIPMENT_COLUMNS,
    checkpoint_row,
    order_row,
    shipment_row,
)

CUSTOMER = "customer"
"""The actor of the page's timeline events."""
COALESCE = timedelta(hours=1)
USER_AGENT_CHARS = 300


class PageOutcome(StrEnum):
    VIEWED = "viewed"
    PREVIEWED = "previewed"
    """A genuine link fetched by a chat app or SMS client to draw its preview card: kept in the
    audit, never counted as the customer's view."""
    EXPIRED = "expired"
    """A genuine link past its expiry."""
    INVALID = "invalid"
    """A malformed, tampered or foreign token."""
    UNKNOWN_ORDER = "unknown_order"
    """A genuine link to an order that is no longer in the mirror."""
    LOOKUP_FAILED = "lookup_failed"
    """The look-up form's order number and phone digits did not match."""
    RATE_LIMITED = "rate_limited"


class PageVia(StrEnum):
    LINK = "link"
    LOOKUP = "lookup"


# The timeline line of each outcome that names an order; the console words the kind
# ("customer_viewed_tracking_page" → "customer viewed tracking page") and adds to_value ("3×").
EVENT_KINDS: dict[PageOutcome, str] = {
    PageOutcome.VIEWED: "customer_viewed_tracking_page",
    PageOutcome.PREVIEWED: "tracking_link_previewed_by_chat_app",
    PageOutcome.EXPIRED: "customer_opened_expired_tracking_link",
    PageOutcome.LOOKUP_FAILED: "tracking_page_lookup_failed",
}
LINK_CREATED = "tracking_link_created"
PUBLIC_URL_STATE = "tracking_page.public_url"
KEY_ENV_STATE = "tracking_page.key_env"


@dataclass(frozen=True, slots=True)
class PageAccess:
    """One request to the page, as the audit records it."""

    at: datetime
    outcome: PageOutcome
    ip: str
    user_agent: str = ""
    token_id: str = ""
    order_id: int | None = None
    via: PageVia = PageVia.LINK


@dataclass(frozen=True, slots=True)
class PageAccessRow:
    id: int
    at: datetime
    token_id: str
    order_id: int | None
    outcome: str
    via: str
    ip: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class LinkViews:
    """How one link of an order has been used: views and refusals, first and last."""

    token_id: str
    views: int
    refused: int
    first_at: datetime
    last_at: datetime
    previews: int = 0
    """Fetches by chat apps drawing a preview card (not the customer's views)."""


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What the running daemon published about its links, for other processes (the console).

    ``key_env`` names the environment variable holding the link key; empty means the key file
    beside the database.
    """

    public_url: str
    key_env: str


@dataclass(frozen=True, slots=True)
class PageParcel:
    shipment: ShipmentRow
    checkpoints: tuple[CheckpointRow, ...]
    """Oldest first; zone-less scans last."""
    heard_at: datetime | None
    """When the courier's data was last fetched or pushed."""


@dataclass(frozen=True, slots=True)
class TrackingPage:
    order: OrderRow
    parcels: tuple[PageParcel, ...]
    synced_at: datetime | None
    """The order source's last successful sync."""


class TrackingPageStore(StoreBase):
    async def tracking_page(self, order_id: int) -> TrackingPage | None:
        """Everything the page shows about ``order_id``, or None when there is no such order."""
        found = await self.db.fetchall(
            f"SELECT {ORDER_COLUMNS}, (SELECT last_success_at FROM sources "
            "WHERE name = orders.source) AS synced_at FROM orders WHERE id = ?",
            (order_id,),
        )
        if not found:
            return None
        (row,) = found
        shipments = await self.db.fetchall(
            f"SELECT {SHIPMENT_COLUMNS}, max(coalesce(polled_at, ''), coalesce(pushed_at, '')) "
            "AS heard_at FROM shipments WHERE order_id = ? AND status != 'cancelled' ORDER BY id",
            (order_id,),
        )
        checkpoints = await self.db.fetchall(
            "SELECT * FROM checkpoints WHERE shipment_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY at IS NULL, at, id",
            (json.dumps([s["id"] for s in shipments]),),
        )
        scans: dict[int, list[CheckpointRow]] = {}
        for scan in checkpoints:
            scans.setdefault(int(scan["shipment_id"]), []).append(checkpoint_row(scan))
        parcels = tuple(
            PageParcel(
                shipment=shipment_row(s),
                checkpoints=tuple(scans.get(int(s["id"]), ())),
                heard_at=from_db(s["heard_at"] or None),
            )
            for s in shipments
        )
        return TrackingPage(order_row(row), parcels, from_db(row["synced_at"]))

    async def record_page_access(
        self, access: PageAccess, limits: SavedLimits | None = None
    ) -> None:
        """Audit one request; views and refusals naming an order also reach its timeline.

        ``limits`` are the page's limits that changed since the last audit row, saved in the
        same transaction (:mod:`sync.store.page_limits`).
        """
        await self.record_page_accesses((access,), limits)

    async def record_page_accesses(
        self, accesses: Sequence[PageAccess], limits: SavedLimits | None = None
    ) -> None:
        """Audit several requests in one transaction (the page's group commit), in order."""
        async with self.db.write() as tx:
            if limits:
                await save_limits(tx, limits)
            for access in accesses:
                await _audit(tx, access)

    async def record_link_issued(
        self, order_id: int, token_id: str, expires_at: datetime, actor: str, now: datetime
    ) -> None:
        """A link to the order's page was handed out (by ``orderwatchd link`` or the console)."""
        async with self.db.write() as tx:
            await append_event(
                tx,
                at=now,
                actor=actor,
                order_id=order_id,
                subject_kind=SubjectKind.ORDER,
                subject_id=order_id,
                kind=LINK_CREATED,
                detail=f"link {token_id}, valid until {at_text(expires_at)}",
            )

    async def publish_link_settings(self, settings: LinkSettings, now: datetime) -> None:
        async with self.db.write() as tx:
            await tx.executemany(
                "INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [
                    (PUBLIC_URL_STATE, settings.public_url, at_text(now)),
                    (KEY_ENV_STATE, settings.key_env, at_text(now)),
                ],
            )

    async def reply_link(self, order_id: int, now: datetime) -> str:
        """The tracking-page address a reply carries (:func:`reply_link`)."""
        return await reply_link(self.db, order_id, now)

    async def link_settings(self) -> LinkSettings:
        return await _link_settings(self.db)

    async def page_accesses(self, order_id: int) -> list[PageAccessRow]:
        """The audit rows of one order, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM page_access WHERE order_id = ? ORDER BY at, id", (order_id,)
        )
        return [_access_row(row) for row in rows]

    async def page_accesses_from(self, ip: str, since: datetime) -> list[PageAccessRow]:
        """Every request from one address since ``since`` (for an operator looking at abuse)."""
        rows = await self.db.fetchall(
            "SELECT * FROM page_access WHERE ip = ? AND at >= ? ORDER BY at, id",
            (ip, at_text(since)),
        )
        return [_access_row(row) for row in rows]

    async def link_views(self, order_id: int) -> list[LinkViews]:
        """Per link of the order: views, refusals, first and last use; most recent first."""
        rows = await self.db.fetchall(
            "SELECT token_id, sum(outcome = 'viewed') AS views, "
            "sum(outcome = 'previewed') AS previews, "
            "sum(outcome NOT IN ('viewed', 'previewed')) AS refused, "
            "min(at) AS first_at, max(at) AS last_at "
            "FROM page_access WHERE order_id = ? GROUP BY token_id ORDER BY last_at DESC",
            (order_id,),
        )
        return [
            LinkViews(
                token_id=row["token_id"],
                views=int(row["views"]),
                refused=int(row["refused"]),
                first_at=from_db_required(row["first_at"]),
                last_at=from_db_required(row["last_at"]),
                previews=int(row["previews"]),
            )
            for row in rows
        ]


async def reply_link(db: Database, order_id: int, now: datetime) -> str:
    """The tracking-page address a reply to the customer carries, or "" when none can be made
    (the daemon published no public address, or this process cannot read the link key).

    It lives the default lifetime from the next whole hour, so every rendering within an
    hour gives the same link; it is not noted on the timeline (the reply is shown whenever
    the order is opened, and sending it is up to the agent).
    """
    settings = await _link_settings(db)
    if not settings.public_url:
        return ""
    try:
        key = load_key(env_name=settings.key_env, path=key_file(db.path))
    except ConfigError:
        return ""
    hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return page_url(settings.public_url, issue(key, order_id, hour, DEFAULT_TTL).token)


async def _link_settings(db: Database) -> LinkSettings:
    rows = await db.fetchall(
        "SELECT key, value FROM daemon_state WHERE key IN (?, ?)",
        (PUBLIC_URL_STATE, KEY_ENV_STATE),
    )
    values = {row["key"]: row["value"] for row in rows}
    return LinkSettings(values.get(PUBLIC_URL_STATE, ""), values.get(KEY_ENV_STATE, ""))


async def _audit(tx: Transaction, access: PageAccess) -> None:
    (inserted,) = await tx.fetchall(
        "INSERT INTO page_access (at, token_id, order_id, outcome, via, ip, user_agent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            at_text(access.at),
            access.token_id,
            access.order_id,
            str(access.outcome),
            str(access.via),
            access.ip,
            access.user_agent[:USER_AGENT_CHARS],
        ),
    )
    kind = EVENT_KINDS.get(access.outcome)
    if access.order_id is not None and kind is not None:
        await _timeline(tx, access, access.order_id, kind, int(inserted["id"]))


async def _timeline(
    tx: Transaction, access: PageAccess, order_id: int, kind: str, access_id: int
) -> None:
    """Append the timeline event for this access unless one went out for it within the hour."""
    (row,) = await tx.fetchall(
        "SELECT count(*) AS seen, max(CASE WHEN logged THEN at END) AS logged_at "
        "FROM page_access WHERE token_id = ? AND order_id = ? AND outcome = ?",
        (access.token_id, order_id, str(access.outcome)),
    )
    logged_at = from_db(row["logged_at"])
    if logged_at is not None and access.at - logged_at < COALESCE:
        return
    await tx.execute("UPDATE page_access SET logged = 1 WHERE id = ?", (access_id,))
    where = "look-up" if access.via is PageVia.LOOKUP else f"link {access.token_id}"
    await append_event(
        tx,
        at=access.at,
        actor=CUSTOMER,
        order_id=order_id,
        subject_kind=SubjectKind.ORDER,
        subject_id=order_id,
        kind=kind,
        to_value=f"{int(row['seen'])}×",
        detail=f"({where})",
    )


def _access_row(row: sqlite3.Row) -> PageAccessRow:
    return PageAccessRow(
        id=row["id"],
        at=from_db_required(row["at"]),
        token_id=row["token_id"],
        order_id=row["order_id"],
        outcome=row["outcome"],
        via=row["via"],
        ip=row["ip"],
        user_agent=row["user_agent"],
    )
