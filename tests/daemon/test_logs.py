"""One line per event, for people or as JSON; secrets never reach a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.config import Config, Feed
from daemon.logs import REDACTED, Redactor, config_secrets, protect, setup_logging
from daemon.service_config import Service

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
SECRET = "wc-secret-Zq81-very-private"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_human_lines_are_one_line_per_event(stream: io.StringIO) -> None:
    setup_logging("info", "human", stream)
    log = logging.getLogger("orderwatch.test")
    try:
        raise ValueError("bad\npage")
    except ValueError:
        log.exception("shop: sync failed\nat page 3")
    log.info("shop: 12 orders changed")

    lines = _lines(stream)
    assert len(lines) == 2
    assert " ERROR   orderwatch.test: shop: sync failed | at page 3 | Traceback" in lines[0]
    assert "ValueError: bad | page" in lines[0]
    assert lines[1].endswith("INFO    orderwatch.test: shop: 12 orders changed")


def test_json_lines_carry_time_level_logger_event_and_extras(stream: io.StringIO) -> None:
    setup_logging("info", "json", stream)
    logging.getLogger("orderwatch.daemon").warning(
        "%s: rate limited", "shop", extra={"source": "shop", "order_id": 42}
    )

    line = json.loads(_lines(stream)[0])
    assert line["level"] == "warning"
    assert line["logger"] == "orderwatch.daemon"
    assert line["event"] == "shop: rate limited"
    assert line["source"] == "shop"
    assert line["order_id"] == 42
    assert line["ts"].endswith("Z")


def test_a_json_traceback_stays_inside_its_line(stream: io.StringIO) -> None:
    setup_logging("info", "json", stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("orderwatch").exception("crashed")

    lines = _lines(stream)
    assert len(lines) == 1
    assert "RuntimeError: boom" in json.loads(lines[0])["exc"]


def test_configured_secrets_are_redacted_everywhere(stream: io.StringIO) -> None:
    setup_logging("debug", "json", stream)
    protect([SECRET])
    log = logging.getLogger("orderwatch.test")
    log.error("auth refused for %s", SECRET, extra={"detail": f"key={SECRET}"})
    try:
        raise PermissionError(f"401 with {SECRET}")
    except PermissionError:
        log.exception("failed")

    text = stream.getvalue()
    assert SECRET not in text
    assert REDACTED in json.loads(_lines(stream)[0])["event"]


@pytest.mark.parametrize(
    "message",
    [
        "Authorization: Bearer abcdefghijklmnop.qrstuvwx",
        f"X-Shopify-Access-Token: {TOKEN}",
        "GET https://shop.example/wp-json/wc/v3/orders?consumer_key=ck_1&consumer_secret=cs_2",
        "GET https://api.example/track?access_token=abc123def456",
        f"token {TOKEN} refused",
        "key ck_0123456789abcdef0123456789abcdef01234567 refused",
        "headers {'17token': 'ABCDEF0123456789'}",
    ],
)
def test_token_shapes_are_redacted_without_configuration(message: str) -> None:
    redacted = Redactor().redact(message)

    assert REDACTED in redacted
    for secret in ("abcdefghijklmnop", TOKEN, "ck_1", "cs_2", "abc123def456", "ABCDEF0123456789"):
        assert secret not in redacted
    assert "ck_0123456789abcdef0123456789abcdef01234567" not in redacted


def test_short_values_are_not_redacted() -> None:
    assert Redactor(["1", "abc"]).redact("page 1 of abc") == "page 1 of abc"


def test_the_longest_secret_is_redacted_first() -> None:
    redactor = Redactor(["secret", "secret-and-more"])

    assert redactor.redact("x secret-and-more y") == f"x {REDACTED} y"


def test_config_secrets_are_the_credential_settings_and_the_secrets_file() -> None:
    feed = Feed(
        "shop",
        "woocommerce",
        timedelta(minutes=1),
        {"url": "https://shop.example", "key": "ck_live", "secret": SECRET, "page_size": "50"},
    )
    config = Config(
        database=Path("db"),
        rules=Path("rules.toml"),
        sources=(feed,),
        service=Service(secret_values=frozenset({"from-the-file"})),
    )

    assert config_secrets(config) == {"ck_live", SECRET, "from-the-file"}


def test_httpx_request_lines_are_quieted(stream: io.StringIO) -> None:
    setup_logging("info", "human", stream)

    logging.getLogger("httpx").info("HTTP Request: GET https://shop.example")

    assert stream.getvalue() == ""
