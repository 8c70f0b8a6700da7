"""WooCommerce webhooks: ``POST /webhooks/woocommerce/{source}``.

``X-WC-Webhook-Signature`` must be the base64 HMAC-SHA256 of the raw body under the webhook's
secret (the source's ``webhook_secret``); anything else is answered 401 and nothing is kept.
``X-WC-Webhook-Delivery-ID`` identifies a delivery, so a repeat is queued once.

When a webhook is created WooCommerce first sends an unsigned, form-encoded ping,
``webhook_id=<id>``, and keeps the webhook only if it is answered 200: that ping is answered 200
and nothing is kept.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.http.signatures import delivery_id, queue, refused, signed, unknown

_PING = re.compile(rb"webhook_id=\d+")


def routes(context: HttpContext) -> list[BaseRoute]:
    async def receive(request: Request) -> Response:
        source = request.path_params["source"]
        secret = context.secrets.get(source)
        if not secret:
            return unknown(source)
        body = await request.body()
        signature = request.headers.get("X-WC-Webhook-Signature")
        if signature is None and _PING.fullmatch(body.strip()):
            return JSONResponse({"ok": True, "ping": True})
        if not signed(body, secret, signature):
            return refused(source, "missing or wrong X-WC-Webhook-Signature")
        delivery = delivery_id(request.headers.get("X-WC-Webhook-Delivery-ID"), body)
        topic = request.headers.get("X-WC-Webhook-Topic", "")
        return await queue(context, source, delivery, topic, body)

    return [Route("/webhooks/woocommerce/{source}", receive, methods=["POST"])]
