"""Reading ``[channels.*]``: where notifications go, how often to retry, and when to keep quiet.

::

    [channels.wecom]
    type = "wecom"                      # console, webhook, wecom, dingtalk, slack or smtp
    url_env = "WECOM_ROBOT_URL"         # the robot's address (it holds its key): from the
                                        # environment, never written here
    retry = { every = "15m", attempts = 5 }
    quiet = { during = ["night"], except_severity = ["critical"] }

Secrets (robot addresses with their keys, signing secrets, passwords) are named by the
environment variable that holds them (``*_env``); a variable that is not set when a message is
due makes that delivery fail with a readable error, shown on the escalation. A channel named
``console`` of type console always exists, so a simple file needs no ``[channels]`` at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from daemon.rules.model import Period
from daemon.rules.reader import Table, describe

DEFAULT_RETRY_EVERY = timedelta(minutes=15)
DEFAULT_ATTEMPTS = 5

RETRY_KEYS = frozenset({"every", "attempts"})
QUIET_KEYS = frozenset({"during", "except_severity"})
_COMMON = {"type", "retry", "quiet"}


class ChannelKind(StrEnum):
    CONSOLE = "console"
    WEBHOOK = "webhook"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    SLACK = "slack"
    SMTP = "smtp"


KIND_KEYS: Mapping[ChannelKind, frozenset[str]] = {
    ChannelKind.CONSOLE: frozenset(_COMMON),
    ChannelKind.WEBHOOK: frozenset(_COMMON | {"url", "url_env", "secret_env"}),
    ChannelKind.WECOM: frozenset(_COMMON | {"url", "url_env"}),
    ChannelKind.DINGTALK: frozenset(_COMMON | {"url", "url_env", "secret_env"}),
    ChannelKind.SLACK: frozenset(_COMMON | {"url", "url_env"}),
    ChannelKind.SMTP: frozenset(
        _COMMON | {"host", "port", "starttls", "username_env", "password_env", "sender", "to"}
    ),
}
CHANNEL_KEYS = frozenset(key for keys in KIND_KEYS.values() for key in keys)


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    kind: ChannelKind
    url: str = ""
    url_env: str = ""
    secret_env: str = ""
    host: str = ""
    port: int = 25
    starttls: bool = False
    username_env: str = ""
    password_env: str = ""
    sender: str = ""
    to: tuple[str, ...] = ()
    """Addresses that get every mail of the channel, besides the agents' own."""
    retry_every: timedelta = DEFAULT_RETRY_EVERY
    attempts: int = DEFAULT_ATTEMPTS
    quiet: tuple[Period, ...] = ()
    loud_severities: frozenset[str] = field(default_factory=frozenset)
    """Severities that ring even in quiet hours."""

    def quiet_at(self, instant: datetime, severity: str) -> bool:
        """Whether a message of ``severity`` must wait at ``instant`` (quiet hours)."""
        if severity in self.loud_severities:
            return False
        return any(period.contains(instant) for period in self.quiet)


CONSOLE = Channel("console", ChannelKind.CONSOLE)


def read_channels(top: Table, periods: Mapping[str, Period]) -> dict[str, Channel]:
    data = top.typed("channels", dict, "tables like [channels.wecom]")
    found: dict[str, Channel] = {"console": CONSOLE}
    for name, body in (data or {}).items():
        path = (*top.path, "channels", name)
        if not isinstance(body, dict):
            top.problems.add(path, f"expected a table, got {describe(body)}")
            continue
        probe = Table(body, path, top.problems, CHANNEL_KEYS)
        kind = probe.choice("type", {k.value: k for k in ChannelKind}, required=True)
        if kind is None:
            continue
        table = Table(body, path, top.problems, KIND_KEYS[kind])
        channel = _channel(table, name, kind, body, periods)
        table.finish()
        if channel is not None:
            found[name] = channel
    return found


def _channel(
    table: Table,
    name: str,
    kind: ChannelKind,
    body: Mapping[str, Any],
    periods: Mapping[str, Period],
) -> Channel | None:
    url, url_env = table.text("url") or "", table.text("url_env") or ""
    web = (ChannelKind.WEBHOOK, ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.SLACK)
    if kind in web and bool(url) == bool(url_env):
        table.problem("url", "give the address as url, or (when it holds a key) as url_env")
    if kind is ChannelKind.SMTP:
        table.text("host", required=True)
        table.text("sender", required=True)
    port = table.typed("port", int, "a whole number")
    every, attempts = _retry(table)
    quiet, loud = _quiet(table, periods)
    return Channel(
        name=name,
        kind=kind,
        url=url,
        url_env=url_env,
        secret_env=table.text("secret_env") or "",
        host=str(body.get("host", "")),
        port=port or (587 if body.get("starttls") else 25),
        starttls=bool(table.typed("starttls", bool, "true or false")),
        username_env=table.text("username_env") or "",
        password_env=table.text("password_env") or "",
        sender=str(body.get("sender", "")),
        to=table.text_list("to"),
        retry_every=every,
        attempts=attempts,
        quiet=quiet,
        loud_severities=loud,
    )


def _retry(table: Table) -> tuple[timedelta, int]:
    data = table.typed("retry", dict, "a table like { every = '15m', attempts = 5 }")
    if data is None:
        return DEFAULT_RETRY_EVERY, DEFAULT_ATTEMPTS
    retry = Table(data, (*table.path, "retry"), table.problems, RETRY_KEYS)
    every = retry.duration("every") or DEFAULT_RETRY_EVERY
    if every < timedelta(seconds=1):
        retry.problem("every", "must be at least 1s")
    attempts = retry.typed("attempts", int, "a whole number")
    if attempts is not None and attempts < 1:
        retry.problem("attempts", "must be 1 or more")
    retry.finish()
    return every, attempts or DEFAULT_ATTEMPTS


Quiet = tuple[tuple[Period, ...], frozenset[str]]


def _quiet(table: Table, periods: Mapping[str, Period]) -> Quiet:
    data = table.typed("quiet", dict, "a table like { during = ['night'] }")
    if data is None:
        return (), frozenset()
    quiet = Table(data, (*table.path, "quiet"), table.problems, QUIET_KEYS)
    names = quiet.text_list("during")
    if not names:
        quiet.problem("during", "name the periods to keep quiet during")
    for index, period in enumerate(names):
        if period not in periods:
            known = ", ".join(sorted(periods)) or "none defined"
            quiet.problems.add(
                (*quiet.path, "during", index), f"unknown period {period!r} ({known})"
            )
    loud = frozenset(quiet.text_list("except_severity"))
    for index, severity in enumerate(sorted(loud)):
        if severity not in ("info", "warning", "critical"):
            quiet.problems.add(
                (*quiet.path, "except_severity", index),
                f"{severity!r} is not one of 'info', 'warning', 'critical'",
            )
    quiet.finish()
    return tuple(periods[name] for name in names if name in periods), loud


QUIET_SEARCH = timedelta(days=3)
_STEP = timedelta(minutes=15)


def quiet_until(channel: Channel, instant: datetime, severity: str) -> datetime | None:
    """When the quiet hours holding a message at ``instant`` end (to the minute); None when
    the message may go now. Quiet hours that never end within three days end then."""
    if not channel.quiet_at(instant, severity):
        return None
    low = instant
    high = instant + _STEP
    while channel.quiet_at(high, severity):
        if high - instant >= QUIET_SEARCH:
            return high
        low, high = high, high + _STEP
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if channel.quiet_at(middle, severity):
            low = middle
        else:
            high = middle
    return high.replace(second=0, microsecond=0) if high.second or high.microsecond else high
