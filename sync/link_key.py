"""The key that signs tracking-page links: from the environment, or a key file beside the database.

Two places, in this order:

1. an environment variable whose name the daemon's config gives (``[http] link_key_env``), for
   shops that keep secrets in a service manager or vault; at least 32 characters;
2. otherwise ``tracking-link.key`` in the database's folder (``data/``), created on first use by
   the daemon or ``orderwatchd link`` with 256 random bits, mode 0600. A key file that other
   users can read is refused, as ssh refuses a readable private key.

Whoever signs or checks links needs the same key: the console of an agent logged in as another
user cannot read the daemon's key file and must be given the variable instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from sync.errors import ConfigError

KEY_FILE = "tracking-link.key"
MIN_KEY_CHARS = 32


def key_file(database: Path) -> Path:
    """Where the key file lives for the database at ``database``."""
    return database.parent / KEY_FILE


def load_key(
    *,
    env_name: str = "",
    environ: Mapping[str, str] | None = None,
    path: Path,
    create: bool = False,
) -> bytes:
    """The link key: from ``env_name`` when it is given, else from the file at ``path``.

    ``create`` (the daemon's side) writes a new key file when there is none. Every failure is a
    :class:`~sync.errors.ConfigError` with one readable line.
    """
    if env_name:
        env = os.environ if environ is None else environ
        value = env.get(env_name, "").strip()
        if not value:
            raise ConfigError(f"the link key variable {env_name} is not set")
        if len(value) < MIN_KEY_CHARS:
            raise ConfigError(
                f"the link key in {env_name} is shorter than {MIN_KEY_CHARS} characters"
            )
        return value.encode()
    if not path.exists():
        if not create:
            raise ConfigError(f"{path}: no link key yet (the daemon or orderwatchd link makes one)")
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    """Write a new key whole, then link it into place: a racing process sees all of it or none."""
    if not path.parent.is_dir():
        raise ConfigError(f"{path}: the folder {path.parent} does not exist")
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another process made one first: use theirs
            os.link(draft, path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create the link key: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(draft)


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise ConfigError(
                f"{path}: the link key is readable by other users; run chmod 600 {path}"
            )
        value = path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the link key: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the link key is not text") from exc
    if len(value) < MIN_KEY_CHARS:
        raise ConfigError(f"{path}: the link key is shorter than {MIN_KEY_CHARS} characters")
    return value.encode()
