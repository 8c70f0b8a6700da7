"""Errors raised by the headless core.

Hierarchy::

    OrderwatchError            anything orderwatch expects to go wrong; str() is one readable line
    ├── StoreError             the database cannot be opened, migrated or written
    │   └── ConflictError      an agent action lost a race: the row's version moved
    ├── ActionError            an agent action that cannot be done as asked (no such escalation,
    │                          a snooze without an expiry, an unknown delay reason)
    ├── SourceError            a source (shop or courier API) failed
    │   ├── SourceAuthError    credentials refused: retrying will not help
    │   ├── SourceRateLimited  the source asked us to slow down (carries retry_after)
    │   ├── PayloadError       a body we could not read as the vendor's format
    │   └── WriteRefused       the shop platform refused a write (its own words in the message)
    └── ConfigError            a config or rules file is invalid (carries file, line and key)
"""

from __future__ import annotations


class OrderwatchError(Exception):
    """Base of every error orderwatch expects; its message is shown to the user as is."""


class StoreError(OrderwatchError):
    """The database cannot be opened, migrated or written."""


class ConflictError(StoreError):
    """An agent's change lost a race with another writer.

    ``changed_by`` and ``change`` say who moved the row and what they did, so the console can tell
    the agent instead of overwriting silently.
    """

    def __init__(self, message: str, *, changed_by: str = "", change: str = "") -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.change = change


class CursorMoved(StoreError):
    """A source's stored cursor is not the one its sync run went on from: something else moved
    it meanwhile (a restore into the running daemon, an operator's reset). The run's pages are
    not written; the next run goes on from the stored cursor."""


class ActionError(OrderwatchError):
    """An agent's action that cannot be done as asked; the message says what to change."""


class SourceError(OrderwatchError):
    """A shop or courier source failed."""


class SourceAuthError(SourceError):
    """The source refused our credentials."""


class WriteRefused(SourceError):
    """The shop platform answered a write with its refusal (a ``userErrors`` entry, a 4xx)."""


class SourceRateLimited(SourceError):
    """The source asked us to wait ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadError(SourceError):
    """A response body that is not the vendor's documented format."""


class ConfigError(OrderwatchError):
    """An invalid configuration or rules file.

    ``problems`` holds every problem found (each already one line, with file, line and key), so a
    user fixes them all in one go rather than one per run.
    """

    def __init__(self, problems: list[str] | str) -> None:
        items = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(items[0] if len(items) == 1 else f"{items[0]} (and {len(items) - 1} more)")
        self.problems = items
