from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings, local_url


class StorefrontSettings(ServiceSettings):
    service_name: ClassVar[str] = "storefront"

    # Signs the session cookie. The default is for local runs only; Kubernetes passes a Secret.
    secret_key: str = "local-only-storefront-secret"  # noqa: S105 (a documented local default)
    catalog_url: str = local_url("catalog")
    cart_url: str = local_url("cart")
    orders_url: str = local_url("orders")
    payments_url: str = local_url("payments")
    notifications_url: str = local_url("notifications")
    users_url: str = local_url("users")
    inventory_url: str = local_url("inventory")

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
