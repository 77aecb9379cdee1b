"""A shopper's live notifications socket, as the storefront's page opens it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from websockets.sync.client import connect

from e2e.matrix import BY_NAME
from e2e.waiting import poll_until


class Socket:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self._lock = threading.Lock()

    def received(self, kind: str, order_id: str) -> dict | None:
        with self._lock:
            for message in self.messages:
                if message.get("type") == kind and message.get("order_id") == order_id:
                    return message
        return None

    def wait_for(self, kind: str, order_id: str, timeout: float = 30) -> dict:
        return poll_until(
            lambda: self.received(kind, order_id), timeout=timeout, what=f"{kind} for {order_id}"
        )


@contextmanager
def notifications_socket(token: str) -> Iterator[Socket]:
    url = BY_NAME["notifications"].url.replace("http", "ws", 1) + "/ws"
    socket = Socket()
    with connect(url, open_timeout=5) as connection:
        connection.send(json.dumps({"type": "auth", "token": token}))
        ready = json.loads(connection.recv(timeout=5))
        assert ready == {"type": "ready"}, ready

        def listen() -> None:
            for raw in connection:
                with socket._lock:
                    socket.messages.append(json.loads(raw))

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        yield socket
