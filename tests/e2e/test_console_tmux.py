"""The console in a real terminal: the demo (simulator, daemon and console) runs in a tmux pane,
an agent looks an order up by the last digits of its phone, reads its timeline, acknowledges its
escalation, and the database the daemon keeps shows the acknowledgement."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / ".venv" / "bin" / "orderwatchd"
LOGIN = pwd.getpwuid(os.getuid()).pw_name

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], seconds: float = 60) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class Pane:
    def __init__(self, socket: Path) -> None:
        self.socket = socket
        """The tmux server's socket, in the test's own folder: nothing left behind in /tmp."""

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], check=True, capture_output=True, text=True
        )
        return done.stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "demo", *keys)

    def shows(self, text: str, seconds: float = 60) -> str:
        return wait_for(
            f"{text!r} on screen", lambda: self.text() if text in self.text() else None, seconds
        )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Pane, Path]]:
    db = tmp_path / "demo.db"
    pane = Pane(tmp_path / "tmux.sock")
    command = (
        f"cd {ROOT} && env HOME={tmp_path} TERM=xterm-256color "
        f"{DEMO} demo --orders 300 --db {db}; sleep 600"
    )
    pane.tmux("new-session", "-d", "-s", "demo", "-x", "100", "-y", "40", command)
    try:
        yield pane, db
    finally:
        subprocess.run(["tmux", "-S", str(pane.socket), "kill-server"], check=False)


def _query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet
    finally:
        con.close()


def _firing_order(db: Path) -> tuple[int, str, str] | None:
    """A firing escalation whose order's phone ends in four digits no other phone ends in."""
    rows = _query(
        db,
        "SELECT e.id, o.number, o.phone FROM escalations e JOIN orders o ON o.id = e.order_id "
        "WHERE e.state = 'firing' AND o.phone != '' ORDER BY e.id",
    )
    phones = [re.sub(r"\D", "", str(p)) for (p,) in _query(db, "SELECT phone FROM orders")]
    for escalation_id, number, phone in rows:
        last_four = re.sub(r"\D", "", str(phone))[-4:]
        if sum(1 for other in phones if other.endswith(last_four)) == 1:
            return int(str(escalation_id)), str(number), last_four
    return None


def test_phone_lookup_reaches_the_timeline_and_an_ack_lands_in_the_database(
    demo: tuple[Pane, Path],
) -> None:
    pane, db = demo
    pane.shows("Queue ·")
    escalation_id, number, digits = wait_for("a firing escalation", lambda: _firing_order(db))
    pane.keys("C-f")
    pane.shows("Find an order")
    pane.keys(digits, "Enter")
    screen = pane.shows(f"Order {number}")
    assert "Escalations" in screen
    for _ in range(6):  # down the detail to its timeline
        if "Timeline · times in" in pane.text():
            break
        pane.keys("PageDown")
        time.sleep(0.3)
    assert f"order {number} created" in pane.shows("Timeline · times in")
    for _ in range(3):  # the daemon's ladder may move the escalation first: then press again
        pane.keys("a")
        acked = wait_for(
            "the acknowledgement or a lost race",
            lambda: (
                _query(db, "SELECT state, acked_by FROM escalations WHERE id = ?", escalation_id)
                if "acknowledged by" in pane.text() or "got there first" in pane.text()
                else None
            ),
            seconds=30,
        )
        if acked[0] == ("acknowledged", LOGIN):
            break
        time.sleep(1)
    assert acked[0] == ("acknowledged", LOGIN)
    logged = _query(
        db,
        "SELECT actor FROM events WHERE subject_kind = 'escalation' AND subject_id = ? "
        "AND kind = 'acknowledged'",
        escalation_id,
    )
    assert logged == [(LOGIN,)]
    pane.keys("q")
    pane.shows("Queue ·")
    pane.keys("q")  # quitting the console stops the demo
    wait_for("the demo to stop", lambda: "Queue ·" not in pane.text(), seconds=30)
