"""The storefront's pages and its two JSON endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from polykit.health import Readiness
from polykit.info import service_info
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version
from storefront import services
from storefront.clients import ServiceDirectory
from storefront.schemas import StoreStatus
from storefront.settings import StorefrontSettings

bp = Blueprint("storefront", __name__)


@dataclass(frozen=True)
class Collaborators:
    settings: StorefrontSettings
    readiness: Readiness
    directory: ServiceDirectory


def _deps() -> Collaborators:
    return current_app.extensions["polyshop"]


def _own_info() -> dict[str, Any]:
    deps = _deps()
    ready, _ = deps.readiness.check()
    return service_info(
        deps.settings, framework="flask", framework_version=framework_version("flask"), ready=ready
    )


@bp.get("/")
def home() -> str:
    return render_template("home.html")


@bp.get("/api/info")
def api_info() -> Response:
    """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
    return jsonify(_own_info())


@bp.get("/api/status")
def api_status() -> Response:
    """---
    get:
      summary: Every service's /api/info, asked concurrently, with its latency
      responses:
        "200":
          description: One row per service, storefront first
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StoreStatus"}
    """
    rows = services.status_collect(directory=_deps().directory, own_info=_own_info())
    return jsonify(services=rows)


@bp.get("/status")
def status_page() -> str:
    rows = services.status_collect(directory=_deps().directory, own_info=_own_info())
    return render_template("status.html", rows=rows, all_ready=all(r["ready"] for r in rows))


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(
        spec_from_docstrings(
            title="polyshop storefront",
            version=_deps().settings.service_version,
            paths={"/api/info": INFO_OPERATIONS, "/api/status": api_status},
            models=(StoreStatus,),
        )
    )
