"""Small readers shared by the order connectors: times, names, money, plain text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.errors import PayloadError

JSON = dict[str, Any]


def aware_instant(text: object) -> datetime | None:
    """An ISO-8601 time that carries its zone (``Z`` or an offset), in UTC; None for null/empty.

    A zone-less time is refused rather than guessed.
    """
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise PayloadError(f"expected a date-time, got {text!r}")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"unreadable date-time {text!r}") from None
    if instant.tzinfo is None:
        raise PayloadError(f"date-time {text!r} has no zone")
    return instant.astimezone(UTC)


def gmt_instant(text: object) -> datetime | None:
    """A time the vendor documents as GMT but writes without a zone (WooCommerce ``*_gmt``)."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise PayloadError(f"expected a date-time, got {text!r}")
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"unreadable date-time {text!r}") from None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def full_name(first: object, last: object) -> str:
    """A person's name from its parts; Chinese names family name first, without a space."""
    given, family = str(first or "").strip(), str(last or "").strip()
    if any(ord(char) > 0x2E80 for char in given + family):
        return f"{family}{given}"
    return f"{given} {family}".strip()


def money(value: object, what: str = "amount") -> str:
    """A decimal string as the vendor wrote it (``"29.35"``); numbers become decimal text."""
    if value is None or value == "":
        return "0"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{what} {value!r} is not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PayloadError(f"{what} {value!r} is not a number") from None
    if not amount.is_finite():
        raise PayloadError(f"{what} {value!r} is not a number")
    return str(value) if isinstance(value, str) else str(amount)


def text(value: object) -> str:
    return "" if value is None else str(value)


def table(value: object, what: str) -> JSON:
    """A JSON object, or an empty one for null; PayloadError for anything else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not an object")
    return value


def array(value: object, what: str) -> list[Any]:
    """A JSON array, or an empty one for null; PayloadError for anything else."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{what} is not a list")
    return value


def deleted_id(body: bytes, source: str) -> str:
    """The id in a deletion webhook's body (``{"id": 820982911946154508}``, all the vendors
    send once an order is gone)."""
    payload = load_json(body)
    ident = payload.get("id") if isinstance(payload, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, int | str) or ident == "":
        raise PayloadError(f"{source}: a deletion webhook without the order's id")
    return str(ident)


def load_json(body: str | bytes) -> Any:
    """A body as JSON; a body that is not JSON is one readable :class:`PayloadError` line."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError:
        raise PayloadError("not JSON: the body is not UTF-8 text") from None
