"""Handing out a tracking-page link for an order: sign it, build its URL, note it on the timeline.

``orderwatchd link`` and the console both come here. The console knows only the database: it
finds the daemon's public address and where the key is kept in what the daemon published at
start-up (:meth:`~sync.store.tracking_page.TrackingPageStore.link_settings`), and reads the key
from the variable named there or from the key file beside the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sync.errors import ConfigError
from sync.link_key import key_file, load_key
from sync.links import DEFAULT_TTL, issue, page_url
from sync.store import Store


@dataclass(frozen=True, slots=True)
class SharedLink:
    url: str
    token_id: str
    expires_at: datetime


async def share_link(
    store: Store,
    order_id: int,
    *,
    key: bytes,
    public_url: str,
    actor: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> SharedLink:
    """A new link to ``order_id``'s page, recorded on its timeline as handed out by ``actor``."""
    if not public_url:
        raise ConfigError(
            "no public address for tracking links: set [http] public_url in the daemon's config"
        )
    link = issue(key, order_id, now, ttl)
    await store.record_link_issued(order_id, link.token_id, link.expires_at, actor, now)
    return SharedLink(page_url(public_url, link.token), link.token_id, link.expires_at)


async def share_link_from_console(
    store: Store,
    database: Path,
    order_id: int,
    *,
    actor: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    environ: Mapping[str, str] | None = None,
) -> SharedLink:
    """:func:`share_link` with the settings the daemon published; never creates a key."""
    settings = await store.link_settings()
    if not settings.public_url:
        raise ConfigError(
            "no public address for tracking links yet: the daemon publishes it when it starts "
            "with [http] public_url set"
        )
    key = load_key(env_name=settings.key_env, environ=environ, path=key_file(database))
    return await share_link(
        store, order_id, key=key, public_url=settings.public_url, actor=actor, now=now, ttl=ttl
    )
