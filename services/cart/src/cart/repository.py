"""Where carts are kept: one small interface, two stores.

`RedisCartStore` (redis_store.py) when REDIS_URL is set, where idle carts expire after 30 days;
`SqlCartStore` (sql_store.py) otherwise, on the service's database (SQLite under DATA_DIR by
default). Both remember the order items were first added and change one item per atomic step, so
concurrent writes to one cart never lose each other's items.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cart.settings import CartSettings
    from polykit.health import Check
    from polykit.metrics import Metrics

log = logging.getLogger("polyshop.cart")


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


class PutOutcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    # The cart already holds the most distinct SKUs it may; nothing was written.
    FULL = "full"


class CartStore(Protocol):
    async def lines(self, user_id: str) -> list[CartLine]:
        """The cart's items in the order they were first added; [] for no cart."""
        ...

    async def put(self, user_id: str, sku: str, quantity: int, *, max_lines: int) -> PutOutcome:
        """Sets one item's quantity (> 0), adding it unless `max_lines` other SKUs are in."""
        ...

    async def remove(self, user_id: str, sku: str) -> None: ...

    async def clear(self, user_id: str) -> None: ...


@dataclass(frozen=True)
class OpenedStore:
    store: CartStore
    checks: dict[str, Check]
    close: Callable[[], Awaitable[None]]


def open_store(settings: CartSettings, *, metrics: Metrics | None = None) -> OpenedStore:
    # Imported here: a process on Redis never loads SQLAlchemy, and one on SQLite never loads redis.
    from polykit import stores

    if settings.redis_url:
        from cart.redis_store import RedisCartStore

        client = stores.async_redis_client(
            settings.redis_url, name=settings.service_name, metrics=metrics
        )
        return OpenedStore(
            RedisCartStore(client), {"redis": stores.async_redis_check(client)}, client.aclose
        )
    from cart.sql_store import SqlCartStore

    engine = stores.async_engine(settings, metrics=metrics)
    return OpenedStore(
        SqlCartStore(engine), {"database": stores.async_engine_check(engine)}, engine.dispose
    )


def migrate_store(settings: CartSettings) -> None:
    """Brings the tables up to date; Redis has none."""
    if settings.redis_url:
        log.info("carts live in Redis: no tables to migrate")
        return
    from polykit.migrations import migrate

    migrate(settings, "cart")
