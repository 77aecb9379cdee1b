"""Pyramid glue for the kit: tracing, request metrics and access logs, probes, problem+json,
bearer tokens as a security policy, the body size limit and pyramid_openapi3's errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from prometheus_client import Counter
from pyramid.config import Configurator
from pyramid.config.views import ViewDeriverInfo
from pyramid.events import ContextFound
from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPForbidden
from pyramid.registry import Registry
from pyramid.request import Request, RequestLocalCache
from pyramid.response import Response
from pyramid.security import Allowed, Denied
from pyramid.tweens import EXCVIEW, INGRESS
from pyramid.view import exception_view_config, view_config
from pyramid_openapi3 import RequestValidationError, ResponseValidationError

from polykit.auth import Principal, TokenVerifier
from polykit.errors import (
    INTERNAL_DETAIL,
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    FieldError,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    ProblemError,
    Unauthorized,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.routes import normalise_route
from users.repository import UserRepository
from users.services import Clock, LoginThrottle, Passwords
from users.settings import UsersSettings
from users.signing import TokenIssuer
from users.validation import request_problem

OTEL_TWEEN = "opentelemetry.instrumentation.pyramid.trace_tween_factory"
OPENAPI_TWEEN = "pyramid_openapi3.tween.response_tween_factory"

log = logging.getLogger("polyshop.users")


@dataclass(frozen=True)
class Collaborators:
    settings: UsersSettings
    metrics: Metrics
    readiness: Readiness
    observer: RequestObserver
    openapi: dict[str, Any]
    clock: Clock
    users: UserRepository
    passwords: Passwords
    throttle: LoginThrottle
    issuer: TokenIssuer
    verifier: TokenVerifier
    clients: Mapping[str, str]
    logins: Counter


# Bodies are a few hundred bytes; anything near this is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024


class ContentTooLarge(ProblemError):
    # The kit has no 413 of its own: problem_from_status(413) would title it by Python's
    # phrase, which changed in 3.13.
    status, slug = 413, "content-too-large"
    default_title = "Content Too Large"


def instrument() -> None:
    """Call before Configurator(): the instrumentation wraps its __init__ to add a tween and a
    subscriber to every configurator made afterwards."""
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import.
    from opentelemetry.instrumentation.pyramid import PyramidInstrumentor

    instrumentor = PyramidInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:  # once per process; tests build many
        instrumentor.instrument()


class BearerTokenPolicy:
    """Pyramid's security policy over the kit's verifier: the identity is the token's Principal,
    and a view's `permission` names the role it needs. A bad token raises the kit's 401."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier
        self.cache = RequestLocalCache(self.load_identity)

    def load_identity(self, request: Request) -> Principal | None:
        return self.verifier.authenticate(request.headers.get("Authorization"))

    def identity(self, request: Request) -> Principal | None:
        return self.cache.get_or_create(request)

    def authenticated_userid(self, request: Request) -> str | None:
        principal = self.identity(request)
        return principal.subject if principal else None

    def permits(self, request: Request, context: Any, permission: str) -> Allowed | Denied:
        principal = self.identity(request)
        if principal is not None and permission in principal.roles:
            return Allowed(f"holds the {permission} role")
        return Denied(f"This needs the {permission} role.")

    def remember(self, request: Request, userid: str, **kw: Any) -> list[tuple[str, str]]:
        return []  # bearer tokens: nothing to set on the response

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        return []


def install(config: Configurator, collaborators: Collaborators) -> None:
    config.add_request_method(lambda _request: collaborators, "deps", property=True)
    config.set_security_policy(BearerTokenPolicy(collaborators.verifier))
    config.add_subscriber(limit_body, ContextFound)
    config.add_subscriber(require_utf8_body, ContextFound)
    config.add_view_deriver(head_as_get, over="openapi_view")
    # Under OpenTelemetry's tween, whose span is current once the router has matched; over the
    # exception view and pyramid_openapi3's response check (which may turn an answer into a
    # 500), so that requests are counted with the status they were answered with.
    config.add_tween(
        f"{__name__}.observer_tween_factory",
        under=(OTEL_TWEEN, INGRESS),
        over=(OPENAPI_TWEEN, EXCVIEW),
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


def limit_body(event: ContextFound) -> None:
    """After routing, so a 413 is counted under its route; before any view reads the body."""
    request = event.request
    if request.content_length is not None:
        if request.content_length > MAX_BODY_BYTES:
            raise ContentTooLarge(_too_large())
    elif request.method in ("POST", "PUT", "PATCH") and request.is_body_readable:
        # Chunked: read no more than the limit allows, never the whole stream.
        body = request.body_file.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise ContentTooLarge(_too_large())
        request.body = body


def require_utf8_body(event: ContextFound) -> None:
    """JSON is UTF-8. openapi-core quotes a body it cannot parse in its error by decoding it as
    UTF-8, which raises on other bytes and turned such a body into a 500: refused here first."""
    request = event.request
    if request.method in ("POST", "PUT", "PATCH") and request.is_body_readable:
        try:
            request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(
                "The body is not valid JSON.", errors=[FieldError("body", "is not valid JSON")]
            ) from None


def _too_large() -> str:
    return f"The body must be at most {MAX_BODY_BYTES // 1024} KiB."


def head_as_get(view: Callable[..., Response], info: ViewDeriverInfo) -> Callable[..., Response]:
    """Pyramid answers HEAD with a GET view, but openapi.yaml documents only the GET, so
    pyramid_openapi3 would find no operation for it: the request is checked as the GET it
    mirrors, and the answer (whose body the server drops) is not checked."""
    if not info.options.get("openapi"):
        return view

    def wrapper(context: Any, request: Request) -> Response:
        if request.method != "HEAD":
            return view(context, request)
        request.method = "GET"
        try:
            return view(context, request)
        finally:
            request.method = "HEAD"
            request.environ["pyramid_openapi3.validate_response"] = False

    return wrapper


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
# Exception, and pyramid_openapi3 adds views for its two errors: naming them all makes this the
# only error view (the app's own registrations override those of the addon it includes).
@exception_view_config(RequestValidationError)
@exception_view_config(ResponseValidationError)
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
    if isinstance(exc, RequestValidationError):
        return request_problem(exc.errors)
    if isinstance(exc, ResponseValidationError):
        # A bug of ours: the answer strays from openapi.yaml. Logged by where, not by value,
        # as the body may hold a token.
        where = [_schema_places(error) for error in exc.errors]
        log.error("response to %s %s breaks openapi.yaml: %s", request.method, request.path, where)
        return InternalError(INTERNAL_DETAIL)
    if isinstance(exc, HTTPForbidden):
        if request.identity is None:
            return Unauthorized("This endpoint needs a bearer token.")
        # exc.result is the policy's Denied, falsy by design: test it against None.
        return Forbidden(str(exc.result) if exc.result is not None else None)
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


def _schema_places(error: Exception) -> str:
    schema_errors = getattr(error.__cause__, "schema_errors", None) or []
    places = [f"{'/'.join(map(str, e.absolute_path))} ({e.validator})" for e in schema_errors]
    return f"{type(error).__name__}: {', '.join(places)}" if places else type(error).__name__


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
