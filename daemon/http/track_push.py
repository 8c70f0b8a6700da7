"""What the three tracking push receivers share: their secrets, and keeping an accepted push.

A tracker's push secret is the setting its service signs with: 17TRACK the API ``token``,
AfterShip the ``webhook_secret``, Kuaidi100 the ``salt`` given when subscribing. Secrets are
looked up as ``"<kind>:<tracker name>"``, so a push is only ever checked against a tracker of the
kind its path names.

A verified push is written in one transaction with its tracks (the store's push inbox keeps its
digest, so a repeat changes nothing) before it is acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from starlette.responses import JSONResponse, Response

from daemon.http.app import HttpContext
from sync.domain import TrackRecord
from sync.errors import StoreError

log = logging.getLogger("orderwatch.pushes")

SECRET_SETTING = {"17track": "token", "aftership": "webhook_secret", "kuaidi100": "salt"}


def secret_key(kind: str, tracker: str) -> str:
    return f"{kind}:{tracker}"


def push_secrets(trackers: Iterable[tuple[str, str, Mapping[str, str]]]) -> dict[str, str]:
    """Push secrets of ``(name, kind, settings)`` trackers that have one."""
    found: dict[str, str] = {}
    for name, kind, settings in trackers:
        setting = SECRET_SETTING.get(kind)
        if setting and settings.get(setting):
            found[secret_key(kind, name)] = settings[setting]
    return found


async def keep(
    context: HttpContext,
    tracker: str,
    digest: str,
    body: str,
    tracks: Sequence[TrackRecord],
    lost: Sequence[tuple[str, str]] = (),
) -> bool | None:
    """Write one verified push; True when new, False for a repeat, None when it could not be
    written (the caller answers so that the service sends it again). ``lost`` are (tracking
    number, reason) of parcels the service says it stopped following."""
    try:
        fresh, changed = await context.store.save_push(
            tracker, digest, body, tracks, context.clock.now(), lost
        )
    except StoreError as exc:
        log.error("%s: push not kept: %s", tracker, exc)
        return None
    if changed:
        context.wake()
    if not fresh:
        log.info("%s: push %s delivered again; already kept", tracker, digest[:16])
    return fresh


def note_refused(tracker: str, why: str) -> None:
    log.warning("%s: push refused: %s", tracker, why)


def refused(tracker: str, why: str) -> Response:
    """A push that failed its signature check: 401, and nothing kept."""
    note_refused(tracker, why)
    return JSONResponse({"ok": False, "error": why}, status_code=401)


def unreadable(tracker: str, why: str) -> Response:
    log.warning("%s: signed push not readable: %s", tracker, why)
    return JSONResponse({"ok": False, "error": why}, status_code=400)


def unknown(kind: str, tracker: str) -> Response:
    return JSONResponse({"ok": False, "error": f"no {kind} tracker {tracker!r} takes pushes"}, 404)
