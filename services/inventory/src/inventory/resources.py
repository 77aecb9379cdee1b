"""The inventory API's resources."""

from __future__ import annotations

from typing import Any

from flask_restful import Resource

from inventory.settings import InventorySettings
from polykit.health import Readiness
from polykit.info import service_info
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version

FRAMEWORK = "flask-restful"
DISTRIBUTION = "flask-restful"


class InfoResource(Resource):
    def __init__(self, *, settings: InventorySettings, readiness: Readiness) -> None:
        self.settings = settings
        self.readiness = readiness

    def get(self) -> dict[str, object]:
        """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
        ready, _ = self.readiness.check()
        return service_info(
            self.settings,
            framework=FRAMEWORK,
            framework_version=framework_version(DISTRIBUTION),
            ready=ready,
        )


class OpenApiResource(Resource):
    def __init__(self, *, document: dict[str, Any]) -> None:
        self.document = document

    def get(self) -> dict[str, Any]:
        return self.document


def openapi_document(settings: InventorySettings) -> dict[str, Any]:
    return spec_from_docstrings(
        title="polyshop inventory",
        version=settings.service_version,
        paths={"/api/info": INFO_OPERATIONS},
    )
