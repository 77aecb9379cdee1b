"""The /ws protocol over real sockets: first-message auth, per-user fan-out, keepalive, drain."""

from __future__ import annotations

import asyncio
import json

import pytest
from notifications_testing import (
    NotificationsTestCase,
    auth_message,
    closed_with,
    event,
    next_message,
)
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tornado.httpclient import HTTPClientError
from tornado.testing import gen_test

from notifications import adapter
from notifications.settings import NotificationsSettings
from polykit.telemetry import setup_tracing
from polykit.testing import TestIssuer

SPANS = InMemorySpanExporter()
setup_tracing(NotificationsSettings.from_env()).add_span_processor(SimpleSpanProcessor(SPANS))


async def poll(condition, what: str, attempts: int = 300) -> None:
    """Waits for `condition()`, letting the server's side of the loop run meanwhile."""
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


class TestHandshake(NotificationsTestCase):
    @gen_test
    async def test_a_valid_token_first_gets_ready(self):
        _, token = self.customer()
        socket = await self.connect()
        await socket.write_message(auth_message(token))
        assert await next_message(socket) == {"type": "ready"}

    @gen_test
    async def test_a_bad_token_closes_with_1008(self):
        user_id, _ = self.customer()
        tokens = {
            "expired": self.issuer.token(user_id, roles=("customer",), lifetime=-60),
            "signed by someone else": TestIssuer(kid=self.issuer.kid).token(user_id),
            "not a JWT": "not-a-jwt",
            "a service's, not a shopper's": self.issuer.token("service:x", roles=("service",)),
        }
        for case, token in tokens.items():
            with self.subTest(case=case):
                socket = await self.connect()
                await socket.write_message(auth_message(token))
                code, reason = await closed_with(socket)
                assert code == 1008
                assert token not in (reason or "")

    @gen_test
    async def test_any_other_first_message_closes_with_1008(self):
        _, token = self.customer()
        for first in (
            json.dumps({"type": "hello"}),
            json.dumps({"type": "auth"}),
            json.dumps({"type": "auth", "token": 42}),
            json.dumps(["auth", token]),
            "not json",
            "[" * 10_000,
            token,  # a bare token is not the protocol
        ):
            with self.subTest(first=first[:20]):
                socket = await self.connect()
                await socket.write_message(first)
                assert (await closed_with(socket))[0] == 1008

    @gen_test
    async def test_only_the_first_message_authenticates(self):
        user_id, token = self.customer()
        socket = await self.subscribe(token)
        _, other_token = self.customer()
        await socket.write_message(auth_message(other_token))
        await socket.write_message("anything")
        await self.post_event(event(user_id))
        received = await next_message(socket)
        assert received["type"] == "order.paid"


class TestSilence(NotificationsTestCase):
    overrides = {"websocket_auth_timeout_seconds": 0.1}

    @gen_test
    async def test_silence_after_opening_closes_with_1008(self):
        socket = await self.connect()
        assert (await closed_with(socket))[0] == 1008
        await poll(lambda: len(self.app.hub) == 0, "the socket to leave the hub")

    @gen_test
    async def test_a_socket_that_authenticated_in_time_stays_open(self):
        user_id, token = self.customer()
        socket = await self.subscribe(token)
        # A socket opened later is refused later: once it is, the first one's time is up too.
        latecomer = await self.connect()
        assert (await closed_with(latecomer))[0] == 1008
        await self.post_event(event(user_id))
        assert (await next_message(socket))["type"] == "order.paid"


class TestOrigins(NotificationsTestCase):
    @gen_test
    async def test_the_storefront_origin_may_connect(self):
        for origin in ("http://127.0.0.1:8080", "http://localhost:8080"):
            socket = await self.connect(origin=origin)
            socket.close()

    @gen_test
    async def test_another_site_is_refused(self):
        with pytest.raises(HTTPClientError) as refused:
            await self.connect(origin="https://evil.example")
        assert refused.value.code == 403


class TestConfiguredOrigins(NotificationsTestCase):
    overrides = {"allowed_origins": "https://shop.example.com/"}

    @gen_test
    async def test_allowed_origins_come_from_the_setting(self):
        socket = await self.connect(origin="https://shop.example.com")
        socket.close()
        with pytest.raises(HTTPClientError):
            await self.connect(origin="http://127.0.0.1:8080")


class TestFanOut(NotificationsTestCase):
    @gen_test
    async def test_an_event_reaches_every_socket_of_its_user_and_no_one_else(self):
        alice, alice_token = self.customer()
        bob, bob_token = self.customer()
        alices = [await self.subscribe(alice_token) for _ in range(3)]
        bobs = await self.subscribe(bob_token)
        for_alice = event(alice)
        response = await self.post_event(for_alice)
        assert response.code == 202
        for socket in alices:
            received = await next_message(socket)
            assert received == {
                **for_alice["data"],
                "type": "order.paid",
                "event_id": for_alice["event_id"],
                "created_at": received["created_at"],
            }
        # Delivered in order: had Bob's socket got Alice's event, it would read it first.
        for_bob = event(bob, "order.payment_failed", status="payment_failed")
        await self.post_event(for_bob)
        received = await next_message(bobs)
        assert received["event_id"] == for_bob["event_id"]
        assert received["order_id"] == for_bob["data"]["order_id"]

    @gen_test
    async def test_a_repeated_event_is_sent_once(self):
        user_id, token = self.customer()
        socket = await self.subscribe(token)
        first, second = event(user_id), event(user_id)
        for body in (first, first, second):
            assert (await self.post_event(body)).code == 202
        assert (await next_message(socket))["event_id"] == first["event_id"]
        assert (await next_message(socket))["event_id"] == second["event_id"]

    @gen_test
    async def test_a_dead_socket_is_dropped_and_the_others_still_receive(self):
        user_id, token = self.customer()
        sockets = [await self.subscribe(token) for _ in range(3)]
        # Gone without a close handshake, as when a laptop lid shuts.
        sockets[0].protocol.stream.close()
        await self.post_event(event(user_id))
        for socket in sockets[1:]:
            assert (await next_message(socket))["type"] == "order.paid"
        await poll(lambda: self.app.hub.sockets_of(user_id) == 2, "the dead socket to go")

    @gen_test
    async def test_a_socket_that_closed_is_no_longer_counted(self):
        _, token = self.customer()
        socket = await self.subscribe(token)
        assert "polyshop_websocket_connections 1.0" in await self.metrics()
        socket.close()
        await poll(lambda: len(self.app.hub) == 0, "the socket to leave")
        text = await self.metrics()
        assert "polyshop_websocket_connections 0.0" in text
        assert "polyshop_websocket_disconnects_total 1.0" in text

    @gen_test
    async def test_metrics_count_sends_per_socket_and_events_by_outcome(self):
        user_id, token = self.customer()
        [await self.subscribe(token) for _ in range(2)]
        repeated = event(user_id)
        await self.post_event(repeated)
        await self.post_event(repeated)
        await self.post_event(event(user_id, "order.shipped"))
        text = await self.metrics()
        assert 'polyshop_notifications_sent_total{type="order.paid"} 2.0' in text
        assert 'polyshop_notifications_sent_total{type="other"} 2.0' in text
        assert 'polyshop_events_received_total{outcome="accepted"} 2.0' in text
        assert 'polyshop_events_received_total{outcome="duplicate"} 1.0' in text

    async def metrics(self) -> str:
        return (await self.http_client.fetch(self.get_url("/metrics"))).body.decode()


class TestKeepalive(NotificationsTestCase):
    overrides = {"websocket_ping_interval_seconds": 0.05, "websocket_ping_timeout_seconds": 0.05}

    @gen_test
    async def test_the_server_pings_an_idle_socket(self):
        _, token = self.customer()
        socket = await self.subscribe(token)
        pinged = asyncio.Event()
        socket.on_ping = lambda data: pinged.set()
        await pinged.wait()
        await socket.write_message("still here")
        assert socket.close_code is None


class TestDrain(NotificationsTestCase):
    @gen_test
    async def test_draining_closes_every_socket_with_1001(self):
        _, token = self.customer()
        authenticated = await self.subscribe(token)
        unauthenticated = await self.connect()
        await poll(lambda: len(self.app.hub) == 2, "both sockets to open")
        await adapter.drain(
            self.http_server, self.inflight, grace=5, hub=self.app.hub, lifecycle=self.lifecycle
        )
        for socket in (authenticated, unauthenticated):
            assert (await closed_with(socket))[0] == 1001
        assert len(self.app.hub) == 0


class TestTracing(NotificationsTestCase):
    @gen_test
    async def test_each_message_has_its_own_span_linked_to_the_connection(self):
        _, token = self.customer()
        SPANS.clear()
        socket = await self.subscribe(token)
        await socket.write_message("ignored")
        await socket.write_message("ignored too")
        socket.close()
        await poll(lambda: len(self.app.hub) == 0, "the socket to close")
        spans = SPANS.get_finished_spans()
        messages = [span for span in spans if span.name == "WS /ws message"]
        [connection] = [span for span in spans if span.name == "GET /ws"]
        assert len(messages) == 3
        for span in messages:
            assert span.parent is None
            assert span.context.trace_id != connection.context.trace_id
            [link] = span.links
            assert link.context.span_id == connection.context.span_id
        assert len({span.context.trace_id for span in messages}) == 3
        assert all(token not in json.dumps(dict(span.attributes)) for span in spans)
