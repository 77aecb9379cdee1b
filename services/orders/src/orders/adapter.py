"""Django and DRF glue for the kit: tracing, request metrics, access logs, probes, problem+json,
and bearer tokens as DRF authentication and permission classes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from rest_framework import exceptions as drf
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

from orders.config import OrdersSettings
from polykit.auth import Principal, ServiceTokens, TokenVerifier, bearer_token, require
from polykit.errors import (
    INTERNAL_DETAIL,
    PROBLEM_CONTENT_TYPE,
    BadRequest,
    FieldError,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotFound,
    ProblemError,
    Unauthorized,
    ValidationFailed,
    internal_error,
    problem_from_status,
)
from polykit.health import Readiness
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.routes import normalise_route
from polykit.telemetry import UNTRACED_URLS

if TYPE_CHECKING:
    from orders.clients import Users
    from orders.services import Collaborators


@dataclass(frozen=True)
class Kit:
    settings: OrdersSettings
    metrics: Metrics
    readiness: Readiness
    observer: RequestObserver
    verifier: TokenVerifier
    # This service's own token, for its calls to the other services.
    service_tokens: ServiceTokens
    # The checkout's collaborators: the other services, metrics, the clock.
    checkout: Collaborators
    # For the admin's staff login.
    users: Users


# Django builds middleware and views from dotted paths, not from arguments: they find the kit here.
_kit: Kit | None = None


def install(kit: Kit, *, tracer_provider: TracerProvider) -> None:
    """Call before get_wsgi_application(): instrumenting edits settings.MIDDLEWARE, which Django
    reads once when it builds the handler."""
    global _kit
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import.
    from opentelemetry.instrumentation.django import DjangoInstrumentor

    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:  # once per process; tests build many
        instrumentor.instrument(tracer_provider=tracer_provider, excluded_urls=UNTRACED_URLS)
    _kit = kit


def current() -> Kit:
    if _kit is None:
        raise ImproperlyConfigured("orders.app.create_app() has not run in this process")
    return _kit


def database_check(alias: str = DEFAULT_DB_ALIAS) -> Callable[[], None]:
    def check() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")

    return check


class ObserverMiddleware:
    """Every request's metrics and access-log line, inside OpenTelemetry's span for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        observer = current().observer
        method = request.method or "GET"
        started = observer.start(method)
        status = 500
        try:
            delay = observer.fault_delay(request.path)
            if delay:
                time.sleep(delay)
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            match = request.resolver_match
            route = match.route if match else None
            if route is not None:
                _name_span(method, route)
            observer.finish(
                method=method, path=request.path, route=route, status=status, started=started
            )


def _name_span(method: str, route: str) -> None:
    """The contrib names spans and sets http.route from Django's bare route ("api/info"); the
    other services say "GET /api/info"."""
    template = normalise_route(route)
    span = trace.get_current_span()
    span.update_name(f"{method} {template}")
    span.set_attribute("http.route", template)


@method_decorator(csrf_exempt, name="dispatch")
class _PlainView(View):
    """Probes and the scrape are plain Django views: no content negotiation, no authentication."""

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        allow = ", ".join(self._allowed_methods())
        return problem_response(request, MethodNotAllowed(headers={"Allow": allow}))


class HealthView(_PlainView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse({"status": "ok"})


class ReadyView(_PlainView):
    def get(self, request: HttpRequest) -> HttpResponse:
        ready, body = current().readiness.check()
        return JsonResponse(body, status=200 if ready else 503)


class MetricsView(_PlainView):
    def get(self, request: HttpRequest) -> HttpResponse:
        body, content_type = current().metrics.exposition(request.headers.get("Accept"))
        return HttpResponse(body, content_type=content_type)


@dataclass(frozen=True)
class TokenUser:
    """`request.user` for a caller with a valid bearer token: there is no user row in orders,
    only what the token says."""

    principal: Principal
    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    @property
    def pk(self) -> str:
        return self.principal.subject

    def __str__(self) -> str:
        return self.principal.subject


class BearerAuthentication(BaseAuthentication):
    """`request.user` becomes a TokenUser and `request.auth` the raw token (to forward it)."""

    def authenticate(self, request: Request) -> tuple[TokenUser, str] | None:
        try:
            token = bearer_token(request.headers.get("Authorization"))
            if token is None:
                return None
            principal = current().verifier.verify(token)
        except Unauthorized as exc:
            # DRF's own exception, so that DRF answers with authenticate_header() below.
            raise drf.AuthenticationFailed(exc.detail) from None
        return TokenUser(principal), token

    def authenticate_header(self, request: Request) -> str:
        # Without a header DRF turns every 401 into a 403.
        return 'Bearer realm="polyshop"'


class BearerScheme(OpenApiAuthenticationExtension):
    """How drf-spectacular documents BearerAuthentication (it warns about classes it does not
    know)."""

    target_class = BearerAuthentication
    name = "bearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object("Authorization", "Bearer", "JWT")


def document_token_problems(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: an operation behind a bearer token may also answer
    401 (no valid token), 403 (not the role) or 503 (users' keys out of reach), as problems;
    said once here rather than on every view."""
    problem = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemOut"}}}
    for operations in result["paths"].values():
        for operation in operations.values():
            if {"bearer": []} not in operation.get("security", []):
                continue
            for status, description in (
                ("401", "No bearer token, or not a valid one"),
                ("403", "The token lacks the role this needs"),
                ("503", "Tokens cannot be checked, or a dependency is down"),
            ):
                operation["responses"].setdefault(
                    status, {"description": description, "content": problem}
                )
    return result


class HasRole(BasePermission):
    """The caller's token carries one of `roles`. Subclass it per role; combine with DRF's
    operators (`permission_classes = [IsStaff | IsService]`)."""

    roles: ClassVar[tuple[str, ...]] = ()

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = getattr(request.user, "principal", None)
        if principal is None:
            return False  # DRF answers NotAuthenticated (401): no token was given
        try:
            require(principal, *self.roles)
        except Forbidden as exc:
            self.message = exc.detail
            return False
        return True


class IsCustomer(HasRole):
    roles = ("customer",)


class IsStaff(HasRole):
    roles = ("staff",)


class IsService(HasRole):
    roles = ("service",)


def problem_response(request: HttpRequest, problem: ProblemError) -> JsonResponse:
    """The one writer of application/problem+json, for DRF's errors and Django's own."""
    return JsonResponse(
        problem.body(instance=request.path),
        status=problem.status,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """DRF's EXCEPTION_HANDLER: every exception a DRF view raises, the unexpected ones too."""
    # Not at the top: DRF imports this module (for DEFAULT_AUTHENTICATION_CLASSES) while
    # rest_framework.views is still half-imported.
    from rest_framework.views import set_rollback

    request = context["request"]
    problem = problem_for(exc, request)
    if isinstance(exc, drf.MethodNotAllowed) and "view" in context:
        problem.headers["Allow"] = ", ".join(context["view"].allowed_methods)
    set_rollback()
    return problem_response(request, problem)


def error_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler400/403/404/500, for errors outside DRF (unknown routes, bad Host).
    Django has logged a 500's traceback already and passes no exception."""
    if exception is None:
        return problem_response(request, InternalError(INTERNAL_DETAIL))
    return problem_response(request, problem_for(exception, request))


def problem_for(exc: Exception, request: HttpRequest) -> ProblemError:
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, drf.ValidationError):
        return ValidationFailed(
            "The request body is not valid.", errors=list(_field_errors(exc.detail))
        )
    if isinstance(exc, drf.APIException):
        problem = problem_from_status(exc.status_code, str(exc.detail))
        if getattr(exc, "auth_header", None):
            problem.headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            problem.headers["Retry-After"] = str(math.ceil(exc.wait))
        return problem
    if isinstance(exc, Http404):
        return NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return Forbidden()
    if isinstance(exc, SuspiciousOperation | DjangoBadRequest | MultiPartParserError):
        return BadRequest()
    return internal_error(exc, method=request.method, path=request.path)


def _field_errors(detail: Any, field: str = "") -> Iterator[FieldError]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            yield from _field_errors(value, ".".join(filter(None, (field, name))))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            nested = isinstance(item, dict | list)
            yield from _field_errors(item, f"{field}.{index}" if nested else field)
    else:
        yield FieldError(field, str(detail))
