from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from polykit.settings import ServiceSettings


class CartSettings(ServiceSettings):
    service_name: ClassVar[str] = "cart"

    @model_validator(mode="after")
    def _check_store(self) -> Self:
        # Carts live in Redis in production; the SQLite default is for local runs only.
        if self.environment == "production" and not self.redis_url:
            raise ValueError("REDIS_URL is required when ENVIRONMENT=production")
        return self
