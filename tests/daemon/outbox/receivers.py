"""Local receivers speaking each channel's wire format, for the outbox tests.

Each HTTP receiver is a small Starlette app served on 127.0.0.1 that checks what the real
service checks (the WeCom robot's key, DingTalk's signature, our webhook's HMAC), answers the
way the service answers, and records every delivery. ``fail_next`` makes it refuse that many
deliveries first, the way the service refuses (an errcode, an HTTP error). The SMTP receiver is
a few lines of asyncio speaking enough SMTP for :mod:`smtplib`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

WECOM_KEY = "3f1c2d4e-robot-key"
DINGTALK_TOKEN = "d1ng-access-token"
DINGTALK_SECRET = "SECd1ngtalk-signing-secret"
HOOK_SECRET = "hook-signing-secret"


@dataclass
class Received:
    """What a receiver saw: the bodies, the headers, and how many to refuse next."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0
    hold: asyncio.Event | None = None
    """When set, deliveries are recorded, then left without an answer until it is set."""

    def take(self, request: Request, body: bytes) -> bool:
        """Record the delivery; False when it must be refused."""
        self.bodies.append(json.loads(body))
        self.headers.append(dict(request.headers))
        if self.fail_next > 0:
            self.fail_next -= 1
            return False
        return True

    async def held(self) -> None:
        if self.hold is not None:
            await self.hold.wait()


def wecom_app(seen: Received) -> Starlette:
    async def send(request: Request) -> Response:
        if request.query_params.get("key") != WECOM_KEY:
            return JSONResponse({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.body()
        data = json.loads(body)
        text = data.get("text", {}).get("content", "")
        if data.get("msgtype") != "text" or not text or len(text.encode()) > 2048:
            return JSONResponse({"errcode": 40008, "errmsg": "invalid message type"})
        if not seen.take(request, body):
            return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
        await seen.held()
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    return Starlette(routes=[Route("/cgi-bin/webhook/send", send, methods=["POST"])])


def dingtalk_sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def dingtalk_app(seen: Received) -> Starlette:
    async def send(request: Request) -> Response:
        query = request.query_params
        if query.get("access_token") != DINGTALK_TOKEN:
            return JSONResponse({"errcode": 300001, "errmsg": "token is not exist"})
        wanted = dingtalk_sign(query.get("timestamp", ""), DINGTALK_SECRET)
        if not hmac.compare_digest(query.get("sign", ""), wanted):
            return JSONResponse({"errcode": 310000, "errmsg": "sign not match"})
        body = await request.body()
        if json.loads(body).get("msgtype") != "text":
            return JSONResponse({"errcode": 40035, "errmsg": "missing msgtype"})
        if not seen.take(request, body):
            return JSONResponse({"errcode": 130101, "errmsg": "send too fast"})
        await seen.held()
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    return Starlette(routes=[Route("/robot/send", send, methods=["POST"])])


def slack_app(seen: Received) -> Starlette:
    async def send(request: Request) -> Response:
        body = await request.body()
        try:
            data = json.loads(body)
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(data.get("text"), str):
            return PlainTextResponse("no_text", status_code=400)
        if not seen.take(request, body):
            return PlainTextResponse("rollup_error", status_code=500)
        await seen.held()
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/services/T000/B000/XXXX", send, methods=["POST"])])


def webhook_app(seen: Received) -> Starlette:
    async def send(request: Request) -> Response:
        body = await request.body()
        digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        signature = request.headers.get("x-orderwatch-signature", "")
        if not hmac.compare_digest(signature, f"sha256={digest}"):
            return PlainTextResponse("bad signature", status_code=401)
        if not seen.take(request, body):
            return PlainTextResponse("busy", status_code=503)
        await seen.held()
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", send, methods=["POST"])])


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: str


class SmtpReceiver:
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.fail_next = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        await reply("220 localhost test SMTP")
        sender, recipients = "", []
        try:
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                verb = line[:4].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-localhost\r\n250 8BITMIME")
                elif verb == "MAIL":
                    if self.fail_next > 0:
                        self.fail_next -= 1
                        await reply("451 4.3.0 try again later")
                        continue
                    sender, recipients = line.partition(":")[2].strip(" <>"), []
                    await reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(line.partition(":")[2].strip(" <>"))
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 end with <CRLF>.<CRLF>")
                    data = await reader.readuntil(b"\r\n.\r\n")
                    self.mails.append(Mail(sender, recipients, data.decode()[:-5]))
                    await reply("250 OK queued")
                elif verb == "QUIT":
                    await reply("221 bye")
                    break
                else:
                    await reply("250 OK")
        finally:
            writer.close()
