"""The catalog's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from catalog import adapter, routes
from catalog.settings import CatalogSettings
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.stores import async_engine, async_engine_check
from polykit.telemetry import setup_tracing


def create_app(
    settings: CatalogSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    settings = settings or CatalogSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics(
        service=settings.service_name,
        framework=routes.FRAMEWORK,
        framework_version=routes.FRAMEWORK_VERSION,
        version=settings.service_version,
    )
    engine = engine or async_engine(settings)
    readiness = Readiness({"database": async_engine_check(engine)}, lifecycle)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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
    app.state.collaborators = routes.Collaborators(settings=settings, readiness=readiness)
    app.include_router(routes.router)
    return app
