"""What the storefront reads from other services, and what its own JSON endpoints answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Account(BaseModel):
    id: str
    email: str
    name: str
    roles: list[str] = []


class TokenGrant(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class Product(BaseModel):
    sku: str
    name: str
    description: str = ""
    category: str
    price_cents: int
    currency: str
    image_url: str | None = None


class ProductPage(BaseModel):
    items: list[Product]
    page: int
    page_size: int
    total: int


class Category(BaseModel):
    slug: str
    name: str
    description: str = ""
    product_count: int = 0


class CartItem(BaseModel):
    sku: str
    quantity: int


class Cart(BaseModel):
    items: list[CartItem]
    item_count: int


class ShippingAddress(BaseModel):
    name: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str
    country: str


class Card(BaseModel):
    """What the shopper typed: sent to orders once and never kept. `repr=False` keeps the
    number and CVC out of any traceback or log line that prints the model."""

    number: str = Field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str = Field(repr=False)


class OrderItem(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price_cents: int

    @property
    def line_cents(self) -> int:
        return self.unit_price_cents * self.quantity


class CardSummary(BaseModel):
    brand: str
    last4: str


class PaymentSummary(BaseModel):
    status: str
    card: CardSummary | None = None


class Order(BaseModel):
    id: str
    status: str
    items: list[OrderItem]
    total_cents: int
    currency: str
    created_at: datetime
    shipping_address: ShippingAddress | None = None
    payment: PaymentSummary | None = None


class OrderPage(BaseModel):
    items: list[Order]
    page: int = 1
    page_size: int = 0
    # orders answers `total` per design.md's pagination; an answer without it is one page.
    total: int | None = None


class SocketGrant(BaseModel):
    """What the browser needs to open the notifications socket (GET /session/socket)."""

    url: str
    token: str


class ServiceStatus(BaseModel):
    name: str
    framework: str | None
    framework_version: str | None
    version: str | None
    ready: bool
    latency_ms: float
    error: str | None = None


class StoreStatus(BaseModel):
    services: list[ServiceStatus]
