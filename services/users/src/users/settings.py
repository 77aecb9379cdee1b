from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings


class UsersSettings(ServiceSettings):
    service_name: ClassVar[str] = "users"
    uses_database: ClassVar[bool] = True
