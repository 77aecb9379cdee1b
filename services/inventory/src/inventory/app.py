"""The inventory service's app factory."""

from __future__ import annotations

from flask import Flask

from inventory import adapter
from inventory.resources import (
    DISTRIBUTION,
    FRAMEWORK,
    InfoResource,
    OpenApiResource,
    openapi_document,
)
from inventory.settings import InventorySettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version, token_verifier_options
from polykit.stores import engine_check, sync_engine
from polykit.telemetry import setup_tracing


def create_app(
    settings: InventorySettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    verifier: TokenVerifier | None = None,
) -> Flask:
    settings = settings or InventorySettings.from_env()
    setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=FRAMEWORK,
        framework_version=framework_version(DISTRIBUTION),
        version=settings.service_version,
    )
    # The engine connects lazily: the first readiness probe is its first connection.
    readiness = Readiness({"database": engine_check(sync_engine(settings))}, lifecycle)
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=make_client(metrics))
    # No static folder: every route is the API's, so every error is problem+json.
    app = Flask(__name__, static_folder=None)
    api = adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
    )
    api.add_resource(
        InfoResource,
        "/api/info",
        resource_class_kwargs={"settings": settings, "readiness": readiness},
    )
    api.add_resource(
        OpenApiResource,
        "/openapi.json",
        resource_class_kwargs={"document": openapi_document(settings)},
    )
    return app
