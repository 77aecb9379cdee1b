from __future__ import annotations

from pydantic import BaseModel


class ServiceStatus(BaseModel):
    name: str
    framework: str | None
    framework_version: str | None
    version: str | None
    ready: bool
    latency_ms: float
    error: str | None = None


class StoreStatus(BaseModel):
    services: list[ServiceStatus]
