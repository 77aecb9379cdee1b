from __future__ import annotations

import asyncio
import io
import json
import logging
import logging.config

from opentelemetry.sdk.trace import TracerProvider

from polykit.errors import (
    FieldError,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
    problem_from_status,
)
from polykit.health import Lifecycle, Readiness
from polykit.logs import logging_config


def test_problem_body_names_each_field():
    problem = ValidationFailed("The card is invalid", errors=[FieldError("card.number", "Luhn")])
    assert problem.body(instance="/api/payments") == {
        "type": "https://polyshop.example/problems/validation-failed",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The card is invalid",
        "instance": "/api/payments",
        "errors": [{"field": "card.number", "message": "Luhn"}],
    }


def test_problems_carry_their_headers():
    assert TooManyRequests(retry_after=30).headers["Retry-After"] == "30"
    assert Unauthorized().headers["WWW-Authenticate"].startswith("Bearer")


def test_framework_statuses_map_onto_the_family():
    assert isinstance(problem_from_status(404), NotFound)
    odd = problem_from_status(418, "short and stout")
    assert odd.status == 418
    assert odd.body()["detail"] == "short and stout"


def test_readiness_reports_each_check_and_turns_off_when_draining():
    def broken() -> None:
        raise ConnectionError("no route to database")

    lifecycle = Lifecycle()
    readiness = Readiness({"database": lambda: None}, lifecycle)
    assert readiness.check() == (True, {"status": "ready", "checks": {"database": "ok"}})
    assert Readiness({"database": broken}, lifecycle).check()[0] is False
    lifecycle.begin_drain()
    ready, body = readiness.check()
    assert (ready, body["status"]) == (False, "draining")


def test_async_readiness_runs_coroutine_checks():
    async def ok() -> None:
        return None

    async def down() -> None:
        raise TimeoutError("redis")

    ready, body = asyncio.run(Readiness({"redis": ok, "db": down}, Lifecycle()).acheck())
    assert ready is False
    assert body["checks"]["redis"] == "ok"
    assert "TimeoutError" in body["checks"]["db"]


def test_log_lines_are_json_with_the_trace(monkeypatch):
    stream = io.StringIO()
    logging.config.dictConfig(logging_config("cart"))
    logging.getLogger().handlers[0].setStream(stream)
    with TracerProvider().get_tracer("t").start_as_current_span("work") as span:
        logging.getLogger("polyshop.test").info("hello", extra={"order_id": "o-1"})
        trace_id = format(span.get_span_context().trace_id, "032x")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "hello"
    assert line["service"] == "cart"
    assert line["trace_id"] == trace_id
    assert line["order_id"] == "o-1"
    assert line["level"] == "INFO"
    assert "time" in line
