"""A helper process that fetches the pages of a big sync run while the engine writes them.

Fetching a page of orders is mostly Python work: the HTTP exchange, decoding the JSON, reading
each order into a record, and building the rows it will be written as. At 100k orders that is
over half of a first sync's work, and in one process it shares one core with the writing. For a
run the source says is big (:data:`ASIDE_FROM` orders), a helper process fetches the pages
after the cursor with its own HTTP client and the same connector and settings. It hands each
page over as its rows (a :class:`~sync.store.page.PreparedPage`, plain values) with what the
page told: its cursor, whether more follow, the run's total. The engine's process only writes.

The helper is only a speed-up. Nothing it fetches is written but by the engine, in order, each
page with its cursor. When it cannot start, fails to fetch a page, or dies, the engine fetches
on by itself from the cursor after the last page handed over. An error is then met, retried,
counted by the source's breaker and reported just as without a helper.

The helper is ``python -m sync.fetch_aside FD``, talking over a socket pair: a fresh
interpreter that imports only the connectors, whatever program started it. The settings (with
their credentials) go over the socket, never on a command line. The helper writes each page to
the socket as it comes. While the engine is behind, the socket fills and the helper waits, so it
is never more than about a page ahead. It exits when the engine's end closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import marshal
import socket
import struct
import subprocess
import sys
from typing import Any, NamedTuple

import httpx

from sync.connectors import ORDER_SOURCES
from sync.connectors.base import OrderPage, OrderSource
from sync.store.page import PreparedPage, prepare_page

log = logging.getLogger("orderwatch.sync")

ASIDE_FROM = 10_000
"""Orders a run must be told to bring for its pages to be fetched by a helper (starting one
costs about half a second)."""

_LENGTH = struct.Struct("!Q")


class Told(NamedTuple):
    """What a page said besides its orders: for the run's cursor and progress."""

    cursor: str
    more: bool
    total: int | None
    rows: int
    """Orders the page listed (a repeated order counted each time)."""


def told(page: OrderPage) -> Told:
    return Told(page.cursor, page.more, page.total, len(page.orders))


Fetched = tuple[Told, PreparedPage]


def can_fetch_aside(source: OrderSource) -> bool:
    """Whether a helper can build the same connector: a registered kind, on the real clock."""
    return ORDER_SOURCES.get(source.kind) is type(source) and source.real_time


async def fetch_aside(
    source: OrderSource,
    cursor: str,
    line: asyncio.Queue[Any],
    stop: asyncio.Event | None = None,
) -> tuple[str, bool]:
    """Have a helper fetch the pages after ``cursor`` into ``line`` (waiting while it is full).

    Returns the cursor after the last page put in line, and whether that page was the run's
    last. The helper ends early when ``stop`` is set, and when it cannot fetch a page (then the
    caller fetches on from the cursor returned); both come back as not ended.
    """
    ours, theirs = socket.socketpair()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            str(theirs.fileno()),
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
    except OSError as error:
        ours.close()
        log.warning("%s: fetching without a helper: %s", source.name, error)
        return cursor, False
    finally:
        theirs.close()
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        writer.write(_frame((source.kind, source.name, dict(source.settings), cursor)))
        await writer.drain()
        while True:
            try:
                message = await _read(reader)
            except Exception as error:  # exited, or said what cannot be read
                log.warning("%s: the fetching helper is gone: %s", source.name, error or "EOF")
                return cursor, False
            if message[0] == "log":  # through this process's handlers (redacted, formatted)
                _, level, logger, text = message
                logging.getLogger(logger).log(level, "%s", text)
                continue
            if message[0] != "page":
                log.warning("%s: the fetching helper stopped: %s", source.name, message[1])
                return cursor, False
            page = Told(*message[1])
            await line.put((page, PreparedPage(*message[2])))
            cursor = page.cursor
            if not page.more:
                return cursor, True
            if stop is not None and stop.is_set():
                return cursor, False
    except OSError as error:  # gone before it was told what to fetch
        log.warning("%s: the fetching helper is gone: %s", source.name, error)
        return cursor, False
    finally:
        if writer is None:
            ours.close()
        else:
            writer.close()
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await asyncio.shield(process.wait())


def _frame(message: Any) -> bytes:
    """``message`` (builtin values only) as sent: marshal's format, which both ends (the same
    interpreter) read, at twice pickle's speed for a page of rows."""
    body = marshal.dumps(message)
    return _LENGTH.pack(len(body)) + body


async def _read(reader: asyncio.StreamReader) -> Any:
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return marshal.loads(await reader.readexactly(size))


# ----- the helper's side -----


def _serve(fd: int) -> None:
    # A page of JSON is thousands of objects alive together, which the collector's automatic
    # passes visit again and again (about a tenth of the helper's time). They go with their
    # page by reference counting; a pass after each page is sent finds what cycles are left.
    gc.freeze()
    gc.disable()
    with socket.socket(fileno=fd) as sock:
        (size,) = _LENGTH.unpack(_recv_exactly(sock, _LENGTH.size))
        kind, name, settings, cursor = marshal.loads(_recv_exactly(sock, size))
        logging.getLogger().addHandler(_Forward(sock))
        logging.getLogger().setLevel(logging.WARNING)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            asyncio.run(_fetching(sock, kind, name, settings, cursor))


class _Forward(logging.Handler):
    """Sends the helper's warnings to the engine, which logs them as its own."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(logging.WARNING)
        self.sock = sock

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(_frame(("log", record.levelno, record.name, record.getMessage())))


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    parts = bytearray()
    while len(parts) < size:
        part = sock.recv(size - len(parts))
        if not part:
            raise SystemExit(0)  # the engine is gone before it said what to fetch
        parts += part
    return bytes(parts)


async def _fetching(
    sock: socket.socket, kind: str, name: str, settings: dict[str, str], cursor: str
) -> None:
    """Fetch and send pages from ``cursor`` until the last, or a page cannot be fetched (said
    to the engine, which fetches that page itself). Sending blocks while the engine is behind:
    the helper waits with it."""
    async with httpx.AsyncClient() as client:
        logging.disable(logging.WARNING)  # what the settings call for was said by the engine
        try:
            source = ORDER_SOURCES[kind](name, client, settings)
        finally:
            logging.disable(logging.NOTSET)
        while True:
            try:
                page = await source.fetch_page(cursor)
                rows = prepare_page(page.orders)
                message = (
                    "page",
                    tuple(told(page)),
                    (rows.values, rows.items, rows.parcels),
                )
            except Exception as error:  # the engine meets it again, as its own
                sock.sendall(_frame(("trouble", f"{type(error).__name__}: {error}")))
                return
            sock.sendall(_frame(message))
            if not page.more:
                return
            cursor = page.cursor
            del page, rows, message
            gc.collect(1)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
