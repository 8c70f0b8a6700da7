"""Run an ASGI app on a loopback port inside the caller's event loop (tests and the demo).

uvicorn runs as a task of the running loop rather than owning it, and leaves signal handling to
the host process: the daemon, or pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class RunningServer:
    """A started server: where it listens, and how to stop it."""

    host: str
    port: int
    _server: Any
    _task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app(self) -> Any:
        """The ASGI app being served (tests reach the simulator's state through it)."""
        return self._server.config.app

    async def stop(self) -> None:
        """Stop accepting, cancel stalled requests after a second, and wait for the task."""
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_TIMEOUT)
        except TimeoutError:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def serve(app: Any, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start ``app`` on ``host:port`` (0 picks a free port) and return once it accepts."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = _EmbeddedServer(config)

    async def run() -> None:
        try:
            await server.serve()
        except SystemExit as exc:  # uvicorn exits when it cannot bind
            raise OSError(f"cannot listen on {host}:{port}") from exc

    task = asyncio.create_task(run(), name=f"simulator {host}:{port}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while not server.started:
        if task.done():
            task.result()
            raise OSError(f"the server on {host}:{port} stopped before it started")
        if loop.time() > deadline:
            server.should_exit = True
            raise TimeoutError(f"the server on {host}:{port} did not start")
        await asyncio.sleep(0.01)
    bound: socket.socket = server.servers[0].sockets[0]
    return RunningServer(host=host, port=int(bound.getsockname()[1]), _server=server, _task=task)
