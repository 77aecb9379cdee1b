"""The payments API's resources."""

from __future__ import annotations

from typing import Any

import falcon

from payments.settings import PaymentsSettings
from polykit.health import Readiness
from polykit.info import service_info
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version

FRAMEWORK = "falcon"


class InfoResource:
    def __init__(self, settings: PaymentsSettings, readiness: Readiness) -> None:
        self.settings = settings
        self.readiness = readiness

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
        ready, _ = self.readiness.check()
        resp.media = service_info(
            self.settings,
            framework=FRAMEWORK,
            framework_version=framework_version("falcon"),
            ready=ready,
        )


class OpenApiResource:
    def __init__(self, settings: PaymentsSettings) -> None:
        self.document: dict[str, Any] = spec_from_docstrings(
            title="polyshop payments",
            version=settings.service_version,
            paths={"/api/info": INFO_OPERATIONS},
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document
