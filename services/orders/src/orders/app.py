"""orders' app factory: the kit's parts, then Django's WSGI handler."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

from orders import adapter
from orders.config import OrdersSettings
from polykit.auth import ServiceTokens, TokenVerifier
from polykit.health import LIFECYCLE, Check, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version, service_token_options, token_verifier_options
from polykit.telemetry import setup_tracing

FRAMEWORK = "django"


def create_app(
    settings: OrdersSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    checks: Mapping[str, Check] | None = None,
    verifier: TokenVerifier | None = None,
    service_tokens: ServiceTokens | None = None,
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
    # Both talk to users, lazily: nothing is fetched until a token arrives or a call goes out.
    users = make_client(metrics)
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=users)
    if service_tokens is None:
        service_tokens = ServiceTokens(**service_token_options(settings), client=users)
    kit = adapter.Kit(
        settings=settings,
        metrics=metrics,
        readiness=Readiness(checks, lifecycle),
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
        service_tokens=service_tokens,
    )
    adapter.install(kit, tracer_provider=provider)
    return get_wsgi_application()
