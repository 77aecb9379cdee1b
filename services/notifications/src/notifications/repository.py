"""Where notifications are kept, and how they reach every replica: one interface, two stores.

`RedisNotificationStore` (redis_store.py) when REDIS_URL is set: event ids claimed with SET NX,
each user's recent list in Redis, and every notification published on one channel that every
replica subscribes to. `MemoryNotificationStore` (memory_store.py) otherwise: all of it inside
this one process, which is then the only replica.

Either way a store hands each new notification to `deliver` once in every replica. Pub/sub is
at most once: a replica whose subscription is down misses what is published meanwhile (its
readiness says so), and the recent list, which a client reads when it reconnects, still has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from notifications.settings import NotificationsSettings
    from polykit.health import Check
    from polykit.metrics import Metrics


# The recent notifications kept per user, and what GET /api/notifications answers at most.
RECENT_LIMIT = 50


@dataclass(frozen=True)
class Notification:
    event_id: str
    user_id: str
    type: str
    data: dict[str, Any]
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> Notification:
        return cls(**{name: fields[name] for name in cls.__dataclass_fields__})


Deliver = Callable[[Notification], object]


class NotificationStore(Protocol):
    checks: dict[str, Check]

    async def record(self, notification: Notification) -> bool:
        """Keeps a new event and hands it to every replica's `deliver`; False, doing nothing,
        for an event_id already recorded."""
        ...

    async def recent(self, user_id: str) -> list[Notification]:
        """The user's latest notifications, newest first, at most RECENT_LIMIT."""
        ...

    async def start(self) -> None:
        """Begins receiving other replicas' notifications (on the running loop)."""
        ...

    async def close(self) -> None: ...


def open_store(
    settings: NotificationsSettings, deliver: Deliver, *, metrics: Metrics | None = None
) -> NotificationStore:
    # Imported here: a process without Redis never loads the redis package.
    if settings.redis_url:
        from notifications.redis_store import RedisNotificationStore
        from polykit.stores import async_redis_client

        client = async_redis_client(settings.redis_url, name=settings.service_name, metrics=metrics)
        return RedisNotificationStore(
            client, deliver, dedup_ttl_seconds=settings.event_dedup_ttl_seconds
        )
    from notifications.memory_store import MemoryNotificationStore

    return MemoryNotificationStore(deliver, dedup_ttl_seconds=settings.event_dedup_ttl_seconds)
