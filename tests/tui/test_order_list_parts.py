"""The order list's parts that need no terminal: its cache, its columns, the change log."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.cells import cell_len

from sync.store import QueueLine
from tui.live import Change, ChangeLog
from tui.row_cache import RowCache
from tui.widgets.order_columns import LINE_WIDTH, fit, line_cells

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def line(order_id: int, name: str = "王芳", seq: int = 1) -> QueueLine:
    return QueueLine(
        id=order_id,
        number=f"#{order_id}",
        created_at=NOW,
        customer_name=name,
        payment_status="paid",
        fulfillment_status="unfulfilled",
        lifecycle="open",
        carrier="",
        shipment_status="",
        shipment_count=0,
        escalation_state="",
        escalation_severity="",
        escalation_deadline=None,
        change_seq=seq,
    )


def test_cache_forgets_the_least_recently_shown() -> None:
    cache = RowCache(capacity=2)
    cache.put([1, 2], [line(1), line(2)], cache.epoch)
    assert cache.get(1) is not None  # 1 is now more recent than 2
    cache.put([3], [line(3)], cache.epoch)
    assert cache.missing([1, 2, 3]) == [2]


def test_cache_marks_gone_and_stale_orders() -> None:
    cache = RowCache()
    cache.put([1, 2], [line(1)], cache.epoch)
    assert cache.is_gone(2)
    assert cache.missing([1, 2]) == []
    cache.invalidate([1, 2])
    assert cache.stale([1, 2]) == [1]
    assert cache.get(1) is not None  # still shown until read again
    assert cache.missing([2]) == [2]
    cache.put([1], [line(1, seq=2)], cache.epoch)
    assert cache.stale([1]) == []


def test_a_read_older_than_a_change_leaves_the_order_marked() -> None:
    cache = RowCache()
    cache.put([1], [line(1)], cache.epoch)
    started = cache.epoch
    cache.invalidate([1])  # the order changed while a read of it was under way
    cache.put([1], [line(1)], started)
    assert cache.stale([1]) == [1]


def test_cells_fit_chinese_names_by_terminal_cells() -> None:
    assert fit("欧阳娜娜王芳李娜张伟", 9) == "欧阳娜娜…"
    assert cell_len(fit("欧阳娜娜王芳李娜张伟", 9)) == 9
    for width in (LINE_WIDTH, 120):
        cells = line_cells(line(1, "欧阳娜娜欧阳娜娜欧阳娜娜"), NOW, width)
        assert sum(cell_len(text) for text, _ in cells) == width


def test_change_log_merges_what_a_screen_missed() -> None:
    log = ChangeLog(keep=3)
    seen = log.serial
    log.add(Change(frozenset({1})))
    log.add(Change(frozenset({2})))
    assert log.since(seen) == Change(frozenset({1, 2}))
    assert not log.since(log.serial)
    for order_id in range(3, 7):
        log.add(Change(frozenset({order_id})))
    assert log.since(seen) == Change(everything=True)
