"""The catalog's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog import adapter, routes, services
from catalog.images import ImageStore
from catalog.repository import CatalogRepository
from catalog.schemas import SeedCatalog
from catalog.settings import CatalogSettings
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.stores import async_engine
from polykit.telemetry import setup_tracing


def create_app(
    settings: CatalogSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    engine: AsyncEngine | None = None,
    images: ImageStore | None = None,
    catalog: SeedCatalog | None = None,
) -> FastAPI:
    settings = settings or CatalogSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics.for_service(
        settings, framework=routes.FRAMEWORK, framework_version=routes.FRAMEWORK_VERSION
    )
    product_views = Counter(
        "polyshop_product_views",
        "Products looked at one by one (GET /api/products/{sku} that found one).",
        registry=metrics.registry,
    )
    engine = engine or async_engine(settings, metrics=metrics)
    repository = CatalogRepository(engine)
    readiness = Readiness({"database": repository.check}, lifecycle)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Before uvicorn takes its first request. Kubernetes runs `python -m catalog migrate`
        # in a Job instead, and the pods stay not ready until it has.
        if settings.migrate_on_start:
            await services.catalog_migrate(
                settings=settings,
                repository=repository,
                catalog=catalog or services.catalog_load(),
            )
        yield
        await engine.dispose()

    app = FastAPI(
        title="polyshop catalog",
        version=settings.service_version,
        lifespan=lifespan,
        # Traced by the contrib instrumentation (adapter.install); FastAPI's own would step
        # aside for it anyway, so say so instead of leaving it to a runtime check.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
    )
    app.state.collaborators = routes.Collaborators(
        settings=settings,
        readiness=readiness,
        repository=repository,
        images=images or ImageStore(),
        product_views=product_views,
    )
    app.include_router(routes.router)
    return app
