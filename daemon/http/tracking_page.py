"""The customer tracking page: ``GET /t/{token}`` and the look-up form ``/track``.

A request passes the address's limits, then the link is checked (:mod:`sync.links`), then the
link's own limit; every outcome is audited (:mod:`sync.store.tracking_page`). A link that does not
lead to an order (malformed, tampered, signed under another key, expired, or naming an order the
mirror no longer has) always gets the same 404 page, byte for byte, so a guess learns nothing.
Each such failure counts against the address; past its allowance the address is shut out
(429 with ``Retry-After``) for longer each time.

The look-up form takes an order number and the last four digits of the order's phone; a match
is sent on (303) to a fresh one-hour link, so the page itself is one code path.

A chat app fetching a link to draw its preview card (:mod:`daemon.http.previews`) gets the same
page, audited as a preview and not counted against the link's limit. The limits a restart must
not lift are read from the store before the first request is answered, and saved with the audit
row of each request (:meth:`~daemon.http.limits.Gate.changes`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from daemon.http.app import HttpContext, RouteFactory
from daemon.http.limits import MAX_KEYS, Gate, PageLimits, retry_after
from daemon.http.page_html import render_busy, render_lookup, render_page, render_refused
from daemon.http.page_view import build_view
from daemon.http.page_words import LANGUAGES, choose_language
from daemon.http.previews import is_preview
from sync.links import LOOKUP_TTL, LinkStatus, issue, verify
from sync.store.tracking_page import PageAccess, PageOutcome, PageVia

log = logging.getLogger("orderwatch.http")

MAX_FORM_BYTES = 2048
MAX_TOKEN_CHARS = 100
TIDY_EVERY = 600.0
"""Seconds between deletions of kept limits that have run out."""
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class PageSettings:
    key: bytes
    """The link key (:mod:`sync.link_key`)."""
    zone: Callable[[], ZoneInfo]
    """The shop's time zone (the rules file's), asked at every view so a reload moves it."""
    limits: PageLimits = field(default_factory=PageLimits)
    lookup: bool = True
    """Serve the look-up form (order number + last four phone digits)."""
    trusted_proxies: frozenset[str] = frozenset()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the real caller."""


def routes_for(settings: PageSettings) -> RouteFactory:
    """The receiver factory for :func:`daemon.http.app.create_app`."""

    def routes(context: HttpContext) -> list[BaseRoute]:
        page = TrackingPage(context, settings)
        found: list[BaseRoute] = [Route("/t/{token}", page.show, methods=["GET"])]
        if settings.lookup:
            found.append(Route("/track", page.track, methods=["GET", "POST"]))
        return found

    return routes


@dataclass(frozen=True, slots=True)
class Caller:
    ip: str
    user_agent: str
    lang: str
    preview: bool = False
    """A chat app or SMS client drawing the link's preview card, not the customer."""


class TrackingPage:
    def __init__(self, context: HttpContext, settings: PageSettings) -> None:
        self.store = context.store
        self.clock = context.clock
        self.settings = settings
        self.gate = Gate(settings.limits)
        self._busy_until: OrderedDict[str, float] = OrderedDict()
        self._restored = False
        self._restoring = asyncio.Lock()
        self._tidied_at = 0.0
        self._waiting: list[tuple[PageAccess, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def _restore(self) -> None:
        """Take back the limits kept before a restart (once, before the first answer)."""
        async with self._restoring:
            if not self._restored:
                self.gate.restore(await self.store.page_limits(self.clock.now().timestamp()))
                self._restored = True

    async def _audit(self, access: PageAccess) -> None:
        """Record ``access``; answers wait for it, so what was answered was audited.

        Requests arriving while a write is under way are written together in the next one
        (a group commit), with the limits changed meanwhile: under load the page makes one
        transaction per batch instead of one per request.
        """
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((access, written))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        await written

    async def _write_waiting(self) -> None:
        batch: list[tuple[PageAccess, asyncio.Future[None]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    accesses = [access for access, _ in batch]
                    await self.store.record_page_accesses(accesses, self.gate.changes())
                except Exception as exc:  # each waiting request fails with it
                    for _, written in batch:
                        if not written.done():
                            written.set_exception(exc)
                    continue
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)
                await self._tidy(batch[-1][0].at.timestamp())
        finally:
            self._writer = None
            for _, written in batch + self._waiting:
                written.cancel()

    async def _tidy(self, at: float) -> None:
        """Now and then, delete the kept limits that ran out (a failure waits for next time)."""
        if at - self._tidied_at >= TIDY_EVERY:
            self._tidied_at = at
            try:
                await self.store.forget_page_limits(at)
            except Exception as exc:
                log.warning("tracking page: old limits not deleted: %s", exc)

    async def show(self, request: Request) -> Response:
        if not self._restored:
            await self._restore()
        now = self.clock.now()
        caller = self._caller(request)
        wait = self.gate.admit(caller.ip, now)
        if wait:
            return await self._busy(caller, wait, now)
        token = str(request.path_params["token"])[:MAX_TOKEN_CHARS]
        verdict = verify(self.settings.key, token, now)
        access = PageAccess(
            now, PageOutcome.INVALID, caller.ip, caller.user_agent, verdict.token_id
        )
        if verdict.status is LinkStatus.EXPIRED:
            access = replace(access, outcome=PageOutcome.EXPIRED, order_id=verdict.order_id)
        if verdict.status is not LinkStatus.VALID or verdict.order_id is None:
            return await self._refuse(caller, access)
        wait = 0.0 if caller.preview else self.gate.links.take(verdict.token_id, now)
        if wait:
            return await self._busy(caller, wait, now, verdict.token_id)
        page = await self.store.tracking_page(verdict.order_id)
        if page is None:
            return await self._refuse(caller, replace(access, outcome=PageOutcome.UNKNOWN_ORDER))
        via = PageVia.LOOKUP if request.query_params.get("via") == "lookup" else PageVia.LINK
        outcome = PageOutcome.PREVIEWED if caller.preview else PageOutcome.VIEWED
        await self._audit(replace(access, outcome=outcome, order_id=verdict.order_id, via=via))
        body = render_page(build_view(page, self.settings.zone(), caller.lang, now))
        return _html(body, 200, caller.lang)

    async def track(self, request: Request) -> Response:
        if not self._restored:
            await self._restore()
        now = self.clock.now()
        caller = self._caller(request)
        wait = self.gate.admit(caller.ip, now)
        if wait:
            return await self._busy(caller, wait, now)
        if request.method != "POST":
            return _html(render_lookup(caller.lang), 200, caller.lang)
        wait = self.gate.lookups.take(caller.ip, now)
        if wait:
            return await self._busy(caller, wait, now)
        form = await _form(request)
        if form is None:
            return _html(render_lookup(caller.lang, failed=True), 413, caller.lang)
        if form.get("lang") in LANGUAGES:
            caller = replace(caller, lang=form["lang"])
        return await self._look_up(caller, form, now)

    async def _look_up(self, caller: Caller, form: dict[str, str], now: datetime) -> Response:
        number = form.get("number", "").strip()[:40]
        digits = form.get("digits", "").strip()
        order = await self.store.order_by_number(number) if number else None
        number_key = number.lstrip("#").casefold()
        locked = self.gate.orders.blocked(number_key, now) > 0
        if order is not None and not locked and _phone_ends_with(order.phone, digits):
            link = issue(self.settings.key, order.id, now, LOOKUP_TTL)
            target = f"t/{link.token}?lang={caller.lang}&via=lookup"
            return RedirectResponse(target, status_code=303, headers=_headers(caller.lang))
        self.gate.failures.fail(caller.ip, now)
        if order is not None:
            self.gate.orders.fail(number_key, now)
        await self._audit(
            PageAccess(
                now,
                PageOutcome.LOOKUP_FAILED,
                caller.ip,
                caller.user_agent,
                order_id=None if order is None else order.id,
                via=PageVia.LOOKUP,
            )
        )
        return _html(render_lookup(caller.lang, number=number, failed=True), 200, caller.lang)

    async def _refuse(self, caller: Caller, access: PageAccess) -> Response:
        self.gate.failures.fail(caller.ip, access.at)
        await self._audit(access)
        lookup = "../track" if self.settings.lookup else ""
        return _html(render_refused(caller.lang, lookup), 404, caller.lang)

    async def _busy(
        self, caller: Caller, wait: float, now: datetime, token_id: str = ""
    ) -> Response:
        """429, audited once per address and stretch of refusals (a flood is not a write each)."""
        at = now.timestamp()
        key = f"{caller.ip} {token_id}"
        if self._busy_until.get(key, 0.0) <= at:
            self._busy_until[key] = at + wait
            self._busy_until.move_to_end(key)
            while len(self._busy_until) > MAX_KEYS:
                self._busy_until.popitem(last=False)
            await self._audit(
                PageAccess(now, PageOutcome.RATE_LIMITED, caller.ip, caller.user_agent, token_id)
            )
        seconds = retry_after(wait)
        response = _html(render_busy(caller.lang, seconds), 429, caller.lang)
        response.headers["Retry-After"] = seconds
        return response

    def _caller(self, request: Request) -> Caller:
        ip = request.client.host if request.client else ""
        if ip in self.settings.trusted_proxies:
            ip = _forwarded_for(request, self.settings.trusted_proxies) or ip
        user_agent = request.headers.get("user-agent", "")
        return Caller(
            ip=ip,
            user_agent=user_agent,
            lang=choose_language(
                request.headers.get("accept-language", ""), request.query_params.get("lang", "")
            ),
            preview=is_preview(request.method, user_agent),
        )


def _forwarded_for(request: Request, trusted: frozenset[str]) -> str:
    """The nearest address in ``X-Forwarded-For`` that is not one of our own proxies."""
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed(hops):
        if hop and hop not in trusted:
            return hop
    return ""


def _phone_ends_with(phone: str, digits: str) -> bool:
    if not _FOUR_DIGITS.fullmatch(digits):
        return False
    tail = _NOT_DIGITS.sub("", phone)[-4:]
    return len(tail) == 4 and hmac.compare_digest(tail.encode(), digits.encode())


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form's fields (first value of each); None for an oversized body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:  # more fields than any real form sends
        return None
    return {name: values[0] for name, values in fields.items() if values}


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Vary": "Accept-Language",
}


def _headers(lang: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, "Content-Language": lang}


def _html(body: str, status: int, lang: str) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_headers(lang))
