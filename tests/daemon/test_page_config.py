"""The tracking page's [http] keys: public_url, link_key_env, trusted_proxies, lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.page_config import PageConfig
from sync.errors import ConfigError

KEY = "k" * 40


def load(tmp_path: Path, http: str, environ: dict[str, str] | None = None) -> PageConfig:
    path = tmp_path / "orderwatchd.toml"
    path.write_text('[http]\nlisten = "127.0.0.1:8787"\n' + http, encoding="utf-8")
    config = load_config(path, environ or {})
    assert config.http is not None
    return config.http.page


def test_the_page_keys_are_read(tmp_path: Path) -> None:
    page = load(
        tmp_path,
        'public_url = "https://track.example.com/"\nlink_key_env = "LINK_KEY"\n'
        'trusted_proxies = ["127.0.0.1", "::1"]\nlookup = false\n',
        {"LINK_KEY": KEY},
    )
    assert page.public_url == "https://track.example.com"
    assert (page.link_key_env, page.link_key) == ("LINK_KEY", KEY)
    assert page.trusted_proxies == frozenset({"127.0.0.1", "::1"})
    assert page.lookup is False


def test_without_page_keys_the_defaults_hold(tmp_path: Path) -> None:
    assert load(tmp_path, "") == PageConfig()


def test_the_link_key_may_come_from_the_secrets_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"LINK_KEY={KEY}\n", encoding="utf-8")
    secrets.chmod(0o600)
    path = tmp_path / "orderwatchd.toml"
    path.write_text(
        'secrets_file = "secrets.env"\n[http]\nlisten = "127.0.0.1:0"\nlink_key_env = "LINK_KEY"\n',
        encoding="utf-8",
    )
    config = load_config(path, {})
    assert config.http is not None
    assert config.http.page.link_key == KEY


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            tmp_path,
            'public_url = "track.example.com"\nlink_key_env = "SHORT"\n'
            'trusted_proxies = ["proxy"]\nlookup = "yes"\n',
            {"SHORT": "abc"},
        )
    problems = "\n".join(caught.value.problems)
    for key in ("public_url", "link_key_env", "trusted_proxies", "lookup"):
        assert f"http.{key}" in problems
    assert len(caught.value.problems) == 4


def test_an_unset_key_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LINK_KEY is not set"):
        load(tmp_path, 'link_key_env = "LINK_KEY"\n')
