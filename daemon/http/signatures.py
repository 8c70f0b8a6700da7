"""Webhook signatures and delivery ids, shared by the shop receivers.

Shopify and WooCommerce both sign the raw body with HMAC-SHA256 and send the digest in base64.
The digest is recomputed over the bytes exactly as received (never over re-serialized JSON) and
compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from starlette.responses import JSONResponse, Response

from daemon.http.app import HttpContext
from sync.errors import StoreError

log = logging.getLogger("orderwatch.webhooks")


def signed(body: bytes, secret: str, given: str | None) -> bool:
    """Whether ``given`` is the base64 HMAC-SHA256 of ``body`` under ``secret``."""
    if not given or not secret:
        return False
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), given.strip().encode("ascii", "replace"))


def delivery_id(given: str | None, body: bytes) -> str:
    """The vendor's delivery id, or the body's digest when a delivery carries none."""
    return (
        given.strip() if given and given.strip() else "sha256:" + hashlib.sha256(body).hexdigest()
    )


async def queue(
    context: HttpContext, source: str, delivery: str, topic: str, body: bytes
) -> Response:
    """Queue a verified delivery and answer once it is committed (200 for a repeat too)."""
    try:
        fresh = await context.store.queue_webhook(
            source, delivery, topic, body, context.clock.now()
        )
    except StoreError as exc:
        log.error("%s: webhook %s not queued: %s", source, delivery, exc)
        return JSONResponse({"ok": False, "error": "not queued, send again"}, status_code=503)
    if fresh:
        context.wake()
    else:
        log.info("%s: webhook %s delivered again; already queued", source, delivery)
    return JSONResponse({"ok": True, "queued": fresh})


def refused(source: str, why: str) -> Response:
    log.warning("%s: webhook refused: %s", source, why)
    return JSONResponse({"ok": False, "error": why}, status_code=401)


def unknown(source: str) -> Response:
    return JSONResponse({"ok": False, "error": f"no source {source!r} takes webhooks"}, 404)
