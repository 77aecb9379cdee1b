"""Every open WebSocket of this process, and whose it is: tornado's chatdemo `waiters`, by user.

Sockets join when they open, are filed under their user once they authenticate, and leave when
they close. A message for a user goes to each of that user's sockets; one that turns out to be
dead is dropped and the others still get theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from functools import partial
from typing import Protocol

from tornado.websocket import WebSocketClosedError

log = logging.getLogger("polyshop.notifications")


class Socket(Protocol):
    def write_message(self, message: str) -> Awaitable[None]: ...

    def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class Hub:
    def __init__(self) -> None:
        self._open: set[Socket] = set()
        self._by_user: dict[str, set[Socket]] = {}
        self._user_of: dict[Socket, str] = {}
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._open)

    def join(self, socket: Socket) -> None:
        self._open.add(socket)
        self._empty.clear()

    def identify(self, socket: Socket, user_id: str) -> None:
        """Files an open socket under its (authenticated) user."""
        if socket in self._open:
            self._by_user.setdefault(user_id, set()).add(socket)
            self._user_of[socket] = user_id

    def leave(self, socket: Socket) -> None:
        self._open.discard(socket)
        user_id = self._user_of.pop(socket, None)
        if user_id is not None:
            sockets = self._by_user[user_id]
            sockets.discard(socket)
            if not sockets:
                del self._by_user[user_id]
        if not self._open:
            self._empty.set()

    def sockets_of(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def send(self, user_id: str, message: str) -> int:
        """Writes `message` to every open socket of the user; how many it was written to."""
        sent = 0
        for socket in list(self._by_user.get(user_id, ())):
            try:
                written = asyncio.ensure_future(socket.write_message(message))
            except WebSocketClosedError:
                self.leave(socket)
                continue
            except Exception:
                log.exception("could not write to a socket; dropping it")
                self.leave(socket)
                continue
            # Tornado writes without waiting: a socket that dies mid-write fails its future later.
            written.add_done_callback(partial(self._written, socket))
            sent += 1
        return sent

    def _written(self, socket: Socket, written: asyncio.Future[None]) -> None:
        if not written.cancelled() and written.exception() is not None:
            self.leave(socket)

    def close_all(self, code: int, reason: str) -> None:
        for socket in list(self._open):
            socket.close(code, reason)

    async def wait_empty(self) -> None:
        await self._empty.wait()
