"""What inventory's API reads and writes; inputs and outputs apart."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, field_validator

from inventory.models import ReservationStatus
from inventory.repository import Hold, Line, StockLevel

# catalog's SKU rule, so a SKU inventory accepts is one catalog could sell.
SKU_PATTERN = r"^[A-Z0-9]+(-[A-Z0-9]+)*$"
Sku = Annotated[str, Field(pattern=SKU_PATTERN, max_length=64, examples=["KIT-MUG-001"])]
MAX_AVAILABLE = 1_000_000
MAX_QUANTITY = 1_000
MAX_ITEMS = 100


class SkuPath(BaseModel):
    sku: Sku


class StockIn(BaseModel):
    """How many units can be reserved from now on."""

    available: StrictInt = Field(ge=0, le=MAX_AVAILABLE)


class ItemIn(BaseModel):
    sku: Sku
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class ReservationIn(BaseModel):
    """Hold these items for an order, all or nothing."""

    order_id: uuid.UUID
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("items")
    @classmethod
    def _each_sku_once(cls, items: list[ItemIn]) -> list[ItemIn]:
        seen: set[str] = set()
        for item in items:
            if item.sku in seen:
                raise ValueError(f"{item.sku} appears more than once; list each SKU once")
            seen.add(item.sku)
        return items

    def lines(self) -> list[Line]:
        return [Line(item.sku, item.quantity) for item in self.items]


class ReservationQuery(BaseModel):
    order_id: uuid.UUID


class StockOut(BaseModel):
    sku: str
    available: int

    @classmethod
    def of(cls, level: StockLevel) -> StockOut:
        return cls(sku=level.sku, available=level.available)


class ItemOut(BaseModel):
    sku: str
    quantity: int


class ReservationOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    status: ReservationStatus
    items: list[ItemOut] = Field(description="Sorted by SKU")
    expires_at: datetime = Field(description="When a held reservation returns its stock")
    created_at: datetime

    @classmethod
    def of(cls, hold: Hold) -> ReservationOut:
        return cls(
            id=hold.id,
            order_id=hold.order_id,
            status=hold.status,
            items=[ItemOut(sku=line.sku, quantity=line.quantity) for line in hold.items],
            expires_at=hold.expires_at,
            created_at=hold.created_at,
        )


class ReservationList(BaseModel):
    items: list[ReservationOut]
