"""Shopify webhooks: ``POST /webhooks/shopify/{source}``.

``X-Shopify-Hmac-Sha256`` must be the base64 HMAC-SHA256 of the raw body under the source's
``webhook_secret`` (the app's client secret); anything else is answered 401 and nothing is kept.
``X-Shopify-Webhook-Id`` identifies a delivery, so a repeat is answered 200 and queued once.
The topic (``X-Shopify-Topic``) travels with the body to the inbox; the order itself is read
when the inbox is processed.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.http.signatures import delivery_id, queue, refused, signed, unknown


def routes(context: HttpContext) -> list[BaseRoute]:
    async def receive(request: Request) -> Response:
        source = request.path_params["source"]
        secret = context.secrets.get(source)
        if not secret:
            return unknown(source)
        body = await request.body()
        if not signed(body, secret, request.headers.get("X-Shopify-Hmac-Sha256")):
            return refused(source, "missing or wrong X-Shopify-Hmac-Sha256")
        delivery = delivery_id(request.headers.get("X-Shopify-Webhook-Id"), body)
        topic = request.headers.get("X-Shopify-Topic", "")
        return await queue(context, source, delivery, topic, body)

    return [Route("/webhooks/shopify/{source}", receive, methods=["POST"])]
