"""Notifications inside this process: the local default, where this process is the only replica.

A restart forgets them. Both memories are bounded, oldest out first, so a long run cannot grow
without limit: event ids for `dedup_ttl_seconds` (and at most `max_events` of them), recent
lists for the `max_users` users most recently notified.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from notifications.repository import RECENT_LIMIT, Deliver, Notification

if TYPE_CHECKING:
    from polykit.health import Check


class MemoryNotificationStore:
    def __init__(
        self,
        deliver: Deliver,
        *,
        dedup_ttl_seconds: float,
        max_events: int = 10_000,
        max_users: int = 1_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.deliver = deliver
        self.dedup_ttl_seconds = dedup_ttl_seconds
        self.max_events = max_events
        self.max_users = max_users
        self.clock = clock
        self.checks: dict[str, Check] = {}
        # event_id → when it may be forgotten; one TTL for all, so insertion order is expiry order.
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._recent: OrderedDict[str, deque[Notification]] = OrderedDict()

    async def record(self, notification: Notification) -> bool:
        now = self.clock()
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)
        if notification.event_id in self._seen:
            return False
        self._seen[notification.event_id] = now + self.dedup_ttl_seconds
        if len(self._seen) > self.max_events:
            self._seen.popitem(last=False)
        recent = self._recent.pop(notification.user_id, None) or deque(maxlen=RECENT_LIMIT)
        recent.appendleft(notification)
        self._recent[notification.user_id] = recent
        if len(self._recent) > self.max_users:
            self._recent.popitem(last=False)
        self.deliver(notification)
        return True

    async def recent(self, user_id: str) -> list[Notification]:
        return list(self._recent.get(user_id, ()))

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
