"""Flask-RESTful glue for the kit: tracing, request metrics, access logs, probes, problem+json,
and bearer tokens as a method decorator."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask_restful import Api, Resource
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from polykit.auth import TokenVerifier, require
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


class ProblemApi(Api):
    """An Api whose errors are problem+json rather than Flask-RESTful's `{"message": ...}`.

    Flask-RESTful wraps Flask's own error handling and sends every error raised on its routes
    (and, with `catch_all_404s`, on unknown paths) to `handle_error`, ahead of any handler
    registered with Flask: so this is the one place errors are translated.
    """

    def handle_error(self, e: Exception) -> Response:
        return problem_response(e)


VERIFIER = "polyshop.verifier"


def install(
    app: Flask,
    *,
    metrics: Metrics,
    readiness: Readiness,
    observer: RequestObserver,
    verifier: TokenVerifier,
) -> ProblemApi:
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

    # Runs for errors too: Flask-RESTful's error route returns a response that Flask finalises.
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

    api = ProblemApi(app, catch_all_404s=True)
    # Errors on plain Flask routes (none today) skip Flask-RESTful: same answer for them.
    app.register_error_handler(Exception, problem_response)
    app.extensions["flask-restful"] = api
    app.extensions[VERIFIER] = verifier
    api.add_resource(Health, "/healthz")
    api.add_resource(Ready, "/readyz", resource_class_kwargs={"readiness": readiness})
    api.add_resource(MetricsEndpoint, "/metrics", resource_class_kwargs={"metrics": metrics})
    return api


Method = Callable[..., Any]


def roles_required(*roles: str) -> Callable[[Method], Method]:
    """For a Resource's `method_decorators`, e.g. `{"put": [roles_required("staff", "service")]}`.
    The caller's Principal is then `flask.g.principal`."""

    def decorator(method: Method) -> Method:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verifier: TokenVerifier = current_app.extensions[VERIFIER]
            principal = verifier.authenticate(request.headers.get("Authorization"))
            g.principal = require(principal, *roles)
            return method(*args, **kwargs)

        return wrapper

    return decorator


def problem_response(exc: Exception) -> Response:
    if isinstance(exc, RequestRedirect):  # a slash redirect is routing, not an error
        return exc.get_response()
    if isinstance(exc, ProblemError):
        problem = exc
    elif isinstance(exc, HTTPException):
        problem = problem_from_status(exc.code or 500, exc.description)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            problem.headers["Allow"] = ", ".join(exc.valid_methods)
    else:
        problem = internal_error(exc, method=request.method, path=request.path)
    response = jsonify(problem.body(instance=request.path))
    response.status_code = problem.status
    response.content_type = PROBLEM_CONTENT_TYPE
    response.headers.update(problem.headers)
    return response


class Health(Resource):
    def get(self) -> dict[str, str]:
        return {"status": "ok"}


class Ready(Resource):
    def __init__(self, *, readiness: Readiness) -> None:
        self.readiness = readiness

    def get(self) -> tuple[dict[str, object], int]:
        ready, body = self.readiness.check()
        return body, 200 if ready else 503


class MetricsEndpoint(Resource):
    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> Response:
        body, content_type = self.metrics.exposition(request.headers.get("Accept"))
        return Response(body, content_type=content_type)
