"""OpenTelemetry tracing, configured by the standard OTEL_* variables.

Spans are exported over OTLP/HTTP (protobuf) when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces
variant) is set, and not at all otherwise; trace ids are still made, so logs and exemplars carry
them. W3C trace context and baggage are the default propagators. Every httpx client is
instrumented, so each call between services is a client span and carries `traceparent`.

Call `setup_tracing()` first thing in an app factory, before importing any framework
instrumentation: several of them read their OTEL_* variables when imported.
"""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from polykit.settings import ServiceSettings

# Probes and scrapes are not traced (design.md); the instrumentations match these as regexes.
UNTRACED_URLS = "/healthz,/readyz,/metrics"

_provider: TracerProvider | None = None


def _set_defaults() -> None:
    # The contrib instrumentations emit the old attribute names unless told otherwise.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    os.environ.setdefault("OTEL_PYTHON_EXCLUDED_URLS", UNTRACED_URLS)


def export_enabled() -> bool:
    return (
        bool(
            os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        )
        and os.environ.get("OTEL_TRACES_EXPORTER", "otlp") != "none"
    )


def setup_tracing(settings: ServiceSettings) -> TracerProvider:
    """Install the process's tracer provider once; later calls return the same one."""
    global _provider
    _set_defaults()
    if _provider is not None:
        return _provider
    resource = Resource.create(
        {
            "service.name": settings.service_name,
            "service.version": settings.service_version,
            "deployment.environment": settings.environment,
        }
    ).merge(OTELResourceDetector().detect())  # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win
    provider = TracerProvider(resource=resource)
    if export_enabled():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)

    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
