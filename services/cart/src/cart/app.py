"""The cart's app factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic import Sanic
from sanic_ext import Extend

from cart import adapter, blueprints
from cart.settings import CartSettings
from polykit.health import LIFECYCLE, Check, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.stores import (
    async_engine,
    async_engine_check,
    async_redis_check,
    async_redis_client,
)
from polykit.telemetry import setup_tracing


def create_app(settings: CartSettings | None = None, *, lifecycle: Lifecycle = LIFECYCLE) -> Sanic:
    settings = settings or CartSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=blueprints.FRAMEWORK,
        framework_version=blueprints.FRAMEWORK_VERSION,
        version=settings.service_version,
    )
    checks, close_store = _store(settings)
    readiness = Readiness(checks, lifecycle)

    # Logging is configured once by `__main__`, not by every app the tests build.
    app = Sanic("cart", configure_logging=False)
    app.config.update(
        GRACEFUL_SHUTDOWN_TIMEOUT=settings.graceful_timeout_seconds,
        # On SIGTERM Sanic awaits Server.wait_closed() before it closes idle connections, and from
        # Python 3.12 that waits for every keep-alive connection: keep them short (uvicorn's 5 s).
        KEEP_ALIVE_TIMEOUT=5,
        ACCESS_LOG=False,
        API_TITLE="polyshop cart",
        API_VERSION=settings.service_version,
        # The document at /openapi.json, where every service serves it; Swagger UI at /docs
        # (and at /, sanic-ext's index of its UI).
        OAS_URL_PREFIX="",
        OAS_UI_DEFAULT="swagger",
        OAS_UI_REDOC=False,
        OAS_URI_TO_SWAGGER="/docs",
    )
    Extend(app)
    adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
    )
    app.ext.dependency(blueprints.Collaborators(settings=settings, readiness=readiness))
    app.blueprint(blueprints.bp)

    @app.after_server_stop
    async def _close_store(_: Sanic) -> None:
        await close_store()

    return app


def _store(settings: CartSettings) -> tuple[dict[str, Check], Callable[[], Awaitable[None]]]:
    """Redis when REDIS_URL is set, else the database (SQLite under DATA_DIR by default)."""
    if settings.redis_url:
        client = async_redis_client(settings.redis_url, name=settings.service_name)
        return {"redis": async_redis_check(client)}, client.aclose
    engine = async_engine(settings)
    return {"database": async_engine_check(engine)}, engine.dispose
