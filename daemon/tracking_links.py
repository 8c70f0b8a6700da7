"""The daemon's side of tracking-page links: the page's settings, and ``orderwatchd link``.

``orderwatchd link ORDER [--ttl 7d]`` prints a signed link to the order's page and notes it on the
order's timeline. With ``--config`` (the default when ``orderwatchd.toml`` exists) the public
address and the key come from the config; with ``--db`` from what the daemon published at its
last start. Run it as the daemon's user: the key file is private to whoever created it.

Reply templates may carry the link (``{tracking.link}``); a shop's template asking for it while
no public address is configured is refused when the rules load (:func:`reply_link_problems`),
rather than sending customers a message without a working link.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from daemon.config import Config, load_config
from daemon.errors import UsageError
from daemon.http.app import RouteFactory
from daemon.http.tracking_page import PageSettings, routes_for
from daemon.page_config import PageConfig
from daemon.rules.durations import parse_duration
from daemon.rules.model import RuleSet
from sync.clock import Clock, SystemClock
from sync.link_key import key_file, load_key
from sync.links import MAX_TTL
from sync.replies import is_own_template, uses_link
from sync.store import Store
from sync.store.tracking_page import LinkSettings
from sync.tracking_links import share_link


def page_config(config: Config) -> PageConfig:
    return config.http.page if config.http is not None else PageConfig()


def link_key(config: Config) -> bytes:
    """The key from ``[http] link_key_env``, else the key file beside the database (made once)."""
    page = page_config(config)
    if page.link_key:
        return page.link_key.encode()
    return load_key(path=key_file(config.database), create=True)


def tracking_page_routes(config: Config, zone: Callable[[], ZoneInfo]) -> RouteFactory:
    """The page's receiver for the daemon's HTTP app."""
    page = page_config(config)
    return routes_for(
        PageSettings(
            key=link_key(config),
            zone=zone,
            lookup=page.lookup,
            trusted_proxies=page.trusted_proxies,
        )
    )


def reply_link_problems(rules: RuleSet, config: Config) -> list[str]:
    """One line naming the shop's reply templates that use ``{tracking.link}`` when there is no
    public address to build it on; none when links can be made or nobody asks for one.

    orderwatch's own templates are not named: they leave their link sentence out instead.
    """
    if page_config(config).public_url or rules.workflow is None:
        return []
    wanting = [
        f"replies.{lang}.{case}"
        for lang, texts in rules.workflow.replies.templates.items()
        for case, text in texts.items()
        if uses_link(text) and not is_own_template(text)
    ]
    if not wanting:
        return []
    return [
        f"{config.rules}: {', '.join(wanting)}: {{tracking.link}} needs the page's public "
        "address; set [http] public_url in the daemon's config"
    ]


async def publish_link_settings(store: Store, config: Config, clock: Clock) -> None:
    """Tell other processes (the console) where links point and where the key is kept."""
    page = page_config(config)
    await store.publish_link_settings(LinkSettings(page.public_url, page.link_key_env), clock.now())


async def link(
    order: str,
    ttl_text: str,
    db: Path | None,
    config_path: Path | None,
    clock: Clock | None = None,
) -> int:
    ttl = _ttl(ttl_text)
    config, database = _where(db, config_path)
    if not database.exists():
        raise UsageError(f"{database}: no database here yet (has the daemon run?)")
    clock = clock or SystemClock()
    store = await Store.open(database)
    try:
        row = await store.order_by_number(order)
        if row is None:
            raise UsageError(f"no order numbered {order!r} in {database}")
        if config is not None:
            key, public_url = link_key(config), page_config(config).public_url
        else:
            published = await store.link_settings()
            key = load_key(env_name=published.key_env, path=key_file(database), create=True)
            public_url = published.public_url
        shared = await share_link(
            store, row.id, key=key, public_url=public_url, actor=_login(), now=clock.now(), ttl=ttl
        )
    finally:
        await store.close()
    print(shared.url)
    until = shared.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    print(f"order {row.number}: valid until {until}", file=sys.stderr)
    return 0


def _ttl(text: str) -> timedelta:
    try:
        ttl = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--ttl: {exc}") from None
    if ttl <= timedelta() or ttl > MAX_TTL:
        raise UsageError(f"--ttl: a link lives between 1 second and {MAX_TTL.days} days")
    return ttl


def _where(db: Path | None, config_path: Path | None) -> tuple[Config | None, Path]:
    """The config (None when ``--db`` alone was given) and the database."""
    if db is not None:
        return None, db
    path = config_path or Path("orderwatchd.toml")
    if config_path is None and not path.exists():
        raise UsageError(f"{path}: no config file; pass --db PATH or --config PATH")
    config = load_config(path)
    return config, config.database


def _login() -> str:
    """Who handed the link out: the OS login of this process (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"
