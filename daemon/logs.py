"""The daemon's log: one line per event, for people by default, JSON with ``--log-format json``.

Human lines read ``2026-11-20T08:00:00.123Z INFO    orderwatch.daemon: shop: 12 orders changed``.
Under systemd (stderr is the journal, per ``JOURNAL_STREAM``) the time is left to the journal and
the line starts with a syslog priority (``<4>``) so ``journalctl -p warning`` works. A traceback is
folded into the same line (`` | `` between its lines): one event, one line.

JSON lines carry ``ts``, ``level``, ``logger``, ``event`` and whatever the call passed in
``extra=`` (``source``, ``order_id`` …), plus ``exc`` for a traceback.

Secrets never reach a line: a :class:`Redactor` sits on the handler and rewrites every record
before it is formatted. It knows the configured credentials (every setting whose name says it is
one, and every value the secrets file holds) and recognises the usual shapes of tokens
(``Bearer …``, ``access_token=…`` in a URL, Shopify ``shpat_…`` and WooCommerce ``ck_…`` keys).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from daemon.config import Config

REDACTED = "[redacted]"
MIN_SECRET = 4
"""Shorter values are not redacted: hiding every "1" would make the log unreadable."""

SECRET_NAME = re.compile(
    r"token|secret|password|passwd|pass\b|key|auth|credential|signature|hmac|cookie", re.I
)
_TOKEN_SHAPES = (
    re.compile(r"(?i)(\bbearer\s+)[\w.~+/=-]+"),
    re.compile(r"(?i)(\bbasic\s+)[A-Za-z0-9+/=]{8,}"),
    re.compile(
        r"(?i)([?&;](?:access_token|token|api_key|apikey|key|secret|consumer_key|consumer_secret"
        r"|signature|sig|password)=)[^&\s\"'<>]+"
    ),
    re.compile(
        r"(?i)((?:authorization|x-shopify-access-token|17token|aftership-api-key|as-api-key"
        r"|x-shopify-hmac-sha256|x-wc-webhook-signature)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"
    ),
    re.compile(r"()\bshp(?:at|ca|pa|ss)_[0-9a-fA-F]{16,}"),
    re.compile(r"()\bc[ks]_[0-9a-fA-F]{20,}"),
)

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class Redactor(logging.Filter):
    """Rewrites log records so that no configured secret or token-shaped text remains."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        super().__init__()
        self._values: list[str] = []
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        known = set(self._values) | {v for v in values if len(v) >= MIN_SECRET}
        self._values = sorted(known, key=len, reverse=True)  # longest first: no partial leaks

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        for shape in _TOKEN_SHAPES:
            text = shape.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _one_line(text: str) -> str:
    return " | ".join(part for part in text.splitlines() if part.strip())


class HumanFormatter(logging.Formatter):
    def __init__(self, *, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text = f"{text} | {record.exc_text}"
        text = _one_line(text)
        if self.journal:
            return f"<{_PRIORITY.get(record.levelno, 3)}>{record.name}: {text}"
        return f"{_timestamp(record)} {record.levelname:<7} {record.name}: {text}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = (
                    value if isinstance(value, str | int | float | bool | None) else str(value)
                )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def writes_to_journal(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """True when ``stream`` is the systemd journal (``JOURNAL_STREAM`` names its device:inode)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in value.split(":"))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


def setup_logging(
    level: str = "info", fmt: str = "human", stream: TextIO | None = None
) -> Redactor:
    """Send every logger's records to ``stream`` (stderr), one line each, secrets redacted."""
    out = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(out)
    redactor = Redactor()
    handler.addFilter(redactor)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(HumanFormatter(journal=writes_to_journal(out)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; its URLs can carry keys (redacted, but still noise).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return redactor


def config_secrets(config: Config) -> set[str]:
    """The credentials in ``config``: settings named like one, and the secrets file's values."""
    found = set(config.service.secret_values)
    for feed in (*config.sources, *config.trackers):
        found.update(value for key, value in feed.settings.items() if SECRET_NAME.search(key))
    return found


def protect(values: Iterable[str]) -> None:
    """Teach every installed :class:`Redactor` these secret values."""
    wanted = list(values)
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, Redactor):
                found.add(wanted)
