"""orders' business metrics, beside the kit's HTTP ones in the same registry."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from orders.models import OutboxEvent

log = logging.getLogger("polyshop.orders")

# A checkout makes five to eight calls of up to a few seconds each.
CHECKOUT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 7.5, 10.0, 20.0, 30.0)


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
