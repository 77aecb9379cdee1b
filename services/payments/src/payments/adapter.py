"""Falcon glue for the kit: tracing, request metrics and access logs, probes, problem+json,
bearer tokens as a hook, and JSON bodies and query strings read into pydantic models."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import falcon
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from polykit.auth import TokenVerifier, require
from polykit.errors import (
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    ContentTooLarge,
    FieldError,
    ProblemError,
    ValidationFailed,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver


def build_app(
    *,
    metrics: Metrics,
    readiness: Readiness,
    observer: RequestObserver,
    verifier: TokenVerifier,
) -> falcon.App:
    """A traced, observed falcon.App answering the probes; the caller adds its resources."""
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads. The instrumentation
    # swaps falcon.App for a traced subclass, so it must run before the App is built. It takes
    # its exclusions (the probes, /metrics) from OTEL_PYTHON_EXCLUDED_URLS, which
    # setup_tracing() sets: 0.66b1 ignores an `excluded_urls` argument.
    from opentelemetry.instrumentation.falcon import FalconInstrumentor

    instrumentor = FalconInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()

    app = falcon.App(middleware=[ObserverMiddleware(observer), Authentication(verifier)])
    # Falcon's defaults for HTTPError (its 404s, 405s and 400s) and for Exception are both
    # replaced, so every error leaves as the same problem+json.
    app.add_error_handler((Exception, falcon.HTTPError), handle_error)
    app.add_route("/healthz", Health())
    app.add_route("/readyz", Ready(readiness))
    app.add_route("/metrics", MetricsEndpoint(metrics))
    return app


class ObserverMiddleware:
    """Runs inside the request's span: the instrumentation's middleware is always first."""

    def __init__(self, observer: RequestObserver) -> None:
        self.observer = observer

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.polyshop_started = self.observer.start(req.method)
        delay = self.observer.fault_delay(req.path)
        if delay:
            time.sleep(delay)

    # Falcon calls this for errors too, after the error handler has set the status.
    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        started = req.context.get("polyshop_started")
        if started is None:
            return
        self.observer.finish(
            method=req.method,
            path=req.path,
            route=req.uri_template,
            status=resp.status_code,
            started=started,
        )


class Authentication:
    """Hands each request the verifier: Falcon's hooks see the request and the resource, never
    the app. Only `require_roles` reads the token, so routes without it stay public."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.verifier = self.verifier
        req.context.principal = None


Hook = Callable[[falcon.Request, falcon.Response, object, dict[str, Any]], None]


def require_roles(*roles: str) -> Hook:
    """A before-hook: `@falcon.before(require_roles("service"))` on a responder or a resource.
    The caller's Principal is then `req.context.principal`."""

    def hook(req: falcon.Request, resp: falcon.Response, resource: object, params: dict) -> None:
        try:
            principal = req.context.verifier.authenticate(req.auth)
            req.context.principal = require(principal, *roles)
        except ProblemError as problem:
            raise ProblemHTTPError(problem) from None

    return hook


class ProblemHTTPError(falcon.HTTPError):
    """A kit problem worn as Falcon's own error. The instrumentation records any exception that
    is not a falcon.HTTPError as a 500 on the span, whatever the answer's status."""

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status)
        self.problem = problem


Responder = TypeVar("Responder", bound=Callable[..., None])


def speaks_problems(responder: Responder) -> Responder:
    """Lets a responder (and the use cases it calls) raise the kit's problems: they leave it as
    ProblemHTTPError, so its span records the real status rather than a 500."""

    @functools.wraps(responder)
    def translated(*args: Any, **kwargs: Any) -> None:
        try:
            responder(*args, **kwargs)
        except ProblemError as problem:
            raise ProblemHTTPError(problem) from problem

    return translated  # type: ignore[return-value]


MAX_BODY_BYTES = 16 * 1024
Model = TypeVar("Model", bound=BaseModel)


def json_body(req: falcon.Request, model: type[Model]) -> Model:
    """The body as `model`: over MAX_BODY_BYTES → 413, not JSON → 400, invalid → 422 naming
    each field (`card.number`). No body reads as `{}`, so the 422 names the missing fields."""
    if (req.content_length or 0) > MAX_BODY_BYTES:
        raise ContentTooLarge(_too_large())
    raw = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ContentTooLarge(_too_large())
    try:
        document = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise BadRequest(
            "The body is not valid JSON.", errors=[FieldError("body", "Malformed JSON.")]
        ) from None
    return _validated(model, document, "The body is not valid.")


def query_params(req: falcon.Request, model: type[Model]) -> Model:
    """The query string as `model`; unknown or invalid parameters → 422 naming them."""
    return _validated(model, req.params, "The query string is not valid.")


def _validated(model: type[Model], data: Any, detail: str) -> Model:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        # The message only: the input may be a card number.
        errors = [
            FieldError(".".join(map(str, error["loc"])) or "body", error["msg"])
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise ValidationFailed(detail, errors=errors) from None


def _too_large() -> str:
    return f"The body must be at most {MAX_BODY_BYTES // 1024} KiB."


def handle_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict[str, Any]
) -> None:
    if isinstance(exc, ProblemError):
        problem = exc
    elif isinstance(exc, ProblemHTTPError):
        problem = exc.problem
    elif isinstance(exc, falcon.HTTPError):
        problem = problem_from_status(exc.status_code, exc.description)
        # 405 carries Allow; 401 WWW-Authenticate.
        problem.headers.update(exc.headers or {})
    else:
        problem = internal_error(exc, method=req.method, path=req.path)
    resp.status = problem.status
    resp.content_type = PROBLEM_CONTENT_TYPE
    resp.text = json.dumps(problem.body(instance=req.path))
    resp.set_headers(problem.headers)


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class Ready:
    def __init__(self, readiness: Readiness) -> None:
        self.readiness = readiness

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ready, body = self.readiness.check()
        resp.status = 200 if ready else 503
        resp.media = body


class MetricsEndpoint:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data, resp.content_type = self.metrics.exposition(req.get_header("Accept"))
