"""The users API; openapi.yaml describes it first."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from polykit.info import service_info
from polykit.settings import framework_version


@view_config(route_name="api_info", request_method="GET", renderer="json")
def api_info(request: Request) -> dict[str, Any]:
    deps = request.deps
    ready, _ = deps.readiness.check()
    return service_info(
        deps.settings,
        framework="pyramid",
        framework_version=framework_version("pyramid"),
        ready=ready,
    )


@view_config(route_name="openapi", request_method="GET", renderer="json")
def openapi(request: Request) -> dict[str, Any]:
    return request.deps.openapi
