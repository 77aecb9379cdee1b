"""The in-process store: how long it remembers event ids, and how much it keeps."""

from __future__ import annotations

from tornado.testing import AsyncTestCase, gen_test

from notifications.memory_store import MemoryNotificationStore
from notifications.repository import Notification


def notification(event_id: str, user_id: str = "alice") -> Notification:
    return Notification(
        event_id=event_id,
        user_id=user_id,
        type="order.paid",
        data={},
        created_at="2026-01-01T00:00:00.000Z",
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestMemoryStore(AsyncTestCase):
    def store(self, **options) -> tuple[MemoryNotificationStore, list[Notification]]:
        delivered: list[Notification] = []
        self.clock = Clock()
        options = {"dedup_ttl_seconds": 60, "clock": self.clock} | options
        return MemoryNotificationStore(delivered.append, **options), delivered

    @gen_test
    async def test_an_event_id_is_remembered_for_the_ttl_then_forgotten(self):
        store, delivered = self.store()
        assert await store.record(notification("e-1"))
        self.clock.now += 59
        assert not await store.record(notification("e-1"))
        self.clock.now += 2
        assert await store.record(notification("e-1"))
        assert [n.event_id for n in delivered] == ["e-1", "e-1"]

    @gen_test
    async def test_the_oldest_event_ids_make_room_for_new_ones(self):
        store, _ = self.store(max_events=2)
        for event_id in ("e-1", "e-2", "e-3"):
            assert await store.record(notification(event_id))
        assert not await store.record(notification("e-3"))
        assert await store.record(notification("e-1"))

    @gen_test
    async def test_lists_are_kept_for_the_users_most_recently_notified(self):
        store, _ = self.store(max_users=2)
        for event_id, user_id in (("e-1", "alice"), ("e-2", "bob"), ("e-3", "alice")):
            await store.record(notification(event_id, user_id))
        await store.record(notification("e-4", "carol"))
        assert await store.recent("bob") == []
        assert [n.event_id for n in await store.recent("alice")] == ["e-3", "e-1"]
        assert [n.event_id for n in await store.recent("carol")] == ["e-4"]
