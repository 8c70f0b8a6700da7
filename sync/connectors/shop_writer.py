"""Shop writers: the few writes orderwatch makes to a shop platform, behind one small base class.

A writer is built from the same name and settings as the order source it writes back to, so it
uses the source's credentials, HTTP settings and circuit breaker rules. It first reads what the
platform has, so pushing the same tracking number twice never creates a second fulfillment.

Settings read here (all optional, on the order source):

``push_attempts``
    how many times the outbox tries a push before giving up (default 5).
``push_retry_seconds``
    how long it waits between attempts (default 900, a quarter of an hour).
``push_notify_customer``
    ``true`` to let the platform mail the customer about the shipment (default ``false``).

A refusal by the platform (a GraphQL ``userErrors`` entry, a 4xx answer) raises
:class:`~sync.errors.WriteRefused` with the platform's own words.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from sync.connectors.base import Connector, setting_number
from sync.errors import ConfigError
from sync.pushes import Pushed, TrackingPush

DEFAULT_ATTEMPTS = 5
DEFAULT_RETRY = timedelta(minutes=15)


class ShopWriter(Connector, ABC):
    kind: ClassVar[str]
    role: ClassVar[str] = "source"

    def __init__(self, name: str, client: httpx.AsyncClient, settings: Mapping[str, str]) -> None:
        super().__init__(name, client, settings)
        self.attempts = int(
            setting_number(settings, "push_attempts", DEFAULT_ATTEMPTS, self.where, minimum=1)
        )
        self.retry_every = timedelta(
            seconds=setting_number(
                settings, "push_retry_seconds", DEFAULT_RETRY.total_seconds(), self.where
            )
        )
        notify = settings.get("push_notify_customer", "false").strip().lower()
        if notify not in ("true", "false"):
            raise ConfigError(f"{self.where}: push_notify_customer must be true or false")
        self.notify_customer = notify == "true"

    @abstractmethod
    async def push_tracking(self, push: TrackingPush) -> Pushed:
        """Make the platform show the order shipped with ``push.tracking_number``."""


def short(text: str, limit: int = 160) -> str:
    """A vendor's message on one line, cut to ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def first_message(errors: Any) -> str:
    """The first human message in a vendor's error structure (list, dict or text)."""
    if isinstance(errors, list) and errors:
        return first_message(errors[0])
    if isinstance(errors, dict):
        for key in ("message", "base", "error"):
            if key in errors:
                return first_message(errors[key])
        for key, value in errors.items():
            return f"{key} {first_message(value)}"
        return "refused"
    return short(str(errors))
