"""What the list views share: the title line, sorting (o/O) and export (E)."""

from __future__ import annotations

from pathlib import Path

from textual import work

from tui.desk import READ_ERRORS
from tui.screens.acting import ActingScreen
from tui.screens.pickers import ChoiceScreen
from tui.widgets.view_bar import ViewBar


class ListingScreen(ActingScreen):
    filter_text = ""
    """The agent's own ``/`` filter."""

    def _title(self) -> str:
        return ""

    def show_title(self) -> None:
        self.query_one(ViewBar).show(self._title())

    # ----- sorting -----

    def sort_choices(self) -> list[tuple[str, str]]:
        """(name, label) of each sort this list offers."""
        return []

    def set_sort(self, name: str, reverse: bool | None = None) -> None:
        """Sort by ``name`` (one of :meth:`sort_choices`), reversed or not when said."""

    @property
    def sort_name(self) -> str:
        return ""

    reverse = False

    def action_sort(self, name: str = "") -> None:
        if name:
            self._sort_by(name)
        else:
            self._pick_sort()

    def _sort_by(self, name: str) -> None:
        wanted = name.strip().lower()
        reverse = wanted.startswith("-")
        wanted = wanted.lstrip("-")
        known = [value for value, _ in self.sort_choices()]
        if wanted not in known:
            self.notify(f"No sort “{name}”: {', '.join(known)}", severity="warning")
            return
        self.set_sort(wanted, reverse)

    @work(group="sort-picker", exit_on_error=False)
    async def _pick_sort(self) -> None:
        choices = [
            (value, ("● " if value == self.sort_name else "  ") + label)
            for value, label in self.sort_choices()
        ]
        chosen = await self.app.push_screen_wait(ChoiceScreen("Sort by…", choices))
        if chosen:
            self.set_sort(chosen, False)

    def action_reverse(self) -> None:
        self.set_sort(self.sort_name, not self.reverse)

    # ----- export -----

    def action_export(self, path: str = "") -> None:
        self._export(Path(path).expanduser() if path else None)

    @work(group="export", exit_on_error=False)
    async def _export(self, path: Path | None) -> None:
        try:
            await self.export_to(path)
        except (OSError, *READ_ERRORS) as error:
            self.notify(str(error), title="Export failed", severity="error")

    async def export_to(self, path: Path | None) -> None:
        """Write the view to ``path`` (a dated file in the export folder when None)."""
