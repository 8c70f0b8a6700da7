"""17TRACK pushes: ``POST /push/17track/{tracker}``.

The ``sign`` header must be 17TRACK's (hex SHA-256 of the raw body, ``/`` and the tracker's API
key); anything else is answered 401 and nothing is kept. ``TRACKING_UPDATED`` carries a track;
``TRACKING_STOPPED`` changes no checkpoint but, for a parcel still on its way, plans its
``retrack``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.http.track_push import keep, refused, secret_key, unknown, unreadable
from sync.connectors.track17_parse import parse_push, parse_stopped, verify_push
from sync.errors import PayloadError
from sync.store.parcels import push_digest

KIND = "17track"


def routes(context: HttpContext) -> list[BaseRoute]:
    async def receive(request: Request) -> Response:
        tracker = request.path_params["tracker"]
        key = context.secrets.get(secret_key(KIND, tracker))
        if not key:
            return unknown(KIND, tracker)
        body = await request.body()
        if not verify_push(body, request.headers.get("sign"), key):
            return refused(tracker, "missing or wrong sign")
        try:
            payload = json.loads(body)
            track = parse_push(payload, tracker) if isinstance(payload, dict) else None
            stopped = parse_stopped(payload) if isinstance(payload, dict) else ""
        except (ValueError, PayloadError) as exc:
            return unreadable(tracker, str(exc))
        fresh = await keep(
            context,
            tracker,
            push_digest(body),
            body.decode("utf-8", "replace"),
            [] if track is None else [track],
            [(stopped, "TRACKING_STOPPED")] if stopped else [],
        )
        if fresh is None:
            return JSONResponse({"code": -1, "message": "not kept, send again"}, status_code=503)
        return JSONResponse({"code": 0, "message": "ok"})

    return [Route("/push/17track/{tracker}", receive, methods=["POST"])]
