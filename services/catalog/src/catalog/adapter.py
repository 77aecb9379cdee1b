"""FastAPI glue for the kit: tracing, request metrics and access logs, probes, problem+json."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from polykit.openapi import component_schemas
from polykit.telemetry import UNTRACED_URLS


def install(
    app: FastAPI, *, metrics: Metrics, readiness: Readiness, observer: RequestObserver
) -> None:
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import. The
    # instrumentation wraps the whole middleware stack, so the observer below runs in the span.
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"]
    )
    app.add_middleware(ObserverMiddleware, observer=observer)
    for error in (ProblemError, StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(error, handle_error)
    _document_problems(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ready, body = await readiness.acheck()
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})


def _document_problems(app: FastAPI) -> None:
    """FastAPI documents a 422 with its own body (HTTPValidationError) on every route that has a
    parameter, whether or not it can fail. handle_error answers with a Problem instead: so the
    generated 422s go, each route that can refuse input documents its own, and the document
    carries the kit's Problem schema those refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        for path in document["paths"].values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if "HTTPValidationError" in str(responses.get("422", "")):
                    del responses["422"]
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        for name, schema in component_schemas().items():
            schemas.setdefault(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


class ObserverMiddleware:
    """Pure ASGI rather than BaseHTTPMiddleware: the router puts the matched route into this very
    scope, so it can be read once the app has answered — and no task is spawned per request."""

    def __init__(self, app: ASGIApp, observer: RequestObserver) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        started = self.observer.start(method)
        # An exception escaping the app becomes the 500 that ServerErrorMiddleware sends.
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            delay = self.observer.fault_delay(path)
            if delay:
                await asyncio.sleep(delay)
            await self.app(scope, receive, send_observed)
        finally:
            self.observer.finish(
                method=method,
                path=path,
                route=_route_template(scope),
                status=status,
                started=started,
            )


def _route_template(scope: Scope) -> str | None:
    route = scope.get("route")
    if route is None:
        # FastAPI puts only its own APIRoutes into the scope; /openapi.json and /docs are plain
        # Starlette routes, so look for them the way the router did.
        for candidate in getattr(scope.get("app"), "routes", ()):
            if candidate.matches(scope)[0] is Match.FULL:
                route = candidate
                break
    return getattr(route, "path", None)


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The one translation from any error to problem+json, registered for each family."""
    problem = _problem_for(request, exc)
    return JSONResponse(
        problem.body(instance=request.url.path),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_CONTENT_TYPE,
    )


def _problem_for(request: Request, exc: Exception) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, RequestValidationError):
        return _validation_problem(exc.errors())
    if isinstance(exc, StarletteHTTPException):
        problem = problem_from_status(
            exc.status_code, exc.detail if isinstance(exc.detail, str) else None
        )
        problem.headers.update(exc.headers or {})
        return problem
    return internal_error(exc, method=request.method, path=request.url.path)


def _validation_problem(errors: Any) -> ProblemError:
    # A body that is not JSON at all could not be read: that is a 400, not a 422.
    if any(error.get("type") == "json_invalid" for error in errors):
        return BadRequest("The request body is not valid JSON.")
    return ValidationFailed(
        "The request is not valid.",
        errors=[FieldError(_field_name(error["loc"]), error["msg"]) for error in errors],
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """`("body", "items", 0, "quantity")` → `items.0.quantity`; `("body",)` → `body`."""
    parts = [str(part) for part in loc[1:]] or [str(part) for part in loc]
    return ".".join(parts)
