from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    service_name: ClassVar[str] = "inventory"
    uses_database: ClassVar[bool] = True
