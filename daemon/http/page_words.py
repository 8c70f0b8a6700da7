"""The tracking page's words in English and Chinese, the language choice, and time formats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sync.carriers import carrier

LANGUAGES: Final = ("en", "zh")
DEFAULT_LANGUAGE: Final = "en"

_EN: dict[str, str] = {
    "title": "Order {number}",
    "heading": "Where is my order?",
    "awaiting_payment": "Waiting for payment",
    "paid": "Paid, and being prepared",
    "packed": "Packed, waiting for the courier",
    "shipped": "Handed to the courier",
    "in_transit": "On its way",
    "delayed": "On its way, running late",
    "exception": "The courier reports a problem; the shop is looking into it",
    "no_updates": "The courier has stopped reporting; the shop is looking into it",
    "out_for_delivery": "Out for delivery",
    "pickup": "Ready to pick up",
    "delivery_failed": "A delivery attempt failed; the courier will try again",
    "returning": "On its way back to the shop",
    "returned": "Returned to the shop",
    "delivered": "Delivered",
    "cancelled": "Order cancelled",
    "refunded": "Refunded",
    "no_shipping": "Nothing to ship",
    "step.paid": "Paid",
    "step.packed": "Packed",
    "step.shipped": "Shipped",
    "step.in_transit": "In transit",
    "step.out_for_delivery": "Out for delivery",
    "step.delivered": "Delivered",
    "progress": "Progress",
    "for": "For",
    "to": "To",
    "phone": "Phone",
    "parcel": "Parcel {n} of {total}",
    "courier": "Courier",
    "tracking_number": "Tracking number",
    "eta": "Expected",
    "promised": "Promised by",
    "scans": "Courier updates",
    "no_scans": "No courier updates yet.",
    "zone": "Times in {zone}.",
    "zoneless": "courier's local time",
    "fresh": "Checked with the courier {ago}.",
    "fresh_order": "Order details updated {ago}.",
    "never": "Not checked with the courier yet.",
    "just_now": "just now",
    "minutes_ago": "{n} min ago",
    "hours_ago": "{n} h ago",
    "days_ago": "{n} days ago",
    "switch": "中文",
    "refused_title": "Link not valid",
    "refused": "This link does not work. It may have expired or been copied incompletely. "
    "Please ask the shop for a new link.",
    "lookup_title": "Find your order",
    "lookup_intro": "Enter your order number and the last four digits of the phone number "
    "you gave with the order.",
    "lookup_number": "Order number",
    "lookup_digits": "Last four digits of your phone",
    "lookup_submit": "Show my order",
    "lookup_failed": "No order matches these details. Please check them and try again.",
    "lookup_link": "Have an order number? Look it up",
    "busy_title": "Too many requests",
    "busy": "Too many requests. Please wait {seconds} seconds and try again.",
}

_ZH: dict[str, str] = {
    "title": "订单 {number}",
    "heading": "我的订单到哪了？",
    "awaiting_payment": "等待付款",
    "paid": "已付款，正在备货",
    "packed": "已打包，等待快递揽收",
    "shipped": "已交给快递",
    "in_transit": "运输中",
    "delayed": "运输中，有所延误",
    "exception": "快递反馈异常，商家正在跟进",
    "no_updates": "快递已停止更新，商家正在跟进",
    "out_for_delivery": "派送中",
    "pickup": "已到自提点，请取件",
    "delivery_failed": "派送未成功，快递将再次派送",
    "returning": "正在退回商家",
    "returned": "已退回商家",
    "delivered": "已签收",
    "cancelled": "订单已取消",
    "refunded": "已退款",
    "no_shipping": "无需配送",
    "step.paid": "已付款",
    "step.packed": "已打包",
    "step.shipped": "已发货",
    "step.in_transit": "运输中",
    "step.out_for_delivery": "派送中",
    "step.delivered": "已签收",
    "progress": "进度",
    "for": "收件人",
    "to": "收货地区",
    "phone": "电话",
    "parcel": "包裹 {n}/{total}",
    "courier": "快递公司",
    "tracking_number": "运单号",
    "eta": "预计送达",
    "promised": "承诺送达",
    "scans": "物流详情",
    "no_scans": "暂无物流信息。",
    "zone": "时间为 {zone} 时间。",
    "zoneless": "快递当地时间",
    "fresh": "{ago}已向快递查询。",
    "fresh_order": "订单信息{ago}更新。",
    "never": "尚未向快递查询。",
    "just_now": "刚刚",
    "minutes_ago": "{n} 分钟前",
    "hours_ago": "{n} 小时前",
    "days_ago": "{n} 天前",
    "switch": "English",
    "refused_title": "链接无效",
    "refused": "此链接无法使用，可能已过期或复制不完整。请联系商家获取新链接。",
    "lookup_title": "查询订单",
    "lookup_intro": "请输入订单号和下单时所留手机号的后四位。",
    "lookup_number": "订单号",
    "lookup_digits": "手机号后四位",
    "lookup_submit": "查看订单",
    "lookup_failed": "没有找到匹配的订单，请核对后重试。",
    "lookup_link": "有订单号？点此查询",
    "busy_title": "请求过多",
    "busy": "请求过于频繁，请 {seconds} 秒后再试。",
}

TEXT: Final[dict[str, dict[str, str]]] = {"en": _EN, "zh": _ZH}
_WEEKDAYS_ZH = "一二三四五六日"


def choose_language(accept_language: str, asked: str = "") -> str:
    """``asked`` (the switch link's ``?lang=``) if known, else the browser's first known choice."""
    if asked in LANGUAGES:
        return asked
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        score = q - position * 1e-6  # equal weights: the first listed wins
        if score > best_q:
            best, best_q = primary, score
    return best


def say(lang: str, key: str, **values: object) -> str:
    text = TEXT[lang].get(key) or TEXT[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text


def other_language(lang: str) -> str:
    return "zh" if lang == "en" else "en"


def local_time(instant: datetime, zone: ZoneInfo, lang: str) -> str:
    """A scan's time in the shop's zone: ``Fri 20 Nov 16:05`` / ``11月20日 周五 16:05``."""
    local = instant.astimezone(zone)
    if lang == "zh":
        weekday = _WEEKDAYS_ZH[local.weekday()]
        return f"{local.month}月{local.day}日 周{weekday} {local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def local_day(instant: datetime, zone: ZoneInfo, lang: str) -> str:
    local = instant.astimezone(zone)
    if lang == "zh":
        return f"{local.month}月{local.day}日 周{_WEEKDAYS_ZH[local.weekday()]}"
    return f"{local:%a} {local.day} {local:%b %Y}"


def ago(then: datetime, now: datetime, lang: str) -> str:
    age = max(now - then, timedelta())
    if age < timedelta(minutes=1):
        return say(lang, "just_now")
    if age < timedelta(hours=1):
        return say(lang, "minutes_ago", n=int(age.total_seconds() // 60))
    if age < timedelta(days=2):
        return say(lang, "hours_ago", n=int(age.total_seconds() // 3600))
    return say(lang, "days_ago", n=age.days)


def carrier_name(code: str, raw: str, lang: str) -> str:
    """The courier as a customer knows it: 顺丰速运 / SF Express, else what the shop wrote."""
    row = carrier(code)
    if row is None:
        return raw or code
    if lang == "zh":
        chinese = [alias for alias in row.aliases if not alias.isascii()]
        if chinese:
            return max(chinese, key=len)
    return row.name
