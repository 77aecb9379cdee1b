from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from polykit.settings import ServiceSettings, local_url

LOCAL_SECRET_KEY = "local-only-storefront-secret"  # noqa: S105 (a documented local default)


class StorefrontSettings(ServiceSettings):
    service_name: ClassVar[str] = "storefront"

    # Signs the session cookie, which holds the shopper's access token: Kubernetes passes a Secret,
    # and production refuses the local default.
    secret_key: str = LOCAL_SECRET_KEY
    catalog_url: str = local_url("catalog")
    cart_url: str = local_url("cart")
    orders_url: str = local_url("orders")
    payments_url: str = local_url("payments")
    notifications_url: str = local_url("notifications")
    inventory_url: str = local_url("inventory")
    # Where browsers open the notifications WebSocket: its address as the shopper's browser
    # sees it (an ingress in Kubernetes), which need not be NOTIFICATIONS_URL.
    notifications_public_url: str = "ws://127.0.0.1:8005/ws"
    # A checkout waits on orders, which waits on cart, catalog, inventory and payments in turn:
    # it gets longer than the kit's default read timeout before the shopper is told to retry.
    checkout_timeout_seconds: float = 20.0
    # Products per page of the home grid: three rows of the widest layout.
    page_size: int = 12
    # How many proxies (an ingress, a load balancer) stand before the storefront and append to
    # X-Forwarded-For: their entries name the shopper's address. 0 locally, where nothing does.
    proxy_hops: int = 0

    @model_validator(mode="after")
    def _check_storefront(self) -> Self:
        if self.environment == "production" and self.secret_key == LOCAL_SECRET_KEY:
            raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
        if not self.notifications_public_url.startswith(("ws://", "wss://")):
            raise ValueError("NOTIFICATIONS_PUBLIC_URL must be a ws:// or wss:// URL")
        if not 1 <= self.page_size <= 100:
            raise ValueError("PAGE_SIZE must be between 1 and 100")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production"

    def service_urls(self) -> dict[str, str]:
        """The services behind the store, in design.md's order."""
        return {
            "catalog": self.catalog_url,
            "cart": self.cart_url,
            "orders": self.orders_url,
            "payments": self.payments_url,
            "notifications": self.notifications_url,
            "users": self.users_url,
            "inventory": self.inventory_url,
        }
