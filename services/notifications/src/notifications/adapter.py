"""Tornado glue for the kit: tracing, route templates, problem+json, a drain on SIGTERM, and
bearer tokens as a method decorator."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from tornado.httpserver import HTTPServer
from tornado.web import HTTPError, RequestHandler

from polykit.auth import TokenVerifier, require
from polykit.errors import (
    INTERNAL_DETAIL,
    BadRequest,
    ContentTooLarge,
    FieldError,
    InternalError,
    ProblemError,
    ValidationFailed,
    problem_from_status,
)
from polykit.health import LIFECYCLE, Lifecycle

if TYPE_CHECKING:
    from notifications.hub import Hub

log = logging.getLogger(__name__)


def instrument() -> None:
    # Imported here, after setup_tracing() set the OTEL_* defaults it reads on import (among
    # them OTEL_PYTHON_EXCLUDED_URLS: the probes and /metrics). It patches every RequestHandler
    # class the first time one is built, so it must run before the Application serves.
    from opentelemetry.instrumentation.tornado import TornadoInstrumentor

    instrumentor = TornadoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def route_template(handler: RequestHandler) -> str | None:
    """The pattern of the rule that routed this request; None for the default (404) handler.

    Tornado hands the handler its path arguments, not the rule they came from.
    """
    for rule in handler.application.wildcard_router.rules:
        if rule.target is type(handler) and rule.matcher.match(handler.request) is not None:
            return rule.matcher.regex.pattern
    return None


def allowed_methods(handler_class: type[RequestHandler]) -> list[str]:
    """The methods a handler class implements: Tornado answers 405 without an Allow header."""
    return [
        method
        for method in handler_class.SUPPORTED_METHODS
        if getattr(handler_class, method.lower()) is not getattr(RequestHandler, method.lower())
    ]


class ProblemHTTPError(HTTPError):
    """A kit problem worn as Tornado's own error.

    The instrumentation ends the span in `log_exception` and takes any exception that is not an
    HTTPError for a 500: a 409 would show up as a failed request in the traces.
    """

    def __init__(self, problem: ProblemError) -> None:
        super().__init__(problem.status)
        self.problem = problem


def problems_as_http_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await method(*args, **kwargs)
            except ProblemError as problem:
                raise ProblemHTTPError(problem) from problem

        return async_wrapper

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ProblemError as problem:
            raise ProblemHTTPError(problem) from problem

    return wrapper


Method = Callable[..., Any]


def authenticated(*roles: str) -> Callable[[Method], Method]:
    """For a handler's HTTP method: `@authenticated("service")`, the caller then being
    `self.current_user`. Tornado's own `get_current_user` cannot await the JWKS fetch.

    The handler finds the verifier among its collaborators (`self.deps.verifier`), where the
    WebSocket handler finds it too.
    """

    def decorator(method: Method) -> Method:
        @functools.wraps(method)
        async def wrapper(handler: RequestHandler, *args: Any, **kwargs: Any) -> Any:
            verifier: TokenVerifier = handler.deps.verifier  # type: ignore[attr-defined]
            principal = await verifier.aauthenticate(handler.request.headers.get("Authorization"))
            handler.current_user = require(principal, *roles)
            result = method(handler, *args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return wrapper

    return decorator


Model = TypeVar("Model", bound=BaseModel)

# What an /api body may weigh; the HTTP server refuses far larger ones before they are read.
MAX_BODY_BYTES = 16 * 1024
# Close code 1001: the server is going away; clients reconnect, and reach another replica.
GOING_AWAY = 1001


def json_body(handler: RequestHandler, model: type[Model]) -> Model:
    """The request's JSON body as `model`: malformed → 400, too large → 413, a missing or
    invalid field → 422 naming it."""
    body = handler.request.body
    if len(body) > MAX_BODY_BYTES:
        raise ContentTooLarge(f"The body is over {MAX_BODY_BYTES // 1024} KiB.")
    try:
        # No body at all reads as an empty object, so the 422 names each missing field.
        document = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):  # 16 KiB of "[" nests too deep for the parser
        raise BadRequest(
            "The body is not valid JSON.", errors=[FieldError("body", "Malformed JSON.")]
        ) from None
    try:
        return model.model_validate(document)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            "The body is not valid.",
            errors=[
                FieldError(".".join(map(str, error["loc"])) or "body", error["msg"])
                for error in exc.errors()
            ],
        ) from None


def problem_for(status_code: int, error: BaseException | None) -> ProblemError:
    if isinstance(error, ProblemHTTPError):
        return error.problem
    if isinstance(error, ProblemError):
        return error
    if isinstance(error, HTTPError):
        # Its log_message is for the log only; the client gets the status's own words.
        return problem_from_status(error.status_code)
    if status_code >= 500:
        return InternalError(INTERNAL_DETAIL)
    return problem_from_status(status_code)


class InFlight:
    """How many requests have a handler and no response yet; SIGTERM waits for it to reach 0."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()


async def drain(
    server: HTTPServer,
    inflight: InFlight,
    *,
    grace: float,
    hub: Hub | None = None,
    lifecycle: Lifecycle = LIFECYCLE,
) -> None:
    """Stop taking connections, close every WebSocket with 1001 and let requests in flight
    finish, within `grace` seconds.

    `close_all_connections()` alone would cut requests in flight: Tornado has no drain of its
    own. Nor does it close upgraded connections: left open, they would be cut with the process
    (1006, abnormal closure) instead of told to reconnect.
    """
    lifecycle.begin_drain()
    server.stop()
    if hub is not None:
        hub.close_all(GOING_AWAY, "server going away")
    try:
        async with asyncio.timeout(grace):
            await inflight.wait_idle()
            if hub is not None:
                # Each close handshake waits for the client's answer (Tornado aborts after 5 s).
                await hub.wait_empty()
    except TimeoutError:
        log.warning(
            "%d requests and %d sockets still open after %.1f s; closing",
            inflight.count,
            len(hub) if hub is not None else 0,
            grace,
        )
    try:
        # Then the idle keep-alive connections; a stuck one must not hold the exit.
        async with asyncio.timeout(1.0):
            await server.close_all_connections()
    except TimeoutError:
        log.warning("connections did not close in time")
