"""Notifications in Redis, shared by every replica.

- `polyshop:notification-event:<event_id>`: claimed with SET NX and a TTL; a second claim of the
  same id fails, and that event is a duplicate.
- `polyshop:notifications:<user_id>`: a list, newest first, capped at RECENT_LIMIT, gone after
  30 idle days.
- channel `polyshop:notifications`: every notification is published there; each replica
  subscribes in a background task and delivers to its own sockets.

The three writes run as one Lua script, which Redis runs atomically: an event is claimed, listed
and published together or not at all, so a claim can never strand an event that was not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any

import redis.exceptions
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from notifications.repository import RECENT_LIMIT, Deliver, Notification
from polykit.stores import async_redis_check, unavailable_on

if TYPE_CHECKING:
    import redis.asyncio

    from polykit.health import Check

CHANNEL = "polyshop:notifications"
RECENT_TTL_SECONDS = 30 * 24 * 60 * 60

log = logging.getLogger("polyshop.notifications")
tracer = trace.get_tracer("notifications")
down = unavailable_on(
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    store="notifications",
    detail="Notifications cannot be stored right now; try again shortly.",
)

# KEYS: the event's claim, the user's list. ARGV: claim TTL, notification JSON, list cap,
# list TTL, channel, message published.
_RECORD = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
"""


class RedisNotificationStore:
    def __init__(
        self,
        client: redis.asyncio.Redis,
        deliver: Deliver,
        *,
        dedup_ttl_seconds: int,
        prefix: str = "polyshop:",
        channel: str = CHANNEL,
        ping_seconds: float = 15.0,
        backoff: tuple[float, float] = (0.2, 10.0),
    ) -> None:
        self.client = client
        self.deliver = deliver
        self.dedup_ttl_seconds = dedup_ttl_seconds
        self.prefix = prefix
        self.channel = channel
        self.ping_seconds = ping_seconds
        self.backoff = backoff
        self.subscribed = False
        self.checks: dict[str, Check] = {
            "redis": async_redis_check(client),
            "subscription": self._check_subscription,
        }
        self._record = client.register_script(_RECORD)
        self._listener: asyncio.Task[None] | None = None
        self._delay = backoff[0]

    def keys(self, notification: Notification) -> list[str]:
        return [
            f"{self.prefix}notification-event:{notification.event_id}",
            self.list_key(notification.user_id),
        ]

    def list_key(self, user_id: str) -> str:
        return f"{self.prefix}notifications:{user_id}"

    @down
    async def record(self, notification: Notification) -> bool:
        # The publishing request's trace travels with the message, so the delivery on every
        # replica joins the trace of the checkout that caused it.
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        fields = notification.as_dict()
        message = json.dumps({"notification": fields, "trace": carrier})
        claimed = await self._record(
            keys=self.keys(notification),
            args=[
                self.dedup_ttl_seconds,
                json.dumps(fields),
                RECENT_LIMIT,
                RECENT_TTL_SECONDS,
                self.channel,
                message,
            ],
        )
        return bool(claimed)

    @down
    async def recent(self, user_id: str) -> list[Notification]:
        stored = await self.client.lrange(self.list_key(user_id), 0, RECENT_LIMIT - 1)
        return [Notification.from_dict(json.loads(item)) for item in stored]

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="notifications-subscriber")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.client.aclose()

    async def _check_subscription(self) -> None:
        if not self.subscribed:
            raise ConnectionError(f"not subscribed to {self.channel}")

    async def _listen(self) -> None:
        """Subscribes and delivers until cancelled; a lost subscription is retried with
        exponential backoff and jitter, so replicas do not all reconnect in the same instant."""
        while True:
            try:
                await self._subscribe_and_deliver()
            except Exception as exc:
                log.warning(
                    "the subscription to %s dropped (%s); retrying in about %.1f s",
                    self.channel,
                    type(exc).__name__,
                    self._delay,
                )
            await asyncio.sleep(self._delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)
            self._delay = min(self._delay * 2, self.backoff[1])

    async def _subscribe_and_deliver(self) -> None:
        async with self.client.pubsub() as pubsub:
            await pubsub.subscribe(self.channel)
            self.subscribed = True
            self._delay = self.backoff[0]
            log.info("subscribed to %s", self.channel)
            try:
                heard = time.monotonic()
                while True:
                    message = await pubsub.get_message(timeout=self.ping_seconds)
                    if message is None:
                        # A connection that died without a reset stays silent forever: ask.
                        if time.monotonic() - heard > 1.5 * self.ping_seconds:
                            raise redis.exceptions.ConnectionError("no answer to PING")
                        await pubsub.ping()
                        continue
                    heard = time.monotonic()
                    if message["type"] == "message":
                        self._deliver_published(message["data"])
            finally:
                self.subscribed = False

    def _deliver_published(self, data: bytes) -> None:
        try:
            published: dict[str, Any] = json.loads(data)
            notification = Notification.from_dict(published["notification"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a message on %s that is not a notification", self.channel)
            return
        context = propagate.extract(published.get("trace") or {})
        with tracer.start_as_current_span(
            f"{self.channel} process",
            context=context,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "redis",
                "messaging.operation.type": "process",
                "messaging.destination.name": self.channel,
                "polyshop.notification.type": notification.type,
            },
        ):
            try:
                self.deliver(notification)
            except Exception:
                # A bug in delivery must not end the subscription of every later notification.
                log.exception("could not deliver notification %s", notification.event_id)
