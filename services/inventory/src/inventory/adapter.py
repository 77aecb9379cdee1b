"""Flask-RESTful glue for the kit: tracing, request metrics, access logs, probes, problem+json,
bearer tokens as a method decorator, and request bodies and queries read through pydantic."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, request
from flask_restful import Api, Resource
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect

from polykit.auth import TokenVerifier, require
from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    ContentTooLarge,
    FieldError,
    ProblemError,
    ServiceUnavailable,
    ValidationFailed,
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
# Bodies are a few hundred bytes; anything near this is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024

log = logging.getLogger("polyshop.inventory")


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

    # Werkzeug answers 413 to a Content-Length over this, but silently cuts a chunked body at
    # it: one byte more lets json_body() tell a body at the limit from one beyond it.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1
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


Model = TypeVar("Model", bound=BaseModel)


def json_body(model: type[Model]) -> Model:
    """The request's JSON body as `model`: 400 when it is not JSON, 413 over MAX_BODY_BYTES, 422
    naming each invalid field. No body at all reads as `{}`, so the 422 names what is missing."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        document = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise BadRequest(
            "The body is not valid JSON.", errors=[FieldError("body", "is not valid JSON")]
        ) from None
    return validated(model, {} if document is None else document)


def query_args(model: type[Model]) -> Model:
    return validated(model, request.args.to_dict())


def validated(model: type[Model], data: Any) -> Model:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            "The request is not valid.",
            errors=[
                FieldError(
                    ".".join(map(str, error["loc"])) or "body",
                    error["msg"].removeprefix("Value error, "),
                )
                for error in exc.errors()
            ],
        ) from None


def _too_large() -> ContentTooLarge:
    return ContentTooLarge(f"The body must be at most {MAX_BODY_BYTES // 1024} KiB.")


def problem_response(exc: Exception) -> Response:
    if isinstance(exc, RequestRedirect):  # a slash redirect is routing, not an error
        return exc.get_response()
    if isinstance(exc, ProblemError):
        problem = exc
    elif isinstance(exc, RequestEntityTooLarge):
        problem = _too_large()
    elif isinstance(exc, sa.exc.OperationalError | sa.exc.TimeoutError):
        # The database is down or locked past the timeout (SQLite says a table is missing this
        # way too, before the first migration): not a bug of ours, and readiness says so.
        cause = getattr(exc, "orig", None) or exc
        log.warning("database unavailable on %s %s: %r", request.method, request.path, cause)
        problem = ServiceUnavailable("The inventory database is not answering; try again.")
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
