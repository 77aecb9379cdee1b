"""The cart's app factory."""

from __future__ import annotations

import httpx
from prometheus_client import Counter
from sanic import Sanic
from sanic_ext import Extend

from cart import adapter, blueprints
from cart.clients import Catalog, CatalogClient
from cart.repository import CartStore, OpenedStore, open_store
from cart.settings import CartSettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_async_client
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import token_verifier_options
from polykit.telemetry import setup_tracing

OPERATIONS = ("add", "update", "remove", "clear")


def create_app(
    settings: CartSettings | None = None,
    *,
    store: CartStore | None = None,
    catalog: Catalog | None = None,
    verifier: TokenVerifier | None = None,
    lifecycle: Lifecycle = LIFECYCLE,
) -> Sanic:
    """The app; `store`, `catalog` and `verifier` default to the real ones the settings name."""
    settings = settings or CartSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics.for_service(
        settings, framework=blueprints.FRAMEWORK, framework_version=blueprints.FRAMEWORK_VERSION
    )
    operations = Counter(
        "polyshop_cart_operations",
        "Changes made to carts, by operation.",
        ["operation"],
        registry=metrics.registry,
    )
    for operation in OPERATIONS:
        operations.labels(operation)
    opened = (
        open_store(settings, metrics=metrics) if store is None else OpenedStore(store, {}, _nothing)
    )
    readiness = Readiness(opened.checks, lifecycle)
    clients: list[httpx.AsyncClient] = []
    if catalog is None:
        timeout = settings.catalog_timeout_seconds
        client = make_async_client(
            metrics,
            base_url=settings.catalog_url,
            timeout=httpx.Timeout(timeout, connect=min(1.0, timeout)),
        )
        clients.append(client)
        catalog = CatalogClient(client, timeout_seconds=timeout)
    if verifier is None:
        client = make_async_client(metrics)
        clients.append(client)
        verifier = TokenVerifier(**token_verifier_options(settings), async_client=client)

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
    app.ctx.verifier = verifier
    app.ext.dependency(
        blueprints.Collaborators(
            settings=settings,
            readiness=readiness,
            store=opened.store,
            catalog=catalog,
            operations=operations,
        )
    )
    app.blueprint(blueprints.bp)

    @app.after_server_stop
    async def _close(_: Sanic) -> None:
        for client in clients:
            await client.aclose()
        await opened.close()

    return app


async def _nothing() -> None:
    return None
