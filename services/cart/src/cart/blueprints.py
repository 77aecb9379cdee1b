"""The cart's HTTP API (business endpoints arrive in a later issue)."""

from __future__ import annotations

from dataclasses import dataclass

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import json
from sanic_ext import openapi

from cart.settings import CartSettings
from polykit.health import Readiness
from polykit.info import ServiceInfo, service_info
from polykit.settings import framework_version

FRAMEWORK = "sanic"
FRAMEWORK_VERSION = framework_version("sanic")

bp = Blueprint("cart")


@dataclass(frozen=True)
class Collaborators:
    """Handed to handlers by sanic-ext's dependency injection, by type."""

    settings: CartSettings
    readiness: Readiness


@bp.get("/api/info")
@openapi.summary("Which service this is, and whether it is ready")
@openapi.response(
    200, {"application/json": openapi.Component(ServiceInfo)}, "The service's identity"
)
async def api_info(request: Request, deps: Collaborators) -> HTTPResponse:
    ready, _ = await deps.readiness.acheck()
    return json(
        service_info(
            deps.settings, framework=FRAMEWORK, framework_version=FRAMEWORK_VERSION, ready=ready
        )
    )
