"""The daemon's Starlette app.

Each receiver module exposes ``routes(context) -> list[BaseRoute]``; :func:`create_app` mounts
them all. Handlers get what they need (the store, the clock, secrets, a way to wake the engine)
through :class:`HttpContext`, never through globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sync.clock import Clock
from sync.store import Store


@dataclass(frozen=True, slots=True)
class HttpContext:
    store: Store
    clock: Clock
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Webhook and push secrets by source name (from the environment, never from rules.toml)."""
    wake: Callable[[], None] = lambda: None
    """Tell the engine that the store changed."""


RouteFactory = Callable[[HttpContext], list[BaseRoute]]


def create_app(context: HttpContext, receivers: tuple[RouteFactory, ...] = ()) -> Starlette:
    async def healthz(_request: Request) -> Response:
        try:
            await context.store.change_seq()
        except Exception as exc:  # any failure to read means unhealthy
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=503)
        return JSONResponse({"ok": True})

    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    for factory in receivers:
        routes.extend(factory(context))
    return Starlette(routes=routes)
