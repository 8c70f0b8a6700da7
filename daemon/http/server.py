"""The daemon's HTTP endpoint: uvicorn serving the app on ``[http] listen``.

The port is bound before the daemon's loops start, so a taken port is one readable error at
start-up; serving then runs as a task of the daemon's TaskGroup and stops when the daemon does
(requests in flight get a second to finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from sync.errors import ConfigError


class _Embedded(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the daemon handles its own signals


class HttpServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        try:
            self._socket = socket.create_server((host, port))
            # Answers go out at once: without this, small replies wait on the peer's delayed
            # ACK and every webhook takes some 40 ms to be answered.
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as exc:
            raise ConfigError(
                f"http.listen {host}:{port}: cannot listen ({exc.strerror})"
            ) from None
        self.host = host
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = _Embedded(config)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def serve(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set, then shut down."""
        serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            self._server.should_exit = True
            await serving

    def close(self) -> None:
        """Release the port of a server that never served."""
        self._socket.close()
