from __future__ import annotations

from typing import ClassVar

from polykit.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "payments"
    uses_database: ClassVar[bool] = True
