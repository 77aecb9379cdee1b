"""The payments service's app factory."""

from __future__ import annotations

import falcon

from payments import adapter
from payments.resources import FRAMEWORK, InfoResource, OpenApiResource
from payments.settings import PaymentsSettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version, token_verifier_options
from polykit.stores import engine_check, sync_engine
from polykit.telemetry import setup_tracing


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    verifier: TokenVerifier | None = None,
) -> falcon.App:
    settings = settings or PaymentsSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=FRAMEWORK,
        framework_version=framework_version("falcon"),
        version=settings.service_version,
    )
    # The engine connects lazily: the first readiness probe is its first connection.
    readiness = Readiness({"database": engine_check(sync_engine(settings))}, lifecycle)
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=make_client(metrics))
    app = adapter.build_app(
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
    )
    app.add_route("/api/info", InfoResource(settings, readiness))
    app.add_route("/openapi.json", OpenApiResource(settings))
    return app
