"""The body of `GET /api/info`, the same in every service."""

from __future__ import annotations

from pydantic import BaseModel, Field

from polykit.settings import ServiceSettings


class ServiceInfo(BaseModel):
    name: str = Field(description="The service's name, as in design.md")
    framework: str = Field(description="The web framework it is written in")
    framework_version: str
    version: str = Field(description="The service's own version")
    ready: bool = Field(description="Whether its stores answer and it is not draining")


def service_info(
    settings: ServiceSettings, *, framework: str, framework_version: str, ready: bool
) -> dict[str, object]:
    return ServiceInfo(
        name=settings.service_name,
        framework=framework,
        framework_version=framework_version,
        version=settings.service_version,
        ready=ready,
    ).model_dump()
