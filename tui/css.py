"""Stylesheets live in ``.tcss`` files beside the module they style."""

from __future__ import annotations

from pathlib import Path


def beside(module_file: str) -> str:
    """The ``.tcss`` file next to a widget's module, for its ``DEFAULT_CSS``."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
