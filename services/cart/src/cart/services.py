"""The cart's use cases, free of any web framework."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cart.repository import PutOutcome
from polykit.errors import Conflict, FieldError, NotFound, ValidationFailed

if TYPE_CHECKING:
    from prometheus_client import Counter

    from cart.clients import Catalog
    from cart.repository import CartLine, CartStore

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_SKU_LENGTH = 64


@dataclass(frozen=True)
class Cart:
    lines: list[CartLine]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


async def cart_get(*, store: CartStore, user_id: str) -> Cart:
    return Cart(await store.lines(user_id))


async def cart_set_quantity(
    *,
    store: CartStore,
    catalog: Catalog,
    operations: Counter,
    user_id: str,
    sku: str,
    quantity: int,
) -> Cart:
    """Puts `quantity` of `sku` in the cart, replacing what was there; 0 takes it out."""
    _check_sku(sku)
    if quantity == 0:
        return await cart_remove_item(store=store, operations=operations, user_id=user_id, sku=sku)
    if not await catalog.has_product(sku):
        raise NotFound(
            f"No product has the SKU {sku!r}.", errors=[FieldError("sku", "No such product.")]
        )
    outcome = await store.put(user_id, sku, quantity, max_lines=MAX_LINES)
    if outcome is PutOutcome.FULL:
        raise Conflict(
            f"A cart holds at most {MAX_LINES} different products.",
            errors=[FieldError("sku", "The cart is full; remove an item first.")],
        )
    operations.labels("add" if outcome is PutOutcome.ADDED else "update").inc()
    return await cart_get(store=store, user_id=user_id)


async def cart_remove_item(
    *, store: CartStore, operations: Counter, user_id: str, sku: str
) -> Cart:
    """Takes `sku` out of the cart; taking out what is not there is fine."""
    _check_sku(sku)
    await store.remove(user_id, sku)
    operations.labels("remove").inc()
    return await cart_get(store=store, user_id=user_id)


async def cart_clear(*, store: CartStore, operations: Counter, user_id: str) -> None:
    await store.clear(user_id)
    operations.labels("clear").inc()


def _check_sku(sku: str) -> None:
    if not 0 < len(sku) <= MAX_SKU_LENGTH:
        raise ValidationFailed(
            "The SKU is not valid.",
            errors=[FieldError("sku", f"A SKU has 1 to {MAX_SKU_LENGTH} characters.")],
        )
