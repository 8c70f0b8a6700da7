"""The daemon's Starlette app.

Each receiver module exposes ``routes(context) -> list[BaseRoute]``; :func:`create_app` mounts
them all. Handlers get what they need (the store, the clock, secrets, a way to wake the engine)
through :class:`HttpContext`, never through globals.
"""

from __future__ import annotations

import asyncio
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
    alive: Callable[[], bool] = lambda: True
    """The scheduler is turning (its heartbeat is fresh); ``/healthz`` fails when it is not."""
    health_timeout: float = 5.0
    """Seconds ``/healthz`` waits for its test write before calling the database stuck."""


HEALTH_KEY = "health.checked_at"

RouteFactory = Callable[[HttpContext], list[BaseRoute]]


def create_app(context: HttpContext, receivers: tuple[RouteFactory, ...] = ()) -> Starlette:
    # The test write is never cancelled: a write cancelled inside aiosqlite can leave its
    # transaction open on the daemon's connection. A slow one is waited for in the background.
    writing: set[asyncio.Task[None]] = set()

    def settled(task: asyncio.Task[None]) -> None:
        writing.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here; the next /healthz starts a fresh write

    async def healthz(_request: Request) -> Response:
        """200 only when a write goes through and the scheduler is turning."""
        report = {"database": "writable", "scheduler": "alive"}
        if writing:
            report["database"] = "the last test write is still waiting for the database"
        else:
            task = asyncio.create_task(context.store.touch(HEALTH_KEY, context.clock.now()))
            writing.add(task)
            task.add_done_callback(settled)
            done, _ = await asyncio.wait({task}, timeout=context.health_timeout)
            if not done:
                report["database"] = f"no write within {context.health_timeout:g}s"
            elif task.exception() is not None:
                report["database"] = str(task.exception())
        if not context.alive():
            report["scheduler"] = "stuck"
        ok = report == {"database": "writable", "scheduler": "alive"}
        return JSONResponse({"ok": ok, **report}, status_code=200 if ok else 503)

    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    for factory in receivers:
        routes.extend(factory(context))
    return Starlette(routes=routes)
