"""The page's language choice and time formats."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from daemon.http.page_words import ago, carrier_name, choose_language, local_time
from tests.conftest import T0


def test_the_browsers_preferred_known_language_wins() -> None:
    assert choose_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert choose_language("en-US,en;q=0.9,zh;q=0.8") == "en"
    assert choose_language("fr-FR,fr;q=0.9,zh-TW;q=0.5,en;q=0.4") == "zh"
    assert choose_language("en;q=0.2, zh;q=0.8") == "zh"


def test_without_a_known_language_the_page_is_english() -> None:
    assert choose_language("") == "en"
    assert choose_language("de, fr;q=bogus") == "en"


def test_the_switch_link_overrides_the_browser() -> None:
    assert choose_language("zh-CN", "en") == "en"
    assert choose_language("en", "zh") == "zh"
    assert choose_language("en", "xx") == "en"


def test_times_are_shown_in_the_shops_zone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert local_time(T0, shanghai, "en") == "Fri 20 Nov 16:00"
    assert local_time(T0, shanghai, "zh") == "11月20日 周五 16:00"


def test_freshness_reads_naturally() -> None:
    assert ago(T0, T0 + timedelta(seconds=20), "en") == "just now"
    assert ago(T0, T0 + timedelta(minutes=12), "zh") == "12 分钟前"
    assert ago(T0, T0 + timedelta(hours=5), "en") == "5 h ago"
    assert ago(T0, T0 + timedelta(days=3), "en") == "3 days ago"


def test_couriers_go_by_the_name_customers_know() -> None:
    assert carrier_name("sf", "", "zh") == "顺丰速运"
    assert carrier_name("sf", "", "en") == "SF Express"
    assert carrier_name("", "Local Van Co", "en") == "Local Van Co"
