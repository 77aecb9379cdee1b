"""`python -m orders worker`: the outbox relay and the recovery loop, in a companion process.

A process of its own rather than threads inside the gunicorn workers: periodic work has one
place to run, scales apart from the web (one worker, however many web replicas), and is not
duplicated per web replica or restarted with each web worker. Several workers are still safe:
they claim outbox events and stale orders with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL
and lease them before working on them (SQLite's immediate transactions serialise the claims).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from django.db import DatabaseError, close_old_connections
from prometheus_client import start_http_server

from orders import services
from orders.app import collaborators, service_metrics
from orders.clients import Peers
from orders.config import OrdersSettings
from orders.metrics import time_queries
from polykit.auth import ServiceTokens
from polykit.http import make_client
from polykit.settings import service_token_options
from polykit.telemetry import setup_tracing

log = logging.getLogger("polyshop.orders.worker")

PURGE_EVERY_PASSES = 3600


def work_once(deps: services.Collaborators, *, purge: bool = False) -> int:
    """One pass of everything; returns how many events were delivered."""
    close_old_connections()  # Django does this per request; a long-lived loop must do it too
    delivered = services.outbox_relay_pass(deps=deps)
    services.order_recovery_pass(deps=deps)
    if purge:
        services.idempotency_purge(deps=deps)
    return delivered


def run(settings: OrdersSettings, *, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    setup_tracing(settings)
    metrics = service_metrics(settings)
    time_queries(metrics)
    client = make_client(metrics)
    tokens = ServiceTokens(**service_token_options(settings), client=client)
    deps = collaborators(
        settings, metrics=metrics, peers=Peers.over_http(settings, client=client, tokens=tokens)
    )
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, settings.host, registry=metrics.registry)

    def finish(signum: int, frame: FrameType | None) -> None:
        log.info("stopping after this pass")
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    log.info(
        "relaying the outbox and recovering orders every %ss", settings.worker_interval_seconds
    )
    passes = 0
    while not stop.is_set():
        delivered = 0
        try:
            delivered = work_once(deps, purge=passes % PURGE_EVERY_PASSES == 0)
        except DatabaseError as exc:  # not migrated yet, or the database is away: try again
            log.warning("worker pass failed: %s", exc)
        except Exception:
            log.exception("worker pass failed")
        passes += 1
        # A full batch means more are waiting: go on at once.
        if delivered < services.RELAY_BATCH:
            stop.wait(settings.worker_interval_seconds)
    client.close()
