"""What the sync tests' ``start`` fixture hands out: a way to run simulators on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from daemon.simulator.server import RunningServer

Start = Callable[..., Awaitable[RunningServer]]
