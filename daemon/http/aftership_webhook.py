"""AfterShip webhooks: ``POST /push/aftership/{tracker}``.

``aftership-hmac-sha256`` must be the base64 HMAC-SHA256 of the raw body under the tracker's
``webhook_secret``; anything else is answered 401 and nothing is kept. A delivery is known by its
``event_id``, so a repeat is answered 200 and changes nothing.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.http.track_push import keep, refused, secret_key, unknown, unreadable
from sync.connectors.aftership_parse import parse_body, verify_webhook
from sync.errors import PayloadError
from sync.store.parcels import push_digest

KIND = "aftership"


def routes(context: HttpContext) -> list[BaseRoute]:
    async def receive(request: Request) -> Response:
        tracker = request.path_params["tracker"]
        secret = context.secrets.get(secret_key(KIND, tracker))
        if not secret:
            return unknown(KIND, tracker)
        body = await request.body()
        if not verify_webhook(body, request.headers.get("aftership-hmac-sha256"), secret):
            return refused(tracker, "missing or wrong aftership-hmac-sha256")
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise PayloadError("not a JSON object")
            tracks = parse_body(payload, tracker) if "msg" in payload else []
        except (ValueError, PayloadError) as exc:
            return unreadable(tracker, str(exc))
        event = str(payload.get("event_id") or "")
        digest = push_digest(body, event)
        fresh = await keep(context, tracker, digest, body.decode("utf-8", "replace"), tracks)
        if fresh is None:
            return JSONResponse({"ok": False, "error": "not kept, send again"}, status_code=503)
        return JSONResponse({"ok": True})

    return [Route("/push/aftership/{tracker}", receive, methods=["POST"])]
