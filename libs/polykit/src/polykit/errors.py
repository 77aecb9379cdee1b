"""The problem+json error family (RFC 9457) that every service answers with.

    ProblemError                 any error the client sees, as application/problem+json
    ├── BadRequest               400  the request could not be read (malformed JSON, bad header)
    ├── Unauthorized             401  no valid token
    ├── PaymentRequired          402  the card was declined
    ├── Forbidden                403  a valid token without the role
    ├── NotFound                 404  no such route or resource
    ├── MethodNotAllowed         405
    ├── Conflict                 409  the state does not allow it (empty cart, taken email, …)
    ├── ContentTooLarge          413  the body is larger than the endpoint accepts
    ├── UnsupportedMediaType     415
    ├── ValidationFailed         422  well-formed but invalid: `errors` names each field
    ├── TooManyRequests          429  carries Retry-After
    ├── InternalError            500  a bug: logged with its traceback, never shown
    ├── ServiceUnavailable       503  a dependency is down, or the service is draining
    └── GatewayTimeout           504  a dependency did not answer in time

Each framework registers one handler that turns its own errors into one of these with
`problem_from_status()`, anything else with `internal_error()`, and writes `problem.body()`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from opentelemetry import trace

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://polyshop.example/problems/"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ProblemError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    # RFC 9110's phrase where Python's differs between versions (422 changed in 3.13).
    default_title: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        errors: list[FieldError] | tuple[FieldError, ...] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        self.title = title or self.default_title or HTTPStatus(self.status).phrase
        self.detail = detail or self.title
        self.errors = list(errors)
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    @property
    def type(self) -> str:
        return TYPE_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return body


class BadRequest(ProblemError):
    status, slug = 400, "bad-request"


class Unauthorized(ProblemError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="polyshop"')


class PaymentRequired(ProblemError):
    status, slug = 402, "payment-declined"


class Forbidden(ProblemError):
    status, slug = 403, "forbidden"


class NotFound(ProblemError):
    status, slug = 404, "not-found"


class MethodNotAllowed(ProblemError):
    status, slug = 405, "method-not-allowed"


class Conflict(ProblemError):
    status, slug = 409, "conflict"


class ContentTooLarge(ProblemError):
    status, slug = 413, "content-too-large"
    default_title = "Content Too Large"  # RFC 9110's phrase; Python's changed in 3.13


class UnsupportedMediaType(ProblemError):
    status, slug = 415, "unsupported-media-type"


class ValidationFailed(ProblemError):
    status, slug = 422, "validation-failed"
    default_title = "Unprocessable Content"


class TooManyRequests(ProblemError):
    status, slug = 429, "too-many-requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers["Retry-After"] = str(retry_after)


class InternalError(ProblemError):
    status, slug = 500, "internal-error"


class ServiceUnavailable(ProblemError):
    status, slug = 503, "service-unavailable"


class GatewayTimeout(ProblemError):
    status, slug = 504, "gateway-timeout"


_BY_STATUS: dict[int, type[ProblemError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        PaymentRequired,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        ContentTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


def problem_from_status(status: int, detail: str | None = None) -> ProblemError:
    """The problem for a framework's own HTTP error (its router's 404, its parser's 400)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = type(
            f"Problem{status}", (ProblemError,), {"status": status, "slug": f"http-{status}"}
        )
    if cls is TooManyRequests:
        return TooManyRequests(detail, retry_after=1)
    return cls(detail)


INTERNAL_DETAIL = "Something went wrong on our side; it has been logged."


log = logging.getLogger("polyshop.errors")


def internal_error(exc: BaseException, *, method: str, path: str) -> InternalError:
    """A bug: logged with its traceback and recorded on the request's span; the client is told
    only INTERNAL_DETAIL."""
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    trace.get_current_span().record_exception(exc)
    return InternalError(INTERNAL_DETAIL)
