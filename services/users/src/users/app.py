"""The users app factory, and the migrate-and-seed step it (or `python -m users migrate`) runs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from argon2 import PasswordHasher
from prometheus_client import Counter
from pyramid.config import Configurator
from pyramid.router import Router

from polykit.errors import PROBLEM_CONTENT_TYPE
from polykit.health import LIFECYCLE, Lifecycle, Readiness
from polykit.metrics import Metrics
from polykit.migrations import Preparation, migrate
from polykit.observe import RequestObserver
from polykit.settings import framework_version
from polykit.stores import engine_check, sync_engine
from polykit.telemetry import setup_tracing
from users import adapter, services
from users.repository import LoginFailureRepository, UserRepository, session_factory
from users.services import Clock, LoginThrottle, Passwords
from users.settings import UsersSettings
from users.signing import TokenIssuer, load_signing_key, own_verifier

FRAMEWORK = "pyramid"
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
LOGIN_OUTCOMES = ("success", "bad_credentials", "locked_out")

log = logging.getLogger("polyshop.users")


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: UsersSettings | None = None,
    *,
    lifecycle: Lifecycle = LIFECYCLE,
    engine: sa.Engine | None = None,
    hasher: PasswordHasher | None = None,
    clock: Clock = utc_now,
) -> Router:
    settings = settings or UsersSettings.from_env()
    setup_tracing(settings)
    adapter.instrument()
    metrics = Metrics.for_service(
        settings, framework=FRAMEWORK, framework_version=framework_version("pyramid")
    )
    logins = Counter(
        "polyshop_logins_total",
        "Password logins, by outcome.",
        ["outcome"],
        registry=metrics.registry,
    )
    for outcome in LOGIN_OUTCOMES:
        logins.labels(outcome=outcome)  # every outcome is scraped, at 0 until it happens
    engine = engine or sync_engine(settings, metrics=metrics)
    sessions = session_factory(engine)
    users = UserRepository(sessions)
    passwords = Passwords(hasher)
    issuer = TokenIssuer(
        load_signing_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        clock=clock,
    )
    checks: dict[str, Callable[[], None]] = {"database": engine_check(engine)}
    if settings.migrate_on_start:
        preparation = Preparation(
            lambda: prepare_database(settings, users=users, passwords=passwords, clock=clock),
            name="users",
            lifecycle=lifecycle,
        )
        preparation.start()
        checks["schema"] = preparation.check
    collaborators = adapter.Collaborators(
        settings=settings,
        metrics=metrics,
        readiness=Readiness(checks, lifecycle),
        observer=RequestObserver(metrics, fault_delay_ms=settings.fault_delay_ms),
        openapi=load_openapi(settings),
        clock=clock,
        users=users,
        passwords=passwords,
        throttle=LoginThrottle(LoginFailureRepository(sessions), clock),
        issuer=issuer,
        verifier=own_verifier(issuer, settings),
        clients=settings.service_credentials(),
        logins=logins,
    )
    # Made after instrument(): OpenTelemetry's tween joins configurators built from then on.
    with Configurator() as config:
        config.include("pyramid_openapi3")
        # openapi-core reads only application/json; errors are checked against the spec too.
        config.pyramid_openapi3_add_deserializer(PROBLEM_CONTENT_TYPE, json.loads)
        config.pyramid_openapi3_spec(str(OPENAPI_PATH), route="/openapi.yaml")
        adapter.install(config, collaborators)
        config.add_route("api_info", "/api/info")
        config.add_route("openapi", "/openapi.json")
        config.add_route("users", "/api/users")
        config.add_route("users_me", "/api/users/me")
        config.add_route("tokens", "/api/tokens")
        config.add_route("jwks", "/.well-known/jwks.json")
        config.scan("users.views")
    return config.make_wsgi_app()


def load_openapi(settings: UsersSettings) -> dict[str, Any]:
    """The spec-first document, read once; its version is the running service's."""
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    document["info"]["version"] = settings.service_version
    return document


def prepare_database(
    settings: UsersSettings,
    *,
    users: UserRepository | None = None,
    passwords: Passwords | None = None,
    clock: Clock = utc_now,
) -> None:
    """Tables up to date, then the staff account; both safe to repeat."""
    migrate(settings, "users")
    engine = None
    if users is None:
        engine = sync_engine(settings)
        users = UserRepository(session_factory(engine))
    try:
        services.staff_seed(
            users=users,
            passwords=passwords or Passwords(),
            clock=clock,
            email=settings.staff_email,
            password=settings.staff_password.get_secret_value(),
        )
    finally:
        if engine is not None:
            engine.dispose()
