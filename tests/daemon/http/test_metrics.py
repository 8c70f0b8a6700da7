"""/metrics parses as Prometheus text and moves when the daemon's state moves."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from daemon.commands import run_daemon
from daemon.config import Config, Feed, HttpConfig
from daemon.http.metrics import Family, render
from daemon.runner import Daemon
from daemon.simulator.app import DEFAULT_TOKEN, create_app
from daemon.simulator.server import RunningServer, serve
from daemon.simulator.shop import Shop
from sync.clock import VirtualClock
from tests.conftest import T0, daemon_started
from tests.daemon.http.prometheus import ExpositionError, parse, total, value

ROOT = Path(__file__).resolve().parents[3]


def test_rendered_text_round_trips_awkward_label_values() -> None:
    awkward = 'a "quoted" back\\slash\nand a new line'
    text = render(
        [
            Family("orderwatch_things", "gauge", "Things.\nTwo lines.").add(3, kind=awkward),
            Family("orderwatch_events_total", "counter", "Events.").add(1.5).add(2, "", a="b"),
        ]
    )

    families = parse(text)

    assert value(families, "orderwatch_things", kind=awkward) == 3
    assert value(families, "orderwatch_events_total") == 1.5
    assert families["orderwatch_things"].help == "Things.\\nTwo lines."


@pytest.mark.parametrize(
    "text",
    [
        "orderwatch_x 1\n",  # no TYPE
        "# TYPE orderwatch_x counter\norderwatch_x 1\n",  # counter without _total
        '# TYPE orderwatch_x gauge\norderwatch_x{a="\\q"} 1\n',  # bad escape
        "# TYPE orderwatch_x gauge\norderwatch_x one\n",  # not a number
        "# TYPE orderwatch_x gauge\norderwatch_x 1\norderwatch_x 2\n",  # repeated series
        "# TYPE orderwatch_x gauge\n# TYPE orderwatch_y gauge\norderwatch_x 1\n",  # split group
        '# TYPE orderwatch_x gauge\norderwatch_x{__name="a"} 1\n',  # reserved label
    ],
)
def test_the_reader_refuses_what_prometheus_refuses(text: str) -> None:
    with pytest.raises(ExpositionError):
        parse(text)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
async def simulator(clock: VirtualClock) -> AsyncIterator[RunningServer]:
    server = await serve(create_app(Shop(seed=3, orders=300, now=clock.now()), clock=clock))
    yield server
    await server.stop()


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_metrics_follow_escalations_failures_and_reloads(
    simulator: RunningServer, clock: VirtualClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    shutil.copy(ROOT / "rules.toml", rules)
    settings = {
        "url": simulator.url,
        "token": DEFAULT_TOKEN,
        "retries": "1",
        "timeout_seconds": "1",
        "breaker_failures": "1",
        "breaker_cooldown_seconds": "600",
    }
    config = Config(
        database=tmp_path / "orderwatch.db",
        rules=rules,
        sources=(Feed("shop", "shopify", timedelta(seconds=1), settings),),
        http=HttpConfig("127.0.0.1", 0),
    )
    started: asyncio.Future[Daemon] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run_daemon(config, clock, stop_after=60, started=started))
    daemon = await daemon_started(started, task)
    assert daemon.http is not None

    async with httpx.AsyncClient(base_url=daemon.http.url) as client:

        async def escalated() -> bool:
            response = await client.get("/metrics")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
            return total(parse(response.text), "orderwatch_escalations", state="firing") > 0

        await _until(escalated)

        async def delivered() -> bool:  # the ladder's console notices go out at once
            found = parse((await client.get("/metrics")).text)
            return value(found, "orderwatch_outbox_messages", state="pending") == 0

        await _until(delivered)

        async def evaluated() -> bool:  # escalations open inside a pass; it may still be running
            found = parse((await client.get("/metrics")).text)
            return value(found, "orderwatch_rule_evaluation_seconds_count") >= 1

        await _until(evaluated)
        got = parse((await client.get("/metrics")).text)
        assert value(got, "orderwatch_source_sync_lag_seconds", source="shop", kind="shopify") == 0
        assert value(got, "orderwatch_source_errors_total", source="shop", kind="shopify") == 0
        assert value(got, "orderwatch_source_breaker_state", source="shop", state="closed") == 1
        assert value(got, "orderwatch_outbox_messages", state="failed") == 0
        assert value(got, "orderwatch_rules_last_reload_successful") == 1
        assert value(got, "orderwatch_rule_evaluation_seconds_count") >= 1
        version = daemon.engine.rules.version
        assert value(got, "orderwatch_rules_info", version=version) == 1

        await simulator.stop()  # the shop goes away

        async def failing() -> bool:
            found = parse((await client.get("/metrics")).text)
            return value(found, "orderwatch_source_failing", source="shop", kind="shopify") == 1

        await _until(failing)
        got = parse((await client.get("/metrics")).text)
        assert value(got, "orderwatch_source_errors_total", source="shop", kind="shopify") >= 1
        assert value(got, "orderwatch_source_breaker_state", source="shop", state="open") == 1

        rules.write_text(rules.read_text() + "\n[[rules]]\nid = 'broken'\ntimeout = 'soon'\n")

        async def refused() -> bool:
            found = parse((await client.get("/metrics")).text)
            return value(found, "orderwatch_rules_last_reload_successful") == 0

        await _until(refused)
        got = parse((await client.get("/metrics")).text)
        assert value(got, "orderwatch_rules_reloads_total", result="rejected") == 1
        assert value(got, "orderwatch_rules_info", version=version) == 1  # the old rules run on
    daemon.request_stop()
    await asyncio.wait_for(task, timeout=20)
