"""The order guards' flags on the order detail: what each check found, since when, who
dismissed it."""

from __future__ import annotations

from datetime import tzinfo

from textual.content import Content

from tui import words
from tui.order_file import OrderFile

_NAMES = {
    "merge_suggested": "pack together",
    "courier_moving_unfulfilled": "courier has it, shop says unshipped",
    "fulfilled_without_tracking": "fulfilled, no tracking number",
    "label_not_scanned": "label never scanned",
    "not_released": "not released to the warehouse",
    "duplicate_shipment": "duplicate shipment",
    "address_problem": "address problem",
    "conflicting_edit": "conflicting edits",
}


def guard_name(check: str) -> str:
    """A guard check in the agent's words."""
    return _NAMES.get(check, check.replace("_", " "))


def guard_flags(file: OrderFile, zone: tzinfo, width: int) -> Content:
    """The flags that are up, active ones first; empty when there are none."""
    if not file.guards:
        return Content("")
    lines: list[Content] = [Content.styled("Guards · d dismisses one", "bold $accent")]
    for flag in sorted(file.guards, key=lambda f: (not f.active, f.id)):
        since = words.local_time(flag.since, zone)[5:]
        if flag.active:
            head = Content.styled(f" ⚑ {guard_name(flag.check)}", "bold $warning")
            tail = f"  since {since}"
        else:
            head = Content.styled(f"   {guard_name(flag.check)}", "$text-muted")
            tail = f"  dismissed by {flag.dismissed_by}"
        body = Content.assemble(f": {flag.detail}", (tail, "$text-muted"))
        for n, line in enumerate(Content.assemble(head, body).wrap(max(12, width - 1))):
            lines.append(line if n == 0 else Content.assemble("    ", line))
    return Content("\n").join(lines)
