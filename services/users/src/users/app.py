"""The users app factory."""

from __future__ import annotations

from importlib import resources
from typing import Any

import sqlalchemy as sa
import yaml
from pyramid.config import Configurator
from pyramid.router import Router

from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version
from polykit.stores import engine_check, sync_engine
from polykit.telemetry import setup_tracing
from users import adapter
from users.settings import UsersSettings

FRAMEWORK = "pyramid"


def create_app(
    settings: UsersSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    engine: sa.Engine | None = None,
) -> Router:
    settings = settings or UsersSettings.from_env()
    setup_tracing(settings)
    adapter.instrument()
    metrics = Metrics(
        service=settings.service_name,
        framework=FRAMEWORK,
        framework_version=framework_version("pyramid"),
        version=settings.service_version,
    )
    engine = engine or sync_engine(settings)
    collaborators = adapter.Collaborators(
        settings=settings,
        metrics=metrics,
        readiness=Readiness({"database": engine_check(engine)}, lifecycle),
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        openapi=load_openapi(settings),
    )
    # Made after instrument(): OpenTelemetry's tween joins configurators built from then on.
    with Configurator() as config:
        adapter.install(config, collaborators)
        config.add_route("api_info", "/api/info")
        config.add_route("openapi", "/openapi.json")
        config.scan("users.views")
    return config.make_wsgi_app()


def load_openapi(settings: UsersSettings) -> dict[str, Any]:
    """The spec-first document, read once; its version is the running service's."""
    document = yaml.safe_load(resources.files("users").joinpath("openapi.yaml").read_text())
    document["info"]["version"] = settings.service_version
    return document
