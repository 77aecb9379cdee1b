"""What every server adapter calls around each request.

`start()` when the request arrives, `finish()` when the response is ready: the request counts as
in flight in between, then lands in the duration histogram under its normalised route template
and in one access-log line written inside the request's span (so it carries the trace id).
"""

from __future__ import annotations

import logging
import time

from polykit.metrics import Metrics, method_label
from polykit.routes import normalise_route

# Probes and scrapes are counted but not logged: the kubelet would drown everything else.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("polyshop.access")


class RequestObserver:
    def __init__(self, metrics: Metrics, *, fault_delay_ms: int = 0) -> None:
        self.metrics = metrics
        self._fault_delay = fault_delay_ms / 1000

    def start(self, method: str) -> float:
        self.metrics.server_active.labels(method_label(method)).inc()
        return time.perf_counter()

    def finish(
        self, *, method: str, path: str, route: str | None, status: int, started: float
    ) -> None:
        seconds = time.perf_counter() - started
        template = normalise_route(route)
        self.metrics.server_active.labels(method_label(method)).dec()
        self.metrics.observe_server(method, template, status, seconds)
        if path not in QUIET_PATHS:
            access_log.info(
                "%s %s %d",
                method,
                path,
                status,
                extra={
                    "http_request_method": method,
                    "http_route": template,
                    "url_path": path,
                    "http_response_status_code": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )

    def fault_delay(self, path: str) -> float:
        """Seconds to hold an /api request when the added-latency fault is on (0 otherwise)."""
        return self._fault_delay if path.startswith("/api/") else 0.0
