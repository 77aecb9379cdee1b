"""Flask glue for the kit: tracing, request metrics and access logs, probes, problem+json."""

from __future__ import annotations

import time

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    ProblemError,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.telemetry import UNTRACED_URLS


def install(
    app: Flask, *, metrics: Metrics, readiness: Readiness, observer: RequestObserver
) -> None:
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import; and the
    # app is instrumented before our hooks so that they run inside the request's span.
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, excluded_urls=UNTRACED_URLS)

    @app.before_request
    def _start() -> None:
        g.polyshop_started = observer.start(request.method)
        delay = observer.fault_delay(request.path)
        if delay:
            time.sleep(delay)

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.pop("polyshop_started", None)
        if started is not None:
            rule = request.url_rule.rule if request.url_rule else None
            observer.finish(
                method=request.method,
                path=request.path,
                route=rule,
                status=response.status_code,
                started=started,
            )
        return response

    app.register_error_handler(Exception, _handle_error)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        ready, body = readiness.check()
        return jsonify(body), 200 if ready else 503

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        body, content_type = metrics.exposition(request.headers.get("Accept"))
        return Response(body, content_type=content_type)


def _wants_html() -> bool:
    """Pages answer errors as pages unless the client asks for JSON; /api answers problem+json."""
    if request.path.startswith("/api/") or request.path == "/openapi.json":
        return False
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json"], default="text/html"
    )
    return best == "text/html"


def _handle_error(exc: Exception) -> tuple[Response, int]:
    if isinstance(exc, ProblemError):
        problem = exc
    elif isinstance(exc, HTTPException):
        problem = problem_from_status(exc.code or 500, exc.description)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            problem.headers["Allow"] = ", ".join(exc.valid_methods)
    else:
        problem = internal_error(exc, method=request.method, path=request.path)
    if _wants_html():
        page = render_template("error.html", problem=problem)
        return Response(page, headers=problem.headers, mimetype="text/html"), problem.status
    response = jsonify(problem.body(instance=request.path))
    response.content_type = PROBLEM_CONTENT_TYPE
    response.headers.update(problem.headers)
    return response, problem.status
