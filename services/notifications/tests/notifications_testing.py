"""What the notifications tests share: events to post, and a JWKS server for real processes."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tornado.httpclient import HTTPRequest, HTTPResponse
from tornado.testing import AsyncHTTPTestCase
from tornado.websocket import WebSocketClientConnection, websocket_connect

from notifications import adapter
from notifications.app import NotificationsApp, create_app
from notifications.settings import NotificationsSettings
from polykit.health import Lifecycle
from polykit.testing import TestIssuer


def event(user_id: str, event_type: str = "order.paid", **data: Any) -> dict[str, Any]:
    """An event as orders posts it, with a fresh event_id."""
    order_id = str(uuid.uuid4())
    return {
        "event_id": str(uuid.uuid4()),
        "user_id": user_id,
        "type": event_type,
        "data": {"order_id": order_id, "total_cents": 4200, "currency": "USD", "status": "paid"}
        | data,
    }


def auth_message(token: str) -> str:
    return json.dumps({"type": "auth", "token": token})


@contextmanager
def jwks_server(issuer: TestIssuer) -> Iterator[str]:
    """Serves `issuer`'s keys as users does (GET /.well-known/jwks.json) on a free port; yields
    the base URL to give real processes as USERS_URL."""
    document = json.dumps(issuer.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class NotificationsTestCase(AsyncHTTPTestCase):
    """The app on a real HTTP server per test, trusting a TestIssuer's tokens."""

    overrides: dict[str, object] = {}

    def get_app(self) -> NotificationsApp:
        self.issuer = TestIssuer()
        self.lifecycle = Lifecycle()
        self.inflight = adapter.InFlight()
        self.app = create_app(
            NotificationsSettings.from_env(**self.overrides),
            lifecycle=self.lifecycle,
            inflight=self.inflight,
            verifier=self.issuer.verifier(),
        )
        return self.app

    def customer(self) -> tuple[str, str]:
        """A new shopper: their user id and a token of theirs."""
        user_id = str(uuid.uuid4())
        return user_id, self.issuer.token(user_id, roles=("customer",))

    def bearer(self, *roles: str, subject: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(subject, roles=roles)}"}

    async def post_event(
        self, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> HTTPResponse:
        if headers is None:
            headers = self.bearer("service", subject="service:orders")
        return await self.http_client.fetch(
            self.get_url("/api/events"),
            method="POST",
            body=body if isinstance(body, bytes) else json.dumps(body),
            headers=headers,
            raise_error=False,
        )

    async def recent(self, token: str | None) -> HTTPResponse:
        return await self.http_client.fetch(
            self.get_url("/api/notifications"),
            headers={"Authorization": f"Bearer {token}"} if token else {},
            raise_error=False,
        )

    async def connect(self, origin: str | None = None) -> WebSocketClientConnection:
        url = self.get_url("/ws").replace("http://", "ws://", 1)
        headers = {"Origin": origin} if origin else {}
        return await websocket_connect(HTTPRequest(url, headers=headers))

    async def subscribe(self, token: str) -> WebSocketClientConnection:
        """A socket that has authenticated as the token's user."""
        socket = await self.connect()
        await socket.write_message(auth_message(token))
        assert json.loads(await socket.read_message()) == {"type": "ready"}
        return socket


async def next_message(socket: WebSocketClientConnection) -> dict[str, Any]:
    message = await socket.read_message()
    assert message is not None, f"closed with {socket.close_code}: {socket.close_reason}"
    return json.loads(message)


async def closed_with(socket: WebSocketClientConnection) -> tuple[int | None, str | None]:
    """Reads until the server closes the socket; its close code and reason."""
    while await socket.read_message() is not None:
        pass
    return socket.close_code, socket.close_reason
