"""The notifications service's app factory."""

from __future__ import annotations

from tornado.web import Application, RequestHandler

from notifications import adapter, handlers
from notifications.settings import NotificationsSettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Check, Lifecycle, Readiness
from polykit.http import make_async_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.openapi import INFO_OPERATIONS, spec_from_docstrings
from polykit.settings import framework_version, token_verifier_options
from polykit.stores import async_redis_check, async_redis_client
from polykit.telemetry import setup_tracing


def create_app(
    settings: NotificationsSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    inflight: adapter.InFlight | None = None,
    verifier: TokenVerifier | None = None,
) -> Application:
    settings = settings or NotificationsSettings.from_env()
    setup_tracing(settings)
    adapter.instrument()
    metrics = Metrics(
        service=settings.service_name,
        framework=handlers.FRAMEWORK,
        framework_version=framework_version("tornado"),
        version=settings.service_version,
    )
    # Without Redis, notifications live in this process: nothing to check but the drain.
    checks: dict[str, Check] = {}
    if settings.redis_url:
        checks["redis"] = async_redis_check(
            async_redis_client(settings.redis_url, name=settings.service_name)
        )
    if verifier is None:
        verifier = TokenVerifier(
            **token_verifier_options(settings), async_client=make_async_client(metrics)
        )
    deps = handlers.Collaborators(
        settings=settings,
        readiness=Readiness(checks, lifecycle),
        metrics=metrics,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        inflight=inflight or adapter.InFlight(),
        openapi=spec_from_docstrings(
            title="polyshop notifications",
            version=settings.service_version,
            paths={"/api/info": INFO_OPERATIONS},
        ),
        verifier=verifier,
    )
    routes = [
        (r"/healthz", handlers.HealthHandler),
        (r"/readyz", handlers.ReadyHandler),
        (r"/metrics", handlers.MetricsHandler),
        (r"/api/info", handlers.InfoHandler),
        (r"/openapi.json", handlers.OpenApiHandler),
    ]
    return Application(
        [(pattern, handler, {"deps": deps}) for pattern, handler in routes],
        default_handler_class=handlers.NotFoundHandler,
        default_handler_args={"deps": deps},
        # The kit's observer writes the access log, inside the request's span.
        log_function=_no_access_log,
    )


def _no_access_log(handler: RequestHandler) -> None:
    pass
