"""Helpers for end-to-end tests that run the daemon as a process against the simulator."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import httpx

from daemon.simulator.app import DEFAULT_TOKEN
from sync.clock import VirtualClock
from sync.connectors import ORDER_SOURCES
from sync.engine import sync_orders
from sync.store import Store
from tests.conftest import T0

ROOT = Path(__file__).resolve().parents[2]
DAEMON = [sys.executable, "-m", "daemon", "run"]


def write_config(folder: Path, url: str, *, page_size: int = 50, extra: str = "") -> Path:
    path = folder / "orderwatchd.toml"
    path.write_text(
        f'database = "orderwatch.db"\nrules = "rules.toml"\n{extra}\n'
        f'[[sources]]\nname = "shop"\nkind = "shopify"\nurl = "{url}"\n'
        f'token_env = "SIM_TOKEN"\ninterval = "1s"\npage_size = "{page_size}"\n'
    )
    (folder / "rules.toml").write_text((ROOT / "rules.toml").read_text(encoding="utf-8"))
    return path


def daemon_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    return {**env, "SIM_TOKEN": DEFAULT_TOKEN, **extra}


def count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT count(*) FROM orders").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def mirror(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT external_id, updated_at, payment_status, fulfillment_status, lifecycle, "
            "(SELECT count(*) FROM line_items li WHERE li.order_id = o.id), "
            "(SELECT group_concat(tracking_number) FROM "
            " (SELECT tracking_number FROM shipments s WHERE s.order_id = o.id ORDER BY 1)) "
            "FROM orders o ORDER BY external_id"
        ).fetchall()
    finally:
        con.close()


def caught_up(db: Path) -> bool:
    """The shop source's current run has ended (the source said it has nothing more)."""
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT run_finished_at FROM sources WHERE name = 'shop'").fetchone()
    finally:
        con.close()
    return row is not None and row[0] is not None


def cursor_within_data(db: Path) -> bool:
    """The committed cursor never claims updates the committed rows do not hold."""
    if not db.exists():
        return True  # killed before the database was created: nothing claimed
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT cursor FROM sources WHERE name = 'shop'").fetchone()
        newest = con.execute("SELECT max(updated_at) FROM orders").fetchone()[0]
    except sqlite3.OperationalError:
        return True  # killed before the schema existed: nothing claimed
    finally:
        con.close()
    if not row or not row[0]:
        return True
    high = json.loads(row[0]).get("high")
    return high is None or (newest is not None and high.replace("+00:00", "Z") <= newest)


async def reference(db: Path, url: str, page_size: int = 50) -> list[tuple[object, ...]]:
    """The exact mirror of the (frozen) simulated shop: a clean sync into its own file."""
    store = await Store.open(db)
    settings = {"url": url, "token": DEFAULT_TOKEN, "page_size": str(page_size)}
    async with httpx.AsyncClient() as client:
        await sync_orders(
            store, ORDER_SOURCES["shopify"]("shop", client, settings), VirtualClock(T0)
        )
    await store.close()
    return mirror(db)
