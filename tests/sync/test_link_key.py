"""The link key: the environment first, else a private key file made on first use."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sync.errors import ConfigError
from sync.link_key import key_file, load_key


def test_the_key_file_is_created_private_on_first_use(tmp_path: Path) -> None:
    path = key_file(tmp_path / "orderwatch.db")
    key = load_key(path=path, create=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32
    assert load_key(path=path) == key


def test_without_create_a_missing_key_file_is_one_readable_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no link key yet"):
        load_key(path=tmp_path / "tracking-link.key")


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tracking-link.key"
    load_key(path=path, create=True)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_key(path=path)


def test_the_named_environment_variable_wins(tmp_path: Path) -> None:
    secret = "s" * 40
    key = load_key(env_name="SHOP_LINK_KEY", environ={"SHOP_LINK_KEY": secret}, path=tmp_path)
    assert key == secret.encode()


def test_a_short_or_missing_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shorter"):
        load_key(env_name="K", environ={"K": "short"}, path=tmp_path)
    with pytest.raises(ConfigError, match="not set"):
        load_key(env_name="K", environ={}, path=tmp_path)
