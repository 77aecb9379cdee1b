"""The catalog's HTTP API (business endpoints arrive in a later issue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from catalog.settings import CatalogSettings
from polykit.health import Readiness
from polykit.info import ServiceInfo, service_info
from polykit.settings import framework_version

FRAMEWORK = "fastapi"
FRAMEWORK_VERSION = framework_version("fastapi")

router = APIRouter()


@dataclass(frozen=True)
class Collaborators:
    settings: CatalogSettings
    readiness: Readiness


def collaborators(request: Request) -> Collaborators:
    return request.app.state.collaborators


Deps = Annotated[Collaborators, Depends(collaborators)]


@router.get(
    "/api/info",
    response_model=ServiceInfo,
    summary="Which service this is, and whether it is ready",
)
async def api_info(deps: Deps) -> dict[str, object]:
    ready, _ = await deps.readiness.acheck()
    return service_info(
        deps.settings, framework=FRAMEWORK, framework_version=FRAMEWORK_VERSION, ready=ready
    )
