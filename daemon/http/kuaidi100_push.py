"""Kuaidi100 pushes: ``POST /push/kuaidi100/{tracker}`` (the ``callbackurl`` of a subscription).

The body is a form: ``param`` (the JSON) and ``sign``, the uppercase MD5 of ``param`` and the
tracker's ``salt``; anything else is answered 401 and nothing is kept. Kuaidi100 counts a push as
delivered only when the answer is exactly :data:`ACK`, and sends it again otherwise (three more
times, half an hour apart), so a repeated push is answered :data:`ACK` too and changes nothing.
A push saying Kuaidi100 gave up on a parcel still on its way (``abort``, or ``shutdown`` before
it arrived) plans its new subscription.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext
from daemon.http.track_push import keep, note_refused, secret_key, unknown
from sync.connectors.kuaidi100_parse import lost_reason, parse_push, read_form, verify_push
from sync.errors import PayloadError
from sync.store.parcels import push_digest

KIND = "kuaidi100"
ACK = '{"result":true,"returnCode":"200","message":"成功"}'.encode()


def _failure(code: str, message: str, status: int) -> Response:
    body = {"result": False, "returnCode": code, "message": message}
    return JSONResponse(body, status_code=status)


def routes(context: HttpContext) -> list[BaseRoute]:
    async def receive(request: Request) -> Response:
        tracker = request.path_params["tracker"]
        salt = context.secrets.get(secret_key(KIND, tracker))
        if not salt:
            return unknown(KIND, tracker)
        try:
            form = read_form(await request.body())
        except PayloadError:
            form = {}
        param = form.get("param", "")
        if not verify_push(param, form.get("sign"), salt):
            note_refused(tracker, "missing or wrong sign")
            return _failure("401", "签名错误", 401)
        try:
            payload = json.loads(param)
            if not isinstance(payload, dict):
                raise PayloadError("param is not a JSON object")
            track = parse_push(payload, tracker)
        except (ValueError, PayloadError) as exc:
            return _failure("400", f"无法读取: {exc}", 400)
        tracks = [] if track is None else [track]
        reason = lost_reason(payload)
        lost = [(track.tracking_number, reason)] if track is not None and reason else []
        fresh = await keep(context, tracker, push_digest(param.encode()), param, tracks, lost)
        if fresh is None:
            return _failure("500", "服务器错误", 503)
        return Response(ACK, media_type="application/json")

    return [Route("/push/kuaidi100/{tracker}", receive, methods=["POST"])]
