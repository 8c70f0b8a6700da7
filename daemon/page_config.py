"""The ``[http]`` keys of the customer tracking page.

``public_url``
    the address customers reach the daemon's HTTP endpoint at (usually a reverse proxy with
    TLS), e.g. ``"https://track.example.com"``; links are built on it. Without it the page is
    still served, but ``orderwatchd link`` has nothing to print.
``link_key_env``
    the environment variable (or ``secrets_file`` entry) holding the key that signs links, at
    least 32 characters. Without it the key is ``tracking-link.key`` beside the database,
    created on first use with mode 600.
``trusted_proxies``
    addresses of the reverse proxies in front of the daemon; only their ``X-Forwarded-For`` is
    believed, so rate limits apply to the customer's address rather than the proxy's.
``lookup``
    serve the look-up form (order number + last four digits of the phone); default true.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sync.link_key import MIN_KEY_CHARS

PAGE_KEYS = frozenset({"public_url", "link_key_env", "trusted_proxies", "lookup"})


@dataclass(frozen=True, slots=True)
class PageConfig:
    public_url: str = ""
    link_key_env: str = ""
    link_key: str = field(default="", repr=False)
    """The value ``link_key_env`` names, read when the config is loaded."""
    trusted_proxies: frozenset[str] = frozenset()
    lookup: bool = True


def read_page(
    path: Path, table: Mapping[str, Any], env: Mapping[str, str], problems: list[str]
) -> PageConfig:
    return PageConfig(
        public_url=_public_url(path, table.get("public_url", ""), problems),
        link_key_env=str(table.get("link_key_env", "")),
        link_key=_link_key(path, table.get("link_key_env", ""), env, problems),
        trusted_proxies=_proxies(path, table.get("trusted_proxies", []), problems),
        lookup=_flag(path, "lookup", table.get("lookup", True), problems),
    )


def _public_url(path: Path, value: Any, problems: list[str]) -> str:
    if value == "":
        return ""
    parts = urlsplit(str(value))
    if (
        not isinstance(value, str)
        or parts.scheme not in {"http", "https"}
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        problems.append(
            f'{path}: http.public_url: expected an http(s) address such as "https://track.example.com"'
        )
        return ""
    return value.rstrip("/")


def _link_key(path: Path, name: Any, env: Mapping[str, str], problems: list[str]) -> str:
    if name == "":
        return ""
    if not isinstance(name, str):
        problems.append(f"{path}: http.link_key_env: the name of an environment variable")
        return ""
    value = env.get(name, "").strip()
    if not value:
        problems.append(f"{path}: http.link_key_env: environment variable {name} is not set")
    elif len(value) < MIN_KEY_CHARS:
        problems.append(
            f"{path}: http.link_key_env: the key in {name} is shorter than {MIN_KEY_CHARS} "
            "characters"
        )
    return value


def _proxies(path: Path, value: Any, problems: list[str]) -> frozenset[str]:
    if not isinstance(value, list):
        problems.append(f"{path}: http.trusted_proxies: a list of IP addresses")
        return frozenset()
    found: set[str] = set()
    for item in value:
        try:
            found.add(str(ipaddress.ip_address(str(item))))
        except ValueError:
            problems.append(f"{path}: http.trusted_proxies: {item!r} is not an IP address")
    return frozenset(found)


def _flag(path: Path, key: str, value: Any, problems: list[str]) -> bool:
    if not isinstance(value, bool):
        problems.append(f"{path}: http.{key}: true or false")
        return True
    return value
