"""Pyramid glue for the kit: tracing, request metrics and access logs, probes, problem+json."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from pyramid.config import Configurator
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW, INGRESS
from pyramid.view import exception_view_config, view_config

from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    MethodNotAllowed,
    ProblemError,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.routes import normalise_route
from users.settings import UsersSettings

OTEL_TWEEN = "opentelemetry.instrumentation.pyramid.trace_tween_factory"


@dataclass(frozen=True)
class Collaborators:
    settings: UsersSettings
    metrics: Metrics
    readiness: Readiness
    observer: RequestObserver
    openapi: dict[str, Any]


def instrument() -> None:
    """Call before Configurator(): the instrumentation wraps its __init__ to add a tween and a
    subscriber to every configurator made afterwards."""
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import.
    from opentelemetry.instrumentation.pyramid import PyramidInstrumentor

    instrumentor = PyramidInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:  # once per process; tests build many
        instrumentor.instrument()


def install(config: Configurator, collaborators: Collaborators) -> None:
    config.add_request_method(lambda _request: collaborators, "deps", property=True)
    # Under OpenTelemetry's tween, whose span is current once the router has matched; over the
    # exception view, so that errors are counted with the status they were answered with.
    config.add_tween(
        f"{__name__}.observer_tween_factory", under=(OTEL_TWEEN, INGRESS), over=EXCVIEW
    )
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")
    config.add_route("metrics", "/metrics")
    config.scan(__name__)


def observer_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    def observer_tween(request: Request) -> Response:
        observer = request.deps.observer
        started = observer.start(request.method)
        status = 500
        try:
            delay = observer.fault_delay(request.path)
            if delay:
                time.sleep(delay)
            response = handler(request)
            status = response.status_code
            return response
        finally:
            route = request.matched_route.pattern if request.matched_route else None
            _name_span(request.method, route)
            observer.finish(
                method=request.method,
                path=request.path,
                route=route,
                status=status,
                started=started,
            )

    return observer_tween


def _name_span(method: str, route: str | None) -> None:
    """The contrib names spans by the bare pattern, or by the raw path when nothing matched;
    OpenTelemetry's conventions, like the other services, say "GET /api/info" and "GET"."""
    span = trace.get_current_span()
    if route is None:
        span.update_name(method)
        return
    template = normalise_route(route)
    span.update_name(f"{method} {template}")
    span.set_attribute("http.route", template)


@view_config(route_name="healthz", request_method="GET", renderer="json")
def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json")
def readyz(request: Request) -> dict[str, Any]:
    ready, body = request.deps.readiness.check()
    request.response.status_int = 200 if ready else 503
    return body


@view_config(route_name="metrics", request_method="GET")
def metrics(request: Request) -> Response:
    body, content_type = request.deps.metrics.exposition(request.headers.get("Accept"))
    return Response(body=body, content_type=content_type)


# Pyramid's own HTTP errors match its default view for IExceptionResponse before a view for
# Exception: naming HTTPException as well makes this the only error view.
@exception_view_config(HTTPException)
@exception_view_config(Exception)
def problem_view(exc: Exception, request: Request) -> Response:
    if isinstance(exc, HTTPException) and exc.code < 400:
        return exc  # a redirect raised as an exception is an answer, not an error
    problem = problem_for(exc, request)
    response = Response(
        json_body=problem.body(instance=request.path),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    response.headers.update(problem.headers)  # `headers=` would replace Content-Type
    return response


def problem_for(exc: Exception, request: Request) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, PredicateMismatch) and request.matched_route is not None:
        # Pyramid answers a known route with the wrong method as a 404; the route knows better.
        allowed = _allowed_methods(request)
        if allowed and request.method not in allowed:
            return MethodNotAllowed(headers={"Allow": ", ".join(sorted(allowed))})
    if isinstance(exc, HTTPException):
        problem = problem_from_status(exc.code)
        if "Allow" in exc.headers:
            problem.headers["Allow"] = exc.headers["Allow"]
        return problem
    return internal_error(exc, method=request.method, path=request.path)


def _allowed_methods(request: Request) -> set[str] | None:
    """The methods the matched route's views accept; None when one of them takes any."""
    introspector = request.registry.introspector
    route = introspector.get("routes", request.matched_route.name)
    allowed: set[str] = set()
    for view in introspector.related(route):
        if view.category_name != "views":
            continue
        methods = view["request_methods"]
        if methods is None:
            return None
        allowed.update([methods] if isinstance(methods, str) else methods)
    if "GET" in allowed:
        allowed.add("HEAD")  # Pyramid serves HEAD with the GET view
    return allowed
