"""The notifications service's use cases, free of any web framework."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from notifications.repository import Notification

if TYPE_CHECKING:
    from prometheus_client import Counter

    from notifications.hub import Hub
    from notifications.repository import NotificationStore

# The events the store sends today. Any other well-formed type is accepted and delivered too
# (see schemas.EventIn), so a new event in orders needs no release of notifications; metrics
# count those under "other", so a caller cannot grow their label sets without bound.
EVENT_TYPES = ("order.paid", "order.payment_failed")
OTHER_TYPE = "other"
OUTCOMES = ("accepted", "duplicate")
# The push message's own fields; an event's data may not use these names.
ENVELOPE = frozenset({"type", "event_id", "created_at"})


def type_label(event_type: str) -> str:
    return event_type if event_type in EVENT_TYPES else OTHER_TYPE


async def notification_accept(
    *,
    store: NotificationStore,
    received: Counter,
    event_id: str,
    user_id: str,
    event_type: str,
    data: dict[str, Any],
    now: datetime,
) -> bool:
    """Keeps the event and pushes it to the user's sockets on every replica; False, sending
    nothing, when this event_id was already accepted (a retry of the same event)."""
    notification = Notification(
        event_id=event_id,
        user_id=user_id,
        type=event_type,
        data=data,
        created_at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    accepted = await store.record(notification)
    received.labels("accepted" if accepted else "duplicate").inc()
    return accepted


def notification_deliver(*, hub: Hub, sent: Counter, notification: Notification) -> int:
    """Writes the notification to each of its user's sockets in this process; how many."""
    count = hub.send(notification.user_id, json.dumps(push_message(notification)))
    if count:
        sent.labels(type_label(notification.type)).inc(count)
    return count


def push_message(notification: Notification) -> dict[str, Any]:
    """What a socket receives: the event's data, flat, beside its type, id and time
    (`{"type": "order.paid", "order_id": ..., ...}`, as design.md shows it)."""
    return {
        **notification.data,
        "type": notification.type,
        "event_id": notification.event_id,
        "created_at": notification.created_at,
    }


async def notifications_recent(*, store: NotificationStore, user_id: str) -> list[Notification]:
    return await store.recent(user_id)
