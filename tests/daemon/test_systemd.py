"""The notify protocol, against a real unix datagram socket standing in for systemd."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.systemd import Notifier, monotonic_usec, watchdog_interval


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def _fields(sock: socket.socket) -> dict[str, str]:
    data = sock.recv(4096).decode()
    return dict(line.split("=", 1) for line in data.splitlines())


def test_ready_reaches_the_socket_with_a_status_line(manager: tuple[str, socket.socket]) -> None:
    path, sock = manager
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})

    assert notifier.ready("running rules abc")

    assert _fields(sock) == {"READY": "1", "STATUS": "running rules abc"}


def test_reloading_carries_a_monotonic_stamp(manager: tuple[str, socket.socket]) -> None:
    path, sock = manager
    before = monotonic_usec()

    Notifier(path).reloading()

    fields = _fields(sock)
    assert fields["RELOADING"] == "1"
    assert before <= int(fields["MONOTONIC_USEC"]) <= monotonic_usec()


def test_stopping_and_watchdog(manager: tuple[str, socket.socket]) -> None:
    path, sock = manager
    notifier = Notifier(path)

    notifier.watchdog()
    notifier.stopping()

    assert _fields(sock) == {"WATCHDOG": "1"}
    assert _fields(sock)["STOPPING"] == "1"


def test_a_status_is_one_line(manager: tuple[str, socket.socket]) -> None:
    path, sock = manager

    Notifier(path).status("rules refused:\nline 3")

    assert _fields(sock) == {"STATUS": "rules refused: line 3"}


def test_the_abstract_namespace_is_understood() -> None:
    name = f"@orderwatch-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name[1:])
    sock.settimeout(2)
    try:
        Notifier(name).ready()
        assert _fields(sock) == {"READY": "1"}
    finally:
        sock.close()


def test_without_a_manager_nothing_is_sent() -> None:
    notifier = Notifier.from_env({})

    assert not notifier.enabled
    assert not notifier.ready()


def test_a_vanished_manager_is_not_an_error(tmp_path: Path) -> None:
    assert not Notifier(str(tmp_path / "gone.sock")).ready()


def test_watchdog_pings_at_half_the_interval() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0


def test_the_watchdog_of_another_process_is_not_ours() -> None:
    env = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid() + 1)}

    assert watchdog_interval(env) is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})


def test_no_watchdog_without_an_interval() -> None:
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "soon"}) is None
