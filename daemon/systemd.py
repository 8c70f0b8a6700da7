"""The systemd notify protocol, spoken with the standard library only.

systemd (``Type=notify``) hands the service a datagram socket in ``NOTIFY_SOCKET``; the service
sends it newline-separated ``KEY=value`` lines:

``READY=1``
    start-up is complete (database open, rules loaded, HTTP listener bound);
``RELOADING=1`` with ``MONOTONIC_USEC``
    a reload began (systemd 253+ wants the monotonic stamp); ``READY=1`` ends it;
``STOPPING=1``
    shutdown began;
``WATCHDOG=1``
    the service is alive; systemd restarts it when none arrives within ``WatchdogSec``
    (``WATCHDOG_USEC`` tells the interval, ``WATCHDOG_PID`` whom it is meant for);
``STATUS=…``
    one line shown by ``systemctl status``.

Outside systemd there is no socket and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger("orderwatch.systemd")


def monotonic_usec() -> int:
    """CLOCK_MONOTONIC in microseconds, the clock systemd compares reload stamps against."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Notifier:
    """Sends state changes to the service manager, if there is one."""

    def __init__(self, address: str | None) -> None:
        self.address = _socket_address(address) if address else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *lines: str) -> bool:
        """Send one message; False (and a debug line) when it could not be delivered."""
        if self.address is None:
            return False
        try:
            # A socket per message, as sd_notify does: messages are rare, and nothing stays open.
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto("\n".join(lines).encode(), self.address)
        except OSError as exc:
            # A manager that went away must never take the daemon down with it.
            log.debug("cannot notify the service manager: %s", exc)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *_status(status))

    def reloading(self, status: str = "reloading rules") -> bool:
        return self.send("RELOADING=1", f"MONOTONIC_USEC={monotonic_usec()}", *_status(status))

    def stopping(self, status: str = "stopping") -> bool:
        return self.send("STOPPING=1", *_status(status))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(*_status(text))


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``WatchdogSec``), or None without one."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 1_000_000 / 2


def _socket_address(address: str) -> str | bytes:
    if address.startswith("@"):  # the abstract namespace: a leading NUL byte, no file
        return b"\0" + address[1:].encode()
    return address


def _status(text: str) -> tuple[str, ...]:
    return (f"STATUS={' '.join(text.split())}",) if text else ()
