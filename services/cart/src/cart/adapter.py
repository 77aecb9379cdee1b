"""Sanic glue for the kit: tracing, request metrics and access logs, probes, problem+json,
bearer tokens (`@protected`) and JSON bodies (`@json_body`).

Sanic has no official OpenTelemetry instrumentation, so the server span is made here on the
OpenTelemetry API: started by the first request middleware, ended by the last response middleware.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import BadRequest as SanicBadRequest
from sanic.exceptions import SanicException
from sanic.response import json, raw
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import OperationStore
from sanic_ext.extensions.openapi.definitions import Response

from polykit.auth import require
from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    FieldError,
    ProblemError,
    ValidationFailed,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.openapi import Problem
from polykit.routes import UNMATCHED, normalise_route
from polykit.telemetry import UNTRACED_URLS

# Request middleware runs from the highest priority down and response middleware from the lowest
# up: with the same high priority the span opens first and closes last.
EDGE = 1_000_000
_UNTRACED = re.compile("|".join(UNTRACED_URLS.split(",")))
# Bigger bodies are refused by Sanic's server (413) before they are read.
MAX_BODY_BYTES = 16 * 1024
BEARER = "bearer"
PROBLEM = {PROBLEM_CONTENT_TYPE: openapi.Component(Problem)}

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[HTTPResponse]])


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
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    app.ext.openapi.add_security_scheme(BEARER, "http", scheme="bearer", bearer_format="JWT")

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


def protected(*roles: str) -> Callable[[Handler], Handler]:
    """Lets in callers whose bearer token holds one of `roles`, as `request.ctx.principal`.

    The token is checked by the app's `TokenVerifier` (`app.ctx.verifier`): none → 401 with
    WWW-Authenticate, an invalid one → 401, a valid one without the role → 403.
    """

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            verifier = request.app.ctx.verifier
            principal = await verifier.aauthenticate(request.headers.get("authorization"))
            request.ctx.principal = require(principal, *roles)
            return await handler(request, *args, **kwargs)

        _move_documentation(handler, guarded)
        openapi.secured(BEARER)(guarded)
        openapi.response(401, PROBLEM, "No bearer token, or not a valid one")(guarded)
        openapi.response(403, PROBLEM, f"The token lacks the {' or '.join(roles)} role")(guarded)
        openapi.response(503, PROBLEM, "Tokens cannot be checked, or a dependency is down")(guarded)
        return guarded  # type: ignore[return-value]

    return decorator


def json_body(model: type[BaseModel]) -> Callable[[Handler], Handler]:
    """Validates the JSON body against `model` through sanic-ext, handing it to the handler as
    `body`: malformed JSON → 400, an invalid field → 422 naming it (sanic-ext's own errors are a
    400 carrying pydantic's text)."""

    def validate(request: Request, data: Any, handler_kwargs: dict[str, Any]) -> None:
        # Sanic's own server refuses these before reading them; this covers ASGI servers.
        if len(request.body) > MAX_BODY_BYTES:
            raise problem_from_status(413, f"The body is over {MAX_BODY_BYTES // 1024} KiB.")
        try:
            document = request.json
        except SanicBadRequest:
            raise BadRequest(
                "The body is not valid JSON.", errors=[FieldError("body", "Malformed JSON.")]
            ) from None
        try:
            # No body at all reads as an empty object, so the error names the missing fields.
            handler_kwargs["body"] = model.model_validate({} if document is None else document)
        except PydanticValidationError as exc:
            raise ValidationFailed(
                "The body is not valid.",
                errors=[
                    FieldError(".".join(map(str, error["loc"])) or "body", error["msg"])
                    for error in exc.errors()
                ],
            ) from None

    def decorator(handler: Handler) -> Handler:
        documented = openapi.body(
            {"application/json": openapi.Component(model)}, validate=validate, required=True
        )
        validated = documented(handler)
        for status, description in (
            (400, "The body is not JSON"),
            (413, f"The body is over {MAX_BODY_BYTES // 1024} KiB"),
            (422, "A field is missing or invalid; `errors` names it"),
        ):
            openapi.response(status, PROBLEM, description)(validated)
        return validated

    return decorator


def no_content(description: str) -> Callable[[Handler], Handler]:
    """Documents a 204: `openapi.response` would give it a body of any type."""

    def decorator(handler: Handler) -> Handler:
        OperationStore()[handler].responses[204] = Response(description=description, status=204)
        return handler

    return decorator


def _move_documentation(source: Callable[..., Any], target: Callable[..., Any]) -> None:
    # sanic-ext keys what the openapi decorators recorded by function: a wrapper takes it over,
    # as sanic-ext's own decorators do.
    store = OperationStore()
    if source in store:
        store[target] = store.pop(source)
