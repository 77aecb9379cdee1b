"""orders' business metrics, beside the kit's HTTP ones in the same registry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from orders.models import Order, OutboxEvent
from polykit.metrics import Metrics, sql_operation

log = logging.getLogger("polyshop.orders")

# A checkout makes five to eight calls of up to a few seconds each.
CHECKOUT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 7.5, 10.0, 20.0, 30.0)
CHECKOUT_OUTCOMES = ("paid", "payment_failed", "refused", "unavailable", "error")


class OrderMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.orders = Counter(
            "polyshop_orders",
            "Orders that reached each status (pending when placed).",
            ["status"],
            registry=registry,
        )
        self.revenue = Counter(
            "polyshop_revenue_cents",
            "Totals of the orders that were paid, in minor units.",
            ["currency"],
            registry=registry,
        )
        self.checkout_duration = Histogram(
            "polyshop_checkout_duration_seconds",
            "Time to answer POST /api/orders, by how the checkout ended.",
            ["outcome"],
            buckets=CHECKOUT_BUCKETS,
            registry=registry,
        )
        # Every series is scraped from the start, at 0 until it happens: a rate over a counter
        # that appears with its first order would miss that order.
        for status in Order.Status:
            self.orders.labels(status)
        self.revenue.labels("USD")
        for outcome in CHECKOUT_OUTCOMES:
            self.checkout_duration.labels(outcome)
        registry.register(OutboxBacklog())


class OutboxBacklog(Collector):
    """Counted from the table at scrape time: the backlog is the same whichever process asks."""

    NAME = "polyshop_outbox_backlog"
    HELP = "Outbox events not yet delivered to notifications."

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.NAME, self.HELP)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            backlog = OutboxEvent.objects.filter(delivered_at__isnull=True).count()
        except DatabaseError as exc:
            log.warning("outbox backlog not counted: %s", exc)
            return
        yield GaugeMetricFamily(self.NAME, self.HELP, value=backlog)


TIMER_UID = "polyshop-time-queries"


class QueryTimer:
    """A Django execute wrapper timing each SQL statement into the kit's store histogram, as the
    kit's observe_engine does for SQLAlchemy in the other services."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.metrics.observe_store(
                context["connection"].vendor, sql_operation(sql), time.perf_counter() - started
            )


def time_queries(metrics: Metrics) -> None:
    """Every database connection of this process gets the timer of `metrics`: those Django opens
    from now on (one per thread) and those already open. The latest app's timer replaces an
    earlier one (tests build many apps in one process)."""
    timer = QueryTimer(metrics)

    def install(connection: Any, **kwargs: Any) -> None:
        wrappers = [w for w in connection.execute_wrappers if not isinstance(w, QueryTimer)]
        connection.execute_wrappers[:] = [*wrappers, timer]

    connection_created.disconnect(dispatch_uid=TIMER_UID)
    connection_created.connect(
        lambda sender, connection, **kwargs: install(connection), weak=False, dispatch_uid=TIMER_UID
    )
    for connection in connections.all(initialized_only=True):
        install(connection)
