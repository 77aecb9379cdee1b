from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from polykit.settings import ServiceSettings, local_url


class CartSettings(ServiceSettings):
    service_name: ClassVar[str] = "cart"

    # Every SKU put in a cart is checked with catalog; a shopper waits at most this long for it.
    catalog_url: str = local_url("catalog")
    catalog_timeout_seconds: float = 2.0

    @model_validator(mode="after")
    def _check_store(self) -> Self:
        # Carts live in Redis in production; the SQLite default is for local runs only.
        if self.environment == "production" and not self.redis_url:
            raise ValueError("REDIS_URL is required when ENVIRONMENT=production")
        if self.catalog_timeout_seconds <= 0:
            raise ValueError("CATALOG_TIMEOUT_SECONDS must be positive")
        return self
