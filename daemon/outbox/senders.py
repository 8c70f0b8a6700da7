"""Sending one message on one channel, in that channel's own format.

- ``console``: notices in the database (the console's toasts and bell), one per agent reached.
- ``webhook``: our JSON, POSTed with ``Idempotency-Key``; with a secret, the body is signed
  (``X-Orderwatch-Signature: sha256=<hex HMAC-SHA256 of the body>``).
- ``wecom``: a WeCom group robot text message; the robot answers ``errcode`` 0 when it took it.
- ``dingtalk``: a DingTalk group robot text message; with a signing secret the address gets
  ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret, "timestamp\\nsecret")).
- ``slack``: a Slack incoming webhook; it answers ``ok``.
- ``smtp``: a mail to the agents reached and the channel's ``to``, sent with :mod:`smtplib` in a
  worker thread; its ``Message-ID`` is made from the idempotency key.

Every failure is a :class:`DeliveryError` with one readable line (never a secret: addresses that
hold keys are named by host only).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import smtplib
import ssl
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote_plus, urlsplit

import httpx

from daemon.outbox.message import Message
from daemon.rules.channels import Channel, ChannelKind
from sync.store import NewNotice
from sync.store.outbox import EVERYONE

TIMEOUT = 15.0
WECOM_LIMIT = 2048
"""Bytes of text a WeCom robot message may carry."""


class DeliveryError(Exception):
    """The channel did not take the message; ``str()`` is one line saying why."""


async def send(
    channel: Channel,
    message: Message,
    client: httpx.AsyncClient,
    environ: Mapping[str, str],
    now: datetime,
) -> list[NewNotice]:
    """Deliver ``message``; returns the console notices to record (empty for other channels)."""
    if channel.kind is ChannelKind.CONSOLE:
        return console_notices(message)
    if channel.kind is ChannelKind.SMTP:
        await asyncio.to_thread(send_mail, channel, message, environ, now)
        return []
    url = _secret(channel.url_env, environ) if channel.url_env else channel.url
    body, headers = _request(channel, message, environ)
    if channel.kind is ChannelKind.DINGTALK and channel.secret_env:
        url = dingtalk_signed(url, _secret(channel.secret_env, environ), now)
    response = await _post(client, url, body, headers)
    _check(channel.kind, response)
    return []


def console_notices(message: Message) -> list[NewNotice]:
    body = "\n".join(message.lines)
    logins = [r.login for r in message.recipients] or [EVERYONE]
    return [NewNotice(login, message.title, body) for login in logins]


def _request(
    channel: Channel, message: Message, environ: Mapping[str, str]
) -> tuple[bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json", "Idempotency-Key": message.key}
    mobiles = [r.mobile for r in message.recipients if r.mobile]
    data: dict[str, object]
    if channel.kind is ChannelKind.WECOM:
        text = _clip(message.text, WECOM_LIMIT)
        data = {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
    elif channel.kind is ChannelKind.DINGTALK:
        data = {
            "msgtype": "text",
            "text": {"content": message.text},
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
    elif channel.kind is ChannelKind.SLACK:
        data = {"text": f"*{message.title}*\n" + "\n".join(message.lines)}
    else:
        data = json.loads(message.to_json())
        data["idempotency_key"] = message.key
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    if channel.kind is ChannelKind.WEBHOOK and channel.secret_env:
        secret = _secret(channel.secret_env, environ).encode("utf-8")
        digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
        headers["X-Orderwatch-Signature"] = f"sha256={digest}"
    return body, headers


def dingtalk_signed(url: str, secret: str, now: datetime) -> str:
    """``url`` with DingTalk's ``timestamp`` and ``sign`` for a robot with a signing secret."""
    stamp = str(int(now.timestamp() * 1000))
    mac = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode(), hashlib.sha256)
    sign = quote_plus(base64.b64encode(mac.digest()).decode("ascii"))
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={stamp}&sign={sign}"


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    host = urlsplit(url).hostname or "the channel's address"
    try:
        async with asyncio.timeout(TIMEOUT):
            return await client.post(url, content=body, headers=headers)
    except TimeoutError:
        raise DeliveryError(f"no answer from {host} within {TIMEOUT:g}s") from None
    except httpx.TransportError as error:
        raise DeliveryError(f"cannot reach {host} ({type(error).__name__})") from None
    except httpx.InvalidURL:
        raise DeliveryError("the channel's address is not a valid URL") from None


def _check(kind: ChannelKind, response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {_short(response.text)}")
    if kind in (ChannelKind.WECOM, ChannelKind.DINGTALK):
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryError(f"an answer that is not JSON: {_short(response.text)}") from None
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if code != 0:
            message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
            raise DeliveryError(f"the robot refused it: errcode {code} {message}".strip())
    if kind is ChannelKind.SLACK and response.text.strip() != "ok":
        raise DeliveryError(f"Slack answered {_short(response.text)!r} instead of ok")


def send_mail(
    channel: Channel, message: Message, environ: Mapping[str, str], now: datetime
) -> None:
    """Send ``message`` as a mail (blocking: run it in a thread)."""
    addresses = list(
        dict.fromkeys([r.email for r in message.recipients if r.email] + [*channel.to])
    )
    if not addresses:
        raise DeliveryError("nobody to mail: the agents reached have no email and to is empty")
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = channel.sender
    mail["To"] = ", ".join(addresses)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<{message.key}@orderwatch>"
    mail.set_content("\n".join(message.lines) + "\n")
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=TIMEOUT) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.username_env:
                smtp.login(
                    _secret(channel.username_env, environ), _secret(channel.password_env, environ)
                )
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"mail via {channel.host}:{channel.port} failed: {error}") from None


def _secret(name: str, environ: Mapping[str, str]) -> str:
    value = environ.get(name, "")
    if not value:
        raise DeliveryError(f"the environment variable {name} is not set")
    return value


def _clip(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "..."


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."
