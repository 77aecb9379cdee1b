"""The notifications service's handlers, on a base that observes each request and answers
every error as problem+json."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Link, SpanKind
from prometheus_client import Counter
from tornado.ioloop import IOLoop
from tornado.web import HTTPError, RequestHandler
from tornado.websocket import WebSocketHandler

from notifications import adapter, services
from notifications.hub import Hub
from notifications.repository import NotificationStore
from notifications.schemas import EventAccepted, EventIn, NotificationOut, NotificationsOut
from notifications.settings import NotificationsSettings
from polykit.auth import Principal, TokenVerifier, require
from polykit.errors import PROBLEM_CONTENT_TYPE, ProblemError, ServiceUnavailable
from polykit.health import Lifecycle, Readiness
from polykit.info import service_info
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version

FRAMEWORK = "tornado"
# Close code 1008: policy violation — no valid token, a wrong first message, or silence.
POLICY_VIOLATION = 1008
# Close code 1013: try again later — users could not be asked whether the token is good.
TRY_AGAIN_LATER = 1013

log = logging.getLogger(__name__)
tracer = trace.get_tracer("notifications")


@dataclass(frozen=True)
class Collaborators:
    settings: NotificationsSettings
    readiness: Readiness
    lifecycle: Lifecycle
    metrics: Metrics
    observer: RequestObserver
    inflight: adapter.InFlight
    openapi: dict[str, Any]
    verifier: TokenVerifier
    store: NotificationStore
    events_received: Counter
    websocket_disconnects: Counter
    clock: Callable[[], datetime]


class BaseHandler(RequestHandler):
    """Every handler's base: observed, counted in flight, and answering errors as problem+json.

    The kit's ProblemErrors raised by a subclass's `prepare` or HTTP methods are re-raised as
    Tornado HTTPErrors (see adapter.ProblemHTTPError), so that spans carry their real status.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("prepare", *(method.lower() for method in cls.SUPPORTED_METHODS)):
            if name in vars(cls):
                setattr(cls, name, adapter.problems_as_http_errors(vars(cls)[name]))

    def initialize(self, deps: Collaborators) -> None:
        self.deps = deps
        self._started: float | None = None
        self._request_span: trace.Span = trace.INVALID_SPAN
        deps.inflight.enter()

    @property
    def principal(self) -> Principal | None:
        """The caller, once a method decorated with adapter.authenticated() runs."""
        return self.current_user

    async def prepare(self) -> None:
        self._started = self.deps.observer.start(self.request.method)
        # The instrumentation ends the span in log_exception, before write_error and on_finish
        # run: keep it to put the access log and the exemplar back inside it.
        self._request_span = trace.get_current_span()
        delay = self.deps.observer.fault_delay(self.request.path)
        if delay:
            await asyncio.sleep(delay)

    def on_finish(self) -> None:
        try:
            method = self.request.method or "GET"
            # None when Tornado refused the request before prepare() (unknown method, bad body).
            started = self._started or self.deps.observer.start(method)
            with trace.use_span(self._request_span):
                self.deps.observer.finish(
                    method=method,
                    path=self.request.path,
                    route=adapter.route_template(self),
                    status=self.get_status(),
                    started=started,
                )
        finally:
            self.deps.inflight.leave()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        problem = adapter.problem_for(status_code, error)
        if problem.status == 405:
            problem.headers.setdefault("Allow", ", ".join(adapter.allowed_methods(type(self))))
        self.set_status(problem.status)
        for name, value in problem.headers.items():
            self.set_header(name, value)
        self.set_header("Content-Type", PROBLEM_CONTENT_TYPE)
        self.finish(json.dumps(problem.body(instance=self.request.path)))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, HTTPError):
            super().log_exception(typ, value, tb)
        elif not isinstance(value, ProblemError):  # a client error, answered as what it is
            with trace.use_span(self._request_span):
                log.error(
                    "unhandled error on %s %s",
                    self.request.method,
                    self.request.path,
                    exc_info=(typ, value, tb),  # type: ignore[arg-type]
                )


class NotFoundHandler(BaseHandler):
    """The Application's default handler: whatever matched no route."""

    async def prepare(self) -> None:
        await super().prepare()
        raise HTTPError(404)


class HealthHandler(BaseHandler):
    def get(self) -> None:
        self.write({"status": "ok"})


class ReadyHandler(BaseHandler):
    async def get(self) -> None:
        ready, body = await self.deps.readiness.acheck()
        self.set_status(200 if ready else 503)
        self.write(body)


class MetricsHandler(BaseHandler):
    def get(self) -> None:
        body, content_type = self.deps.metrics.exposition(self.request.headers.get("Accept"))
        self.set_header("Content-Type", content_type)
        self.write(body)


class InfoHandler(BaseHandler):
    async def get(self) -> None:
        """Which service this is, and whether it is ready (documented by INFO_OPERATIONS)."""
        ready, _ = await self.deps.readiness.acheck()
        self.write(
            service_info(
                self.deps.settings,
                framework=FRAMEWORK,
                framework_version=framework_version("tornado"),
                ready=ready,
            )
        )


class OpenApiHandler(BaseHandler):
    def get(self) -> None:
        self.write(self.deps.openapi)


class EventsHandler(BaseHandler):
    @adapter.authenticated("service")
    async def post(self) -> None:
        """Push an event to a user's open sockets, on every replica, and keep it in their recent
        notifications. An event_id seen before is accepted again and sent nothing.
        ---
        summary: Accept an event for a user (service role)
        security: [{bearer: []}]
        requestBody:
          required: true
          content:
            application/json:
              schema: {$ref: "#/components/schemas/EventIn"}
        responses:
          "202":
            description: Accepted, or already accepted before (`status` says which)
            content:
              application/json:
                schema: {$ref: "#/components/schemas/EventAccepted"}
          "400": &problem
            description: A problem; for a bad body, `errors` names each field at fault
            content:
              application/problem+json:
                schema: {$ref: "#/components/schemas/Problem"}
          "401": *problem
          "403": *problem
          "413": *problem
          "422": *problem
          "503": *problem
        """
        event = adapter.json_body(self, EventIn)
        accepted = await services.notification_accept(
            store=self.deps.store,
            received=self.deps.events_received,
            event_id=str(event.event_id),
            user_id=str(event.user_id),
            event_type=event.type,
            data=event.data,
            now=self.deps.clock(),
        )
        self.set_status(202)
        status = "accepted" if accepted else "duplicate"
        self.write(EventAccepted(event_id=str(event.event_id), status=status).model_dump())


class NotificationsHandler(BaseHandler):
    @adapter.authenticated("customer")
    async def get(self) -> None:
        """The caller's latest notifications, newest first, at most 50.
        ---
        summary: The caller's recent notifications (customer role)
        security: [{bearer: []}]
        responses:
          "200":
            description: Newest first
            content:
              application/json:
                schema: {$ref: "#/components/schemas/NotificationsOut"}
          "401": &problem
            description: A problem
            content:
              application/problem+json:
                schema: {$ref: "#/components/schemas/Problem"}
          "403": *problem
          "503": *problem
        """
        assert self.principal is not None
        recent = await services.notifications_recent(
            store=self.deps.store, user_id=self.principal.subject
        )
        items = [NotificationOut.of(notification) for notification in recent]
        self.write(NotificationsOut(items=items).model_dump(mode="json"))


class NotificationSocket(WebSocketHandler):
    """`/ws`: a shopper's live notifications.

    The first message must be `{"type": "auth", "token": "<JWT>"}`, within
    WEBSOCKET_AUTH_TIMEOUT_SECONDS: the token rides inside the socket, never in the URL, where
    proxies and access logs would keep it. The answer is `{"type": "ready"}`; a bad or missing
    token, any other first message, or silence closes the socket with 1008. From then on the
    server pushes each of the user's events and ignores what the client sends.
    """

    def initialize(self, hub: Hub, deps: Collaborators) -> None:
        self.hub = hub
        self.deps = deps
        self.user_id: str | None = None
        self._deadline: object | None = None
        self._connection = trace.INVALID_SPAN_CONTEXT

    def check_origin(self, origin: str) -> bool:
        # Browsers let any page open a WebSocket to any host (no same-origin policy, no CORS),
        # and Tornado's default takes only pages from this service's own origin. The
        # storefront's pages come from another origin (another port locally, another host
        # behind an ingress), so its public origins are listed and every other site is refused.
        return origin.rstrip("/").lower() in self.deps.settings.allowed_origins

    def open(self) -> None:
        # The upgrade request's span stays open as long as the connection: each message gets
        # a span of its own, in a trace of its own, linked to it.
        self._connection = trace.get_current_span().get_span_context()
        if self.deps.lifecycle.draining:
            self.close(adapter.GOING_AWAY, "server going away")
            return
        self.hub.join(self)
        self._deadline = IOLoop.current().call_later(
            self.deps.settings.websocket_auth_timeout_seconds,
            self._refuse,
            "No auth message in time.",
        )

    async def on_message(self, message: str | bytes) -> None:
        links = [Link(self._connection)] if self._connection.is_valid else []
        with tracer.start_as_current_span(
            "WS /ws message",
            context=context.Context(),
            kind=SpanKind.SERVER,
            links=links,
            attributes={"url.path": "/ws", "network.protocol.name": "websocket"},
        ) as span:
            if self.user_id is not None:
                span.set_attribute("polyshop.websocket.message", "ignored")
                return
            span.set_attribute("polyshop.websocket.message", "auth")
            self._cancel_deadline()
            await self._authenticate(auth_token(message))

    async def _authenticate(self, token: str | None) -> None:
        if token is None:
            self._refuse('The first message must be {"type": "auth", "token": "<JWT>"}.')
            return
        try:
            principal = require(await self.deps.verifier.averify(token), "customer")
        except ServiceUnavailable:
            # users could not be asked: the token may well be good, so not a 1008.
            self._close(TRY_AGAIN_LATER, "Tokens cannot be checked right now.")
            return
        except ProblemError as problem:
            self._refuse(problem.detail)
            return
        if self.ws_connection is None:  # the client left while its token was checked
            return
        self.user_id = principal.subject
        self.hub.identify(self, principal.subject)
        self.write_message({"type": "ready"})

    def _refuse(self, reason: str) -> None:
        self._close(POLICY_VIOLATION, reason)

    def _close(self, code: int, reason: str) -> None:
        # The reason is the kit's description of what was wrong, never the token itself.
        log.info("websocket closed with %d: %s", code, reason)
        trace.get_current_span().set_attribute("websocket.close.code", code)
        self.close(code, reason[:120])  # a close frame's reason fits in 123 bytes

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            IOLoop.current().remove_timeout(self._deadline)
            self._deadline = None

    def on_close(self) -> None:
        self._cancel_deadline()
        if self.get_status() == 101:  # an opened socket, not a refused handshake (on_finish)
            self.deps.websocket_disconnects.inc()
        self.hub.leave(self)

    def on_finish(self) -> None:
        # The instrumentation ends a WebSocket's request span in on_close, which Tornado calls
        # only for a socket that opened: a refused handshake (403 origin, 400) would leave it
        # open for ever. An accepted one finishes with 101 and closes later.
        if self.get_status() != 101:
            self.on_close()


def auth_token(message: str | bytes) -> str | None:
    """The token of an `{"type": "auth", "token": ...}` message; None for anything else."""
    try:
        document = json.loads(message)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("type") != "auth":
        return None
    token = document.get("token")
    return token if isinstance(token, str) and token else None
