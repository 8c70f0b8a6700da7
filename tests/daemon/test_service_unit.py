"""The shipped systemd unit matches what the daemon does."""

from __future__ import annotations

import configparser
import re
from importlib.resources import files
from pathlib import Path

from daemon.lifecycle import DRAIN_SECONDS
from daemon.service_config import SERVICE_KEYS
from daemon.vitals import SCHEDULER_STALE

ROOT = Path(__file__).resolve().parents[2]


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((files("daemon") / "orderwatchd.service").read_text(encoding="utf-8"))
    return parser


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)", value)
    assert match, value
    return float(match.group(1)) * (60 if match.group(2) == "min" else 1)


def test_the_unit_speaks_notify_and_reloads_with_sighup() -> None:
    service = _unit()["Service"]

    assert service["Type"] == "notify"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert " run --config " in service["ExecStart"]


def test_the_stop_timeout_leaves_room_for_the_drain() -> None:
    service = _unit()["Service"]

    assert _seconds(service["TimeoutStopSec"]) >= DRAIN_SECONDS + 10


def test_the_watchdog_outlasts_a_slow_rules_pass() -> None:
    service = _unit()["Service"]

    assert _seconds(service["WatchdogSec"]) >= SCHEDULER_STALE


def test_the_unit_is_hardened_and_shares_files_with_the_agents_group() -> None:
    service = _unit()["Service"]

    assert service["UMask"] == "0007"
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"]
    assert service["CapabilityBoundingSet"] == ""


def test_the_readme_documents_the_unit_and_the_service_keys() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert "daemon/orderwatchd.service" in readme
    for key in sorted(SERVICE_KEYS):
        assert f"`{key}`" in readme or f"{key} =" in readme, key
    for command in ("orderwatchd backup", "orderwatchd restore", "orderwatchd doctor"):
        assert command in readme
