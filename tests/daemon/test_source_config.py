"""The config of API order sources: reconcile, lookback, status_map, webhook secrets, [http]."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from daemon.config import HttpConfig, load_config
from sync.errors import ConfigError

WOO = """
[[sources]]
name = "woo"
kind = "woocommerce"
url = "https://shop.example"
key_env = "WOO_KEY"
secret_env = "WOO_SECRET"
webhook_secret_env = "WOO_HOOK"
"""
ENV = {"WOO_KEY": "ck", "WOO_SECRET": "cs", "WOO_HOOK": "hush"}


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "orderwatchd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    (source,) = load_config(config_file(tmp_path, WOO), ENV).sources
    assert (source.settings["key"], source.settings["webhook_secret"]) == ("ck", "hush")
    assert "webhook_secret_env" not in source.settings


def test_reconcile_and_lookback_are_durations(tmp_path: Path) -> None:
    text = WOO + 'reconcile = "24h"\nlookback = "15m"\n'
    (source,) = load_config(config_file(tmp_path, text), ENV).sources
    assert source.reconcile == timedelta(hours=24)
    assert source.settings["lookback_seconds"] == "900"


def test_a_source_without_reconcile_never_reconciles(tmp_path: Path) -> None:
    (source,) = load_config(config_file(tmp_path, WOO), ENV).sources
    assert source.reconcile is None


def test_status_map_may_be_a_table(tmp_path: Path) -> None:
    text = WOO + '[sources.status_map]\n"wc-awaiting-pickup" = "in_progress"\n'
    text += 'shipped = ["paid", "fulfilled"]\n'
    (source,) = load_config(config_file(tmp_path, text), ENV).sources
    assert source.settings["status_map"] == "wc-awaiting-pickup=in_progress,shipped=paid+fulfilled"


def test_status_map_may_be_a_text(tmp_path: Path) -> None:
    text = WOO + 'status_map = "wc-awaiting-pickup=in_progress"\n'
    (source,) = load_config(config_file(tmp_path, text), ENV).sources
    assert source.settings["status_map"] == "wc-awaiting-pickup=in_progress"


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    text = WOO + 'reconcile = "daily"\nlookback = "soon"\n[sources.status_map]\nshipped = 3\n'
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, text), ENV)
    assert [p.split(": ", 1)[1].split(":")[0] for p in caught.value.problems] == [
        "sources[0].lookback",
        "sources[0].status_map.shipped",
        "sources[0].reconcile",
    ]


def test_http_listen_is_read(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, WOO + '[http]\nlisten = "127.0.0.1:8787"\n'), ENV)
    assert config.http == HttpConfig("127.0.0.1", 8787)


def test_without_http_nothing_listens(tmp_path: Path) -> None:
    assert load_config(config_file(tmp_path, WOO), ENV).http is None


@pytest.mark.parametrize("listen", ['"8787"', '"localhost:http"', "8787", '"127.0.0.1:99999"'])
def test_a_bad_listen_address_is_a_config_error(tmp_path: Path, listen: str) -> None:
    with pytest.raises(ConfigError, match=r"http\.listen"):
        load_config(config_file(tmp_path, f"[http]\nlisten = {listen}\n"), ENV)


def test_an_unknown_http_key_is_a_config_error(tmp_path: Path) -> None:
    text = '[http]\nlisten = "127.0.0.1:8787"\nport = 1\n'
    with pytest.raises(ConfigError, match=r"http\.port: unknown key"):
        load_config(config_file(tmp_path, text), ENV)
