"""The storefront's app factory."""

from __future__ import annotations

from flask import Flask

from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version
from polykit.telemetry import setup_tracing
from storefront import adapter, views
from storefront.clients import ServiceDirectory
from storefront.settings import StorefrontSettings

FRAMEWORK = "flask"


def create_app(
    settings: StorefrontSettings | None = None,
    *,
    directory: ServiceDirectory | None = None,
    lifecycle: Lifecycle = LIFECYCLE,
) -> Flask:
    settings = settings or StorefrontSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=FRAMEWORK,
        framework_version=framework_version("flask"),
        version=settings.service_version,
    )
    # The storefront keeps no store of its own: it is ready while it is not draining.
    readiness = Readiness({}, lifecycle)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
    )
    app.extensions["polyshop"] = views.Collaborators(
        settings=settings,
        readiness=readiness,
        directory=directory or ServiceDirectory(make_client(metrics), settings.service_urls()),
    )
    app.register_blueprint(views.bp)
    return app
