"""orders' app factory: the kit's parts, the checkout's collaborators, then Django's WSGI
handler. Import it once Django is set up (wsgi.py does so): it imports the models."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

from orders import adapter
from orders.clients import Peers
from orders.config import OrdersSettings
from orders.metrics import OrderMetrics, time_queries
from orders.services import Collaborators, utcnow
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
    peers: Peers | None = None,
    clock: Callable[[], datetime] | None = None,
) -> WSGIHandler:
    """Django's own settings (database, secret key) come from orders.settings; `settings` feeds
    the kit and defaults to the very object orders.settings built."""
    settings = settings or django_settings.SERVICE_SETTINGS
    if settings.migrate_on_start:
        migrate()
    provider = setup_tracing(settings)
    metrics = service_metrics(settings)
    time_queries(metrics)
    if checks is None:
        checks = {"database": adapter.database_check()}
    # All lazy: nothing is fetched until a token arrives or a call goes out.
    client = make_client(metrics)
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=client)
    if service_tokens is None:
        service_tokens = ServiceTokens(**service_token_options(settings), client=client)
    if peers is None:
        peers = Peers.over_http(settings, client=client, tokens=service_tokens)
    kit = adapter.Kit(
        settings=settings,
        metrics=metrics,
        readiness=Readiness(checks, lifecycle),
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
        service_tokens=service_tokens,
        checkout=collaborators(settings, metrics=metrics, peers=peers, clock=clock),
        users=peers.users,
    )
    adapter.install(kit, tracer_provider=provider)
    return get_wsgi_application()


def service_metrics(settings: OrdersSettings) -> Metrics:
    return Metrics.for_service(
        settings, framework=FRAMEWORK, framework_version=framework_version("django")
    )


def collaborators(
    settings: OrdersSettings,
    *,
    metrics: Metrics,
    peers: Peers,
    clock: Callable[[], datetime] | None = None,
    rand: Callable[[], float] = random.random,
) -> Collaborators:
    return Collaborators(
        cart=peers.cart,
        catalog=peers.catalog,
        inventory=peers.inventory,
        payments=peers.payments,
        notifications=peers.notifications,
        metrics=OrderMetrics(metrics.registry),
        clock=clock or utcnow,
        random=rand,
        checkout_timeout=timedelta(seconds=settings.checkout_timeout_seconds),
    )


def migrate() -> None:
    """`python -m orders migrate`, and every start when MIGRATE_ON_START is true."""
    call_command("migrate", interactive=False, verbosity=0)
