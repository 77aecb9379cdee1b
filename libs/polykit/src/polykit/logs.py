"""One JSON object per log line on stdout, with the trace and span of the request that wrote it.

`logging_config()` is a dictConfig that servers with their own logging (gunicorn, uvicorn, Sanic,
Tornado) take as well, so their lines come out in the same shape.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from opentelemetry import trace


class TraceContextFilter(logging.Filter):
    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.service = self.service
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else ""
        record.span_id = format(context.span_id, "016x") if context.is_valid else ""
        return True


def logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"trace": {"()": TraceContextFilter, "service": service}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["trace"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Servers' own loggers go through the root handler, once.
            name: {"handlers": [], "propagate": True, "level": level}
            for name in (
                "gunicorn.error",
                "uvicorn",
                "uvicorn.error",
                "sanic.root",
                "sanic.error",
                "tornado.application",
                "tornado.general",
            )
        }
        | {
            # Access logs are written by the kit's request observer, inside the request's span.
            name: {"handlers": [], "propagate": False, "level": "WARNING"}
            for name in ("gunicorn.access", "uvicorn.access", "sanic.access", "tornado.access")
        },
    }


def configure_logging(service: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(service, level))
