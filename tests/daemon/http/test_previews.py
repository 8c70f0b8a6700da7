"""Link previews by chat apps are not the customer's views, and do not use up the link's limit.

The user agents are ones these clients send (as logged by sites receiving their previews).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from daemon.http.limits import PageLimits, Rate
from daemon.http.previews import is_preview
from sync.store import Store
from tests.daemon.http.tracking_site import Site, open_site

PREVIEWERS = {
    "whatsapp": "WhatsApp/2.23.20.0 A",
    "whatsapp ios": "WhatsApp/2.2336.7 i",
    "telegram": "TelegramBot (like TwitterBot)",
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "slack images": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "imessage": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like "
        "Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
    ),
    "twitter": "Twitterbot/1.0",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "skype": (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
        "skype-url-preview@microsoft.com"
    ),
    "wechat fetcher": "Mozilla/5.0 (compatible; WeChat/8.0; +https://weixin.qq.com)",
    "google": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "generic bot": "link checker bot",
}

CUSTOMERS = {
    "iphone safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
    ),
    "android chrome": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.144 Mobile Safari/537.36"
    ),
    "wechat browser": (
        "Mozilla/5.0 (Linux; Android 13; V2219A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110005 "
        "MMWEBSDK/20230805 MMWEBID/6007 MicroMessenger/8.0.42.2460(0x28002A58) WeChat/arm64 "
        "Weixin NetType/WIFI Language/zh_CN ABI/arm64"
    ),
    "cubot phone": (
        "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.0.0 Mobile Safari/537.36"
    ),
    "facebook app": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.31.105;FBBV/537010853]"
    ),
    "telegram browser": (
        "Mozilla/5.0 (Linux; Android 12; SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/118.0.0.0 Mobile Safari/537.36 Telegram-Android/10.2.6"
    ),
}


@pytest.mark.parametrize("agent", PREVIEWERS.values(), ids=PREVIEWERS.keys())
def test_chat_apps_fetching_a_preview_are_told_apart(agent: str) -> None:
    assert is_preview("GET", agent)


@pytest.mark.parametrize("agent", CUSTOMERS.values(), ids=CUSTOMERS.keys())
def test_customers_browsers_are_not_previews(agent: str) -> None:
    assert not is_preview("GET", agent)


def test_a_head_request_is_a_preview_whoever_sends_it() -> None:
    assert is_preview("HEAD", CUSTOMERS["iphone safari"])


@pytest.fixture
async def site(store: Store) -> AsyncIterator[Site]:
    async with open_site(store, limits=PageLimits(per_link=Rate(6, timedelta(minutes=1), 2))) as s:
        yield s


async def get(site: Site, path: str, agent: str) -> int:
    return (await site.client.get(path, headers={"User-Agent": agent})).status_code


async def test_previews_are_audited_apart_from_the_customers_view(site: Site) -> None:
    link = site.link(site.shop.wang)
    assert await get(site, link, PREVIEWERS["whatsapp"]) == 200
    assert await get(site, link, PREVIEWERS["imessage"]) == 200
    assert await get(site, link, CUSTOMERS["wechat browser"]) == 200
    rows = await site.store.page_accesses(site.shop.wang)
    assert [r.outcome for r in rows] == ["previewed", "previewed", "viewed"]
    (used,) = await site.store.link_views(site.shop.wang)
    assert (used.views, used.previews, used.refused) == (1, 2, 0)


async def test_the_timeline_counts_only_the_customers_views(site: Site) -> None:
    link = site.link(site.shop.wang)
    for agent in (PREVIEWERS["telegram"], PREVIEWERS["slack"], CUSTOMERS["iphone safari"]):
        await get(site, link, agent)
    timeline = [e for e in await site.store.events(site.shop.wang) if e.actor == "customer"]
    assert [(e.kind, e.to_value) for e in timeline] == [
        ("tracking_link_previewed_by_chat_app", "1×"),
        ("customer_viewed_tracking_page", "1×"),
    ]


async def test_previews_do_not_use_up_the_links_limit(site: Site) -> None:
    link = site.link(site.shop.wang)
    previews = [await get(site, link, agent) for agent in list(PREVIEWERS.values())[:8]]
    assert previews == [200] * 8
    customer = CUSTOMERS["android chrome"]
    assert [await get(site, link, customer) for _ in range(3)] == [200, 200, 429]


async def test_a_head_request_is_answered_and_audited_as_a_preview(site: Site) -> None:
    response = await site.client.head(site.link(site.shop.emma))
    assert response.status_code == 200
    assert response.content == b""
    assert [r.outcome for r in await site.store.page_accesses(site.shop.emma)] == ["previewed"]


async def test_a_preview_of_a_bad_link_is_refused_like_any_other(site: Site) -> None:
    genuine = site.link(site.shop.wang)
    tampered = genuine[:-3] + ("A" if genuine[-3] != "A" else "B") + genuine[-2:]
    assert await get(site, tampered, PREVIEWERS["whatsapp"]) == 404
    rows = await site.store.page_accesses_from("127.0.0.1", site.clock.now())
    assert [r.outcome for r in rows] == ["invalid"]
