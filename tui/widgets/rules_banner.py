"""A red line across the top while ``rules.toml`` is rejected: the old rules keep running."""

from __future__ import annotations

from textual.widgets import Static

from tui.css import beside
from tui.desk import Board


class RulesBanner(Static):
    DEFAULT_CSS = beside(__file__)

    def __init__(self, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)

    def show(self, board: Board) -> None:
        error = board.health.rules_error if board.health else ""
        self.display = bool(error)
        if error:
            first = error.splitlines()[0]
            more = error.count("\n")
            tail = f" (+{more} more)" if more else ""
            self.update(f"rules.toml rejected, the previous rules still run: {first}{tail}")
