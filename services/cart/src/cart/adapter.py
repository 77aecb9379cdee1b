"""Sanic glue for the kit: tracing, request metrics and access logs, probes, problem+json.

Sanic has no official OpenTelemetry instrumentation, so the server span is made here on the
OpenTelemetry API: started by the first request middleware, ended by the last response middleware.
"""

from __future__ import annotations

import asyncio
import re

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import json, raw
from sanic_ext import openapi

from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    ProblemError,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.routes import UNMATCHED, normalise_route
from polykit.telemetry import UNTRACED_URLS

# Request middleware runs from the highest priority down and response middleware from the lowest
# up: with the same high priority the span opens first and closes last.
EDGE = 1_000_000
_UNTRACED = re.compile("|".join(UNTRACED_URLS.split(",")))


def install(
    app: Sanic, *, metrics: Metrics, readiness: Readiness, observer: RequestObserver
) -> None:
    # Imported here, after setup_tracing(): the global propagator is built from OTEL_PROPAGATORS
    # when this module is first imported.
    from opentelemetry import propagate

    tracer = trace.get_tracer(__name__)

    @app.on_request(priority=EDGE)
    async def _start(request: Request) -> None:
        request.ctx.started = observer.start(request.method)
        if not _UNTRACED.search(request.path):
            template = normalise_route(_raw_route(request))
            span = tracer.start_span(
                request.method if template == UNMATCHED else f"{request.method} {template}",
                context=propagate.extract(request.headers),
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": request.method,
                    "url.path": request.path,
                    "url.scheme": request.scheme,
                },
            )
            if template != UNMATCHED:
                span.set_attribute("http.route", template)
            request.ctx.span = span
            # Attached for the rest of this request's task, so that handlers, logs and outgoing
            # httpx calls see the span; detached in _finish.
            request.ctx.otel_token = context.attach(trace.set_span_in_context(span))
        delay = observer.fault_delay(request.path)
        if delay:
            await asyncio.sleep(delay)

    @app.on_response(priority=EDGE)
    async def _finish(request: Request, response: HTTPResponse) -> None:
        started = getattr(request.ctx, "started", None)
        if started is None:
            return
        observer.finish(
            method=request.method,
            path=request.path,
            route=_raw_route(request),
            status=response.status,
            started=started,
        )
        span = getattr(request.ctx, "span", None)
        if span is not None:
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
            context.detach(request.ctx.otel_token)

    app.exception(Exception)(handle_error)

    @app.get("/healthz")
    @openapi.exclude()
    async def healthz(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/readyz")
    @openapi.exclude()
    async def readyz(request: Request) -> HTTPResponse:
        ready, body = await readiness.acheck()
        return json(body, status=200 if ready else 503)

    @app.get("/metrics")
    @openapi.exclude()
    async def metrics_endpoint(request: Request) -> HTTPResponse:
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return raw(body, content_type=content_type)


def _raw_route(request: Request) -> str | None:
    # Sanic's own form (`api/items/<sku:str>`, no leading slash); the kit normalises it.
    return request.route.path if request.route else None


def handle_error(request: Request, exception: Exception) -> HTTPResponse:
    """The one translation from any error to problem+json."""
    problem = _problem_for(request, exception)
    return json(
        problem.body(instance=request.path),
        status=problem.status,
        headers=problem.headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _problem_for(request: Request, exception: Exception) -> ProblemError:
    if isinstance(exception, ProblemError):
        return exception
    if isinstance(exception, SanicException) and exception.status_code < 500:
        problem = problem_from_status(exception.status_code, str(exception) or None)
        problem.headers.update(exception.headers or {})
        return problem
    return internal_error(exception, method=request.method, path=request.path)
