"""Telling a link preview from a customer opening the tracking page.

Chat apps and SMS clients fetch a link as soon as it is pasted or received, to draw a card with
its title (WhatsApp, Telegram, Slack, Discord, iMessage, Skype and Teams, Facebook Messenger,
LinkedIn, X): the order's page is then "viewed" before the customer has looked at it. Such a
request names itself in its user agent, or asks for the headers alone (``HEAD``). A preview is
served like any view but audited as a preview, never counted as the customer's, and it does not
use up the link's own rate limit (the address's limit still applies).

The user agent is a claim anyone can make: a preview is therefore never trusted with more than a
view (the same masked page), and a refused link is refused to it exactly as to anyone else.

WeChat is the exception to "an app's name means a preview": ``MicroMessenger`` is WeChat's own
browser, where Chinese customers open the links they are sent, so it counts as a view; a WeChat
fetcher that does not carry it (``WeChat``, ``WechatBot``) is a preview.
"""

from __future__ import annotations

import re

_APPS = re.compile(
    r"whatsapp|telegrambot|slackbot|slack-imgproxy|facebookexternalhit|facebot|"
    r"meta-externalagent|twitterbot|discordbot|linkedinbot|skypeuripreview|"
    r"microsoftpreview|bingpreview|pinterestbot|redditbot|embedly|vkshare|"
    r"line-poker|google-pagerenderer|iframely|mastodon|bluesky|preview",
    re.IGNORECASE,
)
# A product token whose name ends in "bot" ("Googlebot/2.1", "SomeBot;") or the word "bot"
# alone; a phone model such as "CUBOT X19" is neither.
_BOT = re.compile(r"[a-z0-9_]bot(?:/|;|\)|$)|(?<![a-z0-9])bot(?![a-z0-9])", re.IGNORECASE)
_WECHAT = re.compile(r"wechat", re.IGNORECASE)
_WECHAT_BROWSER = re.compile(r"micromessenger", re.IGNORECASE)
_GENERIC = re.compile(r"crawler|spider|(?<![a-z])fetcher|unfurl", re.IGNORECASE)


def is_preview(method: str, user_agent: str) -> bool:
    """Whether a request is a link preview rather than someone reading the page."""
    if method.upper() == "HEAD":
        return True
    if _WECHAT_BROWSER.search(user_agent):
        return False
    return bool(
        _APPS.search(user_agent)
        or _BOT.search(user_agent)
        or _WECHAT.search(user_agent)
        or _GENERIC.search(user_agent)
    )
