"""The daemon's configuration file (TOML), parsed strictly into one immutable object.

Every problem is collected before reporting; unknown keys are errors. Credentials are never
written in the file: a setting named ``<key>_env`` names the environment variable that holds
``<key>`` (``token_env = "SHOPIFY_TOKEN"``, ``webhook_secret_env = "SHOP_WEBHOOK_SECRET"``).

Besides its connector's settings, an order source takes ``reconcile`` (how often to list
everything again, e.g. ``"24h"``), ``lookback`` (how far each run reaches back for late updates,
e.g. ``"15m"``) and, for WooCommerce, ``status_map`` as a text or a table. ``[http] listen =
"127.0.0.1:8787"`` serves the webhook receivers and the customer tracking page, whose keys
(``public_url``, ``link_key_env``, ``trusted_proxies``, ``lookup``) :mod:`daemon.page_config`
describes.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from daemon.drop_config import TABLE_KEYS, drop_sources, read_profiles
from daemon.page_config import PAGE_KEYS, PageConfig, read_page
from daemon.rules.durations import parse_duration
from daemon.service_config import SERVICE_KEYS, Service, read_service
from sync.csvimport.profiles import Profile
from sync.errors import ConfigError

_TOP_KEYS = {"database", "rules", "sources", "trackers", "profiles", "http", *SERVICE_KEYS}
_FEED_KEYS = {"name", "kind", "interval", "reconcile", "lookback", "status_map"}
_HTTP_KEYS = {"listen", *PAGE_KEYS}


@dataclass(frozen=True, slots=True)
class Feed:
    """One order source or tracking provider: its kind, how often to ask, and its settings."""

    name: str
    kind: str
    interval: timedelta
    settings: Mapping[str, str] = field(default_factory=dict)
    reconcile: timedelta | None = None
    """How often an API source lists everything again; None never."""


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """Where the daemon's HTTP endpoint (webhook receivers, health) listens."""

    host: str
    port: int
    page: PageConfig = field(default_factory=PageConfig)
    """The customer tracking page's keys (:mod:`daemon.page_config`)."""


@dataclass(frozen=True, slots=True)
class Config:
    database: Path
    rules: Path
    sources: tuple[Feed, ...] = ()
    trackers: tuple[Feed, ...] = ()
    path: Path | None = None
    profiles: tuple[Profile, ...] = ()
    """The shop's own export profiles (``[[profiles]]`` and csv sources' adjustments)."""
    http: HttpConfig | None = None
    service: Service = field(default_factory=Service)
    """Retention, secrets file and the agents' group (:mod:`daemon.service_config`)."""


def default_config(database: Path, rules: Path) -> Config:
    return Config(database=database, rules=rules)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    problems: list[str] = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"{path}: {key}: unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    base = path.parent
    database = base / str(data.get("database", "data/orderwatch.db"))
    rules = base / str(data.get("rules", "rules.toml"))
    service, from_file = read_service(path, data, problems)
    env = {**from_file, **env}  # the environment wins over the secrets file
    sources = _feeds(path, "sources", data.get("sources", []), env, problems, timedelta(minutes=1))
    trackers = _feeds(
        path, "trackers", data.get("trackers", []), env, problems, timedelta(minutes=5)
    )
    profiles = read_profiles(path, data.get("profiles", []), problems)
    http = _http(path, data.get("http"), env, problems)
    sources, profiles = drop_sources(path, data.get("sources"), sources, profiles, problems)
    if problems:
        raise ConfigError(problems)
    return Config(
        database=database,
        rules=rules,
        sources=sources,
        trackers=trackers,
        path=path,
        profiles=profiles,
        http=http,
        service=service,
    )


def _feeds(
    path: Path,
    table: str,
    items: Any,
    env: Mapping[str, str],
    problems: list[str],
    default_interval: timedelta,
) -> tuple[Feed, ...]:
    if not isinstance(items, list):
        problems.append(f"{path}: {table}: must be an array of tables ([[{table}]])")
        return ()
    feeds: list[Feed] = []
    for index, item in enumerate(items):
        where = f"{path}: {table}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a table")
            continue
        name, kind = item.get("name"), item.get("kind")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}.name: required, a text")
        if not isinstance(kind, str) or not kind:
            problems.append(f"{where}.kind: required, a text")
        interval = default_interval
        if "interval" in item:
            try:
                interval = parse_duration(str(item["interval"]))
            except ValueError as exc:
                problems.append(f"{where}.interval: {exc}")
        settings = _settings(where, item, env, problems)
        settings.update(_source_extras(where, item, problems))
        reconcile = _duration(where, item, "reconcile", problems)
        if isinstance(name, str) and isinstance(kind, str):
            feeds.append(
                Feed(
                    name=name,
                    kind=kind,
                    interval=interval,
                    settings=settings,
                    reconcile=reconcile,
                )
            )
    return tuple(feeds)


def _duration(where: str, item: dict[str, Any], key: str, problems: list[str]) -> timedelta | None:
    if key not in item:
        return None
    try:
        return parse_duration(str(item[key]))
    except ValueError as exc:
        problems.append(f"{where}.{key}: {exc}")
        return None


def _source_extras(where: str, item: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """``lookback`` as the connectors' ``lookback_seconds``; ``status_map`` as one text."""
    extras: dict[str, str] = {}
    lookback = _duration(where, item, "lookback", problems)
    if lookback is not None:
        extras["lookback_seconds"] = str(int(lookback.total_seconds()))
    mapping = item.get("status_map")
    if isinstance(mapping, str):
        extras["status_map"] = mapping
    elif isinstance(mapping, dict):
        pairs = []
        for status, words in mapping.items():
            if isinstance(words, list) and all(isinstance(w, str) for w in words):
                words = "+".join(words)
            if not isinstance(words, str):
                problems.append(f"{where}.status_map.{status}: must be a text or a list of texts")
                continue
            pairs.append(f"{status}={words}")
        extras["status_map"] = ",".join(pairs)
    elif mapping is not None:
        problems.append(f"{where}.status_map: must be a text or a table")
    return extras


def _http(path: Path, table: Any, env: Mapping[str, str], problems: list[str]) -> HttpConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        problems.append(f"{path}: http: must be a table ([http])")
        return None
    for key in sorted(set(table) - _HTTP_KEYS):
        known = ", ".join(sorted(_HTTP_KEYS))
        problems.append(f"{path}: http.{key}: unknown key (known: {known})")
    listen = table.get("listen")
    host, sep, port = str(listen or "").rpartition(":")
    if not isinstance(listen, str) or not sep or not host or not port.isdigit():
        problems.append(f'{path}: http.listen: expected host:port, e.g. "127.0.0.1:8787"')
        return None
    if int(port) > 65535:
        problems.append(f"{path}: http.listen: port {port} is out of range")
        return None
    page = read_page(path, table, env, problems)
    return HttpConfig(host=host.strip("[]"), port=int(port), page=page)


def _settings(
    where: str, item: dict[str, Any], env: Mapping[str, str], problems: list[str]
) -> dict[str, str]:
    settings: dict[str, str] = {}
    for key, value in item.items():
        if key in _FEED_KEYS or (key in TABLE_KEYS and isinstance(value, dict)):
            continue
        if isinstance(value, dict | list):
            problems.append(f"{where}.{key}: must be a text or a number")
            continue
        if key.endswith("_env"):
            if str(value) not in env:
                problems.append(f"{where}.{key}: environment variable {value} is not set")
                continue
            settings[key.removesuffix("_env")] = env[str(value)]
        else:
            settings[key] = str(value)
    return settings
