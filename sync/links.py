"""Signed, expiring links to the customer tracking page.

A link names one order and the instant it stops working, signed with HMAC-SHA256 under the shop's
link key (see :mod:`sync.link_key`). The token is three dot-separated parts::

    <order id, base 36>.<expiry in Unix seconds, base 36>.<signature, 22 characters base64url>

The signature is the first 128 bits of the HMAC over ``orderwatch-link:v1:<id>:<expiry>``: short
enough for an SMS, far beyond guessing. Nothing else is kept about a link; a token is checked by
signing its claims again and comparing the texts in constant time. Only the canonical spelling of a
token verifies (no leading zeros, lower-case base 36, the exact signature text), so no two tokens
share a signature. Changing the key invalidates every link issued under the old one.

Everything here is pure: the daemon, ``orderwatchd link`` and the console use the same functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=366)
LOOKUP_TTL = timedelta(hours=1)
"""Lifetime of the link the look-up form hands out after a match."""

PAGE_PATH = "/t/"
LOOKUP_PATH = "/track"

_DOMAIN = b"orderwatch-link:v1:"
_SIGNATURE_BYTES = 16
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_TOKEN = re.compile(r"([1-9a-z][0-9a-z]{0,12})\.([1-9a-z][0-9a-z]{0,12})\.([A-Za-z0-9_-]{22})")


class LinkStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    """Genuine, but past its expiry."""
    INVALID = "invalid"
    """Malformed, tampered with, or signed under another key."""


@dataclass(frozen=True, slots=True)
class Link:
    token: str
    order_id: int
    expires_at: datetime

    @property
    def token_id(self) -> str:
        return token_id(self.token)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a presented token turned out to be. ``order_id`` is set only for a genuine token."""

    status: LinkStatus
    token_id: str
    order_id: int | None = None
    expires_at: datetime | None = None


def issue(key: bytes, order_id: int, now: datetime, ttl: timedelta = DEFAULT_TTL) -> Link:
    """A new link to ``order_id``'s page, valid for ``ttl`` from ``now`` (to the second)."""
    if ttl <= timedelta() or ttl > MAX_TTL:
        raise ValueError(f"a link lives between 1 second and {MAX_TTL.days} days")
    if order_id <= 0:
        raise ValueError("an order id is a positive number")
    expiry = int((now + ttl).timestamp())
    token = f"{_base36(order_id)}.{_base36(expiry)}.{_signature(key, order_id, expiry)}"
    return Link(token=token, order_id=order_id, expires_at=datetime.fromtimestamp(expiry, UTC))


def verify(key: bytes, token: str, now: datetime) -> Verdict:
    """Check ``token`` against ``key`` at ``now``: valid, expired, or invalid."""
    tid = token_id(token)
    match = _TOKEN.fullmatch(token)
    if match is None:
        return Verdict(LinkStatus.INVALID, tid)
    order_id, expiry = int(match[1], 36), int(match[2], 36)
    expected = _signature(key, order_id, expiry)
    if not hmac.compare_digest(expected.encode(), match[3].encode()):
        return Verdict(LinkStatus.INVALID, tid)
    try:
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, OSError, ValueError):
        return Verdict(LinkStatus.INVALID, tid)
    status = LinkStatus.VALID if now < expires_at else LinkStatus.EXPIRED
    return Verdict(status, tid, order_id, expires_at)


def token_id(token: str) -> str:
    """A short name for a token in the access audit: a digest, so the log cannot replay it."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]


def page_url(base_url: str, token: str) -> str:
    """The address a customer opens: ``base_url`` is the daemon's public URL."""
    return base_url.rstrip("/") + PAGE_PATH + token


def lookup_url(base_url: str) -> str:
    """The look-up form (order number and the last four digits of the phone)."""
    return base_url.rstrip("/") + LOOKUP_PATH


def _signature(key: bytes, order_id: int, expiry: int) -> str:
    message = _DOMAIN + f"{order_id}:{expiry}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _base36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
        if number == 0:
            return text
