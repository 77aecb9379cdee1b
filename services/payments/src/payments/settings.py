from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from polykit.settings import ServiceSettings


class PaymentsSettings(ServiceSettings):
    service_name: ClassVar[str] = "payments"
    uses_database: ClassVar[bool] = True

    # A claimed Idempotency-Key still "running" after this long belongs to a request that died
    # (a killed process): the next request with the same key and body takes it over. Charges
    # here take milliseconds, so two minutes is generous.
    idempotency_stale_seconds: int = Field(120, ge=1)
