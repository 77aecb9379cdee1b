"""orders' app factory: the kit's parts, then Django's WSGI handler."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from orders import adapter
from orders.config import OrdersSettings
from polykit.health import LIFECYCLE, Check, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version
from polykit.telemetry import setup_tracing

FRAMEWORK = "django"


def create_app(
    settings: OrdersSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    checks: Mapping[str, Check] | None = None,
) -> WSGIHandler:
    """Django's own settings (database, secret key) come from orders.settings; `settings` feeds
    the kit and defaults to the very object orders.settings built."""
    settings = settings or django_settings.SERVICE_SETTINGS
    provider = setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=FRAMEWORK,
        framework_version=framework_version("django"),
        version=settings.service_version,
    )
    if checks is None:
        checks = {"database": adapter.database_check()}
    kit = adapter.Kit(
        settings=settings,
        metrics=metrics,
        readiness=Readiness(checks, lifecycle),
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
    )
    adapter.install(kit, tracer_provider=provider)
    return get_wsgi_application()
