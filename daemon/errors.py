"""Errors of the daemon package.

Hierarchy::

    sync.errors.OrderwatchError
    └── DaemonError            the daemon cannot do what it was asked (one readable line)
        └── UsageError         a command-line mistake the user can fix (exit status 1)
"""

from __future__ import annotations

from sync.errors import OrderwatchError


class DaemonError(OrderwatchError):
    """The daemon cannot do what it was asked."""


class UsageError(DaemonError):
    """A command-line mistake."""
