"""The metrics every service exposes, with identical names and labels in all eight.

One `Metrics` per process owns its own registry (so tests can build many apps) holding the HTTP
server and client metrics of design.md, the store's operation durations (OpenTelemetry's
`db.client.operation.duration`), `polyshop_service_info`, and the process collectors.
Latency observations carry the trace id as an OpenMetrics exemplar when the span is sampled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from polykit.settings import ServiceSettings
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client import exposition as text_format
from prometheus_client.openmetrics import exposition as openmetrics_format

# OpenTelemetry's recommended boundaries for HTTP durations, in seconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# A SQLite read takes microseconds, a PostgreSQL or Redis round trip about a millisecond.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# The first word of a statement, when it is one of these; anything else is OTHER.
_SQL_OPERATIONS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"}
    | {"RELEASE", "PRAGMA", "CREATE", "ALTER", "DROP"}
)
_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}
)


def method_label(method: str) -> str:
    """Known methods as sent; anything else as `_OTHER`, as OpenTelemetry's conventions say."""
    upper = method.upper()
    return upper if upper in _KNOWN_METHODS else "_OTHER"


def sql_operation(statement: str) -> str:
    """The `db_operation_name` label of a SQL statement: its verb, from a fixed set."""
    verb = statement.lstrip(" (\n\t").split(None, 1)[0].upper() if statement.strip() else ""
    return verb if verb in _SQL_OPERATIONS else "OTHER"


def current_exemplar() -> dict[str, str] | None:
    context = trace.get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return None
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }


class Metrics:
    def __init__(
        self,
        *,
        service: str,
        framework: str,
        framework_version: str,
        version: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.server_duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests, by route template.",
            ["http_request_method", "http_route", "http_response_status_code"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.server_active = Gauge(
            "http_server_active_requests",
            "HTTP server requests in flight.",
            ["http_request_method"],
            registry=self.registry,
        )
        self.client_duration = Histogram(
            "http_client_request_duration_seconds",
            "Duration of outgoing HTTP requests, by server.",
            ["http_request_method", "server_address", "http_response_status_code"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.store_duration = Histogram(
            "db_client_operation_duration_seconds",
            "Duration of operations on the service's own store: SQL statements, Redis commands.",
            ["db_system_name", "db_operation_name"],
            buckets=STORE_BUCKETS,
            registry=self.registry,
        )
        info = Gauge(
            "polyshop_service_info",
            "Always 1: which service, framework and version this process is.",
            ["service", "framework", "framework_version", "version"],
            registry=self.registry,
        )
        info.labels(service, framework, framework_version, version).set(1)

    @classmethod
    def for_service(
        cls, settings: ServiceSettings, *, framework: str, framework_version: str
    ) -> Metrics:
        return cls(
            service=settings.service_name,
            framework=framework,
            framework_version=framework_version,
            version=settings.service_version,
        )

    def observe_server(self, method: str, route: str, status: int, seconds: float) -> None:
        self.server_duration.labels(method_label(method), route, str(status)).observe(
            seconds, exemplar=current_exemplar()
        )

    def observe_client(self, method: str, server: str, status: str, seconds: float) -> None:
        self.client_duration.labels(method_label(method), server, status).observe(
            seconds, exemplar=current_exemplar()
        )

    def observe_store(self, system: str, operation: str, seconds: float) -> None:
        self.store_duration.labels(system, operation).observe(seconds, exemplar=current_exemplar())

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The scrape body and its content type: OpenMetrics (with exemplars) when asked for."""
        if accept and "application/openmetrics-text" in accept:
            return (
                openmetrics_format.generate_latest(self.registry),
                openmetrics_format.CONTENT_TYPE_LATEST,
            )
        return text_format.generate_latest(self.registry), text_format.CONTENT_TYPE_LATEST
