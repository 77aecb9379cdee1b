"""What the storefront reads from other services, and what its own JSON endpoints answer."""

from __future__ import annotations

from pydantic import BaseModel


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
