"""The daemon as systemd runs it: notify protocol, reload, watchdog, and a clean, bounded stop."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from daemon.lifecycle import DRAIN_SECONDS
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from daemon.simulator.shopify_api import Bucket
from daemon.systemd import monotonic_usec
from sync.clock import VirtualClock
from sync.store.files import integrity_problems, wal_path
from tests.conftest import T0
from tests.e2e.shopfloor import (
    DAEMON,
    count,
    cursor_within_data,
    daemon_env,
    mirror,
    reference,
    write_config,
)

ORDERS = 2000

Message = dict[str, str]


class FakeManager:
    """A unix datagram socket standing in for systemd's notify socket."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="ow-notify-")  # short: socket paths are limited
        self.path = f"{self.folder}/notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, Message]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            fields = dict(line.split("=", 1) for line in data.decode().splitlines())
            self.messages.append((time.monotonic(), fields))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        Path(self.path).unlink(missing_ok=True)
        Path(self.folder).rmdir()

    def seen(self, key: str, after: int = 0) -> list[Message]:
        return [fields for _, fields in self.messages[after:] if key in fields]

    async def wait_for(self, key: str, after: int = 0, timeout: float = 30.0) -> Message:
        deadline = time.monotonic() + timeout
        while not (found := self.seen(key, after)):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {key} from the daemon; got {self.messages}")
            await asyncio.sleep(0.05)
        return found[0]


@pytest.fixture
def manager() -> Iterator[FakeManager]:
    fake = FakeManager()
    yield fake
    fake.close()


@pytest.fixture
async def simulator() -> AsyncIterator[RunningServer]:
    shop = Shop(seed=11, orders=ORDERS, now=T0)
    app = create_app(shop, clock=VirtualClock(T0), bucket=Bucket(maximum=1e9, restore_rate=1e9))
    server = await serve(app)
    yield server
    await server.stop()


async def _exit(process: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the daemon did not stop within {timeout}s")
        await asyncio.sleep(0.05)
    return process.returncode


async def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def test_ready_reload_watchdog_and_stopping_reach_the_service_manager(
    simulator: RunningServer, manager: FakeManager, tmp_path: Path
) -> None:
    config = write_config(tmp_path, simulator.url)
    env = daemon_env(NOTIFY_SOCKET=manager.path, WATCHDOG_USEC="400000")
    stderr = (tmp_path / "daemon.log").open("wb")
    process = subprocess.Popen(
        [*DAEMON, "--config", str(config), "--log-format", "json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        ready = await manager.wait_for("READY")
        assert ready["STATUS"].startswith("running rules ")
        await manager.wait_for("WATCHDOG")

        mark = len(manager.messages)
        before = monotonic_usec()
        process.send_signal(signal.SIGHUP)
        reloading = await manager.wait_for("RELOADING", after=mark)
        assert before <= int(reloading["MONOTONIC_USEC"]) <= monotonic_usec()
        again = len(manager.messages) - 1
        while "RELOADING" not in manager.messages[again][1]:
            again -= 1
        await manager.wait_for("READY", after=again + 1)  # the reload cycle ends

        mark = len(manager.messages)
        await asyncio.sleep(1.0)
        assert len(manager.seen("WATCHDOG", after=mark)) >= 2  # every 0.2s: half of 0.4s

        process.send_signal(signal.SIGTERM)
        await manager.wait_for("STOPPING", after=mark)
        assert await _exit(process, DRAIN_SECONDS + 10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        stderr.close()

    lines = (tmp_path / "daemon.log").read_text().splitlines()
    events = [json.loads(line) for line in lines]  # every line is one JSON event
    assert any("rules reloaded" in e["event"] for e in events)
    assert events[-1]["event"] == "stopped"
    assert DEFAULT_TOKEN not in "\n".join(lines)


async def test_sigterm_during_a_sync_loses_nothing_and_half_writes_nothing(
    simulator: RunningServer, tmp_path: Path
) -> None:
    expected = await reference(tmp_path / "reference.db", simulator.url)
    folder = tmp_path / "box"
    folder.mkdir()
    config = write_config(folder, simulator.url)
    db = folder / "orderwatch.db"

    process = subprocess.Popen(
        [*DAEMON, "--config", str(config)],
        cwd=folder,
        env=daemon_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _until(lambda: db.exists() and count(db) >= 300)
        process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        assert await _exit(process, DRAIN_SECONDS + 10) == 0
        took = time.monotonic() - stopped_at
    finally:
        if process.poll() is None:
            process.kill()

    done = count(db)
    assert 0 < done < ORDERS, "the stop must land in the middle of the first sync"
    assert took < DRAIN_SECONDS + 5
    assert not wal_path(db).exists()  # closed cleanly: the last connection folded the WAL in
    assert integrity_problems(db) == []
    assert cursor_within_data(db)

    process = subprocess.Popen(
        [*DAEMON, "--config", str(config)],
        cwd=folder,
        env=daemon_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _until(lambda: count(db) >= ORDERS, timeout=60)
        await asyncio.sleep(1.5)  # one more pass: the run records its end
    finally:
        process.send_signal(signal.SIGTERM)
        assert await _exit(process, DRAIN_SECONDS + 10) == 0
    assert mirror(db) == expected  # none lost, none doubled, none half-written
