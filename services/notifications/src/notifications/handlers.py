"""The notifications service's handlers, on a base that observes each request and answers
every error as problem+json."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from opentelemetry import trace
from tornado.web import HTTPError, RequestHandler

from notifications import adapter
from notifications.settings import NotificationsSettings
from polykit.auth import Principal, TokenVerifier
from polykit.errors import PROBLEM_CONTENT_TYPE, ProblemError
from polykit.health import Readiness
from polykit.info import service_info
from polykit.metrics import Metrics
from polykit.observe import RequestObserver
from polykit.settings import framework_version

FRAMEWORK = "tornado"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Collaborators:
    settings: NotificationsSettings
    readiness: Readiness
    metrics: Metrics
    observer: RequestObserver
    inflight: adapter.InFlight
    openapi: dict[str, Any]
    verifier: TokenVerifier


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
