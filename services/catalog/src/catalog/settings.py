from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: ClassVar[str] = "catalog"
    uses_database: ClassVar[bool] = True
