"""The inventory service's app factory, and the migrate and seed steps that `python -m inventory
migrate|seed` run on their own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import sqlalchemy as sa
from flask import Flask
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from inventory import adapter, services
from inventory.background import (
    TRANSIENT,
    Background,
    after,
    seed_until_done,
    sweep_forever,
)
from inventory.clients import CatalogClient
from inventory.openapi import openapi_document
from inventory.repository import InventoryRepository, inventory_engine
from inventory.resources import (
    DISTRIBUTION,
    FRAMEWORK,
    ROUTES,
    InfoResource,
    Inventory,
    OpenApiResource,
)
from inventory.services import OUTCOMES, Catalog, Clock
from inventory.settings import InventorySettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.migrations import Preparation, migrate
from polykit.observe import RequestObserver
from polykit.settings import framework_version, token_verifier_options
from polykit.stores import engine_check
from polykit.telemetry import setup_tracing

BACKGROUND = "inventory.background"

log = logging.getLogger("polyshop.inventory")


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: InventorySettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    verifier: TokenVerifier | None = None,
    engine: sa.Engine | None = None,
    catalog: Catalog | None = None,
    clock: Clock = utc_now,
    background: bool = True,
) -> Flask:
    """`background=False` leaves seeding and sweeping to the caller (tests drive them)."""
    settings = settings or InventorySettings.from_env()
    setup_tracing(settings)
    metrics = service_metrics(settings)
    outcomes = Counter(
        "polyshop_reservations_total",
        "Reservation requests and moves, by outcome.",
        ["outcome"],
        registry=metrics.registry,
    )
    for outcome in OUTCOMES:
        outcomes.labels(outcome=outcome)  # every outcome is scraped, at 0 until it happens
    engine = engine or inventory_engine(settings, metrics=metrics)
    repository = InventoryRepository(engine)
    metrics.registry.register(StockCollector(repository))
    if catalog is None:
        catalog = CatalogClient(make_client(metrics, base_url=settings.catalog_url))
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=make_client(metrics))

    workers = Background()
    checks: dict[str, Callable[[], None]] = {"database": engine_check(engine)}
    prepared = threading.Event()
    if settings.migrate_on_start:
        preparation = Preparation(partial(migrate_database, settings), name="inventory")
        preparation.start()
        checks["schema"] = preparation.check
        prepared = preparation.done
    else:
        prepared.set()  # a Job migrated before the pods rolled
    if background:
        seed = partial(
            services.stock_seed,
            repository=repository,
            catalog=catalog,
            initial=settings.initial_stock,
        )
        sweep = partial(
            services.reservations_expire,
            repository=repository,
            outcomes=outcomes,
            clock=clock,
            limit=settings.sweep_batch_size,
        )
        workers.spawn("inventory-seed", after(prepared, partial(seed_until_done, seed)))
        interval = settings.sweep_interval_seconds
        workers.spawn(
            "inventory-sweep", after(prepared, partial(sweep_forever, sweep, interval=interval))
        )
    readiness = Readiness(checks, lifecycle)

    # No static folder: every route is the API's, so every error is problem+json.
    app = Flask(__name__, static_folder=None)
    app.extensions[BACKGROUND] = workers
    api = adapter.install(
        app,
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
    )
    deps = Inventory(
        repository=repository,
        outcomes=outcomes,
        clock=clock,
        ttl=timedelta(seconds=settings.reservation_ttl_seconds),
    )
    api.add_resource(
        InfoResource,
        "/api/info",
        resource_class_kwargs={"settings": settings, "readiness": readiness},
    )
    for resource, rule in ROUTES:
        api.add_resource(resource, rule, resource_class_kwargs={"deps": deps})
    api.add_resource(
        OpenApiResource,
        "/openapi.json",
        resource_class_kwargs={"document": openapi_document(settings)},
    )
    return app


def service_metrics(settings: InventorySettings) -> Metrics:
    return Metrics.for_service(
        settings, framework=FRAMEWORK, framework_version=framework_version(DISTRIBUTION)
    )


def migrate_database(settings: InventorySettings) -> None:
    migrate(settings, "inventory")


def seed_once(settings: InventorySettings) -> int:
    """`python -m inventory seed`: stocks catalog's new products now; the exit status."""
    engine = inventory_engine(settings)
    client = make_client(service_metrics(settings), base_url=settings.catalog_url)
    try:
        added = services.stock_seed(
            repository=InventoryRepository(engine),
            catalog=CatalogClient(client),
            initial=settings.initial_stock,
        )
    except TRANSIENT as exc:
        log.error("could not seed stock: %s", exc)
        return 1
    finally:
        client.close()
        engine.dispose()
    log.info("seeded %d products with %d units each", len(added), settings.initial_stock)
    return 0


class StockCollector(Collector):
    """`polyshop_stock_available{sku}`, read from the stock table at each scrape: always what
    the database says, whichever replica changed it (about 60 series: one per product)."""

    def __init__(self, repository: InventoryRepository) -> None:
        self.repository = repository

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        try:
            levels = self.repository.stock_levels()
        except TRANSIENT:
            levels = []  # readiness reports the database; the scrape still answers
        for level in levels:
            family.add_metric([level.sku], level.available)
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "polyshop_stock_available",
            "Units of each product that can be reserved now.",
            labels=["sku"],
        )
