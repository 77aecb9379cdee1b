"""The payments service's app factory, and the migration step it (or `python -m payments
migrate`) runs."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import falcon
import sqlalchemy as sa

from payments import adapter
from payments.idempotency import Clock, IdempotencyKeys
from payments.repository import PaymentRepository, enforce_foreign_keys, session_factory
from payments.resources import (
    FRAMEWORK,
    Collaborators,
    InfoResource,
    OpenApiResource,
    PaymentResource,
    PaymentsResource,
    RefundsResource,
)
from payments.services import PaymentCounters
from payments.settings import PaymentsSettings
from polykit.auth import TokenVerifier
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.http import make_client
from polykit.metrics import Metrics
from polykit.migrations import Preparation, migrate
from polykit.observe import RequestObserver
from polykit.settings import framework_version, token_verifier_options
from polykit.stores import engine_check, sync_engine
from polykit.telemetry import setup_tracing

log = logging.getLogger("polyshop.payments")


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: PaymentsSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    verifier: TokenVerifier | None = None,
    engine: sa.Engine | None = None,
    repository: PaymentRepository | None = None,
    clock: Clock = utc_now,
) -> falcon.App:
    settings = settings or PaymentsSettings.from_env()
    setup_tracing(settings)
    metrics = Metrics.for_service(
        settings, framework=FRAMEWORK, framework_version=framework_version("falcon")
    )
    # The engine connects lazily: the first readiness probe is its first connection.
    engine = engine or sync_engine(settings, metrics=metrics)
    enforce_foreign_keys(engine)
    checks: dict[str, Callable[[], None]] = {"database": engine_check(engine)}
    if settings.migrate_on_start:
        preparation = Preparation(
            lambda: prepare_database(settings), name="payments", lifecycle=lifecycle
        )
        preparation.start()
        checks["schema"] = preparation.check
    readiness = Readiness(checks, lifecycle)
    if verifier is None:
        verifier = TokenVerifier(**token_verifier_options(settings), client=make_client(metrics))
    repository = repository or PaymentRepository(session_factory(engine))
    deps = Collaborators(
        repository=repository,
        keys=IdempotencyKeys(
            repository,
            clock,
            secret=request_hash_secret(settings),
            stale_after=timedelta(seconds=settings.idempotency_stale_seconds),
        ),
        clock=clock,
        counters=PaymentCounters.register(metrics.registry),
    )
    app = adapter.build_app(
        metrics=metrics,
        readiness=readiness,
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        verifier=verifier,
    )
    app.add_route("/api/info", InfoResource(settings, readiness))
    app.add_route("/openapi.json", OpenApiResource(settings))
    app.add_route("/api/payments", PaymentsResource(deps))
    app.add_route("/api/payments/{payment_id:uuid}", PaymentResource(deps))
    app.add_route("/api/payments/{payment_id:uuid}/refunds", RefundsResource(deps))
    return app


def request_hash_secret(settings: PaymentsSettings) -> bytes:
    """The key of the HMAC that tells two requests apart under one Idempotency-Key. Derived from
    the service's client secret, which production already requires and every replica shares:
    no other secret to deploy. Rotating that secret makes a retry of a request sent before the
    rotation a 422 instead of a replay, for the keys' remaining lifetime."""
    secret = settings.service_client_secret.encode()
    return hmac.new(secret, b"payments idempotency request hash", hashlib.sha256).digest()


def prepare_database(settings: PaymentsSettings) -> None:
    """Tables up to date; safe to repeat."""
    migrate(settings, "payments")
