"""httpx clients for calls between services: a timeout on every call, a client metric per call.

Tracing comes from the OpenTelemetry httpx instrumentation (`telemetry.setup_tracing`), which
also sends `traceparent` and `baggage`; this module adds what it lacks.
"""

from __future__ import annotations

import time

import httpx

from polykit.metrics import Metrics

# Between services on one cluster: a connection is quick or the peer is gone.
DEFAULT_TIMEOUT = httpx.Timeout(3.0, connect=1.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)


def server_address(url: httpx.URL) -> str:
    """host, or host:port when the port is not the scheme's default (all of them, locally)."""
    return f"{url.host}:{url.port}" if url.port else url.host


class _MeteredTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        status = "error"
        try:
            response = self.inner.handle_request(request)
            status = str(response.status_code)
            return response
        finally:
            self.metrics.observe_client(
                request.method, server_address(request.url), status, time.perf_counter() - started
            )

    def close(self) -> None:
        self.inner.close()


class _AsyncMeteredTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        status = "error"
        try:
            response = await self.inner.handle_async_request(request)
            status = str(response.status_code)
            return response
        finally:
            self.metrics.observe_client(
                request.method, server_address(request.url), status, time.perf_counter() - started
            )

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_client(
    metrics: Metrics,
    *,
    base_url: str = "",
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    inner = transport or httpx.HTTPTransport(limits=DEFAULT_LIMITS, retries=0)
    return httpx.Client(
        base_url=base_url, timeout=timeout, transport=_MeteredTransport(inner, metrics)
    )


def make_async_client(
    metrics: Metrics,
    *,
    base_url: str = "",
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    inner = transport or httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS, retries=0)
    return httpx.AsyncClient(
        base_url=base_url, timeout=timeout, transport=_AsyncMeteredTransport(inner, metrics)
    )
