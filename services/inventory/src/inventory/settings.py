from __future__ import annotations

from typing import ClassVar, Self

from pydantic import model_validator

from polykit.settings import ServiceSettings, local_url


class InventorySettings(ServiceSettings):
    service_name: ClassVar[str] = "inventory"
    uses_database: ClassVar[bool] = True

    # Every product catalog sells gets INITIAL_STOCK units, once, when inventory first sees it.
    catalog_url: str = local_url("catalog")
    initial_stock: int = 50
    # A hold not committed within this time is returned to stock by the sweeper.
    reservation_ttl_seconds: int = 600
    # The sweeper's pace, and how many expired holds it returns per pass (the rest wait a pass).
    sweep_interval_seconds: float = 5.0
    sweep_batch_size: int = 100

    @model_validator(mode="after")
    def _check_inventory(self) -> Self:
        if self.initial_stock < 0:
            raise ValueError("INITIAL_STOCK must not be negative")
        if self.reservation_ttl_seconds <= 0:
            raise ValueError("RESERVATION_TTL_SECONDS must be positive")
        if self.sweep_interval_seconds <= 0:
            raise ValueError("SWEEP_INTERVAL_SECONDS must be positive")
        if self.sweep_batch_size <= 0:
            raise ValueError("SWEEP_BATCH_SIZE must be positive")
        return self
