"""The Redis store on a real Redis: claims, the capped recent list, and pub/sub between two
stores standing for two replicas — including one whose subscription is cut.

Each test keeps its keys under a prefix and its messages on a channel of its own, and removes its
keys afterwards.
"""

from __future__ import annotations

import asyncio
import uuid

from opentelemetry import trace
from tornado.testing import AsyncTestCase, gen_test

from notifications.redis_store import RedisNotificationStore
from notifications.repository import RECENT_LIMIT, Notification
from notifications.settings import NotificationsSettings
from polykit.stores import async_redis_client
from polykit.telemetry import setup_tracing
from polykit.testing import needs

setup_tracing(NotificationsSettings.from_env())


def current_trace_id() -> int:
    return trace.get_current_span().get_span_context().trace_id


def notification(user_id: str = "alice") -> Notification:
    return Notification(
        event_id=str(uuid.uuid4()),
        user_id=user_id,
        type="order.paid",
        data={"order_id": str(uuid.uuid4())},
        created_at="2026-01-01T00:00:00.000Z",
    )


async def poll(condition, what: str, attempts: int = 500) -> None:
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


class RedisTestCase(AsyncTestCase):
    def setUp(self) -> None:
        self.url = needs("TEST_REDIS_URL")  # before the loop exists: a skip runs no tearDown
        super().setUp()
        self.name = f"notifications-test-{uuid.uuid4().hex[:12]}"
        self.prefix = f"polyshop-test-{uuid.uuid4().hex[:12]}:"
        self.channel = f"{self.prefix}notifications"
        self.stores: list[RedisNotificationStore] = []
        self.admin = async_redis_client(self.url, name=self.name)

    def tearDown(self) -> None:
        self.io_loop.run_sync(self._clean_up)
        super().tearDown()

    async def _clean_up(self) -> None:
        for store in self.stores:
            await store.close()
        keys = [key async for key in self.admin.scan_iter(match=f"{self.prefix}*")]
        if keys:
            await self.admin.delete(*keys)
        await self.admin.aclose()

    def store(self, delivered: list[Notification] | None = None) -> RedisNotificationStore:
        sink = delivered if delivered is not None else []
        store = RedisNotificationStore(
            async_redis_client(self.url, name=self.name),
            sink.append,
            dedup_ttl_seconds=600,
            prefix=self.prefix,
            channel=self.channel,
            backoff=(0.05, 0.5),
        )
        self.stores.append(store)
        return store


class TestRecording(RedisTestCase):
    @gen_test
    async def test_an_event_id_is_claimed_once_with_a_ttl(self):
        store = self.store()
        first = notification()
        assert await store.record(first)
        assert not await store.record(first)
        [claim, _] = store.keys(first)
        assert 0 < await self.admin.ttl(claim) <= 600
        assert [n.event_id for n in await store.recent("alice")] == [first.event_id]

    @gen_test
    async def test_the_recent_list_keeps_the_latest_50_newest_first(self):
        store = self.store()
        recorded = [notification() for _ in range(RECENT_LIMIT + 5)]
        for item in recorded:
            await store.record(item)
        assert await store.recent("alice") == list(reversed(recorded[5:]))
        assert await self.admin.llen(store.list_key("alice")) == RECENT_LIMIT
        assert await store.recent("bob") == []


class TestFanOut(RedisTestCase):
    @gen_test(timeout=10)
    async def test_an_event_recorded_by_one_replica_is_delivered_by_every_replica(self):
        here, there = [], []
        replicas = [self.store(here), self.store(there)]
        for replica in replicas:
            await replica.start()
        await poll(lambda: all(r.subscribed for r in replicas), "both to subscribe")
        sent = notification()
        assert await replicas[0].record(sent)
        assert not await replicas[1].record(sent)
        await poll(lambda: here and there, "both replicas to deliver")
        assert here == there == [sent]

    @gen_test(timeout=10)
    async def test_a_cut_subscription_comes_back_and_delivers_again(self):
        delivered: list[Notification] = []
        replica = self.store(delivered)
        await replica.start()
        await poll(lambda: replica.subscribed, "the subscription")
        await self.kill_subscriptions()
        await poll(lambda: not replica.subscribed, "the subscription to drop")
        await poll(lambda: replica.subscribed, "the subscription to come back")
        sent = notification()
        await replica.record(sent)
        await poll(lambda: delivered, "the delivery")
        assert delivered == [sent]

    @gen_test(timeout=10)
    async def test_the_delivery_joins_the_trace_of_the_request_that_recorded_it(self):
        traces: list[int] = []
        replica = self.store()
        replica.deliver = lambda _: traces.append(current_trace_id())
        await replica.start()
        await poll(lambda: replica.subscribed, "the subscription")
        with trace.get_tracer("test").start_as_current_span("POST /api/events"):
            await replica.record(notification())
            posted = current_trace_id()
        await poll(lambda: traces, "the delivery")
        assert traces == [posted]

    async def kill_subscriptions(self) -> None:
        """Cuts this test's pub/sub connections only: others may share the Redis."""
        clients = await self.admin.client_list(_type="pubsub")
        ours = [c["id"] for c in clients if c.get("name") == f"polyshop-{self.name}"]
        assert ours
        for client_id in ours:
            await self.admin.client_kill_filter(_id=client_id)
