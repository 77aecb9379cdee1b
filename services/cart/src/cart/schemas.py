"""What the cart's API reads and writes; inputs and outputs apart."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictInt

from cart.services import MAX_QUANTITY, Cart


class QuantityIn(BaseModel):
    """The quantity of one item; 0 takes it out of the cart."""

    quantity: StrictInt = Field(ge=0, le=MAX_QUANTITY)


class CartItemOut(BaseModel):
    sku: str
    quantity: int


class CartOut(BaseModel):
    """A shopper's cart: items in the order they were first added."""

    items: list[CartItemOut]
    item_count: int = Field(description="The sum of the items' quantities")

    @classmethod
    def of(cls, cart: Cart) -> CartOut:
        return cls(
            items=[CartItemOut(sku=line.sku, quantity=line.quantity) for line in cart.lines],
            item_count=cart.item_count,
        )
