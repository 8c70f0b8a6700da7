"""The headless packages never load Textual (import contract in pyproject.toml too)."""

from __future__ import annotations

import subprocess
import sys


def test_sync_and_daemon_never_import_textual() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import sync, daemon\n"
        "for package in (sync, daemon):\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')"
        " or m == 'tui' or m.startswith('tui.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
