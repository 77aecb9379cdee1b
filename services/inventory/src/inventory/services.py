"""The inventory's use cases, free of any web framework.

A reservation moves once, from held to one of committed, released or expired:

    held ──commit (before it expires)──▶ committed
      ├───release──────────────────────▶ released   (units back in stock)
      └───the sweeper, or a late commit─▶ expired    (units back in stock)

Asking for the move a reservation already made answers with it again (commit twice, release
twice, release after expiry); asking for the other way is a conflict.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from inventory.models import ReservationStatus
from inventory.repository import Hold, Line, Shortage, ShortStock, StockLevel
from polykit.errors import Conflict, FieldError, NotFound

if TYPE_CHECKING:
    from prometheus_client import Counter

    from inventory.repository import InventoryRepository

Clock = Callable[[], datetime]
OUTCOMES = ("held", "short", "committed", "released", "expired")

log = logging.getLogger("polyshop.inventory")


class Catalog(Protocol):
    def skus(self) -> list[str]:
        """Every SKU catalog sells; ServiceUnavailable when it cannot say."""
        ...


def stock_get(*, repository: InventoryRepository, sku: str) -> StockLevel:
    level = repository.stock(sku)
    if level is None:
        raise NotFound(f"There is no stock of {sku!r}.")
    return level


def stock_set(*, repository: InventoryRepository, sku: str, available: int) -> StockLevel:
    """Sets how many units of `sku` can be reserved (staff counting shelves, a restock); a SKU
    inventory did not know yet starts being stocked."""
    return repository.set_stock(sku, available)


def stock_seed(*, repository: InventoryRepository, catalog: Catalog, initial: int) -> list[str]:
    """Stocks every product catalog sells that inventory does not know, with `initial` units;
    stock already counted is left as it is. Returns the SKUs added."""
    added = repository.add_missing(catalog.skus(), initial)
    if added:
        log.info("stocked %d new products with %d units each", len(added), initial)
    return added


def reservation_place(
    *,
    repository: InventoryRepository,
    outcomes: Counter,
    clock: Clock,
    ttl: timedelta,
    order_id: uuid.UUID,
    lines: Sequence[Line],
) -> tuple[Hold, bool]:
    """Holds every line for the order, or nothing (409 naming each short SKU). An order holds
    stock once: asking again returns its reservation, whatever became of it, and False."""
    now = clock()
    try:
        hold, created = repository.reserve(
            order_id=order_id, lines=lines, created_at=now, expires_at=now + ttl
        )
    except ShortStock as short:
        outcomes.labels("short").inc()
        raise Conflict(
            "Some items are out of stock; nothing was held.",
            errors=[FieldError(f"items.{s.sku}", _shortfall(s)) for s in short.shortages],
        ) from None
    if created:
        outcomes.labels("held").inc()
    return hold, created


def reservation_get(*, repository: InventoryRepository, reservation_id: uuid.UUID) -> Hold:
    hold = repository.get(reservation_id)
    if hold is None:
        raise NotFound("There is no such reservation.")
    return hold


def reservations_of_order(*, repository: InventoryRepository, order_id: uuid.UUID) -> list[Hold]:
    hold = repository.by_order(order_id)
    return [] if hold is None else [hold]


def reservation_commit(
    *,
    repository: InventoryRepository,
    outcomes: Counter,
    clock: Clock,
    reservation_id: uuid.UUID,
) -> Hold:
    """The held units are sold: they stay out of stock for good."""
    now = clock()
    if repository.transition(reservation_id, ReservationStatus.COMMITTED, now=now):
        outcomes.labels("committed").inc()
        return reservation_get(repository=repository, reservation_id=reservation_id)
    hold = reservation_get(repository=repository, reservation_id=reservation_id)
    if hold.status is ReservationStatus.HELD:
        # Not committed while held: it has expired, and the sweeper has not been by yet.
        if repository.transition(reservation_id, ReservationStatus.EXPIRED, now=now):
            outcomes.labels("expired").inc()
        hold = reservation_get(repository=repository, reservation_id=reservation_id)
    if hold.status is ReservationStatus.COMMITTED:
        return hold
    raise Conflict(f"The reservation was {hold.status}; its stock is no longer held.")


def reservation_release(
    *,
    repository: InventoryRepository,
    outcomes: Counter,
    clock: Clock,
    reservation_id: uuid.UUID,
) -> Hold:
    """The held units go back to stock (the order was not paid)."""
    if repository.transition(reservation_id, ReservationStatus.RELEASED, now=clock()):
        outcomes.labels("released").inc()
        return reservation_get(repository=repository, reservation_id=reservation_id)
    hold = reservation_get(repository=repository, reservation_id=reservation_id)
    if hold.status is ReservationStatus.COMMITTED:
        raise Conflict("The reservation was committed; its units are sold.")
    return hold  # released or expired: its units are back in stock already


def reservations_expire(
    *, repository: InventoryRepository, outcomes: Counter, clock: Clock, limit: int
) -> int:
    """Returns to stock the units of up to `limit` holds that have expired; how many it
    returned. Safe with several replicas sweeping at once: each hold expires once."""
    now = clock()
    expired = sum(
        repository.transition(reservation_id, ReservationStatus.EXPIRED, now=now)
        for reservation_id in repository.due(now=now, limit=limit)
    )
    if expired:
        outcomes.labels("expired").inc(expired)
        log.info("returned the stock of %d expired reservations", expired)
    return expired


def _shortfall(shortage: Shortage) -> str:
    if shortage.available is None:
        return "is not stocked"
    return f"only {shortage.available} available, {shortage.wanted} wanted"
